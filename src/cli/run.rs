//! `ivstack plan`, `apply`, `destroy` and `import`: load the stack files, observe, plan,
//! show, and (for apply/destroy/import) confirm and execute. `apply` never adopts a live
//! resource it did not create: a plan with `import` actions is refused there, and only
//! `import` executes them. Also the saved-plan file and its staleness
//! check, and the exit codes of these commands.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use super::interrupt::Stop;
use super::lock::{LockArgs, StackLock, settle};
use super::output::{self, say};
use super::redact::redact;
use super::session::{AwsArgs, GlobalArgs, Session};
use crate::apply::{self, ApplyOptions, Progress, Status};
use crate::graph;
use crate::observe::Purpose;
use crate::plan::import::MapArg;
use crate::plan::{Plan, render};
use crate::stack::Diagnostics;
use crate::stack::model::StackFile;

/// Exit code: changes are pending (`plan --detailed-exitcode`).
pub const EXIT_CHANGES: i32 = 2;
/// Exit code: stopped by Ctrl-C or `--timeout`.
pub use super::interrupt::EXIT_INTERRUPTED;

/// Test hook: when set, apply pauses once its last operation has finished and waits for
/// the run to be stopped (Ctrl-C), so that a test can deliver the signal at exactly that
/// point. Printed marker: `ivstack-test: apply finished`. Not for users.
pub const TEST_PAUSE_AFTER_APPLY: &str = "IVSTACK_TEST_PAUSE_AFTER_APPLY";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Stack files or directories (all *.yaml / *.yml within). Default: ./stacks
    pub paths: Vec<PathBuf>,
    /// Save the plan to FILE, for `ivstack apply FILE` (one stack only).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes, 0 when there are none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    // Last: its help heading would apply to the fields after it.
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// Stack files or directories, or one saved plan file from `plan --out`.
    pub paths: Vec<PathBuf>,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    // Last: its help heading would apply to the fields after it.
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The stack file whose resources adopt existing ones (e.g. from `ivstack discover`),
    /// or a saved plan from `plan --out` with `import` actions.
    pub path: PathBuf,
    /// Adopt exactly this live resource for a resource of the file:
    /// `<section>.<id>=<ARN or name>`, e.g. `--map stages.main=arn:aws:ivs:...`
    /// (repeatable). Without it, each resource the stack does not own yet adopts the one
    /// live resource of its kind and name that no stack owns.
    #[arg(long = "map", value_name = "SECTION.ID=ARN")]
    pub maps: Vec<MapArg>,
    /// Import without asking (required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    // Last: its help heading would apply to the fields after it.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// What `plan --out` writes and `apply FILE` reads.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    /// Marks the file as a saved plan.
    pub ivstack_saved_plan: u32,
    pub ivstack_version: String,
    pub stack_file: PathBuf,
    /// SHA-256 of the stack file's bytes when the plan was made.
    pub stack_digest: String,
    pub plan: Plan,
}

const SAVED_PLAN_VERSION: u32 = 1;

struct Loaded {
    path: PathBuf,
    model: StackFile,
    digest: String,
}

pub(crate) fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// Load and validate every stack; any invalid file stops the command before any network
/// call, with every finding shown. `preloaded` is a file already read (by `apply`, to see
/// whether it is a saved plan): a FIFO or `/dev/stdin` cannot be read twice.
fn load_all(
    paths: &[PathBuf],
    color: bool,
    preloaded: Option<(PathBuf, Vec<u8>)>,
) -> anyhow::Result<Vec<Loaded>> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("stacks")]
    } else {
        paths.to_vec()
    };
    let files = super::validate::stack_files(&paths)?;
    if files.is_empty() {
        bail!(
            "no stack files (*.yaml, *.yml) found in {}",
            show_paths(&paths)
        );
    }
    let mut out = Vec::new();
    let mut failed = false;
    for f in files {
        let bytes = match &preloaded {
            Some((p, bytes)) if *p == f => Ok(bytes.clone()),
            _ => crate::stack::load::read_file(&f),
        };
        // The digest is of exactly the bytes validated: what `apply PLAN` compares.
        let loaded = bytes.and_then(|b| {
            let model = load_bytes(&f, &b, color)?;
            Ok((model, digest(&b)))
        });
        match loaded {
            Ok((model, digest)) => out.push(Loaded {
                digest,
                model,
                path: f,
            }),
            Err(diags) => {
                output::stderr_text(&diags.render(color));
                failed = true;
            }
        }
    }
    if failed {
        bail!("invalid stack file(s): nothing was planned");
    }
    let mut names: Vec<&str> = out.iter().map(|l| l.model.stack.as_str()).collect();
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        bail!(
            "two stack files declare the same stack `{}`; each stack must live in one file",
            w[0]
        );
    }
    Ok(out)
}

fn show_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn make_plan(
    session: &Session,
    stack: &StackFile,
    destroy: bool,
    purpose: Purpose<'_>,
) -> anyhow::Result<Plan> {
    tokio::select! {
        p = crate::observe::plan_for(&session.aws, stack, destroy, purpose) => p,
        () = session.stop.stopped() => {
            Err(session.stop.interrupted("reading the live account", false).into())
        }
    }
}

/// With `--local`, the buckets the stack's storage configurations name are created in the
/// embedded endpoint first (see `local_buckets`); against AWS, nothing happens here.
async fn local_buckets(session: &Session, stack: &StackFile) -> anyhow::Result<()> {
    if session.local_endpoint().is_some() {
        super::local_buckets::ensure(&session.aws, stack).await?;
    }
    Ok(())
}

/// Render a plan for standard output.
fn render_plan(
    plan: &Plan,
    stack: &StackFile,
    format: OutputFormat,
    color: bool,
    session: &Session,
) -> anyhow::Result<String> {
    Ok(match format {
        OutputFormat::Text => render::text(plan, color),
        OutputFormat::Markdown => {
            // The diagram of what changes, as `ivstack graph --plan` draws it.
            let g = graph::fold::fold(graph::Graph::of_stacks(&[stack]).with_plan(plan));
            let diagram = graph::mermaid::render(&g);
            format!("{}\n", render::markdown_with_diagram(plan, Some(&diagram)))
        }
        OutputFormat::Json => {
            let mut v = render::json(plan);
            if let Some(obj) = v.as_object_mut() {
                let t = session.aws.stats.totals();
                obj.insert(
                    "api_calls".into(),
                    serde_json::json!({
                        "requests": t.attempts,
                        "throttled": t.throttled,
                        "transient_failures": t.failed_transient,
                        "by_operation": session.aws.stats.snapshot(),
                    }),
                );
            }
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
    })
}

/// `ivstack plan`. Read-only: a closed standard output ends it quietly with exit 0 (a
/// plan given `--out` is still saved).
pub async fn plan_cmd(global: &GlobalArgs, args: &PlanArgs, stop: &Stop) -> anyhow::Result<i32> {
    let color = global.color();
    let stacks = load_all(&args.paths, color, None)?;
    if args.out.is_some() && stacks.len() != 1 {
        bail!(
            "--out saves the plan of one stack; {} stack files were given",
            stacks.len()
        );
    }
    let mut any_changes = false;
    for s in &stacks {
        let session = Session::open(global, &s.model, stop).await?;
        let result = make_plan(&session, &s.model, false, Purpose::Converge).await;
        let plan = match result {
            Ok(p) => p,
            Err(e) => {
                session.close().await?;
                return Err(e);
            }
        };
        any_changes |= plan.has_changes();
        let shown = render_plan(&plan, &s.model, args.output, color, &session)
            .and_then(|text| output::print(&text));
        let stdout_closed = match shown {
            Ok(()) => false,
            Err(e) if e.is::<output::StdoutClosed>() => true,
            Err(e) => {
                session.close().await?;
                return Err(e);
            }
        };
        if global.verbose > 0 {
            say!("{}", session.traffic_line());
        }
        if let Some(out) = &args.out {
            let saved = SavedPlan {
                ivstack_saved_plan: SAVED_PLAN_VERSION,
                ivstack_version: env!("CARGO_PKG_VERSION").to_string(),
                stack_file: s.path.clone(),
                stack_digest: s.digest.clone(),
                plan: plan.clone(),
            };
            write_atomic(out, &serde_json::to_vec_pretty(&saved)?)?;
            if !stdout_closed {
                say!(
                    "Saved the plan to {}. Apply exactly it with: ivstack apply {}",
                    out.display(),
                    out.display()
                );
            }
        }
        session.close().await?;
        if stdout_closed {
            return Err(output::StdoutClosed.into());
        }
    }
    Ok(if args.detailed_exitcode && any_changes {
        EXIT_CHANGES
    } else {
        0
    })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The largest saved plan read (a plan of a large stack is larger than its file).
const MAX_SAVED_PLAN_BYTES: usize = 256 * 1024 * 1024;

/// Read the one file given to `apply`, bounded whatever it is: a saved plan may be larger
/// than a stack file, but only a regular file gets the larger bound (it says its size;
/// a FIFO or a device could be endless). `None` when it cannot be read: the stack-file
/// loader then says why.
pub(crate) fn read_given(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    use crate::stack::load::{Bounded, read_bounded};
    use crate::stack::yaml::MAX_FILE_BYTES;
    let bounded = match read_bounded(path, MAX_FILE_BYTES) {
        Ok(Bounded::TooLarge(Some(_))) => read_bounded(path, MAX_SAVED_PLAN_BYTES),
        other => other,
    };
    match bounded {
        Ok(Bounded::Complete(bytes)) => Ok(Some(bytes)),
        Ok(Bounded::TooLarge(Some(_))) => bail!(
            "{} is larger than {} MiB, too large for a saved plan",
            path.display(),
            MAX_SAVED_PLAN_BYTES >> 20
        ),
        Ok(Bounded::TooLarge(None)) => {
            bail!(
                "{}",
                crate::stack::load::too_big(&path.display().to_string(), None).message
            )
        }
        Err(_) => Ok(None),
    }
}

/// The saved plan in `bytes`, or None when they are not one (then they are a stack file).
pub(crate) fn parse_saved(path: &Path, bytes: &[u8]) -> anyhow::Result<Option<SavedPlan>> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(None);
    };
    if value.get("ivstack_saved_plan").is_none() {
        return Ok(None);
    }
    let saved: SavedPlan = serde_json::from_value(value).with_context(|| {
        format!(
            "{} looks like a saved plan but cannot be read",
            path.display()
        )
    })?;
    if saved.ivstack_saved_plan != SAVED_PLAN_VERSION {
        bail!(
            "{} is a saved plan of format {}, this ivstack reads format {SAVED_PLAN_VERSION}; make a new plan",
            path.display(),
            saved.ivstack_saved_plan
        );
    }
    Ok(Some(saved))
}

/// `ivstack apply` (stack files, or a saved plan) and `ivstack destroy`.
pub async fn apply_cmd(
    global: &GlobalArgs,
    args: &ApplyArgs,
    destroy: bool,
    stop: &Stop,
) -> anyhow::Result<i32> {
    apply_for(global, args, destroy, Purpose::Converge, stop).await
}

/// `ivstack import`: exactly `apply`, except that the plan adopts (`import` actions) and
/// a refused match refuses the whole import before anything is written.
pub async fn import_cmd(
    global: &GlobalArgs,
    args: &ImportArgs,
    stop: &Stop,
) -> anyhow::Result<i32> {
    let apply = ApplyArgs {
        paths: vec![args.path.clone()],
        auto_approve: args.auto_approve,
        lock: args.lock.clone(),
        aws: args.aws.clone(),
    };
    apply_for(global, &apply, false, Purpose::Import(&args.maps), stop).await
}

async fn apply_for(
    global: &GlobalArgs,
    args: &ApplyArgs,
    destroy: bool,
    purpose: Purpose<'_>,
    stop: &Stop,
) -> anyhow::Result<i32> {
    let color = global.color();
    let importing = matches!(purpose, Purpose::Import(_));
    let mut preloaded = None;
    if !destroy
        && let [path] = args.paths.as_slice()
        && !path.is_dir()
        && let Some(bytes) = read_given(path)?
    {
        if let Some(saved) = parse_saved(path, &bytes)? {
            return apply_saved(global, path, saved, &args.lock, importing, stop).await;
        }
        preloaded = Some((path.clone(), bytes));
    }
    let stacks = load_all(&args.paths, color, preloaded)?;
    let operation = match (destroy, importing) {
        (true, _) => "destroy",
        (false, true) => "import",
        (false, false) => "apply",
    };
    let mut code = 0;
    for s in &stacks {
        let session = Session::open_waiting(global, &s.model, stop, args.lock.timeout()).await?;
        // The lock is taken before the live account is read, and released whatever happens.
        let lock = match StackLock::acquire(&session, &args.lock, &s.model, operation, stop).await {
            Ok(lock) => lock,
            Err(e) => {
                session.close().await?;
                return Err(e);
            }
        };
        let outcome = apply_stack(global, args, destroy, purpose, &session, &s.model).await;
        let outcome = settle(outcome, lock.release().await);
        session.close().await?;
        code = code.max(outcome?);
        if code != 0 {
            break;
        }
    }
    Ok(code)
}

/// Plan, show, confirm and execute one stack: its exit code.
async fn apply_stack(
    global: &GlobalArgs,
    args: &ApplyArgs,
    destroy: bool,
    purpose: Purpose<'_>,
    session: &Session,
    stack: &StackFile,
) -> anyhow::Result<i32> {
    if !destroy {
        local_buckets(session, stack).await?;
    }
    let plan = make_plan(session, stack, destroy, purpose).await?;
    // Shown if anyone reads it; a closed stdout does not stop the apply.
    output::print_best_effort(&render::text(&plan, global.color()));
    if !matches!(purpose, Purpose::Import(_)) {
        refuse_imports(&plan)?;
    }
    if !plan.has_changes() {
        return Ok(0);
    }
    if !confirm(&plan, args.auto_approve, destroy, &session.stop).await? {
        say!("Apply cancelled; nothing was changed.");
        return Ok(1);
    }
    Ok(execute(global, session, &plan).await)
}

/// Ask for `yes` on the terminal. Ctrl-C (or the deadline) while waiting ends the command
/// with nothing changed.
async fn confirm(
    plan: &Plan,
    auto_approve: bool,
    destroy: bool,
    stop: &Stop,
) -> anyhow::Result<bool> {
    use std::io::IsTerminal;
    if auto_approve {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to {} without confirmation: stdin is not a terminal. Review the plan above \
             and pass --auto-approve (or save it with `plan --out` and apply that file)",
            if destroy { "destroy" } else { "apply" }
        );
    }
    output::stderr_text(&format!(
        "\n{} stack `{}` ({})? Only 'yes' is accepted: ",
        if destroy {
            "Destroy"
        } else {
            "Apply these changes to"
        },
        plan.stack,
        plan.summary().line()
    ));
    // Reading the terminal blocks a thread; it is left behind if the run stops first.
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    });
    tokio::select! {
        line = answer => Ok(line.context("cannot read the answer")??.trim() == "yes"),
        () = stop.stopped() => Err(stop.interrupted("waiting for confirmation", false).into()),
    }
}

async fn execute(global: &GlobalArgs, session: &Session, plan: &Plan) -> i32 {
    // Only `import` executes imports.
    let word = if plan
        .changes
        .iter()
        .any(|c| c.action == crate::plan::Action::Import)
    {
        "Import"
    } else {
        "Apply"
    };
    let opts = ApplyOptions {
        max_concurrency: global.max_concurrency,
        cancel: session.cancel.clone(),
        progress: Progress::auto(),
    };
    let report = apply::apply(&session.aws, plan, &opts).await;
    if std::env::var_os(TEST_PAUSE_AFTER_APPLY).is_some() {
        say!("ivstack-test: apply finished; waiting for an interrupt");
        session.stop.stopped().await;
    }
    let counts = apply::summary(&report);
    let (done, failed, skipped) = (counts["done"], counts["failed"], counts["not_attempted"]);
    let all_done = report.operations.iter().all(|o| o.status == Status::Done);
    // Stopped only if the stop left something undone: a Ctrl-C after the last operation
    // finished (even before this report) changes nothing, and the apply succeeded.
    let stopped = (report.interrupted || session.stop.is_stopped()) && !all_done;
    if all_done {
        say!(
            "{word} complete: {done} change(s) made. {}",
            plan.summary().line()
        );
    } else {
        let how = match (stopped, session.stop.reason()) {
            (true, Some(super::interrupt::Reason::Deadline(secs))) => {
                format!("stopped at the --timeout of {secs}s")
            }
            (true, _) => "interrupted".to_string(),
            (false, _) => "incomplete".to_string(),
        };
        say!("{word} {how}: {done} done, {failed} failed, {skipped} not attempted.");
        for op in &report.operations {
            match &op.status {
                Status::Failed(e) => say!("  failed: {}.{}: {}", op.kind, op.id, redact(e)),
                Status::NotAttempted(why) => {
                    say!("  not attempted: {}.{}: {why}", op.kind, op.id)
                }
                Status::Done => {}
            }
        }
        say!("Nothing was rolled back. Run the same command again to converge.");
    }
    if global.verbose > 0 {
        say!("{}", session.traffic_line());
    }
    if stopped {
        EXIT_INTERRUPTED
    } else if all_done {
        0
    } else {
        1
    }
}

/// Apply a saved plan exactly, refusing when the stack file or anything observed changed.
async fn apply_saved(
    global: &GlobalArgs,
    file: &Path,
    saved: SavedPlan,
    lock: &LockArgs,
    importing: bool,
    stop: &Stop,
) -> anyhow::Result<i32> {
    if !importing {
        refuse_imports(&saved.plan)?;
    }
    let bytes = crate::stack::load::read_file(&saved.stack_file).map_err(|diags| {
        anyhow::anyhow!(
            "the plan in {} was made from {}, which cannot be read now: {}",
            file.display(),
            saved.stack_file.display(),
            diags.render(false).trim_end()
        )
    })?;
    if digest(&bytes) != saved.stack_digest {
        bail!(
            "stale plan: {} changed since the plan in {} was made; make a new plan",
            saved.stack_file.display(),
            file.display()
        );
    }
    let model = load_bytes(&saved.stack_file, &bytes, false)
        .map_err(|d| anyhow::anyhow!("{}", d.render(false).trim_end()))?;
    let session = Session::open_waiting(global, &model, stop, lock.timeout()).await?;
    let operation = if saved.plan.destroy {
        "destroy (saved plan)"
    } else {
        "apply (saved plan)"
    };
    let held = match StackLock::acquire(&session, lock, &model, operation, stop).await {
        Ok(held) => held,
        Err(e) => {
            session.close().await?;
            return Err(e);
        }
    };
    let outcome = apply_saved_locked(global, file, &saved, &session, &model).await;
    let outcome = settle(outcome, held.release().await);
    session.close().await?;
    outcome
}

/// Re-observe, refuse a stale plan, apply it exactly: the exit code.
async fn apply_saved_locked(
    global: &GlobalArgs,
    file: &Path,
    saved: &SavedPlan,
    session: &Session,
    model: &StackFile,
) -> anyhow::Result<i32> {
    if !saved.plan.destroy {
        local_buckets(session, model).await?;
    }
    // Made as `plan --out` made it: an import's candidate is fingerprinted the same way.
    let current = make_plan(session, model, saved.plan.destroy, Purpose::Converge).await?;
    if current.observed != saved.plan.observed {
        let changed: Vec<String> = saved
            .plan
            .observed
            .iter()
            .filter(|o| !current.observed.contains(o))
            .chain(
                current
                    .observed
                    .iter()
                    .filter(|o| !saved.plan.observed.contains(o)),
            )
            .map(|o| format!("{}.{}", o.kind, o.id))
            .collect();
        bail!(
            "stale plan: the live account changed since the plan in {} was made ({}); make a new plan",
            file.display(),
            changed.join(", ")
        );
    }
    output::print_best_effort(&render::text(&saved.plan, global.color()));
    Ok(if saved.plan.has_changes() {
        execute(global, session, &saved.plan).await
    } else {
        0
    })
}

/// `apply` never adopts: a plan with `import` actions is refused before anything is
/// written, saying how to adopt (or not).
pub(crate) fn refuse_imports(plan: &Plan) -> anyhow::Result<()> {
    let imports: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action == crate::plan::Action::Import)
        .map(|c| {
            format!(
                "{}.{} ({})",
                c.kind.section(),
                c.id,
                c.physical_id.as_deref().unwrap_or_default()
            )
        })
        .collect();
    if imports.is_empty() {
        return Ok(());
    }
    bail!(
        "nothing was changed: stack `{}` declares resources that already exist without an \
         owner: {}. apply never adopts a resource it did not create. Run `ivstack import` \
         with this stack file (or this saved plan) to adopt them (their ARNs stay), or give \
         them other names in the file to create new ones",
        plan.stack,
        imports.join(", ")
    )
}

/// Load and validate one stack file from its bytes: the model, or the findings (warnings
/// of a file that loads are shown).
fn load_bytes(path: &Path, bytes: &[u8], color: bool) -> Result<StackFile, Diagnostics> {
    let loaded = crate::stack::load_bytes(&path.display().to_string(), bytes)?;
    if !loaded.warnings.is_empty() {
        output::stderr_text(&loaded.warnings.render(color));
    }
    Ok(loaded.model)
}
