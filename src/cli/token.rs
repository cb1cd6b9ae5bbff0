//! `ivstack token STACK_FILE STAGE_ID`: mint participant tokens for the stage a stack owns
//! under a logical id, through CreateParticipantToken or signed locally with the private
//! key of an imported public key (`--sign-with KEY.pem --key <public_keys id>`).
//!
//! Tokens go to standard output only, one per line (or one JSON object per line), in the
//! order asked; everything else (warnings, progress, the bulk summary, errors) goes to
//! standard error, which never shows a token.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};

use super::interrupt::Stop;
use super::output::{self, say};
use super::redact::redact;
use super::session::{AwsArgs, GlobalArgs, Session};
use crate::stack::model::StackFile;
use crate::token::jwt::{self, StageTarget, TokenSigner};
use crate::token::mint::{self, Minted};
use crate::token::request::{
    Capability, DEFAULT_DURATION_MINUTES, MAX_DURATION_MINUTES, TokenRequest, default_capabilities,
    parse_attributes, parse_capabilities, publisher_warning,
};
use crate::token::{target, users};

/// Largest private key file read.
const MAX_KEY_FILE_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenOutput {
    /// The token alone, one per line.
    Text,
    /// One JSON object per line: participant id, user id, capabilities, attributes,
    /// expiry and the token.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The stack file that declares the stage.
    pub stack_file: PathBuf,
    /// The stage's logical id (its key under `stages:`).
    pub stage_id: String,
    /// User id carried by the token (at most 128 characters).
    #[arg(long, value_name = "ID", conflicts_with = "users")]
    pub user_id: Option<String>,
    /// PUBLISH, SUBSCRIBE or both, comma-separated.
    #[arg(long, value_name = "LIST", default_value = "PUBLISH,SUBSCRIBE", value_parser = parse_capabilities)]
    pub capabilities: BTreeSet<Capability>,
    /// Token lifetime in minutes, 1 to 20160 (14 days).
    #[arg(
        long,
        value_name = "MINUTES",
        default_value_t = DEFAULT_DURATION_MINUTES,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_DURATION_MINUTES))
    )]
    pub duration: u32,
    /// An attribute KEY=VALUE carried by the token, visible to every participant
    /// (repeatable; 1 KB in total).
    #[arg(long = "attribute", value_name = "KEY=VALUE")]
    pub attributes: Vec<String>,
    /// Mint one token per user of FILE: one user id per line, or CSV lines
    /// `user_id,capabilities,key=value,...` (see the README).
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// Sign the tokens locally with this ECDSA P-384 private key (PEM) instead of calling
    /// CreateParticipantToken; needs --key.
    #[arg(long, value_name = "PRIVATE_KEY.pem", requires = "key")]
    pub sign_with: Option<PathBuf>,
    /// The logical id of the imported public key (under `public_keys:`) whose private half
    /// --sign-with holds.
    #[arg(long, value_name = "ID", requires = "sign_with")]
    pub key: Option<String>,
    #[arg(long, value_enum, default_value_t = TokenOutput::Text)]
    pub output: TokenOutput,
    // Last: its help heading would apply to the fields after it.
    #[command(flatten)]
    pub aws: AwsArgs,
}

impl TokenArgs {
    /// The command line's own request (the defaults of a users file).
    fn base_request(&self) -> anyhow::Result<TokenRequest> {
        let request = TokenRequest {
            user_id: self.user_id.clone(),
            capabilities: if self.capabilities.is_empty() {
                default_capabilities()
            } else {
                self.capabilities.clone()
            },
            duration_minutes: self.duration,
            attributes: parse_attributes(self.attributes.iter().map(String::as_str))
                .map_err(anyhow::Error::msg)?,
        };
        request.check().map_err(anyhow::Error::msg)?;
        Ok(request)
    }
}

/// One request and where it came from (a users file's line), for messages.
struct Asked {
    line: Option<u64>,
    request: TokenRequest,
}

impl Asked {
    fn label(&self) -> String {
        let user = self.request.user_id.as_deref().unwrap_or("(no user id)");
        match self.line {
            Some(l) => format!("line {l} (user {user})"),
            None => format!("user {user}"),
        }
    }
}

/// `ivstack token`.
pub async fn run(global: &GlobalArgs, args: &TokenArgs, stop: &Stop) -> anyhow::Result<i32> {
    let base = args.base_request()?;
    let asked: Vec<Asked> = match &args.users {
        Some(path) => users::read(path, &base)?
            .into_iter()
            .map(|u| Asked {
                line: Some(u.line),
                request: u.request,
            })
            .collect(),
        None => vec![Asked {
            line: None,
            request: base,
        }],
    };
    let file = args.stack_file.display().to_string();
    let stack = load_stack(&args.stack_file)?;
    check_declared(
        &stack,
        &file,
        "stages",
        &stack.ids(crate::kinds::Kind::Stage),
        &args.stage_id,
    )?;
    // Read and check the private key before any network call.
    let key = match (&args.sign_with, &args.key) {
        (Some(pem), Some(id)) => Some((read_private_key(pem)?, id.clone())),
        _ => None,
    };
    if let Some((_, id)) = &key {
        check_public_key_declared(&stack, &file, id)?;
    }
    let requests: Vec<TokenRequest> = asked.iter().map(|a| a.request.clone()).collect();
    if let Some(w) = publisher_warning(&requests, &args.stage_id) {
        say!("{w}");
    }

    let session = Session::open(global, &stack, stop).await?;
    let result = mint_all(&session, global, &stack, &file, args, key, &asked).await;
    if global.verbose > 0 {
        say!("{}", session.traffic_line());
    }
    session.close().await?;
    result
}

async fn mint_all(
    session: &Session,
    global: &GlobalArgs,
    stack: &StackFile,
    file: &str,
    args: &TokenArgs,
    key: Option<(p384::ecdsa::SigningKey, String)>,
    asked: &[Asked],
) -> anyhow::Result<i32> {
    let stop = &session.stop;
    let stage_arn = interruptible(
        stop,
        target::owned_stage(&session.aws, stack, file, &args.stage_id),
    )
    .await?;
    let how = match key {
        Some((private, key_id)) => {
            let (stage, imported) = interruptible(stop, async {
                tokio::try_join!(
                    target::stage_target(&session.aws, &stage_arn),
                    target::owned_public_key(&session.aws, stack, file, &key_id),
                )
            })
            .await?;
            let matches = jwt::public_key_matches(&private, &imported.material)
                .with_context(|| format!("public key `{key_id}` ({})", imported.arn))?;
            if !matches {
                bail!(
                    "refusing to sign: the private key in {} is not the key pair of public key \
                     `{key_id}` ({}): its public half differs from the imported key, so IVS \
                     would reject every token. Use the private key whose public half the stack \
                     imports",
                    args.sign_with
                        .as_deref()
                        .map(Path::display)
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    imported.arn
                );
            }
            How::Local(
                Arc::new(TokenSigner::new(private, &imported.arn)),
                Arc::new(stage),
            )
        }
        None => How::Api(stage_arn),
    };
    let started = Instant::now();
    let report = mint_in_order(session, global.max_concurrency, &how, asked, args.output).await;
    let (minted, failed) = (report.minted, report.failed.len());
    if asked.len() > 1 || failed > 0 {
        say!(
            "{minted} of {} token(s) minted for stage `{}` of stack `{}` in {:.1}s{}",
            asked.len(),
            args.stage_id,
            stack.stack,
            started.elapsed().as_secs_f64(),
            match &how {
                How::Api(_) => " (CreateParticipantToken)",
                How::Local(..) => " (signed locally)",
            }
        );
    }
    for (label, error) in &report.failed {
        say!("  failed: {label}: {}", redact(error));
    }
    if let Some(e) = report.stdout_closed {
        return Err(e);
    }
    if stop.is_stopped() && minted + failed < asked.len() {
        return Err(stop
            .interrupted(
                &format!(
                    "minting tokens ({minted} of {} minted and printed)",
                    asked.len()
                ),
                false,
            )
            .into());
    }
    if failed > 0 {
        bail!("{failed} token(s) could not be minted; the others were printed");
    }
    Ok(0)
}

/// Run a read, or stop with nothing minted.
async fn interruptible<T>(
    stop: &Stop,
    f: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::select! {
        r = f => r,
        () = stop.stopped() => Err(stop.interrupted("finding the stage", false).into()),
    }
}

enum How {
    Api(String),
    Local(Arc<TokenSigner>, Arc<StageTarget>),
}

#[derive(Default)]
struct Report {
    minted: usize,
    failed: Vec<(String, String)>,
    stdout_closed: Option<anyhow::Error>,
}

/// Mint every request, at most `--max-concurrency` CreateParticipantToken calls in flight
/// (the client-side limiter keeps them under 50 TPS), and print each token as soon as
/// every token before it is printed. A stop (Ctrl-C, --timeout) starts nothing new; what
/// is in flight finishes and is printed.
async fn mint_in_order(
    session: &Session,
    max_concurrency: usize,
    how: &How,
    asked: &[Asked],
    format: TokenOutput,
) -> Report {
    let progress = Progress::new(asked.len());
    let in_flight = match how {
        How::Api(_) => max_concurrency.max(1),
        // Signing is CPU work: one task per core is enough.
        How::Local(..) => std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    let mut tasks = tokio::task::JoinSet::new();
    let mut next = 0;
    let mut done: std::collections::BTreeMap<usize, Result<Minted, String>> = Default::default();
    let mut printed = 0;
    let mut report = Report::default();
    loop {
        while next < asked.len()
            && tasks.len() < in_flight
            && !session.stop.is_stopped()
            && report.stdout_closed.is_none()
        {
            let request = asked[next].request.clone();
            let index = next;
            match how {
                How::Api(arn) => {
                    let (aws, arn) = (session.aws.clone(), arn.clone());
                    tasks.spawn(async move {
                        let r = mint::via_api(&aws, &arn, &request).await;
                        (index, r.map_err(|e| e.to_string()))
                    });
                }
                How::Local(signer, stage) => {
                    let (signer, stage) = (signer.clone(), stage.clone());
                    tasks.spawn_blocking(move || {
                        let now = time::OffsetDateTime::now_utc().unix_timestamp();
                        (index, Ok(mint::locally(&signer, &stage, &request, now)))
                    });
                }
            }
            next += 1;
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let (index, result) = match joined {
            Ok(r) => r,
            Err(e) => {
                report.failed.push(("a minting task".into(), e.to_string()));
                continue;
            }
        };
        done.insert(index, result);
        // Print in order: everything contiguous from the last printed one.
        while let Some(result) = done.remove(&printed) {
            progress.inc();
            match result {
                Ok(m) => {
                    report.minted += 1;
                    if report.stdout_closed.is_none()
                        && let Err(e) = output::print(&render(&m, format))
                    {
                        report.stdout_closed = Some(e);
                    }
                }
                Err(e) => report.failed.push((asked[printed].label(), e)),
            }
            printed += 1;
        }
    }
    progress.finish();
    report
}

fn render(m: &Minted, format: TokenOutput) -> String {
    match format {
        TokenOutput::Text => format!("{}\n", m.token),
        TokenOutput::Json => format!("{}\n", m.to_json()),
    }
}

/// A bar on a terminal for bulk runs; nothing otherwise.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(total: usize) -> Progress {
        use std::io::IsTerminal;
        if total < 2 || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template("minting [{bar:30}] {pos}/{len} {per_sec}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Progress(Some(bar))
    }

    fn inc(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

fn load_stack(path: &Path) -> anyhow::Result<StackFile> {
    match crate::stack::load_file(path) {
        Ok(loaded) => {
            if !loaded.warnings.is_empty() {
                output::stderr_text(&loaded.warnings.render(false));
            }
            Ok(loaded.model)
        }
        Err(diags) => {
            output::stderr_text(&diags.render(crate::stack::diagnostics::color_for_stderr()));
            bail!("invalid stack file {}: no token was minted", path.display())
        }
    }
}

/// An error unless `id` is declared in `section` (with the closest declared id).
fn check_declared(
    stack: &StackFile,
    file: &str,
    section: &str,
    ids: &[&str],
    id: &str,
) -> anyhow::Result<()> {
    if ids.contains(&id) {
        return Ok(());
    }
    let closest = ids
        .iter()
        .map(|c| (strsim::levenshtein(c, id), *c))
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, c)| format!("; did you mean `{c}`?"))
        .unwrap_or_default();
    let declared = if ids.is_empty() {
        format!("it declares no {section}")
    } else {
        format!("it declares {}", ids.join(", "))
    };
    bail!(
        "{file} (stack `{}`) has no `{section}.{id}`{closest} ({declared})",
        stack.stack
    )
}

fn check_public_key_declared(stack: &StackFile, file: &str, id: &str) -> anyhow::Result<()> {
    let kind = crate::kinds::Kind::PublicKey;
    check_declared(stack, file, kind.section(), &stack.ids(kind), id)
}

/// Read and parse the private key; errors name the file and never show the key.
fn read_private_key(path: &Path) -> anyhow::Result<p384::ecdsa::SigningKey> {
    use crate::stack::load::{Bounded, read_bounded};
    let bytes = match read_bounded(path, MAX_KEY_FILE_BYTES) {
        Ok(Bounded::Complete(b)) => p384::elliptic_curve::zeroize::Zeroizing::new(b),
        Ok(Bounded::TooLarge(_)) => bail!(
            "{} is larger than {} KiB: not a private key file",
            path.display(),
            MAX_KEY_FILE_BYTES >> 10
        ),
        Err(e) => bail!("cannot read the private key {}: {e}", path.display()),
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| anyhow::anyhow!("{} is not a PEM file (not text)", path.display()))?;
    jwt::load_private_key(text).map_err(|e| anyhow::anyhow!("{} {e}", path.display()))
}
