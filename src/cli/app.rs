//! The command line as a whole: the argument grammar, logging, the async runtime, dispatch to
//! the commands, and the exit code. `main.rs` only calls [`main`].

use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::cli::interrupt::{EXIT_INTERRUPTED, Interrupted, Stop};
use crate::cli::output::{StdoutClosed, say};
use crate::cli::redact;
use crate::cli::run::{self, ApplyArgs, PlanArgs};
use crate::cli::session::{AwsArgs, GlobalArgs};

const EXIT_CODES: &str = "\
Exit codes:
  0    success, or nothing to do (also when standard output is closed early: `plan | head`);
       watch stopped by SIGTERM or Ctrl-C
  1    error (invalid stack file, AWS error, refused or failed apply or import); lint: a finding
       at or above --fail-on remains
  2    changes pending (plan --detailed-exitcode), drift found (watch --once)
  130  interrupted (Ctrl-C) or --timeout reached, by plan, apply, destroy, import,
       discover or token: what was in flight finished; nothing was planned or changed
       after that; run again to converge (a lock the run held is released first)

force-unlock: 0 removed (or there was no lock), 1 not removed or error, 130 interrupted";

/// Keep Amazon IVS Real-Time stages, IAM policies, CloudWatch alarms and AWS Budgets
/// exactly as declarative YAML stack files say.
#[derive(Parser)]
#[command(name = "ivstack", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    // The AWS options may also come before the command (`ivstack --local apply`).
    #[command(flatten)]
    aws: AwsArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options of every command.
#[derive(Debug, Clone, Args)]
struct CommonArgs {
    /// More logging on standard error (-v: AWS calls and retries, -vv: everything), with
    /// credentials, tokens, signatures and keys redacted.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    /// No colour in the output or the logs (also when NO_COLOR is set or the output is
    /// not a terminal).
    #[arg(long, global = true)]
    no_color: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Check stack files without touching AWS (exit 0 when all are valid).
    Validate(crate::cli::validate::ValidateArgs),
    /// Print the JSON Schema of stack files (for editors).
    Schema(crate::cli::schema::SchemaArgs),
    /// Least-privilege and operational findings, as text, JSON or SARIF; no network.
    Lint(crate::cli::lint::LintArgs),
    /// What the stacks grant, watch and cost, in words (text or Markdown); no network.
    Explain(crate::cli::explain::ExplainArgs),
    /// The stacks as a picture (Mermaid or Graphviz DOT), with a saved plan's changes on
    /// it; no network.
    Graph(crate::cli::graph::GraphArgs),
    /// One stack as a CloudFormation template (YAML); no network.
    Export(crate::cli::export::ExportArgs),
    /// The least-privilege IAM policy ivstack needs for the stacks; no network.
    IamPolicy(crate::cli::iam_policy::IamPolicyArgs),
    /// Show what apply would change.
    Plan(PlanArgs),
    /// Make the live account match the stack files (or apply a saved plan exactly).
    Apply(ApplyArgs),
    /// Adopt existing resources into a stack without recreating them (their ARNs stay):
    /// plan, confirm and apply like `apply`, adding only the ownership tags first.
    Import(crate::cli::run::ImportArgs),
    /// Print a stack file describing what a live account and region holds (stages,
    /// configurations, policies, alarms, budgets), ready for `ivstack import`.
    Discover(crate::cli::discover::DiscoverArgs),
    /// Delete everything the stacks own, except protected resources.
    Destroy(ApplyArgs),
    /// Remove a stack's lock that a run left behind (killed or crashed), after showing its
    /// holder and asking.
    ForceUnlock(crate::cli::lock::ForceUnlockArgs),
    /// Mint participant tokens for a stage of a stack, by its logical id (tokens go to
    /// standard output only).
    Token(crate::cli::token::TokenArgs),
    /// Keep stacks converged: re-read, observe and plan every interval; report drift, or
    /// with --enforce apply it. JSON lines on stdout, Prometheus metrics on --metrics-addr.
    Watch(crate::cli::watch::WatchArgs),
    /// The local AWS endpoint (IVS Real-Time, IAM, STS, CloudWatch, Budgets, S3).
    #[command(subcommand)]
    Local(LocalCommand),
}

#[derive(Subcommand)]
enum LocalCommand {
    /// Serve the local AWS endpoint until Ctrl-C.
    Serve(crate::cli::local::ServeArgs),
}

impl Command {
    /// The AWS options written after the command, for the commands that have them.
    fn aws(&self) -> Option<&AwsArgs> {
        match self {
            Command::Plan(a) => Some(&a.aws),
            Command::Apply(a) | Command::Destroy(a) => Some(&a.aws),
            Command::ForceUnlock(a) => Some(&a.aws),
            Command::Token(a) => Some(&a.aws),
            Command::Watch(a) => Some(&a.aws),
            Command::Discover(a) => Some(&a.aws),
            Command::Import(a) => Some(&a.aws),
            _ => None,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Command::Validate(_) => "validate",
            Command::Schema(_) => "schema",
            Command::Lint(_) => "lint",
            Command::Explain(_) => "explain",
            Command::Graph(_) => "graph",
            Command::Export(_) => "export",
            Command::IamPolicy(_) => "iam-policy",
            Command::Plan(_) => "plan",
            Command::Apply(_) => "apply",
            Command::Destroy(_) => "destroy",
            Command::Discover(_) => "discover",
            Command::Import(_) => "import",
            Command::ForceUnlock(_) => "force-unlock",
            Command::Token(_) => "token",
            Command::Watch(_) => "watch",
            Command::Local(LocalCommand::Serve(_)) => "local serve",
        }
    }
}

/// Colour in logs only when standard error is a terminal, and never with `--no-color` or
/// `NO_COLOR`.
fn log_color(
    no_color: bool,
    no_color_env: Option<&std::ffi::OsStr>,
    stderr_terminal: bool,
) -> bool {
    !no_color && no_color_env.is_none_or(|v| v.is_empty()) && stderr_terminal
}

fn init_logging(common: &CommonArgs) {
    use std::io::IsTerminal;
    // Error messages are redacted too, with or without logs.
    redact::register_environment_secrets();
    let level = match common.verbose {
        0 => return,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let color = log_color(
        common.no_color,
        std::env::var_os("NO_COLOR").as_deref(),
        std::io::stderr().is_terminal(),
    );
    // Every log line of the process (ours, the AWS SDK's, the local endpoint's) passes
    // through one writer, which redacts secrets.
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(color)
        .with_writer(redact::LogWriter)
        .init();
}

/// The options of `plan` / `apply` / `destroy`, resolved; for other commands, an error if
/// any AWS option was given before the command (it would be ignored).
fn global_args(cli: &Cli) -> Result<Option<GlobalArgs>, clap::Error> {
    let mut cmd = Cli::command();
    match cli.command.aws() {
        Some(after) => {
            GlobalArgs::resolve(cli.common.verbose, cli.common.no_color, &cli.aws, after)
                .map(Some)
                .map_err(|msg| cmd.error(clap::error::ErrorKind::ArgumentConflict, msg))
        }
        None => match cli.aws.given().first() {
            Some(option) => Err(cmd.error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "{option} is an option of plan, apply, destroy, import, discover, force-unlock, token and watch; `{}` does not use it",
                    cli.command.name()
                ),
            )),
            None => Ok(None),
        },
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let global = match global_args(&cli) {
        Ok(g) => g,
        Err(e) => e.exit(),
    };
    init_logging(&cli.common);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            say!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let stop = Stop::new();
    let result = runtime.block_on(async {
        // Commands that talk to AWS, and the endpoint, stop gracefully on Ctrl-C; the
        // offline commands keep the default (Ctrl-C ends them at once).
        if matches!(
            cli.command,
            Command::Validate(_)
                | Command::Schema(_)
                | Command::Lint(_)
                | Command::Explain(_)
                | Command::Graph(_)
                | Command::Export(_)
                | Command::IamPolicy(_)
        ) {
            return dispatch(&cli, global.as_ref(), &stop).await;
        }
        if let Err(e) = stop.listen_for_ctrl_c() {
            return Err(anyhow::Error::new(e).context("cannot listen for Ctrl-C"));
        }
        if let Some(g) = &global
            && deadline_applies(&cli)
        {
            stop.deadline_in(g.timeout.max(1));
        }
        dispatch(&cli, global.as_ref(), &stop).await
    });
    // A thread may still wait for an answer on the terminal (Ctrl-C at the prompt): do
    // not wait for it.
    runtime.shutdown_background();
    ExitCode::from(exit_code(result))
}

async fn dispatch(cli: &Cli, global: Option<&GlobalArgs>, stop: &Stop) -> anyhow::Result<i32> {
    let aws = || global.ok_or_else(|| anyhow::anyhow!("internal error: no AWS options resolved"));
    match &cli.command {
        Command::Validate(args) => crate::cli::validate::run(args, cli.common.no_color),
        Command::Schema(args) => crate::cli::schema::run(args),
        Command::Lint(args) => crate::cli::lint::run(args, cli.common.no_color),
        Command::Explain(args) => crate::cli::explain::run(args, cli.common.no_color),
        Command::Graph(args) => crate::cli::graph::run(args, cli.common.no_color),
        Command::Export(args) => crate::cli::export::run(args, cli.common.no_color),
        Command::IamPolicy(args) => crate::cli::iam_policy::run(args, cli.common.no_color),
        Command::Plan(args) => run::plan_cmd(aws()?, args, stop).await,
        Command::Apply(args) => run::apply_cmd(aws()?, args, false, stop).await,
        Command::Destroy(args) => run::apply_cmd(aws()?, args, true, stop).await,
        Command::Import(args) => run::import_cmd(aws()?, args, stop).await,
        Command::Discover(args) => crate::cli::discover::run(aws()?, args, stop).await,
        Command::ForceUnlock(args) => crate::cli::lock::force_unlock(aws()?, args, stop).await,
        Command::Token(args) => crate::cli::token::run(aws()?, args, stop).await,
        Command::Watch(args) => crate::cli::watch::run(aws()?, args, stop).await,
        Command::Local(LocalCommand::Serve(args)) => crate::cli::local::serve(args.clone(), stop)
            .await
            .map(|()| 0),
    }
}

/// Whether the run has a deadline: always, except for `watch`, which runs until it is
/// stopped unless --timeout is given explicitly.
fn deadline_applies(cli: &Cli) -> bool {
    match &cli.command {
        Command::Watch(a) => a.aws.timeout.or(cli.aws.timeout).is_some(),
        _ => true,
    }
}

/// The process exit code of a command's outcome, after saying what went wrong.
fn exit_code(result: anyhow::Result<i32>) -> u8 {
    match result {
        Ok(code) => u8::try_from(code).unwrap_or(1),
        // Nobody reads the rest of the output: end quietly.
        Err(e) if e.is::<StdoutClosed>() => 0,
        Err(e) => {
            say!("error: {}", redact::redact(&format!("{e:#}")));
            if e.is::<Interrupted>() {
                EXIT_INTERRUPTED as u8
            } else {
                1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn logs_are_coloured_only_on_a_terminal_without_no_color() {
        assert!(log_color(false, None, true));
        assert!(log_color(false, Some(OsStr::new("")), true));
        assert!(!log_color(true, None, true));
        assert!(!log_color(false, Some(OsStr::new("1")), true));
        assert!(!log_color(false, None, false));
    }

    #[test]
    fn exit_codes_of_outcomes() {
        assert_eq!(exit_code(Ok(2)), 2);
        assert_eq!(exit_code(Err(StdoutClosed.into())), 0);
        let stopped = Interrupted {
            message: "interrupted while reading the live account: nothing was changed".into(),
        };
        assert_eq!(exit_code(Err(stopped.into())), 130);
        assert_eq!(exit_code(Err(anyhow::anyhow!("boom"))), 1);
    }

    #[test]
    fn aws_options_before_and_after_the_command_merge() {
        let cli = Cli::try_parse_from([
            "ivstack",
            "--endpoint-url",
            "http://a",
            "--rate",
            "A=1",
            "plan",
            "--timeout",
            "5",
            "--rate",
            "B=2",
            "-v",
        ])
        .expect("parse");
        let g = global_args(&cli)
            .expect("resolve")
            .expect("plan has AWS options");
        assert_eq!(g.endpoint_url.as_deref(), Some("http://a"));
        assert_eq!(g.timeout, 5);
        assert_eq!(g.rate, vec!["A=1", "B=2"]);
        assert_eq!(g.verbose, 1);
        assert_eq!(g.max_concurrency, 8);
        let cli = Cli::try_parse_from(["ivstack", "--local", "apply", "--endpoint-url", "x"])
            .expect("parse");
        assert!(global_args(&cli).is_err());
        let cli = Cli::try_parse_from(["ivstack", "--timeout", "5", "validate"]).expect("parse");
        assert!(global_args(&cli).is_err());
        Cli::command().debug_assert();
    }
}
