//! The command line as a whole: the argument grammar, logging, the async runtime, dispatch to
//! the commands, and the exit code. `main.rs` only calls [`main`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cli::run::{self, ApplyArgs, PlanArgs};
use crate::cli::session::GlobalArgs;

const EXIT_CODES: &str = "\
Exit codes:
  0    success, or nothing to do
  1    error (invalid stack file, AWS error, refused or failed apply)
  2    changes pending (plan --detailed-exitcode)
  130  interrupted (Ctrl-C) or --timeout reached during apply; run again to converge";

/// Keep Amazon IVS Real-Time stages, IAM policies, CloudWatch alarms and AWS Budgets
/// exactly as declarative YAML stack files say.
#[derive(Parser)]
#[command(name = "ivstack", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check stack files without touching AWS (exit 0 when all are valid).
    Validate(crate::cli::validate::ValidateArgs),
    /// Print the JSON Schema of stack files (for editors).
    Schema(crate::cli::schema::SchemaArgs),
    /// Show what apply would change.
    Plan(PlanArgs),
    /// Make the live account match the stack files (or apply a saved plan exactly).
    Apply(ApplyArgs),
    /// Delete everything the stacks own, except protected resources.
    Destroy(ApplyArgs),
    /// The local AWS endpoint (IVS Real-Time, IAM, STS, CloudWatch, Budgets).
    #[command(subcommand)]
    Local(LocalCommand),
}

#[derive(Subcommand)]
enum LocalCommand {
    /// Serve the local AWS endpoint until Ctrl-C.
    Serve(crate::cli::local::ServeArgs),
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .init();
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Validate(args) => crate::cli::validate::run(args),
            Command::Schema(args) => crate::cli::schema::run(args),
            Command::Plan(args) => run::plan_cmd(&cli.global, args).await,
            Command::Apply(args) => run::apply_cmd(&cli.global, args, false).await,
            Command::Destroy(args) => run::apply_cmd(&cli.global, args, true).await,
            Command::Local(LocalCommand::Serve(args)) => {
                crate::cli::local::serve(args.clone()).await.map(|()| 0)
            }
        }
    });
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
