//! Progress output for apply: a live bar on a terminal, plain lines in CI and pipes.
//! Progress goes to stderr so that stdout stays the machine-readable result.

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{OpReport, Status};

#[derive(Clone)]
pub struct Progress {
    bar: Option<Arc<ProgressBar>>,
    quiet: bool,
}

impl Progress {
    /// A live bar when stderr is a terminal, plain lines otherwise.
    pub fn auto() -> Progress {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} applying [{bar:30}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            Progress {
                bar: Some(Arc::new(bar)),
                quiet: false,
            }
        } else {
            Progress::plain()
        }
    }

    pub fn plain() -> Progress {
        Progress {
            bar: None,
            quiet: false,
        }
    }

    pub fn quiet() -> Progress {
        Progress {
            bar: None,
            quiet: true,
        }
    }

    pub fn start(&self, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
        }
    }

    pub fn done(&self, op: &OpReport) {
        if self.quiet {
            return;
        }
        let what = format!("{}.{} ({})", op.kind, op.id, op.name);
        let line = match &op.status {
            Status::Done => format!(
                "  ok    {} {what} in {:.1}s",
                op.action.as_str(),
                op.seconds
            ),
            Status::Failed(e) => format!("  FAIL  {} {what}: {e}", op.action.as_str()),
            Status::NotAttempted(why) => {
                format!("  skip  {} {what}: {why}", op.action.as_str())
            }
        };
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.inc(1);
            }
            None => eprintln!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
