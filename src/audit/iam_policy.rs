//! `ivstack iam-policy`: the least-privilege IAM policy ivstack itself needs for some
//! stacks, to plan (read only) or to apply and destroy.
//!
//! Each kind says which actions its calls make on which ARN patterns
//! ([`crate::kinds::audited::Audited::permissions`], through the registry); this module
//! adds what is not a kind's (`sts:GetCallerIdentity`, the lock's S3 object), widens to
//! `*` exactly the actions the action table says take no resource-level permission, and
//! groups actions that share their resources into statements whose Sid says what they are
//! for. Pure: a function of the loaded stack files. The proof that the policy allows every
//! call ivstack makes, and nothing unused, is `tests/it/iam_policy.rs`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::actions::table;
use crate::kinds::Kind;
use crate::kinds::audited::{Mode, Permission, Scope};
use crate::lock::LockLocation;
use crate::stack::model::StackFile;

/// An IAM policy document, keys in IAM's usual order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    #[serde(rename = "Sid")]
    pub sid: String,
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    #[serde(rename = "Action")]
    pub actions: Vec<String>,
    #[serde(rename = "Resource")]
    pub resources: Vec<String>,
}

impl Policy {
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Every permission ivstack needs for `stacks` in `mode`.
fn permissions(stacks: &[&StackFile], mode: Mode) -> Vec<Permission> {
    let mut out = vec![Permission::new(
        Mode::Plan,
        // The account guard, before anything else.
        &["sts:GetCallerIdentity"],
        vec!["*".into()],
    )];
    for stack in stacks {
        let account = stack.account.as_deref().unwrap_or("*");
        for kind in Kind::ALL {
            let scope = Scope {
                stack,
                account,
                declared: !stack.ids(*kind).is_empty(),
            };
            out.extend(kind.permissions(&scope));
        }
        // Apply and destroy hold the stack's lock (an S3 object) while they run.
        if let Some(loc) = stack
            .lock
            .as_deref()
            .and_then(|l| LockLocation::parse(l).ok())
        {
            out.push(Permission::new(
                Mode::Apply,
                &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                vec![format!(
                    "arn:aws:s3:::{}/{}",
                    loc.bucket,
                    loc.key(&stack.stack)
                )],
            ));
        }
    }
    out.retain(|p| mode == Mode::Apply || p.mode == Mode::Plan);
    out
}

/// Whether the action table says the action can be limited to resources (an action it
/// does not know is taken to be).
fn resource_level(action: &str) -> bool {
    table()
        .action(action)
        .is_none_or(|a| a.action.resource_level())
}

/// The policy for `stacks` in `mode`.
pub fn policy(stacks: &[&StackFile], mode: Mode) -> Policy {
    // Action → the resources it needs.
    let mut by_action: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in permissions(stacks, mode) {
        for a in &p.actions {
            let entry = by_action.entry(a.to_string()).or_default();
            if resource_level(a) {
                entry.extend(p.resources.iter().cloned());
            } else {
                entry.insert("*".into());
            }
        }
    }
    // `*` covers everything else an action was given.
    for resources in by_action.values_mut() {
        if resources.contains("*") {
            resources.retain(|r| r == "*");
        }
    }
    // One statement per kind of resource (service, region, account, resource type) and
    // set of actions: its Sid can then say exactly what it is for.
    let mut per_resource: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (action, resources) in by_action {
        for r in resources {
            per_resource.entry(r).or_default().insert(action.clone());
        }
    }
    let mut groups: BTreeMap<(String, BTreeSet<String>), BTreeSet<String>> = BTreeMap::new();
    for (resource, actions) in per_resource {
        groups
            .entry((family(&resource), actions))
            .or_default()
            .insert(resource);
    }
    let mut statements: Vec<Statement> = groups
        .into_iter()
        .map(|((_, actions), resources)| Statement {
            sid: sid(&actions, &resources),
            effect: "Allow",
            actions: actions.into_iter().collect(),
            resources: resources.into_iter().collect(),
        })
        .collect();
    statements.sort_by(|a, b| a.sid.cmp(&b.sid).then(a.resources.cmp(&b.resources)));
    // Sids are unique in a policy.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for st in &mut statements {
        let n = seen.entry(st.sid.clone()).or_default();
        *n += 1;
        if *n > 1 {
            st.sid = format!("{}{n}", st.sid);
        }
    }
    Policy {
        version: "2012-10-17",
        statements,
    }
}

/// What a resource pattern is: `ivs:us-west-2:123456789012:stage`, or `*`.
fn family(resource: &str) -> String {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    match parts.as_slice() {
        [_, _, service, region, account, rest] => {
            let ty = rest.split(['/', ':']).next().unwrap_or("");
            format!("{service}:{region}:{account}:{ty}")
        }
        _ => resource.to_string(),
    }
}

/// `eu-west-1` → `EuWest1`, `ingest-configuration` → `IngestConfiguration`.
fn camel(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A Sid that says what the statement is for (Sids allow only letters and digits).
fn sid(actions: &BTreeSet<String>, resources: &BTreeSet<String>) -> String {
    if resources.iter().all(|r| r == "*") {
        return "AnyResourceTheseActionsTakeNoResourceLevelPermission".into();
    }
    let first = resources.iter().next().map(String::as_str).unwrap_or("");
    let parts: Vec<&str> = first.splitn(6, ':').collect();
    let (service, region, account, rest) = match parts.as_slice() {
        [_, _, service, region, account, rest] => (*service, *region, *account, *rest),
        _ => ("", "", "", ""),
    };
    let what = match service {
        "ivs" => camel(rest.split('/').next().unwrap_or("")) + "s",
        "iam" => "StackPolicies".into(),
        "cloudwatch" => "StackAlarms".into(),
        "budgets" if resources.iter().any(|r| r.ends_with("budget/*")) => {
            "EveryBudgetDescribeBudgetsListsThemAll".into()
        }
        "budgets" => "StackBudgets".into(),
        "s3" => "StackLock".into(),
        other => camel(other),
    };
    let access = if actions
        .iter()
        .all(|a| table().action(a).is_some_and(|x| !x.access().changes()))
    {
        "Read"
    } else {
        "Manage"
    };
    let mut sid = format!("{access}{what}{}", camel(region));
    if account == "*" {
        sid.push_str("InAnyAccountTheStackFileSetsNone");
    }
    sid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(src: &str) -> StackFile {
        crate::stack::load_str("t.yaml", src).unwrap().model
    }

    #[test]
    fn plan_is_read_only_and_apply_adds_changes() {
        let s = stack(
            "stack: demo\nregion: us-east-1\naccount: \"123456789012\"\nstages:\n  live: {}\n",
        );
        let plan = policy(&[&s], Mode::Plan);
        let actions: Vec<&str> = plan
            .statements
            .iter()
            .flat_map(|st| st.actions.iter().map(String::as_str))
            .collect();
        assert!(actions.contains(&"ivs:GetStage") && actions.contains(&"sts:GetCallerIdentity"));
        assert!(
            !actions
                .iter()
                .any(|a| a.contains("Create") || a.contains("Delete"))
        );
        let apply = policy(&[&s], Mode::Apply);
        let stage = apply
            .statements
            .iter()
            .find(|st| st.actions.contains(&"ivs:CreateStage".to_string()))
            .unwrap();
        assert_eq!(
            stage.resources,
            ["arn:aws:ivs:us-east-1:123456789012:stage/*"]
        );
        assert!(stage.actions.contains(&"ivs:GetStage".to_string()));
        assert_eq!(stage.sid, "ManageStagesUsEast1");
        // `*` only for actions without resource-level permissions, said in the Sid.
        let star = apply
            .statements
            .iter()
            .find(|st| st.resources == ["*"])
            .unwrap();
        assert_eq!(
            star.sid,
            "AnyResourceTheseActionsTakeNoResourceLevelPermission"
        );
        for a in &star.actions {
            assert!(!resource_level(a), "{a}");
        }
        // No policies in the file: none are read or written, but they are listed.
        assert!(!actions.contains(&"iam:GetPolicy") && actions.contains(&"iam:ListPolicies"));
    }

    #[test]
    fn no_account_is_any_account_and_says_so() {
        let s = stack(
            "stack: demo\nregion: us-east-1\nstages:\n  live: {}\nlock: s3://locks/ivstack\n",
        );
        let p = policy(&[&s], Mode::Apply);
        let stage = p
            .statements
            .iter()
            .find(|st| st.actions.contains(&"ivs:CreateStage".to_string()))
            .unwrap();
        assert_eq!(stage.resources, ["arn:aws:ivs:us-east-1:*:stage/*"]);
        assert!(
            stage.sid.ends_with("InAnyAccountTheStackFileSetsNone"),
            "{}",
            stage.sid
        );
        let lock = p
            .statements
            .iter()
            .find(|st| st.actions.contains(&"s3:PutObject".to_string()))
            .unwrap();
        assert_eq!(lock.resources, ["arn:aws:s3:::locks/ivstack/demo.lock"]);
        assert!(
            !policy(&[&s], Mode::Plan)
                .statements
                .iter()
                .any(|st| st.actions.iter().any(|a| a.starts_with("s3:")))
        );
    }
}
