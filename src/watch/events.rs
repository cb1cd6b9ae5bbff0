//! The controller's JSON lines on standard output: one per change (`"event": "change"`)
//! and one per cycle (`"event": "cycle"`, with a summary of every stack it reconciled),
//! plus `start` and `error` lines. Every line has `ts` (RFC 3339, UTC) and `event`; error
//! texts are redacted. A reader that closes standard output does not stop the controller.

use serde_json::{Map, Value, json};

use crate::cli::output;
use crate::cli::redact::redact;

/// Where event lines go.
#[derive(Clone)]
pub struct Events {
    sink: std::sync::Arc<dyn Fn(&str) + Send + Sync>,
}

impl Events {
    /// Lines to standard output (best effort).
    pub fn stdout() -> Events {
        Events {
            sink: std::sync::Arc::new(|line: &str| output::print_best_effort(line)),
        }
    }

    /// Lines to a function (tests).
    pub fn to(sink: impl Fn(&str) + Send + Sync + 'static) -> Events {
        Events {
            sink: std::sync::Arc::new(sink),
        }
    }

    /// Emit `event` with `fields`, stamped now.
    pub fn emit(&self, event: &str, fields: Value) {
        let mut line = Map::new();
        line.insert("ts".into(), json!(now_rfc3339()));
        line.insert("event".into(), json!(event));
        if let Value::Object(f) = fields {
            line.extend(f);
        }
        let text = redact(&Value::Object(line).to_string()).into_owned();
        (self.sink)(&format!("{text}\n"));
    }
}

/// The wall-clock time, RFC 3339 with milliseconds.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let ms = now.replace_millisecond(now.millisecond()).unwrap_or(now);
    ms.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Seconds since the Unix epoch, for metrics.
pub fn now_unix() -> f64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn lines_are_stamped_json_and_redacted() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l = lines.clone();
        let events = Events::to(move |s| l.lock().unwrap().push(s.to_string()));
        events.emit(
            "change",
            json!({"stack": "s", "error": "bad token eyJhbGciOiJFUzM4NCJ9.eyJleHAiOjE3MDB9.c2lnbmF0dXJl"}),
        );
        let got = lines.lock().unwrap();
        assert!(got[0].ends_with('\n'));
        let v: Value = serde_json::from_str(&got[0]).unwrap();
        assert_eq!(v["event"], "change");
        assert_eq!(v["stack"], "s");
        assert!(
            !v["error"]
                .as_str()
                .unwrap()
                .contains("eyJhbGciOiJFUzM4NCJ9")
        );
        time::OffsetDateTime::parse(
            v["ts"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
    }
}
