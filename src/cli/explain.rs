//! `ivstack explain [PATH...] [--output text|markdown]`: what the stacks grant, to whom,
//! on which stage, what watches them and what they may cost, in words; offline. Exit 1
//! when a file does not validate (its findings are shown as `validate` shows them, on
//! standard error), 0 otherwise.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::output::with_stdout_closed;
use crate::audit::explain;
use crate::graph;
use crate::plan::render;
use crate::stack::diagnostics::color_for_stderr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainOutput {
    /// For the terminal.
    Text,
    /// For a pull request comment: tables, collapsed details.
    Markdown,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// Stack files or directories (all *.yaml / *.yml within, sorted). Default: ./stacks
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainOutput::Text)]
    pub output: ExplainOutput,
}

/// Run `explain`, printing to standard output.
pub fn run(args: &ExplainArgs, no_color: bool) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    run_to(args, &mut out, &mut err, !no_color && color_for_stderr()).map_err(with_stdout_closed)
}

/// Run `explain`, writing to `out` and `err` (tests use buffers); `color` is for the
/// findings of invalid files.
pub fn run_to(
    args: &ExplainArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> anyhow::Result<i32> {
    let (loaded, invalid) = super::validate::load_valid(&args.paths, err, color)?;
    if invalid > 0 {
        writeln!(
            err,
            "{invalid} invalid stack file(s) not explained (see `ivstack validate`)"
        )?;
    }
    let mut ex = explain::explain(&loaded);
    if args.output == ExplainOutput::Markdown {
        // Each stack's picture, as `ivstack graph` draws it.
        for (s, l) in ex.stacks.iter_mut().zip(&loaded) {
            let g = graph::fold::fold(graph::Graph::of_stacks(&[&l.model]));
            let body = graph::mermaid::render(&g);
            s.figures.push(if render::diagram_fits(&body) {
                explain::Figure {
                    title: "Diagram of the stack".into(),
                    language: "mermaid".into(),
                    body,
                }
            } else {
                // Too large for a comment (or for Mermaid): say how to draw it.
                explain::Figure {
                    title: "Diagram of the stack (too large to show here)".into(),
                    language: "text".into(),
                    body: format!(
                        "ivstack graph {} --format dot | dot -Tsvg > stack.svg",
                        l.path.display()
                    ),
                }
            });
        }
    }
    let text = match args.output {
        ExplainOutput::Text => explain::text::render(&ex),
        ExplainOutput::Markdown => explain::markdown::render(&ex),
    };
    write!(out, "{text}")?;
    out.flush()?;
    Ok(if invalid > 0 { 1 } else { 0 })
}
