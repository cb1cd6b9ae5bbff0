//! A lock per stack, so that two runs never change one stack at once (two merges racing,
//! a scheduled drift repair during a merge): an S3 object `PREFIX/<stack>.lock` written
//! with a conditional `PutObject` (`If-None-Match: *`), the mechanism Terraform's S3
//! backend uses for its lock file. S3 lets exactly one such write of a key succeed; the
//! others get 412 and wait (polling with backoff) until it is gone or their time is up.
//!
//! The object records who holds the lock ([`record::LockRecord`]). Release deletes it with
//! `If-Match` of the ETag we wrote, so a run never deletes a lock that is not its own (after
//! a `force-unlock`, another run may hold a new one).
//!
//! - `location` — `s3://BUCKET/PREFIX`;
//! - `record` — the lock object's content, and describing its holder;
//! - `store` — the S3 calls;
//! - here — taking the lock, waiting for it, and the backoff between attempts.
//!
//! The command-line side (options, messages, `force-unlock`) is `cli::lock`.

pub mod location;
pub mod record;
pub mod store;

use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use location::LockLocation;
pub use record::{Holder, LockRecord};
pub use store::{LockStore, Release, Take};

use crate::aws::AwsError;

/// The pause before the first retry; each later one is half as long again, up to
/// [`MAX_DELAY`].
pub const FIRST_DELAY: Duration = Duration::from_millis(250);
/// The longest pause between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(5);

/// The pauses between attempts: 250 ms, 375 ms, … growing by half up to 5 s, then 5 s.
pub fn backoff() -> impl Iterator<Item = Duration> {
    std::iter::successors(Some(FIRST_DELAY), |d| Some(d.mul_f64(1.5).min(MAX_DELAY)))
}

/// A lock this run holds.
pub struct Held {
    store: LockStore,
    etag: String,
    pub record: LockRecord,
}

impl Held {
    /// Where the lock object is.
    pub fn object_url(&self) -> String {
        self.store.location.object_url(&self.record.stack)
    }

    /// Delete the lock object, if it is still ours.
    pub async fn release(mut self) -> Result<Release, AwsError> {
        self.store.release(&self.record.stack, &self.etag).await
    }
}

/// How waiting for a lock ended.
pub enum Waited {
    Acquired(Box<Held>),
    /// The time was up; the holder at the last look (unknown if it could not be read).
    TimedOut {
        holder: Option<Holder>,
    },
    /// The run was stopped (Ctrl-C, `--timeout`) while waiting.
    Stopped,
}

/// Take `record.stack`'s lock, waiting up to `timeout` while someone else holds it (zero:
/// one attempt). `on_wait` is told each new holder seen; `stop` ends the wait.
pub async fn acquire(
    mut store: LockStore,
    record: LockRecord,
    timeout: Duration,
    stop: &CancellationToken,
    mut on_wait: impl FnMut(&Holder),
) -> Result<Waited, AwsError> {
    let body = record.to_json();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delays = backoff();
    let mut holder: Option<Holder> = None;
    loop {
        if stop.is_cancelled() {
            return Ok(Waited::Stopped);
        }
        match store.take(&record.stack, &body).await? {
            Take::Taken { etag } => {
                return Ok(Waited::Acquired(Box::new(Held {
                    store,
                    etag,
                    record,
                })));
            }
            // A conflicting write is in flight: its outcome decides; look again shortly.
            Take::Conflict => {}
            Take::Held => match store.holder(&record.stack).await? {
                // Released in between: try again at once.
                None => continue,
                Some((now, _)) => {
                    if holder.as_ref() != Some(&now) {
                        on_wait(&now);
                    }
                    holder = Some(now);
                }
            },
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Ok(Waited::TimedOut { holder });
        }
        let pause = delays.next().unwrap_or(MAX_DELAY).min(left);
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = stop.cancelled() => return Ok(Waited::Stopped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_by_half_up_to_five_seconds() {
        let d: Vec<u128> = backoff().take(9).map(|d| d.as_millis()).collect();
        assert_eq!(d, [250, 375, 562, 843, 1265, 1898, 2847, 4271, 5000]);
        assert!(backoff().take(1000).all(|d| d <= MAX_DELAY));
    }
}
