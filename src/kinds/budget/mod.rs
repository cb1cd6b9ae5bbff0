//! AWS Budgets cost budgets scoped to IVS spend (`budgets.<id>`).
//!
//! Budgets are global (us-east-1) and identified by name in the account, so renaming
//! replaces one. Amounts are compared as numbers (`500` = `"500.0"` = `"5E+2"`).

mod audited;
mod aws;
pub mod model;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

pub use model::{Budget, BudgetPeriod, BudgetScope, IVS_SERVICE_NAME};

use super::{Attribute, FieldRef, Kind, Known, LiveRef, Names, Resource, ResourceKind, Service};
use crate::aws::Aws;
use crate::stack::model::StackFile;
use crate::stack::validate::{self, Validator};

impl ResourceKind for Budget {
    const KIND: Kind = Kind::Budget;
    const NOUN: &'static str = "budget";
    const SERVICE: Service = Service::Budgets;
    // Budgets are identified by name.
    const REPLACE_FIELDS: &'static [&'static str] = &["name"];
    const ATTRIBUTES: &'static [Attribute] = &[Attribute::Arn];
    const NAME_MAX: usize = 100;
    const NAMES: Names = Names::Unique;
    const MAX_TAGS: usize = validate::MAX_BUDGET_TAGS;
    const UNOBSERVED: &'static [&'static str] = &[];

    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    fn protect(&self) -> bool {
        self.protect
    }

    fn references(&self) -> Vec<FieldRef> {
        Vec::new()
    }

    /// A budget counts spend, not a resource: the stack's own (by its tag) or the
    /// account's.
    fn covers_stack(&self) -> Option<&'static str> {
        let scope = self.scope.clone().unwrap_or_default();
        Some(if scope.stack_tag {
            "spend tagged with the stack"
        } else {
            "spend of the whole account"
        })
    }

    fn spec(&self, stack: &StackFile, _id: &str, _known: &Known) -> Map<String, Value> {
        let mut spec = Map::new();
        spec.insert("limit_usd".into(), json!(self.limit_usd));
        spec.insert(
            "period".into(),
            json!(self.period.unwrap_or(BudgetPeriod::Monthly).as_str()),
        );
        let scope = self.scope.clone().unwrap_or_default();
        spec.insert(
            "scope".into(),
            scope_spec(
                scope.service.as_deref().unwrap_or(IVS_SERVICE_NAME),
                scope.stack_tag.then_some(stack.stack.as_str()),
            ),
        );
        let mut subscribers: Vec<String> =
            self.emails.iter().map(|e| format!("email:{e}")).collect();
        if let Some(sns) = &self.sns_topic_arn {
            subscribers.push(format!("sns:{sns}"));
        }
        let actual = self
            .notify_percent
            .clone()
            .unwrap_or_else(|| DEFAULT_NOTIFY_PERCENT.to_vec());
        let mut notes: Vec<Value> = Vec::new();
        for (kind, percents) in [("ACTUAL", &actual), ("FORECASTED", &self.forecast_percent)] {
            for p in percents {
                notes.push(notification(kind, *p, subscribers.clone()));
            }
        }
        spec.insert(
            "notifications".into(),
            Value::Array(sort_notifications(notes)),
        );
        spec
    }

    fn validate(&self, v: &mut Validator<'_>, stack: &StackFile, id: &str) {
        validate::budget_rules(v, stack, id, self);
    }

    fn policy_arn_example(_region: &str, _account: &str) -> Option<String> {
        None
    }

    fn live_references(_live: &Resource) -> Vec<LiveRef> {
        Vec::new()
    }

    async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
        aws::observe(aws, stack).await
    }

    // Nothing holds on to a budget.
    async fn users_outside(
        _aws: &Aws,
        _stack: &StackFile,
        _observed: &[Resource],
        _going: &[&Resource],
    ) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
        Ok(BTreeMap::new())
    }

    async fn create(aws: &Aws, _stack: &str, desired: &Resource) -> anyhow::Result<String> {
        aws::create(aws, desired).await
    }

    async fn update(aws: &Aws, desired: &Resource, live: &Resource) -> anyhow::Result<()> {
        aws::update(aws, desired, live).await
    }

    async fn delete(aws: &Aws, live: &Resource) -> anyhow::Result<()> {
        aws::delete(aws, live).await
    }

    async fn discover(aws: &Aws, wanted: &super::Wanted) -> anyhow::Result<Vec<Resource>> {
        aws::discover(aws, wanted).await
    }

    fn render(
        live: &Resource,
        _ids: &super::LogicalIds,
        notes: &mut Vec<String>,
    ) -> Result<Self, String> {
        let s = &live.spec;
        let scope = &s["scope"];
        if scope.get("stack_tag").is_some() {
            return Err(
                "it is scoped to the costs of an ivstack stack's tag, which belongs to the \
                 stack that made it"
                    .into(),
            );
        }
        let mut actual = Vec::new();
        let mut forecast = Vec::new();
        let mut subscribers: Option<Vec<String>> = None;
        for n in s["notifications"].as_array().into_iter().flatten() {
            let percent = n["percent"].as_f64().unwrap_or(0.0);
            match n["type"].as_str() {
                Some("FORECASTED") => forecast.push(percent),
                _ => actual.push(percent),
            }
            let subs: Vec<String> =
                serde_json::from_value(n["subscribers"].clone()).unwrap_or_default();
            match &subscribers {
                None => subscribers = Some(subs),
                Some(first) if *first != subs => {
                    return Err(
                        "its notifications have different subscribers; a stack file \
                                gives every notification the same ones"
                            .into(),
                    );
                }
                Some(_) => {}
            }
        }
        let subs = subscribers.unwrap_or_default();
        let emails: Vec<String> = subs
            .iter()
            .filter_map(|x| x.strip_prefix("email:"))
            .map(str::to_string)
            .collect();
        let sns: Vec<&str> = subs.iter().filter_map(|x| x.strip_prefix("sns:")).collect();
        if sns.len() > 1 {
            return Err("it notifies several SNS topics; a stack file names one".into());
        }
        if s["notifications"].as_array().is_some_and(|n| n.is_empty()) {
            notes.push("it has no notifications: `notify_percent: []` keeps it so".into());
        }
        let period: Option<BudgetPeriod> = serde_json::from_value(s["period"].clone()).ok();
        Ok(Budget {
            name: Some(live.name().to_string()),
            limit_usd: s["limit_usd"].as_f64().unwrap_or(0.0),
            period: period.filter(|p| *p != BudgetPeriod::Monthly),
            notify_percent: (actual.as_slice() != DEFAULT_NOTIFY_PERCENT).then_some(actual),
            forecast_percent: forecast,
            emails,
            sns_topic_arn: sns.first().map(|t| t.to_string()),
            scope: None,
            tags: super::discover::own_tags(&live.tags),
            protect: false,
        })
    }

    async fn adopt(
        aws: &Aws,
        live: &Resource,
        tags: &BTreeMap<String, String>,
    ) -> anyhow::Result<()> {
        aws::adopt(aws, live, tags).await
    }
}

/// ACTUAL-spend thresholds used when the file names none.
pub const DEFAULT_NOTIFY_PERCENT: [f64; 2] = [80.0, 100.0];

/// The normalised scope: the service filter and the optional stack tag filter.
pub fn scope_spec(service: &str, stack_tag: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("service".into(), json!(service));
    if let Some(stack) = stack_tag {
        m.insert("stack_tag".into(), json!(stack));
    }
    Value::Object(m)
}

/// One notification in normalised form: `{type, percent, subscribers (sorted)}`.
pub fn notification(kind: &str, percent: f64, mut subscribers: Vec<String>) -> Value {
    subscribers.sort();
    subscribers.dedup();
    json!({"type": kind, "percent": percent, "subscribers": subscribers})
}

/// Notifications are a set; sort them so that order never shows as a change.
pub fn sort_notifications(mut notes: Vec<Value>) -> Vec<Value> {
    notes.sort_by_key(|n| {
        (
            n["type"].as_str().unwrap_or("").to_string(),
            // Percentages are small positive numbers; scale to sort as integers.
            (n["percent"].as_f64().unwrap_or(0.0) * 1000.0) as i64,
        )
    });
    notes
}

/// Budgets echoes amounts as decimal strings ("500.0", sometimes "5E+2"): compare them as
/// numbers.
pub fn parse_amount(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A plain decimal string for the API (never scientific notation, which UpdateBudget
/// rejects).
pub fn format_amount(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
