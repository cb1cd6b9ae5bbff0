//! Placeholder: STS emulation is being written.
