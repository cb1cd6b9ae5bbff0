//! The grammar IAM applies to identity-based policy documents (what a customer managed
//! policy is), for raw `document`s in stack files: without it, a document with a wrong
//! element passes `validate` and apply fails later with `MalformedPolicyDocument`.
//!
//! What is checked, as IAM's policy grammar and its error messages have it:
//! - the document: `Version` (`2012-10-17`; `2008-10-17` and none are allowed with a
//!   warning, but not together with policy variables), `Id` (a string), `Statement` (a
//!   statement, or a non-empty list of them), and no other element;
//! - a statement: `Sid` (letters and digits, unique), `Effect` (`Allow` or `Deny`, case
//!   as written), exactly one of `Action` / `NotAction` and of `Resource` / `NotResource`
//!   (each a string or a non-empty list of strings: `service:action` or `*`, an ARN or
//!   `*`), `Condition`, and no `Principal` / `NotPrincipal` (identity policies have none);
//! - `Condition`: operator → condition key → value or non-empty list of values, with IAM's
//!   operator names, their `…IfExists` forms (not for `Null`) and the `ForAllValues:` /
//!   `ForAnyValue:` set prefixes; keys carry a service prefix (`aws:`, `ivs:`, ...).
//!
//! Findings come back with absolute field paths, positioned from the file's spans.

use serde_json::Value;

use super::check::{SpanMap, did_you_mean, push_key};
use super::diagnostics::{Diagnostic, Severity};

/// Elements of a policy document.
const DOCUMENT_ELEMENTS: &[&str] = &["Version", "Id", "Statement"];
/// Elements of a statement in any policy (IAM's grammar); principals are refused below.
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
/// Condition operators (IAM JSON policy elements: Condition operators).
const CONDITION_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];
const SET_PREFIXES: &[&str] = &["ForAllValues:", "ForAnyValue:"];
const CURRENT_VERSION: &str = "2012-10-17";
const OLD_VERSION: &str = "2008-10-17";

/// One finding about a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    /// `document`, `duplicate-sid`, `condition` or `arn`.
    pub code: &'static str,
    /// Absolute field path, e.g. `policies.p.document.Statement[0].Effect`.
    pub path: String,
    /// Point at the field's key (the element is wrong as such) rather than its value.
    pub at_key: bool,
    pub message: String,
    pub label: Option<String>,
    pub help: Option<String>,
    /// Another field that matters (the first use of a duplicate `Sid`).
    pub related: Option<(String, String)>,
}

struct Checker<'a> {
    /// Names the policy in messages, e.g. "policy `p`".
    owner: &'a str,
    out: Vec<Finding>,
}

impl Checker<'_> {
    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        path: &str,
        at_key: bool,
        message: String,
    ) -> &mut Finding {
        self.out.push(Finding {
            severity,
            code,
            path: path.to_string(),
            at_key,
            message,
            label: None,
            help: None,
            related: None,
        });
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    fn error(&mut self, code: &'static str, path: &str, message: String) -> &mut Finding {
        self.push(Severity::Error, code, path, false, message)
    }

    fn error_key(&mut self, code: &'static str, path: &str, message: String) -> &mut Finding {
        self.push(Severity::Error, code, path, true, message)
    }
}

impl Finding {
    fn label(&mut self, l: impl Into<String>) -> &mut Self {
        self.label = Some(l.into());
        self
    }

    fn help(&mut self, h: impl Into<String>) -> &mut Self {
        self.help = Some(h.into());
        self
    }
}

fn child(path: &str, key: &str) -> String {
    let mut p = path.to_string();
    push_key(&mut p, key);
    p
}

/// What a value is, for messages.
fn describe(v: &Value) -> String {
    let short = |s: &str| {
        if s.chars().count() > 40 {
            format!("{}...", s.chars().take(37).collect::<String>())
        } else {
            s.to_string()
        }
    };
    match v {
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("the string `{}`", short(s)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

/// The findings about `doc`, the raw document at `path` of the policy that `owner` names,
/// in `file`, positioned with its `spans`.
pub fn diagnostics(
    doc: &Value,
    path: &str,
    owner: &str,
    file: &str,
    spans: &SpanMap,
) -> Vec<Diagnostic> {
    check(doc, path, owner)
        .into_iter()
        .map(|f| {
            let span = if f.at_key {
                spans.key_span(&f.path)
            } else {
                spans.value_span(&f.path)
            };
            let mut d = Diagnostic {
                severity: f.severity,
                ..Diagnostic::error(f.code, file, f.message)
            }
            .at(span)
            .path(f.path);
            d.label = f.label;
            d.help = f.help;
            if let Some((p, m)) = f.related
                && let Some(s) = spans.value_span(&p)
            {
                d = d.related(s, m);
            }
            d
        })
        .collect()
}

/// Check `doc`, the raw document at `path` of the policy that `owner` names.
pub fn check(doc: &Value, path: &str, owner: &str) -> Vec<Finding> {
    let mut c = Checker {
        owner,
        out: Vec::new(),
    };
    let Some(top) = doc.as_object() else {
        c.error(
            "document",
            path,
            format!("the `document` of {owner} is not an IAM policy document"),
        )
        .label(format!("expected a map with `Version` and `Statement`, not {}", describe(doc)))
        .help("e.g. {Version: \"2012-10-17\", Statement: [{Effect: Allow, Action: ..., Resource: ...}]}");
        return c.out;
    };
    for key in top
        .keys()
        .filter(|k| !DOCUMENT_ELEMENTS.contains(&k.as_str()))
    {
        let f = c.error_key(
            "document",
            &child(path, key),
            format!("unknown element `{key}` in the document of {owner}"),
        );
        if let Some(near) = did_you_mean(key, DOCUMENT_ELEMENTS.iter().copied()) {
            f.label(format!("did you mean `{near}`?"));
        }
        f.help("a policy document has `Version`, `Id` and `Statement`; IAM's element names are case-sensitive");
    }
    // A map with neither `Version` nor `Statement` is not a policy at all: say that once
    // (below), without a warning about the version.
    if top.contains_key("Version") || top.contains_key("Statement") {
        version(&mut c, top.get("Version"), doc, path);
    }
    if let Some(id) = top.get("Id")
        && !id.is_string()
    {
        c.error(
            "document",
            &child(path, "Id"),
            format!("`Id` must be a string, not {}", describe(id)),
        )
        .help("quote it");
    }
    let sp = child(path, "Statement");
    match top.get("Statement") {
        None => {
            c.error(
                "document",
                path,
                format!(
                    "the `document` of {owner} is not an IAM policy document: it has no `Statement`"
                ),
            )
            .label("grants nothing")
            .help("add `Statement:` with at least one statement");
        }
        Some(Value::Array(items)) if items.is_empty() => {
            c.error(
                "document",
                &sp,
                format!("`Statement` of {owner} is an empty list"),
            )
            .help("IAM requires at least one statement");
        }
        Some(Value::Array(items)) => {
            let mut sids: Vec<(&str, String)> = Vec::new();
            for (i, s) in items.iter().enumerate() {
                statement(&mut c, s, &format!("{sp}[{i}]"), i + 1, &mut sids);
            }
        }
        Some(s @ Value::Object(_)) => statement(&mut c, s, &sp, 1, &mut Vec::new()),
        Some(other) => {
            c.error(
                "document",
                &sp,
                format!(
                    "`Statement` must be a statement (a map) or a list of them, not {}",
                    describe(other)
                ),
            );
        }
    }
    c.out
}

fn uses_policy_variables(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("${"),
        Value::Array(items) => items.iter().any(uses_policy_variables),
        Value::Object(m) => m.values().any(uses_policy_variables),
        _ => false,
    }
}

fn version(c: &mut Checker<'_>, v: Option<&Value>, doc: &Value, path: &str) {
    let owner = c.owner;
    let vp = child(path, "Version");
    let old = match v {
        None => Some((path.to_string(), true, "has no `Version`")),
        Some(Value::String(s)) if s == CURRENT_VERSION => None,
        Some(Value::String(s)) if s == OLD_VERSION => {
            Some((vp.clone(), false, "uses version `2008-10-17`"))
        }
        Some(Value::String(s)) => {
            c.error(
                "document",
                &vp,
                format!("unknown policy language version `{s}` in the document of {owner}"),
            )
            .label(format!("IAM knows `{CURRENT_VERSION}` and `{OLD_VERSION}`"))
            .help(format!("use `Version: \"{CURRENT_VERSION}\"`"));
            None
        }
        Some(other) => {
            c.error(
                "document",
                &vp,
                format!(
                    "`Version` must be the string `{CURRENT_VERSION}`, not {}",
                    describe(other)
                ),
            )
            .help(format!("write `Version: \"{CURRENT_VERSION}\"`"));
            None
        }
    };
    let Some((at, at_key, what)) = old else {
        return;
    };
    if uses_policy_variables(doc) {
        c.push(
            Severity::Error,
            "document",
            &at,
            at_key,
            format!("the document of {owner} {what} but uses policy variables (`${{...}}`)"),
        )
        .label("IAM refuses policy variables before version 2012-10-17")
        .help(format!("use `Version: \"{CURRENT_VERSION}\"`"));
    } else {
        let f = c.push(
            Severity::Warning,
            "document",
            &at,
            at_key,
            format!("the document of {owner} {what}"),
        );
        if v.is_none() {
            f.label("IAM reads a document without `Version` as version 2008-10-17");
        }
        f.help(format!(
            "use `Version: \"{CURRENT_VERSION}\"`; older versions do not support policy variables"
        ));
    }
}

fn statement<'v>(
    c: &mut Checker<'_>,
    s: &'v Value,
    sp: &str,
    n: usize,
    sids: &mut Vec<(&'v str, String)>,
) {
    let owner = c.owner;
    let Some(st) = s.as_object() else {
        c.error(
            "document",
            sp,
            format!(
                "statement {n} of {owner}'s document is {}, not a statement (a map)",
                describe(s)
            ),
        )
        .help("a statement is a map with `Effect`, `Action` and `Resource`");
        return;
    };
    for key in st.keys() {
        let kp = child(sp, key);
        match key.as_str() {
            "Principal" | "NotPrincipal" => {
                c.error_key(
                    "document",
                    &kp,
                    format!("`{key}` is not allowed in {owner}: an identity-based policy has no principal"),
                )
                .label("remove this")
                .help("a managed policy grants permissions to the users, groups and roles it is attached to; principals belong in resource policies and role trust policies");
            }
            k if STATEMENT_ELEMENTS.contains(&k) => {}
            _ => {
                let f = c.error_key(
                    "document",
                    &kp,
                    format!("unknown element `{key}` in statement {n} of {owner}'s document"),
                );
                if let Some(near) = did_you_mean(key, STATEMENT_ELEMENTS.iter().copied()) {
                    f.label(format!("did you mean `{near}`?"));
                }
                f.help("a statement has `Sid`, `Effect`, `Action` or `NotAction`, `Resource` or `NotResource`, and `Condition`; names are case-sensitive");
            }
        }
    }
    if let Some(sid) = st.get("Sid") {
        let p = child(sp, "Sid");
        match sid.as_str() {
            None => {
                c.error(
                    "document",
                    &p,
                    format!("`Sid` must be a string, not {}", describe(sid)),
                )
                .help("quote it, e.g. `Sid: \"1\"`");
            }
            Some(text) if !text.chars().all(|ch| ch.is_ascii_alphanumeric()) => {
                c.error(
                    "document",
                    &p,
                    format!("`Sid` `{text}` may contain only letters and digits"),
                )
                .help("IAM requires statement ids to match [0-9A-Za-z]*");
            }
            Some("") => {}
            Some(text) => match sids.iter().find(|(t, _)| *t == text) {
                Some((_, first)) => {
                    let first = first.clone();
                    let f = c.error(
                        "duplicate-sid",
                        &p,
                        format!("{owner} uses the statement id `{text}` twice"),
                    );
                    f.label("used again here")
                        .help("IAM requires statement ids to be unique within a policy");
                    f.related = Some((first, "first used here".into()));
                }
                None => sids.push((text, p)),
            },
        }
    }
    match st.get("Effect") {
        None => {
            c.error(
                "document",
                sp,
                format!("statement {n} of {owner}'s document has no `Effect`"),
            )
            .help("add `Effect: Allow` or `Effect: Deny`");
        }
        Some(Value::String(e)) if e == "Allow" || e == "Deny" => {}
        Some(e) => {
            let f = c.error(
                "document",
                &child(sp, "Effect"),
                format!("`Effect` must be `Allow` or `Deny`, not {}", describe(e)),
            );
            if e.as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("allow") || t.eq_ignore_ascii_case("deny"))
            {
                f.label("IAM's values are case-sensitive");
            }
        }
    }
    exactly_one(c, st, sp, n, ("Action", "NotAction"), action);
    exactly_one(c, st, sp, n, ("Resource", "NotResource"), resource);
    if let Some(cond) = st.get("Condition") {
        condition(c, cond, &child(sp, "Condition"));
    }
}

/// A pair such as `Action` / `NotAction`: exactly one present, a string or a non-empty
/// list of strings, each checked by `item`.
fn exactly_one(
    c: &mut Checker<'_>,
    st: &serde_json::Map<String, Value>,
    sp: &str,
    n: usize,
    (a, not_a): (&str, &str),
    item: fn(&mut Checker<'_>, &str, &str),
) {
    let owner = c.owner;
    match (st.get(a), st.get(not_a)) {
        (None, None) => {
            c.error(
                "document",
                sp,
                format!("statement {n} of {owner}'s document has neither `{a}` nor `{not_a}`"),
            )
            .help(format!("add `{a}:` with a string or a list of strings"));
            return;
        }
        (Some(_), Some(_)) => {
            c.error_key(
                "document",
                &child(sp, not_a),
                format!("statement {n} of {owner}'s document has both `{a}` and `{not_a}`"),
            )
            .label("remove this, or `".to_string() + a + "`")
            .help(format!(
                "IAM allows exactly one of `{a}` and `{not_a}` per statement"
            ));
        }
        _ => {}
    }
    for key in [a, not_a] {
        let Some(v) = st.get(key) else {
            continue;
        };
        let p = child(sp, key);
        match v {
            Value::String(s) => item(c, &p, s),
            Value::Array(items) if items.is_empty() => {
                c.error("document", &p, format!("`{key}` is an empty list"))
                    .help(format!("IAM requires at least one value in `{key}`"));
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    let ip = format!("{p}[{i}]");
                    match x.as_str() {
                        Some(s) => item(c, &ip, s),
                        None => {
                            c.error(
                                "document",
                                &ip,
                                format!(
                                    "each item of `{key}` must be a string, not {}",
                                    describe(x)
                                ),
                            );
                        }
                    }
                }
            }
            other => {
                c.error(
                    "document",
                    &p,
                    format!(
                        "`{key}` must be a string or a list of strings, not {}",
                        describe(other)
                    ),
                );
            }
        }
    }
}

fn action(c: &mut Checker<'_>, path: &str, a: &str) {
    if a == "*" {
        return;
    }
    let parts: Vec<&str> = a.split(':').collect();
    let valid_service = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '*')
    };
    match parts.as_slice() {
        [_] => {
            c.error(
                "document",
                path,
                format!("action `{a}` has no service prefix"),
            )
            .label("expected `service:Action`, e.g. `ivs:GetStage`, or `*`");
        }
        [service, name]
            if valid_service(service)
                && !name.is_empty()
                && !name.contains(char::is_whitespace) => {}
        [_, _] => {
            c.error("document", path, format!("`{a}` is not an action"))
                .label("expected `service:Action`, e.g. `ivs:GetStage`, or `*`");
        }
        _ => {
            c.error(
                "document",
                path,
                format!("action `{a}` may contain only one colon"),
            )
            .label("expected `service:Action`, e.g. `ivs:GetStage`");
        }
    }
}

fn resource(c: &mut Checker<'_>, path: &str, r: &str) {
    if r == "*" || (r.starts_with("arn:") && r.splitn(6, ':').count() == 6) {
        return;
    }
    c.error("arn", path, format!("`{r}` is not an ARN"))
        .label("expected `arn:<partition>:<service>:<region>:<account>:<resource>` or `*`")
        .help("IAM requires every resource to be in ARN format or `*`");
}

/// Split an operator into its set prefix, base name and `IfExists`.
fn operator_known(op: &str) -> bool {
    let rest = SET_PREFIXES
        .iter()
        .find_map(|p| op.strip_prefix(p))
        .unwrap_or(op);
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    CONDITION_OPERATORS.contains(&base) && !(if_exists && base == "Null")
}

fn condition(c: &mut Checker<'_>, cond: &Value, path: &str) {
    let owner = c.owner;
    let Some(ops) = cond.as_object() else {
        c.error(
            "condition",
            path,
            format!(
                "`Condition` must be a map of condition operators, not {}",
                describe(cond)
            ),
        )
        .help("e.g. `Condition: {StringEquals: {aws:RequestedRegion: us-east-1}}`");
        return;
    };
    for (op, keys) in ops {
        let op_path = child(path, op);
        if !operator_known(op) {
            let f = c.error_key(
                "condition",
                &op_path,
                format!("unknown condition operator `{op}` in {owner}"),
            );
            let prefix = SET_PREFIXES
                .iter()
                .find(|p| op.starts_with(*p))
                .copied()
                .unwrap_or("");
            let rest = &op[prefix.len()..];
            if rest == "NullIfExists" {
                f.label("`Null` has no `IfExists` form");
            } else if let Some(near) = did_you_mean(rest, CONDITION_OPERATORS.iter().copied()) {
                f.label(format!("did you mean `{prefix}{near}`?"));
            }
            f.help("IAM's operators are `StringEquals`, `StringLike`, `NumericLessThan`, `DateGreaterThan`, `Bool`, `IpAddress`, `ArnLike`, `Null`, ... with an optional `IfExists` suffix and `ForAllValues:` / `ForAnyValue:` prefix");
            continue;
        }
        let Some(keys) = keys.as_object() else {
            c.error(
                "condition",
                &op_path,
                format!(
                    "condition operator `{op}` must map condition keys to values, not {}",
                    describe(keys)
                ),
            )
            .help(format!("e.g. `{op}: {{aws:username: alice}}`"));
            continue;
        };
        if keys.is_empty() {
            c.error(
                "condition",
                &op_path,
                format!("condition operator `{op}` in {owner} has no condition keys"),
            );
        }
        for (key, value) in keys {
            let kp = child(&op_path, key);
            if !key.contains(':') {
                c.error_key(
                    "condition",
                    &kp,
                    format!("condition key `{key}` has no service prefix"),
                )
                .label("expected e.g. `aws:username` or `ivs:...`");
            }
            condition_values(c, value, &kp, op, key);
        }
    }
}

fn condition_values(c: &mut Checker<'_>, value: &Value, path: &str, op: &str, key: &str) {
    let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
    match value {
        v if scalar(v) => {}
        Value::Array(items) if items.is_empty() => {
            c.error(
                "condition",
                path,
                format!("condition `{op}` on `{key}` has no values"),
            );
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                if !scalar(x) {
                    c.error(
                        "condition",
                        &format!("{path}[{i}]"),
                        format!(
                            "a condition value must be a string, number or boolean, not {}",
                            describe(x)
                        ),
                    );
                }
            }
        }
        other => {
            c.error(
                "condition",
                path,
                format!(
                    "the value of condition `{op}` on `{key}` must be a string, number, boolean or a list of them, not {}",
                    describe(other)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(doc: Value) -> Vec<(String, &'static str)> {
        check(&doc, "d", "policy `p`")
            .into_iter()
            .map(|f| (f.path, f.code))
            .collect()
    }

    #[test]
    fn operators_with_prefixes_and_if_exists() {
        for op in [
            "StringEquals",
            "StringLikeIfExists",
            "ForAllValues:StringEquals",
            "ForAnyValue:ArnLikeIfExists",
            "Null",
            "ForAnyValue:NumericLessThanEquals",
        ] {
            assert!(operator_known(op), "{op}");
        }
        for op in [
            "NullIfExists",
            "StringEqual",
            "ForSomeValues:StringEquals",
            "stringEquals",
            "ForAllValues:",
            "IfExists",
        ] {
            assert!(!operator_known(op), "{op}");
        }
    }

    #[test]
    fn a_minimal_document_is_valid_and_anything_else_is_not() {
        let ok = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        assert_eq!(codes(ok), vec![]);
        assert_eq!(codes(json!([1])), vec![("d".to_string(), "document")]);
        assert_eq!(
            codes(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]})
            ),
            vec![("d.Statement[0].Effect".to_string(), "document")]
        );
    }
}
