//! Where the locks live: `s3://BUCKET/PREFIX`, one object `PREFIX/<stack>.lock` per stack.

use std::fmt;

/// A lock location, from `--lock` or the stack file's `lock:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockLocation {
    pub bucket: String,
    /// Without leading or trailing `/`; may be empty (objects at the bucket's root).
    pub prefix: String,
}

impl LockLocation {
    /// Parse `s3://BUCKET/PREFIX` (the prefix is optional).
    pub fn parse(text: &str) -> Result<LockLocation, String> {
        let expected = "expected s3://BUCKET/PREFIX, e.g. s3://my-locks/ivstack";
        let rest = text
            .strip_prefix("s3://")
            .ok_or_else(|| format!("`{text}` is not an S3 location: {expected}"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if !is_bucket_name(bucket) {
            return Err(format!(
                "`{bucket}` in `{text}` is not an S3 bucket name (3-63 lowercase letters, digits, \
                 `.` and `-`, starting and ending with a letter or digit): {expected}"
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.contains("//") {
            return Err(format!(
                "`{text}` has an empty path segment (`//`): {expected}"
            ));
        }
        Ok(LockLocation {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    /// The key of `stack`'s lock object: `PREFIX/<stack>.lock`.
    pub fn key(&self, stack: &str) -> String {
        if self.prefix.is_empty() {
            format!("{stack}.lock")
        } else {
            format!("{}/{stack}.lock", self.prefix)
        }
    }

    /// `s3://BUCKET/KEY` of `stack`'s lock object.
    pub fn object_url(&self, stack: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(stack))
    }
}

impl fmt::Display for LockLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// S3's general purpose bucket naming rules, the part a typo breaks (S3 has the last word).
fn is_bucket_name(name: &str) -> bool {
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && edge(name.bytes().next())
        && edge(name.bytes().last())
        && !name.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locations_and_names_objects() {
        let l = LockLocation::parse("s3://my-locks/ivstack/prod/").unwrap();
        assert_eq!(l.bucket, "my-locks");
        assert_eq!(l.prefix, "ivstack/prod");
        assert_eq!(l.key("demo"), "ivstack/prod/demo.lock");
        assert_eq!(l.to_string(), "s3://my-locks/ivstack/prod");
        assert_eq!(l.object_url("demo"), "s3://my-locks/ivstack/prod/demo.lock");
        let root = LockLocation::parse("s3://my-locks").unwrap();
        assert_eq!(root.key("demo"), "demo.lock");
        assert_eq!(root.to_string(), "s3://my-locks");
    }

    #[test]
    fn refuses_what_is_not_a_bucket_location() {
        for bad in [
            "my-locks/x",
            "s3:/my-locks",
            "s3://My_Locks/x",
            "s3://ab",
            "s3://-locks",
            "s3://a..b/x",
            "s3://locks/a//b",
            "https://locks.s3.amazonaws.com/x",
        ] {
            assert!(LockLocation::parse(bad).is_err(), "{bad}");
        }
    }
}
