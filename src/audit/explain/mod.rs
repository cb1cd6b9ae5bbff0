//! `ivstack explain`: a plain-language account of a stack for someone who does not read IAM
//! JSON — per policy a table of grants and a sentence per risky capability, per stage who
//! may do what on it and what watches it, per budget the money and who is told.
//!
//! [`explain`] builds an [`Explanation`] (plain data, from the loaded model, the kind
//! registry, the action table and the grant rows); [`text`] and [`markdown`] render it.
//! Figures (issue 12's Mermaid graph of the stack) plug into [`StackExplanation::figures`]:
//! the Markdown rendering shows each in a collapsed section, the text rendering leaves
//! them out.

pub mod markdown;
mod risks;
pub mod text;

use std::collections::{BTreeMap, HashMap};

use crate::audit::actions::{AccessLevel, table};
use crate::audit::glob;
use crate::audit::grants::{self, Effect, Grant};
use crate::audit::lint::policy::document;
use crate::kinds::budget::{DEFAULT_NOTIFY_PERCENT, IVS_SERVICE_NAME};
use crate::kinds::ingest_configuration::IngestConfiguration;
use crate::kinds::{Kind, default_name};
use crate::stack::load::LoadedStack;
use crate::stack::model::{Alarm, BudgetPeriod, StackFile};

/// Everything `explain` says about the given files.
#[derive(Debug, Clone, Default)]
pub struct Explanation {
    pub stacks: Vec<StackExplanation>,
}

/// One stack file.
#[derive(Debug, Clone)]
pub struct StackExplanation {
    pub file: String,
    pub stack: String,
    pub region: String,
    pub account: Option<String>,
    pub policies: Vec<PolicyView>,
    pub stages: Vec<StageView>,
    /// Alarms on region-wide metrics (no stage).
    pub region_alarms: Vec<AlarmView>,
    pub budgets: Vec<BudgetView>,
    /// Storage, encoder and public-key configurations, and ingest configurations attached
    /// to no stage.
    pub others: Vec<ResourceView>,
    /// Pictures of the stack, for Markdown (see the module docs).
    pub figures: Vec<Figure>,
}

/// A picture for the Markdown rendering: a title and a fenced block's language and body
/// (`mermaid`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub title: String,
    pub language: String,
    pub body: String,
}

/// One policy.
#[derive(Debug, Clone)]
pub struct PolicyView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Written as a raw IAM `document`.
    pub raw: bool,
    pub rows: Vec<Row>,
    /// One sentence per risky capability: "can mint publish tokens for 2 stages (...)".
    pub risks: Vec<String>,
}

/// One row of a policy's grant table: one action element of one statement.
#[derive(Debug, Clone)]
pub struct Row {
    pub effect: Effect,
    /// The action as written (`ivs:GetStage`, `ivs:Get*`, `NotAction: iam:*`).
    pub action: String,
    /// The access level, or for a wildcard how many actions of each level it grants.
    pub access: String,
    /// The actions a wildcard expands to that can act on the row's resources, by access
    /// level (empty for a single action).
    pub expanded: BTreeMap<AccessLevel, Vec<String>>,
    /// The resources it acts on, in words with their ARN (pattern).
    pub resources: Vec<String>,
    /// Conditions, `key operator values`.
    pub conditions: Vec<String>,
    /// Why the row grants nothing, when it does not.
    pub nothing: Option<String>,
}

/// One stage.
#[derive(Debug, Clone)]
pub struct StageView {
    pub id: String,
    pub name: String,
    pub protected: bool,
    /// "policy `token-service`: `ivs:CreateParticipantToken` (Write), ...".
    pub granted: Vec<String>,
    pub recording: String,
    pub alarms: Vec<AlarmView>,
    /// Ingest configurations that publish into it.
    pub ingest: Vec<String>,
}

/// One alarm.
#[derive(Debug, Clone)]
pub struct AlarmView {
    pub id: String,
    pub name: String,
    /// "`Publishers` Maximum >= 11 (Count), 1 period of 60 s".
    pub condition: String,
    /// Who is told when it fires (ARNs), empty for nobody.
    pub notifies: Vec<String>,
    pub description: Option<String>,
}

/// A resource that is not a stage, policy, alarm or budget.
#[derive(Debug, Clone)]
pub struct ResourceView {
    pub kind: Kind,
    pub id: String,
    pub name: String,
    /// What it is and what it puts at stake.
    pub summary: String,
}

/// One budget.
#[derive(Debug, Clone)]
pub struct BudgetView {
    pub id: String,
    pub name: String,
    /// "$5,000.00 per month".
    pub limit: String,
    /// "ACTUAL spend reaches 80% ($4,000.00)".
    pub thresholds: Vec<String>,
    pub subscribers: Vec<String>,
    /// What spend counts: "Amazon Interactive Video Service, tagged `ivstack:stack=demo`".
    pub covers: String,
}

/// Explain the loaded stacks.
pub fn explain(stacks: &[LoadedStack]) -> Explanation {
    Explanation {
        stacks: stacks.iter().map(stack).collect(),
    }
}

fn stack(loaded: &LoadedStack) -> StackExplanation {
    let s = &loaded.model;
    let policy_rows: Vec<(String, Vec<Grant>)> = s
        .policies
        .iter()
        .map(|(id, p)| (id.clone(), grants::grants(&document(p), &|_| None)))
        .collect();
    let policies = s
        .policies
        .iter()
        .zip(&policy_rows)
        .map(|((id, p), (_, rows))| PolicyView {
            id: id.clone(),
            name: p.name.clone().unwrap_or_else(|| default_name(s, id)),
            description: p.description.clone(),
            raw: p.document.is_some(),
            rows: table_rows(s, rows),
            risks: risks::sentences(rows),
        })
        .collect();
    let on_stages = GrantsOn::new(s, &policy_rows, Kind::Stage);
    let stages = s
        .stages
        .iter()
        .map(|(id, st)| StageView {
            id: id.clone(),
            name: st.name.clone().unwrap_or_else(|| default_name(s, id)),
            protected: st.protect,
            granted: on_stages.on(s, id),
            recording: match &st.recording {
                None => "not managed by this file (whatever the stage has now stays)".into(),
                Some(r)
                    if r.storage.is_none()
                        && r.storage_configuration_arn
                            .as_deref()
                            .unwrap_or("")
                            .is_empty() =>
                {
                    "disabled".into()
                }
                Some(r) => {
                    let media = r
                        .media_types
                        .as_ref()
                        .map(|m| {
                            m.iter()
                                .filter_map(|t| serde_json::to_value(t).ok())
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .filter(|m| !m.is_empty())
                        .unwrap_or_else(|| "AUDIO_VIDEO".into());
                    let to = match (&r.storage, &r.storage_configuration_arn) {
                        (Some(id), _) => {
                            let bucket = s
                                .storage_configurations
                                .get(id)
                                .map(|c| format!(", S3 bucket `{}`", c.s3_bucket))
                                .unwrap_or_default();
                            format!("storage configuration `{id}` of this stack{bucket}")
                        }
                        (None, arn) => format!(
                            "storage configuration `{}` (not declared in this stack)",
                            arn.as_deref().unwrap_or_default()
                        ),
                    };
                    format!("every participant, {media}, to {to}")
                }
            },
            alarms: s
                .alarms
                .iter()
                .filter(|(_, a)| a.stage.as_deref() == Some(id.as_str()))
                .map(|(aid, a)| alarm_view(s, aid, a))
                .collect(),
            ingest: s
                .ingest_configurations
                .iter()
                .filter(|(_, i)| i.stage.as_deref() == Some(id.as_str()))
                .map(|(iid, i)| ingest_line(s, iid, i))
                .collect(),
        })
        .collect();
    let region_alarms = s
        .alarms
        .iter()
        .filter(|(_, a)| a.stage.is_none())
        .map(|(id, a)| alarm_view(s, id, a))
        .collect();
    let budgets = s
        .budgets
        .iter()
        .map(|(id, b)| {
            let period = b.period.unwrap_or(BudgetPeriod::Monthly);
            let actual = b
                .notify_percent
                .clone()
                .unwrap_or_else(|| DEFAULT_NOTIFY_PERCENT.to_vec());
            let mut thresholds = Vec::new();
            for (kind, list) in [("ACTUAL", &actual), ("FORECASTED", &b.forecast_percent)] {
                for p in list {
                    thresholds.push(format!(
                        "{kind} spend reaches {}% ({})",
                        number(*p),
                        dollars(b.limit_usd * p / 100.0)
                    ));
                }
            }
            let mut subscribers: Vec<String> =
                b.emails.iter().map(|e| format!("e-mail {e}")).collect();
            if let Some(sns) = &b.sns_topic_arn {
                subscribers.push(format!("SNS topic {sns}"));
            }
            let scope = b.scope.clone().unwrap_or_default();
            let mut covers = format!(
                "spend on {}",
                scope.service.as_deref().unwrap_or(IVS_SERVICE_NAME)
            );
            if scope.stack_tag {
                covers.push_str(&format!(
                    " tagged `{}={}` (once the tag is activated for cost allocation)",
                    crate::kinds::TAG_STACK,
                    s.stack
                ));
            } else {
                covers.push_str(" in the whole account (every stack and team)");
            }
            BudgetView {
                id: id.clone(),
                name: b.name.clone().unwrap_or_else(|| default_name(s, id)),
                limit: format!("{} per {}", dollars(b.limit_usd), period_noun(period)),
                thresholds,
                subscribers,
                covers,
            }
        })
        .collect();
    StackExplanation {
        file: loaded.name.clone(),
        stack: s.stack.clone(),
        region: s.region.clone(),
        account: s.account.clone(),
        policies,
        stages,
        region_alarms,
        budgets,
        others: others(s),
        figures: Vec::new(),
    }
}

fn ingest_line(s: &StackFile, id: &str, i: &IngestConfiguration) -> String {
    let name = i.name.clone().unwrap_or_else(|| default_name(s, id));
    let user = i
        .user_id
        .as_deref()
        .map(|u| format!(" as user `{u}`"))
        .unwrap_or_default();
    let insecure = if i.insecure_ingest == Some(true) {
        "; accepts RTMP without TLS: its stream key travels in clear text"
    } else {
        ""
    };
    format!(
        "`{id}` (name {name}): an {} encoder publishes{user}{insecure}",
        i.ingest_protocol.as_str()
    )
}

/// The IVS configurations that are not stages: what each is, and what it puts at stake.
fn others(s: &StackFile) -> Vec<ResourceView> {
    let mut out = Vec::new();
    for (id, c) in &s.storage_configurations {
        let users: Vec<String> = s
            .stages
            .iter()
            .filter(|(_, st)| st.recording.as_ref().and_then(|r| r.storage.as_deref()) == Some(id))
            .map(|(sid, _)| format!("`{sid}`"))
            .collect();
        let used = match users.len() {
            0 => "no stage of this stack records to it".to_string(),
            1 => format!("stage {} records to it", users[0]),
            _ => format!("stages {} record to it", users.join(", ")),
        };
        out.push(ResourceView {
            kind: Kind::StorageConfiguration,
            id: id.clone(),
            name: c.name.clone().unwrap_or_else(|| default_name(s, id)),
            summary: format!("writes recordings to S3 bucket `{}`; {used}", c.s3_bucket),
        });
    }
    for (id, e) in &s.encoder_configurations {
        let v = e.video.clone().unwrap_or_default();
        use crate::kinds::encoder_configuration::model as enc;
        let video = format!(
            "{}x{} at {} fps, {} bit/s",
            v.width.unwrap_or(enc::DEFAULT_WIDTH),
            v.height.unwrap_or(enc::DEFAULT_HEIGHT),
            number(v.framerate.unwrap_or(enc::DEFAULT_FRAMERATE)),
            v.bitrate.unwrap_or(enc::DEFAULT_BITRATE),
        );
        out.push(ResourceView {
            kind: Kind::EncoderConfiguration,
            id: id.clone(),
            name: e.name.clone().unwrap_or_else(|| default_name(s, id)),
            summary: format!(
                "server-side composition video: {video} (AWS defaults where the file says nothing)"
            ),
        });
    }
    for (id, k) in &s.public_keys {
        out.push(ResourceView {
            kind: Kind::PublicKey,
            id: id.clone(),
            name: k.name.clone().unwrap_or_else(|| default_name(s, id)),
            summary: format!(
                "whoever holds its private key can sign participant tokens for any stage in {}; \
                 IVS has no expiry for keys: deleting the key is the only way to revoke them",
                s.region
            ),
        });
    }
    for (id, i) in s
        .ingest_configurations
        .iter()
        .filter(|(_, i)| i.stage.is_none())
    {
        out.push(ResourceView {
            kind: Kind::IngestConfiguration,
            id: id.clone(),
            name: i.name.clone().unwrap_or_else(|| default_name(s, id)),
            summary: format!("{}; attached to no stage", ingest_line(s, id, i)),
        });
    }
    out
}

fn period_noun(p: BudgetPeriod) -> &'static str {
    match p {
        BudgetPeriod::Daily => "day",
        BudgetPeriod::Monthly => "month",
        BudgetPeriod::Quarterly => "quarter",
        BudgetPeriod::Annually => "year",
    }
}

/// `80`, `12.5`.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// `$5,000.00`.
pub fn dollars(v: f64) -> String {
    let cents = (v * 100.0).round() as i128;
    let (whole, frac) = (cents / 100, (cents % 100).abs());
    let digits = whole.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}${grouped}.{frac:02}")
}

fn alarm_view(s: &StackFile, id: &str, a: &Alarm) -> AlarmView {
    let period = a.period_seconds.unwrap_or(60);
    let n = a.evaluation_periods.unwrap_or(1);
    let m = a.datapoints_to_alarm.unwrap_or(n);
    let comparison = serde_json::to_value(a.comparison)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let window = if n == 1 {
        format!("over one period of {period} s")
    } else {
        format!("in {m} of {n} periods of {period} s")
    };
    AlarmView {
        id: id.to_string(),
        name: a.name.clone().unwrap_or_else(|| default_name(s, id)),
        condition: format!(
            "`{}` {} {comparison} {} ({}) {window}",
            a.metric.as_str(),
            a.statistic.as_str(),
            number(a.threshold),
            a.metric.unit()
        ),
        notifies: a.alarm_actions.clone(),
        description: a.description.clone(),
    }
}

/// The ARN template of a stack resource of `kind`, filled with what the stack knows:
/// `arn:aws:ivs:us-west-2:123456789012:stage/<id>`.
pub fn arn_pattern(s: &StackFile, kind: Kind) -> Option<String> {
    let rt = grants::resource_type_of_kind(kind)?;
    Some(rt.arn_in_words(Some(&s.region), s.account.as_deref()))
}

/// A grant's resource in words, with its ARN (pattern).
pub fn describe_resource(s: &StackFile, t: &grants::Target) -> String {
    if t.except {
        return format!("everything except `{}`", t.text);
    }
    if let Some(r) = &t.reference {
        let arn = arn_pattern(s, r.target).unwrap_or_default();
        return format!("{} `{}` (`{arn}`)", r.target.noun(), r.id);
    }
    if t.text == "*" {
        return "every resource (`*`)".into();
    }
    let parts: Vec<&str> = t.text.splitn(6, ':').collect();
    if parts.len() == 6 && glob::is_pattern(parts[5]) {
        let what = match table().resource_type_of(&t.text) {
            Some((service, rt)) if parts[5] != "*" => {
                format!("every {} ({})", rt.name, service.prefix)
            }
            _ => format!("every {} resource", parts[2]),
        };
        // Global services (IAM, S3) leave the region (and S3 the account) empty.
        let mut scope = Vec::new();
        match parts[3] {
            "" => {}
            "*" => scope.push("any region".to_string()),
            r => scope.push(r.to_string()),
        }
        match parts[4] {
            "" => {}
            "*" => scope.push("any account".to_string()),
            a => scope.push(format!("account {a}")),
        }
        let scope = if scope.is_empty() {
            String::new()
        } else {
            format!(" in {}", scope.join(", "))
        };
        return format!("{what}{scope} (`{}`)", t.text);
    }
    match table().resource_type_of(&t.text) {
        Some((_, rt)) => format!("{} `{}` (not in this stack)", rt.name, t.text),
        None => format!("`{}`", t.text),
    }
}

/// The grant table of a policy: one row per action element of each statement.
fn table_rows(s: &StackFile, rows: &[Grant]) -> Vec<Row> {
    let mut groups: BTreeMap<(usize, Option<usize>), Vec<&Grant>> = BTreeMap::new();
    for g in rows {
        groups
            .entry((g.statement, g.action_index))
            .or_default()
            .push(g);
    }
    groups
        .into_values()
        .filter_map(|gs| {
            let first = *gs.first()?;
            let action = first.via.clone().unwrap_or_else(|| first.action.clone());
            let mut expanded: BTreeMap<AccessLevel, Vec<String>> = BTreeMap::new();
            let mut named: Vec<&str> = Vec::new();
            if first.via.is_some() {
                for g in &gs {
                    if !named.contains(&g.action.as_str()) {
                        named.push(&g.action);
                    }
                }
                for g in gs.iter().filter(|g| g.applies) {
                    if let Some(level) = g.access {
                        let list = expanded.entry(level).or_default();
                        if !list.contains(&g.action) {
                            list.push(g.action.clone());
                        }
                    }
                }
            }
            let access = match (&first.via, first.access) {
                (None, Some(level)) => level.to_string(),
                (None, None) => "unknown (not in the action table)".into(),
                (Some(_), _) => {
                    let total: usize = expanded.values().map(Vec::len).sum();
                    let parts: Vec<String> = expanded
                        .iter()
                        .rev()
                        .map(|(l, a)| format!("{} {l}", a.len()))
                        .collect();
                    // A wildcard names actions of every resource type; say how many can
                    // act on what this statement names.
                    let of = if total < named.len() {
                        format!(" of the {}", named.len())
                    } else {
                        String::new()
                    };
                    format!("{total}{of} actions act here: {}", parts.join(", "))
                }
            };
            let mut resources: Vec<String> = Vec::new();
            for g in gs.iter().filter(|g| g.applies) {
                let d = describe_resource(s, &g.resource);
                if !resources.contains(&d) {
                    resources.push(d);
                }
            }
            let nothing = resources.is_empty().then(|| match first.action_ref() {
                Some(a) if !a.action.resource_level() => {
                    "it supports no resource-level permission and needs `*`".to_string()
                }
                Some(a) => {
                    let types: Vec<String> = a.resource_types().map(|t| t.name.clone()).collect();
                    format!("it acts on {} and none is named", types.join(" or "))
                }
                None => "no action of the table matches".into(),
            });
            Some(Row {
                effect: first.effect,
                action,
                access,
                expanded,
                resources,
                conditions: first.conditions.iter().map(|c| c.to_string()).collect(),
                nothing,
            })
        })
        .collect()
}

/// Each policy's effective Allow grants that can act on resources of one kind, by the
/// resource they name (so that each resource's view is a lookup, not a scan of every
/// grant), and those granted through a pattern (`stage/*`, `*`).
struct GrantsOn<'g> {
    kind: Kind,
    policies: Vec<PolicyGrantsOn<'g>>,
}

struct PolicyGrantsOn<'g> {
    id: &'g str,
    named: HashMap<&'g str, Vec<&'g Grant>>,
    patterns: Vec<&'g Grant>,
}

impl<'g> GrantsOn<'g> {
    fn new(s: &StackFile, policies: &'g [(String, Vec<Grant>)], kind: Kind) -> GrantsOn<'g> {
        // Only actions that can act on this kind (not `ivs:ListPublicKeys` through `*`).
        let named_by_kind = kind
            .policy_arn_example(&s.region, "123456789012")
            .map(|arn| table().types_named_by(&arn));
        let mut acts: HashMap<&str, bool> = HashMap::new();
        let mut out = Vec::new();
        for (id, rows) in policies {
            let mut named: HashMap<&str, Vec<&Grant>> = HashMap::new();
            let mut patterns = Vec::new();
            for g in rows
                .iter()
                .filter(|g| g.effect == Effect::Allow && g.applies)
            {
                let acts_on = *acts.entry(g.action.as_str()).or_insert_with(|| {
                    match (g.action_ref(), &named_by_kind) {
                        (Some(a), Some(n)) => a.applies_to_types(n),
                        _ => true,
                    }
                });
                if !acts_on {
                    continue;
                }
                match &g.resource.reference {
                    Some(r) if r.target == kind => named.entry(r.id.as_str()).or_default().push(g),
                    Some(_) => {}
                    None if !g.resource.except => patterns.push(g),
                    None => {}
                }
            }
            out.push(PolicyGrantsOn {
                id: id.as_str(),
                named,
                patterns,
            });
        }
        GrantsOn {
            kind,
            policies: out,
        }
    }

    /// What each policy allows on resource `id`: "policy `p`: `a` (Write), ...".
    fn on(&self, s: &StackFile, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.policies {
            let mut actions: Vec<String> = Vec::new();
            let mut via: Vec<String> = Vec::new();
            let direct = p.named.get(id).into_iter().flatten();
            let through = p
                .patterns
                .iter()
                .filter(|g| grants::covers(g, self.kind, id, &s.region, s.account.as_deref()));
            for g in direct.chain(through) {
                let level = g
                    .access
                    .map(|l| l.to_string())
                    .unwrap_or_else(|| "unknown".into());
                let a = format!("`{}` ({level})", g.action);
                if !actions.contains(&a) {
                    actions.push(a);
                }
                if g.resource.reference.is_none() && !via.contains(&g.resource.text) {
                    via.push(g.resource.text.clone());
                }
            }
            if actions.is_empty() {
                continue;
            }
            let shown = if actions.len() > 8 {
                format!(
                    "{} and {} more actions",
                    actions[..8].join(", "),
                    actions.len() - 8
                )
            } else {
                actions.join(", ")
            };
            let through = if via.is_empty() {
                String::new()
            } else {
                let v: Vec<String> = via.iter().map(|v| format!("`{v}`")).collect();
                format!(" (through {})", v.join(", "))
            };
            out.push(format!("policy `{}`: {shown}{through}", p.id));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_are_grouped_with_cents() {
        assert_eq!(dollars(5000.0), "$5,000.00");
        assert_eq!(dollars(50.0), "$50.00");
        assert_eq!(dollars(1234567.891), "$1,234,567.89");
        assert_eq!(dollars(0.5), "$0.50");
        assert_eq!(dollars(999.999), "$1,000.00");
        assert_eq!(number(80.0), "80");
        assert_eq!(number(12.5), "12.5");
    }

    #[test]
    fn figures_show_in_markdown_only() {
        let loaded = crate::stack::load_str(
            "s.yaml",
            "stack: s\nregion: us-east-1\nstages:\n  main: {}\n",
        )
        .expect("valid");
        let mut ex = explain(std::slice::from_ref(&loaded));
        assert!(!markdown::render(&ex).contains("<details>"));
        ex.stacks[0].figures.push(Figure {
            title: "The stack as a graph".into(),
            language: "mermaid".into(),
            body: "graph TD\n  main[stage main]\n".into(),
        });
        let md = markdown::render(&ex);
        assert!(
            md.contains("<details><summary>The stack as a graph</summary>\n\n```mermaid\ngraph TD\n  main[stage main]\n```\n\n</details>\n"),
            "{md}"
        );
        // Above the details of the stack.
        assert!(md.find("```mermaid").unwrap() < md.find("### Stages").unwrap());
        assert!(!text::render(&ex).contains("mermaid"));
    }
}
