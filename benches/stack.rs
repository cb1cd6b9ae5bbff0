//! Stack-file loading benchmark: parse + check + validate a generated ~5 MB stack file and
//! print the time and peak memory (VmHWM), then where the time goes, phase by phase.
//! Run: `cargo bench --bench stack`. Targets: well under 200 ms and 100 MB.

use std::time::Instant;

/// A valid stack file of about `target` bytes: stages with tags and recording, token
/// policies scoped to batches of stages, and per-stage alarms.
fn generated_stack(target: usize) -> String {
    let mut s = String::from(
        "stack: big\nregion: us-west-2\naccount: \"123456789012\"\ntags: {team: media}\nstages:\n",
    );
    let mut i = 0;
    while s.len() < target * 2 / 5 {
        s.push_str(&format!(
            "  stage-{i}:\n    tags: {{shard: \"{i}\"}}\n    recording:\n      storage_configuration_arn: arn:aws:ivs:us-west-2:123456789012:storage-configuration/AbCd{i}\n      media_types: [AUDIO_VIDEO]\n      hls_segment_seconds: 6\n"
        ));
        i += 1;
    }
    let stages = i;
    s.push_str("policies:\n");
    let mut p = 0;
    while s.len() < target * 3 / 5 {
        let ids: Vec<String> = (0..20)
            .map(|k| format!("stage-{}", (p * 20 + k) % stages))
            .collect();
        s.push_str(&format!(
            "  tokens-{p}:\n    description: Token minting for batch {p}\n    statements:\n      - sid: Mint\n        allow: [ivs:CreateParticipantToken, ivs:GetStage]\n        stages: [{}]\n",
            ids.join(", ")
        ));
        p += 1;
    }
    s.push_str("alarms:\n");
    let mut j = 0;
    while s.len() < target {
        s.push_str(&format!(
            "  pubs-{j}:\n    stage: stage-{}\n    metric: Publishers\n    statistic: Maximum\n    comparison: \">=\"\n    threshold: 11\n    alarm_actions: [arn:aws:sns:us-west-2:123456789012:ops]\n",
            j % stages
        ));
        j += 1;
    }
    s
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// The phases of `load_str`, timed one by one (median of `runs`): which one to work on next.
fn phases(src: &str, runs: usize) {
    use ivstack::stack::check::{self, Schema};
    use ivstack::stack::load::DeclaredIds;
    use ivstack::stack::model::StackFile;
    use ivstack::stack::{SpanMap, validate, yaml};

    let names = ["YAML events + tree", "schema check", "model", "validate"];
    let mut times = vec![Vec::new(); names.len()];
    let schema = Schema::stack();
    for _ in 0..runs {
        let t = Instant::now();
        let (root, _) = yaml::parse("generated.yaml", src);
        let Some(root) = root else { return };
        times[0].push(t.elapsed());
        let t = Instant::now();
        let checked = check::check("generated.yaml", &root, schema);
        times[1].push(t.elapsed());
        let t = Instant::now();
        let Ok(model) = checked.deserialize::<StackFile>(schema, &root, schema.root()) else {
            return;
        };
        times[2].push(t.elapsed());
        let mut declared = DeclaredIds::new();
        for kind in ivstack::kinds::Kind::ALL {
            let ids = model.ids(*kind).into_iter().map(str::to_string).collect();
            declared.insert(kind.section().into(), ids);
        }
        let spans = SpanMap::new(root);
        let ctx = validate::Context {
            file: "generated.yaml",
            spans: &spans,
            declared: &declared,
        };
        let t = Instant::now();
        let findings = validate::validate(&model, &ctx);
        times[3].push(t.elapsed());
        assert!(findings.is_empty());
    }
    println!("  phases (median of {runs}):");
    for (name, mut ts) in names.iter().zip(times) {
        ts.sort();
        println!(
            "    {name:<20} {:6.1} ms",
            ts[ts.len() / 2].as_secs_f64() * 1e3
        );
    }
}

fn main() {
    let src = generated_stack(5 * 1024 * 1024);
    let before = vm_hwm_kib().unwrap_or(0);
    let mut times = Vec::new();
    let mut resources = 0;
    for _ in 0..7 {
        let t = Instant::now();
        let loaded = match ivstack::stack::load_str("generated.yaml", &src) {
            Ok(l) => l,
            Err(d) => {
                eprintln!("{}", d.render(false));
                std::process::exit(1);
            }
        };
        times.push(t.elapsed());
        resources = loaded.model.resource_count();
    }
    // The first run also compiles the schema and faults in fresh memory, as a CLI run does.
    let first = times[0];
    times.sort();
    let after = vm_hwm_kib().unwrap_or(0);
    println!(
        "stack load (parse + check + validate): {:.2} MB, {} resources, {} lines",
        src.len() as f64 / 1e6,
        resources,
        src.lines().count()
    );
    println!(
        "  time: min {:.1} ms, median {:.1} ms, max {:.1} ms (7 runs; first {:.1} ms)",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3
    );
    println!(
        "  peak memory (VmHWM): {:.1} MB total, {:.1} MB before loading (source text)",
        after as f64 / 1024.0,
        before as f64 / 1024.0
    );
    phases(&src, 5);
}
