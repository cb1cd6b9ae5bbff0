//! The JSON Schema of stack files, generated from the model types by schemars. It is what
//! `ivstack schema` prints, what editors use through the YAML language server, and what the
//! structural checker in `check` walks, so the three can never disagree.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use super::model::StackFile;

/// The `$id` of the published schema.
pub const SCHEMA_ID: &str = "https://ivstack.dev/schema/ivstack.schema.json";

/// Logical ids: the map keys under every resource section (`stages`, `policies`, ...). They
/// become the `ivstack:id` tag and part of default physical names, so they must fit every
/// kind's name rules.
pub const LOGICAL_ID_PATTERN: &str = r"^[A-Za-z0-9][A-Za-z0-9_-]*$";
/// Longest logical id.
pub const LOGICAL_ID_MAX: u64 = 64;

/// The stack-file JSON Schema (draft-07, the dialect every YAML language server speaks).
pub fn stack_schema() -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<StackFile>();
    let mut value = schema.to_value();
    refine(&mut value);
    value
}

/// What schemars cannot say from attributes alone: logical-id rules on the resource maps,
/// the CloudWatch operator names that serde accepts as aliases, and a readable message for
/// IAM action patterns.
fn refine(value: &mut Value) {
    if let Some(obj) = value.as_object_mut() {
        obj.insert("$id".into(), Value::String(SCHEMA_ID.into()));
    }
    for kind in crate::kinds::Kind::ALL {
        if let Some(p) = value.pointer_mut(&format!("/properties/{}", kind.section()))
            && let Some(obj) = p.as_object_mut()
        {
            obj.insert(
                "propertyNames".into(),
                json!({
                    "pattern": LOGICAL_ID_PATTERN,
                    "maxLength": LOGICAL_ID_MAX,
                    "patternErrorMessage": "logical ids start with a letter or digit, contain only letters, digits, `-` and `_`, and are at most 64 characters",
                }),
            );
        }
    }
    if let Some(e) = value.pointer_mut("/definitions/Comparison/enum")
        && let Some(list) = e.as_array_mut()
    {
        for alias in [
            "GreaterThanOrEqualToThreshold",
            "GreaterThanThreshold",
            "LessThanThreshold",
            "LessThanOrEqualToThreshold",
        ] {
            list.push(Value::String(alias.into()));
        }
    }
    if let Some(items) = value.pointer_mut("/definitions/Statement/properties/allow/items")
        && let Some(obj) = items.as_object_mut()
    {
        obj.insert(
            "patternErrorMessage".into(),
            json!("is not an IAM action of the form `service:Action`, e.g. `ivs:GetStage`"),
        );
    }
}

/// The schema as pretty JSON with a trailing newline, exactly as committed to
/// `schema/ivstack.schema.json`.
pub fn stack_schema_pretty() -> String {
    let mut s = serde_json::to_string_pretty(&stack_schema()).unwrap_or_default();
    s.push('\n');
    s
}
