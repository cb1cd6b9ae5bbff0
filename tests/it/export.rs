//! `ivstack export --format cloudformation` through the binary: every shipped and example
//! stack (but the `bad-*` files) exports to a template that `cfn-lint` (installed by
//! `.ci/run`) passes; snapshots of the templates; references, protection and logical ids
//! in the template; and the clear error for what CloudFormation cannot express.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ivstack");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(root())
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

/// The stacks that must export: `stacks/` and `examples/` but the deliberately broken
/// `bad-*` files. `production.yaml` sets an ingest configuration's `attributes`, which
/// CloudFormation has no property for: it exports with `--skip-unsupported`.
fn exportable() -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for dir in ["stacks", "examples"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with("bad-"))
            .collect();
        files.sort();
        for f in files {
            let rel = f
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let skip = rel == "stacks/production.yaml";
            out.push((rel, skip));
        }
    }
    out
}

fn export(file: &str, skip: bool) -> String {
    let mut args = vec!["export", "--format", "cloudformation", file];
    if skip {
        args.push("--skip-unsupported");
    }
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    String::from_utf8(o.stdout).unwrap()
}

fn region(file: &str) -> String {
    let src = std::fs::read_to_string(root().join(file)).unwrap();
    let v: serde_yaml::Value = serde_yaml::from_str(&src).unwrap();
    v["region"].as_str().unwrap().to_string()
}

/// `cfn-lint`'s command-line entry point (its `cfn-lint` script runs exactly this).
const CFN_LINT: &str =
    "import sys; sys.argv[0] = 'cfn-lint'; from cfnlint.runner import main; sys.exit(main())";

/// `cfn-lint` on a template, in the stack's region; its findings, one per line.
fn cfn_lint(dir: &Path, name: &str, template: &str, region: &str, ignore: &[&str]) -> String {
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, template).unwrap();
    // Through Python rather than the `cfn-lint` script, which pip may put off the PATH.
    let mut cmd = Command::new("python3");
    cmd.args(["-c", CFN_LINT, "--format", "parseable", "--regions", region]);
    if !ignore.is_empty() {
        cmd.arg("--ignore-checks").args(ignore);
    }
    let o = cmd.arg("--").arg(&path).output().expect("python3 runs");
    let findings = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !stderr.contains("No module named 'cfnlint'"),
        "cfn-lint is not installed: run .ci/run (or `pip install cfn-lint==1.51.0`)"
    );
    // Exit 0 is clean; otherwise the findings say why (2 errors, 4 warnings, 8 info).
    assert!(
        o.status.success() || !findings.is_empty(),
        "cfn-lint failed to run on {name}: {}",
        stderr
    );
    findings
}

#[test]
fn every_shipped_and_example_stack_exports_cfn_lint_clean() {
    let dir = tempfile::tempdir().unwrap();
    let files = exportable();
    assert!(files.len() >= 5, "{files:?}");
    for (file, skip) in files {
        let template = export(&file, skip);
        let name = file.replace(['/', '.'], "_");
        if file == "examples/lint-findings.yaml" {
            // This example misspells an action on purpose (`ivs:GetStages`, lint's
            // IVS005): cfn-lint finds the same mistake, and nothing else.
            let findings = cfn_lint(dir.path(), &name, &template, &region(&file), &[]);
            let lines: Vec<&str> = findings.lines().collect();
            assert_eq!(lines.len(), 1, "{findings}");
            assert!(
                lines[0].contains("W3037") && lines[0].contains("getstages"),
                "{findings}"
            );
            continue;
        }
        let findings = cfn_lint(dir.path(), &name, &template, &region(&file), &[]);
        assert_eq!(
            findings, "",
            "cfn-lint on the export of {file}:\n{template}"
        );
    }
}

#[test]
fn templates_of_the_shipped_and_example_stacks() {
    for (file, skip) in exportable() {
        let template = export(&file, skip);
        let name = file.replace(['/', '.'], "_");
        insta::assert_snapshot!(name, template);
    }
}

#[test]
fn references_protection_and_tags_in_the_template() {
    let t: serde_yaml::Value =
        serde_yaml::from_str(&export("stacks/production.yaml", true)).unwrap();
    let r = &t["Resources"];
    // Protected resources are retained on delete and on replacement; others are not.
    for id in ["MainStage", "RecordingsStorageConfiguration"] {
        assert_eq!(r[id]["DeletionPolicy"], "Retain", "{id}");
        assert_eq!(r[id]["UpdateReplacePolicy"], "Retain", "{id}");
    }
    assert!(r["BackstageStage"].get("DeletionPolicy").is_none());
    // A stage's ARN by GetAtt; the alarm's Stage dimension is the id cut from the ARN.
    let arn: serde_yaml::Value = serde_yaml::from_str("{Fn::GetAtt: [MainStage, Arn]}").unwrap();
    assert_eq!(
        r["StudioEncoderIngestConfiguration"]["Properties"]["StageArn"],
        arn
    );
    let dim = &r["MainPacketLossAlarm"]["Properties"]["Dimensions"][0];
    assert_eq!(dim["Name"], "Stage");
    let id: serde_yaml::Value = serde_yaml::from_str(
        "{Fn::Select: [1, {Fn::Split: ['/', {Fn::GetAtt: [MainStage, Arn]}]}]}",
    )
    .unwrap();
    assert_eq!(dim["Value"], id);
    assert_eq!(
        r["MainStage"]["Properties"]["AutoParticipantRecordingConfiguration"]["StorageConfigurationArn"],
        serde_yaml::from_str::<serde_yaml::Value>(
            "{Fn::GetAtt: [RecordingsStorageConfiguration, Arn]}"
        )
        .unwrap()
    );
    // Ownership tags, with the stack's and the resource's own.
    let tags = r["MainStage"]["Properties"]["Tags"].as_sequence().unwrap();
    let tag = |k: &str| {
        tags.iter()
            .find(|t| t["Key"] == k)
            .map(|t| t["Value"].as_str().unwrap().to_string())
    };
    assert_eq!(tag("ivstack:stack").as_deref(), Some("live-prod"));
    assert_eq!(tag("ivstack:id").as_deref(), Some("main"));
    assert_eq!(tag("ivstack:protect").as_deref(), Some("true"));
    assert_eq!(
        tag("cost-center").as_deref(),
        Some("4021"),
        "a string, as written"
    );
    // Managed policies cannot be tagged by CloudFormation: the tags are in Metadata,
    // the path still names the stack.
    let policy = &r["OperatorReadOnlyPolicy"];
    assert_eq!(policy["Properties"]["Path"], "/ivstack/live-prod/");
    assert_eq!(policy["Metadata"]["ivstack:tags"]["audience"], "operators");
    // What was left out is said where it was lost.
    let left = &r["StudioEncoderIngestConfiguration"]["Metadata"]["ivstack:left-out"][0];
    assert_eq!(left["field"], "attributes");
}

#[test]
fn what_cloudformation_cannot_express_is_an_error_at_the_field() {
    let o = run(&[
        "export",
        "--format",
        "cloudformation",
        "stacks/production.yaml",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(o.stdout.is_empty(), "no template on error: {}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("CloudFormation cannot express `attributes`"),
        "{err}"
    );
    assert!(
        err.contains("AWS::IVS::IngestConfiguration has no Attributes property"),
        "{err}"
    );
    assert!(err.contains("stacks/production.yaml:66:5"), "{err}");
    assert!(
        err.contains("ingest_configurations.studio-encoder.attributes"),
        "{err}"
    );
    assert!(err.contains("--skip-unsupported"), "{err}");

    // With the flag, each field left out is named on standard error.
    let o = run(&[
        "export",
        "--format",
        "cloudformation",
        "stacks/production.yaml",
        "--skip-unsupported",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).lines().count(),
        1,
        "{}",
        show(&o)
    );

    // A directory of several stacks is not one template.
    let o = run(&["export", "--format", "cloudformation", "stacks"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("name one of them"),
        "{}",
        show(&o)
    );
    // An invalid file is reported as validate reports it.
    let o = run(&[
        "export",
        "--format",
        "cloudformation",
        "examples/bad-syntax.yaml",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(o.stdout.is_empty());
}
