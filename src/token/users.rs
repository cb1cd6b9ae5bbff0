//! The `--users FILE` list for minting tokens in bulk: one user per line, either a bare
//! user id or a CSV record with the user's own capabilities and attributes.
//!
//! Format (UTF-8; blank lines and lines starting with `#` are skipped; fields are
//! separated by commas, and a field holding a comma or a quote is written in double quotes
//! as in RFC 4180, `"Doe, John"`; spaces around fields are trimmed):
//!
//! ```text
//! user_id[,capabilities[,key=value[,key=value...]]]
//! ```
//!
//! - `user_id`: required, at most 128 characters.
//! - `capabilities`: `PUBLISH`, `SUBSCRIBE` or both, joined with `|`, `+` or a space
//!   (`PUBLISH|SUBSCRIBE`). Empty or absent: the command line's `--capabilities`.
//! - each further field is one attribute `key=value`, merged over the command line's
//!   `--attribute`s (the line wins on the same key).
//!
//! A first line `user_id,capabilities,...` (a header) is skipped. Every error names the
//! file and line.

use std::collections::BTreeMap;
use std::path::Path;

use super::request::{TokenRequest, parse_attribute, parse_capabilities};

/// Largest users file read (a million short lines).
pub const MAX_USERS_FILE_BYTES: usize = 64 * 1024 * 1024;

/// One user of the file, with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLine {
    pub line: u64,
    pub request: TokenRequest,
}

/// Read and parse a users file; `defaults` holds the command line's capabilities,
/// duration and attributes.
pub fn read(path: &Path, defaults: &TokenRequest) -> anyhow::Result<Vec<UserLine>> {
    use crate::stack::load::{Bounded, read_bounded};
    let bytes = match read_bounded(path, MAX_USERS_FILE_BYTES) {
        Ok(Bounded::Complete(b)) => b,
        Ok(Bounded::TooLarge(_)) => anyhow::bail!(
            "{} is larger than {} MiB; split it",
            path.display(),
            MAX_USERS_FILE_BYTES >> 20
        ),
        Err(e) => anyhow::bail!("cannot read the users file {}: {e}", path.display()),
    };
    parse(&path.display().to_string(), &bytes, defaults).map_err(anyhow::Error::msg)
}

/// Parse a users file's bytes; the error is `NAME:LINE: what is wrong`.
pub fn parse(name: &str, bytes: &[u8], defaults: &TokenRequest) -> Result<Vec<UserLine>, String> {
    let mut out = Vec::new();
    let mut first = true;
    // One record per line, so that every error names its line exactly.
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i as u64 + 1;
        let at = |msg: String| format!("{name}:{line}: {msg}");
        let text = std::str::from_utf8(raw).map_err(|_| at("not UTF-8 text".to_string()))?;
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if text.matches('"').count() % 2 == 1 {
            return Err(at("a quote is left open".to_string()));
        }
        let fields = record(text).map_err(at)?;
        let header = first
            && fields
                .first()
                .is_some_and(|f| f.eq_ignore_ascii_case("user_id"));
        first = false;
        if header {
            continue;
        }
        let user = fields.first().map(String::as_str).unwrap_or_default();
        if user.is_empty() {
            return Err(at("the user id (first field) is empty".to_string()));
        }
        let mut request = TokenRequest {
            user_id: Some(user.to_string()),
            ..defaults.clone()
        };
        if let Some(caps) = fields.get(1).filter(|c| !c.is_empty()) {
            request.capabilities = parse_capabilities(caps).map_err(at)?;
        }
        let mut own = BTreeMap::new();
        for field in fields.iter().skip(2).filter(|f| !f.is_empty()) {
            let (k, v) = parse_attribute(field).map_err(at)?;
            if own.insert(k.clone(), v).is_some() {
                return Err(at(format!("attribute `{k}` is given twice")));
            }
        }
        request.attributes.extend(own);
        request.check().map_err(at)?;
        out.push(UserLine { line, request });
    }
    if out.is_empty() {
        return Err(format!("{name}: no users in the file"));
    }
    Ok(out)
}

/// The fields of one CSV line (RFC 4180 quoting), trimmed.
fn record(line: &str) -> Result<Vec<String>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(line.as_bytes());
    match reader.records().next() {
        Some(Ok(r)) => Ok(r.iter().map(str::to_string).collect()),
        Some(Err(e)) => Err(format!("not a valid CSV line: {}", csv_reason(&e))),
        None => Ok(Vec::new()),
    }
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::token::request::{Capability, default_capabilities};

    fn defaults() -> TokenRequest {
        TokenRequest {
            user_id: None,
            capabilities: default_capabilities(),
            duration_minutes: 60,
            attributes: BTreeMap::from([("event".to_string(), "launch".to_string())]),
        }
    }

    fn users(text: &str) -> Result<Vec<UserLine>, String> {
        parse("users.csv", text.as_bytes(), &defaults())
    }

    #[test]
    fn a_plain_list_of_user_ids() {
        let got = users("alice\n\n# viewers\nbob\n  carol  \n").unwrap();
        let ids: Vec<(u64, &str)> = got
            .iter()
            .map(|u| (u.line, u.request.user_id.as_deref().unwrap()))
            .collect();
        assert_eq!(ids, [(1, "alice"), (4, "bob"), (5, "carol")]);
        for u in &got {
            assert_eq!(u.request.capabilities, default_capabilities());
            assert_eq!(u.request.duration_minutes, 60);
            assert_eq!(u.request.attributes["event"], "launch");
        }
    }

    #[test]
    fn csv_with_capabilities_and_attributes() {
        let got = users(
            "user_id,capabilities,attributes\n\
             host-1,PUBLISH|SUBSCRIBE,displayName=Jane Roe,role=host\n\
             viewer-1,subscribe\n\
             \"Doe, John\",,\"displayName=Doe, John\",event=preview\n",
        )
        .unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].line, 2);
        assert_eq!(got[0].request.attributes["role"], "host");
        assert_eq!(got[0].request.attributes["event"], "launch");
        assert_eq!(
            got[1].request.capabilities,
            BTreeSet::from([Capability::Subscribe])
        );
        assert_eq!(got[2].request.user_id.as_deref(), Some("Doe, John"));
        assert_eq!(got[2].request.capabilities, default_capabilities());
        assert_eq!(got[2].request.attributes["displayName"], "Doe, John");
        assert_eq!(
            got[2].request.attributes["event"], "preview",
            "the line wins"
        );
    }

    #[test]
    fn errors_name_the_line() {
        for (text, want) in [
            (
                "alice\nbob,PUBLISHER\n",
                "users.csv:2: unknown capability `PUBLISHER`",
            ),
            (
                "alice\n\ncarol,SUBSCRIBE,nokey\n",
                "users.csv:3: attribute `nokey`",
            ),
            (
                ",SUBSCRIBE\n",
                "users.csv:1: the user id (first field) is empty",
            ),
            (
                "a,SUBSCRIBE,k=1,k=2\n",
                "users.csv:1: attribute `k` is given twice",
            ),
            (
                "ok\n\"unterminated\nnext\n",
                "users.csv:2: a quote is left open",
            ),
            ("# nothing\n\n", "users.csv: no users in the file"),
        ] {
            let err = users(text).unwrap_err();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
        let long = format!("{}\n", "u".repeat(129));
        assert!(
            users(&long)
                .unwrap_err()
                .starts_with("users.csv:1: user id is 129")
        );
        let big = format!("u,SUBSCRIBE,k={}\n", "v".repeat(1100));
        assert!(users(&big).unwrap_err().contains("at most 1024"));
        let bytes = b"alice\nb\xffb\n";
        let err = parse("users.csv", bytes, &defaults()).unwrap_err();
        assert!(err.starts_with("users.csv:2: not UTF-8"), "{err}");
    }
}
