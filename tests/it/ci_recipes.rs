//! The CI recipes in `examples/ci/`: each file parses as YAML, and every `ivstack` command
//! line in it runs, in the order written, against the local endpoint, with
//! `--endpoint-url` inserted after `ivstack` for the commands that talk to AWS (as
//! `examples/ci/README.md` documents), in a directory laid out like a repository.

use std::path::Path;
use std::process::Command;

use serde_yaml::Value;

use crate::binary::{World, stages_with_id};

const STACK: &str = "stack: prod\nregion: us-east-1\nstages:\n  main: {}\n  backup: {}\n";

/// The `ivstack` lines of the shell scripts in a workflow: GitHub's `steps[].run`, GitLab's
/// `before_script`, `script` and `after_script` (strings or lists of strings).
fn ivstack_lines(doc: &Value) -> Vec<String> {
    let mut scripts = Vec::new();
    let Some(top) = doc.as_mapping() else {
        return Vec::new();
    };
    let jobs = top.get("jobs").and_then(Value::as_mapping);
    for (_, job) in jobs.into_iter().flatten().chain(top.iter()) {
        if let Some(steps) = job.get("steps").and_then(Value::as_sequence) {
            scripts.extend(
                steps
                    .iter()
                    .filter_map(|s| s.get("run"))
                    .filter_map(Value::as_str),
            );
        }
        for key in ["before_script", "script", "after_script"] {
            match job.get(key) {
                Some(Value::String(s)) => scripts.push(s),
                Some(Value::Sequence(items)) => {
                    scripts.extend(items.iter().filter_map(Value::as_str))
                }
                _ => {}
            }
        }
    }
    scripts
        .iter()
        .flat_map(|s| s.lines())
        .map(str::trim)
        .filter(|l| l.starts_with("ivstack "))
        .map(str::to_string)
        .collect()
}

/// The line with `--endpoint-url URL` after `ivstack` when its command talks to AWS.
fn substituted(line: &str, url: &str) -> String {
    let command = line.split_whitespace().nth(1).unwrap_or("");
    if ["plan", "apply", "destroy", "token", "watch"].contains(&command) {
        line.replacen("ivstack ", &format!("ivstack --endpoint-url {url} "), 1)
    } else {
        line.to_string()
    }
}

/// The exit code a recipe accepts for the line at this point of the sequence (a fresh
/// account: the plan has changes, the apply converges, the drift check finds none).
fn expected_code(line: &str) -> i32 {
    if line.contains(" plan ") && line.contains("--detailed-exitcode") {
        2
    } else {
        0
    }
}

async fn run_recipe(file: &str) {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .expect("read recipe");
    let doc: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let lines = ivstack_lines(&doc);
    let commands: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(
        commands,
        ["validate", "plan", "apply", "watch"],
        "{file}: {lines:#?}"
    );

    let w = World::new().await;
    std::fs::create_dir(w.path("stacks")).expect("mkdir");
    w.write("stacks/prod.yaml", STACK);
    // `ivstack` on the PATH is the binary under test.
    let bin = w.path("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    std::os::unix::fs::symlink(crate::binary::BIN, bin.join("ivstack")).expect("symlink");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for line in &lines {
        let run = substituted(line, w.endpoint.url());
        let template = crate::binary::ivstack(w.dir.path());
        let mut sh = Command::new("bash");
        sh.args(["-o", "pipefail", "-c", &run])
            .current_dir(w.dir.path())
            .env("PATH", &path);
        for (k, v) in template.get_envs() {
            match v {
                Some(v) => sh.env(k, v),
                None => sh.env_remove(k),
            };
        }
        let out = sh.output().expect("run bash");
        assert_eq!(
            out.status.code(),
            Some(expected_code(line)),
            "{file}: `{run}`\n{}",
            crate::binary::text(&out)
        );
    }
    // What the lines left behind: the Markdown comment, the applied plan, a clean drift check.
    let md = std::fs::read_to_string(w.path("plan.md")).expect("plan.md");
    assert!(md.contains("2 to create"), "{md}");
    assert!(w.path("plan.json").exists());
    assert_eq!(stages_with_id(&w.ivs(), "main").await.len(), 1);
    assert_eq!(stages_with_id(&w.ivs(), "backup").await.len(), 1);
    let drift = std::fs::read_to_string(w.path("drift.jsonl")).expect("drift.jsonl");
    let cycle: serde_json::Value = drift
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON line"))
        .find(|v| v["event"] == "cycle")
        .expect("a cycle line");
    assert_eq!(cycle["drift"], 0, "{drift}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_actions_recipe_runs_against_the_local_endpoint() {
    run_recipe("examples/ci/github-actions.yml").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_ci_recipe_runs_against_the_local_endpoint() {
    run_recipe("examples/ci/gitlab-ci.yml").await;
}
