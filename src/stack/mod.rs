//! Stack files: the typed model, loading YAML with source positions, validation and the
//! JSON Schema.

pub mod model;
