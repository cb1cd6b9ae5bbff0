//! The endpoint's state: in memory behind a mutex, optionally persisted to a JSON file.
//!
//! Persistence rules (also used by `ivstack --local`):
//! - a missing file starts empty;
//! - a file larger than [`MAX_STATE_BYTES`] is refused before it is read (a wrong
//!   `--state` path, e.g. a video file, must not exhaust memory);
//! - a file that is not ours (no `format: ivstack-local-state`), is corrupt, or has a newer
//!   `version` is reported with its path and the problem, and never overwritten;
//! - writes are atomic (temp file in the same directory, fsync, rename) so a crash leaves
//!   either the old or the new state;
//! - an exclusive advisory lock on `FILE.lock` is held for the life of the store, so a
//!   second process using the same file refuses to start instead of losing writes;
//! - a process killed during a write leaves its temp file `.FILE.tmp-<pid>` behind: once
//!   the lock is ours, no other process can be writing this state file, so such files are
//!   stale and are removed (only files of exactly that name pattern, in the same directory).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::state::{LocalState, STATE_FORMAT, STATE_VERSION};

/// The largest state file read: 256 MiB, far above what any emulated account needs (a
/// thousand stages with their sessions are a few MiB).
pub const MAX_STATE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read state file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "state file {path} is larger than {} MiB ({size} bytes); it is not a state file ivstack wrote: check the --state path, refusing to use or overwrite it",
        MAX_STATE_BYTES / (1024 * 1024)
    )]
    TooLarge { path: PathBuf, size: u64 },
    #[error("state file {path} is not valid JSON ({source}); refusing to use or overwrite it")]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "state file {path} is not an ivstack local state file (expected \"format\": \"{STATE_FORMAT}\", found {found}); refusing to use or overwrite it"
    )]
    Foreign { path: PathBuf, found: String },
    #[error(
        "state file {path} has version {found}, newer than this ivstack understands ({STATE_VERSION}); upgrade ivstack or use another file"
    )]
    TooNew { path: PathBuf, found: u64 },
    #[error(
        "state file {path} has an unreadable layout: {source}; refusing to use or overwrite it"
    )]
    Layout {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "state file {path} is in use by another process (lock {lock} is held); stop it or use another --state file"
    )]
    Locked { path: PathBuf, lock: PathBuf },
    #[error("cannot lock {lock}: {source}")]
    Lock {
        lock: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write state file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Read and check a state file without locking it. `Ok(None)` if it does not exist.
pub fn load(path: &Path) -> Result<Option<LocalState>, StoreError> {
    let read_error = |source| StoreError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(read_error(source)),
    };
    let too_large = |size| StoreError::TooLarge {
        path: path.to_path_buf(),
        size,
    };
    let size = file.metadata().map_err(read_error)?.len();
    if size > MAX_STATE_BYTES {
        return Err(too_large(size));
    }
    // Bounded also while reading: the file may grow after the size check.
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_STATE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|source| StoreError::Corrupt {
            path: path.to_path_buf(),
            source,
        })?;
    let format = value.get("format");
    if format.and_then(|f| f.as_str()) != Some(STATE_FORMAT) {
        return Err(StoreError::Foreign {
            path: path.to_path_buf(),
            found: match format {
                None => "no \"format\" field".to_string(),
                Some(f) => format!("\"format\": {f}"),
            },
        });
    }
    let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
    if version > u64::from(STATE_VERSION) {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
        });
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|source| StoreError::Layout {
            path: path.to_path_buf(),
            source,
        })
}

/// Write `state` to `path` atomically: temp file in the same directory, fsync, rename.
pub fn save_atomic(path: &Path, state: &LocalState) -> Result<(), StoreError> {
    let err = |source| StoreError::Write {
        path: path.to_path_buf(),
        source,
    };
    let json =
        serde_json::to_vec_pretty(state).map_err(|e| err(std::io::Error::other(e.to_string())))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_string());
    let tmp = dir.join(format!("{}{}", temp_prefix(&file_name), std::process::id()));
    {
        let mut f = File::create(&tmp).map_err(err)?;
        f.write_all(&json).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    // Make the rename itself durable; failure here is not worth failing the request for.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

struct Persist {
    path: PathBuf,
    // Held (and so locked) for the life of the store; the lock drops with the file.
    _lock: File,
}

/// Shared state plus optional persistence.
pub struct Store {
    state: Mutex<LocalState>,
    persist: Option<Persist>,
}

impl Store {
    /// A store that lives only in memory.
    pub fn in_memory(state: LocalState) -> Store {
        Store {
            state: Mutex::new(state),
            persist: None,
        }
    }

    /// Open (lock, then load) a persisted store. A missing file starts empty and is created
    /// on the first mutation.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let lock_path = lock_path(path);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| StoreError::Lock {
                lock: lock_path.clone(),
                source,
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    path: path.to_path_buf(),
                    lock: lock_path,
                });
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(StoreError::Lock {
                    lock: lock_path,
                    source,
                });
            }
        }
        remove_stale_temp_files(path);
        let state = load(path)?.unwrap_or_default();
        Ok(Store {
            state: Mutex::new(state),
            persist: Some(Persist {
                path: path.to_path_buf(),
                _lock: lock,
            }),
        })
    }

    /// Lock the state. A poisoned mutex (a handler panicked) still holds consistent data
    /// because handlers validate before mutating, so we keep serving.
    pub fn lock(&self) -> MutexGuard<'_, LocalState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The file this store persists to, if any.
    pub fn path(&self) -> Option<&Path> {
        self.persist.as_ref().map(|p| p.path.as_path())
    }

    /// Persist `state` (call with the guard from [`Store::lock`] still held so that writes
    /// are ordered). A no-op for in-memory stores.
    pub fn save(&self, state: &LocalState) -> Result<(), StoreError> {
        match &self.persist {
            Some(p) => save_atomic(&p.path, state),
            None => Ok(()),
        }
    }
}

/// Temp files of `FILE` are `.FILE.tmp-<pid>`.
fn temp_prefix(file_name: &str) -> String {
    format!(".{file_name}.tmp-")
}

/// Remove the temp files a killed writer of `path` left behind. Call only while holding
/// the state file's lock: then no live process can be writing any of them.
fn remove_stale_temp_files(path: &Path) {
    let Some(file_name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let prefix = temp_prefix(&file_name);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let ours = !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit());
        if ours && entry.file_type().is_ok_and(|t| t.is_file()) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::warn!(
                    "removed {}, left by an interrupted write of {}",
                    entry.path().display(),
                    path.display()
                ),
                Err(e) => tracing::warn!("cannot remove {}: {e}", entry.path().display()),
            }
        }
    }
}

/// The sidecar lock file of a state file: `FILE.lock`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(".lock");
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 8, defect 9: temp files of a killed writer go when the store opens, and only
    /// those: other files, other state files' temp files and names that merely look alike
    /// stay.
    #[test]
    fn stale_temp_files_are_removed_on_open_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        save_atomic(&path, &LocalState::default()).unwrap();
        let stale = [".state.json.tmp-4242", ".state.json.tmp-1"];
        let kept = [
            ".state.json.tmp-",
            ".state.json.tmp-12x",
            ".other.json.tmp-4242",
            "state.json.tmp-4242",
            "notes.txt",
        ];
        for name in stale.iter().chain(&kept) {
            std::fs::write(dir.path().join(name), "partial").unwrap();
        }
        std::fs::create_dir(dir.path().join(".state.json.tmp-77")).unwrap();

        let store = Store::open(&path).unwrap();
        for name in stale {
            assert!(!dir.path().join(name).exists(), "{name} was left");
        }
        for name in kept {
            assert!(dir.path().join(name).exists(), "{name} was removed");
        }
        assert!(dir.path().join(".state.json.tmp-77").is_dir());
        // The state itself is intact and still written atomically.
        store.save(&store.lock()).unwrap();
        assert!(load(&path).unwrap().is_some());
    }

    /// A file past the size bound is refused with its path and size, unread (a sparse file
    /// here, so the test costs no disk), and left as it is.
    #[test]
    fn oversized_state_files_are_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        File::create(&path)
            .unwrap()
            .set_len(MAX_STATE_BYTES + 1)
            .unwrap();
        let err = Store::open(&path).err().expect("refused");
        assert!(matches!(err, StoreError::TooLarge { size, .. } if size == MAX_STATE_BYTES + 1));
        let msg = err.to_string();
        assert!(
            msg.contains("state.json") && msg.contains("256 MiB"),
            "{msg}"
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), MAX_STATE_BYTES + 1);
    }

    /// A second opener that does not get the lock touches nothing: the temp file may be
    /// the live write of the process holding it.
    #[test]
    fn temp_files_of_a_locked_state_file_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let first = Store::open(&path).unwrap();
        let live = dir.path().join(".state.json.tmp-99999");
        std::fs::write(&live, "being written").unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::Locked { .. })));
        assert!(live.exists());
        drop(first);
        let _second = Store::open(&path).unwrap();
        assert!(!live.exists());
    }
}
