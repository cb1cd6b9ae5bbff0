//! IAM policy documents: rendering stack-file statements to IAM JSON, canonical form for
//! comparison by meaning, IAM's URL-encoded documents, and size accounting.
//!
//! PLACEHOLDER written by the maintainer so the tree compiles: the stack-file engineer owns
//! this file and replaces it. The planner and apply call exactly these functions, so please
//! keep these signatures (add anything else you like):
//!
//! - `render(policy: &Policy, stage_arn: &dyn Fn(&str) -> String) -> Value`
//! - `canonical(doc: &Value) -> Value` (comparison by meaning: equal meaning => equal value)
//! - `to_pretty(doc: &Value) -> String` (canonical, pretty, for line diffs)
//! - `to_minified(doc: &Value) -> String` (canonical, minified, what is sent to IAM)
//! - `decode(text: &str) -> Result<Value, String>` (IAM's URL-encoded or raw JSON text)
//! - `size_without_whitespace(doc: &Value) -> usize`

use serde_json::{Value, json};

use crate::stack::model::{Effect, Policy};

pub fn render(policy: &Policy, stage_arn: &dyn Fn(&str) -> String) -> Value {
    if let Some(doc) = &policy.document {
        return doc.clone();
    }
    let statements: Vec<Value> = policy
        .statements
        .iter()
        .map(|s| {
            let mut resources: Vec<String> = s.stages.iter().map(|id| stage_arn(id)).collect();
            resources.extend(s.resources.iter().cloned());
            let mut st = json!({
                "Effect": if s.effect == Some(Effect::Deny) { "Deny" } else { "Allow" },
                "Action": s.allow,
                "Resource": resources,
            });
            if let Some(sid) = &s.sid {
                st["Sid"] = json!(sid);
            }
            if !s.conditions.is_empty() {
                st["Condition"] = json!(s.conditions);
            }
            st
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

pub fn canonical(doc: &Value) -> Value {
    doc.clone()
}

pub fn to_pretty(doc: &Value) -> String {
    serde_json::to_string_pretty(&canonical(doc)).unwrap_or_default()
}

pub fn to_minified(doc: &Value) -> String {
    serde_json::to_string(&canonical(doc)).unwrap_or_default()
}

pub fn decode(text: &str) -> Result<Value, String> {
    let t = text.trim();
    let decoded = if t.starts_with('{') {
        t.to_string()
    } else {
        percent_encoding::percent_decode_str(t)
            .decode_utf8()
            .map_err(|e| e.to_string())?
            .into_owned()
    };
    serde_json::from_str(&decoded).map_err(|e| e.to_string())
}

pub fn size_without_whitespace(doc: &Value) -> usize {
    to_minified(doc).chars().filter(|c| !c.is_whitespace()).count()
}
