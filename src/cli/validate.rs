//! `ivstack validate [PATH...]`: check stack files completely, offline, and report every
//! finding with file, line, column and field path. Exit code 0 when every file is valid
//! (warnings allowed), 1 otherwise.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use serde_json::json;

use super::output::with_stdout_closed;
use crate::stack::diagnostics::{Diagnostics, color_for_stdout};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateOutput {
    /// Compiler-style findings with source lines (colour on a terminal, unless NO_COLOR).
    Text,
    /// One JSON document: per-file results and every finding.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Stack files or directories (all *.yaml / *.yml within, sorted). Default: ./stacks
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ValidateOutput::Text)]
    pub output: ValidateOutput,
}

/// Run `validate`, printing to standard output (coloured on a terminal unless `no_color`
/// or `NO_COLOR`). Returns the exit code; a closed standard output ends it quietly
/// ([`super::output::StdoutClosed`]).
pub fn run(args: &ValidateArgs, no_color: bool) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_to(args, &mut out, !no_color && color_for_stdout()).map_err(with_stdout_closed)
}

/// Run `validate`, writing to `out` (tests use a buffer).
pub fn run_to(args: &ValidateArgs, out: &mut dyn Write, color: bool) -> anyhow::Result<i32> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("stacks")]
    } else {
        args.paths.clone()
    };
    let files = stack_files(&paths)?;
    let mut all = Diagnostics::new();
    let mut results = Vec::new();
    for f in &files {
        let (valid, diags) = match crate::stack::load_file(f) {
            Ok(loaded) => (true, loaded.warnings),
            Err(diags) => (false, diags),
        };
        results.push(json!({
            "path": f.display().to_string(),
            "valid": valid,
            "errors": diags.error_count(),
            "warnings": diags.warning_count(),
        }));
        all.extend(diags);
    }
    let invalid = results.iter().filter(|r| r["valid"] == false).count();
    match args.output {
        ValidateOutput::Json => {
            let doc = json!({
                "valid": invalid == 0,
                "files": results,
                "diagnostics": all.to_json(),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        ValidateOutput::Text => {
            write!(out, "{}", all.render(color))?;
            let n = files.len();
            let noun = if n == 1 { "file" } else { "files" };
            let verdict = if invalid == 0 {
                format!("{n} {noun} valid")
            } else {
                format!("{invalid} of {n} {noun} invalid")
            };
            if all.is_empty() {
                writeln!(out, "{verdict}")?;
            } else {
                writeln!(out, "{verdict} ({})", all.summary())?;
            }
        }
    }
    Ok(if invalid == 0 { 0 } else { 1 })
}

/// The stack files of the offline commands that work on what loads (`explain`, `graph`,
/// `iam-policy`): the valid ones, and how many were invalid, their findings written to
/// `err`. No paths means `./stacks`.
pub fn load_valid(
    paths: &[PathBuf],
    err: &mut dyn Write,
    color: bool,
) -> anyhow::Result<(Vec<crate::stack::LoadedStack>, usize)> {
    let default = [PathBuf::from("stacks")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut loaded = Vec::new();
    let mut invalid = 0;
    for f in stack_files(paths)? {
        match crate::stack::load_file(&f) {
            Ok(l) => loaded.push(l),
            Err(diags) => {
                write!(err, "{}", diags.render(color))?;
                invalid += 1;
            }
        }
    }
    Ok((loaded, invalid))
}

/// Files named by `paths`: files as given, directories expanded to their `*.yaml` /
/// `*.yml` files (not recursive), sorted.
pub fn stack_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot read directory {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && matches!(f.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                })
                .collect();
            found.sort();
            if found.is_empty() {
                bail!("no stack files (*.yaml, *.yml) in {}", p.display());
            }
            out.extend(found);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            bail!("{}: no such file or directory", p.display());
        }
    }
    Ok(out)
}
