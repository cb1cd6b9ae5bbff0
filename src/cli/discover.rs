//! `ivstack discover`: read every resource ivstack can describe in a live account and
//! region, and print it as a stack file (or write it to `--output`).

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;

use super::interrupt::Stop;
use super::output::{self, say};
use super::session::{AwsArgs, GlobalArgs, Session};
use crate::discover::{self, Options};
use crate::stack::model::StackFile;

#[derive(Debug, Clone, Args)]
pub struct DiscoverArgs {
    /// Stack name of the file [default: `discovered-<region>`].
    #[arg(long, value_name = "NAME")]
    pub stack: Option<String>,
    /// Leave out what any ivstack stack owns (its `ivstack:stack` tag).
    #[arg(long)]
    pub only_unmanaged: bool,
    /// Write the stack file to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// With --output: replace FILE when it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
    // Last: its help heading would apply to the fields after it.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// The region: `--region`, else the standard AWS configuration (`AWS_REGION`, the
/// profile's `region`), like every AWS tool.
async fn region(global: &GlobalArgs) -> anyhow::Result<String> {
    if let Some(r) = &global.region {
        return Ok(r.clone());
    }
    // The SDK's own chain (environment, profile, instance metadata), with ivstack's HTTP
    // client: the SDK crates are built without a default one.
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(crate::aws::http_client());
    if let Some(p) = &global.profile {
        loader = loader.profile_name(p);
    }
    match loader.load().await.region() {
        Some(r) => Ok(r.to_string()),
        None => bail!(
            "no region: pass --region (e.g. --region us-west-2), set AWS_REGION, or set \
             `region` in your AWS profile"
        ),
    }
}

pub async fn run(global: &GlobalArgs, args: &DiscoverArgs, stop: &Stop) -> anyhow::Result<i32> {
    if let Some(out) = &args.output
        && out.exists()
        && !args.force
    {
        bail!(
            "{} exists; pass --force to replace it (or choose another --output)",
            out.display()
        );
    }
    let region = region(global).await?;
    let stack = args
        .stack
        .clone()
        .unwrap_or_else(|| discover::default_stack(&region));
    let target = StackFile {
        stack: stack.clone(),
        region: region.clone(),
        ..StackFile::default()
    };
    let session = Session::open(global, &target, stop).await?;
    let found = tokio::select! {
        f = async {
            let account = session.aws.account_id().await?;
            let found = crate::kinds::discover_all(&session.aws).await?;
            anyhow::Ok((account, found))
        } => f,
        () = session.stop.stopped() => {
            Err(session.stop.interrupted("reading the live account", false).into())
        }
    };
    if global.verbose > 0 {
        say!("{}", session.traffic_line());
    }
    session.close().await?;
    let (account, found) = found?;
    let out = discover::write(
        &found,
        &Options {
            stack,
            region,
            account: Some(account),
            only_unmanaged: args.only_unmanaged,
        },
    );
    for w in &out.warnings {
        say!("warning: {w}");
    }
    // The file must validate as it is; if it does not, that is ivstack's bug: say so.
    let valid = crate::stack::load_str("discovered", &out.text);
    match &args.output {
        Some(path) => {
            std::fs::write(path, &out.text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            say!("Wrote {}.", path.display());
        }
        None => output::print(&out.text)?,
    }
    if let Err(d) = valid {
        bail!(
            "the discovered stack file does not validate (an ivstack bug; please report it):\n{}",
            d.render(false).trim_end()
        );
    }
    Ok(0)
}
