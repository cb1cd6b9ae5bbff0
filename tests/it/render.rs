//! Snapshot tests of the three plan renderings (text, JSON report, Markdown) on a
//! representative plan, the empty plan, and a 2,000-resource plan that must be elided to
//! fit a pull-request comment.
//!
//! The plans are built as plain data, so the snapshots show the renderers' work alone.

use std::collections::BTreeMap;

use ivstack::kinds::{Kind, Resource, TAG_ID, TAG_PROTECT, TAG_STACK};
use ivstack::plan::render::{self, DIAGRAM_LIMIT, MARKDOWN_LIMIT};
use ivstack::plan::{Action, FORMAT_VERSION, FieldChange, Plan, ResourceChange};
use serde_json::{Value, json};

const MAIN_ARN: &str = "arn:aws:ivs:us-west-2:123456789012:stage/SideAbCd";

fn field(path: &str, before: Option<Value>, after: Option<Value>) -> FieldChange {
    let after_unknown = after
        .as_ref()
        .is_some_and(|v| v.to_string().contains("${stages."));
    FieldChange {
        path: path.into(),
        before,
        after,
        forces_replacement: false,
        after_unknown,
    }
}

fn forcing(mut f: FieldChange) -> FieldChange {
    f.forces_replacement = true;
    f
}

fn change(
    kind: Kind,
    id: &str,
    name: &str,
    action: Action,
    physical_id: Option<&str>,
) -> ResourceChange {
    ResourceChange {
        kind,
        id: id.into(),
        name: name.into(),
        action,
        physical_id: physical_id.map(str::to_string),
        reason: None,
        fields: Vec::new(),
        desired: None,
        observed: None,
    }
}

fn observed(kind: Kind, id: &str, pid: &str, protect: bool) -> Resource {
    let mut tags = BTreeMap::from([
        (TAG_STACK.to_string(), "live-events".to_string()),
        (TAG_ID.to_string(), id.to_string()),
    ]);
    if protect {
        tags.insert(TAG_PROTECT.to_string(), "true".to_string());
    }
    Resource {
        kind,
        id: id.into(),
        physical_id: Some(pid.into()),
        spec: serde_json::Map::new(),
        tags,
    }
}

fn plan(changes: Vec<ResourceChange>) -> Plan {
    Plan {
        format_version: FORMAT_VERSION.to_string(),
        stack: "live-events".into(),
        region: "us-west-2".into(),
        account: Some("123456789012".into()),
        destroy: false,
        changes,
        observed: Vec::new(),
    }
}

const DOC_BEFORE: &str = r#"{
  "Statement": [
    {
      "Action": [
        "ivs:CreateParticipantToken"
      ],
      "Effect": "Allow",
      "Resource": [
        "arn:aws:ivs:us-west-2:123456789012:stage/SideAbCd"
      ]
    }
  ],
  "Version": "2012-10-17"
}"#;

const DOC_AFTER: &str = r#"{
  "Statement": [
    {
      "Action": [
        "ivs:CreateParticipantToken",
        "ivs:GetStage"
      ],
      "Effect": "Allow",
      "Resource": [
        "${stages.main.arn}",
        "arn:aws:ivs:us-west-2:123456789012:stage/SideAbCd"
      ]
    }
  ],
  "Version": "2012-10-17"
}"#;

/// Every action the planner produces, in apply order, with one no-op.
fn representative() -> Plan {
    let mut create = change(
        Kind::Stage,
        "main",
        "live-events-main",
        Action::Create,
        None,
    );
    create.fields = vec![
        field("name", None, Some(json!("live-events-main"))),
        field(
            "recording.storage_configuration_arn",
            None,
            Some(json!(
                "arn:aws:ivs:us-west-2:123456789012:storage-configuration/AbCd"
            )),
        ),
        field("recording.media_types", None, Some(json!(["AUDIO_VIDEO"]))),
        field("tags.ivstack:id", None, Some(json!("main"))),
        field("tags.ivstack:stack", None, Some(json!("live-events"))),
        // A user value full of Markdown and HTML: escaped in Markdown, verbatim elsewhere.
        field(
            "tags.owner",
            None,
            Some(json!("<b>@media-team</b> *ops* | #42")),
        ),
    ];

    let mut side = change(
        Kind::Stage,
        "side",
        "live-events-side",
        Action::Update,
        Some(MAIN_ARN),
    );
    side.fields = vec![
        field(
            "name",
            Some(json!("side-old")),
            Some(json!("live-events-side")),
        ),
        field(
            "recording.thumbnails.interval_seconds",
            Some(json!(60)),
            Some(json!(30)),
        ),
        field("tags.stale", Some(json!("yes")), None),
        field("tags.tier", None, Some(json!("gold"))),
    ];

    let mut dup = change(
        Kind::Stage,
        "side",
        "live-events-side",
        Action::RemoveDuplicate,
        Some("arn:aws:ivs:us-west-2:123456789012:stage/ZzDup"),
    );
    dup.reason = Some(format!(
        "duplicate of {MAIN_ARN}: two live resources claim this logical id"
    ));
    dup.observed = Some(observed(
        Kind::Stage,
        "side",
        "arn:aws:ivs:us-west-2:123456789012:stage/ZzDup",
        false,
    ));

    let mut doc = change(
        Kind::Policy,
        "token-minter",
        "live-events-token-minter",
        Action::Update,
        Some("arn:aws:iam::123456789012:policy/ivstack/live-events/live-events-token-minter"),
    );
    doc.fields = vec![
        field("document", Some(json!(DOC_BEFORE)), Some(json!(DOC_AFTER))),
        field("tags.team", Some(json!("video")), Some(json!("media"))),
    ];

    let mut audit = change(
        Kind::Policy,
        "auditor",
        "live-events-auditor",
        Action::DeleteRefused,
        Some("arn:aws:iam::123456789012:policy/ivstack/live-events/live-events-auditor"),
    );
    audit.reason = Some(
        "changing description requires replacing it, which would delete a protected policy; \
         change the field back or remove `protect` first"
            .into(),
    );
    audit.fields = vec![forcing(field(
        "description",
        Some(json!("Read-only access for auditors")),
        Some(json!("Read access")),
    ))];

    let mut replace = change(
        Kind::Alarm,
        "publishers",
        "live-events *main* publishers",
        Action::Replace,
        Some("live-events-publishers"),
    );
    replace.reason = Some("name cannot change in place".into());
    replace.fields = vec![
        forcing(field(
            "name",
            Some(json!("live-events-publishers")),
            Some(json!("live-events *main* publishers")),
        )),
        field(
            "dimensions",
            Some(json!([{"name": "Stage", "value": "SideAbCd"}])),
            Some(json!([{"name": "Stage", "value": "${stages.main.id}"}])),
        ),
        field("threshold", Some(json!(12)), Some(json!(11.0))),
    ];

    let mut delete = change(
        Kind::Alarm,
        "old-alarm",
        "live-events-old-alarm",
        Action::Delete,
        Some("live-events-old-alarm"),
    );
    delete.reason = Some("no longer in the stack file".into());

    let mut refused = change(
        Kind::Budget,
        "monthly",
        "live-events-monthly",
        Action::DeleteRefused,
        Some("live-events-monthly"),
    );
    refused.reason = Some(
        "no longer in the stack file, but protected (tag ivstack:protect=true); remove the \
         tag to allow deleting it"
            .into(),
    );

    let noop = change(
        Kind::Budget,
        "yearly",
        "live-events-yearly",
        Action::NoOp,
        Some("live-events-yearly"),
    );

    plan(vec![
        create, side, dup, doc, audit, replace, delete, refused, noop,
    ])
}

#[test]
fn text_of_a_representative_plan() {
    let text = render::text(&representative(), false);
    assert!(!text.contains('\x1b'), "no colour unless asked");
    insta::assert_snapshot!(text);
}

#[test]
fn text_is_coloured_only_when_asked() {
    let p = representative();
    let coloured = render::text(&p, true);
    assert!(coloured.contains("\x1b[32m"), "green for creates");
    assert!(coloured.contains("\x1b[31m"), "red for deletes");
    // Without the escape codes it is the plain text.
    let mut stripped = String::new();
    let mut rest = coloured.as_str();
    while let Some(i) = rest.find('\x1b') {
        stripped.push_str(&rest[..i]);
        let end = rest[i..].find('m').expect("escape ends with m");
        rest = &rest[i + end + 1..];
    }
    stripped.push_str(rest);
    assert_eq!(stripped, render::text(&p, false));
}

#[test]
fn json_of_a_representative_plan() {
    let p = representative();
    let v = render::json(&p);
    assert_eq!(v["format_version"], FORMAT_VERSION);
    assert_eq!(v["summary"]["delete"], 2);
    assert_eq!(v["summary"]["refused"], 2);
    assert_eq!(v["resource_changes"].as_array().map(Vec::len), Some(9));
    // The report is not the saved plan: no full resources, no fingerprints.
    assert!(v.get("observed").is_none() && v["resource_changes"][2].get("observed").is_none());
    // The text form is the same report, keys in documented order.
    let text = render::json_string(&p);
    assert!(
        text.starts_with(&format!(
            "{{\n  \"format_version\": \"{FORMAT_VERSION}\",\n"
        )),
        "{text}"
    );
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
    insta::assert_snapshot!(render::json_string(&p));
}

#[test]
fn markdown_of_a_representative_plan() {
    let md = render::markdown(&representative());
    // User values are escaped wherever Markdown would read them (outside fenced blocks).
    let outside: String = md.split("```").step_by(2).collect::<Vec<_>>().concat();
    assert!(!outside.contains("*main*"), "{outside}");
    assert!(outside.contains("live-events &#42;main&#42; publishers"));
    // Inside a fenced block nothing is interpreted: the value is shown as it is.
    assert!(md.contains(r#"+ tags.owner: "<b>@media-team</b> *ops* | #42""#));
    assert_eq!(
        md.matches("<details>").count(),
        8,
        "one section per changed resource"
    );
    insta::assert_snapshot!(md);
}

#[test]
fn empty_plan_in_every_rendering() {
    let mut p = plan(vec![change(
        Kind::Stage,
        "main",
        "live-events-main",
        Action::NoOp,
        Some(MAIN_ARN),
    )]);
    let text = render::text(&p, true);
    assert_eq!(
        text,
        "No changes. The live account matches the stack file.\n"
    );
    insta::assert_snapshot!("empty_markdown", render::markdown(&p));
    insta::assert_snapshot!("empty_json", render::json_string(&p));
    p.changes.clear();
    p.destroy = true;
    assert_eq!(
        render::text(&p, false),
        "No changes. Nothing in the live account belongs to stack live-events.\n"
    );
}

#[test]
fn secrets_never_reach_any_rendering() {
    let jwt = "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz";
    let mut c = change(
        Kind::Stage,
        "main",
        "live-events-main",
        Action::Create,
        None,
    );
    c.fields = vec![
        field("tags.note", None, Some(json!(format!("token {jwt}")))),
        field("tags.api-token", None, Some(json!("hunter2"))),
        field("tags.team", None, Some(json!("media"))),
    ];
    let p = plan(vec![c]);
    let json = render::json_string(&p);
    for out in [render::text(&p, false), json.clone(), render::markdown(&p)] {
        assert!(!out.contains(jwt) && !out.contains("hunter2"), "{out}");
        assert!(out.contains("(sensitive value)"), "{out}");
        assert!(out.contains("media"), "other values stay visible: {out}");
    }
    let v: Value = serde_json::from_str(&json).unwrap();
    let changes = &v["resource_changes"][0]["changes"];
    assert_eq!(changes[0]["sensitive"], true);
    assert_eq!(changes[1]["sensitive"], true);
    assert_eq!(changes[2]["sensitive"], false);
}

/// A plan of 2,000 stage creates, each with a handful of fields.
fn huge() -> Plan {
    let changes = (0..2000)
        .map(|i| {
            let id = format!("stage-{i:04}");
            let mut c = change(
                Kind::Stage,
                &id,
                &format!("live-events-{id}"),
                Action::Create,
                None,
            );
            c.fields = vec![
                field("name", None, Some(json!(format!("live-events-{id}")))),
                field("tags.ivstack:id", None, Some(json!(id))),
                field("tags.ivstack:stack", None, Some(json!("live-events"))),
            ];
            c
        })
        .collect();
    plan(changes)
}

#[test]
fn markdown_of_a_huge_plan_is_elided_in_the_middle() {
    let p = huge();
    let md = render::markdown(&p);
    assert!(md.len() < MARKDOWN_LIMIT, "{} bytes", md.len());
    assert!(
        md.len() > MARKDOWN_LIMIT - 2_000,
        "uses the room it has: {}",
        md.len()
    );
    // The summary comes first and counts everything.
    assert!(md.contains("**Plan: 2000 to create, 0 to update, 0 to replace, 0 to delete.**"));
    // First and last resources are shown, the middle is elided, and the note says how many.
    assert!(md.contains("stage.stage-0000") && md.contains("stage.stage-1999"));
    assert!(!md.contains("stage.stage-1000"));
    let shown = md.matches("<details>").count();
    let note = format!("**{} resource changes are elided**", 2000 - shown);
    assert!(md.contains(&note), "{note} missing");
    assert!(md.contains("--output json"));
    let note_at = md.find(&note).unwrap();
    let before = md[..note_at].matches("<details>").count();
    assert!(
        before.abs_diff(shown - before) <= 1,
        "balanced: {before} of {shown}"
    );
    // The JSON report keeps all of them.
    assert_eq!(
        render::json(&p)["resource_changes"]
            .as_array()
            .map(Vec::len),
        Some(2000)
    );
    // Only the part around the note is snapshotted; the rest is the same shape repeated.
    let around = &md[md[..note_at].rfind("<details>").unwrap()..];
    let end = around.find("</details>").unwrap() + "</details>".len();
    let next = around[end..].find("</details>").unwrap() + end + "</details>".len();
    insta::assert_snapshot!(&around[..next]);
}

#[test]
fn markdown_under_the_limit_is_not_elided() {
    let mut p = huge();
    p.changes.truncate(20);
    let md = render::markdown(&p);
    assert_eq!(md.matches("<details>").count(), 20);
    assert!(!md.contains("elided"));
}

#[test]
fn markdown_carries_a_diagram_above_the_details_within_the_limit() {
    let diagram = "flowchart LR\n  n0[\"stage main\"]\n";
    let md = render::markdown_with_diagram(&representative(), Some(diagram));
    let at = md
        .find("<details><summary>Diagram of the changes</summary>\n\n```mermaid\nflowchart LR\n  n0[\"stage main\"]\n```\n\n</details>\n")
        .expect(&md);
    assert!(at < md.find("<details><summary><code>").unwrap(), "{md}");
    // Without a diagram, the same as before.
    assert_eq!(
        render::markdown_with_diagram(&representative(), None),
        render::markdown(&representative())
    );

    // A huge plan with a diagram: still under the limit (the diagram counts).
    let md = render::markdown_with_diagram(&huge(), Some(diagram));
    assert!(md.len() < MARKDOWN_LIMIT, "{} bytes", md.len());
    assert!(md.contains("```mermaid"));
    // A diagram too large gives way to a note saying how to draw it.
    let big = format!(
        "flowchart LR\n{}",
        "  n0 --> n1\n".repeat(DIAGRAM_LIMIT / 10)
    );
    let md = render::markdown_with_diagram(&representative(), Some(&big));
    assert!(!md.contains("```mermaid"), "{md}");
    assert!(md.contains("`ivstack graph --plan plan.json`"), "{md}");
    // So does one with more edges than Mermaid draws, however short.
    let many = format!(
        "flowchart LR\n{}",
        "n0-->n1\n".repeat(render::MERMAID_MAX_EDGES + 1)
    );
    assert!(many.len() < DIAGRAM_LIMIT);
    let md = render::markdown_with_diagram(&representative(), Some(&many));
    assert!(!md.contains("```mermaid"), "{md}");
    assert!(md.contains("501 edges"), "{md}");
    // No changes, no diagram.
    let mut p = huge();
    p.changes.clear();
    assert!(!render::markdown_with_diagram(&p, Some(diagram)).contains("mermaid"));
}

/// The planner's own output, end to end through every rendering (not a snapshot: the
/// document text belongs to the IAM module).
#[test]
fn planner_output_renders_known_after_apply_and_documents() {
    let stack: ivstack::stack::model::StackFile = serde_yaml::from_str(
        r#"
stack: live-events
region: us-west-2
stages:
  main: {}
policies:
  token-minter:
    description: Mints participant tokens for the main stage
    statements:
      - allow: [ivs:CreateParticipantToken]
        stages: [main]
alarms:
  publishers:
    stage: main
    metric: Publishers
    statistic: Maximum
    comparison: ">="
    threshold: 11
"#,
    )
    .unwrap();
    let p = ivstack::plan::compute::plan(&stack, &[], false);
    let text = render::text(&p, false);
    assert!(text.contains("  + policy.token-minter (live-events-token-minter)"));
    assert!(text.contains("      + document:\n"), "{text}");
    assert!(
        text.contains("(known after apply: stages.main.arn)"),
        "{text}"
    );
    assert!(
        text.contains("(known after apply: stages.main.id)"),
        "{text}"
    );
    assert!(
        !text.contains("${stages."),
        "placeholders are spelled out: {text}"
    );
    assert!(text.contains("Plan: 3 to create, 0 to update, 0 to replace, 0 to delete."));
    let md = render::markdown(&p);
    assert!(md.contains("<code>document</code>:"), "{md}");
    assert!(md.contains("(known after apply: stages.main.arn)"), "{md}");
    let v = render::json(&p);
    let doc = &v["resource_changes"][1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "document")
        .unwrap()
        .clone();
    assert_eq!(doc["after_unknown"], true);
    assert!(
        doc["after"]
            .as_str()
            .unwrap()
            .contains("${stages.main.arn}")
    );
    // The report names what the value waits for, as `<section>.<id>.<attribute>`.
    assert_eq!(doc["after_unknown_references"], json!(["stages.main.arn"]));
    let dims = &v["resource_changes"][2]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "dimensions")
        .unwrap()
        .clone();
    assert_eq!(dims["after_unknown_references"], json!(["stages.main.id"]));
    assert!(md.contains("(known after apply: stages.main.id)"), "{md}");
}

/// A plan that changes policies three ways: an update that adds a delete right on a stage
/// the plan creates (and a condition), a create, and a delete.
fn policy_changes() -> Plan {
    let doc = |statements: Value| {
        Value::String(
            serde_json::to_string_pretty(
                &json!({"Version": "2012-10-17", "Statement": statements}),
            )
            .unwrap(),
        )
    };
    let main = change(
        Kind::Stage,
        "main",
        "live-events-main",
        Action::NoOp,
        Some(MAIN_ARN),
    );
    let mut new_stage = change(
        Kind::Stage,
        "backup",
        "live-events-backup",
        Action::Create,
        None,
    );
    new_stage.fields = vec![field("name", None, Some(json!("live-events-backup")))];

    let mut ops = change(
        Kind::Policy,
        "ops",
        "live-events-ops",
        Action::Update,
        Some("arn:aws:iam::123456789012:policy/ivstack/live-events/live-events-ops"),
    );
    ops.fields = vec![field(
        "document",
        Some(doc(json!([{"Effect": "Allow",
            "Action": ["ivs:GetStage", "ivs:UpdateStage"], "Resource": [MAIN_ARN]}]))),
        Some(doc(json!([
            {"Effect": "Allow", "Action": ["ivs:GetStage"], "Resource": [MAIN_ARN, "${stages.backup.arn}"]},
            {"Effect": "Allow", "Action": ["ivs:DeleteStage"], "Resource": ["${stages.backup.arn}"],
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "media"}}}]))),
    )];

    let mut reader = change(
        Kind::Policy,
        "reader",
        "live-events-reader",
        Action::Create,
        None,
    );
    reader.fields = vec![field(
        "document",
        None,
        Some(doc(
            json!([{"Effect": "Allow", "Action": ["ivs:ListStages"], "Resource": ["*"]}]),
        )),
    )];

    let old_pid = "arn:aws:iam::123456789012:policy/ivstack/live-events/live-events-old";
    let mut old = change(
        Kind::Policy,
        "old",
        "live-events-old",
        Action::Delete,
        Some(old_pid),
    );
    let mut live = observed(Kind::Policy, "old", old_pid, false);
    live.spec.insert(
        "document".into(),
        doc(json!([{"Effect": "Allow", "Action": ["ivs:CreateParticipantToken"], "Resource": [MAIN_ARN]}])),
    );
    old.observed = Some(live);
    old.reason = Some("no longer in the stack file".into());
    plan(vec![main, new_stage, ops, reader, old])
}

#[test]
fn grant_changes_in_every_rendering() {
    let p = policy_changes();
    let text = render::text(&p, false);
    // The grants come before the line diff of the document.
    let grants_at = text.find("grants (document):").expect("grant rows");
    assert!(grants_at < text.find("@@").expect("line diff"), "{text}");
    assert!(text.contains(
        "+ Allow ivs:DeleteStage [Write] on stages.backup (known after apply) \
         when aws:ResourceTag/team StringEquals media"
    ));
    assert!(text.contains(&format!(
        "- Allow ivs:UpdateStage [Write] on stages.main ({MAIN_ARN})"
    )));
    assert!(text.contains(&format!(
        "- Allow ivs:CreateParticipantToken [Write] on stages.main ({MAIN_ARN})"
    )));
    insta::assert_snapshot!("grant_changes_text", text);

    let md = render::markdown(&p);
    assert!(md.contains("| + adds | Allow | <code>ivs:DeleteStage</code> | Write |"));
    insta::assert_snapshot!("grant_changes_markdown", md);

    let v = render::json(&p);
    let ops = &v["resource_changes"][2]["grant_changes"][0];
    assert_eq!(ops["path"], "document");
    assert_eq!(
        ops["added"],
        json!([
            {"effect": "Allow", "action": "ivs:DeleteStage", "access_level": "Write",
             "resource": {"logical_id": "stages.backup", "arn": null, "except": false},
             "conditions": [{"operator": "StringEquals", "key": "aws:ResourceTag/team", "values": ["media"]}],
             "via": null},
            {"effect": "Allow", "action": "ivs:GetStage", "access_level": "Read",
             "resource": {"logical_id": "stages.backup", "arn": null, "except": false},
             "conditions": [], "via": null}
        ])
    );
    assert_eq!(ops["removed"][0]["action"], "ivs:UpdateStage");
    assert_eq!(v["resource_changes"][0]["grant_changes"], json!([]));
    assert_eq!(
        v["resource_changes"][4]["grant_changes"][0]["removed"][0]["action"],
        "ivs:CreateParticipantToken"
    );
    insta::assert_snapshot!("grant_changes_json", render::json_string(&p));
}
