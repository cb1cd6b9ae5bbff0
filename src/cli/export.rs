//! `ivstack export --format cloudformation [PATH] [--skip-unsupported]`: one stack as a
//! CloudFormation template (YAML) on standard output; offline. Exit 1 when the file does
//! not validate or names something CloudFormation cannot express (each such field is
//! reported where it is written), 0 otherwise.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::output::with_stdout_closed;
use super::validate::stack_files;
use crate::stack::diagnostics::color_for_stderr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// An AWS CloudFormation template in YAML.
    Cloudformation,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The stack file (or a directory holding exactly one). Default: ./stacks
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// What to export to.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Leave out the fields CloudFormation cannot express instead of failing; each
    /// resource that lost one lists it in its `Metadata` (`ivstack:left-out`), and each is
    /// named on standard error.
    #[arg(long)]
    pub skip_unsupported: bool,
}

/// Run `export`, printing the template to standard output.
pub fn run(args: &ExportArgs, no_color: bool) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    run_to(args, &mut out, &mut err, !no_color && color_for_stderr()).map_err(with_stdout_closed)
}

/// Run `export`, writing to `out` and `err`.
pub fn run_to(
    args: &ExportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> anyhow::Result<i32> {
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from("stacks"));
    let files = stack_files(std::slice::from_ref(&path))?;
    let file = match files.as_slice() {
        [one] => one,
        [] => anyhow::bail!("no stack file in {}", path.display()),
        many => anyhow::bail!(
            "{} holds {} stack files; a template is one stack: name one of them",
            path.display(),
            many.len()
        ),
    };
    let loaded = match crate::stack::load_file(file) {
        Ok(l) => l,
        Err(diags) => {
            write!(err, "{}", diags.render(color))?;
            writeln!(
                err,
                "{} is not a valid stack file (see `ivstack validate`)",
                file.display()
            )?;
            return Ok(1);
        }
    };
    match args.format {
        ExportFormat::Cloudformation => {
            match crate::export::cloudformation(&loaded, args.skip_unsupported) {
                Ok(t) => {
                    for l in &t.left_out {
                        writeln!(err, "note: left out `{}`: {}", l.path, l.why)?;
                    }
                    write!(out, "{}", t.yaml())?;
                    out.flush()?;
                    Ok(0)
                }
                Err(diags) => {
                    write!(err, "{}", diags.render(color))?;
                    Ok(1)
                }
            }
        }
    }
}
