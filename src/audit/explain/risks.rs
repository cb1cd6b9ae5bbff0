//! Risky capabilities in one sentence each: what a policy's holder could do that a
//! reviewer should notice ("can mint publish tokens for 2 stages", "can delete stages",
//! "can change IAM permissions"). Read from the grant rows, Allow and effective only.

use std::collections::BTreeSet;

use crate::audit::actions::AccessLevel;
use crate::audit::grants::{Effect, Grant};

/// Capabilities worth a sentence, by action. `{on}` is replaced by what the action is
/// granted on ("2 stages (`main`, `backstage`)", "every stage in the account").
const SENTENCES: &[(&str, &str)] = &[
    (
        "ivs:CreateParticipantToken",
        "can mint publish tokens for {on}",
    ),
    ("ivs:DeleteStage", "can delete {on}"),
    (
        "ivs:UpdateStage",
        "can change the settings (name, recording) of {on}",
    ),
    (
        "ivs:DisconnectParticipant",
        "can disconnect participants from {on}",
    ),
    (
        "ivs:StartParticipantReplication",
        "can replicate participants of {on} into other stages",
    ),
    (
        "ivs:CreateStage",
        "can create stages (billed while participants are connected)",
    ),
    (
        "ivs:ImportPublicKey",
        "can import public keys, and then sign its own participant tokens for any stage",
    ),
    (
        "ivs:DeletePublicKey",
        "can delete public keys (self-signed participant tokens stop working)",
    ),
    (
        "ivs:DeleteStorageConfiguration",
        "can delete storage configurations (recordings stop)",
    ),
    (
        "ivs:StartComposition",
        "can start server-side compositions (billed per encoding hour)",
    ),
    ("iam:PassRole", "can pass IAM roles to AWS services"),
    ("sts:AssumeRole", "can assume IAM roles"),
    ("cloudwatch:DeleteAlarms", "can delete alarms"),
    (
        "cloudwatch:DisableAlarmActions",
        "can silence alarms (disable their actions)",
    ),
    ("budgets:ModifyBudget", "can change or delete budgets"),
];

/// The sentences for one policy's grant rows, most serious first.
pub fn sentences(rows: &[Grant]) -> Vec<String> {
    let live: Vec<&Grant> = rows
        .iter()
        .filter(|g| g.effect == Effect::Allow && g.applies)
        .collect();
    let mut out = Vec::new();
    let pm: BTreeSet<&str> = live
        .iter()
        .filter(|g| g.access == Some(AccessLevel::PermissionsManagement))
        .map(|g| g.action.as_str())
        .collect();
    if !pm.is_empty() {
        let examples: Vec<String> = pm.iter().take(3).map(|a| format!("`{a}`")).collect();
        let more = if pm.len() > 3 {
            format!(" and {} more", pm.len() - 3)
        } else {
            String::new()
        };
        out.push(format!(
            "can change IAM permissions ({}{more}): it can grant itself, or anyone, more access",
            examples.join(", ")
        ));
    }
    if live.iter().any(|g| g.via.as_deref() == Some("*")) {
        out.push("can call every action of every AWS service (`*`)".into());
    }
    for (action, sentence) in SENTENCES {
        let grants: Vec<&&Grant> = live
            .iter()
            .filter(|g| g.action.eq_ignore_ascii_case(action))
            .collect();
        if grants.is_empty() {
            continue;
        }
        let mut text = sentence.replace("{on}", &on(&grants));
        if grants.iter().any(|g| !g.conditions.is_empty()) {
            text.push_str(" (only when its conditions hold)");
        }
        out.push(text);
    }
    out
}

/// What a set of stage grants covers, in words.
fn on(grants: &[&&Grant]) -> String {
    let mut named: Vec<String> = Vec::new();
    let mut patterns: Vec<String> = Vec::new();
    for g in grants {
        let t = &g.resource;
        if let Some(r) = &t.reference {
            let n = format!("`{}`", r.id);
            if !named.contains(&n) {
                named.push(n);
            }
        } else if t.text == "*" || t.except {
            return "every stage in the account".into();
        } else if crate::audit::glob::is_pattern(&t.text) {
            if !patterns.contains(&t.text) {
                patterns.push(t.text.clone());
            }
        } else {
            let n = format!("`{}`", t.text);
            if !named.contains(&n) {
                named.push(n);
            }
        }
    }
    let mut parts = Vec::new();
    if !patterns.is_empty() {
        let p: Vec<String> = patterns.iter().map(|p| format!("`{p}`")).collect();
        parts.push(format!("every stage matching {}", p.join(", ")));
    }
    match named.len() {
        0 => {}
        1 => parts.push(format!("stage {}", named[0])),
        n => parts.push(format!("{n} stages ({})", named.join(", "))),
    }
    parts.join(" and ")
}
