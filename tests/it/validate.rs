//! Stack-file loading and validation, end to end through the public API: one failing input
//! per rule (message, line, column and field path asserted), rendered-output snapshots,
//! robustness against hostile input, the `validate` / `schema` commands, and the committed
//! JSON Schema.

use std::path::{Path, PathBuf};

use ivstack::cli::schema::{SchemaArgs, run_to as schema_run_to};
use ivstack::cli::validate::{ValidateArgs, ValidateOutput, run_to as validate_run_to};
use ivstack::stack::diagnostics::{Diagnostic, Severity};
use ivstack::stack::{load_bytes, load_file, load_str};

const HEAD: &str = "stack: t\nregion: us-west-2\n";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Line and column (1-based, in characters) of the `nth` occurrence of `needle`.
fn at(src: &str, needle: &str, nth: usize) -> (usize, usize) {
    let mut from = 0;
    let mut idx = 0;
    for _ in 0..=nth {
        idx = from
            + src[from..]
                .find(needle)
                .unwrap_or_else(|| panic!("`{needle}` not in source"));
        from = idx + 1;
    }
    let before = &src[..idx];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |p| p + 1)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

fn findings(src: &str) -> Vec<Diagnostic> {
    match load_str("t.yaml", src) {
        Ok(l) => l.warnings.items().to_vec(),
        Err(d) => d.items().to_vec(),
    }
}

/// One case: the file, the finding's code, where it must point (`needle`, occurrence),
/// its field path and (part of) its message.
struct Case {
    name: &'static str,
    body: &'static str,
    code: &'static str,
    needle: &'static str,
    nth: usize,
    path: &'static str,
    message: &'static str,
}

const fn case(
    name: &'static str,
    body: &'static str,
    code: &'static str,
    needle: &'static str,
    path: &'static str,
    message: &'static str,
) -> Case {
    Case {
        name,
        body,
        code,
        needle,
        nth: 0,
        path,
        message,
    }
}

fn check_case(c: &Case, src: &str) {
    let all = findings(src);
    let Some(d) = all
        .iter()
        .find(|d| d.code == c.code && d.path.as_deref().unwrap_or("") == c.path)
    else {
        panic!(
            "case `{}`: no `{}` finding at `{}`; got:\n{:#?}",
            c.name, c.code, c.path, all
        );
    };
    assert!(
        d.message.contains(c.message),
        "case `{}`: message `{}` does not contain `{}`",
        c.name,
        d.message,
        c.message
    );
    let span = d
        .span
        .unwrap_or_else(|| panic!("case `{}`: no span", c.name));
    let (line, col) = at(src, c.needle, c.nth);
    assert_eq!(
        (span.line, span.col),
        (line, col),
        "case `{}`: position",
        c.name
    );
    // The byte offset agrees with the line and column.
    let before = &src[..span.start];
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    assert_eq!(
        (
            before.matches('\n').count() + 1,
            before[line_start..].chars().count() + 1
        ),
        (line, col),
        "case `{}`: byte offset",
        c.name
    );
}

#[test]
fn every_rule_reports_message_position_and_path() {
    let long_name = "x".repeat(129);
    let cases: Vec<(Case, String)> = vec![
        // ---- structure (schema) ----
        (
            case(
                "unknown field with suggestion",
                "stages:\n  main:\n    nmae: x\n",
                "unknown-field",
                "nmae",
                "stages.main.nmae",
                "unknown field `nmae` in stage `main`",
            ),
            String::new(),
        ),
        (
            case(
                "unknown top-level field",
                "stagse: {}\n",
                "unknown-field",
                "stagse",
                "stagse",
                "unknown field `stagse` in the top level",
            ),
            String::new(),
        ),
        (
            case(
                "unknown nested field",
                "stages:\n  main:\n    recording:\n      storage_configuration_arn: \"\"\n      media: [AUDIO_ONLY]\n",
                "unknown-field",
                "media",
                "stages.main.recording.media",
                "in `recording` of stage `main`",
            ),
            String::new(),
        ),
        (
            case(
                "duplicate key",
                "stages:\n  a: {}\n  b: {}\n  a:  {}\n",
                "duplicate-key",
                "a:  {}",
                "stages.a",
                "duplicate key `a`",
            ),
            String::new(),
        ),
        (
            case(
                "missing required field",
                "stages:\n  main: {}\nalarms:\n  hot:\n    stage: main\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n",
                "missing-field",
                "hot",
                "alarms.hot",
                "alarm `hot` is missing the required field `metric`",
            ),
            String::new(),
        ),
        (
            case(
                "wrong type",
                "stages:\n  main: {}\nalarms:\n  hot:\n    stage: main\n    metric: Publishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: high\n",
                "type",
                "high",
                "alarms.hot.threshold",
                "`threshold` of alarm `hot` must be a number",
            ),
            String::new(),
        ),
        (
            case(
                "quoted number",
                "stages:\n  main: {}\nalarms:\n  hot:\n    stage: main\n    metric: Publishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: \"11\"\n",
                "type",
                "\"11\"",
                "alarms.hot.threshold",
                "must be a number",
            ),
            String::new(),
        ),
        (
            case(
                "yes is not a boolean",
                "stages:\n  main:\n    protect: yes\n",
                "type",
                "yes",
                "stages.main.protect",
                "`protect` of stage `main` must be `true` or `false`",
            ),
            String::new(),
        ),
        (
            case(
                "a map where a list is expected",
                "policies:\n  p:\n    statements:\n      allow: x\n",
                "type",
                "allow",
                "policies.p.statements",
                "must be a list",
            ),
            String::new(),
        ),
        (
            case(
                "enum with suggestion",
                "stages:\n  main: {}\nalarms:\n  hot:\n    stage: main\n    metric: Publisher\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n",
                "invalid-value",
                "Publisher\n",
                "alarms.hot.metric",
                "unknown value `Publisher` for `metric` of alarm `hot`",
            ),
            String::new(),
        ),
        (
            case(
                "statistic Sum",
                "alarms:\n  hot:\n    metric: ConcurrentPublishers\n    statistic: Sum\n    comparison: \">\"\n    threshold: 1\n",
                "invalid-value",
                "Sum",
                "alarms.hot.statistic",
                "unknown value `Sum`",
            ),
            String::new(),
        ),
        (
            case(
                "comparison",
                "alarms:\n  hot:\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \"=>\"\n    threshold: 1\n",
                "invalid-value",
                "\"=>\"",
                "alarms.hot.comparison",
                "unknown value `=>`",
            ),
            String::new(),
        ),
        (
            case(
                "media type enum",
                "stages:\n  main:\n    recording:\n      storage_configuration_arn: \"\"\n      media_types: [VIDEO]\n",
                "invalid-value",
                "VIDEO",
                "stages.main.recording.media_types[0]",
                "unknown value `VIDEO`",
            ),
            String::new(),
        ),
        (
            case(
                "stage name pattern",
                "stages:\n  main:\n    name: has space\n",
                "pattern",
                "has space",
                "stages.main.name",
                "`name` of stage `main` may only contain letters, digits, `-` and `_`",
            ),
            String::new(),
        ),
        (
            case(
                "policy name pattern",
                "stages:\n  s: {}\npolicies:\n  p:\n    name: a/b\n    statements:\n      - allow: [ivs:GetStage]\n        stages: [s]\n",
                "pattern",
                "a/b",
                "policies.p.name",
                "IAM policy names",
            ),
            String::new(),
        ),
        (
            case(
                "sid pattern",
                "stages:\n  s: {}\npolicies:\n  p:\n    statements:\n      - sid: a-b\n        allow: [ivs:GetStage]\n        stages: [s]\n",
                "pattern",
                "a-b",
                "policies.p.statements[0].sid",
                "may only contain letters and digits",
            ),
            String::new(),
        ),
        (
            case(
                "action pattern",
                "stages:\n  s: {}\npolicies:\n  p:\n    statements:\n      - allow: [GetStage]\n        stages: [s]\n",
                "pattern",
                "GetStage]",
                "policies.p.statements[0].allow[0]",
                "is not an IAM action",
            ),
            String::new(),
        ),
        (
            case(
                "storage configuration ARN",
                "stages:\n  main:\n    recording:\n      storage_configuration_arn: arn:aws:s3:::bucket\n",
                "pattern",
                "arn:aws:s3",
                "stages.main.recording.storage_configuration_arn",
                "is not an IVS storage configuration ARN",
            ),
            String::new(),
        ),
        (
            case(
                "budget name characters",
                "budgets:\n  b:\n    name: a:b\n    limit_usd: 5\n    emails: [a@example.com]\n",
                "pattern",
                "a:b",
                "budgets.b.name",
                "may not contain `:`",
            ),
            String::new(),
        ),
        (
            case(
                "stage name length",
                "",
                "length",
                "xxx",
                "stages.main.name",
                "is too long: 129 characters, at most 128 allowed",
            ),
            format!("stages:\n  main:\n    name: {long_name}\n"),
        ),
        (
            case(
                "description length",
                "",
                "length",
                "ddd",
                "policies.p.description",
                "at most 1000",
            ),
            format!(
                "stages:\n  s: {{}}\npolicies:\n  p:\n    description: {}\n    statements:\n      - allow: [ivs:GetStage]\n        stages: [s]\n",
                "d".repeat(1001)
            ),
        ),
        (
            case(
                "empty budget name",
                "budgets:\n  b:\n    name: \"\"\n    limit_usd: 5\n    emails: [a@example.com]\n",
                "length",
                "\"\"",
                "budgets.b.name",
                "must not be empty",
            ),
            String::new(),
        ),
        (
            case(
                "hls range",
                "stages:\n  main:\n    recording:\n      storage_configuration_arn: \"\"\n      hls_segment_seconds: 12\n",
                "range",
                "12",
                "stages.main.recording.hls_segment_seconds",
                "it must be 2 to 10",
            ),
            String::new(),
        ),
        (
            case(
                "reconnect window range",
                "stages:\n  main:\n    recording:\n      storage_configuration_arn: \"\"\n      reconnect_window_seconds: 301\n",
                "range",
                "301",
                "stages.main.recording.reconnect_window_seconds",
                "0 to 300",
            ),
            String::new(),
        ),
        (
            case(
                "thumbnail interval range",
                "stages:\n  main:\n    recording:\n      storage_configuration_arn: \"\"\n      thumbnails: {mode: INTERVAL, interval_seconds: 0}\n",
                "range",
                "0}",
                "stages.main.recording.thumbnails.interval_seconds",
                "1 to 86400",
            ),
            String::new(),
        ),
        (
            case(
                "whole number",
                "alarms:\n  hot:\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n    evaluation_periods: 1.5\n",
                "type",
                "1.5",
                "alarms.hot.evaluation_periods",
                "must be a whole number",
            ),
            String::new(),
        ),
        (
            case(
                "infinite threshold",
                "alarms:\n  hot:\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: .inf\n",
                "type",
                ".inf",
                "alarms.hot.threshold",
                "must be a finite number",
            ),
            String::new(),
        ),
        (
            case(
                "too many media types",
                "stages:\n  main:\n    recording:\n      storage_configuration_arn: \"\"\n      media_types: [AUDIO_ONLY, AUDIO_VIDEO]\n",
                "items",
                "AUDIO_VIDEO",
                "stages.main.recording.media_types",
                "has 2 entries, at most 1 is allowed",
            ),
            String::new(),
        ),
        (
            case(
                "too many alarm actions",
                "alarms:\n  hot:\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n    alarm_actions: [arn:aws:sns:us-west-2:123456789012:a, arn:aws:sns:us-west-2:123456789012:b, arn:aws:sns:us-west-2:123456789012:c, arn:aws:sns:us-west-2:123456789012:d, arn:aws:sns:us-west-2:123456789012:e, arn:aws:sns:us-west-2:123456789012:f]\n",
                "items",
                "arn:aws:sns:us-west-2:123456789012:f",
                "alarms.hot.alarm_actions",
                "at most 5 are allowed",
            ),
            String::new(),
        ),
        (
            case(
                "too many emails",
                "budgets:\n  b:\n    limit_usd: 5\n    emails: [a@x.io, b@x.io, c@x.io, d@x.io, e@x.io, f@x.io, g@x.io, h@x.io, i@x.io, j@x.io, k@x.io]\n",
                "items",
                "k@x.io",
                "budgets.b.emails",
                "at most 10",
            ),
            String::new(),
        ),
        (
            case(
                "empty allow",
                "stages:\n  s: {}\npolicies:\n  p:\n    statements:\n      - allow: []\n        stages: [s]\n",
                "items",
                "[]",
                "policies.p.statements[0].allow",
                "must not be empty",
            ),
            String::new(),
        ),
        (
            case(
                "logical id",
                "stages:\n  \"my stage\": {}\n",
                "invalid-id",
                "\"my stage\"",
                "stages[\"my stage\"]",
                "invalid stage id `my stage`",
            ),
            String::new(),
        ),
        // ---- stack level ----
        (
            case(
                "stack name",
                "",
                "pattern",
                "Bad_Name",
                "stack",
                "`stack` may only contain lowercase letters",
            ),
            "stack: Bad_Name\nregion: us-west-2\n".into(),
        ),
        (
            case(
                "region syntax",
                "",
                "pattern",
                "uswest2",
                "region",
                "is not an AWS region code",
            ),
            "stack: t\nregion: uswest2\n".into(),
        ),
        (
            case(
                "account digits",
                "",
                "pattern",
                "1234",
                "account",
                "must be exactly 12 digits",
            ),
            "stack: t\nregion: us-west-2\naccount: 1234\n".into(),
        ),
        (
            case(
                "missing region",
                "",
                "missing-field",
                "stack",
                "",
                "the stack file is missing the required field `region`",
            ),
            "stack: t\n".into(),
        ),
        // ---- tags ----
        (
            case(
                "tag key too long",
                "",
                "tag",
                "kkk",
                Box::leak(format!("stages.main.tags.{}", "k".repeat(129)).into_boxed_str()),
                "tag keys are 1 to 128 characters",
            ),
            format!(
                "stages:\n  main:\n    tags:\n      {}: v\n",
                "k".repeat(129)
            ),
        ),
        (
            case(
                "tag value too long",
                "",
                "tag",
                "vvv",
                "stages.main.tags.k",
                "at most 256",
            ),
            format!(
                "stages:\n  main:\n    tags:\n      k: {}\n",
                "v".repeat(257)
            ),
        ),
        (
            case(
                "aws: prefix",
                "tags:\n  aws:owner: me\n",
                "reserved-tag",
                "aws:owner",
                "tags.aws:owner",
                "reserved prefix `aws:`",
            ),
            String::new(),
        ),
        (
            case(
                "ivstack: prefix",
                "stages:\n  main:\n    tags:\n      ivstack:id: x\n",
                "reserved-tag",
                "ivstack:id",
                "stages.main.tags.ivstack:id",
                "reserved prefix `ivstack:`",
            ),
            String::new(),
        ),
        (
            case(
                "IAM tag charset",
                "tags:\n  owner: \"a#b\"\n",
                "tag",
                "owner",
                "tags.owner",
                "characters IAM does not accept",
            ),
            String::new(),
        ),
        (
            case(
                "tag count with ownership tags",
                "",
                "tag-count",
                "tags:\n      t",
                "stages.main.tags",
                "would carry 51 tags; AWS allows at most 50",
            ),
            {
                let mut s = String::from("stages:\n  main:\n    protect: true\n    tags:\n");
                for i in 0..48 {
                    s.push_str(&format!("      t{i}: v\n"));
                }
                s
            },
        ),
        // ---- references and policies ----
        (
            case(
                "unknown stage in policy",
                "stages:\n  main: {}\npolicies:\n  p:\n    statements:\n      - allow: [ivs:GetStage]\n        stages: [mian]\n",
                "unknown-stage",
                "mian",
                "policies.p.statements[0].stages[0]",
                "there is no stage `mian` in this stack",
            ),
            String::new(),
        ),
        (
            case(
                "policy with neither",
                "policies:\n  p:\n    description: nothing\n",
                "policy-body",
                "p:",
                "policies.p",
                "has neither `statements` nor `document`",
            ),
            String::new(),
        ),
        (
            case(
                "policy with both",
                "stages:\n  s: {}\npolicies:\n  p:\n    statements:\n      - allow: [ivs:GetStage]\n        stages: [s]\n    document: {Version: \"2012-10-17\", Statement: []}\n",
                "policy-body",
                "document",
                "policies.p.document",
                "has both `statements` and `document`",
            ),
            String::new(),
        ),
        (
            case(
                "statement without resources",
                "policies:\n  p:\n    statements:\n      - allow: [ivs:GetStage]\n",
                "statement-resources",
                "allow",
                "policies.p.statements[0]",
                "statement 1 of policy `p` names no resource",
            ),
            String::new(),
        ),
        (
            case(
                "resource not an ARN",
                "policies:\n  p:\n    statements:\n      - allow: [ivs:GetStage]\n        resources: [stage/abc]\n",
                "arn",
                "stage/abc",
                "policies.p.statements[0].resources[0]",
                "`stage/abc` is not an ARN",
            ),
            String::new(),
        ),
        (
            Case {
                nth: 1,
                ..case(
                    "duplicate sid",
                    "stages:\n  s: {}\npolicies:\n  p:\n    statements:\n      - sid: A\n        allow: [ivs:GetStage]\n        stages: [s]\n      - sid: A\n        allow: [ivs:ListStages]\n        stages: [s]\n",
                    "duplicate-sid",
                    "A\n",
                    "policies.p.statements[1].sid",
                    "uses the statement id `A` twice",
                )
            },
            String::new(),
        ),
        (
            case(
                "condition without values",
                "stages:\n  s: {}\npolicies:\n  p:\n    statements:\n      - allow: [ivs:GetStage]\n        stages: [s]\n        conditions:\n          StringEquals:\n            aws:ResourceTag/team: []\n",
                "condition",
                "[]",
                "policies.p.statements[0].conditions.StringEquals.aws:ResourceTag/team",
                "has no values",
            ),
            String::new(),
        ),
        (
            case(
                "document is not a policy",
                "policies:\n  p:\n    document: {Hello: world}\n",
                "document",
                "{Hello",
                "policies.p.document",
                "is not an IAM policy document",
            ),
            String::new(),
        ),
        (
            case(
                "rendered policy too large",
                "",
                "policy-size",
                "p:",
                "policies.p",
                "IAM allows 6144",
            ),
            {
                let mut s = String::from("stages:\n  main: {}\npolicies:\n  p:\n    statements:\n");
                for i in 0..80 {
                    s.push_str(&format!(
                        "      - sid: S{i}\n        allow: [ivs:GetStage]\n        stages: [main]\n"
                    ));
                }
                s
            },
        ),
        // ---- alarms ----
        (
            case(
                "Publishers needs a stage",
                "alarms:\n  hot:\n    metric: Publishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n",
                "metric-dimension",
                "hot",
                "alarms.hot",
                "which IVS publishes per stage only",
            ),
            String::new(),
        ),
        (
            case(
                "ConcurrentPublishers has no stage",
                "stages:\n  main: {}\nalarms:\n  hot:\n    stage: main\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n",
                "metric-dimension",
                "main\n    metric",
                "alarms.hot.stage",
                "which IVS publishes region-wide only",
            ),
            String::new(),
        ),
        (
            case(
                "unknown stage in alarm",
                "stages:\n  main: {}\nalarms:\n  hot:\n    stage: mainn\n    metric: Subscribers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n",
                "unknown-stage",
                "mainn",
                "alarms.hot.stage",
                "there is no stage `mainn`",
            ),
            String::new(),
        ),
        (
            case(
                "period not 10/20/30/60n",
                "alarms:\n  hot:\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n    period_seconds: 45\n",
                "period",
                "45",
                "alarms.hot.period_seconds",
                "must be 10, 20, 30 or a multiple of 60",
            ),
            String::new(),
        ),
        (
            case(
                "evaluation window over a day",
                "alarms:\n  hot:\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n    period_seconds: 60\n    evaluation_periods: 1441\n",
                "evaluation",
                "1441",
                "alarms.hot.evaluation_periods",
                "CloudWatch allows at most 86400",
            ),
            String::new(),
        ),
        (
            case(
                "datapoints over evaluation periods",
                "alarms:\n  hot:\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n    evaluation_periods: 2\n    datapoints_to_alarm: 3\n",
                "datapoints",
                "3\n",
                "alarms.hot.datapoints_to_alarm",
                "(3) is more than `evaluation_periods` (2)",
            ),
            String::new(),
        ),
        (
            case(
                "bad SNS ARN",
                "alarms:\n  hot:\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n    alarm_actions: [\"arn:aws:sns:us-west-2:1234:ops\"]\n",
                "arn",
                "\"arn:aws:sns",
                "alarms.hot.alarm_actions[0]",
                "is not a valid SNS topic ARN",
            ),
            String::new(),
        ),
        (
            case(
                "unsupported action service",
                "alarms:\n  hot:\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n    ok_actions: [\"arn:aws:sqs:us-west-2:123456789012:q\"]\n",
                "arn",
                "\"arn:aws:sqs",
                "alarms.hot.ok_actions[0]",
                "cannot notify a `sqs` resource",
            ),
            String::new(),
        ),
        (
            case(
                "action in another region",
                "alarms:\n  hot:\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n    alarm_actions: [\"arn:aws:sns:eu-west-1:123456789012:ops\"]\n",
                "arn",
                "\"arn:aws:sns",
                "alarms.hot.alarm_actions[0]",
                "but its action is in `eu-west-1`",
            ),
            String::new(),
        ),
        (
            Case {
                nth: 1,
                ..case(
                    "duplicate action",
                    "alarms:\n  hot:\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n    alarm_actions: [\"arn:aws:sns:us-west-2:123456789012:ops\", \"arn:aws:sns:us-west-2:123456789012:ops\"]\n",
                    "duplicate",
                    "\"arn:aws:sns",
                    "alarms.hot.alarm_actions[1]",
                    "lists the action",
                )
            },
            String::new(),
        ),
        // ---- budgets ----
        (
            case(
                "threshold above 1000",
                "budgets:\n  b:\n    limit_usd: 5\n    notify_percent: [1001]\n    emails: [a@example.com]\n",
                "threshold",
                "1001",
                "budgets.b.notify_percent[0]",
                "must be above 0 and at most 1000",
            ),
            String::new(),
        ),
        (
            case(
                "zero forecast threshold",
                "budgets:\n  b:\n    limit_usd: 5\n    forecast_percent: [0]\n    emails: [a@example.com]\n",
                "threshold",
                "0]",
                "budgets.b.forecast_percent[0]",
                "must be above 0",
            ),
            String::new(),
        ),
        (
            case(
                "duplicate threshold",
                "budgets:\n  b:\n    limit_usd: 5\n    notify_percent: [80, 80]\n    emails: [a@example.com]\n",
                "duplicate",
                "80]",
                "budgets.b.notify_percent[1]",
                "lists 80% twice",
            ),
            String::new(),
        ),
        (
            case(
                "too many notifications",
                "budgets:\n  b:\n    limit_usd: 5\n    notify_percent: [10, 20, 30, 40, 50, 60, 70, 80, 90]\n    forecast_percent: [100, 110]\n    emails: [a@example.com]\n",
                "notifications",
                "b:",
                "budgets.b",
                "has 11 notifications; AWS Budgets allows 10",
            ),
            String::new(),
        ),
        (
            case(
                "nobody notified",
                "budgets:\n  b:\n    limit_usd: 5\n",
                "subscribers",
                "b:",
                "budgets.b",
                "notifies nobody",
            ),
            String::new(),
        ),
        (
            case(
                "bad email",
                "budgets:\n  b:\n    limit_usd: 5\n    emails: [ops.example.com]\n",
                "email",
                "ops.example.com",
                "budgets.b.emails[0]",
                "is not an e-mail address",
            ),
            String::new(),
        ),
        (
            case(
                "duplicate email",
                "budgets:\n  b:\n    limit_usd: 5\n    emails: [a@example.com, A@example.com]\n",
                "duplicate",
                "A@example.com",
                "budgets.b.emails[1]",
                "twice",
            ),
            String::new(),
        ),
        (
            case(
                "bad SNS topic",
                "budgets:\n  b:\n    limit_usd: 5\n    sns_topic_arn: arn:aws:sns:us-east-1:123:x\n",
                "arn",
                "arn:aws:sns",
                "budgets.b.sns_topic_arn",
                "is not an SNS topic ARN",
            ),
            String::new(),
        ),
        (
            case(
                "limit too small",
                "budgets:\n  b:\n    limit_usd: 0\n    emails: [a@example.com]\n",
                "range",
                "0\n",
                "budgets.b.limit_usd",
                "is out of range",
            ),
            String::new(),
        ),
        (
            case(
                "/action/ in budget name",
                "budgets:\n  b:\n    name: x/action/y\n    limit_usd: 5\n    emails: [a@example.com]\n",
                "name",
                "x/action/y",
                "budgets.b.name",
                "may not contain `/action/`",
            ),
            String::new(),
        ),
        // ---- names ----
        (
            Case {
                nth: 1,
                ..case(
                    "duplicate explicit stage names",
                    "stages:\n  a:\n    name: same\n  b:\n    name: same\n",
                    "duplicate-name",
                    "same",
                    "stages.b.name",
                    "stages `a` and `b` would both be named `same`",
                )
            },
            String::new(),
        ),
        (
            case(
                "explicit name equals a default",
                "stages:\n  a:\n    name: t-b\n  b: {}\n",
                "duplicate-name",
                "b: {}",
                "stages.b",
                "would both be named `t-b`",
            ),
            String::new(),
        ),
        (
            case(
                "policy names ignore case",
                "stages:\n  s: {}\npolicies:\n  a:\n    name: Ops\n    statements:\n      - allow: [ivs:GetStage]\n        stages: [s]\n  b:\n    name: ops\n    statements:\n      - allow: [ivs:GetStage]\n        stages: [s]\n",
                "duplicate-name",
                "ops\n",
                "policies.b.name",
                "would both be named `ops`",
            ),
            String::new(),
        ),
        (
            case(
                "record_participant_replicas: false cannot be applied",
                "stages:\n  main:\n    recording:\n      storage_configuration_arn: \"\"\n      record_participant_replicas: false\n",
                "recording",
                "false",
                "stages.main.recording.record_participant_replicas",
                "cannot be applied",
            ),
            String::new(),
        ),
        (
            case(
                "recording in another region",
                "stages:\n  main:\n    recording:\n      storage_configuration_arn: arn:aws:ivs:us-east-1:123456789012:storage-configuration/Ab\n",
                "recording",
                "arn:aws:ivs",
                "stages.main.recording.storage_configuration_arn",
                "is in `us-east-1`, but the stack is in `us-west-2`",
            ),
            String::new(),
        ),
    ];
    for (c, custom) in &cases {
        let src = if custom.is_empty() {
            format!("{HEAD}{}", c.body)
        } else if custom.starts_with("stack:") {
            custom.clone()
        } else {
            format!("{HEAD}{custom}")
        };
        check_case(c, &src);
    }
    // The "A" of the second sid, not the first.
    let src = format!(
        "{HEAD}stages:\n  s: {{}}\npolicies:\n  p:\n    statements:\n      - sid: A\n        allow: [ivs:GetStage]\n        stages: [s]\n      - sid: A\n        allow: [ivs:ListStages]\n        stages: [s]\n"
    );
    let d = findings(&src)
        .into_iter()
        .find(|d| d.code == "duplicate-sid")
        .unwrap();
    assert_eq!(d.span.unwrap().line, at(&src, "sid: A", 1).0);
    assert_eq!(d.related[0].0.line, at(&src, "sid: A", 0).0);
}

#[test]
fn default_names_that_are_too_long() {
    let stack = "s".repeat(64);
    let id = "i".repeat(64);
    let src = format!("stack: {stack}\nregion: us-west-2\nstages:\n  {id}: {{}}\n");
    let d = findings(&src)
        .into_iter()
        .find(|d| d.code == "name")
        .unwrap();
    assert!(
        d.message.contains("longer than 128 characters"),
        "{}",
        d.message
    );
    assert_eq!(d.path.as_deref(), Some(format!("stages.{id}").as_str()));
    assert_eq!((d.span.unwrap().line, d.span.unwrap().col), (4, 3));
}

#[test]
fn warnings_do_not_fail_a_file() {
    let src = "stack: t\nregion: us-west-3\nstages:\n  main:\n    recording:\n      storage_configuration_arn: \"\"\n      thumbnails: {interval_seconds: 30}\nalarms:\n  a:\n    metric: ConcurrentPublishers\n    statistic: Maximum\n    comparison: \">\"\n    threshold: 1\n    period_seconds: 10\n";
    let loaded = load_str("t.yaml", src).expect("warnings only");
    let codes: Vec<&str> = loaded.warnings.items().iter().map(|d| d.code).collect();
    assert!(codes.contains(&"region"), "{codes:?}");
    assert!(codes.contains(&"thumbnails"), "{codes:?}");
    assert!(codes.contains(&"recording"), "{codes:?}");
    assert!(codes.contains(&"period"), "{codes:?}");
    assert!(
        loaded
            .warnings
            .items()
            .iter()
            .all(|d| d.severity == Severity::Warning)
    );
    let region = loaded
        .warnings
        .items()
        .iter()
        .find(|d| d.code == "region")
        .unwrap();
    assert_eq!(region.label.as_deref(), Some("did you mean `us-west-2`?"));
}

#[test]
fn all_findings_in_one_run() {
    let path = root().join("examples/bad-everything.yaml");
    let err = load_file(&path).unwrap_err();
    // Structural errors in one stage do not hide semantic errors elsewhere.
    assert!(err.error_count() >= 15, "{}", err.render(false));
    let codes: std::collections::BTreeSet<&str> = err.items().iter().map(|d| d.code).collect();
    for c in [
        "unknown-field",
        "duplicate-key",
        "invalid-value",
        "pattern",
        "range",
        "type",
        "unknown-stage",
        "statement-resources",
        "email",
        "reserved-tag",
    ] {
        assert!(codes.contains(c), "missing {c} in {codes:?}");
    }
}

#[test]
fn shipped_stacks_and_good_examples_validate() {
    for dir in ["stacks", "examples"] {
        for f in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = f.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if !name.ends_with(".yaml") {
                continue;
            }
            let result = load_file(&p);
            if name.starts_with("bad-") {
                assert!(result.is_err(), "{name} should fail");
            } else {
                match result {
                    Ok(l) => assert!(
                        l.warnings.is_empty(),
                        "{name}: {}",
                        l.warnings.render(false)
                    ),
                    Err(d) => panic!("{name}:\n{}", d.render(false)),
                }
            }
        }
    }
}

#[test]
fn loaded_stack_exposes_model_and_spans() {
    let loaded = load_file(&root().join("stacks/demo.yaml")).unwrap();
    assert_eq!(loaded.model.stack, "demo");
    assert!(loaded.model.stages.contains_key("live"));
    let span = loaded
        .span("policies.token-minter.statements[0].stages[0]")
        .unwrap();
    assert_eq!(&loaded.source[span.start..span.end], "live");
    let fallback = loaded
        .span("alarms.live-publishers-near-limit.period_seconds")
        .unwrap();
    assert_eq!(&loaded.source[fallback.start..fallback.end], "60");
}

// ---------- rendering snapshots ----------

#[test]
fn snapshot_text_and_json() {
    let src = std::fs::read_to_string(root().join("examples/bad-everything.yaml")).unwrap();
    let err = load_str("examples/bad-everything.yaml", &src).unwrap_err();
    insta::assert_snapshot!("bad_everything_text", err.render(false));
    let json = serde_json::to_string_pretty(&err.to_json()).unwrap();
    insta::assert_snapshot!("bad_everything_json", json);
}

/// The IVS Real-Time family's sections: every kind of mistake, each at its place.
#[test]
fn snapshot_family_text() {
    let src = std::fs::read_to_string(root().join("examples/bad-family.yaml")).unwrap();
    let err = load_str("examples/bad-family.yaml", &src).unwrap_err();
    assert_eq!(err.error_count(), 15, "{}", err.render(false));
    insta::assert_snapshot!("bad_family_text", err.render(false));
}

#[test]
fn snapshot_unknown_field_like_rustc() {
    let src = "stack: demo\nregion: us-east-1\nstages:\n  main:\n    nmae: x\n";
    let err = load_str("stacks/demo.yaml", src).unwrap_err();
    insta::assert_snapshot!("unknown_field", err.render(false));
}

#[test]
fn colour_only_when_asked() {
    let err = load_str("t.yaml", "stack: t\n").unwrap_err();
    assert!(!err.render(false).contains('\u{1b}'));
    assert!(err.render(true).contains('\u{1b}'));
}

// ---------- robustness ----------

fn only_error(
    result: Result<ivstack::stack::LoadedStack, ivstack::stack::Diagnostics>,
) -> Diagnostic {
    let err = result.expect_err("must fail");
    assert!(err.has_errors());
    err.items()[0].clone()
}

#[test]
fn empty_and_comment_only_files() {
    for src in ["", "   \n\n", "# only a comment\n", "---\n", "~\n"] {
        let d = only_error(load_str("e.yaml", src));
        assert_eq!(d.code, "empty", "{src:?}");
        assert_eq!(d.message, "`e.yaml` is empty");
    }
}

#[test]
fn binary_and_non_utf8_input() {
    let d = only_error(load_bytes("b.yaml", b"stack: t\n\xff\xfe\x00garbage"));
    assert_eq!(d.code, "not-utf8");
    assert!(
        d.message.contains("invalid byte 0xff at line 2, column 1"),
        "{}",
        d.message
    );
    let d = only_error(load_bytes("b.yaml", b"stack: t\x00\x01\x02"));
    assert_eq!(d.code, "binary");
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    assert!(load_bytes("g.bin", &garbage).is_err());
}

#[test]
fn not_a_map_and_multiple_documents() {
    let d = only_error(load_str("l.yaml", "- a\n- b\n"));
    assert_eq!(d.code, "not-a-map");
    assert!(d.message.contains("but this is a list"));
    let d = only_error(load_str(
        "m.yaml",
        "stack: a\nregion: us-west-2\n---\nstack: b\n",
    ));
    assert_eq!(d.code, "multiple-documents");
    assert_eq!(d.span.unwrap().line, 3);
    let d = only_error(load_str("s.yaml", "stack: [unclosed\n"));
    assert_eq!(d.code, "yaml-syntax");
    let d = only_error(load_str("t.yaml", "stack: !Ref Name\nregion: us-west-2\n"));
    assert_eq!(d.code, "yaml-tag");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut src = String::from("stack: t\nregion: us-west-2\ntags:\n");
    for i in 0..5000 {
        src.push_str(&" ".repeat(2 * (i + 1)));
        src.push_str("k:\n");
    }
    assert_eq!(only_error(load_str("d.yaml", &src)).code, "too-deep");
    let flow = format!(
        "stack: t\nregion: us-west-2\ntags: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(load_str("d.yaml", &flow).is_err());
}

#[test]
fn alias_bomb_is_rejected() {
    let mut src = String::from(
        "stack: t\nregion: us-west-2\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        src.push_str(&format!(
            "x{i}: &x{i} [*x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}]\n"
        ));
    }
    let d = only_error(load_str("bomb.yaml", &src));
    assert_eq!(d.code, "alias-bomb");
    // Modest aliases are fine.
    let ok = "stack: t\nregion: us-west-2\ntags: &t {team: media}\nstages:\n  a:\n    tags: *t\n";
    assert!(load_str("ok.yaml", ok).is_ok());
}

#[test]
fn oversized_input_is_rejected_before_parsing() {
    let big = vec![b'#'; 32 * 1024 * 1024 + 1];
    let d = only_error(load_bytes("big.yaml", &big));
    assert_eq!(d.code, "too-large");
    assert!(d.message.contains("limited to 32 MiB"));
}

/// A stack file of roughly `target` bytes with many valid stages, policies and alarms.
fn generated_stack(target: usize) -> String {
    let mut s = String::from("stack: big\nregion: us-west-2\naccount: \"123456789012\"\nstages:\n");
    let mut i = 0;
    while s.len() < target / 2 {
        s.push_str(&format!(
            "  stage-{i}:\n    tags: {{team: media, shard: \"{i}\"}}\n    recording:\n      storage_configuration_arn: arn:aws:ivs:us-west-2:123456789012:storage-configuration/AbCd{i}\n      media_types: [AUDIO_VIDEO]\n"
        ));
        i += 1;
    }
    let stages = i;
    s.push_str("alarms:\n");
    let mut j = 0;
    while s.len() < target {
        let st = j % stages;
        s.push_str(&format!(
            "  pubs-{j}:\n    stage: stage-{st}\n    metric: Publishers\n    statistic: Maximum\n    comparison: \">=\"\n    threshold: 11\n    alarm_actions: [arn:aws:sns:us-west-2:123456789012:ops]\n"
        ));
        j += 1;
    }
    s
}

#[test]
fn large_generated_file_loads() {
    let src = generated_stack(1_000_000);
    let loaded = load_str("big.yaml", &src).unwrap_or_else(|d| panic!("{}", d.render(false)));
    assert!(loaded.model.stages.len() > 1000);
    assert!(loaded.model.alarms.len() > 1000);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = load_bytes("fuzz.yaml", &bytes);
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,256}") {
            let _ = load_str("fuzz.yaml", &s);
        }

        #[test]
        fn mutated_stack_files_never_panic(cut in 0usize..2000, len in 0usize..40, insert in "[\\[\\]{}:,&*!|>'\"#\n -]{0,8}") {
            let src = std::fs::read_to_string(root().join("stacks/production.yaml")).unwrap();
            let start = cut.min(src.len());
            let end = (start + len).min(src.len());
            if src.is_char_boundary(start) && src.is_char_boundary(end) {
                let mutated = format!("{}{}{}", &src[..start], insert, &src[end..]);
                let _ = load_str("mutated.yaml", &mutated);
            }
        }
    }
}

// ---------- commands ----------

#[test]
fn validate_command_exit_codes_and_output() {
    let mut out = Vec::new();
    let args = ValidateArgs {
        paths: vec![root().join("stacks")],
        output: ValidateOutput::Text,
    };
    assert_eq!(validate_run_to(&args, &mut out, false).unwrap(), 0);
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with("2 files valid\n"), "{text}");

    let mut out = Vec::new();
    let args = ValidateArgs {
        paths: vec![
            root().join("stacks/demo.yaml"),
            root().join("examples/bad-everything.yaml"),
        ],
        output: ValidateOutput::Json,
    };
    assert_eq!(validate_run_to(&args, &mut out, false).unwrap(), 1);
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["files"][0]["valid"], true);
    assert_eq!(doc["files"][1]["valid"], false);
    let first = &doc["diagnostics"][0];
    assert!(first["line"].as_u64().is_some() && first["column"].as_u64().is_some());
    assert!(
        first["file"]
            .as_str()
            .unwrap()
            .ends_with("bad-everything.yaml")
    );

    let args = ValidateArgs {
        paths: vec![PathBuf::from("/nonexistent/x.yaml")],
        output: ValidateOutput::Text,
    };
    assert!(validate_run_to(&args, &mut Vec::new(), false).is_err());
}

#[test]
fn committed_schema_is_current() {
    let committed = root().join("schema/ivstack.schema.json");
    let generated = ivstack::stack::schema::stack_schema_pretty();
    if std::env::var_os("IVSTACK_UPDATE_SCHEMA").is_some() {
        std::fs::write(&committed, &generated).unwrap();
    }
    let mut out = Vec::new();
    let code = schema_run_to(
        &SchemaArgs {
            out: None,
            check: Some(committed.clone()),
        },
        &mut out,
    )
    .unwrap();
    assert_eq!(
        code,
        0,
        "{} (run with IVSTACK_UPDATE_SCHEMA=1 to regenerate)",
        String::from_utf8_lossy(&out)
    );
    let mut printed = Vec::new();
    assert_eq!(
        schema_run_to(
            &SchemaArgs {
                out: None,
                check: None
            },
            &mut printed
        )
        .unwrap(),
        0
    );
    assert_eq!(String::from_utf8(printed).unwrap(), generated);
}

/// An independent JSON Schema implementation agrees with our checker on the shipped files.
#[test]
fn jsonschema_crate_agrees_on_examples() {
    let schema: serde_json::Value =
        serde_json::from_str(&ivstack::stack::schema::stack_schema_pretty()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let as_json = |p: &Path| {
        let src = std::fs::read_to_string(p).unwrap();
        let (node, _) = ivstack::stack::yaml::parse("x", &src);
        node.unwrap().to_json()
    };
    for f in ["stacks/demo.yaml", "stacks/production.yaml"] {
        let v = as_json(&root().join(f));
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{f}: {errors:?}");
    }
    assert!(!validator.is_valid(&as_json(&root().join("examples/bad-everything.yaml"))));
}
