//! IAM policy documents: rendering stack-file statements to IAM JSON, a canonical form for
//! comparison by meaning, decoding IAM's URL-encoded documents, and size accounting.
//!
//! The planner, apply and lint share this module, so "are these two policies the same?"
//! has exactly one answer. The canonical form is itself a valid IAM document; it is what we
//! send (minified, deterministic) and what we diff (pretty).
//!
//! Equivalences applied (each has a golden test below):
//! - a bare string equals a one-element list for `Action`, `NotAction`, `Resource`,
//!   `NotResource`, principal values and condition values;
//! - those lists are sets: order and duplicates do not matter;
//! - `Statement` is an unordered multiset, and a single statement object equals a
//!   one-element list;
//! - an empty `Sid` is the same as none; `Effect` is case-insensitive;
//! - a missing `Version` is `2012-10-17`;
//! - `"Principal": "*"` equals `{"AWS": "*"}`, and a 12-digit account id principal equals
//!   `arn:aws:iam::<id>:root`;
//! - boolean and number condition values equal their string forms (IAM compares strings).
//!
//! Deliberately NOT equivalent: different effects, actions, resources, principals,
//! conditions, `Sid`s or `Version`s. Action names keep their case: IAM matches them
//! case-insensitively, but rewriting what the user wrote would show up in every diff.

use serde_json::{Map, Value, json};

use super::Kind;
use crate::stack::model::{Effect, Policy};

/// The policy language version every rendered document uses.
pub const VERSION: &str = "2012-10-17";

/// Render a policy to an IAM document. Resources named by logical id (`stages: [main]`)
/// become ARNs through `arn` (the planner passes placeholders such as
/// `${stages.main.arn}` for resources not yet created), kind by kind in registry order,
/// then the raw `resources`. A raw `document` is returned as written; canonicalise before
/// comparing.
pub fn render(policy: &Policy, arn: &dyn Fn(Kind, &str) -> String) -> Value {
    if let Some(doc) = &policy.document {
        return doc.clone();
    }
    let statements: Vec<Value> = policy
        .statements
        .iter()
        .map(|s| {
            let mut st = Map::new();
            if let Some(sid) = s.sid.as_ref().filter(|x| !x.is_empty()) {
                st.insert("Sid".into(), json!(sid));
            }
            let effect = match s.effect {
                Some(Effect::Deny) => "Deny",
                _ => "Allow",
            };
            st.insert("Effect".into(), json!(effect));
            st.insert("Action".into(), json!(s.allow));
            let mut resources: Vec<String> = s
                .ids
                .iter()
                .flat_map(|(kind, ids)| ids.iter().map(|id| arn(*kind, id)))
                .collect();
            resources.extend(s.resources.iter().cloned());
            st.insert("Resource".into(), json!(resources));
            if !s.conditions.is_empty() {
                let cond: Map<String, Value> = s
                    .conditions
                    .iter()
                    .map(|(op, keys)| {
                        let inner: Map<String, Value> = keys
                            .iter()
                            .map(|(k, v)| (k.clone(), json!(v.values())))
                            .collect();
                        (op.clone(), Value::Object(inner))
                    })
                    .collect();
                st.insert("Condition".into(), Value::Object(cond));
            }
            Value::Object(st)
        })
        .collect();
    json!({"Version": VERSION, "Statement": statements})
}

/// The canonical form of a document: equal meaning gives an equal value (see the module
/// docs for the rules). Anything that is not a policy document is returned unchanged.
pub fn canonical(doc: &Value) -> Value {
    let Value::Object(obj) = doc else {
        return doc.clone();
    };
    let mut out = Map::new();
    for (k, v) in obj {
        match k.as_str() {
            "Statement" => {
                let list: Vec<&Value> = match v {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                let mut statements: Vec<Value> =
                    list.into_iter().map(canonical_statement).collect();
                // Order-free multiset: sort by the canonical text of each statement.
                statements.sort_by_cached_key(|s| serde_json::to_string(s).unwrap_or_default());
                out.insert(k.clone(), Value::Array(statements));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out.entry("Version")
        .or_insert_with(|| Value::String(VERSION.into()));
    Value::Object(out)
}

fn canonical_statement(st: &Value) -> Value {
    let Value::Object(obj) = st else {
        return st.clone();
    };
    let mut out = Map::new();
    for (k, v) in obj {
        match k.as_str() {
            "Sid" if v.as_str() == Some("") => {}
            "Effect" => {
                let e = match v.as_str().map(str::to_ascii_lowercase).as_deref() {
                    Some("allow") => json!("Allow"),
                    Some("deny") => json!("Deny"),
                    _ => v.clone(),
                };
                out.insert(k.clone(), e);
            }
            "Action" | "NotAction" | "Resource" | "NotResource" => {
                out.insert(k.clone(), string_set(v));
            }
            "Principal" | "NotPrincipal" => {
                out.insert(k.clone(), canonical_principal(v));
            }
            "Condition" => {
                out.insert(k.clone(), canonical_condition(v));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// A string or list of strings as a sorted, de-duplicated list. Non-string scalars become
/// their string form (IAM compares strings); other shapes are kept as they are.
fn string_set(v: &Value) -> Value {
    let items: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::String(s) => out.push(s.clone()),
            Value::Bool(b) => out.push(b.to_string()),
            Value::Number(n) => out.push(n.to_string()),
            _ => return v.clone(),
        }
    }
    out.sort();
    out.dedup();
    json!(out)
}

fn canonical_principal(v: &Value) -> Value {
    match v {
        Value::String(s) if s == "*" => json!("*"),
        Value::Object(map) => {
            // {"AWS": "*"} and "*" mean the same: everyone.
            if map.len() == 1
                && let Some(aws) = map.get("AWS")
                && string_set(aws) == json!(["*"])
            {
                return json!("*");
            }
            let mut out = Map::new();
            for (k, vals) in map {
                let set = if k == "AWS" {
                    match string_set(vals) {
                        Value::Array(items) => {
                            let mut ids: Vec<String> = items
                                .iter()
                                .filter_map(Value::as_str)
                                .map(account_root)
                                .collect();
                            ids.sort();
                            ids.dedup();
                            json!(ids)
                        }
                        other => other,
                    }
                } else {
                    string_set(vals)
                };
                out.insert(k.clone(), set);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// IAM stores a bare account id principal as the account's root ARN.
fn account_root(p: &str) -> String {
    if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
        format!("arn:aws:iam::{p}:root")
    } else {
        p.to_string()
    }
}

fn canonical_condition(v: &Value) -> Value {
    let Value::Object(ops) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    for (op, keys) in ops {
        let inner = match keys {
            Value::Object(keys) => Value::Object(
                keys.iter()
                    .map(|(k, vals)| (k.clone(), string_set(vals)))
                    .collect(),
            ),
            other => other.clone(),
        };
        out.insert(op.clone(), inner);
    }
    Value::Object(out)
}

/// Whether two documents mean the same.
pub fn equivalent(a: &Value, b: &Value) -> bool {
    canonical(a) == canonical(b)
}

/// Canonical, pretty JSON for line diffs (stable key order, two-space indent).
pub fn to_pretty(doc: &Value) -> String {
    serde_json::to_string_pretty(&canonical(doc)).unwrap_or_default()
}

/// Canonical, minified JSON: what is sent to IAM. Deterministic, so equal meaning gives
/// equal bytes.
pub fn to_minified(doc: &Value) -> String {
    serde_json::to_string(&canonical(doc)).unwrap_or_default()
}

/// Decode a document as IAM returns it. IAM percent-encodes documents (RFC 3986); some
/// implementations (moto's GetPolicyVersion) return raw JSON. Rule: if the trimmed text
/// starts with `{` it is JSON already, otherwise percent-decode it. `+` is never turned into
/// a space (that is form encoding, not what IAM does, and `+` is legal in ARNs).
pub fn decode(text: &str) -> Result<Value, String> {
    let t = text.trim();
    let decoded = if t.starts_with('{') {
        t.to_string()
    } else {
        percent_encoding::percent_decode_str(t)
            .decode_utf8()
            .map_err(|e| format!("policy document is not UTF-8 after percent-decoding: {e}"))?
            .into_owned()
    };
    let value: Value = serde_json::from_str(&decoded)
        .map_err(|e| format!("policy document is not valid JSON: {e}"))?;
    if !value.is_object() {
        return Err("policy document is not a JSON object".to_string());
    }
    Ok(value)
}

/// Every `Resource` and `NotResource` string of a document (ARNs, `*`, patterns).
pub fn resource_strings(doc: &Value) -> Vec<String> {
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for st in statements {
        for key in ["Resource", "NotResource"] {
            match st.get(key) {
                Some(Value::String(s)) => out.push(s.clone()),
                Some(Value::Array(items)) => {
                    out.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
                }
                _ => {}
            }
        }
    }
    out
}

/// Size as IAM counts it against its limits: characters of the minified canonical JSON,
/// whitespace not counted.
pub fn size_without_whitespace(doc: &Value) -> usize {
    to_minified(doc)
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::model::{Statement, StringOrList};
    use std::collections::BTreeMap;

    fn j(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    /// Pairs that must compare equal, each named after the rule it proves.
    const EQUAL: &[(&str, &str, &str)] = &[
        (
            "string vs one-element list (Action/Resource)",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ivs:GetStage","Resource":"arn:aws:ivs:us-east-1:123456789012:stage/abc"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ivs:GetStage"],"Resource":["arn:aws:ivs:us-east-1:123456789012:stage/abc"]}]}"#,
        ),
        (
            "NotAction and NotResource as sets",
            r#"{"Statement":[{"Effect":"Deny","NotAction":["b:B","a:A","a:A"],"NotResource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","NotAction":["a:A","b:B"],"NotResource":["*"]}]}"#,
        ),
        (
            "action order and duplicates",
            r#"{"Statement":[{"Effect":"Allow","Action":["ivs:GetStage","ivs:CreateParticipantToken","ivs:GetStage"],"Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":["ivs:CreateParticipantToken","ivs:GetStage"],"Resource":"*"}]}"#,
        ),
        (
            "statement order",
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"},{"Effect":"Deny","Action":"b:B","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Action":"b:B","Resource":"*"},{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
        ),
        (
            "single statement object vs list",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a:A","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
        ),
        (
            "empty Sid dropped",
            r#"{"Statement":[{"Sid":"","Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
        ),
        (
            "Effect case-insensitive",
            r#"{"Statement":[{"Effect":"allow","Action":"a:A","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
        ),
        (
            "Version defaulted",
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
        ),
        (
            "condition values: string vs list, order, bool vs string",
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":["b","a"]},"Bool":{"aws:SecureTransport":true}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:ResourceTag/team":["a","b","a"]}}}]}"#,
        ),
        (
            "principal: string vs list, account id vs root ARN, order",
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":["123456789012","arn:aws:iam::111122223333:role/x"],"Service":"ec2.amazonaws.com"}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ec2.amazonaws.com"],"AWS":["arn:aws:iam::111122223333:role/x","arn:aws:iam::123456789012:root"]}}]}"#,
        ),
        (
            "principal * vs {AWS: *}",
            r#"{"Statement":[{"Effect":"Deny","Action":"a:A","Resource":"*","Principal":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Action":"a:A","Resource":"*","Principal":{"AWS":["*"]}}]}"#,
        ),
        (
            "key order and whitespace",
            "{ \"Statement\" : [ { \"Resource\":\"*\", \"Action\":\"a:A\", \"Effect\":\"Allow\" } ], \"Version\":\"2012-10-17\" }",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
        ),
    ];

    /// Pairs that must NOT compare equal: canonicalisation must never hide a real change.
    const DIFFERENT: &[(&str, &str, &str)] = &[
        (
            "Allow vs Deny",
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Action":"a:A","Resource":"*"}]}"#,
        ),
        (
            "different resource",
            r#"{"Statement":[{"Effect":"Allow","Action":"ivs:GetStage","Resource":"arn:aws:ivs:us-east-1:123456789012:stage/abc"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"ivs:GetStage","Resource":"arn:aws:ivs:us-east-1:123456789012:stage/abd"}]}"#,
        ),
        (
            "extra action",
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":["a:A","a:B"],"Resource":"*"}]}"#,
        ),
        (
            "Action vs NotAction",
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","NotAction":"a:A","Resource":"*"}]}"#,
        ),
        (
            "different condition value",
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*","Condition":{"StringEquals":{"k":"a"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*","Condition":{"StringEquals":{"k":"b"}}}]}"#,
        ),
        (
            "condition removed",
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*","Condition":{"StringEquals":{"k":"a"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
        ),
        (
            "non-empty Sid differs",
            r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
            r#"{"Statement":[{"Sid":"B","Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
        ),
        (
            "old Version",
            r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
        ),
        (
            "a statement more (multiset, not set)",
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"},{"Effect":"Deny","Action":"a:A","Resource":"*"}]}"#,
        ),
        (
            "principal differs",
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Principal":{"AWS":"123456789012"}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"a:A","Principal":{"AWS":"210987654321"}}]}"#,
        ),
    ];

    #[test]
    fn equivalent_pairs() {
        for (name, a, b) in EQUAL {
            let (a, b) = (j(a), j(b));
            assert!(
                equivalent(&a, &b),
                "{name}: expected equal\n{}\n{}",
                to_pretty(&a),
                to_pretty(&b)
            );
            assert_eq!(
                to_minified(&a),
                to_minified(&b),
                "{name}: minified forms differ"
            );
        }
    }

    #[test]
    fn different_pairs() {
        for (name, a, b) in DIFFERENT {
            assert!(!equivalent(&j(a), &j(b)), "{name}: expected different");
        }
    }

    #[test]
    fn canonical_is_idempotent() {
        for (_, a, b) in EQUAL.iter().chain(DIFFERENT) {
            for d in [j(a), j(b)] {
                let c = canonical(&d);
                assert_eq!(canonical(&c), c);
            }
        }
    }

    #[test]
    fn decodes_iam_url_encoded_documents() {
        // As GetPolicyVersion returns it (RFC 3986 percent-encoding); `+` stays `+`.
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22ivs%3AGetStage%22%2C%22Resource%22%3A%22arn%3Aaws%3Aivs%3Aus-east-1%3A123456789012%3Astage%2Fa+b%22%7D%5D%7D";
        let doc = decode(encoded).unwrap();
        assert_eq!(
            doc["Statement"][0]["Resource"],
            "arn:aws:ivs:us-east-1:123456789012:stage/a+b"
        );
        // Raw JSON (moto's GetPolicyVersion) is used as is, even with `%` inside.
        let raw = r#"  {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"arn:x:%41"}]}"#;
        assert_eq!(
            decode(raw).unwrap()["Statement"][0]["Resource"],
            "arn:x:%41"
        );
        assert!(decode("%7Bnot json").is_err());
        assert!(
            decode("%5B%5D").is_err(),
            "a JSON array is not a policy document"
        );
        assert!(decode("%FF%FE").is_err());
    }

    #[test]
    fn renders_statements_with_stage_arns() {
        let mut conditions = BTreeMap::new();
        conditions.insert(
            "StringEquals".to_string(),
            BTreeMap::from([(
                "aws:RequestTag/team".to_string(),
                StringOrList::One("media".into()),
            )]),
        );
        let policy = Policy {
            statements: vec![Statement {
                sid: Some("Mint".into()),
                allow: vec!["ivs:CreateParticipantToken".into()],
                ids: BTreeMap::from([(Kind::Stage, vec!["main".into()])]),
                resources: vec!["arn:aws:ivs:us-east-1:123456789012:stage/other".into()],
                conditions,
                ..Statement::default()
            }],
            ..Policy::default()
        };
        let doc = render(&policy, &|kind, id| {
            format!("${{{}.{id}.arn}}", kind.section())
        });
        assert_eq!(
            to_minified(&doc),
            r#"{"Statement":[{"Action":["ivs:CreateParticipantToken"],"Condition":{"StringEquals":{"aws:RequestTag/team":["media"]}},"Effect":"Allow","Resource":["${stages.main.arn}","arn:aws:ivs:us-east-1:123456789012:stage/other"],"Sid":"Mint"}],"Version":"2012-10-17"}"#
        );
        let pretty = to_pretty(&doc);
        assert!(pretty.contains("\n  \"Statement\": ["), "{pretty}");
    }

    #[test]
    fn size_ignores_whitespace() {
        let a = j(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"*"}]}"#,
        );
        let n = size_without_whitespace(&a);
        assert_eq!(n, to_minified(&a).len());
        let spaced = j(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:A","Resource":"arn:x y"}]}"#,
        );
        assert_eq!(
            size_without_whitespace(&spaced),
            to_minified(&spaced).len() - 1
        );
    }
}
