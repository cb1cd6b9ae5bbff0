//! Semantic validation: the rules that a schema cannot express — references between
//! resources, AWS limits that depend on several fields (tags counted with ivstack's own
//! ownership tags, rendered IAM policy size, alarm period arithmetic), physical-name
//! collisions, and ARN and e-mail syntax. Every rule reports at the exact field, and all
//! findings come back together.
//!
//! The kind registry drives it: `resource_rules` (tags, default names, references) and
//! `physical_names` run for every kind, then each kind's own rules
//! (`ResourceKind::validate`; those of the first four kinds are the `*_rules` functions
//! here).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::LazyLock;

use regex_lite::Regex;

use super::check::{SpanMap, did_you_mean, field_path};
use super::diagnostics::{Diagnostic, Span};
use super::load::DeclaredIds;
use super::model::{Alarm, Budget, Metric, Policy, StackFile, Stage, StringOrList, ThumbnailMode};
use crate::kinds::{Kind, Names, Reference, ResourceKind, Service, iam_document};

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

/// The findings of one validation run, and what rules look things up in.
pub struct Validator<'a> {
    ctx: &'a Context<'a>,
    out: Vec<Diagnostic>,
    /// The declared ids per kind, hashed: every reference looks them up.
    declared_ids: HashMap<Kind, HashSet<&'a str>>,
    /// ARNs of realistic length per kind that policies can name (policy size checks).
    example_arns: HashMap<Kind, String>,
}

/// Short name for the rules below.
type V<'a> = Validator<'a>;

impl<'a> Validator<'a> {
    pub(crate) fn key(&self, path: &str) -> Option<Span> {
        self.ctx.spans.key_span(path)
    }

    pub(crate) fn value(&self, path: &str) -> Option<Span> {
        self.ctx.spans.value_span(path)
    }

    /// An error at a field's value (or its nearest ancestor's key when absent).
    pub(crate) fn error(
        &mut self,
        code: &'static str,
        path: &str,
        message: String,
    ) -> &mut Diagnostic {
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
    pub(crate) fn error_key(
        &mut self,
        code: &'static str,
        path: &str,
        message: String,
    ) -> &mut Diagnostic {
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

    pub(crate) fn warn(
        &mut self,
        code: &'static str,
        path: &str,
        message: String,
    ) -> &mut Diagnostic {
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

    /// The ids the file declares in a kind's section (even those with errors).
    pub(crate) fn declared(&self, kind: Kind) -> &'a BTreeSet<String> {
        static EMPTY: BTreeSet<String> = BTreeSet::new();
        self.ctx.declared.get(kind.section()).unwrap_or(&EMPTY)
    }

    pub(crate) fn is_declared(&self, kind: Kind, id: &str) -> bool {
        self.declared_ids
            .get(&kind)
            .is_some_and(|ids| ids.contains(id))
    }
}

pub(crate) trait Finish {
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
    let mut v = Validator {
        ctx,
        out: Vec::new(),
        declared_ids: HashMap::new(),
        example_arns: example_arns(stack),
    };
    for kind in Kind::ALL {
        let ids = v.declared(*kind).iter().map(String::as_str).collect();
        v.declared_ids.insert(*kind, ids);
    }
    stack_level(&mut v, stack);
    crate::kinds::registry::validate_all(&mut v, stack);
    v.out
}

/// The rules every resource of every kind obeys: its tags (IAM's character set for IAM
/// kinds), how many tags it will carry, the length of its default name, and that every
/// reference names a resource the file declares.
pub(crate) fn resource_rules<T: ResourceKind>(
    v: &mut V<'_>,
    kind: Kind,
    stack: &StackFile,
    id: &str,
    m: &T,
) {
    let section = kind.section();
    let iam = kind.service() == Service::Iam;
    for (k, val) in m.tags() {
        tag_rules(v, &|| field_path(&[section, id, "tags"]), k, val, iam);
    }
    tag_count(v, stack, kind, id, m.tags(), m.protect(), T::MAX_TAGS);
    if m.name().is_none() && !stack.stack.is_empty() && default_name_chars(stack, id) > T::NAME_MAX
    {
        let name = default_name(stack, id);
        v.error_key(
            "name",
            &field_path(&[section, id]),
            format!(
                "the default name of {} `{id}`, `{name}`, is longer than {} characters",
                T::NOUN,
                T::NAME_MAX
            ),
        )
        .set_help("set `name:` explicitly or use a shorter id");
    }
    for r in m.references() {
        if !v.is_declared(r.reference.target, &r.reference.id) {
            let path = format!("{}.{}", field_path(&[section, id]), r.path);
            unknown_reference(v, &path, &r.reference);
        }
    }
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
    kind: Kind,
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
        let path = field_path(&[kind.section(), id, "tags"]);
        let kind = kind.noun();
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

pub(crate) fn stage_rules(v: &mut V<'_>, stack: &StackFile, id: &str, stage: &Stage) {
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
    let arn = match (&rec.storage, &rec.storage_configuration_arn) {
        (Some(_), None) => return recording_settings_rules(v, id, rec, &base),
        (None, Some(arn)) => arn,
        (Some(_), Some(_)) => {
            v.error_key(
                "recording",
                &format!("{base}.storage_configuration_arn"),
                format!("the recording of stage `{id}` names both `storage` and `storage_configuration_arn`"),
            )
            .set_label("remove this, or `storage`")
            .set_help("`storage` names a storage configuration of this stack by logical id; `storage_configuration_arn` one that the stack does not manage");
            return;
        }
        (None, None) => {
            let declared = v.declared(Kind::StorageConfiguration);
            let help = match declared.iter().next() {
                Some(first) => format!("e.g. `storage: {first}` (a storage configuration of this file), or `storage_configuration_arn: \"\"` to disable recording"),
                None => "add `storage: <id>` (a storage configuration under `storage_configurations:`), `storage_configuration_arn: <arn>`, or `storage_configuration_arn: \"\"` to disable recording".to_string(),
            };
            v.error_key(
                "recording",
                &base.to_string(),
                format!("the recording of stage `{id}` says nowhere to record to"),
            )
            .set_label("needs `storage` or `storage_configuration_arn`")
            .set_help(help);
            return;
        }
    };
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
    recording_settings_rules(v, id, rec, &base);
}

/// The rules of the recording settings besides where recordings go.
fn recording_settings_rules(
    v: &mut V<'_>,
    id: &str,
    rec: &super::model::Recording,
    base: &dyn fmt::Display,
) {
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

/// ARNs of realistic length per kind, for size accounting before the resources exist.
fn example_arns(stack: &StackFile) -> HashMap<Kind, String> {
    let region = if stack.region.is_empty() {
        "us-east-1"
    } else {
        &stack.region
    };
    let account = stack.account.as_deref().unwrap_or("123456789012");
    Kind::ALL
        .iter()
        .filter_map(|k| Some((*k, k.policy_arn_example(region, account)?)))
        .collect()
}

/// "`stages:`" (or "`stages:`, `storage_configurations:`"): the keys with which statements
/// name resources of the stack.
fn nameable_keys() -> String {
    let keys: Vec<String> = crate::kinds::policy::nameable_kinds()
        .map(|k| format!("`{}:`", k.section()))
        .collect();
    keys.join(", ")
}

pub(crate) fn policy_rules(v: &mut V<'_>, _stack: &StackFile, id: &str, policy: &Policy) {
    let base = LazyPath(["policies", id]);
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
    let mut sids: HashMap<&str, usize> = HashMap::new();
    for (i, st) in policy.statements.iter().enumerate() {
        let sp = lazy(|f| write!(f, "{base}.statements[{i}]"));
        if !st.names_stack_resources() && st.resources.is_empty() {
            let keys = nameable_keys();
            v.error_key(
                "statement-resources",
                &sp.to_string(),
                format!("statement {} of policy `{id}` names no resource", i + 1),
            )
            .set_label("add logical ids of this file's resources, or `resources:`")
            .set_help(format!(
                "list logical ids under the key of their section ({keys}): least privilege; \
                 or ARNs under `resources:`"
            ));
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
    // Size as IAM counts it, with real-length ARNs for resources that do not exist yet.
    // Rendering is skipped when even a generous upper bound fits.
    let arns = &v.example_arns;
    if size_bound(policy, arns).is_some_and(|b| b <= MAX_POLICY_CHARS) {
        return;
    }
    let doc = iam_document::render(policy, &|kind, _| {
        arns.get(&kind).cloned().unwrap_or_default()
    });
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
fn size_bound(policy: &Policy, arns: &HashMap<Kind, String>) -> Option<usize> {
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
    let mut total = 64;
    for st in &policy.statements {
        total += 96;
        total += st.sid.as_deref().map_or(0, quoted);
        total += st.allow.iter().map(|a| quoted(a)).sum::<usize>();
        for (kind, ids) in &st.ids {
            total += ids.len() * arns.get(kind).map_or(3, |a| quoted(a));
        }
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

/// A reference to a resource the file does not declare, with the closest declared id.
fn unknown_reference(v: &mut V<'_>, path: &str, r: &Reference) {
    let (noun, name) = (r.target.noun(), &r.id);
    let plural = r.target.section().replace('_', " ");
    let declared = v.declared(r.target);
    let near = did_you_mean(name, declared.iter().map(String::as_str));
    let d = v.error(
        r.target.unknown_reference_code(),
        path,
        format!("there is no {noun} `{name}` in this stack"),
    );
    match near {
        Some(n) => d.set_label(format!("did you mean `{n}`?")),
        None => d.set_label(format!("unknown {noun}")),
    };
    if declared.is_empty() {
        d.set_help(format!("this file declares no {plural}"));
    } else {
        let list: Vec<String> = declared.iter().map(|s| format!("`{s}`")).collect();
        d.set_help(format!("{plural} in this file: {}", list.join(", ")));
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

pub(crate) fn alarm_rules(v: &mut V<'_>, stack: &StackFile, id: &str, alarm: &Alarm) {
    let base = LazyPath(["alarms", id]);
    outside_prefix(v, stack, "alarm", id, &base, alarm.name.as_deref());
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

pub(crate) fn budget_rules(v: &mut V<'_>, stack: &StackFile, id: &str, budget: &Budget) {
    let base = LazyPath(["budgets", id]);
    outside_prefix(v, stack, "budget", id, &base, budget.name.as_deref());
    let name = budget
        .name
        .clone()
        .unwrap_or_else(|| default_name(stack, id));
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
/// legal in IVS but certainly a mistake in one stack). `names`: logical id and explicit
/// name of every resource of `kind`.
pub(crate) fn physical_names<'s>(
    v: &mut V<'_>,
    kind: Kind,
    stack: &StackFile,
    names: impl Iterator<Item = (&'s str, Option<&'s str>)>,
) {
    if stack.stack.is_empty() {
        return;
    }
    let section = kind.section();
    let case_insensitive = kind.names() == Names::UniqueIgnoringCase;
    let mut seen: HashMap<String, (&str, bool)> = HashMap::new();
    for (id, explicit) in names {
        let name = explicit
            .map(str::to_string)
            .unwrap_or_else(|| default_name(stack, id));
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
            let plural = section.replace('_', " ");
            let message = format!("{plural} `{first}` and `{id}` would both be named `{name}`");
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
                d.set_help(format!(
                    "{} names are unique regardless of case",
                    kind.noun()
                ));
            }
        } else {
            seen.insert(norm.unwrap_or(name), (id, explicit.is_some()));
        }
    }
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
                    ids: BTreeMap::from([(Kind::Stage, (0..i).map(|k| format!("s{k}")).collect())]),
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
        let arns = HashMap::from([(Kind::Stage, arn.to_string())]);
        for p in &policies {
            let doc = iam_document::render(p, &|_, _| arn.to_string());
            let size = iam_document::size_without_whitespace(&doc);
            let bound = size_bound(p, &arns).unwrap();
            assert!(bound >= size, "bound {bound} < size {size}");
        }
        let raw = Policy {
            document: Some(serde_json::json!({"Statement": []})),
            ..Policy::default()
        };
        assert_eq!(size_bound(&raw, &arns), None);
    }
}
