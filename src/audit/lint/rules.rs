//! The lint rules: stable ids, default severities, and the words that explain each one.
//!
//! One table, read by the checks (which name rules by constant), the text and JSON output,
//! SARIF's `tool.driver.rules`, and the README's rule table (a test keeps that in step).
//! Ids are stable: a rule that goes away leaves its id unused.

use crate::stack::Severity;

/// One rule.
#[derive(Debug)]
pub struct Rule {
    /// `IVS001`.
    pub id: &'static str,
    /// `wildcard-action`: a short name (SARIF's `name`).
    pub name: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// What it finds, in one line.
    pub summary: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

/// What a rule is about (SARIF tags; GitHub ranks security findings separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Who can do what: IAM and exposed endpoints.
    Security,
    /// What is left unwatched.
    Operations,
    /// The suppression comments themselves.
    Comments,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Operations => "operations",
            Category::Comments => "comments",
        }
    }
}

macro_rules! rules {
    ($( $konst:ident = $id:literal $name:literal $sev:ident $cat:ident,
        summary: $summary:literal, why: $why:literal, fix: $fix:literal; )*) => {
        $( pub const $konst: &Rule = &Rule {
            id: $id,
            name: $name,
            severity: Severity::$sev,
            category: Category::$cat,
            summary: $summary,
            why: $why,
            fix: $fix,
        }; )*
        /// Every rule, in id order.
        pub const ALL: &[&Rule] = &[$( $konst, )*];
    };
}

rules! {
    WILDCARD_ACTION = "IVS001" "wildcard-action" Error Security,
        summary: "A policy allows every action (`*`) or every action of a service (`ivs:*`).",
        why: "A wildcard grants every action the service has today and every one it adds later, deleting stages and changing IAM included.",
        fix: "List the actions the holder needs, e.g. `allow: [ivs:CreateParticipantToken, ivs:GetStage]`.";
    STAR_RESOURCE_IVS_WRITE = "IVS002" "star-resource-on-ivs-write" Error Security,
        summary: "An IVS action that changes something is allowed on `\"*\"` although IVS can limit it to resources.",
        why: "With `\"*\"` the holder can change or delete every stage (or storage configuration, ...) in the account, not only this stack's.",
        fix: "Name the resources of this stack by logical id (`stages: [main]`), or their exact ARNs under `resources:`.";
    STAR_RESOURCE = "IVS003" "star-resource" Warning Security,
        summary: "An action that can be limited to resources is allowed on `\"*\"`.",
        why: "The action works on every resource of its type in the account; least privilege names the resources it needs.",
        fix: "Name the resources (`stages: [main]`, or ARNs under `resources:`); keep `\"*\"` only for actions that support no resource-level permission.";
    TOKEN_ON_EVERY_STAGE = "IVS004" "token-on-every-stage" Error Security,
        summary: "`ivs:CreateParticipantToken` is allowed on a pattern such as `stage/*` that covers every stage.",
        why: "Whoever holds the policy can mint publish tokens for any stage in the account, including stages of other stacks and teams.",
        fix: "Name the stages the token service serves: `stages: [main, backstage]`.";
    UNKNOWN_ACTION = "IVS005" "unknown-action" Warning Security,
        summary: "An action (or service prefix) that the AWS Service Authorization Reference does not list.",
        why: "IAM accepts any action name, so a misspelt one silently grants nothing and the holder's calls fail with AccessDenied.",
        fix: "Correct the name (the finding suggests the closest one). If AWS added the action after ivstack's action table was extracted, suppress the finding with a reason.";
    RESOURCE_MISMATCH = "IVS006" "resource-type-mismatch" Warning Security,
        summary: "An action is allowed only on resources of types it does not act on.",
        why: "The statement grants nothing for that action (e.g. `ivs:ListStorageConfigurations` on a stage ARN, or `ivs:GetStage` on a storage configuration): the call will be denied.",
        fix: "Grant the action on the resource type it takes (the message names it), or on `\"*\"` when it supports no resource-level permission.";
    TOKEN_SERVICE_EXCESS = "IVS007" "token-service-excess" Error Security,
        summary: "A policy that mints participant tokens also changes the same stages, or manages permissions.",
        why: "A token service is exposed to the internet; if it is compromised, everything its policy allows besides minting tokens (deleting or reconfiguring stages, changing IAM) is exposed with it.",
        fix: "Follow the token-minter pattern: the token service's policy has only `ivs:CreateParticipantToken` and `ivs:GetStage` on its stages; put any other action in a separate policy for another principal.";
    PERMISSIONS_MANAGEMENT = "IVS008" "permissions-management" Warning Security,
        summary: "A policy allows actions at the Permissions management access level (changing IAM policies, roles or users).",
        why: "Permissions management lets the holder grant itself, or anyone, more access: the usual path to privilege escalation.",
        fix: "Remove these actions, or keep them in a dedicated, reviewed administration policy with the narrowest resources (e.g. `arn:aws:iam::<account>:policy/ivstack/<stack>/*`).";
    NOT_ACTION_OR_RESOURCE = "IVS009" "allow-with-not-action-or-not-resource" Warning Security,
        summary: "An Allow statement uses `NotAction` or `NotResource`.",
        why: "Allow with `NotAction` grants every action except the listed ones, including actions AWS adds later; Allow with `NotResource` grants on every resource except the listed ones.",
        fix: "Allow the actions and resources the holder needs by name; use `NotAction` / `NotResource` only in Deny statements.";
    RAW_DOCUMENT = "IVS010" "raw-document" Warning Security,
        summary: "A policy is a raw IAM `document` instead of least-privilege `statements`.",
        why: "A raw document can say anything IAM allows (any service, any ARN) and cannot name this stack's resources by logical id, so reviewers must read the JSON. Every other finding inside it is reported where it is.",
        fix: "Rewrite it as `statements:` (actions plus `stages: [ids]` or ARNs under `resources:`); keep the document only when statements cannot express it, and suppress this finding with the reason.";
    STAGE_WITHOUT_ALARM = "IVS011" "stage-without-alarm" Warning Operations,
        summary: "A stage has no alarm.",
        why: "Nobody learns that the stage is near its 12-publisher limit or that viewers lose packets until users complain.",
        fix: "Add an alarm with `stage: <id>`, e.g. on `Publishers` (Maximum >= 11) or `DownloadPacketLoss` (Average > 5).";
    ALARM_WITHOUT_ACTIONS = "IVS012" "alarm-without-actions" Warning Operations,
        summary: "An alarm notifies nobody when it fires (no `alarm_actions`).",
        why: "CloudWatch changes the alarm's state, but no one is told: the alarm only shows in the console.",
        fix: "Add an SNS topic (or other action) ARN to `alarm_actions`.";
    RECORDING_OUTSIDE_STACK = "IVS013" "recording-outside-stack" Warning Operations,
        summary: "A recorded stage writes to a storage configuration that this stack does not declare.",
        why: "The stage depends on a resource nobody reviews with it: if it is deleted or moved to another bucket, recording stops or goes elsewhere.",
        fix: "Declare the storage configuration in `storage_configurations:` and name it by logical id in the stage's `recording`.";
    BUDGET_WITHOUT_ACTUAL_100 = "IVS014" "budget-without-100-percent" Warning Operations,
        summary: "A budget does not notify when ACTUAL spend reaches 100% of its limit.",
        why: "Without it, nobody is told that the limit was reached; forecasts and lower thresholds do not say so.",
        fix: "Include 100 in `notify_percent` (the default is `[80, 100]`).";
    BUDGET_WITHOUT_SUBSCRIBERS = "IVS015" "budget-without-subscribers" Warning Operations,
        summary: "A budget has no subscribers (no `emails`, no `sns_topic_arn`).",
        why: "A budget that tells nobody is a number in the billing console.",
        fix: "Add `emails:` or `sns_topic_arn:`.";
    INSECURE_INGEST = "IVS016" "insecure-ingest" Warning Security,
        summary: "An ingest configuration accepts RTMP without TLS (`insecure_ingest: true`).",
        why: "The stream key travels in clear text: anyone on the path can publish to the stage.",
        fix: "Remove `insecure_ingest` (RTMPS is the default) unless the encoder cannot do TLS; then suppress this finding with the reason.";
    SUPPRESSION_WITHOUT_REASON = "IVS017" "suppression-without-reason" Warning Comments,
        summary: "An `# ivstack:allow` comment has no reason, or names no known rule.",
        why: "Suppressions are reviewed like code: without a reason a reader cannot tell an accepted risk from a silenced one. A suppression without a reason suppresses nothing.",
        fix: "Write `# ivstack:allow IVS0xx <why this is acceptable>` on the line before the finding.";
    UNUSED_SUPPRESSION = "IVS018" "unused-suppression" Note Comments,
        summary: "An `# ivstack:allow` comment suppresses nothing.",
        why: "The finding it was written for is gone (or the comment is not on the line before it): the comment only misleads readers now.",
        fix: "Remove the comment, or move it to the line before the finding it is meant for.";
}

/// The rule with this id.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sequential_unique_and_named() {
        for (i, r) in ALL.iter().enumerate() {
            assert_eq!(r.id, format!("IVS{:03}", i + 1));
            assert!(
                r.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                r.name
            );
            for text in [r.summary, r.why, r.fix] {
                assert!(text.ends_with('.'), "{}: {text}", r.id);
            }
        }
        let names: std::collections::HashSet<&str> = ALL.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), ALL.len());
        assert_eq!(by_id("ivs001").map(|r| r.name), Some("wildcard-action"));
        assert!(by_id("IVS999").is_none());
    }
}
