//! IAM's input shapes, from the service model (botocore `iam/2010-05-08`), with the
//! model's Java patterns decided by hand.

use crate::shape::{Pattern, Shape, enumeration, int, list, member, pattern, required, string};

/// `[\w+=,.@-]+` (Java `\w` is ASCII letters, digits and `_`).
pub fn is_policy_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// `((/[A-Za-z0-9\.,\+@=_-]+)*)/`: starts and ends with `/`, no empty segments.
pub fn is_policy_path(s: &str) -> bool {
    if s == "/" {
        return true;
    }
    let Some(inner) = s.strip_prefix('/').and_then(|r| r.strip_suffix('/')) else {
        return false;
    };
    inner.split('/').all(|seg| {
        !seg.is_empty()
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".,+@=_-".contains(c))
    })
}

/// `[\u0009\u000A\u000D\u0020-\u00FF]+`.
fn is_policy_charset(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{ff}'))
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`.
pub fn is_tag_text(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_alphanumeric()
            || c == ' '
            || c.is_whitespace() && !c.is_control()
            || "_.:/=+-@".contains(c)
    })
}

/// `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`.
pub fn is_version_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let (num, suffix) = match rest.split_once('.') {
        Some((n, sfx)) => (n, Some(sfx)),
        None => (rest, None),
    };
    !num.is_empty()
        && !num.starts_with('0')
        && num.chars().all(|c| c.is_ascii_digit())
        && suffix.is_none_or(|sfx| sfx.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

static POLICY_NAME: Shape = pattern(
    1,
    Some(128),
    Pattern {
        regex: r"[\w+=,.@-]+",
        test: is_policy_name,
    },
);
static POLICY_PATH: Shape = pattern(
    1,
    Some(512),
    Pattern {
        regex: r"((/[A-Za-z0-9\.,\+@=_-]+)*)/",
        test: is_policy_path,
    },
);
static POLICY_DOCUMENT: Shape = pattern(
    1,
    Some(131_072),
    Pattern {
        regex: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
        test: is_policy_charset,
    },
);
static DESCRIPTION: Shape = string(0, 1000);
static ARN: Shape = string(20, 2048);
static VERSION_ID: Shape = pattern(
    0,
    None,
    Pattern {
        regex: r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?",
        test: is_version_id,
    },
);
static TAG_KEY: Shape = pattern(
    1,
    Some(128),
    Pattern {
        regex: r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+",
        test: |s| !s.is_empty() && is_tag_text(s),
    },
);
static TAG_VALUE: Shape = pattern(
    0,
    Some(256),
    Pattern {
        regex: r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*",
        test: is_tag_text,
    },
);
static TAG: Shape = Shape::Struct(&[required("Key", &TAG_KEY), required("Value", &TAG_VALUE)]);
static TAGS: Shape = list(&TAG, 0, Some(50));
static TAG_KEYS: Shape = list(&TAG_KEY, 0, Some(50));
static MARKER: Shape = pattern(
    1,
    Some(320),
    Pattern {
        regex: r"[\u0020-\u00FF]+",
        test: |s| !s.is_empty() && s.chars().all(|c| ('\u{20}'..='\u{ff}').contains(&c)),
    },
);
static MAX_ITEMS: Shape = int(Some(1), Some(1000));
static SCOPE: Shape = enumeration(&["All", "AWS", "Local"]);
static USAGE: Shape = enumeration(&["PermissionsPolicy", "PermissionsBoundary"]);
static BOOL: Shape = Shape::Bool;

pub static CREATE_POLICY: Shape = Shape::Struct(&[
    required("PolicyName", &POLICY_NAME),
    member("Path", &POLICY_PATH),
    required("PolicyDocument", &POLICY_DOCUMENT),
    member("Description", &DESCRIPTION),
    member("Tags", &TAGS),
]);
pub static POLICY_ARN: Shape = Shape::Struct(&[required("PolicyArn", &ARN)]);
pub static LIST_POLICIES: Shape = Shape::Struct(&[
    member("Scope", &SCOPE),
    member("OnlyAttached", &BOOL),
    member("PathPrefix", &POLICY_PATH),
    member("PolicyUsageFilter", &USAGE),
    member("Marker", &MARKER),
    member("MaxItems", &MAX_ITEMS),
]);
pub static CREATE_POLICY_VERSION: Shape = Shape::Struct(&[
    required("PolicyArn", &ARN),
    required("PolicyDocument", &POLICY_DOCUMENT),
    member("SetAsDefault", &BOOL),
]);
/// ListPolicyVersions and ListPolicyTags.
pub static LIST_FOR_POLICY: Shape = Shape::Struct(&[
    required("PolicyArn", &ARN),
    member("Marker", &MARKER),
    member("MaxItems", &MAX_ITEMS),
]);
/// GetPolicyVersion, SetDefaultPolicyVersion, DeletePolicyVersion.
pub static POLICY_VERSION: Shape = Shape::Struct(&[
    required("PolicyArn", &ARN),
    required("VersionId", &VERSION_ID),
]);
pub static TAG_POLICY: Shape =
    Shape::Struct(&[required("PolicyArn", &ARN), required("Tags", &TAGS)]);
pub static UNTAG_POLICY: Shape =
    Shape::Struct(&[required("PolicyArn", &ARN), required("TagKeys", &TAG_KEYS)]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_path_patterns() {
        assert!(is_policy_name("ivs-demo_1+=,.@"));
        assert!(!is_policy_name("bad name"));
        assert!(!is_policy_name("bad/name"));
        assert!(is_policy_path("/"));
        assert!(is_policy_path("/ivs-iac/demo/"));
        assert!(!is_policy_path("//"));
        assert!(!is_policy_path("/a"));
        assert!(!is_policy_path("a/"));
        assert!(!is_policy_path("/a*/"));
        assert!(is_version_id("v1"));
        assert!(is_version_id("v12.abc-1"));
        assert!(!is_version_id("v0"));
        assert!(!is_version_id("1"));
        assert!(is_tag_text("Cost Center:é/=+-@_."));
        assert!(!is_tag_text("a*b"));
    }
}
