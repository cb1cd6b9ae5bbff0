//! Grant extraction: an IAM policy document as rows of effect / action / access level /
//! resource / conditions, wildcards expanded against the action table.
//!
//! Pure functions of a document (a `serde_json::Value`), so that every consumer works from
//! the same rows: `lint` and `explain` (documents rendered from stack files, with
//! placeholders such as `${stages.main.arn}` for resources named by logical id), and grant
//! changes in plans (the desired and the live document: two row sets to compare). Each row
//! also says where in the document it comes from (statement, action and resource index),
//! so a finding about it can be positioned in the stack file.
//!
//! The parser is lenient: it reads whatever the document has and skips what is not a
//! policy element. Whether a document is well-formed is `stack::iam_grammar`'s job.

use serde::Serialize;
use serde_json::Value;

use std::collections::HashMap;
use std::sync::LazyLock;

use super::actions::{AccessLevel, ActionRef, Expansion, Named, ResourceType, table};
use crate::kinds::{Kind, Reference};

/// A statement's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// `Action` / `NotAction` or `Resource` / `NotResource` of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// `NotAction` / `NotResource`: everything except the items.
    pub negated: bool,
    /// Written as a list (items are addressed `[i]`) rather than one string.
    pub listed: bool,
    pub items: Vec<String>,
}

impl Element {
    fn read(v: Option<&Value>, negated: bool) -> Element {
        let (listed, items) = match v {
            Some(Value::Array(items)) => (true, items.iter().filter_map(scalar).collect()),
            Some(v) => (false, scalar(v).into_iter().collect()),
            None => (false, Vec::new()),
        };
        Element {
            negated,
            listed,
            items,
        }
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One condition: `StringEquals` on `aws:RequestTag/team` with its values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Condition {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

impl std::fmt::Display for Condition {
    /// `aws:RequestTag/team StringEquals media`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.key,
            self.operator,
            self.values.join(" | ")
        )
    }
}

/// One statement, as the document writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Its position in `Statement`.
    pub index: usize,
    /// `Statement` is a list (statements are addressed `[i]`), not one statement.
    pub listed: bool,
    pub sid: Option<String>,
    /// `Deny` when `Effect` says so (case as IAM ignores it); anything else counts as
    /// Allow here, since a broken effect is the grammar check's finding.
    pub effect: Effect,
    pub actions: Element,
    pub resources: Element,
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// The element's key in the document: `Action` or `NotAction`, ...
    pub fn action_key(&self) -> &'static str {
        if self.actions.negated {
            "NotAction"
        } else {
            "Action"
        }
    }

    pub fn resource_key(&self) -> &'static str {
        if self.resources.negated {
            "NotResource"
        } else {
            "Resource"
        }
    }
}

/// The statements of a document.
pub fn statements(doc: &Value) -> Vec<Statement> {
    let (listed, list): (bool, Vec<&Value>) = match doc.get("Statement") {
        Some(Value::Array(items)) => (true, items.iter().collect()),
        Some(one @ Value::Object(_)) => (false, vec![one]),
        _ => (false, Vec::new()),
    };
    list.into_iter()
        .enumerate()
        .filter_map(|(index, st)| {
            let obj = st.as_object()?;
            let effect = match obj.get("Effect").and_then(Value::as_str) {
                Some(e) if e.eq_ignore_ascii_case("deny") => Effect::Deny,
                _ => Effect::Allow,
            };
            let actions = match obj.get("NotAction") {
                Some(v) => Element::read(Some(v), true),
                None => Element::read(obj.get("Action"), false),
            };
            let resources = match obj.get("NotResource") {
                Some(v) => Element::read(Some(v), true),
                None => Element::read(obj.get("Resource"), false),
            };
            let mut conditions = Vec::new();
            if let Some(Value::Object(ops)) = obj.get("Condition") {
                for (op, keys) in ops {
                    let Value::Object(keys) = keys else { continue };
                    for (key, vals) in keys {
                        conditions.push(Condition {
                            operator: op.clone(),
                            key: key.clone(),
                            values: Element::read(Some(vals), false).items,
                        });
                    }
                }
            }
            Some(Statement {
                index,
                listed,
                sid: obj
                    .get("Sid")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                effect,
                actions,
                resources,
                conditions,
            })
        })
        .collect()
}

fn reference_text<S: serde::Serializer>(r: &Option<Reference>, s: S) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => s.serialize_some(&r.to_string()),
        None => s.serialize_none(),
    }
}

/// What a grant is on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Target {
    /// The resource as the document writes it (`*`, an ARN, a placeholder); for
    /// `NotResource`, its items joined with `, `.
    pub text: String,
    /// The resource of the stack it names, when it is one (by placeholder or through the
    /// caller's resolver). Serialised as `stages.main.arn`.
    #[serde(serialize_with = "reference_text")]
    pub reference: Option<Reference>,
    /// `NotResource`: everything except `text`.
    pub except: bool,
    /// Its index in `Resource` (`None` for `NotResource`).
    pub index: Option<usize>,
}

/// One row: `effect` of `action` on `resource` under `conditions`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Grant {
    pub statement: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    /// `ivs:CreateStage`: the table's spelling, or the text as written when the table does
    /// not know it.
    pub action: String,
    /// From the table; `None` when it does not know the action.
    pub access: Option<AccessLevel>,
    /// The `Action` element it comes from: its index and text when that was a wildcard
    /// (`ivs:Get*`, `*`); `None` index for `NotAction`, whose items `via` lists.
    pub action_index: Option<usize>,
    pub via: Option<String>,
    pub resource: Target,
    pub conditions: Vec<Condition>,
    /// Whether the action can act on that resource at all: an action granted on an ARN of
    /// a resource type it does not take (or on anything but `*` when it supports no
    /// resource-level permission) grants nothing.
    pub applies: bool,
}

impl Grant {
    /// The table's entry for the action, when it has one.
    pub fn action_ref(&self) -> Option<ActionRef> {
        table().action(&self.action)
    }
}

/// The stack resource a `${<section>.<id>.<attribute>}` placeholder names.
pub fn placeholder(text: &str) -> Option<Reference> {
    Reference::parse(text.strip_prefix("${")?.strip_suffix('}')?)
}

/// The table's resource type of each kind that policies can name (`Stage` for stages),
/// found once from the kind's example ARN.
static KIND_TYPES: LazyLock<HashMap<Kind, &'static ResourceType>> = LazyLock::new(|| {
    Kind::ALL
        .iter()
        .filter_map(|k| {
            let arn = k.policy_arn_example("us-east-1", "123456789012")?;
            Some((*k, table().resource_type_of(&arn)?.1))
        })
        .collect()
});

/// The IAM resource type of a kind of the stack, when policies can name it.
pub fn resource_type_of_kind(kind: Kind) -> Option<&'static ResourceType> {
    KIND_TYPES.get(&kind).copied()
}

/// What a grant's target can name: the kind's resource type for a stack resource, else
/// what its text matches.
fn named_by(t: &Target, cache: &mut HashMap<String, Named>) -> Named {
    if let Some(r) = &t.reference {
        return Named::Types(resource_type_of_kind(r.target).into_iter().collect());
    }
    cache
        .entry(t.text.clone())
        .or_insert_with(|| table().types_named_by(&t.text))
        .clone()
}

/// The grants of a document, one row per (statement, action, resource), in document
/// order; wildcard actions are expanded against the table (`ivs:Get*` gives a row per
/// `ivs:Get...` action), actions the table does not know are kept as written.
/// `resolve` names the stack resource behind an ARN (the live side of a plan knows
/// them); placeholders are recognised without it.
pub fn grants(doc: &Value, resolve: &dyn Fn(&str) -> Option<Reference>) -> Vec<Grant> {
    let mut out = Vec::new();
    let mut cache = HashMap::new();
    for st in statements(doc) {
        let targets = targets(&st, resolve);
        // What each resource can name, worked out once for all the statement's actions.
        let named: Vec<Named> = targets.iter().map(|t| named_by(t, &mut cache)).collect();
        for (action, access, action_index, via) in actions(&st) {
            let known = table().action(&action);
            for (target, named) in targets.iter().zip(&named) {
                let applies = match (&known, target.except) {
                    (None, _) | (_, true) => true,
                    (Some(a), false) => a.applies_to_types(named),
                };
                out.push(Grant {
                    statement: st.index,
                    sid: st.sid.clone(),
                    effect: st.effect,
                    action: action.clone(),
                    access,
                    action_index,
                    via: via.clone(),
                    resource: target.clone(),
                    conditions: st.conditions.clone(),
                    applies,
                });
            }
        }
    }
    out
}

fn targets(st: &Statement, resolve: &dyn Fn(&str) -> Option<Reference>) -> Vec<Target> {
    if st.resources.negated {
        return vec![Target {
            text: st.resources.items.join(", "),
            reference: None,
            except: true,
            index: None,
        }];
    }
    st.resources
        .items
        .iter()
        .enumerate()
        .map(|(i, text)| Target {
            text: text.clone(),
            reference: placeholder(text).or_else(|| resolve(text)),
            except: false,
            index: Some(i),
        })
        .collect()
}

type ActionRow = (String, Option<AccessLevel>, Option<usize>, Option<String>);

/// The actions a statement names: (name, access level, element index, wildcard text).
fn actions(st: &Statement) -> Vec<ActionRow> {
    if st.actions.negated {
        // Everything in the table that no item names. (Actions of services the table
        // does not have are granted too, and cannot be listed.)
        let via = format!("NotAction: {}", st.actions.items.join(", "));
        let excluded: Vec<Expansion> = st.actions.items.iter().map(|p| table().expand(p)).collect();
        return table()
            .all()
            .filter(|a| {
                !excluded
                    .iter()
                    .any(|e| e.actions().iter().any(|x| std::ptr::eq(x.action, a.action)))
            })
            .map(|a| (a.full_name(), Some(a.access()), None, Some(via.clone())))
            .collect();
    }
    let mut out = Vec::new();
    for (i, pattern) in st.actions.items.iter().enumerate() {
        let wildcard = super::glob::is_pattern(pattern);
        match table().expand(pattern) {
            Expansion::Actions(found) if !found.is_empty() => {
                let via = wildcard.then(|| pattern.clone());
                out.extend(
                    found
                        .iter()
                        .map(|a| (a.full_name(), Some(a.access()), Some(i), via.clone())),
                );
            }
            // Unknown to the table (another service, or misspelt): as written.
            _ => out.push((pattern.clone(), None, Some(i), None)),
        }
    }
    out
}

/// Whether a grant covers a resource of the stack: it names it (placeholder or resolved
/// ARN), or its resource pattern matches any resource of that kind in the stack's region
/// and account (`stage/*`, `*`). `account` is `None` when the stack does not pin one: then
/// any account in the pattern is taken to be the stack's.
pub fn covers(grant: &Grant, kind: Kind, id: &str, region: &str, account: Option<&str>) -> bool {
    let t = &grant.resource;
    if t.except {
        return false;
    }
    if let Some(r) = &t.reference {
        return r.target == kind && r.id == id;
    }
    if t.text == "*" {
        return true;
    }
    // A pattern with a wildcard in the resource id covers every resource of the type
    // in its region and account; a literal ARN names one physical resource, which is not
    // known offline.
    let Some(example) = kind.policy_arn_example(region, account.unwrap_or("123456789012")) else {
        return false;
    };
    let mut pattern: Vec<&str> = t.text.splitn(6, ':').collect();
    if pattern.len() != 6 || !super::glob::is_pattern(pattern[5]) {
        return false;
    }
    if account.is_none() {
        pattern[4] = "*";
    }
    // The id is unknown until the resource exists: the resource part must match it left
    // open (`stage/*` does, `stage/Ab*` may not).
    let Some((kind_part, _)) = example.rsplit_once('/') else {
        return false;
    };
    super::glob::arn_matches(&pattern.join(":"), &format!("{kind_part}/*"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::kinds::Attribute;

    fn none(_: &str) -> Option<Reference> {
        None
    }

    #[test]
    fn statements_read_strings_lists_and_negations() {
        let doc = json!({"Version": "2012-10-17", "Statement": {
            "Sid": "A", "Effect": "deny", "NotAction": "ivs:DeleteStage", "Resource": ["*"],
            "Condition": {"StringEquals": {"aws:RequestTag/team": "media"}}}});
        let sts = statements(&doc);
        assert_eq!(sts.len(), 1);
        let st = &sts[0];
        assert!(!st.listed);
        assert_eq!(st.effect, Effect::Deny);
        assert_eq!(st.action_key(), "NotAction");
        assert!(!st.actions.listed);
        assert!(st.resources.listed);
        assert_eq!(
            st.conditions,
            [Condition {
                operator: "StringEquals".into(),
                key: "aws:RequestTag/team".into(),
                values: vec!["media".into()],
            }]
        );
        assert_eq!(
            st.conditions[0].to_string(),
            "aws:RequestTag/team StringEquals media"
        );
        assert!(statements(&json!("not a document")).is_empty());
    }

    #[test]
    fn wildcards_expand_and_placeholders_name_stack_resources() {
        let doc = json!({"Statement": [{"Effect": "Allow",
            "Action": ["ivs:Get*", "ivs:CreateParticipantToken", "ec2:RunInstances"],
            "Resource": ["${stages.main.arn}", "arn:aws:ivs:us-west-2:123456789012:storage-configuration/AbCd"]}]});
        let g = grants(&doc, &none);
        let get_actions = table().expand("ivs:Get*").actions().len();
        assert_eq!(g.len(), (get_actions + 2) * 2);
        let token: Vec<&Grant> = g
            .iter()
            .filter(|g| g.action == "ivs:CreateParticipantToken")
            .collect();
        assert_eq!(token.len(), 2);
        assert_eq!(
            token[0].resource.reference,
            Some(Reference::new(Kind::Stage, "main", Attribute::Arn))
        );
        assert!(token[0].applies, "a token on a stage");
        assert!(
            !token[1].applies,
            "a token on a storage configuration grants nothing"
        );
        assert_eq!(token[0].access, Some(AccessLevel::Write));
        assert_eq!(token[0].via, None);
        assert_eq!(token[0].action_index, Some(1));
        let get_stage = g.iter().find(|g| g.action == "ivs:GetStage").unwrap();
        assert_eq!(get_stage.via.as_deref(), Some("ivs:Get*"));
        assert_eq!(get_stage.action_index, Some(0));
        let get_storage = g
            .iter()
            .filter(|g| g.action == "ivs:GetStorageConfiguration")
            .collect::<Vec<_>>();
        assert!(!get_storage[0].applies && get_storage[1].applies);
        let ec2 = g.iter().find(|g| g.action == "ec2:RunInstances").unwrap();
        assert_eq!((ec2.access, ec2.applies), (None, true));
    }

    #[test]
    fn not_action_grants_everything_else_in_the_table() {
        let doc = json!({"Statement": [{"Effect": "Allow", "NotAction": ["iam:*"], "NotResource": "arn:aws:ivs:*:*:stage/x"}]});
        let g = grants(&doc, &none);
        let iam = table().service("iam").unwrap().actions.len();
        assert_eq!(g.len(), table().all().count() - iam);
        assert!(g.iter().all(|g| !g.action.starts_with("iam:")));
        assert!(
            g.iter()
                .all(|g| g.resource.except && g.action_index.is_none())
        );
        assert_eq!(g[0].via.as_deref(), Some("NotAction: iam:*"));
    }

    #[test]
    fn the_resolver_names_live_arns() {
        let arn = "arn:aws:ivs:us-west-2:123456789012:stage/AbCdEfGhIjKl";
        let doc =
            json!({"Statement": [{"Effect": "Allow", "Action": "ivs:GetStage", "Resource": arn}]});
        let g = grants(&doc, &|a| {
            (a == arn).then(|| Reference::new(Kind::Stage, "main", Attribute::Arn))
        });
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].resource.reference.as_ref().unwrap().id, "main");
        assert_eq!(g[0].resource.index, Some(0));
    }

    #[test]
    fn grants_cover_stack_resources_by_name_or_pattern() {
        let row = |resource: &str| {
            let doc = json!({"Statement": [{"Effect": "Allow", "Action": "ivs:GetStage", "Resource": resource}]});
            grants(&doc, &none).remove(0)
        };
        let acct = Some("123456789012");
        let on = |r: &str, account| covers(&row(r), Kind::Stage, "main", "us-west-2", account);
        assert!(on("${stages.main.arn}", acct));
        assert!(!on("${stages.other.arn}", acct));
        assert!(on("*", acct));
        assert!(on("arn:aws:ivs:us-west-2:123456789012:stage/*", acct));
        assert!(on("arn:aws:ivs:*:*:*", acct));
        assert!(!on("arn:aws:ivs:us-east-1:123456789012:stage/*", acct));
        assert!(!on("arn:aws:ivs:us-west-2:999999999999:stage/*", acct));
        assert!(on("arn:aws:ivs:us-west-2:999999999999:stage/*", None));
        assert!(!on("arn:aws:ivs:us-west-2:123456789012:stage/AbCd", acct));
        // Some stages, not all: which ones is not known offline.
        assert!(!on("arn:aws:ivs:us-west-2:123456789012:stage/Ab*", acct));
        assert!(!on(
            "arn:aws:ivs:us-west-2:123456789012:storage-configuration/*",
            acct
        ));
    }
}
