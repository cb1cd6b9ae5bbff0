//! The lock on the command line: `--lock` / `--lock-timeout` of `apply` and `destroy`
//! (and of applying a saved plan), the stack file's `lock:`, taking the lock before the
//! live account is read and releasing it whatever happens after, the messages of a run
//! that waits, and `ivstack force-unlock`.
//!
//! Where the lock lives: `--lock`, else the stack file's `lock:`, else, with `--local`,
//! the embedded endpoint's own S3 ([`LOCAL_LOCK`]); without any of them there is no lock.
//! With `--local` the bucket is created in the embedded endpoint when missing, and a lock
//! found there is stale by construction (the run that took it no longer holds the local
//! state file, see `session.rs`), so it is reported at once instead of waited for.

use std::time::Duration;

use anyhow::bail;
use clap::Args;

use super::interrupt::{Interrupted, Stop};
use super::output::say;
use super::redact::redact;
use super::session::Session;
use crate::lock::{self, Held, Holder, LockLocation, LockRecord, LockStore, Release, Waited};
use crate::stack::model::StackFile;

/// Default of `--lock-timeout`, in seconds.
pub const DEFAULT_LOCK_TIMEOUT: u64 = 300;

/// Where `--local` keeps locks when neither `--lock` nor the stack file says.
pub const LOCAL_LOCK: &str = "s3://ivstack-local/locks";

/// Test hook: when set, a run that took a lock says so and waits for Ctrl-C before going
/// on, so that a test can kill it (or interrupt it) while it provably holds the lock.
/// Printed marker: `ivstack-test: holding the lock`. Not for users.
pub const TEST_PAUSE_HOLDING_LOCK: &str = "IVSTACK_TEST_PAUSE_HOLDING_LOCK";

/// `--lock` and `--lock-timeout`.
#[derive(Debug, Clone, Default, Args)]
pub struct LockArgs {
    /// Lock each stack in S3 while this runs, so two runs never change one stack at once:
    /// the lock object is PREFIX/<stack>.lock. Overrides the stack file's `lock:`; with
    /// --local the embedded endpoint's S3 is used (default s3://ivstack-local/locks).
    #[arg(long, value_name = "s3://BUCKET/PREFIX")]
    pub lock: Option<String>,

    /// Wait this long for a lock another run holds, then fail with the holder's details
    /// (0: do not wait). Ctrl-C while waiting exits 130 with nothing changed [default: 300]
    #[arg(long, value_name = "SECONDS")]
    pub lock_timeout: Option<u64>,
}

impl LockArgs {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.lock_timeout.unwrap_or(DEFAULT_LOCK_TIMEOUT))
    }
}

/// This process's command line, with secrets redacted (it goes into lock objects and the
/// local state file's lock, where other people read it).
pub fn command_line() -> String {
    let words: Vec<String> = std::env::args()
        .enumerate()
        .map(|(i, a)| {
            let a = if i == 0 {
                // The program, not where it was built.
                std::path::Path::new(&a)
                    .file_name()
                    .map_or(a.clone(), |n| n.to_string_lossy().into_owned())
            } else {
                a
            };
            if a.is_empty() || a.contains(char::is_whitespace) {
                format!("'{}'", a.replace('\'', r"'\''"))
            } else {
                a
            }
        })
        .collect();
    redact(&words.join(" ")).into_owned()
}

/// Where `stack`'s lock lives, if anywhere.
fn location(
    args: &LockArgs,
    stack: &StackFile,
    local: bool,
) -> anyhow::Result<Option<LockLocation>> {
    let (text, from) = match (&args.lock, &stack.lock) {
        (Some(l), _) => (l.as_str(), "--lock".to_string()),
        (None, Some(l)) => (l.as_str(), format!("`lock:` of stack `{}`", stack.stack)),
        (None, None) if local => (LOCAL_LOCK, "the --local default".to_string()),
        (None, None) => return Ok(None),
    };
    LockLocation::parse(text)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{from}: {e}"))
}

/// The command that removes `stack`'s lock by hand.
fn force_unlock_hint(stack: &str, location: &LockLocation, local: bool) -> String {
    if local && location.to_string() == LOCAL_LOCK {
        format!("ivstack force-unlock {stack} --local")
    } else if local {
        format!("ivstack force-unlock {stack} --local --lock {location}")
    } else {
        format!("ivstack force-unlock {stack} --lock {location}")
    }
}

/// The lock a run holds on one stack (none when no lock is configured).
pub struct StackLock {
    held: Option<(Box<Held>, LockLocation)>,
    local: bool,
}

impl StackLock {
    /// Take `stack`'s lock for `operation` (`apply`, `destroy`), waiting as `args` say.
    /// Fails with the holder's details when the wait is over, and with
    /// [`Interrupted`] when the run is stopped while waiting (nothing was changed).
    pub async fn acquire(
        session: &Session,
        args: &LockArgs,
        stack: &StackFile,
        operation: &str,
        stop: &Stop,
    ) -> anyhow::Result<StackLock> {
        let local = session.local_endpoint().is_some();
        let Some(location) = location(args, stack, local)? else {
            return Ok(StackLock { held: None, local });
        };
        if let Some(endpoint) = session.local_endpoint() {
            // The embedded endpoint's S3 is ours: the bucket is made when missing.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            endpoint.with_state(|s| {
                ivstack_local::services::s3::ensure_bucket(s, &location.bucket, &stack.region, now)
                    .map(str::to_string)
            })?;
        }
        let object = location.object_url(&stack.stack);
        // With --local nobody alive can hold it (see the module doc): do not wait.
        let timeout = if local {
            Duration::ZERO
        } else {
            args.timeout()
        };
        let record = LockRecord::for_this_process(&stack.stack, operation, command_line());
        let store = LockStore::new(&session.aws, location.clone());
        let mut waited = false;
        let outcome = lock::acquire(store, record, timeout, &stop.token(), |holder| {
            if !local {
                say!(
                    "Waiting for the lock of stack `{}` ({object}), held by {}; up to {}s \
                     (--lock-timeout), Ctrl-C to give up",
                    stack.stack,
                    redact(&holder.describe()),
                    timeout.as_secs()
                );
            }
            waited = true;
        })
        .await?;
        let held = match outcome {
            Waited::Acquired(held) => held,
            Waited::Stopped => {
                return Err(stop
                    .interrupted(
                        &format!("waiting for the lock of stack `{}`", stack.stack),
                        false,
                    )
                    .into());
            }
            Waited::TimedOut { holder } => {
                let hint = force_unlock_hint(&stack.stack, &location, local);
                let who = holder
                    .as_ref()
                    .map_or("another run".to_string(), Holder::describe);
                if local {
                    bail!(
                        "stack `{}` is locked ({object}) by {}, but that run no longer uses the \
                         local endpoint's state, so it ended without releasing the lock (was it \
                         killed?). Remove the lock with: {hint}",
                        stack.stack,
                        redact(&who)
                    );
                }
                bail!(
                    "stack `{}` is locked ({object}) by {}. Waited {}s (--lock-timeout). If that \
                     run is still going, let it finish or wait longer with --lock-timeout; if it \
                     ended without releasing the lock (killed, crashed), remove the lock with: \
                     {hint}",
                    stack.stack,
                    redact(&who),
                    timeout.as_secs()
                );
            }
        };
        if waited {
            say!("Got the lock of stack `{}`.", stack.stack);
        }
        tracing::debug!("holding the lock {}", held.object_url());
        if std::env::var_os(TEST_PAUSE_HOLDING_LOCK).is_some() {
            say!("ivstack-test: holding the lock; waiting for an interrupt");
            stop.stopped().await;
        }
        Ok(StackLock {
            held: Some((held, location)),
            local,
        })
    }

    /// Whether a lock was taken (one is configured).
    pub fn is_held(&self) -> bool {
        self.held.is_some()
    }

    /// Release the lock (if one is held). A lock that is no longer ours is left alone, with
    /// a warning; a failure says how to remove the lock by hand.
    pub async fn release(self) -> anyhow::Result<()> {
        let Some((held, location)) = self.held else {
            return Ok(());
        };
        let stack = held.record.stack.clone();
        let object = held.object_url();
        match held.release().await {
            Ok(Release::Released) => {
                tracing::debug!("released the lock {object}");
                Ok(())
            }
            Ok(Release::Gone) => {
                say!(
                    "warning: the lock of stack `{stack}` ({object}) was already gone when this \
                     run ended: someone removed it with force-unlock while this run held it"
                );
                Ok(())
            }
            Ok(Release::NotOurs) => {
                say!(
                    "warning: the lock of stack `{stack}` ({object}) is not this run's any more \
                     (it was force-unlocked and another run took it); left it alone"
                );
                Ok(())
            }
            Err(e) => bail!(
                "could not release the lock of stack `{stack}` ({object}): {e}\n  once this is \
                 fixed, remove the lock with: {}",
                force_unlock_hint(&stack, &location, self.local)
            ),
        }
    }
}

/// The outcome of a run that held a lock: the run's own outcome, unless it succeeded and
/// the release failed. A release failure after a failed run is shown, not lost.
pub fn settle<T>(outcome: anyhow::Result<T>, released: anyhow::Result<()>) -> anyhow::Result<T> {
    match (outcome, released) {
        (outcome, Ok(())) => outcome,
        (Ok(_), Err(e)) => Err(e),
        (Err(e), Err(release)) => {
            say!("error: {}", redact(&format!("{release:#}")));
            Err(e)
        }
    }
}

// ---------------------------------------------------------------------------------------
// ivstack force-unlock

/// Options of `ivstack force-unlock`.
#[derive(Debug, Clone, Args)]
pub struct ForceUnlockArgs {
    /// The stack whose lock to remove.
    pub stack: String,
    /// Stack files or directories where the stack is declared (for its region and
    /// `lock:`). Default: ./stacks
    pub paths: Vec<std::path::PathBuf>,
    /// Where the lock is (overrides the stack file's `lock:`).
    #[arg(long, value_name = "s3://BUCKET/PREFIX")]
    pub lock: Option<String>,
    /// Remove it without asking (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    // Last: its help heading would apply to the fields after it.
    #[command(flatten)]
    pub aws: super::session::AwsArgs,
}

/// Exit code of `force-unlock` when the lock is not removed (declined, or it changed).
pub const EXIT_NOT_REMOVED: i32 = 1;

/// The stack `name` as declared in `paths` (invalid files are skipped: the point is to
/// unlock, not to validate), or a bare model from `--region` when no file declares it.
fn find_stack(
    args: &ForceUnlockArgs,
    global: &super::session::GlobalArgs,
) -> anyhow::Result<StackFile> {
    let paths = if args.paths.is_empty() {
        vec![std::path::PathBuf::from("stacks")]
    } else {
        args.paths.clone()
    };
    let files = super::validate::stack_files(&paths).unwrap_or_default();
    for f in files {
        let Ok(bytes) = crate::stack::load::read_file(&f) else {
            continue;
        };
        if let Ok(loaded) = crate::stack::load_bytes(&f.display().to_string(), &bytes)
            && loaded.model.stack == args.stack
        {
            return Ok(loaded.model);
        }
    }
    match &global.region {
        Some(region) => Ok(StackFile {
            stack: args.stack.clone(),
            region: region.clone(),
            ..StackFile::default()
        }),
        None => bail!(
            "no valid stack file in {} declares stack `{}`: give the path of its stack file, \
             or --region (with --lock, or --local)",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            args.stack
        ),
    }
}

/// `ivstack force-unlock STACK`: show who holds the lock, confirm, remove it. 0 when it
/// was removed or there was none, 1 when it was not removed, 130 when interrupted.
pub async fn force_unlock(
    global: &super::session::GlobalArgs,
    args: &ForceUnlockArgs,
    stop: &Stop,
) -> anyhow::Result<i32> {
    let stack = find_stack(args, global)?;
    let lock_args = LockArgs {
        lock: args.lock.clone(),
        lock_timeout: Some(0),
    };
    // With --local, a state file in use means its holder is alive: do not wait for it.
    let session = Session::open_waiting(global, &stack, stop, Duration::ZERO).await?;
    let result = remove(&session, &lock_args, &stack, args.yes, stop).await;
    session.close().await?;
    result
}

async fn remove(
    session: &Session,
    args: &LockArgs,
    stack: &StackFile,
    yes: bool,
    stop: &Stop,
) -> anyhow::Result<i32> {
    let local = session.local_endpoint().is_some();
    let Some(location) = location(args, stack, local)? else {
        bail!(
            "no lock location for stack `{}`: give --lock s3://BUCKET/PREFIX (or set `lock:` in \
             its stack file, or use --local)",
            stack.stack
        );
    };
    let object = location.object_url(&stack.stack);
    let mut store = LockStore::new(&session.aws, location);
    let Some((holder, etag)) = store.holder(&stack.stack).await? else {
        say!("Stack `{}` is not locked (no {object}).", stack.stack);
        return Ok(0);
    };
    say!(
        "The lock of stack `{}` ({object}) is held by {}.",
        stack.stack,
        redact(&holder.describe())
    );
    if !yes && !confirm(&stack.stack, stop).await? {
        say!("Not removed.");
        return Ok(EXIT_NOT_REMOVED);
    }
    match store.release(&stack.stack, &etag).await? {
        Release::Released => {
            say!("Removed the lock of stack `{}`.", stack.stack);
            Ok(0)
        }
        Release::Gone => {
            say!("The lock was released in the meantime; nothing to remove.");
            Ok(0)
        }
        Release::NotOurs => {
            say!(
                "The lock changed in the meantime (another run holds it now); not removed. Run \
                 force-unlock again to see who holds it."
            );
            Ok(EXIT_NOT_REMOVED)
        }
    }
}

/// Ask for `yes` on the terminal; without a terminal, refuse (`--yes` is required).
async fn confirm(stack: &str, stop: &Stop) -> anyhow::Result<bool> {
    use std::io::{BufRead, IsTerminal};
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to remove the lock of stack `{stack}` without confirmation: stdin is not a \
             terminal. Check that its holder (above) is really gone, then pass --yes"
        );
    }
    super::output::stderr_text(
        "Remove it? Only if that run is gone: a live run would go on without the lock. Only \
         'yes' is accepted: ",
    );
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    });
    tokio::select! {
        line = answer => Ok(line??.trim() == "yes"),
        () = stop.stopped() => Err(Interrupted {
            message: "interrupted while waiting for confirmation: the lock was not removed".into(),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(lock: Option<&str>) -> StackFile {
        StackFile {
            stack: "demo".into(),
            region: "us-east-1".into(),
            lock: lock.map(str::to_string),
            ..StackFile::default()
        }
    }

    #[test]
    fn the_option_wins_over_the_file_and_local_has_a_default() {
        let opt = LockArgs {
            lock: Some("s3://from-option/p".into()),
            lock_timeout: None,
        };
        let none = LockArgs::default();
        let file = stack(Some("s3://from-file/q"));
        let at = |a: &LockArgs, s: &StackFile, local| {
            location(a, s, local).unwrap().map(|l| l.to_string())
        };
        assert_eq!(
            at(&opt, &file, false).as_deref(),
            Some("s3://from-option/p")
        );
        assert_eq!(at(&none, &file, false).as_deref(), Some("s3://from-file/q"));
        assert_eq!(at(&none, &stack(None), false), None);
        assert_eq!(at(&none, &stack(None), true).as_deref(), Some(LOCAL_LOCK));
        assert_eq!(at(&none, &file, true).as_deref(), Some("s3://from-file/q"));
        let bad = LockArgs {
            lock: Some("locks/x".into()),
            lock_timeout: None,
        };
        let err = location(&bad, &file, false).unwrap_err().to_string();
        assert!(err.starts_with("--lock: "), "{err}");
        let err = location(&none, &stack(Some("s3://Bad/x")), false)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("`lock:` of stack `demo`: "), "{err}");
        assert_eq!(none.timeout(), Duration::from_secs(300));
    }

    #[test]
    fn outcomes_with_a_release() {
        assert_eq!(settle(Ok(2), Ok(())).unwrap(), 2);
        assert!(settle(Ok(0), Err(anyhow::anyhow!("release failed"))).is_err());
        let kept = settle::<i32>(
            Err(anyhow::anyhow!("apply failed")),
            Err(anyhow::anyhow!("x")),
        );
        assert_eq!(kept.unwrap_err().to_string(), "apply failed");
    }
}
