//! Standard output and standard error, which the other end may close at any time
//! (`ivstack plan | head -1`). Nothing here panics: `print!` and `eprint!` do when the
//! write fails, which would turn a closed pipe into a crash.
//!
//! What a closed standard output means: read-only commands (`validate`, `schema`, `plan`)
//! stop writing and exit 0 without a message (nobody reads the rest; `plan --out` still
//! saves its file); `apply` and `destroy` carry on (their report goes to standard error
//! and their exit code says how it went), because who reads the output must not decide
//! whether work in flight is finished.

use std::io::{self, Write};

/// Standard output was closed by its reader.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct StdoutClosed;

/// An error from writing to standard output: a closed pipe becomes [`StdoutClosed`].
pub fn stdout_error(e: io::Error) -> anyhow::Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        anyhow::Error::new(e).context("cannot write to standard output")
    }
}

/// The same for an error of a command that wrote to standard output (its only source of
/// a broken pipe): a broken pipe anywhere in the chain becomes [`StdoutClosed`].
pub fn with_stdout_closed(e: anyhow::Error) -> anyhow::Error {
    let broken = e
        .chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe);
    if broken { StdoutClosed.into() } else { e }
}

/// Write `text` to standard output and flush it.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(stdout_error)
}

/// Write `text` to standard output if anyone reads it; for output that must not stop the
/// command (the plan that `apply` shows before it works). Says so in the log only.
pub fn print_best_effort(text: &str) {
    if let Err(e) = print(text) {
        tracing::debug!("standard output not written: {e}");
    }
}

/// Write one line to standard error; a failure to do so is ignored (there is nowhere
/// left to report it).
pub fn stderr_line(args: std::fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// Write to standard error without a line break.
pub fn stderr_text(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// `eprintln!` that never panics.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::output::stderr_line(format_args!($($arg)*))
    };
}
pub(crate) use say;
