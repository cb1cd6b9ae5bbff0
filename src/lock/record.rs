//! What a lock object says: who holds the lock. Written as JSON when the lock is taken,
//! read back to tell a waiting run (and `force-unlock`) who holds it, since when, and
//! doing what.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// The content of a lock object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRecord {
    /// Format version of this record.
    pub ivstack_lock: u32,
    /// Random, unique per acquisition.
    pub id: String,
    pub stack: String,
    /// `apply`, `destroy`, `apply <saved plan>`.
    pub operation: String,
    /// The command line, secrets redacted.
    pub command: String,
    /// `user@host`.
    pub who: String,
    pub host: String,
    pub pid: u32,
    /// When the lock was taken, RFC 3339 UTC.
    pub started: String,
    pub ivstack_version: String,
}

/// Format version of [`LockRecord`].
pub const RECORD_VERSION: u32 = 1;

impl LockRecord {
    /// A record for this process taking `stack`'s lock for `operation`; `command` must
    /// already be free of secrets.
    pub fn for_this_process(stack: &str, operation: &str, command: String) -> LockRecord {
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".to_string());
        LockRecord {
            ivstack_lock: RECORD_VERSION,
            id: hex::encode(rand::random::<[u8; 16]>()),
            stack: stack.to_string(),
            operation: operation.to_string(),
            command,
            who: format!("{user}@{host}"),
            host,
            pid: std::process::id(),
            started: rfc3339(SystemTime::now()),
            ivstack_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        // A struct of strings and numbers always serialises.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }
}

/// Whole seconds, UTC: `2025-01-31T12:00:00Z`.
fn rfc3339(t: SystemTime) -> String {
    use aws_smithy_types::date_time::{DateTime, Format};
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| secs.to_string())
}

/// Who holds a lock, as far as its object says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    Record(LockRecord),
    /// The object is not an ivstack lock record (another tool's, or damaged): still a lock.
    Unreadable {
        bytes: usize,
    },
}

impl Holder {
    pub fn from_bytes(bytes: &[u8]) -> Holder {
        match serde_json::from_slice::<LockRecord>(bytes) {
            Ok(r) => Holder::Record(r),
            Err(_) => Holder::Unreadable { bytes: bytes.len() },
        }
    }

    /// One line: who, since when, which command, and the lock id.
    pub fn describe(&self) -> String {
        match self {
            Holder::Record(r) => format!(
                "{} (pid {}) since {}, running `{}` (lock id {}, ivstack {})",
                r.who, r.pid, r.started, r.command, r.id, r.ivstack_version
            ),
            Holder::Unreadable { bytes } => format!(
                "an unknown holder (the lock object, {bytes} bytes, is not an ivstack lock record)"
            ),
        }
    }

    pub fn id(&self) -> Option<&str> {
        match self {
            Holder::Record(r) => Some(&r.id),
            Holder::Unreadable { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_describe_their_holder() {
        let r = LockRecord::for_this_process("demo", "apply", "ivstack apply x.yaml".into());
        assert_eq!(r.id.len(), 32);
        assert_eq!(r.pid, std::process::id());
        assert!(
            r.started.ends_with('Z') && r.started.len() == 20,
            "{}",
            r.started
        );
        let back = Holder::from_bytes(&r.to_json());
        assert_eq!(back, Holder::Record(r.clone()));
        let line = back.describe();
        assert!(line.contains(&r.who), "{line}");
        assert!(line.contains("`ivstack apply x.yaml`"), "{line}");
        assert!(line.contains(&r.id), "{line}");
        assert_eq!(
            Holder::from_bytes(b"terraform"),
            Holder::Unreadable { bytes: 9 }
        );
        assert_ne!(
            LockRecord::for_this_process("demo", "apply", String::new()).id,
            r.id
        );
    }
}
