//! The template as YAML: CloudFormation's own key order at the top and in each resource
//! (`Type` first, `Properties` last), long-form intrinsic functions (`Fn::GetAtt: [...]`,
//! which every YAML reader understands, unlike the `!GetAtt` tags), whole numbers without
//! a fraction.
//!
//! Every string value is double-quoted (JSON escapes are YAML escapes): CloudFormation and
//! cfn-lint read YAML 1.1, where an unquoted `2010-09-09`, `yes` or `0755` is not a string,
//! and a tag value must stay exactly what the file says. Keys are plain when they are
//! letters, digits and `:` (`Fn::GetAtt`, `ivstack:id`), quoted otherwise.

use std::fmt::Write as _;

use serde_json::Value;

/// Keys of the template and of each resource, in the order CloudFormation documents them.
const TOP: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Resources",
];
const RESOURCE: &[&str] = &[
    "Type",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Metadata",
    "Properties",
];

/// The template as a YAML document.
pub fn to_yaml(template: &Value) -> String {
    let mut out = String::new();
    match template {
        Value::Object(_) => block(&mut out, template, 0, 0),
        other => out.push_str(&scalar(other)),
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => (f as i64).to_string(),
            _ => n.to_string(),
        },
        Value::String(s) => quoted(s),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        // Containers are written as blocks by the caller.
        _ => String::new(),
    }
}

/// JSON's string escapes are YAML double-quoted escapes.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == ':')
        && !k.ends_with(':')
    {
        k.to_string()
    } else {
        quoted(k)
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
        _ => false,
    }
}

/// A mapping or sequence at `indent`; `depth` 0 is the template, 2 a resource.
fn block(out: &mut String, v: &Value, indent: usize, depth: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            let order: &[&str] = match depth {
                0 => TOP,
                2 => RESOURCE,
                _ => &[],
            };
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(order.len()));
            for k in keys {
                let x = &m[k];
                if is_block(x) {
                    let _ = writeln!(out, "{pad}{}:", key(k));
                    let inner = if x.is_array() { indent } else { indent + 2 };
                    block(out, x, inner, depth + 1);
                } else {
                    let _ = writeln!(out, "{pad}{}: {}", key(k), scalar(x));
                }
            }
        }
        Value::Array(items) => {
            for x in items {
                if is_block(x) {
                    // The first line of the item follows the dash.
                    let mut inner = String::new();
                    block(&mut inner, x, indent + 2, depth + 1);
                    let trimmed = inner.trim_start_matches(' ');
                    let _ = write!(out, "{pad}- {trimmed}");
                } else {
                    let _ = writeln!(out, "{pad}- {}", scalar(x));
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar(other));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_in_cloudformation_order_and_values_quoted_where_yaml_needs_it() {
        let t = json!({"Resources": {"A": {"Properties": {"Threshold": 11.0, "Tags": [
            {"Key": "ivstack:stack", "Value": "true"}, {"Key": "cost-center", "Value": "4021"}]},
            "Type": "AWS::CloudWatch::Alarm"}}, "AWSTemplateFormatVersion": "2010-09-09"});
        let y = to_yaml(&t);
        assert!(y.find("AWSTemplateFormatVersion").unwrap() < y.find("Resources").unwrap());
        assert!(
            y.find("Type:").unwrap() < y.find("Properties:").unwrap(),
            "{y}"
        );
        assert!(y.contains("Threshold: 11\n"), "{y}");
        assert!(
            y.contains("AWSTemplateFormatVersion: \"2010-09-09\"\n"),
            "{y}"
        );
        // Read back, the strings stay strings.
        let back = &yaml_rust2::YamlLoader::load_from_str(&y).unwrap()[0];
        let tags = &back["Resources"]["A"]["Properties"]["Tags"];
        assert_eq!(tags[0]["Value"].as_str(), Some("true"));
        assert_eq!(tags[1]["Value"].as_str(), Some("4021"));
        assert_eq!(
            back["AWSTemplateFormatVersion"].as_str(),
            Some("2010-09-09")
        );
        assert_eq!(
            back["Resources"]["A"]["Properties"]["Threshold"].as_i64(),
            Some(11)
        );
    }
}
