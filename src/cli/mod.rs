//! The command line: the grammar, logging and dispatch (`app`), one module per command, and
//! what they share (stopping, output, redaction). `main.rs` only calls `app::main`.

pub mod app;
pub mod discover;
pub mod explain;
pub mod export;
pub mod graph;
pub mod iam_policy;
pub mod interrupt;
pub mod lint;
pub mod local;
pub mod local_buckets;
pub mod lock;
pub mod output;
pub mod redact;
pub mod run;
pub mod schema;
pub mod session;
pub mod token;
pub mod validate;
pub mod watch;
