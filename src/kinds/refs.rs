//! References between the resources of a stack, for every kind.
//!
//! A field that names another resource of the stack uses its logical id. On the desired
//! side the kind resolves it through [`Known`]: to the real attribute value (an ARN, a stage
//! id) when the target exists and stays, or to a placeholder `${<section>.<id>.<attribute>}`
//! ("known after apply") when this plan creates (or replaces) it. Apply fills placeholders
//! in as it creates their targets; the planner orders the work from the same data.
//!
//! The live side is read back by each kind as [`LiveRef`]s (the ARNs and ids its observed
//! form names), which is how the planner knows who referred to a resource before it goes.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde_json::{Map, Value};

use super::Kind;

/// An attribute of a resource that others can reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attribute {
    /// The resource's ARN (its physical id for ARN-identified kinds).
    Arn,
    /// The resource id: the last path segment of its ARN (a stage's `Stage` dimension).
    Id,
}

impl Attribute {
    pub const ALL: &'static [Attribute] = &[Attribute::Arn, Attribute::Id];

    pub fn as_str(self) -> &'static str {
        match self {
            Attribute::Arn => "arn",
            Attribute::Id => "id",
        }
    }

    pub fn from_name(s: &str) -> Option<Attribute> {
        Attribute::ALL.iter().copied().find(|a| a.as_str() == s)
    }

    /// The value of this attribute for a resource identified by its ARN.
    pub fn of_arn(self, arn: &str) -> String {
        match self {
            Attribute::Arn => arn.to_string(),
            Attribute::Id => arn.rsplit('/').next().unwrap_or(arn).to_string(),
        }
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One attribute of one resource of the stack: `stages.main.arn`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    pub target: Kind,
    /// The target's logical id.
    pub id: String,
    pub attribute: Attribute,
}

impl Reference {
    pub fn new(target: Kind, id: impl Into<String>, attribute: Attribute) -> Reference {
        Reference {
            target,
            id: id.into(),
            attribute,
        }
    }

    /// The placeholder that stands for the value until the target exists:
    /// `${stages.main.arn}`.
    pub fn placeholder(&self) -> String {
        format!("${{{self}}}")
    }

    /// Parse `<section>.<id>.<attribute>` (the inside of a placeholder).
    pub fn parse(text: &str) -> Option<Reference> {
        let mut parts = text.split('.');
        let (section, id, attribute) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || id.is_empty() {
            return None;
        }
        Some(Reference {
            target: Kind::from_section(section)?,
            id: id.to_string(),
            attribute: Attribute::from_name(attribute)?,
        })
    }
}

impl fmt::Display for Reference {
    /// `stages.main.arn`: how plans and messages name the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}",
            self.target.section(),
            self.id,
            self.attribute
        )
    }
}

/// A reference as written in the stack file: where it is, relative to the resource (e.g.
/// `statements[0].stages[1]`), and what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    pub path: String,
    pub reference: Reference,
}

/// What a live resource refers to, read from its observed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRef {
    pub attribute: Attribute,
    pub value: String,
    /// AWS refuses to delete the target while this reference exists (a storage
    /// configuration in use by a stage), so a referrer that stays keeps it alive.
    pub keeps_alive: bool,
}

/// Resources that exist and stay, by (kind, logical id) → physical id: what the desired
/// side resolves references against. Anything else is "known after apply".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known(BTreeMap<Kind, BTreeMap<String, String>>);

impl Known {
    pub fn new() -> Known {
        Known::default()
    }

    pub fn insert(&mut self, kind: Kind, id: impl Into<String>, physical_id: impl Into<String>) {
        self.0
            .entry(kind)
            .or_default()
            .insert(id.into(), physical_id.into());
    }

    pub fn physical_id(&self, kind: Kind, id: &str) -> Option<&str> {
        self.0.get(&kind)?.get(id).map(String::as_str)
    }

    /// The attribute's value, if its resource is known.
    pub fn value(&self, r: &Reference) -> Option<String> {
        let pid = self.physical_id(r.target, &r.id)?;
        r.target.attribute(pid, r.attribute)
    }

    /// The attribute's value, or its placeholder.
    pub fn resolve(&self, r: &Reference) -> String {
        self.value(r).unwrap_or_else(|| r.placeholder())
    }
}

/// Every placeholder in a text, with its byte range (`${` to `}` inclusive). Text that
/// only looks similar (IAM policy variables such as `${aws:username}`) is not one.
pub fn placeholders_in(text: &str) -> Vec<(Range<usize>, Reference)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = text[from..].find("${") {
        let start = from + rel;
        let Some(len) = text[start..].find('}') else {
            break;
        };
        match Reference::parse(&text[start + 2..start + len]) {
            Some(r) => {
                out.push((start..start + len + 1, r));
                from = start + len + 1;
            }
            None => from = start + 2,
        }
    }
    out
}

/// Every placeholder anywhere in a value (strings inside arrays and objects included),
/// each once, sorted.
pub fn placeholders(value: &Value) -> Vec<Reference> {
    let mut out = Vec::new();
    walk(value, &mut out);
    out.sort();
    out.dedup();
    out
}

/// [`placeholders`] of a spec.
pub fn placeholders_in_spec(spec: &Map<String, Value>) -> Vec<Reference> {
    let mut out = Vec::new();
    spec.values().for_each(|v| walk(v, &mut out));
    out.sort();
    out.dedup();
    out
}

fn walk(v: &Value, out: &mut Vec<Reference>) {
    match v {
        Value::String(s) if s.contains("${") => {
            out.extend(placeholders_in(s).into_iter().map(|(_, r)| r));
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
        Value::Object(map) => map.values().for_each(|v| walk(v, out)),
        _ => {}
    }
}

/// Whether a value still holds a placeholder ("known after apply").
pub fn has_placeholder(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains("${") && !placeholders_in(s).is_empty(),
        Value::Array(items) => items.iter().any(has_placeholder),
        Value::Object(map) => map.values().any(has_placeholder),
        _ => false,
    }
}

/// Replace every placeholder whose target is known by its value; others stay.
pub fn resolve_placeholders(value: &mut Value, known: &Known) {
    match value {
        Value::String(s) if s.contains("${") => {
            let found = placeholders_in(s);
            if found.is_empty() {
                return;
            }
            let mut out = String::with_capacity(s.len());
            let mut last = 0;
            for (range, r) in found {
                out.push_str(&s[last..range.start]);
                match known.value(&r) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&s[range.clone()]),
                }
                last = range.end;
            }
            out.push_str(&s[last..]);
            *s = out;
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| resolve_placeholders(v, known)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| resolve_placeholders(v, known)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:ivs:us-west-2:123456789012:stage/AbCd1234";

    #[test]
    fn placeholders_round_trip_and_iam_variables_are_not_placeholders() {
        let r = Reference::new(Kind::Stage, "main", Attribute::Arn);
        assert_eq!(r.placeholder(), "${stages.main.arn}");
        assert_eq!(Reference::parse("stages.main.arn"), Some(r.clone()));
        for not in [
            "aws:username",
            "stages.main",
            "stages.main.arn.x",
            "nope.main.arn",
            "stages.main.colour",
            "stages..arn",
        ] {
            assert_eq!(Reference::parse(not), None, "{not}");
        }
        let text = "a ${aws:username} b ${stages.main.arn} c ${policies.p.arn} ${";
        let found: Vec<String> = placeholders_in(text)
            .into_iter()
            .map(|(range, r)| format!("{}={r}", &text[range]))
            .collect();
        assert_eq!(
            found,
            [
                "${stages.main.arn}=stages.main.arn",
                "${policies.p.arn}=policies.p.arn"
            ]
        );
        assert!(!has_placeholder(&json!("arn:aws:s3:::b/${aws:username}/*")));
        assert!(has_placeholder(&json!([{"v": "${stages.a.id}"}])));
    }

    #[test]
    fn resolution_fills_known_targets_and_keeps_the_others() {
        let mut known = Known::new();
        known.insert(Kind::Stage, "main", ARN);
        let mut v = json!({
            "doc": "[\"${stages.main.arn}\", \"${stages.new.arn}\", \"${aws:userid}\"]",
            "dims": [{"name": "Stage", "value": "${stages.main.id}"}],
        });
        resolve_placeholders(&mut v, &known);
        assert_eq!(
            v["doc"],
            json!(format!(
                "[\"{ARN}\", \"${{stages.new.arn}}\", \"${{aws:userid}}\"]"
            ))
        );
        assert_eq!(v["dims"][0]["value"], json!("AbCd1234"));
        assert_eq!(
            placeholders(&v),
            vec![Reference::new(Kind::Stage, "new", Attribute::Arn)]
        );
        let main = Reference::new(Kind::Stage, "main", Attribute::Id);
        assert_eq!(known.resolve(&main), "AbCd1234");
        let new = Reference::new(Kind::Stage, "new", Attribute::Id);
        assert_eq!(known.resolve(&new), "${stages.new.id}");
    }
}
