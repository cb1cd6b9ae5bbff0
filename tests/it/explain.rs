//! `ivstack explain` through the binary: text and Markdown of the shipped stacks and
//! examples (snapshots), the risky-capability sentences, and invalid files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ivstack");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .args(args)
        .output()
        .expect("run ivstack")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(args: &[&str]) -> String {
    let o = run(&root(), args);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(o.stderr.is_empty(), "{}", show(&o));
    String::from_utf8(o.stdout).expect("UTF-8")
}

#[test]
fn text_of_the_shipped_stacks() {
    let text = ok(&["explain"]);
    insta::assert_snapshot!("explain_text_of_shipped_stacks", text);
    assert_eq!(text, ok(&["explain", "stacks", "--output", "text"]));
}

#[test]
fn markdown_of_the_shipped_stacks_and_the_raw_document_example() {
    let md = ok(&[
        "explain",
        "--output",
        "markdown",
        "stacks",
        "examples/raw-policy-document.yaml",
    ]);
    insta::assert_snapshot!("explain_markdown_of_shipped_stacks", md);
    // Every table row has its five cells.
    for line in md
        .lines()
        .filter(|l| l.starts_with("| Allow") || l.starts_with("| Deny"))
    {
        assert_eq!(line.matches(" | ").count(), 4, "{line}");
    }
}

#[test]
fn grants_read_with_access_levels_resources_and_conditions() {
    let text = ok(&["explain", "stacks/production.yaml"]);
    // The token service, per policy: action, access level, logical id and ARN pattern.
    assert!(text.contains(
        "    Allow ivs:CreateParticipantToken (Write)\n      on stage `main` (`arn:aws:ivs:us-west-2:123456789012:stage/<id>`)\n         stage `backstage` (`arn:aws:ivs:us-west-2:123456789012:stage/<id>`)\n"
    ), "{text}");
    assert!(
        text.contains("    ! can mint publish tokens for 2 stages (`main`, `backstage`)\n"),
        "{text}"
    );
    // Per stage: who may do what on it, recording, alarms and who they tell.
    assert!(text.contains("    granted: policy `token-service`: `ivs:CreateParticipantToken` (Write), `ivs:GetStage` (Read), `ivs:GetStageSession` (Read), `ivs:ListParticipants` (List)\n"), "{text}");
    assert!(
        text.contains("(through `arn:aws:ivs:us-west-2:123456789012:stage/*`)"),
        "{text}"
    );
    assert!(text.contains("    alarm main-packet-loss: `DownloadPacketLoss` Average > 5 (Percent) in 3 of 5 periods of 60 s; notifies arn:aws:sns:us-west-2:123456789012:live-prod-oncall\n"), "{text}");
    // Per budget: dollars, thresholds, who, what.
    assert!(
        text.contains("  ivs-monthly (name live-prod-ivs-monthly): $5,000.00 per month\n"),
        "{text}"
    );
    assert!(
        text.contains("    notifies when ACTUAL spend reaches 80% ($4,000.00)\n"),
        "{text}"
    );
    assert!(
        text.contains("    notifies when FORECASTED spend reaches 100% ($5,000.00)\n"),
        "{text}"
    );
    assert!(text.contains("tagged `ivstack:stack=live-prod`"), "{text}");
    // Conditions.
    let raw = ok(&["explain", "examples/raw-policy-document.yaml"]);
    assert!(
        raw.contains("      when aws:RequestTag/team StringEquals media\n"),
        "{raw}"
    );
    assert!(raw.contains("(only when its conditions hold)"), "{raw}");
}

#[test]
fn risky_capabilities_are_spelt_out() {
    let text = ok(&["explain", "examples/lint-findings.yaml"]);
    for sentence in [
        "! can delete stage `main`",
        "! can delete every stage in the account",
        "! can mint publish tokens for every stage matching `arn:aws:ivs:us-west-2:123456789012:stage/*`",
        "! can change IAM permissions (`iam:CreatePolicyVersion`): it can grant itself, or anyone, more access",
    ] {
        assert!(text.contains(sentence), "missing {sentence:?} in\n{text}");
    }
    // A misspelt action and an action on the wrong resource type grant nothing.
    assert!(
        text.contains(
            "    Allow ivs:GetStages (unknown (not in the action table))\n      on stage `main`"
        ),
        "{text}"
    );
    assert!(text.contains("    Allow ivs:ListStorageConfigurations (List)\n      grants nothing: it supports no resource-level permission and needs `*`\n"), "{text}");
    // A wildcard shows how much it grants.
    assert!(
        text.contains("    Allow ivs:* (20 of the 71 actions act here: 8 Write, 2 Tagging, 4 Read, 6 List)\n      on stage `main`"),
        "{text}"
    );
    let md = ok(&[
        "explain",
        "--output",
        "markdown",
        "examples/lint-findings.yaml",
    ]);
    assert!(
        md.contains(
            "<details><summary><code>ivs:*</code>: the 20 actions it grants here</summary>"
        ),
        "{md}"
    );
    assert!(
        md.contains("- **Write:** `ivs:CreateParticipantToken`, `ivs:CreateStage`, "),
        "{md}"
    );
}

#[test]
fn invalid_files_are_reported_as_validate_does() {
    let o = run(
        &root(),
        &["explain", "examples/bad-syntax.yaml", "stacks/demo.yaml"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("invalid YAML"), "{}", show(&o));
    assert!(
        err.contains("1 invalid stack file(s) not explained"),
        "{}",
        show(&o)
    );
    // The valid file is still explained.
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("Stack `demo`"),
        "{}",
        show(&o)
    );
}
