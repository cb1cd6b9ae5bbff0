//! The stack-file form of a policy (`policies.<id>`): what a file may say, with its
//! defaults and limits. Field docs become the JSON Schema's descriptions.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::kinds::{Kind, is_false};

/// A customer-managed IAM policy. It lives under the IAM path `/ivstack/<stack>/`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// IAM policy name. Default: `<stack>-<id>`. Changing it replaces the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 128),
        pattern(r"^[\w+=,.@-]+$"),
        extend("patternErrorMessage" = "may only contain letters, digits and `+=,.@-_` (IAM policy names)")
    )]
    pub name: Option<String>,

    /// What the policy is for, for auditors. IAM cannot change a description, so changing
    /// it replaces the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub description: Option<String>,

    /// Least-privilege statements. Use this, or `document`, not both.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<Statement>,

    /// Escape hatch: a raw IAM policy document (YAML or JSON object). `ivstack lint` flags
    /// it, because nothing here checks that it is least-privilege.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<serde_json::Value>,

    /// Tags of this policy, merged over the stack's default tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,

    /// Never delete this policy (stored as the `ivstack:protect` tag).
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
}

/// One statement of a policy. Its resources are resources of this stack named by logical
/// id (`stages: [main]`, and the same for every kind that policies can name), raw ARNs, or
/// both.
///
/// The `<section>: [ids]` keys come from the kind registry: a kind whose
/// `ResourceKind::policy_arn_example` is `Some` is accepted here, in the schema and in
/// validation without anything else to change. That is why this type has hand-written
/// serde and schema implementations (a derive needs the keys as fields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Option<Effect>,
    pub allow: Vec<String>,
    /// Logical ids per kind: `stages: [main]` is `ids[Kind::Stage] == ["main"]`. Each
    /// renders as that resource's exact ARN.
    pub ids: BTreeMap<Kind, Vec<String>>,
    pub resources: Vec<String>,
    pub conditions: BTreeMap<String, BTreeMap<String, StringOrList>>,
}

impl Statement {
    /// The logical ids of one kind that this statement names.
    pub fn ids_of(&self, kind: Kind) -> &[String] {
        self.ids.get(&kind).map(Vec::as_slice).unwrap_or_default()
    }

    /// Whether the statement names any resource of the stack.
    pub fn names_stack_resources(&self) -> bool {
        self.ids.values().any(|ids| !ids.is_empty())
    }
}

/// The kinds whose resources statements may name, in registry order.
pub fn nameable_kinds() -> impl Iterator<Item = Kind> {
    Kind::ALL.iter().copied().filter(|k| k.in_policies())
}

/// The fixed fields of a statement, for the schema (their docs are the descriptions; the
/// statement's own description is written in `Statement::json_schema`).
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its schema is used
struct StatementFields {
    /// Statement id (letters and digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        pattern(r"^[A-Za-z0-9]+$"),
        extend("patternErrorMessage" = "may only contain letters and digits")
    )]
    sid: Option<String>,

    /// `Allow` (default) or `Deny`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    effect: Option<Effect>,

    /// Actions, `service:Action`, e.g. `ivs:CreateParticipantToken`.
    #[schemars(length(min = 1), inner(pattern(r"^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$")))]
    allow: Vec<String>,

    /// Other resource ARNs, verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    resources: Vec<String>,

    /// IAM condition block: operator → condition key → value(s).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    conditions: BTreeMap<String, BTreeMap<String, StringOrList>>,
}

impl JsonSchema for Statement {
    fn schema_name() -> Cow<'static, str> {
        "Statement".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = StatementFields::json_schema(generator);
        let keys: Vec<String> = nameable_kinds()
            .map(|k| format!("`{}`", k.section()))
            .collect();
        schema.insert(
            "description".into(),
            json!(format!(
                "One statement of a policy. Resources are logical ids of resources of this \
                 stack ({}), raw ARNs, or both.",
                keys.join(", ")
            )),
        );
        let props = schema
            .ensure_object()
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(props) = props {
            for kind in nameable_kinds() {
                props.insert(
                    kind.section().to_string(),
                    json!({
                        "description": format!(
                            "Logical ids of {} in this stack; each renders as that {}'s exact ARN.",
                            kind.section().replace('_', " "),
                            kind.noun()
                        ),
                        "type": "array",
                        "items": {"type": "string"},
                    }),
                );
            }
        }
        schema
    }
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(sid) = &self.sid {
            m.serialize_entry("sid", sid)?;
        }
        if let Some(effect) = &self.effect {
            m.serialize_entry("effect", effect)?;
        }
        m.serialize_entry("allow", &self.allow)?;
        for (kind, ids) in self.ids.iter().filter(|(_, ids)| !ids.is_empty()) {
            m.serialize_entry(kind.section(), ids)?;
        }
        if !self.resources.is_empty() {
            m.serialize_entry("resources", &self.resources)?;
        }
        if !self.conditions.is_empty() {
            m.serialize_entry("conditions", &self.conditions)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Statement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Statement, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Statement;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a policy statement (a map with `allow`)")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Statement, A::Error> {
                let mut st = Statement::default();
                let mut allow = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "sid" => st.sid = map.next_value()?,
                        "effect" => st.effect = map.next_value()?,
                        "allow" => allow = Some(map.next_value()?),
                        "resources" => st.resources = map.next_value()?,
                        "conditions" => st.conditions = map.next_value()?,
                        other => match Kind::from_section(other).filter(|k| k.in_policies()) {
                            Some(kind) => {
                                st.ids.insert(kind, map.next_value()?);
                            }
                            None => {
                                return Err(de::Error::custom(format!(
                                    "unknown field `{other}` in a policy statement"
                                )));
                            }
                        },
                    }
                }
                st.allow = allow.ok_or_else(|| de::Error::missing_field("allow"))?;
                Ok(st)
            }
        }
        d.deserialize_map(Fields)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Effect {
    Allow,
    Deny,
}

/// A condition value: one string or a list of strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl StringOrList {
    pub fn values(&self) -> Vec<String> {
        match self {
            StringOrList::One(s) => vec![s.clone()],
            StringOrList::Many(v) => v.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_name_resources_by_section_and_round_trip() {
        let st: Statement = serde_yaml::from_str(
            "allow: [ivs:GetStage]\nstages: [main, side]\nresources: [\"*\"]\nsid: A\n",
        )
        .unwrap();
        assert_eq!(st.ids_of(Kind::Stage), ["main", "side"]);
        assert!(st.names_stack_resources());
        let back = serde_json::to_value(&st).unwrap();
        assert_eq!(
            back,
            json!({"sid": "A", "allow": ["ivs:GetStage"], "stages": ["main", "side"], "resources": ["*"]})
        );
        assert_eq!(serde_json::from_value::<Statement>(back).unwrap(), st);
        // A section of a kind that policies cannot name is not a statement field.
        let err = serde_yaml::from_str::<Statement>("allow: [a:B]\nalarms: [x]\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `alarms`"), "{err}");
        let err = serde_yaml::from_str::<Statement>("stages: [x]\n").unwrap_err();
        assert!(err.to_string().contains("missing field `allow`"), "{err}");
    }

    #[test]
    fn the_schema_lists_a_key_for_every_kind_policies_can_name() {
        let schema = crate::stack::schema::stack_schema();
        let props = schema["definitions"]["Statement"]["properties"]
            .as_object()
            .unwrap();
        for kind in Kind::ALL {
            assert_eq!(
                props.contains_key(kind.section()),
                kind.in_policies(),
                "{kind}"
            );
        }
        assert_eq!(
            props["stages"]["description"],
            "Logical ids of stages in this stack; each renders as that stage's exact ARN."
        );
        for fixed in ["sid", "effect", "allow", "resources", "conditions"] {
            assert!(props.contains_key(fixed), "{fixed}");
        }
        assert_eq!(
            schema["definitions"]["Statement"]["additionalProperties"],
            json!(false)
        );
    }
}
