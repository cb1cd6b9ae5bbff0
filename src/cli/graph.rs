//! `ivstack graph [PATH...] [--format mermaid|dot] [--plan PLAN.json]`: the stacks as a
//! picture — a node per resource, grouped per stack, an edge per reference — in Mermaid
//! (for Markdown) or Graphviz DOT; with `--plan`, what a saved plan does to each node.
//! Offline. Exit 1 when a file does not validate or the plan cannot be used.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};

use super::output::with_stdout_closed;
use super::run::{digest, parse_saved, read_given};
use crate::graph::{Graph, dot, fold, mermaid};
use crate::stack::diagnostics::color_for_stderr;
use crate::stack::model::StackFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (GitHub and GitLab render it in Markdown).
    Mermaid,
    /// Graphviz DOT (`| dot -Tsvg > stack.svg`).
    Dot,
}

#[derive(Debug, Clone, Args)]
pub struct GraphArgs {
    /// Stack files or directories (all *.yaml / *.yml within, sorted). Default: ./stacks,
    /// or with --plan the stack file the plan was made from.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
    /// A saved plan (`ivstack plan --out PLAN.json`): nodes show what it does, and what
    /// no change touches is folded.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: Option<PathBuf>,
}

/// Run `graph`, printing to standard output.
pub fn run(args: &GraphArgs, no_color: bool) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    run_to(args, &mut out, &mut err, !no_color && color_for_stderr()).map_err(with_stdout_closed)
}

/// Render a graph in a format.
pub fn render(g: &Graph, format: GraphFormat) -> String {
    match format {
        GraphFormat::Mermaid => mermaid::render(g),
        GraphFormat::Dot => dot::render(g),
    }
}

/// Run `graph`, writing to `out` and `err`; `color` is for the findings of invalid files.
pub fn run_to(
    args: &GraphArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> anyhow::Result<i32> {
    let saved = match &args.plan {
        None => None,
        Some(p) => {
            let bytes = read_given(p)?
                .with_context(|| format!("cannot read the saved plan {}", p.display()))?;
            let Some(saved) = parse_saved(p, &bytes)? else {
                bail!(
                    "{} is not a saved plan (make one with `ivstack plan --out {}`)",
                    p.display(),
                    p.display()
                );
            };
            Some(saved)
        }
    };
    let paths = match (&saved, args.paths.is_empty()) {
        (_, false) => args.paths.clone(),
        (Some(s), true) => vec![s.stack_file.clone()],
        (None, true) => Vec::new(),
    };
    let (loaded, invalid) = super::validate::load_valid(&paths, err, color)?;
    if invalid > 0 {
        writeln!(
            err,
            "{invalid} invalid stack file(s) not drawn (see `ivstack validate`)"
        )?;
    }
    let stacks: Vec<&StackFile> = loaded.iter().map(|l| &l.model).collect();
    let mut graph = Graph::of_stacks(&stacks);
    if let Some(saved) = &saved {
        let Some(file) = loaded.iter().find(|l| l.model.stack == saved.plan.stack) else {
            bail!(
                "the plan is of stack `{}`, which none of the given files declares",
                saved.plan.stack
            );
        };
        // The picture joins the plan to the file: both must be what the plan was made of.
        let now = std::fs::read(&file.path)
            .with_context(|| format!("cannot read {}", file.path.display()))?;
        if digest(&now) != saved.stack_digest {
            bail!(
                "{} changed since the plan was made; make a new plan (`ivstack plan --out ...`)",
                file.path.display()
            );
        }
        graph = graph.with_plan(&saved.plan);
    }
    if !graph.groups.is_empty() {
        let graph = fold::fold(graph);
        write!(out, "{}", render(&graph, args.format))?;
    }
    out.flush()?;
    Ok(if invalid > 0 { 1 } else { 0 })
}
