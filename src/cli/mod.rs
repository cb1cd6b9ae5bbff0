//! The commands, one module each; `main.rs` only parses arguments and dispatches here.

pub mod app;
pub mod local;
pub mod run;
pub mod schema;
pub mod session;
pub mod validate;
