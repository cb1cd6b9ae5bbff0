//! What the kinds share for taking over what exists (`ivstack discover`, `ivstack import`):
//! the logical ids given to discovered resources, and the tags a stack file keeps of them.
//!
//! Each kind finds every live resource of its kind (`ResourceKind::discover`) and renders
//! one back into its stack-file form (`ResourceKind::render`); references between
//! discovered resources become logical ids through [`LogicalIds`].

use std::collections::{BTreeMap, BTreeSet};

use super::{Attribute, Kind, Resource, TAG_ID, TAG_PROTECT, TAG_STACK};
use crate::stack::schema::LOGICAL_ID_MAX;

/// The logical id of every discovered resource, by kind and physical id.
#[derive(Debug, Clone, Default)]
pub struct LogicalIds {
    by_physical: BTreeMap<(Kind, String), String>,
}

impl LogicalIds {
    /// Logical ids for `resources`: each derived from its name (its `ivstack:id` tag when it
    /// has one), made valid and unique within its kind. Deterministic: resources are taken
    /// in (kind, name, physical id) order.
    pub fn assign(resources: &[Resource]) -> LogicalIds {
        let mut sorted: Vec<&Resource> = resources.iter().collect();
        sorted.sort_by(|a, b| {
            (a.kind, a.name(), &a.physical_id).cmp(&(b.kind, b.name(), &b.physical_id))
        });
        let mut taken: BTreeSet<(Kind, String)> = BTreeSet::new();
        let mut by_physical = BTreeMap::new();
        for r in sorted {
            let base = if r.id.is_empty() {
                id_from_name(r.name(), r.kind)
            } else {
                id_from_name(&r.id, r.kind)
            };
            let mut id = base.clone();
            let mut n = 2;
            while taken.contains(&(r.kind, id.clone())) {
                let suffix = format!("-{n}");
                let keep = (LOGICAL_ID_MAX as usize).saturating_sub(suffix.len());
                id = format!("{}{suffix}", truncate(&base, keep));
                n += 1;
            }
            taken.insert((r.kind, id.clone()));
            by_physical.insert(
                (r.kind, r.physical_id.clone().unwrap_or_default()),
                id.clone(),
            );
        }
        LogicalIds { by_physical }
    }

    /// The logical id of the discovered resource of `kind` with this physical id.
    pub fn of(&self, kind: Kind, physical_id: &str) -> Option<&str> {
        self.by_physical
            .get(&(kind, physical_id.to_string()))
            .map(String::as_str)
    }

    /// The physical id of the discovered resource of `kind` with this logical id.
    pub fn physical_of(&self, kind: Kind, id: &str) -> Option<&str> {
        self.by_physical
            .iter()
            .find(|((k, _), v)| *k == kind && v.as_str() == id)
            .map(|((_, pid), _)| pid.as_str())
    }

    /// The logical id of the discovered resource of `kind` whose `attribute` is `value`
    /// (an alarm's `Stage` dimension holds a stage's id, not its ARN).
    pub fn by_attribute(&self, kind: Kind, attribute: Attribute, value: &str) -> Option<&str> {
        self.by_physical
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .find(|((_, pid), _)| kind.attribute(pid, attribute).as_deref() == Some(value))
            .map(|(_, id)| id.as_str())
    }
}

/// A valid logical id from a physical name: letters, digits, `-` and `_`, starting with
/// a letter or digit, at most [`LOGICAL_ID_MAX`] characters (a name with none of those is
/// named after its kind).
fn id_from_name(name: &str, kind: Kind) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = mapped.trim_start_matches(['-', '_']).trim_end_matches('-');
    let id = if trimmed.is_empty() {
        kind.as_str().to_string()
    } else {
        trimmed.to_string()
    };
    truncate(&id, LOGICAL_ID_MAX as usize)
        .trim_end_matches(['-', '_'])
        .to_string()
}

fn truncate(s: &str, max: usize) -> &str {
    // Ids are ASCII by construction.
    &s[..s.len().min(max)]
}

/// Which live resources discovery reads in full: all of them (`ivstack discover`), or
/// those bearing one of the physical names a stack file declares (`ivstack import`, and
/// `plan` looking for resources `import` would adopt), compared ignoring case (the
/// matcher compares exactly). The cheap list calls always run; the per-resource reads
/// only for what is wanted.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    names: Option<BTreeSet<String>>,
    /// The names as given (for APIs that look names up exactly, case and all).
    given: Vec<String>,
}

impl Wanted {
    pub fn all() -> Wanted {
        Wanted {
            names: None,
            given: Vec::new(),
        }
    }

    pub fn names<'a>(names: impl IntoIterator<Item = &'a str>) -> Wanted {
        let given: Vec<String> = names.into_iter().map(str::to_string).collect();
        Wanted {
            names: Some(given.iter().map(|n| n.to_lowercase()).collect()),
            given,
        }
    }

    /// The names asked for exactly as given, unless everything is wanted: a kind whose
    /// API looks names up (CloudWatch's `AlarmNames`) asks for just these, which needs
    /// permission on just these.
    pub fn only(&self) -> Option<&[String]> {
        self.names.as_ref().map(|_| self.given.as_slice())
    }

    pub fn wants(&self, name: &str) -> bool {
        self.names
            .as_ref()
            .is_none_or(|n| n.contains(&name.to_lowercase()))
    }
}

/// The tags a stack file keeps of a live resource: its own, without ivstack's ownership
/// tags (the stack adds them) and AWS's `aws:` tags (never managed).
pub fn own_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| {
            !k.starts_with("aws:") && ![TAG_STACK, TAG_ID, TAG_PROTECT].contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The `ivstack:id` tag of a live resource, or "" when it has none (unowned).
pub fn tagged_id(tags: &BTreeMap<String, String>) -> String {
    tags.get(TAG_ID).cloned().unwrap_or_default()
}

/// Whether an ivstack stack owns the resource (it carries `ivstack:stack`).
pub fn owned_by_any(r: &Resource) -> Option<&str> {
    r.tags.get(TAG_STACK).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn stage(name: &str, arn: &str) -> Resource {
        let mut spec = Map::new();
        spec.insert("name".into(), json!(name));
        Resource {
            kind: Kind::Stage,
            id: String::new(),
            physical_id: Some(arn.into()),
            spec,
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn ids_are_valid_unique_and_deterministic() {
        let rs = vec![
            stage("my realtime stage", "arn:b"),
            stage("my-realtime-stage", "arn:a"),
            stage("", "arn:c"),
            stage("__x!", "arn:d"),
        ];
        let ids = LogicalIds::assign(&rs);
        let mut rev = rs.clone();
        rev.reverse();
        let again = LogicalIds::assign(&rev);
        for r in &rs {
            let pid = r.physical_id.as_deref().unwrap();
            assert_eq!(ids.of(Kind::Stage, pid), again.of(Kind::Stage, pid));
        }
        assert_eq!(ids.of(Kind::Stage, "arn:c"), Some("stage"));
        assert_eq!(ids.of(Kind::Stage, "arn:d"), Some("x"));
        let mut two = [
            ids.of(Kind::Stage, "arn:a").unwrap(),
            ids.of(Kind::Stage, "arn:b").unwrap(),
        ];
        two.sort();
        assert_eq!(two, ["my-realtime-stage", "my-realtime-stage-2"]);
        let long = "a".repeat(200);
        let ids = LogicalIds::assign(&[stage(&long, "1"), stage(&long, "2")]);
        for pid in ["1", "2"] {
            let id = ids.of(Kind::Stage, pid).unwrap();
            assert!(id.len() <= 64, "{id}");
        }
    }

    #[test]
    fn own_tags_drop_ownership_and_aws_tags() {
        let tags: BTreeMap<String, String> = [
            ("team", "media"),
            ("aws:cloudformation:stack-name", "x"),
            (TAG_STACK, "s"),
            (TAG_ID, "main"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(own_tags(&tags).keys().collect::<Vec<_>>(), ["team"]);
    }
}
