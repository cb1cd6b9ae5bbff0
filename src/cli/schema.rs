//! `ivstack schema`: print the JSON Schema of stack files (generated from the model), for
//! editors through the YAML language server, or check that a committed copy is current.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::stack::load::{Bounded, read_bounded};
use crate::stack::schema::stack_schema_pretty;

#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {
    /// Write the schema to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "check")]
    pub out: Option<PathBuf>,
    /// Exit 1 (and say so) if FILE differs from the current schema, e.g. in CI.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
}

/// Run `schema`. Returns the exit code; a closed standard output ends it quietly.
pub fn run(args: &SchemaArgs) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_to(args, &mut out).map_err(super::output::with_stdout_closed)
}

/// Run `schema`, writing to `out`.
pub fn run_to(args: &SchemaArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let schema = stack_schema_pretty();
    if let Some(path) = &args.check {
        // Bounded: whatever FILE is, reading stops just past the schema's own size.
        let current = match read_bounded(path, schema.len())
            .with_context(|| format!("cannot read {}", path.display()))?
        {
            Bounded::Complete(bytes) => bytes,
            Bounded::TooLarge(_) => Vec::new(),
        };
        if current == schema.as_bytes() {
            writeln!(out, "{} is up to date", path.display())?;
            return Ok(0);
        }
        writeln!(
            out,
            "{} is out of date; regenerate it with `ivstack schema -o {}`",
            path.display(),
            path.display()
        )?;
        return Ok(1);
    }
    match &args.out {
        Some(path) => {
            std::fs::write(path, &schema)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => out.write_all(schema.as_bytes())?,
    }
    Ok(0)
}
