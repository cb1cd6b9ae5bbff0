//! `ivstack graph` through the binary: Mermaid and DOT of the shipped stacks, of a real
//! saved plan (made with `--local` after changing an applied stack), of a big generated
//! stack (repeated shapes, and a plan whose untouched parts fold), and of names chosen to
//! break the syntax; the diagram embedded in `plan --output markdown` and `explain
//! --output markdown`. Every diagram produced here is then parsed by the real parsers —
//! Mermaid's own `mermaid.parse()` and Graphviz (WebAssembly) — under Node, installed by
//! `.ci/run` into `target/node` (`diagrams.mjs` beside this file).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use ivstack::graph::{Edge, Graph, Group, Node, Planned, What, dot, mermaid};
use ivstack::kinds::Kind;
use serde_json::json;

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

fn ok_in(cwd: &Path, args: &[&str]) -> String {
    let o = run(cwd, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}\n{}", show(&o));
    String::from_utf8(o.stdout).expect("UTF-8")
}

/// The Mermaid and DOT of `args`, each remembered for the parser test.
fn both(cwd: &Path, name: &str, args: &[&str]) -> (String, String) {
    let mut m = args.to_vec();
    m.extend(["--format", "mermaid"]);
    let mut d = args.to_vec();
    d.extend(["--format", "dot"]);
    let (m, d) = (ok_in(cwd, &m), ok_in(cwd, &d));
    remember(name, "mermaid", &m);
    remember(name, "dot", &d);
    (m, d)
}

// Every diagram the tests of this module produce, for `every_diagram_parses`; each test
// also produces its own diagrams there, so that the parse test does not depend on the
// order tests run in.
static SEEN: Mutex<Vec<(String, String, String)>> = Mutex::new(Vec::new());

fn remember(name: &str, format: &str, text: &str) {
    SEEN.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((name.into(), format.into(), text.into()));
}

#[test]
fn mermaid_and_dot_of_the_shipped_stacks() {
    let (m, d) = both(&root(), "shipped", &["graph"]);
    insta::assert_snapshot!("graph_mermaid_of_shipped_stacks", m);
    insta::assert_snapshot!("graph_dot_of_shipped_stacks", d);
    assert_eq!(
        m,
        ok_in(&root(), &["graph", "stacks"]),
        "mermaid is the default"
    );
    // One group per stack, every resource once.
    assert_eq!(m.matches("  subgraph g").count(), 2);
    assert!(m.contains("-->|\"Write, Read, List\"|"), "{m}");
    assert!(d.contains(" [label=\"recording.storage\"];"), "{d}");
}

/// A directory with `stack.yaml`, applied with `--local`, then changed: an update, a
/// create, a replace, a delete, a protected stage removed (refused), and a part nothing
/// touches.
fn changed_stack() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = "\
stack: shop
region: us-east-1
stages:
  main: {}
  vault: {protect: true}
  quiet: {}
policies:
  tokens:
    statements:
      - allow: [ivs:CreateParticipantToken]
        stages: [main]
alarms:
  main-busy: {stage: main, metric: Publishers, statistic: Maximum, comparison: \">=\", threshold: 11}
  quiet-busy: {stage: quiet, metric: Publishers, statistic: Maximum, comparison: \">=\", threshold: 11}
budgets:
  monthly: {limit_usd: 50, emails: [ops@example.com]}
";
    let path = dir.path().join("stack.yaml");
    std::fs::write(&path, before).unwrap();
    let o = run(
        dir.path(),
        &["--local", "apply", "stack.yaml", "--auto-approve"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let after = before
        .replace("  vault: {protect: true}\n", "  side: {}\n")
        // A new name replaces the alarm.
        .replace(
            "main-busy: {stage",
            "main-busy: {name: shop-main-busy-2, stage",
        )
        .replace("stages: [main]", "stages: [main, side]")
        .replace(
            "budgets:\n  monthly: {limit_usd: 50, emails: [ops@example.com]}\n",
            "",
        );
    std::fs::write(&path, &after).unwrap();
    let o = run(
        dir.path(),
        &["--local", "plan", "stack.yaml", "--out", "plan.json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    (dir, after)
}

#[test]
fn a_saved_plan_shows_on_the_picture_and_in_the_markdown_plan() {
    let (dir, _) = changed_stack();
    let (m, d) = both(dir.path(), "plan", &["graph", "--plan", "plan.json"]);
    insta::assert_snapshot!("graph_mermaid_of_a_plan", m);
    insta::assert_snapshot!("graph_dot_of_a_plan", d);
    for class in ["create", "update", "replace", "delete", "refused", "noop"] {
        assert!(m.contains(&format!("classDef {class} ")), "{class}\n{m}");
    }
    // The quiet stage and its alarm: untouched, folded.
    assert!(m.contains("unchanged: 1 stage, 1 alarm"), "{m}");
    // Same picture with the stack file named.
    assert_eq!(
        m,
        ok_in(dir.path(), &["graph", "stack.yaml", "--plan", "plan.json"])
    );

    // `plan --output markdown` embeds the same diagram, collapsed, above the details.
    let md = ok_in(
        dir.path(),
        &["--local", "plan", "stack.yaml", "--output", "markdown"],
    );
    let start = md.find("<details><summary>Diagram").expect(&md);
    let fence = md[start..].find("```mermaid\n").expect(&md) + start + 11;
    let end = md[fence..].find("```").expect(&md) + fence;
    assert_eq!(&md[fence..end], m, "{md}");
    let first_change = md.find("<details><summary><code>").expect(&md);
    assert!(start < first_change, "{md}");

    // A plan whose stack file changed since is refused.
    std::fs::write(
        dir.path().join("stack.yaml"),
        std::fs::read_to_string(dir.path().join("stack.yaml")).unwrap() + "# edited\n",
    )
    .unwrap();
    let o = run(dir.path(), &["graph", "--plan", "plan.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("changed since the plan was made"),
        "{}",
        show(&o)
    );
    let o = run(dir.path(), &["graph", "--plan", "stack.yaml"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is not a saved plan"),
        "{}",
        show(&o)
    );
}

/// `n` stages, each with an alarm; a policy on the first three.
fn big_stack(n: usize) -> String {
    let mut y = String::from("stack: big\nregion: us-east-1\nstages:\n");
    for i in 0..n {
        y.push_str(&format!("  st{i}: {{}}\n"));
    }
    y.push_str("alarms:\n");
    for i in 0..n {
        y.push_str(&format!(
            "  al{i}: {{stage: st{i}, metric: Publishers, statistic: Maximum, comparison: \">=\", threshold: 11}}\n"
        ));
    }
    y.push_str(
        "policies:\n  tokens:\n    statements:\n      - allow: [ivs:CreateParticipantToken]\n        stages: [st0, st1, st2]\n",
    );
    y
}

#[test]
fn a_big_stack_stays_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = big_stack(300);
    std::fs::write(dir.path().join("big.yaml"), &yaml).unwrap();
    let (m, d) = both(dir.path(), "big", &["graph", "big.yaml"]);
    insta::assert_snapshot!("graph_mermaid_of_a_big_stack", m);
    assert!(m.contains("297 stages, each with an alarm"), "{m}");
    assert!(d.contains("297 stages, each with an alarm"), "{d}");
    assert!(m.lines().count() < 30, "{m}");

    // A plan (as `plan --out` saves it) that changes one alarm and adds a stage: the
    // 297 pairs no change touches fold into one node.
    let mut changes =
        vec![json!({"kind": "stage", "id": "new", "name": "big-new", "action": "create"})];
    for i in 0..300 {
        for (kind, id) in [("stage", format!("st{i}")), ("alarm", format!("al{i}"))] {
            let action = if id == "al1" { "update" } else { "no_op" };
            changes.push(
                json!({"kind": kind, "id": id, "name": format!("big-{id}"), "action": action}),
            );
        }
    }
    let with_new = yaml.replace("stages:\n", "stages:\n  new: {}\n");
    std::fs::write(dir.path().join("big.yaml"), &with_new).unwrap();
    let saved = json!({
        "ivstack_saved_plan": 1,
        "ivstack_version": "test",
        "stack_file": "big.yaml",
        "stack_digest": sha256(with_new.as_bytes()),
        "plan": {
            "format_version": "1.1",
            "stack": "big",
            "region": "us-east-1",
            "changes": changes,
            "observed": [],
        },
    });
    std::fs::write(
        dir.path().join("plan.json"),
        serde_json::to_vec(&saved).unwrap(),
    )
    .unwrap();
    let (m, _) = both(dir.path(), "big plan", &["graph", "--plan", "plan.json"]);
    insta::assert_snapshot!("graph_mermaid_of_a_big_plan", m);
    assert!(m.contains("unchanged: 297 stages, 297 alarms"), "{m}");
    assert!(m.lines().count() < 40, "{m}");
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// Names that would break out of a label, written in a stack file (what validation lets
/// through) and straight into the model (everything else).
const EVIL: &[&str] = &[
    "a\"]; click n0 \"javascript:alert(1)\" %%{init: {'theme':'dark'}}%% <b>#1</b> `x` \\N",
    "x --> y\nend\nsubgraph z[\"q\"]\nclassDef a fill:red",
    "```\n# heading @here <script>alert(1)</script> &amp; &#35;",
    "back\\slash \\N \\G \\l \"quoted\" \\",
    "}; n0 -> n1; digraph x { a [label=\"x\"]",
    "é ü 中文 🚀 \u{7} tab\tend",
];

#[test]
fn names_cannot_break_the_syntax() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut y = String::from("stack: evil\nregion: us-east-1\nstages:\n  main: {}\nalarms:\n");
    for (i, name) in EVIL.iter().enumerate() {
        // Alarm names take any character but control characters.
        let name: String = name.chars().filter(|c| !c.is_control()).collect();
        y.push_str(&format!(
            "  a{i}:\n    name: {}\n    stage: main\n    metric: Publishers\n    statistic: Maximum\n    comparison: \">=\"\n    threshold: 11\n",
            serde_json::to_string(&name).unwrap()
        ));
    }
    std::fs::write(dir.path().join("evil.yaml"), &y).unwrap();
    let (m, d) = both(dir.path(), "evil stack file", &["graph", "evil.yaml"]);
    assert!(!m.contains("javascript:alert(1)\""), "{m}");
    assert!(!m.contains("%%{"), "{m}");
    // The quote before `javascript` stays inside the label, escaped.
    assert!(d.contains("click n0 \\\"javascript"), "{d}");
    assert!(!d.contains(" \"javascript"), "{d}");

    // Straight into the model: every text a node, group or edge shows.
    let mut g = Graph {
        planned: true,
        ..Graph::default()
    };
    for (i, evil) in EVIL.iter().enumerate() {
        g.groups.push(Group {
            stack: evil.to_string(),
            region: evil.to_string(),
        });
        g.nodes.push(Node {
            group: i,
            what: What::Stack {
                stack: evil.to_string(),
                region: evil.to_string(),
            },
            action: None,
        });
        g.nodes.push(Node {
            group: i,
            what: What::Resource {
                kind: Kind::Stage,
                id: evil.to_string(),
                name: evil.to_string(),
            },
            action: Some(Planned::ALL[i % Planned::ALL.len()]),
        });
        g.edges.push(Edge {
            from: 2 * i + 1,
            to: 2 * i,
            label: evil.to_string(),
        });
    }
    let (m, d) = (mermaid::render(&g), dot::render(&g));
    remember("evil model", "mermaid", &m);
    remember("evil model", "dot", &d);
    assert_eq!(m.matches("  subgraph ").count(), EVIL.len() + 1, "{m}");
    assert_eq!(
        d.matches("  subgraph cluster_").count(),
        EVIL.len() + 1,
        "{d}"
    );
}

#[test]
fn the_readme_shows_the_demo_graph_as_the_binary_draws_it() {
    let (m, _) = both(&root(), "demo", &["graph", "stacks/demo.yaml"]);
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```mermaid\n{m}```")),
        "README is stale:\n{m}"
    );
    // And the plan example is the snapshot of a real plan's.
    let snap = std::fs::read_to_string(
        root().join("tests/it/snapshots/it__graph__graph_mermaid_of_a_plan.snap"),
    )
    .unwrap();
    let plan = snap.splitn(3, "---\n").nth(2).unwrap();
    assert!(
        readme.contains(&format!("```mermaid\n{plan}```")),
        "README is stale:\n{plan}"
    );
}

#[test]
fn explain_markdown_embeds_the_stack_graph() {
    let md = ok_in(
        &root(),
        &["explain", "--output", "markdown", "stacks/demo.yaml"],
    );
    let (m, _) = both(&root(), "demo", &["graph", "stacks/demo.yaml"]);
    assert!(
        md.contains(&format!(
            "<details><summary>Diagram of the stack</summary>\n\n```mermaid\n{m}```"
        )),
        "{md}"
    );
}

#[test]
fn explain_markdown_says_how_to_draw_a_graph_too_large_to_show() {
    // 300 stages, each granted on by two policies of its own in a chain: no two have
    // the same shape, so nothing groups, and 600 edges are more than Mermaid draws.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut y = String::from("stack: wide\nregion: us-east-1\nstages:\n");
    for i in 0..300 {
        y.push_str(&format!("  st{i}: {{}}\n"));
    }
    y.push_str("policies:\n");
    for i in 0..300 {
        y.push_str(&format!(
            "  p{i}:\n    statements:\n      - allow: [ivs:GetStage]\n        stages: [st{i}, st{}]\n",
            (i + 1) % 300
        ));
    }
    std::fs::write(dir.path().join("wide.yaml"), &y).unwrap();
    let m = ok_in(dir.path(), &["graph", "wide.yaml"]);
    assert_eq!(m.matches("-->").count(), 600);
    let md = ok_in(
        dir.path(),
        &["explain", "--output", "markdown", "wide.yaml"],
    );
    assert!(!md.contains("```mermaid"));
    assert!(
        md.contains("<details><summary>Diagram of the stack (too large to show here)</summary>\n\n```text\nivstack graph wide.yaml --format dot | dot -Tsvg > stack.svg\n```"),
        "{}",
        &md[..md.len().min(2000)]
    );
}

/// Where `.ci/run` installs the Node packages.
fn node_tools() -> PathBuf {
    std::env::var_os("IVSTACK_NODE_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/node"))
}

/// Every diagram of the shipped stacks and examples, and of the other tests' cases, through
/// Mermaid's and Graphviz's parsers.
#[test]
fn every_diagram_parses() {
    let tools = node_tools();
    assert!(
        tools.join("node_modules/mermaid").is_dir()
            && tools.join("node_modules/@viz-js/viz").is_dir(),
        "the diagram parsers are missing in {}.\n`.ci/run` installs them; by hand:\n  \
         mkdir -p target/node && cp .ci/node/package.json .ci/node/package-lock.json target/node/ \
         && (cd target/node && npm ci --ignore-scripts)\n\
         or point IVSTACK_NODE_TOOLS at such a directory.",
        tools.display()
    );
    // The cases of the other tests, made again here (tests run in any order).
    mermaid_and_dot_of_the_shipped_stacks();
    a_big_stack_stays_readable();
    names_cannot_break_the_syntax();
    a_saved_plan_shows_on_the_picture_and_in_the_markdown_plan();
    for f in [
        "examples/minimal.yaml",
        "examples/raw-policy-document.yaml",
        "examples/lint-findings.yaml",
    ] {
        both(&root(), f, &["graph", f]);
    }
    let seen = SEEN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let input: Vec<serde_json::Value> = seen
        .iter()
        .map(|(name, format, text)| json!({"name": name, "format": format, "text": text}))
        .collect();
    let o = parse(&tools, &input);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let mermaid = seen.iter().filter(|(_, f, _)| f == "mermaid").count();
    let dot = seen.iter().filter(|(_, f, _)| f == "dot").count();
    assert!(
        out.contains(&format!("parsed {mermaid} Mermaid and {dot} DOT diagrams")),
        "{out}"
    );
    assert!(mermaid >= 9 && dot >= 9, "{mermaid} {dot}");

    // The parsers do reject what is broken: a label that a name closed early.
    let broken = [
        json!({"name": "m", "format": "mermaid", "text": "flowchart LR\n  n0[\"a\"]; click n0 \"x\"] --> n1\n"}),
        json!({"name": "d", "format": "dot", "text": "digraph x {\n  n0 [label=\"a\"b\"];\n}\n"}),
    ];
    let o = parse(&tools, &broken);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("FAIL mermaid m: ") && out.contains("FAIL dot d: "),
        "{out}"
    );
}

/// The SVG in `docs/` is what Graphviz draws of the production stack today.
#[test]
fn the_committed_svg_is_current() {
    let tools = node_tools();
    assert!(
        tools.join("node_modules/@viz-js/viz").is_dir(),
        "Graphviz (@viz-js/viz) is missing in {}: `.ci/run` installs it",
        tools.display()
    );
    let dot = ok_in(
        &root(),
        &["graph", "--format", "dot", "stacks/production.yaml"],
    );
    let mut child = Command::new("node")
        .arg(root().join("scripts/dot-to-svg.mjs"))
        .arg(&tools)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(dot.as_bytes()).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let committed = std::fs::read(root().join("docs/graph-production.svg")).unwrap();
    assert!(
        o.stdout == committed,
        "docs/graph-production.svg is stale; regenerate it:\n  \
         cargo run -- graph --format dot stacks/production.yaml | node scripts/dot-to-svg.mjs target/node > docs/graph-production.svg"
    );
}

/// Run `diagrams.mjs` on `diagrams`.
fn parse(tools: &Path, diagrams: &[serde_json::Value]) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("diagrams.json");
    std::fs::write(&file, serde_json::to_vec(diagrams).unwrap()).unwrap();
    Command::new("node")
        .arg(root().join("tests/it/diagrams.mjs"))
        .arg(tools)
        .arg(&file)
        .output()
        .expect("run node (Node.js 20 or later is needed for the diagram parsers)")
}
