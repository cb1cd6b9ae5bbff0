//! Bucket policies: the checks S3 makes on PutBucketPolicy (valid JSON, the required
//! elements, S3 actions, resources of this bucket), and appending a statement (how another
//! service of the endpoint grants itself access, e.g. IVS recording into a bucket).

use serde_json::Value;

use super::errors::malformed_policy;
use crate::api::ApiError;

/// Check a bucket policy document for `bucket`, with S3's MalformedPolicy messages.
pub fn check(text: &str, bucket: &str) -> Result<(), ApiError> {
    let doc: Value = serde_json::from_str(text)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| {
            malformed_policy("Policies must be valid JSON and the first byte must be '{'")
        })?;
    if let Some(v) = doc.get("Version")
        && !matches!(v.as_str(), Some("2012-10-17" | "2008-10-17"))
    {
        return Err(malformed_policy("Invalid policy version"));
    }
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(items)) if !items.is_empty() => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Err(malformed_policy("Missing required field Statement")),
    };
    for st in statements {
        check_statement(st, bucket)?;
    }
    Ok(())
}

fn check_statement(st: &Value, bucket: &str) -> Result<(), ApiError> {
    let one_of = |a: &str, b: &str| st.get(a).or_else(|| st.get(b));
    match st.get("Effect").and_then(Value::as_str) {
        Some("Allow" | "Deny") => {}
        Some(other) => return Err(malformed_policy(&format!("Invalid effect: {other}"))),
        None => return Err(malformed_policy("Missing required field Effect")),
    }
    if one_of("Principal", "NotPrincipal").is_none() {
        return Err(malformed_policy("Missing required field Principal"));
    }
    let actions = one_of("Action", "NotAction")
        .ok_or_else(|| malformed_policy("Missing required field Action"))?;
    let resources = one_of("Resource", "NotResource")
        .ok_or_else(|| malformed_policy("Missing required field Resource"))?;
    let action_ok = |a: &str| a == "*" || a.to_ascii_lowercase().starts_with("s3:");
    if !strings(actions).is_some_and(|v| !v.is_empty() && v.into_iter().all(action_ok)) {
        return Err(malformed_policy("Policy has invalid action"));
    }
    let arn = format!("arn:aws:s3:::{bucket}");
    let resource_ok = |r: &str| r == arn || r.starts_with(&format!("{arn}/")) || r == "*";
    if !strings(resources).is_some_and(|v| !v.is_empty() && v.into_iter().all(resource_ok)) {
        return Err(malformed_policy("Policy has invalid resource"));
    }
    Ok(())
}

/// A string or a list of strings.
fn strings(v: &Value) -> Option<Vec<&str>> {
    match v {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// `policy` (or a new document) with `statement` added: a statement with the same `Sid`
/// is replaced, an identical one is not added twice.
pub fn with_statement(policy: Option<&str>, statement: Value) -> String {
    let mut doc: Value = policy
        .and_then(|p| serde_json::from_str(p).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| serde_json::json!({"Version": "2012-10-17", "Statement": []}));
    let mut statements = match doc.get_mut("Statement").map(Value::take) {
        Some(Value::Array(items)) => items,
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let sid = statement.get("Sid").cloned();
    match sid
        .as_ref()
        .and_then(|sid| statements.iter().position(|s| s.get("Sid") == Some(sid)))
    {
        Some(i) => statements[i] = statement,
        None if statements.contains(&statement) => {}
        None => statements.push(statement),
    }
    doc["Statement"] = Value::Array(statements);
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"Service":"ivs.amazonaws.com"},"Action":["s3:PutObject"],
        "Resource":"arn:aws:s3:::b/*"}]}"#;

    #[test]
    fn policies_are_checked_like_s3() {
        assert!(check(GOOD, "b").is_ok());
        let msg = |p: &str| check(p, "b").unwrap_err().message;
        assert_eq!(
            msg("[]"),
            "Policies must be valid JSON and the first byte must be '{'"
        );
        assert_eq!(msg("{}"), "Missing required field Statement");
        assert_eq!(
            msg(&GOOD.replace("Allow", "Maybe")),
            "Invalid effect: Maybe"
        );
        assert_eq!(
            msg(&GOOD.replace("\"Principal\"", "\"P\"")),
            "Missing required field Principal"
        );
        assert_eq!(
            msg(&GOOD.replace("s3:PutObject", "ec2:Run")),
            "Policy has invalid action"
        );
        assert_eq!(
            msg(&GOOD.replace(":::b/*", ":::other/*")),
            "Policy has invalid resource"
        );
    }

    #[test]
    fn statements_are_appended_once_and_replaced_by_sid() {
        let st = serde_json::json!({"Sid": "ivs", "Effect": "Allow", "Action": "s3:PutObject"});
        let one = with_statement(None, st.clone());
        assert_eq!(with_statement(Some(&one), st.clone()), one);
        let changed = serde_json::json!({"Sid": "ivs", "Effect": "Deny", "Action": "s3:PutObject"});
        let replaced: Value = serde_json::from_str(&with_statement(Some(&one), changed)).unwrap();
        assert_eq!(replaced["Statement"].as_array().unwrap().len(), 1);
        assert_eq!(replaced["Statement"][0]["Effect"], "Deny");
        let other = serde_json::json!({"Effect": "Allow", "Action": "s3:GetObject"});
        let two: Value = serde_json::from_str(&with_statement(Some(&one), other)).unwrap();
        assert_eq!(two["Statement"].as_array().unwrap().len(), 2);
    }
}
