//! Identity-based policy documents, validated the way IAM does, with IAM's messages.
//!
//! `Version` is optional: a document without one is policy language 2008-10-17, which IAM
//! accepts as it accepts an explicit `"2008-10-17"` (policy variables such as
//! `${aws:username}` are then plain text, which is the evaluator's concern, not a reason to
//! refuse the document).

use serde_json::Value;

use crate::api::ApiError;

fn malformed(msg: &str) -> ApiError {
    ApiError::new(400, "MalformedPolicyDocument", msg)
}

const TOP_ELEMENTS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Validate an identity-based policy document the way IAM does, with IAM's messages.
pub fn validate_policy_document(doc: &str) -> Result<(), ApiError> {
    let syntax = || malformed("Syntax errors in policy.");
    let json: Value = serde_json::from_str(doc).map_err(|_| syntax())?;
    let obj = json.as_object().ok_or_else(syntax)?;
    if obj.keys().any(|k| !TOP_ELEMENTS.contains(&k.as_str())) {
        return Err(syntax());
    }
    match obj.get("Version") {
        None => {}
        Some(Value::String(v)) if v == "2008-10-17" || v == "2012-10-17" => {}
        Some(_) => return Err(syntax()),
    }
    if obj.get("Id").is_some_and(|id| !id.is_string()) {
        return Err(syntax());
    }
    let statements: Vec<&Value> = match obj.get("Statement") {
        Some(Value::Array(a)) if !a.is_empty() => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => return Err(syntax()),
    };
    let string_or_list = |v: &Value| match v {
        Value::String(_) => true,
        Value::Array(a) => a.iter().all(|x| x.is_string() || x.is_null()),
        _ => false,
    };
    for s in &statements {
        let s = s.as_object().ok_or_else(syntax)?;
        if s.keys().any(|k| !STATEMENT_ELEMENTS.contains(&k.as_str()))
            || (s.contains_key("Action") && s.contains_key("NotAction"))
            || (s.contains_key("Resource") && s.contains_key("NotResource"))
        {
            return Err(syntax());
        }
        match s.get("Effect").and_then(Value::as_str) {
            Some(e) if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") => {}
            _ => return Err(syntax()),
        }
        for key in ["Action", "NotAction", "Resource", "NotResource"] {
            if s.get(key).is_some_and(|v| !string_or_list(v)) {
                return Err(syntax());
            }
        }
        if let Some(c) = s.get("Condition") {
            let ok = c.as_object().is_some_and(|ops| {
                ops.values().all(|kv| {
                    kv.as_object().is_some_and(|m| {
                        m.values()
                            .all(|x| x.is_string() || x.is_boolean() || x.is_array())
                    })
                })
            });
            if !ok {
                return Err(syntax());
            }
        }
        if s.get("Sid").is_some_and(|v| !v.is_string()) {
            return Err(syntax());
        }
    }
    let mut sids: Vec<&str> = Vec::new();
    for s in statements
        .iter()
        .filter_map(|s| s.get("Sid").and_then(Value::as_str))
    {
        if !s.is_empty() {
            if sids.contains(&s) {
                return Err(malformed(
                    "Statement IDs (SID) in a single policy must be unique.",
                ));
            }
            sids.push(s);
        }
    }
    let present = |s: &Value, a: &str, b: &str| {
        [a, b].iter().any(|k| match s.get(*k) {
            Some(Value::Array(items)) => !items.is_empty(),
            Some(_) => true,
            None => false,
        })
    };
    if statements
        .iter()
        .any(|s| !present(s, "Action", "NotAction"))
    {
        return Err(malformed("Policy statement must contain actions."));
    }
    for s in &statements {
        for key in ["Action", "NotAction"] {
            let actions: Vec<&str> = match s.get(key) {
                Some(Value::String(a)) => vec![a.as_str()],
                Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            for a in actions {
                let parts: Vec<&str> = a.split(':').collect();
                if parts.len() == 1 && a != "*" {
                    return Err(malformed(
                        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                    ));
                }
                if parts.len() > 2 {
                    return Err(malformed("Actions/Condition can contain only one colon."));
                }
                let vendor = parts[0];
                if vendor != "*"
                    && !vendor
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                {
                    return Err(malformed(&format!("Vendor {vendor} is not valid")));
                }
            }
        }
    }
    if statements
        .iter()
        .any(|s| s.get("Principal").is_some() || s.get("NotPrincipal").is_some())
    {
        return Err(malformed("Policy document should not specify a principal."));
    }
    if statements
        .iter()
        .any(|s| !present(s, "Resource", "NotResource"))
    {
        return Err(malformed("Policy statement must contain resources."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(doc: &str) -> bool {
        validate_policy_document(doc).is_ok()
    }

    fn msg(doc: &str) -> String {
        validate_policy_document(doc).unwrap_err().message
    }

    #[test]
    fn version_2008_10_17_and_no_version_are_accepted() {
        let statement = r#""Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}]"#;
        assert!(ok(&format!("{{{statement}}}")));
        assert!(ok(&format!(r#"{{"Version":"2008-10-17",{statement}}}"#)));
        assert!(ok(&format!(r#"{{"Version":"2012-10-17",{statement}}}"#)));
        // The other checks still apply to old documents.
        assert_eq!(
            msg(r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#),
            "Policy statement must contain actions."
        );
    }

    #[test]
    fn validates_documents() {
        let good = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ivs:GetStage","Resource":"*"}]}"#;
        assert!(ok(good));
        assert!(ok(
            r#"{"Version":"2012-10-17","Statement":{"Sid":"a","Effect":"deny","NotAction":["s3:*"],"NotResource":"arn:aws:s3:::b"}}"#
        ));
        assert_eq!(msg("{"), "Syntax errors in policy.");
        assert_eq!(msg("[]"), "Syntax errors in policy.");
        assert_eq!(
            msg(r#"{"Version":"2012-10-17","Statement":[]}"#),
            "Syntax errors in policy."
        );
        assert_eq!(
            msg(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"a:b","Resource":"*"}]}"#
            ),
            "Syntax errors in policy."
        );
        assert_eq!(
            msg(
                r#"{"Version":"2011-01-01","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#
            ),
            "Syntax errors in policy."
        );
        assert_eq!(
            msg(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#),
            "Policy statement must contain actions."
        );
        assert_eq!(
            msg(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b"}]}"#),
            "Policy statement must contain resources."
        );
        assert_eq!(
            msg(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"getstage","Resource":"*"}]}"#
            ),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        );
        assert_eq!(
            msg(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"a:b","Resource":"*"}]}"#
            ),
            "Policy document should not specify a principal."
        );
        assert_eq!(
            msg(
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Allow","Action":"a:b","Resource":"*"},{"Sid":"x","Effect":"Allow","Action":"a:b","Resource":"*"}]}"#
            ),
            "Statement IDs (SID) in a single policy must be unique."
        );
    }
}
