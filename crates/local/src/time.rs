//! Timestamps as the AWS protocols write and read them: ISO-8601 (`2026-11-25T12:26:18Z`,
//! with `.250` milliseconds where a service sends them), epoch seconds, and the HTTP date of
//! headers (`Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT`).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Epoch seconds as ISO-8601 UTC: `YYYY-MM-DDTHH:MM:SSZ`, or with `millis` always three
/// fractional digits (`…:20.250Z`, as CloudWatch's awsQuery responses write them).
pub fn iso8601(epoch_seconds: f64, millis: bool) -> String {
    let fallback = if millis {
        "1970-01-01T00:00:00.000Z"
    } else {
        "1970-01-01T00:00:00Z"
    };
    if !epoch_seconds.is_finite() {
        return fallback.to_string();
    }
    let result = if millis {
        let nanos = (epoch_seconds * 1e3).round() as i128 * 1_000_000;
        let fmt = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|t| t.format(&fmt).ok())
    } else {
        let fmt =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        OffsetDateTime::from_unix_timestamp(epoch_seconds.floor() as i64)
            .ok()
            .and_then(|t| t.format(&fmt).ok())
    };
    result.unwrap_or_else(|| fallback.to_string())
}

/// Whole epoch seconds as ISO-8601 without fractional seconds.
pub fn iso8601_secs(epoch_seconds: i64) -> String {
    iso8601(epoch_seconds as f64, false)
}

/// Epoch seconds as an HTTP date (RFC 7231 IMF-fixdate), as S3's `Last-Modified` header.
pub fn http_date(epoch_seconds: f64) -> String {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let secs = if epoch_seconds.is_finite() {
        epoch_seconds.floor() as i64
    } else {
        0
    };
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| "Thu, 01 Jan 1970 00:00:00 GMT".to_string())
}

/// Parse an HTTP date (`Tue, 14 Nov 2023 22:13:20 GMT`) into epoch seconds.
pub fn parse_http_date(s: &str) -> Option<f64> {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let t = time::PrimitiveDateTime::parse(s.trim(), &fmt).ok()?;
    Some(t.assume_utc().unix_timestamp() as f64)
}

/// Parse an ISO-8601 / RFC 3339 timestamp (`2026-11-25T12:26:18Z`, fractions and offsets
/// allowed) into epoch seconds.
pub fn parse_iso8601(s: &str) -> Option<f64> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    Some(t.unix_timestamp_nanos() as f64 / 1e9)
}

/// A timestamp as sent in a text protocol: ISO-8601, or epoch seconds as a number.
pub fn parse_text(s: &str) -> Option<f64> {
    let s = s.trim();
    parse_iso8601(s).or_else(|| s.parse::<f64>().ok().filter(|f| f.is_finite()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_and_without_millis() {
        assert_eq!(iso8601(0.0, false), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_secs(1_764_073_578), "2025-11-25T12:26:18Z");
        assert_eq!(iso8601(1_700_000_000.25, true), "2023-11-14T22:13:20.250Z");
        assert_eq!(iso8601(1_700_000_000.0, true), "2023-11-14T22:13:20.000Z");
        assert_eq!(iso8601(f64::NAN, false), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn http_dates() {
        assert_eq!(http_date(1_700_000_000.7), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(http_date(0.0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            parse_http_date("Tue, 14 Nov 2023 22:13:20 GMT"),
            Some(1_700_000_000.0)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn parses_iso_and_epoch_text() {
        assert_eq!(parse_text("2023-11-14T22:13:20Z"), Some(1_700_000_000.0));
        assert_eq!(parse_text("2023-11-14T22:13:20.5Z"), Some(1_700_000_000.5));
        assert_eq!(parse_text("1700000000"), Some(1_700_000_000.0));
        assert_eq!(parse_text("yesterday"), None);
    }
}
