//! Pagination tokens (`nextToken`, `NextToken`, IAM's `Marker`), one implementation for
//! every service.
//!
//! Tokens are opaque to clients: URL-safe base64 (no padding) of `<kind>:<position>`, so
//! they satisfy every model pattern for tokens (`[a-zA-Z0-9+/=_-]*` and looser), and a
//! token of one listing is refused by another (the kind differs). The position is the sort
//! key of the last item returned, so a page stays right when items are added or deleted
//! between calls, or an offset where items have no stable key. What a bad token is answered
//! with differs per service, so callers pass their error.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::api::ApiError;

/// A token for listing `kind` that resumes after `position`.
pub fn encode(kind: &str, position: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{position}"))
}

/// The position in a token of listing `kind`, or `None` for anything else.
pub fn decode(kind: &str, token: &str) -> Option<String> {
    let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(raw).ok()?;
    text.strip_prefix(kind)?
        .strip_prefix(':')
        .map(str::to_string)
}

/// One page of `items` (sorted by their key) after the token's key, at most `max` long,
/// and the token of the next page. `bad_token` answers a token that is not ours.
pub fn by_key<T>(
    items: impl IntoIterator<Item = (String, T)>,
    kind: &str,
    token: Option<&str>,
    max: usize,
    bad_token: impl FnOnce() -> ApiError,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let after = match token {
        Some(t) => Some(decode(kind, t).ok_or_else(bad_token)?),
        None => None,
    };
    let mut rest = items
        .into_iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a));
    let page: Vec<(String, T)> = rest.by_ref().take(max).collect();
    let next = match (rest.next(), page.last()) {
        (Some(_), Some((last, _))) => Some(encode(kind, last)),
        _ => None,
    };
    Ok((page.into_iter().map(|(_, t)| t).collect(), next))
}

/// One page of `items` starting at the offset in the token, and the next token.
pub fn by_offset<T: Clone>(
    items: &[T],
    kind: &str,
    token: Option<&str>,
    max: usize,
    bad_token: impl FnOnce() -> ApiError,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match token {
        None => 0,
        Some(t) => match decode(kind, t).and_then(|p| p.parse::<usize>().ok()) {
            Some(n) if n <= items.len() => n,
            _ => return Err(bad_token()),
        },
    };
    let end = start.saturating_add(max).min(items.len());
    let next = (end < items.len()).then(|| encode(kind, &end.to_string()));
    Ok((items[start..end].to_vec(), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad() -> ApiError {
        ApiError::new(400, "InvalidNextToken", "bad")
    }

    #[test]
    fn tokens_are_kind_checked() {
        let t = encode("stages", "abc/ä");
        assert_eq!(decode("stages", &t).as_deref(), Some("abc/ä"));
        assert_eq!(decode("sessions", &t), None);
        assert_eq!(decode("stages", "!!!"), None);
        assert!(
            t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn pages_by_key_and_by_offset() {
        let items: Vec<(String, u32)> = (0..5).map(|i| (format!("k{i}"), i)).collect();
        let (p1, t1) = by_key(items.clone(), "k", None, 2, bad).unwrap();
        assert_eq!(p1, vec![0, 1]);
        let (p2, t2) = by_key(items.clone(), "k", t1.as_deref(), 2, bad).unwrap();
        assert_eq!(p2, vec![2, 3]);
        let (p3, t3) = by_key(items.clone(), "k", t2.as_deref(), 2, bad).unwrap();
        assert_eq!((p3, t3), (vec![4], None));
        assert_eq!(
            by_key(items, "k", Some("garbage"), 2, bad)
                .unwrap_err()
                .code,
            "InvalidNextToken"
        );

        let items: Vec<u32> = (0..5).collect();
        let (p, t) = by_offset(&items, "n", None, 2, bad).unwrap();
        assert_eq!(p, vec![0, 1]);
        let (p, t) = by_offset(&items, "n", t.as_deref(), 2, bad).unwrap();
        assert_eq!(p, vec![2, 3]);
        let (p, t) = by_offset(&items, "n", t.as_deref(), 2, bad).unwrap();
        assert_eq!((p, t), (vec![4], None));
        assert!(by_offset(&items, "n", Some(&encode("s", "1")), 2, bad).is_err());
        assert!(by_offset(&items, "n", Some(&encode("n", "9")), 2, bad).is_err());
    }
}
