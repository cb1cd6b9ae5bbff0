//! `ivstack iam-policy [PATH...] [--mode plan|apply]`: the least-privilege IAM policy
//! ivstack needs to plan, or to apply and destroy, the given stacks; offline. Exit 1 when
//! a file does not validate (its findings on standard error, no policy), 0 otherwise.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::output::with_stdout_closed;
use crate::audit::iam_policy::policy;
use crate::kinds::audited::Mode;
use crate::stack::diagnostics::color_for_stderr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyMode {
    /// `plan` (and `watch` without `--enforce`): read-only.
    Plan,
    /// `apply` and `destroy` (and `watch --enforce`): observation plus every change.
    Apply,
}

#[derive(Debug, Clone, Args)]
pub struct IamPolicyArgs {
    /// Stack files or directories (all *.yaml / *.yml within, sorted). Default: ./stacks
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// What the credentials will run.
    #[arg(long, value_enum, default_value_t = PolicyMode::Apply)]
    pub mode: PolicyMode,
}

pub fn run(args: &IamPolicyArgs, no_color: bool) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    run_to(args, &mut out, &mut err, !no_color && color_for_stderr()).map_err(with_stdout_closed)
}

pub fn run_to(
    args: &IamPolicyArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> anyhow::Result<i32> {
    let (loaded, invalid) = super::validate::load_valid(&args.paths, err, color)?;
    if invalid > 0 {
        // A policy for some of the stacks would look complete and not be.
        writeln!(
            err,
            "{invalid} invalid stack file(s): no policy printed (see `ivstack validate`)"
        )?;
        return Ok(1);
    }
    let mode = match args.mode {
        PolicyMode::Plan => Mode::Plan,
        PolicyMode::Apply => Mode::Apply,
    };
    let stacks: Vec<_> = loaded.iter().map(|l| &l.model).collect();
    write!(out, "{}", policy(&stacks, mode).to_json())?;
    out.flush()?;
    Ok(0)
}
