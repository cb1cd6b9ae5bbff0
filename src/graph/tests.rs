//! The model from plain stack files and plans: edges and their labels, plan actions,
//! folding and repeated shapes, escaping.

use super::*;
use crate::plan::{FORMAT_VERSION, ResourceChange};

fn stack(yaml: &str) -> StackFile {
    crate::stack::load_str("s.yaml", yaml)
        .unwrap_or_else(|d| panic!("{}", d.render(false)))
        .model
}

const BASE: &str = "\
stack: s
region: us-east-1
storage_configurations:
  rec: {s3_bucket: my-bucket}
stages:
  main:
    recording: {storage: rec}
  side: {}
ingest_configurations:
  enc: {stage: main, ingest_protocol: RTMPS}
policies:
  tokens:
    statements:
      - allow: [ivs:CreateParticipantToken, ivs:GetStage]
        stages: [main, side]
      - allow: [ivs:DeleteStage]
        stages: [side]
  lister:
    statements:
      - allow: [ivs:GetStorageConfiguration]
        stages: [main]
alarms:
  busy: {stage: main, metric: Publishers, statistic: Maximum, comparison: \">=\", threshold: 11}
budgets:
  monthly: {limit_usd: 50, emails: [ops@example.com]}
";

fn node(g: &Graph, kind: Kind, id: &str) -> usize {
    g.nodes
        .iter()
        .position(
            |n| matches!(&n.what, What::Resource { kind: k, id: i, .. } if *k == kind && i == id),
        )
        .unwrap_or_else(|| panic!("no node {kind} {id}"))
}

fn edge(g: &Graph, from: usize, to: usize) -> &str {
    &g.edges
        .iter()
        .find(|e| e.from == from && e.to == to)
        .unwrap_or_else(|| panic!("no edge {from} -> {to}: {:?}", g.edges))
        .label
}

#[test]
fn every_reference_is_one_edge_and_policies_are_labelled_by_access_level() {
    let s = stack(BASE);
    let g = Graph::of_stacks(&[&s]);
    assert_eq!(g.groups.len(), 1);
    assert!(matches!(g.nodes[0].what, What::Stack { .. }));
    // One node per resource and the stack.
    assert_eq!(g.nodes.len(), 1 + 8);
    let (main, side) = (node(&g, Kind::Stage, "main"), node(&g, Kind::Stage, "side"));
    let tokens = node(&g, Kind::Policy, "tokens");
    assert_eq!(edge(&g, tokens, main), "Write, Read");
    assert_eq!(edge(&g, tokens, side), "Write, Read");
    assert_eq!(
        edge(&g, main, node(&g, Kind::StorageConfiguration, "rec")),
        "recording.storage"
    );
    assert_eq!(edge(&g, node(&g, Kind::Alarm, "busy"), main), "stage");
    assert_eq!(
        edge(&g, node(&g, Kind::IngestConfiguration, "enc"), main),
        "stage"
    );
    assert_eq!(
        edge(&g, node(&g, Kind::Budget, "monthly"), 0),
        "spend of the whole account"
    );
    // Named, but `ivs:GetStorageConfiguration` acts on no stage.
    assert_eq!(
        edge(&g, node(&g, Kind::Policy, "lister"), main),
        "grants nothing here"
    );
    assert_eq!(g.edges.len(), 7);
    assert!(g.legend().is_empty());
}

fn change(kind: Kind, id: &str, action: Action) -> ResourceChange {
    ResourceChange {
        kind,
        id: id.into(),
        name: format!("s-{id}"),
        action,
        physical_id: None,
        reason: None,
        fields: Vec::new(),
        desired: None,
        observed: None,
    }
}

fn plan(changes: Vec<ResourceChange>) -> Plan {
    Plan {
        format_version: FORMAT_VERSION.into(),
        stack: "s".into(),
        region: "us-east-1".into(),
        account: None,
        destroy: false,
        changes,
        observed: Vec::new(),
    }
}

#[test]
fn a_plan_colours_nodes_adds_what_it_deletes_and_folds_untouched_parts() {
    let s = stack(BASE);
    let mut gone = change(Kind::Alarm, "old", Action::Delete);
    let stage_arn = "arn:aws:ivs:us-east-1:123456789012:stage/AbCd";
    gone.observed = Some(crate::kinds::Resource {
        kind: Kind::Alarm,
        id: "old".into(),
        physical_id: Some("s-old".into()),
        spec: serde_json::json!({"dimensions": [{"name": "Stage", "value": "AbCd"}]})
            .as_object()
            .cloned()
            .unwrap(),
        tags: Default::default(),
    });
    let mut side = change(Kind::Stage, "side", Action::NoOp);
    side.physical_id = Some(stage_arn.into());
    let p = plan(vec![
        change(Kind::Alarm, "busy", Action::Update),
        change(Kind::Stage, "main", Action::NoOp),
        change(Kind::Stage, "main", Action::RemoveDuplicate),
        side,
        gone,
        change(Kind::Budget, "monthly", Action::NoOp),
    ]);
    let g = Graph::of_stacks(&[&s]).with_plan(&p);
    assert!(g.planned);
    assert_eq!(
        g.nodes[node(&g, Kind::Alarm, "busy")].action,
        Some(Planned::Update)
    );
    // The stage stays; its duplicate goes, drawn beside it.
    let mains: Vec<Option<Planned>> = g
        .nodes
        .iter()
        .filter(|n| matches!(&n.what, What::Resource { id, .. } if id == "main"))
        .map(|n| n.action)
        .collect();
    assert_eq!(mains, [Some(Planned::NoOp), Some(Planned::Delete)]);
    let old = node(&g, Kind::Alarm, "old");
    assert_eq!(g.nodes[old].action, Some(Planned::Delete));
    // The deleted alarm still watched `side` (its Stage dimension is side's id).
    assert_eq!(edge(&g, old, node(&g, Kind::Stage, "side")), "");
    assert_eq!(
        g.legend(),
        [Planned::Update, Planned::Delete, Planned::NoOp]
    );

    // The budget touches nothing that changes: folded. Everything else is connected to
    // the changed alarms through the policy and the stages.
    let f = fold::fold(g);
    let unchanged: Vec<&What> = f
        .nodes
        .iter()
        .map(|n| &n.what)
        .filter(|w| matches!(w, What::Unchanged { .. }))
        .collect();
    assert_eq!(
        unchanged,
        [&What::Unchanged {
            counts: vec![(Kind::Budget, 1)]
        }]
    );
    assert_eq!(f.nodes.len(), 1 + 7 + 2 + 1);
    assert!(!f.edges.iter().any(|e| e.label.starts_with("spend")));
}

#[test]
fn repeated_shapes_become_one_node_with_a_count() {
    let mut yaml = String::from("stack: big\nregion: us-east-1\nstages:\n");
    for i in 0..40 {
        yaml.push_str(&format!("  st{i}: {{}}\n"));
    }
    yaml.push_str("alarms:\n");
    for i in 0..40 {
        yaml.push_str(&format!(
            "  al{i}: {{stage: st{i}, metric: Publishers, statistic: Maximum, comparison: \">=\", threshold: 11}}\n"
        ));
    }
    yaml.push_str(
        "policies:\n  reader:\n    statements:\n      - allow: [ivs:GetStage]\n        stages: [",
    );
    let ids: Vec<String> = (0..40).map(|i| format!("st{i}")).collect();
    yaml.push_str(&ids.join(", "));
    yaml.push_str(
        "]\n  one:\n    statements:\n      - allow: [ivs:DeleteStage]\n        stages: [st0]\n",
    );
    let s = stack(&yaml);
    let g = fold::fold(Graph::of_stacks(&[&s]));
    // st0 has another policy: its own shape. The other 39 are one node.
    let repeated: Vec<&What> = g
        .nodes
        .iter()
        .map(|n| &n.what)
        .filter(|w| matches!(w, What::Repeated { .. }))
        .collect();
    assert_eq!(
        repeated,
        [&What::Repeated {
            kind: Kind::Stage,
            count: 39,
            each: vec![(Kind::Alarm, 1)]
        }]
    );
    assert_eq!(
        lines(&g.nodes[node_of(&g, |w| matches!(w, What::Repeated { .. }))]),
        ["39 stages, each with an alarm"]
    );
    // stack, reader, one, st0, al0, the group.
    assert_eq!(g.nodes.len(), 6);
    let group = node_of(&g, |w| matches!(w, What::Repeated { .. }));
    assert_eq!(
        edge(&g, node(&g, Kind::Policy, "reader"), group),
        "Read (each)"
    );
    assert_eq!(g.edges.len(), 4, "{:?}", g.edges);
}

fn node_of(g: &Graph, f: impl Fn(&What) -> bool) -> usize {
    g.nodes.iter().position(|n| f(&n.what)).unwrap()
}

#[test]
fn names_cannot_break_out_of_labels() {
    for evil in [
        "a\"]; click n0 \"javascript:alert(1)\"",
        "%%{init: {'theme':'dark'}}%%",
        "x --> y\nend\nsubgraph z",
        "```\n# heading @here <script>",
        "back\\slash \\N \\G \\l \"quoted\"",
    ] {
        let m = mermaid::escape(evil);
        assert!(
            m.chars()
                .all(|c| c.is_ascii_alphanumeric() || " .,_-:/()#;".contains(c)),
            "{m}"
        );
        let d = dot::escape(evil);
        // Every quote and backslash is escaped: unescaping gives the text back.
        let mut back = String::new();
        let mut chars = d.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => back.push('\n'),
                    Some(c) => back.push(c),
                    None => panic!("dangling backslash in {d}"),
                },
                '"' => panic!("bare quote in {d}"),
                c => back.push(c),
            }
        }
        assert_eq!(back, evil);
    }
}

#[test]
fn plurals_and_field_names() {
    assert_eq!(plural("policy"), "policies");
    assert_eq!(plural("stage"), "stages");
    assert_eq!(plural("public key"), "public keys");
    assert_eq!(field_name("statements[0].stages[12]"), "statements.stages");
}
