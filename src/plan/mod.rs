//! The plan: what apply will do, as data.
//!
//! A plan is computed once by a pure function ([`compute::plan`]) from the desired
//! resources and the observed ones, rendered many ways (`render`), saved to a file, and
//! applied exactly. Its JSON form is versioned by [`FORMAT_VERSION`]: consumers ignore
//! unknown keys and reject a new major version.

pub mod compute;
pub mod grants;
pub mod import;
pub mod order;
pub mod render;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kinds::{Kind, Resource};

/// Version of the plan's JSON format (semver: a new major breaks consumers). 1.1 added
/// `after_unknown_references` and the `replace_refused` action; 1.2 added `grant_changes`;
/// 1.3 the `import` action and the summary's `import` count.
pub const FORMAT_VERSION: &str = "1.3";

/// What happens to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Nothing to do.
    NoOp,
    /// The resource does not exist yet.
    Create,
    /// Changed in place; `fields` lists every change.
    Update,
    /// A field that cannot change in place changed: delete, then create.
    Replace,
    /// An owned live resource that the file no longer names.
    Delete,
    /// A delete (or replace) that is refused: the live resource is protected, or a resource
    /// that stays still uses it in a way AWS enforces (`reason` says which).
    DeleteRefused,
    /// A replace that is refused because resources of the stack refer to this one and AWS
    /// cannot create the new one before deleting the old (`reason` says what to do).
    ReplaceRefused,
    /// A second live resource claiming the same logical id (two applies raced): removed.
    RemoveDuplicate,
    /// A live resource no stack owns, with the resource's kind and physical name, adopted
    /// as it is (`ivstack import` adds the ownership tags; its ARN does not change), then
    /// changed in place as `fields` lists. `plan` and `apply` show it and never adopt.
    Import,
}

impl Action {
    /// Whether apply has work to do for this action.
    pub fn changes_anything(self) -> bool {
        !matches!(
            self,
            Action::NoOp | Action::DeleteRefused | Action::ReplaceRefused
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::DeleteRefused => "delete refused",
            Action::ReplaceRefused => "replace refused",
            Action::RemoveDuplicate => "remove duplicate",
            Action::Import => "import",
        }
    }
}

/// One changed field, old → new.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Dotted path within the resource, e.g. `recording.media_types` or `tags.team`.
    pub path: String,
    /// Live value (absent when the field is new).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// Desired value (absent when the field is removed, e.g. a tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// This change cannot be made in place and forces a replace.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forces_replacement: bool,
    /// The new value depends on a resource this plan creates ("known after apply"): it
    /// holds `${<section>.<id>.<attribute>}` placeholders.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_unknown: bool,
}

/// The planned change of one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub kind: Kind,
    /// Logical id.
    pub id: String,
    /// Physical name (desired name, or the live one for deletes).
    pub name: String,
    pub action: Action,
    /// The live resource this change acts on (update, replace, delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_id: Option<String>,
    /// Why, in words, when the action alone does not say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Field-level changes (update, replace; for create every desired field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// The full desired resource (create, update, replace), possibly with placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<Resource>,
    /// The full observed resource (update, replace, delete, duplicate removal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<Resource>,
}

/// What was observed about one logical resource when the plan was made, absence included,
/// so a saved plan can refuse to apply once the world has moved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObservedFingerprint {
    pub kind: Kind,
    pub id: String,
    /// Physical ids and fingerprints of every live resource claiming this id, sorted;
    /// empty when none exists.
    pub live: Vec<(String, String)>,
}

/// Counts per action, for summary lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Adoptions (`import`, format 1.2).
    #[serde(default)]
    pub import: usize,
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub refused: usize,
    pub unchanged: usize,
}

/// A complete plan for one stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: String,
    pub stack: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// True for a destroy plan (everything the stack owns goes).
    #[serde(default)]
    pub destroy: bool,
    /// Every resource, changed or not, in apply order.
    pub changes: Vec<ResourceChange>,
    /// What was observed, for the staleness check of saved plans.
    pub observed: Vec<ObservedFingerprint>,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::NoOp => s.unchanged += 1,
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Replace => s.replace += 1,
                Action::Delete | Action::RemoveDuplicate => s.delete += 1,
                Action::DeleteRefused | Action::ReplaceRefused => s.refused += 1,
                Action::Import => s.import += 1,
            }
        }
        s
    }

    /// Whether applying the plan would change anything.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action.changes_anything())
    }
}

impl Summary {
    /// "2 to create, 1 to update, 0 to replace, 1 to delete".
    pub fn line(&self) -> String {
        let mut s = if self.import > 0 {
            format!("{} to import, ", self.import)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "{} to create, {} to update, {} to replace, {} to delete",
            self.create, self.update, self.replace, self.delete
        ));
        if self.refused > 0 {
            s.push_str(&format!(", {} refused (protected or in use)", self.refused));
        }
        s
    }
}
