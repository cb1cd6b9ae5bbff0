//! Audit benchmark: `lint` (with SARIF) and `explain` (text and Markdown) of a generated
//! stack of 2,000 stages, 200 token policies (each naming 20 stages, one wildcard action),
//! 1,000 alarms and a raw document; prints the median time of each step. Run:
//! `cargo bench --bench audit` (`--profile dev` for a quick, slower build).

use std::time::Instant;

fn generated_stack() -> String {
    let mut s = String::from("stack: big\nregion: us-west-2\naccount: \"123456789012\"\nstages:\n");
    for i in 0..2000 {
        s.push_str(&format!("  s{i}: {{}}\n"));
    }
    s.push_str("policies:\n");
    for p in 0..200 {
        let ids: Vec<String> = (0..20)
            .map(|k| format!("s{}", (p * 10 + k) % 2000))
            .collect();
        s.push_str(&format!(
            "  p{p}:\n    statements:\n      - allow: [ivs:CreateParticipantToken, ivs:GetStage, \"ivs:Get*\"]\n        stages: [{}]\n",
            ids.join(", ")
        ));
    }
    s.push_str(
        "  raw:\n    document:\n      Version: \"2012-10-17\"\n      Statement:\n        - Effect: Allow\n          Action: [\"ivs:*\"]\n          Resource: \"*\"\n",
    );
    s.push_str("alarms:\n");
    for i in 0..1000 {
        s.push_str(&format!(
            "  a{i}:\n    stage: s{i}\n    metric: Publishers\n    statistic: Maximum\n    comparison: \">=\"\n    threshold: 11\n"
        ));
    }
    s
}

fn median(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn main() {
    use ivstack::audit::{explain, lint, sarif};
    let src = generated_stack();
    let loaded = match ivstack::stack::load_str("big.yaml", &src) {
        Ok(l) => l,
        Err(d) => panic!("the generated stack is invalid:\n{}", d.render(false)),
    };
    let runs = 5;
    let mut findings = 0;
    let lint_ms = median(runs, || findings = lint::lint(&loaded).findings.len());
    let report = lint::lint(&loaded);
    let cwd = std::path::Path::new("/");
    let reports = [report];
    let sarif_ms = median(runs, || {
        let log = sarif::log(&sarif::Input {
            root: cwd,
            cwd,
            reports: &reports,
            invalid: &[],
            rules_url: None,
        });
        std::hint::black_box(serde_json::to_string(&log).map(|s| s.len()).unwrap_or(0));
    });
    let stacks = std::slice::from_ref(&loaded);
    let mut lines = 0;
    let text_ms = median(runs, || {
        lines = explain::text::render(&explain::explain(stacks))
            .lines()
            .count()
    });
    let md_ms = median(runs, || {
        std::hint::black_box(explain::markdown::render(&explain::explain(stacks)).len());
    });
    println!(
        "stack: {} KB, 2000 stages, 201 policies, 1000 alarms; median of {runs}",
        src.len() / 1024
    );
    println!("lint:             {lint_ms:>8.1} ms ({findings} findings)");
    println!(
        "lint + SARIF:     {:>8.1} ms (serialised log)",
        lint_ms + sarif_ms
    );
    println!("explain text:     {text_ms:>8.1} ms ({lines} lines)");
    println!("explain markdown: {md_ms:>8.1} ms");
}
