//! Stack files: the typed model, loading YAML with source positions, validation and the
//! JSON Schema.

pub mod check;
pub mod diagnostics;
pub mod iam_grammar;
pub mod load;
pub mod model;
pub mod position;
pub mod schema;
pub mod validate;
pub mod yaml;

pub use check::SpanMap;
pub use diagnostics::{Diagnostic, Diagnostics, Severity, Span};
pub use load::{LoadedStack, load_bytes, load_file, load_str};
