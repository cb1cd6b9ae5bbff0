//! The `ivstack` binary: everything lives in the library (`ivstack::cli::app`), so the
//! binary crate stays a thin shell that links in seconds.

fn main() -> std::process::ExitCode {
    ivstack::cli::app::main()
}
