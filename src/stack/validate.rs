//! Semantic validation: the rules that a schema cannot express — references between
//! resources, AWS limits that depend on several fields (tags counted with ivstack's own
//! ownership tags, rendered IAM policy size, alarm period arithmetic), physical-name
//! collisions, and ARN and e-mail syntax. Every rule reports at the exact field, and all
//! findings come back together.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::LazyLock;

use regex_lite::Regex;

use super::check::{SpanMap, did_you_mean, field_path};
use super::diagnostics::{Diagnostic, Span};
use super::load::DeclaredIds;
use super::model::{Alarm, Budget, Metric, Policy, StackFile, Stage, StringOrList, ThumbnailMode};
use crate::kinds::iam_document;

/// IAM's limit for a managed policy document, counted without whitespace.
pub const MAX_POLICY_CHARS: usize = 6_144;
/// Tags per resource (IVS, IAM, CloudWatch).
pub const MAX_TAGS: usize = 50;
/// Tags per budget (Budgets `ResourceTags`).
pub const MAX_BUDGET_TAGS: usize = 200;
/// Notifications per budget (Budgets model maximum).
pub const MAX_NOTIFICATIONS: usize = 10;
/// Notifications per budget in the CreateBudget documentation (the docs disagree).
pub const DOCUMENTED_NOTIFICATIONS: usize = 5;
/// Actions per alarm state.
pub const MAX_ALARM_ACTIONS: usize = 5;

/// Regions where IVS Real-Time is known to be offered (reference §1; list may lag AWS).
pub const IVS_REALTIME_REGIONS: &[&str] = &[
    "us-east-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "eu-central-1",
    "eu-west-1",
];

/// What validation needs besides the model.
pub struct Context<'a> {
    pub file: &'a str,
    pub spans: &'a SpanMap,
    /// Logical ids present in the file per section, even those whose resource has errors.
    pub declared: &'a DeclaredIds,
}

static SNS_TOPIC_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:aws(-[a-z]+)*:sns:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
        .unwrap_or_else(|_| unreachable!("constant regex"))
});
static ANY_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:(aws[a-z-]*|\*):([a-z0-9*?-]+):([a-z0-9*?-]*):([0-9*?]*):(.+)$")
        .unwrap_or_else(|_| unreachable!("constant regex"))
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$").unwrap_or_else(|_| unreachable!("constant regex"))
});
/// IAM's tag character set, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`: letters, separators (spaces)
/// and numbers of any script, plus `_ . : / = + - @`.
fn is_iam_tag_text(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_alphabetic() || c.is_numeric() || is_unicode_separator(c) || "_.:/=+-@".contains(c)
    })
}

/// Unicode general category Z (space, line and paragraph separators).
fn is_unicode_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{00A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

struct V<'a> {
    ctx: &'a Context<'a>,
    out: Vec<Diagnostic>,
    /// The declared stage ids, hashed: every policy statement and alarm looks them up.
    stage_ids: HashSet<&'a str>,
}

impl<'a> V<'a> {
    fn key(&self, path: &str) -> Option<Span> {
        self.ctx.spans.key_span(path)
    }

    fn value(&self, path: &str) -> Option<Span> {
        self.ctx.spans.value_span(path)
    }

    /// An error at a field's value (or its nearest ancestor's key when absent).
    fn error(&mut self, code: &'static str, path: &str, message: String) -> &mut Diagnostic {
        let span = match self.ctx.spans.get(path) {
            Some(s) => Some(s.value),
            None => self.key(path),
        };
        self.out.push(
            Diagnostic::error(code, self.ctx.file, message)
                .at(span)
                .path(path),
        );
        self.out
            .last_mut()
            .unwrap_or_else(|| unreachable!("just pushed"))
    }

    /// An error at a field's key (for findings about the field as a whole).
    fn error_key(&mut self, code: &'static str, path: &str, message: String) -> &mut Diagnostic {
        let span = self.key(path);
        self.out.push(
            Diagnostic::error(code, self.ctx.file, message)
                .at(span)
                .path(path),
        );
        self.out
            .last_mut()
            .unwrap_or_else(|| unreachable!("just pushed"))
    }

    fn warn(&mut self, code: &'static str, path: &str, message: String) -> &mut Diagnostic {
        let span = match self.ctx.spans.get(path) {
            Some(s) => Some(s.value),
            None => self.key(path),
        };
        self.out.push(
            Diagnostic::warning(code, self.ctx.file, message)
                .at(span)
                .path(path),
        );
        self.out
            .last_mut()
            .unwrap_or_else(|| unreachable!("just pushed"))
    }

    fn declared(&self, section: &str) -> &'a BTreeSet<String> {
        static EMPTY: BTreeSet<String> = BTreeSet::new();
        self.ctx.declared.get(section).unwrap_or(&EMPTY)
    }

    fn stage_declared(&self, id: &str) -> bool {
        self.stage_ids.contains(id)
    }
}

trait Finish {
    fn set_label(&mut self, l: impl Into<String>) -> &mut Self;
    fn set_help(&mut self, h: impl Into<String>) -> &mut Self;
}

impl Finish for Diagnostic {
    fn set_label(&mut self, l: impl Into<String>) -> &mut Self {
        self.label = Some(l.into());
        self
    }
    fn set_help(&mut self, h: impl Into<String>) -> &mut Self {
        self.help = Some(h.into());
        self
    }
}

/// Validate a (possibly partial) model. Structural problems are the checker's job; this
/// reports the rest.
pub fn validate(stack: &StackFile, ctx: &Context<'_>) -> Vec<Diagnostic> {
    let mut v = V {
        ctx,
        out: Vec::new(),
        stage_ids: HashSet::new(),
    };
    v.stage_ids = v.declared("stages").iter().map(String::as_str).collect();
    stack_level(&mut v, stack);
    for (id, stage) in &stack.stages {
        stage_rules(&mut v, stack, id, stage);
    }
    for (id, policy) in &stack.policies {
        policy_rules(&mut v, stack, id, policy);
    }
    for (id, alarm) in &stack.alarms {
        alarm_rules(&mut v, stack, id, alarm);
    }
    for (id, budget) in &stack.budgets {
        budget_rules(&mut v, stack, id, budget);
    }
    physical_names(&mut v, stack);
    v.out
}

fn stack_level(v: &mut V<'_>, stack: &StackFile) {
    if !stack.region.is_empty() && !IVS_REALTIME_REGIONS.contains(&stack.region.as_str()) {
        let near = did_you_mean(&stack.region, IVS_REALTIME_REGIONS.iter().copied());
        let d = v.warn(
            "region",
            "region",
            format!(
                "IVS Real-Time is not known to be available in `{}`",
                stack.region
            ),
        );
        match near {
            Some(n) => d.set_label(format!("did you mean `{n}`?")),
            None => d.set_label("not a known IVS Real-Time region"),
        };
        d.set_help(format!(
            "known regions: {}",
            IVS_REALTIME_REGIONS.join(", ")
        ));
    }
    for (k, val) in &stack.tags {
        tag_rules(v, &|| field_path(&["tags"]), k, val, true);
    }
}

/// Key/value rules for one tag. `iam_charset`: the tag also goes on IAM policies, whose tags
/// allow only letters, digits, spaces and `_.:/=+-@`. `tags_path` is called only for a
/// finding.
fn tag_rules(
    v: &mut V<'_>,
    tags_path: &dyn Fn() -> String,
    key: &str,
    value: &str,
    iam_charset: bool,
) {
    let path = || {
        let mut path = tags_path();
        super::check::push_key(&mut path, key);
        path
    };
    let klen = key.chars().count();
    if klen == 0 || klen > 128 {
        v.error_key(
            "tag",
            &path(),
            format!("tag key `{key}` is {klen} characters; tag keys are 1 to 128 characters"),
        );
    }
    let vlen = value.chars().count();
    if vlen > 256 {
        v.error(
            "tag",
            &path(),
            format!("the value of tag `{key}` is {vlen} characters; at most 256 are allowed"),
        );
    }
    // ASCII-case-insensitive prefixes, without a lowercase copy of every key.
    let has_prefix = |prefix: &str| {
        key.as_bytes()
            .get(..prefix.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(prefix.as_bytes()))
    };
    if has_prefix("aws:") {
        v.error_key(
            "reserved-tag",
            &path(),
            format!("tag key `{key}` uses the reserved prefix `aws:`"),
        )
        .set_label("reserved by AWS")
        .set_help("AWS does not let anyone create tags starting with `aws:`");
    } else if has_prefix("ivstack:") {
        v.error_key(
            "reserved-tag",
            &path(),
            format!("tag key `{key}` uses the reserved prefix `ivstack:`"),
        )
        .set_label("reserved for ivstack's ownership tags")
        .set_help("ivstack sets `ivstack:stack`, `ivstack:id` and `ivstack:protect` itself; use `protect: true` to protect a resource");
    }
    if iam_charset && (!is_iam_tag_text(key) || !is_iam_tag_text(value)) {
        v.error_key(
            "tag",
            &path(),
            format!("tag `{key}` has characters IAM does not accept in tags"),
        )
        .set_help("stack-wide tags and policy tags also go on IAM policies: use letters, digits, spaces and `_ . : / = + - @`");
    }
}

/// Count the tags a resource will carry: stack tags merged with its own, plus ivstack's
/// ownership tags.
fn tag_count(
    v: &mut V<'_>,
    stack: &StackFile,
    section: &str,
    id: &str,
    own: &BTreeMap<String, String>,
    protect: bool,
    max: usize,
) {
    // Distinct keys of both maps, counted without building a set.
    let merged = stack.tags.len() + own.keys().filter(|k| !stack.tags.contains_key(*k)).count();
    let ownership = if protect { 3 } else { 2 };
    let total = merged + ownership;
    if total > max {
        let path = field_path(&[section, id, "tags"]);
        let kind = super::check::kind_of_section(section).unwrap_or("resource");
        v.error_key(
            "tag-count",
            &path,
            format!("{kind} `{id}` would carry {total} tags; AWS allows at most {max}"),
        )
        .set_label(format!(
            "{} from the stack, {} here, {ownership} ownership tags",
            stack.tags.len(),
            own.len()
        ))
        .set_help("ivstack adds `ivstack:stack`, `ivstack:id` (and `ivstack:protect` when protected); remove some tags");
    }
}

fn default_name(stack: &StackFile, id: &str) -> String {
    format!("{}-{}", stack.stack, id)
}

/// Characters in [`default_name`], without building it.
fn default_name_chars(stack: &StackFile, id: &str) -> usize {
    stack.stack.chars().count() + 1 + id.chars().count()
}

/// A field path (see [`field_path`]) spelled out only when a finding is formatted: most
/// resources have none.
struct LazyPath<'a, const N: usize>([&'a str; N]);

impl<const N: usize> fmt::Display for LazyPath<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&field_path(&self.0))
    }
}

/// Text formatted only when it is displayed.
struct Lazy<F>(F);

impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for Lazy<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

fn lazy<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result>(f: F) -> Lazy<F> {
    Lazy(f)
}

fn stage_rules(v: &mut V<'_>, stack: &StackFile, id: &str, stage: &Stage) {
    for (k, val) in &stage.tags {
        tag_rules(v, &|| field_path(&["stages", id, "tags"]), k, val, false);
    }
    tag_count(v, stack, "stages", id, &stage.tags, stage.protect, MAX_TAGS);
    if stage.name.is_none() && !stack.stack.is_empty() && default_name_chars(stack, id) > 128 {
        let name = default_name(stack, id);
        {
            v.error_key(
                "name",
                &field_path(&["stages", id]),
                format!(
                    "the default name of stage `{id}`, `{name}`, is longer than 128 characters"
                ),
            )
            .set_help("set `name:` explicitly or use a shorter id");
        }
    }
    let Some(rec) = &stage.recording else { return };
    let base = LazyPath(["stages", id, "recording"]);
    if let Some(th) = &rec.thumbnails
        && th.interval_seconds.is_some()
        && th.mode != Some(ThumbnailMode::Interval)
    {
        v.warn(
            "thumbnails",
            &format!("{base}.thumbnails.interval_seconds"),
            format!("`interval_seconds` of stage `{id}` has no effect unless `mode: INTERVAL`"),
        )
        .set_help("add `mode: INTERVAL` under `thumbnails`");
    }
    let arn = &rec.storage_configuration_arn;
    if arn.is_empty() {
        let extra = rec.media_types.is_some()
            || rec.thumbnails.is_some()
            || rec.hls_segment_seconds.is_some()
            || rec.reconnect_window_seconds.is_some()
            || rec.record_participant_replicas.is_some();
        if extra {
            v.warn(
                "recording",
                &format!("{base}.storage_configuration_arn"),
                format!("recording of stage `{id}` is disabled, so its other settings are ignored"),
            )
            .set_help(
                "AWS resets the other recording fields when the storage configuration is \"\"",
            );
        }
    } else if let Some(c) = ANY_ARN.captures(arn) {
        let region = c.get(3).map_or("", |m| m.as_str());
        let account = c.get(4).map_or("", |m| m.as_str());
        if !stack.region.is_empty() && region != stack.region {
            v.error(
                "recording",
                &format!("{base}.storage_configuration_arn"),
                format!(
                    "the storage configuration of stage `{id}` is in `{region}`, but the stack is in `{}`",
                    stack.region
                ),
            )
            .set_label("different region")
            .set_help("a stage can only record to a storage configuration in its own region");
        }
        if let Some(acct) = &stack.account
            && account != acct
        {
            v.warn(
                "recording",
                &format!("{base}.storage_configuration_arn"),
                format!(
                    "the storage configuration of stage `{id}` belongs to account {account}, not {acct}"
                ),
            );
        }
    }
    if rec.record_participant_replicas == Some(false) {
        // aws-sdk-ivsrealtime models the member as a plain bool defaulting to false and
        // only serialises `true`, so `false` never reaches IVS: the plan would never settle.
        v.error(
            "recording",
            &format!("{base}.record_participant_replicas"),
            format!(
                "`record_participant_replicas: false` on stage `{id}` cannot be applied: the AWS SDK \
                 for Rust never sends `false` for this field"
            ),
        )
        .set_help("leave the field out (IVS records replicas by default), or set it with the AWS CLI");
    }
    if let Some(media) = &rec.media_types
        && media.is_empty()
    {
        v.warn(
            "recording",
            &format!("{base}.media_types"),
            format!("`media_types` of stage `{id}` is empty; AWS then records `AUDIO_VIDEO`"),
        );
    }
}

/// A stage ARN of realistic length for size accounting before the stage exists.
fn placeholder_stage_arn(stack: &StackFile) -> String {
    let region = if stack.region.is_empty() {
        "us-east-1"
    } else {
        &stack.region
    };
    let account = stack.account.as_deref().unwrap_or("123456789012");
    format!("arn:aws:ivs:{region}:{account}:stage/AbCdEfGhIjKl")
}

fn policy_rules(v: &mut V<'_>, stack: &StackFile, id: &str, policy: &Policy) {
    let base = LazyPath(["policies", id]);
    for (k, val) in &policy.tags {
        tag_rules(v, &|| format!("{base}.tags"), k, val, true);
    }
    tag_count(
        v,
        stack,
        "policies",
        id,
        &policy.tags,
        policy.protect,
        MAX_TAGS,
    );
    if policy.name.is_none() && !stack.stack.is_empty() && default_name_chars(stack, id) > 128 {
        let name = default_name(stack, id);
        {
            v.error_key(
                "name",
                &base.to_string(),
                format!("the default name of policy `{id}`, `{name}`, is longer than IAM's 128 characters"),
            )
            .set_help("set `name:` explicitly or use a shorter id");
        }
    }
    match (policy.statements.is_empty(), &policy.document) {
        (true, None) => {
            v.error_key(
                "policy-body",
                &base.to_string(),
                format!("policy `{id}` has neither `statements` nor `document`"),
            )
            .set_label("grants nothing")
            .set_help("add `statements:` (preferred) or a raw `document:`");
        }
        (false, Some(_)) => {
            v.error_key(
                "policy-body",
                &format!("{base}.document"),
                format!("policy `{id}` has both `statements` and `document`"),
            )
            .set_label("remove this, or `statements`")
            .set_help(
                "a policy is either least-privilege `statements` or a raw `document`, not both",
            );
        }
        _ => {}
    }
    let stages = v.declared("stages");
    let mut sids: HashMap<&str, usize> = HashMap::new();
    for (i, st) in policy.statements.iter().enumerate() {
        let sp = lazy(|f| write!(f, "{base}.statements[{i}]"));
        if st.stages.is_empty() && st.resources.is_empty() {
            v.error_key(
                "statement-resources",
                &sp.to_string(),
                format!("statement {} of policy `{id}` names no resource", i + 1),
            )
            .set_label("add `stages:` or `resources:`")
            .set_help("list stage ids from this file under `stages:` (least privilege), or ARNs under `resources:`");
        }
        for (j, s) in st.stages.iter().enumerate() {
            if !v.stage_declared(s) {
                stage_reference(v, &format!("{sp}.stages[{j}]"), s, stages);
            }
        }
        for (j, r) in st.resources.iter().enumerate() {
            if r != "*" && !ANY_ARN.is_match(r) {
                v.error(
                    "arn",
                    &format!("{sp}.resources[{j}]"),
                    format!("`{r}` is not an ARN"),
                )
                .set_label(
                    "expected `arn:<partition>:<service>:<region>:<account>:<resource>` or `*`",
                );
            }
        }
        if let Some(sid) = &st.sid {
            if let Some(first) = sids.get(sid.as_str()) {
                let first_span = v.value(&format!("{base}.statements[{first}].sid"));
                let d = v.error(
                    "duplicate-sid",
                    &format!("{sp}.sid"),
                    format!("policy `{id}` uses the statement id `{sid}` twice"),
                );
                d.set_label("used again here")
                    .set_help("IAM requires statement ids to be unique within a policy");
                if let Some(s) = first_span {
                    d.related.push((s, "first used here".into()));
                }
            } else {
                sids.insert(sid, i);
            }
        }
        for (op, keys) in &st.conditions {
            if keys.is_empty() {
                v.error(
                    "condition",
                    &format!("{sp}.conditions.{op}"),
                    format!("condition operator `{op}` in policy `{id}` has no condition keys"),
                );
            }
            for (k, vals) in keys {
                if vals.values().is_empty() {
                    let mut p = format!("{sp}.conditions");
                    super::check::push_key(&mut p, op);
                    super::check::push_key(&mut p, k);
                    v.error(
                        "condition",
                        &p,
                        format!("condition `{op}` on `{k}` in policy `{id}` has no values"),
                    );
                }
            }
        }
    }
    if let Some(doc) = &policy.document {
        let (dp, owner) = (format!("{base}.document"), format!("policy `{id}`"));
        let found = super::iam_grammar::diagnostics(doc, &dp, &owner, v.ctx.file, v.ctx.spans);
        v.out.extend(found);
    }
    // Size as IAM counts it, with real-length ARNs for stages that do not exist yet.
    // Rendering is skipped when even a generous upper bound fits.
    let arn = placeholder_stage_arn(stack);
    if size_bound(policy, &arn).is_some_and(|b| b <= MAX_POLICY_CHARS) {
        return;
    }
    let doc = iam_document::render(policy, &|_| arn.clone());
    let size = iam_document::size_without_whitespace(&doc);
    if size > MAX_POLICY_CHARS {
        v.error_key(
            "policy-size",
            &base.to_string(),
            format!("policy `{id}` renders to {size} characters; IAM allows {MAX_POLICY_CHARS} for a managed policy"),
        )
        .set_label("too large")
        .set_help("split it into several policies, or use fewer statements and wildcards in resources");
    }
}

/// An upper bound of the characters of a policy rendered from `statements` (canonical,
/// minified JSON, whitespace not counted), without rendering it: every string at its
/// longest JSON escape, generous room for the fixed syntax. Canonicalising only removes
/// duplicates. `None` for a raw `document`, which must be rendered to be measured.
fn size_bound(policy: &Policy, stage_arn: &str) -> Option<usize> {
    if policy.document.is_some() {
        return None;
    }
    // A quoted JSON string and its separator.
    fn quoted(s: &str) -> usize {
        let escaped: usize = s
            .chars()
            .map(|c| {
                if c.is_control() || c == '"' || c == '\\' {
                    6
                } else {
                    1
                }
            })
            .sum();
        escaped + 3
    }
    let arn = quoted(stage_arn);
    let mut total = 64;
    for st in &policy.statements {
        total += 96;
        total += st.sid.as_deref().map_or(0, quoted);
        total += st.allow.iter().map(|a| quoted(a)).sum::<usize>();
        total += st.stages.len() * arn;
        total += st.resources.iter().map(|r| quoted(r)).sum::<usize>();
        for (op, keys) in &st.conditions {
            total += quoted(op) + 8;
            for (k, vals) in keys {
                total += quoted(k) + 8;
                total += match vals {
                    StringOrList::One(v) => quoted(v),
                    StringOrList::Many(vs) => vs.iter().map(|v| quoted(v)).sum(),
                };
            }
        }
    }
    Some(total)
}

fn stage_reference(v: &mut V<'_>, path: &str, name: &str, stages: &BTreeSet<String>) {
    let near = did_you_mean(name, stages.iter().map(String::as_str));
    let d = v.error(
        "unknown-stage",
        path,
        format!("there is no stage `{name}` in this stack"),
    );
    match near {
        Some(n) => d.set_label(format!("did you mean `{n}`?")),
        None => d.set_label("unknown stage"),
    };
    if stages.is_empty() {
        d.set_help("this file declares no stages");
    } else {
        let list: Vec<String> = stages.iter().map(|s| format!("`{s}`")).collect();
        d.set_help(format!("stages in this file: {}", list.join(", ")));
    }
}

/// Alarms and budgets have no tag filter in their List/Describe calls, so ivstack finds a
/// stack's ones by the `<stack>-` name prefix plus the names in the file: one named outside
/// the prefix is orphaned once it leaves the file. Say so where the name is written.
fn outside_prefix(
    v: &mut V<'_>,
    stack: &StackFile,
    kind: &str,
    id: &str,
    base: &dyn fmt::Display,
    name: Option<&str>,
) {
    let Some(name) = name else { return };
    if stack.stack.is_empty() || name.starts_with(&format!("{}-", stack.stack)) {
        return;
    }
    v.warn(
        "name",
        &format!("{base}.name"),
        format!(
            "{kind} `{id}` is named outside the stack's `{}-` prefix: if it is later removed \
             from the file, ivstack will not find it to delete it",
            stack.stack
        ),
    )
    .set_help(format!("start the name with `{}-`", stack.stack));
}

fn alarm_rules(v: &mut V<'_>, stack: &StackFile, id: &str, alarm: &Alarm) {
    let base = LazyPath(["alarms", id]);
    for (k, val) in &alarm.tags {
        tag_rules(v, &|| format!("{base}.tags"), k, val, false);
    }
    tag_count(v, stack, "alarms", id, &alarm.tags, alarm.protect, MAX_TAGS);
    if alarm.name.is_none() && !stack.stack.is_empty() && default_name_chars(stack, id) > 255 {
        {
            v.error_key(
                "name",
                &base.to_string(),
                format!("the default name of alarm `{id}` is longer than 255 characters"),
            );
        }
    }
    outside_prefix(v, stack, "alarm", id, &base, alarm.name.as_deref());
    let stages = v.declared("stages");
    let metric = alarm.metric.as_str();
    match (alarm.metric.per_stage(), &alarm.stage) {
        (Some(true), None) => {
            v.error_key(
                "metric-dimension",
                &base.to_string(),
                format!("alarm `{id}` watches `{metric}`, which IVS publishes per stage only"),
            )
            .set_label("add `stage: <stage id>`")
            .set_help(format!(
                "`{metric}` has the `Stage` dimension and nothing region-wide"
            ));
        }
        (Some(false), Some(_)) => {
            v.error(
                "metric-dimension",
                &format!("{base}.stage"),
                format!("alarm `{id}` watches `{metric}`, which IVS publishes region-wide only"),
            )
            .set_label("remove `stage`")
            .set_help(format!(
                "`{metric}` has no dimensions: it counts all stages in the region"
            ));
        }
        _ => {}
    }
    if let Some(s) = &alarm.stage
        && !v.stage_declared(s)
    {
        stage_reference(v, &format!("{base}.stage"), s, stages);
    }
    let period = alarm.period_seconds.unwrap_or(60);
    if alarm.period_seconds.is_some() && !(matches!(period, 10 | 20 | 30) || period % 60 == 0) {
        v.error(
            "period",
            &format!("{base}.period_seconds"),
            format!("`period_seconds` of alarm `{id}` must be 10, 20, 30 or a multiple of 60"),
        )
        .set_label(format!("found {period}"));
    }
    if matches!(period, 10 | 20 | 30) {
        v.warn(
            "period",
            &format!("{base}.period_seconds"),
            format!("alarm `{id}` uses a high-resolution period, but IVS publishes metrics once a minute"),
        )
        .set_help("periods under 60 seconds see no data most of the time and cost more; use 60");
    }
    let evals = alarm.evaluation_periods.unwrap_or(1);
    let total = i64::from(period) * i64::from(evals);
    let limit = if period < 3600 { 86_400 } else { 604_800 };
    if total > limit {
        v.error(
            "evaluation",
            &format!("{base}.evaluation_periods"),
            format!(
                "alarm `{id}` evaluates {total} seconds ({period} s x {evals}); CloudWatch allows at most {limit}"
            ),
        )
        .set_help("period x evaluation periods is limited to 1 day for periods under an hour, 7 days otherwise");
    }
    if let Some(dp) = alarm.datapoints_to_alarm
        && dp > evals
    {
        v.error(
            "datapoints",
            &format!("{base}.datapoints_to_alarm"),
            format!(
                "`datapoints_to_alarm` of alarm `{id}` ({dp}) is more than `evaluation_periods` ({evals})"
            ),
        )
        .set_label("M must not exceed N")
        .set_help("an alarm fires when M of the last N periods breach: set datapoints_to_alarm <= evaluation_periods");
    }
    if !alarm.threshold.is_finite() {
        v.error(
            "threshold",
            &format!("{base}.threshold"),
            format!("`threshold` of alarm `{id}` must be a finite number"),
        );
    }
    for (field, actions) in [
        ("alarm_actions", &alarm.alarm_actions),
        ("ok_actions", &alarm.ok_actions),
        (
            "insufficient_data_actions",
            &alarm.insufficient_data_actions,
        ),
    ] {
        let mut seen = BTreeSet::new();
        for (i, a) in actions.iter().enumerate() {
            let p = lazy(|f| write!(f, "{base}.{field}[{i}]"));
            if !seen.insert(a) {
                v.error(
                    "duplicate",
                    &p.to_string(),
                    format!("alarm `{id}` lists the action `{a}` twice"),
                );
            }
            alarm_action(v, stack, id, &p, a);
        }
    }
}

/// CloudWatch accepts SNS topics, Lambda functions, EC2, Auto Scaling and Systems Manager
/// actions; anything else is rejected by PutMetricAlarm.
/// `path` is spelled out only for a finding.
fn alarm_action(v: &mut V<'_>, stack: &StackFile, id: &str, path: &dyn fmt::Display, arn: &str) {
    let Some(c) = ANY_ARN.captures(arn) else {
        v.error(
            "arn",
            &path.to_string(),
            format!("alarm action `{arn}` of alarm `{id}` is not an ARN"),
        )
        .set_label("expected e.g. `arn:aws:sns:us-west-2:123456789012:ops`");
        return;
    };
    let service = c.get(2).map_or("", |m| m.as_str());
    let region = c.get(3).map_or("", |m| m.as_str());
    match service {
        "sns" => {
            if !SNS_TOPIC_ARN.is_match(arn) {
                v.error(
                    "arn",
                    &path.to_string(),
                    format!("`{arn}` is not a valid SNS topic ARN"),
                )
                .set_label("expected `arn:aws:sns:<region>:<12-digit account>:<topic>`");
                return;
            }
        }
        "lambda" | "automate" | "swf" | "autoscaling" | "ssm" | "ssm-incidents" => {}
        other => {
            v.error(
                "arn",
                &path.to_string(),
                format!("CloudWatch alarms cannot notify a `{other}` resource"),
            )
            .set_label("unsupported action")
            .set_help("alarm actions are SNS topics, Lambda functions, EC2/Auto Scaling actions or Systems Manager");
            return;
        }
    }
    if !stack.region.is_empty() && !region.is_empty() && region != stack.region {
        v.error(
            "arn",
            &path.to_string(),
            format!(
                "alarm `{id}` is in `{}` but its action is in `{region}`",
                stack.region
            ),
        )
        .set_label("different region")
        .set_help("CloudWatch alarm actions must be in the alarm's region");
    }
}

fn budget_rules(v: &mut V<'_>, stack: &StackFile, id: &str, budget: &Budget) {
    let base = LazyPath(["budgets", id]);
    outside_prefix(v, stack, "budget", id, &base, budget.name.as_deref());
    for (k, val) in &budget.tags {
        tag_rules(v, &|| format!("{base}.tags"), k, val, false);
    }
    tag_count(
        v,
        stack,
        "budgets",
        id,
        &budget.tags,
        budget.protect,
        MAX_BUDGET_TAGS,
    );
    let name = budget
        .name
        .clone()
        .unwrap_or_else(|| default_name(stack, id));
    if budget.name.is_none() && !stack.stack.is_empty() && name.chars().count() > 100 {
        v.error_key(
            "name",
            &base.to_string(),
            format!("the default name of budget `{id}`, `{name}`, is longer than 100 characters"),
        )
        .set_help("set `name:` explicitly or use a shorter id");
    }
    if name.contains("/action/") {
        v.error(
            "name",
            &format!("{base}.name"),
            format!("budget name `{name}` may not contain `/action/`"),
        );
    }
    if !budget.limit_usd.is_finite() || budget.limit_usd <= 0.0 {
        v.error(
            "limit",
            &format!("{base}.limit_usd"),
            format!("`limit_usd` of budget `{id}` must be a positive amount"),
        );
    }
    let actual = budget
        .notify_percent
        .clone()
        .unwrap_or_else(|| vec![80.0, 100.0]);
    for (field, list, present) in [
        ("notify_percent", &actual, budget.notify_percent.is_some()),
        ("forecast_percent", &budget.forecast_percent, true),
    ] {
        if !present {
            continue;
        }
        let mut seen: Vec<f64> = Vec::new();
        for (i, p) in list.iter().enumerate() {
            let path = format!("{base}.{field}[{i}]");
            if !(*p > 0.0 && *p <= 1000.0) {
                v.error(
                    "threshold",
                    &path,
                    format!(
                        "`{field}` of budget `{id}` must be above 0 and at most 1000 (percent)"
                    ),
                )
                .set_label(format!("found {p}"));
            }
            if seen.contains(p) {
                v.error(
                    "duplicate",
                    &path,
                    format!("budget `{id}` lists {p}% twice in `{field}`"),
                )
                .set_help("Budgets rejects two identical notifications");
            }
            seen.push(*p);
        }
    }
    let notifications = actual.len() + budget.forecast_percent.len();
    if notifications > MAX_NOTIFICATIONS {
        v.error_key(
            "notifications",
            &base.to_string(),
            format!("budget `{id}` has {notifications} notifications; AWS Budgets allows {MAX_NOTIFICATIONS}"),
        )
        .set_help("count notify_percent and forecast_percent together");
    } else if notifications > DOCUMENTED_NOTIFICATIONS {
        v.warn(
            "notifications",
            &base.to_string(),
            format!("budget `{id}` has {notifications} notifications; the CreateBudget documentation says at most {DOCUMENTED_NOTIFICATIONS}"),
        )
        .set_help("AWS may answer CreationLimitExceeded; 5 or fewer is safe");
    }
    let subscribers = budget.emails.len() + usize::from(budget.sns_topic_arn.is_some());
    if notifications > 0 && subscribers == 0 {
        v.error_key(
            "subscribers",
            &base.to_string(),
            format!("budget `{id}` notifies nobody"),
        )
        .set_label("add `emails:` or `sns_topic_arn:`")
        .set_help("every budget notification needs at least one subscriber (an e-mail address or an SNS topic)");
    }
    if notifications == 0 && subscribers > 0 {
        v.warn(
            "subscribers",
            &base.to_string(),
            format!("budget `{id}` has subscribers but no notifications"),
        )
        .set_help("`notify_percent: []` turns notifications off; remove it to get the 80% and 100% defaults");
    }
    let mut seen = BTreeSet::new();
    for (i, e) in budget.emails.iter().enumerate() {
        let path = format!("{base}.emails[{i}]");
        if !EMAIL.is_match(e) {
            v.error("email", &path, format!("`{e}` is not an e-mail address"))
                .set_label("expected name@example.com");
        }
        if !seen.insert(e.to_ascii_lowercase()) {
            v.error(
                "duplicate",
                &path,
                format!("budget `{id}` lists `{e}` twice"),
            );
        }
    }
    if let Some(arn) = &budget.sns_topic_arn
        && !SNS_TOPIC_ARN.is_match(arn)
    {
        v.error(
            "arn",
            &format!("{base}.sns_topic_arn"),
            format!("`{arn}` is not an SNS topic ARN"),
        )
        .set_label("expected `arn:aws:sns:<region>:<12-digit account>:<topic>`");
    }
    if let Some(scope) = &budget.scope
        && scope
            .service
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
    {
        v.error(
            "scope",
            &format!("{base}.scope.service"),
            format!("`scope.service` of budget `{id}` is empty"),
        )
        .set_help(format!(
            "leave it out for the default `{}`",
            super::model::IVS_SERVICE_NAME
        ));
    }
}

/// Two resources of a kind that end up with the same physical name would fight over it
/// (alarms, budgets and IAM policies are identified by name; two stages with one name are
/// legal in IVS but certainly a mistake in one stack).
fn physical_names(v: &mut V<'_>, stack: &StackFile) {
    if stack.stack.is_empty() {
        return;
    }
    fn check<'s>(
        v: &mut V<'_>,
        section: &str,
        names: impl Iterator<Item = (&'s String, Option<&'s String>)>,
        stack: &StackFile,
        case_insensitive: bool,
    ) {
        let kind = super::check::kind_of_section(section).unwrap_or("resource");
        let mut seen: HashMap<String, (&str, bool)> = HashMap::new();
        for (id, explicit) in names {
            let name = explicit.cloned().unwrap_or_else(|| default_name(stack, id));
            let norm = case_insensitive.then(|| name.to_lowercase());
            if let Some((first, first_explicit)) = seen.get(norm.as_deref().unwrap_or(&name)) {
                let path = match explicit {
                    Some(_) => field_path(&[section, id, "name"]),
                    None => field_path(&[section, id]),
                };
                let first_path = if *first_explicit {
                    field_path(&[section, first, "name"])
                } else {
                    field_path(&[section, first])
                };
                // Explicit names point at the name; default names at the logical id.
                let first_span = if *first_explicit {
                    v.value(&first_path)
                } else {
                    v.key(&first_path)
                };
                let message = format!("{kind}s `{first}` and `{id}` would both be named `{name}`");
                let d = if explicit.is_some() {
                    v.error("duplicate-name", &path, message)
                } else {
                    v.error_key("duplicate-name", &path, message)
                };
                d.set_label("same physical name");
                if let Some(s) = first_span {
                    d.related
                        .push((s, format!("`{first}` is named `{name}` here")));
                }
                if explicit.is_none() {
                    d.set_help(format!(
                        "`{id}` gets the default name `<stack>-<id>`; set `name:` to something else"
                    ));
                } else if case_insensitive {
                    d.set_help("IAM policy names are unique regardless of case");
                }
            } else {
                seen.insert(norm.unwrap_or(name), (id, explicit.is_some()));
            }
        }
    }
    check(
        v,
        "stages",
        stack.stages.iter().map(|(k, s)| (k, s.name.as_ref())),
        stack,
        false,
    );
    check(
        v,
        "policies",
        stack.policies.iter().map(|(k, s)| (k, s.name.as_ref())),
        stack,
        true,
    );
    check(
        v,
        "alarms",
        stack.alarms.iter().map(|(k, s)| (k, s.name.as_ref())),
        stack,
        false,
    );
    check(
        v,
        "budgets",
        stack.budgets.iter().map(|(k, s)| (k, s.name.as_ref())),
        stack,
        false,
    );
}

/// Whether a metric name is one IVS publishes (for callers that take free text).
pub fn is_ivs_metric(name: &str) -> bool {
    [
        Metric::Publishers,
        Metric::Subscribers,
        Metric::ConcurrentPublishers,
        Metric::ConcurrentSubscriptions,
        Metric::DownloadPacketLoss,
        Metric::DroppedFrames,
        Metric::PublishBitrate,
        Metric::SubscribeBitrate,
    ]
    .iter()
    .any(|m| m.as_str() == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::model::{Effect, Statement};

    /// The shortcut that skips rendering is only sound if the bound is never below the
    /// real size, escapes and conditions included.
    #[test]
    fn size_bound_is_never_below_the_rendered_size() {
        let arn = "arn:aws:ivs:us-west-2:123456789012:stage/AbCdEfGhIjKl";
        let awkward = [
            "",
            "a",
            "\"q\"",
            "back\\slash",
            "tab\there",
            "\u{1}\u{7f}",
            "ünï €",
            "x x",
        ];
        let mut policies = Vec::new();
        for n in 0..6 {
            let statements = (0..n)
                .map(|i| Statement {
                    sid: (i % 2 == 0).then(|| format!("S{i}")),
                    effect: (i % 3 == 0).then_some(Effect::Deny),
                    allow: awkward.iter().map(|a| format!("svc:{a}")).collect(),
                    stages: (0..i).map(|k| format!("s{k}")).collect(),
                    resources: awkward.iter().map(|a| a.to_string()).collect(),
                    conditions: (0..i)
                        .map(|k| {
                            let inner = awkward
                                .iter()
                                .map(|a| {
                                    let v = if k % 2 == 0 {
                                        StringOrList::One(a.to_string())
                                    } else {
                                        StringOrList::Many(vec![a.to_string(); 3])
                                    };
                                    (format!("k{a}"), v)
                                })
                                .collect();
                            (format!("Op{k}\""), inner)
                        })
                        .collect(),
                })
                .collect();
            policies.push(Policy {
                statements,
                ..Policy::default()
            });
        }
        for p in &policies {
            let doc = iam_document::render(p, &|_| arn.to_string());
            let size = iam_document::size_without_whitespace(&doc);
            let bound = size_bound(p, arn).unwrap();
            assert!(bound >= size, "bound {bound} < size {size}");
        }
        let raw = Policy {
            document: Some(serde_json::json!({"Statement": []})),
            ..Policy::default()
        };
        assert_eq!(size_bound(&raw, arn), None);
    }
}
