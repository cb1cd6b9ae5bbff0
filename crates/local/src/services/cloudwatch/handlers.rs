//! CloudWatch's operations. Semantics follow the API reference and the service model:
//! PutMetricAlarm creates or completely overwrites an alarm (state and tags are kept on
//! update), new alarms start in `INSUFFICIENT_DATA`, DescribeAlarms lists alarms sorted by
//! name, DeleteAlarms deletes the names it knows and reports the others as
//! `ResourceNotFound`. Alarms are regional.

use std::collections::BTreeMap;

use super::shapes::ANOMALY_OPERATORS;
use super::state::{Alarm, RegionAlarms};
use crate::api::ApiError;
use crate::document::Document;
use crate::paging;
use crate::service::Ctx;
use crate::tags::{self, TagFormat, TagRules, TagStore, Tagging};

/// Tags per alarm.
const MAX_TAGS: usize = 50;

// ---------------------------------------------------------------------------------------
// Errors: the JSON / CBOR shape name, and the awsQuery code where it differs.

fn err(status: u16, shape: &str, query: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, shape, message).with_query_code(query)
}

/// Semantic violations AWS reports as `ValidationError` (not a modeled shape).
fn validation(message: impl Into<String>) -> ApiError {
    super::SERVICE.validation.error(message)
}

fn invalid_combination(message: impl Into<String>) -> ApiError {
    err(
        400,
        "InvalidParameterCombinationException",
        "InvalidParameterCombination",
        message,
    )
}

fn invalid_value(message: impl Into<String>) -> ApiError {
    err(
        400,
        "InvalidParameterValueException",
        "InvalidParameterValue",
        message,
    )
}

fn not_found_exception(arn: &str) -> ApiError {
    err(
        404,
        "ResourceNotFoundException",
        "ResourceNotFoundException",
        format!("The resource {arn} does not exist."),
    )
}

// ---------------------------------------------------------------------------------------
// Tags

pub static TAGGING: Tagging = Tagging {
    rules: TagRules {
        max_tags: MAX_TAGS,
        case_insensitive_keys: false,
        reserved: Some(|k| {
            invalid_value(format!(
                "Invalid tag key '{k}': keys starting with 'aws:' are reserved for AWS use."
            ))
        }),
        reserved_on_untag: false,
        duplicate: None,
        too_many: |n| {
            invalid_value(format!(
                "A resource can have at most {MAX_TAGS} tags; this request would leave {n}."
            ))
        },
    },
    format: TagFormat::List,
    arn_member: "ResourceARN",
    tags_member: "Tags",
    keys_member: "TagKeys",
    find: alarm_tags,
};

/// The tags of the alarm an ARN names in this Region and account.
fn alarm_tags<'a>(ctx: &'a mut Ctx<'_>, arn: &str) -> Result<&'a mut dyn TagStore, ApiError> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" || parts[2].is_empty() {
        return Err(invalid_value(format!("Invalid ARN: {arn}")));
    }
    if parts[2] != "cloudwatch"
        || parts[3] != ctx.region
        || parts[4] != ctx.account_id
        || parts.len() != 7
        || parts[5] != "alarm"
    {
        return Err(not_found_exception(arn));
    }
    ctx.state
        .cloudwatch
        .regions
        .get_mut(ctx.region)
        .and_then(|r| r.alarms.get_mut(parts[6]))
        .filter(|a| a.arn == arn)
        .map(|a| &mut a.tags as &mut dyn TagStore)
        .ok_or_else(|| not_found_exception(arn))
}

pub fn tag_resource(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    tags::tag_resource(ctx, &input, &TAGGING).map(|()| Document::map())
}

pub fn untag_resource(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    tags::untag_resource(ctx, &input, &TAGGING).map(|()| Document::map())
}

pub fn list_tags_for_resource(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let tags = tags::list(ctx, &input, &TAGGING)?;
    Ok(Document::from_pairs([(
        "Tags",
        tags::to_document(&tags, TagFormat::List),
    )]))
}

// ---------------------------------------------------------------------------------------
// Alarms

/// Run `f` on the request Region's alarms; a Region left without alarms is dropped, so
/// reads leave no empty entries in the persisted state.
fn in_region<T>(
    ctx: &mut Ctx<'_>,
    f: impl FnOnce(&mut RegionAlarms, &Scope<'_>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let scope = Scope {
        region: ctx.region,
        account: ctx.account_id,
        now: ctx.now as f64,
    };
    let regions = &mut ctx.state.cloudwatch.regions;
    let region = regions.entry(ctx.region.to_string()).or_default();
    let result = f(region, &scope);
    if region.alarms.is_empty() {
        regions.remove(ctx.region);
    }
    result
}

struct Scope<'a> {
    region: &'a str,
    account: &'a str,
    now: f64,
}

impl Scope<'_> {
    fn alarm_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:cloudwatch:{}:{}:alarm:{name}",
            self.region, self.account
        )
    }
}

/// Members of the model's `MetricAlarm` output shape that echo the PutMetricAlarm input.
const ECHOED_MEMBERS: &[&str] = &[
    "AlarmName",
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
    "EvaluationCriteria",
    "EvaluationInterval",
    "EvaluationWindow",
    "WarmUpConfiguration",
    "ActionConfiguration",
];

fn valid_extended_statistic(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix('p')
        && let Ok(p) = rest.parse::<f64>()
    {
        return (0.0..=100.0).contains(&p) && !rest.is_empty();
    }
    ["tm", "wm", "tc", "ts", "pr", "iqm"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
        || lower == "iqm"
}

fn check_period(period: i64) -> Result<(), ApiError> {
    if matches!(period, 10 | 20 | 30) || (period > 0 && period % 60 == 0) {
        Ok(())
    } else {
        Err(validation(format!(
            "Invalid value {period} for Period: the period must be 10, 20, 30 or a multiple of 60 seconds."
        )))
    }
}

/// The cross-field rules of PutMetricAlarm (API reference, "PutMetricAlarm").
fn check_alarm(input: &Document) -> Result<(), ApiError> {
    let has = |name: &str| input.get(name).is_some();
    let single_metric = has("MetricName");
    let metrics = input.get_list("Metrics");
    let promql = input
        .get("EvaluationCriteria")
        .and_then(|c| c.get("PromQLCriteria"))
        .is_some();

    if has("Metrics") {
        for field in [
            "MetricName",
            "Namespace",
            "Dimensions",
            "Period",
            "Statistic",
            "ExtendedStatistic",
        ] {
            if has(field) {
                return Err(validation(format!(
                    "{field} should not be set if list of Metrics is set."
                )));
            }
        }
        if metrics.is_empty() {
            return Err(validation("The list of Metrics must not be empty."));
        }
        let mut stats = 0;
        let mut returned = 0;
        for q in metrics {
            let id = q.get_str("Id").unwrap_or_default();
            match (q.get("MetricStat").is_some(), q.get("Expression").is_some()) {
                (true, true) | (false, false) => {
                    return Err(validation(format!(
                        "Exactly one of MetricStat and Expression must be set for the metric with id {id}."
                    )));
                }
                (true, false) => stats += 1,
                _ => {}
            }
            if let Some(p) = q
                .get("MetricStat")
                .and_then(|s| s.get_i64("Period"))
                .or_else(|| q.get_i64("Period"))
            {
                check_period(p)?;
            }
            if q.get("ReturnData")
                .and_then(Document::as_bool)
                .unwrap_or(true)
            {
                returned += 1;
            }
        }
        // CloudWatch User Guide quotas: "Alarms based on metric math expressions can have up
        // to 10 metrics."
        if stats > 10 {
            return Err(validation(
                "Alarms based on metric math expressions can have up to 10 metrics.",
            ));
        }
        let anomaly = input
            .get_str("ComparisonOperator")
            .is_some_and(|op| ANOMALY_OPERATORS.contains(&op));
        if returned != 1 && !(anomaly && returned == 2) {
            return Err(validation(
                "Exactly one element of the Metrics list must have ReturnData set to true.",
            ));
        }
    } else if single_metric {
        if !has("Namespace") {
            return Err(validation("Namespace must not be null"));
        }
        match (has("Statistic"), has("ExtendedStatistic")) {
            (true, true) | (false, false) => {
                return Err(validation(
                    "Exactly one of Statistic or ExtendedStatistic must be specified.",
                ));
            }
            _ => {}
        }
        if let Some(ext) = input.get_str("ExtendedStatistic")
            && !valid_extended_statistic(ext)
        {
            return Err(validation(format!(
                "The value {ext} for parameter ExtendedStatistic is not supported."
            )));
        }
        match input.get_i64("Period") {
            None => return Err(validation("Period must not be null")),
            Some(p) => check_period(p)?,
        }
    } else if !promql {
        return Err(validation("MetricName must not be null"));
    } else if has("Namespace") || has("Statistic") || has("ExtendedStatistic") {
        return Err(validation(
            "Namespace, Statistic and ExtendedStatistic must not be set with EvaluationCriteria.",
        ));
    }

    if !promql {
        let Some(evaluation_periods) = input.get_i64("EvaluationPeriods") else {
            return Err(validation("EvaluationPeriods must not be null"));
        };
        if input
            .get_i64("DatapointsToAlarm")
            .is_some_and(|d| d > evaluation_periods)
        {
            return Err(validation(
                "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
            ));
        }
        // "An alarm's total current evaluation period can be no longer than seven days …
        // For alarms with a period of less than one hour, … one day."
        let period = input.get_i64("Period").or_else(|| {
            input.get_list("Metrics").iter().find_map(|q| {
                q.get("MetricStat")
                    .and_then(|s| s.get_i64("Period"))
                    .or_else(|| q.get_i64("Period"))
            })
        });
        if let Some(period) = period {
            let total = period.saturating_mul(evaluation_periods);
            let limit = if period < 3600 { 86_400 } else { 604_800 };
            if total > limit {
                return Err(validation(format!(
                    "The evaluation period (Period x EvaluationPeriods = {total} seconds) must not exceed {limit} seconds."
                )));
            }
        }
        let Some(op) = input.get_str("ComparisonOperator") else {
            return Err(validation("ComparisonOperator must not be null"));
        };
        if ANOMALY_OPERATORS.contains(&op) {
            if !has("ThresholdMetricId") {
                return Err(validation(format!(
                    "ThresholdMetricId must be set for the comparison operator {op}."
                )));
            }
            if has("Threshold") {
                return Err(validation(format!(
                    "Threshold must not be set for the comparison operator {op}."
                )));
            }
        } else {
            if !has("Threshold") {
                return Err(validation(format!(
                    "Threshold must be set for the comparison operator {op}."
                )));
            }
            if has("ThresholdMetricId") {
                return Err(validation(
                    "ThresholdMetricId can only be used with anomaly detection comparison operators.",
                ));
            }
        }
    }

    if let Some(t) = input.get_str("TreatMissingData")
        && !["breaching", "notBreaching", "ignore", "missing"].contains(&t)
    {
        return Err(validation(format!(
            "Invalid value '{t}' for TreatMissingData: valid values are breaching, notBreaching, ignore and missing."
        )));
    }
    if let Some(e) = input.get_str("EvaluateLowSampleCountPercentile")
        && !["evaluate", "ignore"].contains(&e)
    {
        return Err(validation(format!(
            "Invalid value '{e}' for EvaluateLowSampleCountPercentile: valid values are evaluate and ignore."
        )));
    }
    for list in ["OKActions", "AlarmActions", "InsufficientDataActions"] {
        for action in input.get_strings(list) {
            if !action.starts_with("arn:") || action.split(':').count() < 6 {
                return Err(validation(format!("Invalid arn syntax: {action}")));
            }
        }
    }
    let tags = tags::read(input, "Tags", TagFormat::List);
    if tags.len() > MAX_TAGS {
        return Err(validation(format!(
            "The number of tags ({}) exceeds the limit of {MAX_TAGS}.",
            tags.len()
        )));
    }
    tags::check_new(&tags, &TAGGING.rules)
}

pub fn put_metric_alarm(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    check_alarm(&input)?;
    in_region(ctx, |region, scope| {
        let name = input.get_str("AlarmName").unwrap_or_default().to_string();
        let tags = tags::read(&input, "Tags", TagFormat::List);
        let mut config = input.as_map().cloned().unwrap_or_default();
        config.remove("Tags");
        match region.alarms.get_mut(&name) {
            // "When you update an existing alarm, its state is left unchanged, but the update
            // completely overwrites the previous configuration" — and tags are ignored.
            Some(alarm) => {
                alarm.config = config;
                alarm.configuration_updated = scope.now;
            }
            None => {
                // CloudWatch documents no quota on the number of alarms ("You can create as
                // many alarms as you want"), so LimitExceeded is never returned here.
                let tags = tags::merge(Vec::new(), tags, &TAGGING.rules)?;
                region.alarms.insert(
                    name.clone(),
                    Alarm {
                        config,
                        arn: scope.alarm_arn(&name),
                        state_value: "INSUFFICIENT_DATA".to_string(),
                        state_reason: "Unchecked: Initial alarm creation".to_string(),
                        state_reason_data: None,
                        state_updated: scope.now,
                        state_transitioned: scope.now,
                        configuration_updated: scope.now,
                        tags,
                    },
                );
            }
        }
        Ok(Document::unit())
    })
}

fn alarm_value(alarm: &Alarm) -> Document {
    let mut out: BTreeMap<String, Document> = ECHOED_MEMBERS
        .iter()
        .filter_map(|k| alarm.config.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    // Members AWS always returns, with their defaults.
    out.entry("ActionsEnabled".into())
        .or_insert(Document::Bool(true));
    for list in [
        "OKActions",
        "AlarmActions",
        "InsufficientDataActions",
        "Dimensions",
    ] {
        out.entry(list.into()).or_insert(Document::List(Vec::new()));
    }
    out.insert("AlarmArn".into(), Document::str(&alarm.arn));
    out.insert(
        "AlarmConfigurationUpdatedTimestamp".into(),
        Document::Timestamp(alarm.configuration_updated),
    );
    out.insert("StateValue".into(), Document::str(&alarm.state_value));
    out.insert("StateReason".into(), Document::str(&alarm.state_reason));
    if let Some(data) = &alarm.state_reason_data {
        out.insert("StateReasonData".into(), Document::str(data));
    }
    out.insert(
        "StateUpdatedTimestamp".into(),
        Document::Timestamp(alarm.state_updated),
    );
    out.insert(
        "StateTransitionedTimestamp".into(),
        Document::Timestamp(alarm.state_transitioned),
    );
    Document::Map(out)
}

pub fn describe_alarms(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let names = input
        .get("AlarmNames")
        .map(|_| input.get_strings("AlarmNames"));
    let prefix = input.get_str("AlarmNamePrefix");
    let children = input.get_str("ChildrenOfAlarmName");
    let parents = input.get_str("ParentsOfAlarmName");
    if names.is_some() && prefix.is_some() {
        return Err(invalid_combination(
            "AlarmNames and AlarmNamePrefix cannot be specified together.",
        ));
    }
    if children.is_some() || parents.is_some() {
        let others = [
            "AlarmNames",
            "AlarmNamePrefix",
            "StateValue",
            "ActionPrefix",
            "AlarmTypes",
        ]
        .iter()
        .any(|k| input.get(k).is_some());
        if others || (children.is_some() && parents.is_some()) {
            return Err(invalid_combination(
                "ChildrenOfAlarmName and ParentsOfAlarmName can only be combined with MaxRecords and NextToken.",
            ));
        }
    }
    let types = input.get_strings("AlarmTypes");
    let want_metric = input.get("AlarmTypes").is_none() || types.iter().any(|t| t == "MetricAlarm");
    let max = input.get_i64("MaxRecords").unwrap_or(50) as usize;
    let state = input.get_str("StateValue");
    let action_prefix = input.get_str("ActionPrefix");
    // Composite alarms are not emulated, so the parent/child relations are always empty.
    let relation_query = children.is_some() || parents.is_some();
    let empty = RegionAlarms::default();
    let region = ctx
        .state
        .cloudwatch
        .regions
        .get(ctx.region)
        .unwrap_or(&empty);
    let matching = region.alarms.iter().filter(|(name, a)| {
        want_metric
            && !relation_query
            && names.as_ref().is_none_or(|n| n.iter().any(|x| x == *name))
            && prefix.is_none_or(|p| name.starts_with(p))
            && state.is_none_or(|s| a.state_value == s)
            && action_prefix.is_none_or(|p| {
                ["OKActions", "AlarmActions", "InsufficientDataActions"]
                    .iter()
                    .flat_map(|l| a.config.get(*l).and_then(Document::as_list).unwrap_or(&[]))
                    .any(|v| v.as_str().is_some_and(|s| s.starts_with(p)))
            })
    });
    let (page, next) = paging::by_key(
        matching.map(|(name, a)| (name.clone(), a)),
        "alarms",
        input.get_str("NextToken"),
        max,
        || {
            err(
                400,
                "InvalidNextToken",
                "InvalidNextToken",
                "The service returned an invalid next token.",
            )
        },
    )?;
    Ok(Document::from_pairs([
        (
            "MetricAlarms",
            Document::List(page.into_iter().map(alarm_value).collect()),
        ),
        ("CompositeAlarms", Document::List(Vec::new())),
        ("NextToken", Document::opt_str(next)),
    ]))
}

pub fn delete_alarms(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    in_region(ctx, |region, _| {
        // "If you specify any incorrect alarm names, the alarms you specify with correct
        // names are still deleted."
        let missing: Vec<String> = input
            .get_strings("AlarmNames")
            .into_iter()
            .filter(|n| region.alarms.remove(n).is_none())
            .collect();
        if missing.is_empty() {
            Ok(Document::unit())
        } else {
            Err(err(
                404,
                "ResourceNotFound",
                "ResourceNotFound",
                format!(
                    "{} alarm(s) not found: [{}]",
                    missing.len(),
                    missing.join(", ")
                ),
            ))
        }
    })
}

pub fn set_alarm_state(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let name = input.get_str("AlarmName").unwrap_or_default();
    let data = input.get_str("StateReasonData");
    if let Some(d) = data
        && serde_json::from_str::<serde_json::Value>(d).is_err()
    {
        return Err(err(
            400,
            "InvalidFormatFault",
            "InvalidFormat",
            "StateReasonData is not valid JSON.",
        ));
    }
    let now = ctx.now as f64;
    let Some(alarm) = ctx
        .state
        .cloudwatch
        .regions
        .get_mut(ctx.region)
        .and_then(|r| r.alarms.get_mut(name))
    else {
        return Err(err(
            404,
            "ResourceNotFound",
            "ResourceNotFound",
            format!("Alarm {name} not found"),
        ));
    };
    let new_state = input.get_str("StateValue").unwrap_or_default().to_string();
    if alarm.state_value != new_state {
        alarm.state_transitioned = now;
    }
    alarm.state_value = new_state;
    alarm.state_reason = input.get_str("StateReason").unwrap_or_default().to_string();
    alarm.state_reason_data = data.map(str::to_string);
    alarm.state_updated = now;
    Ok(Document::unit())
}

pub fn enable_alarm_actions(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    toggle_actions(ctx, &input, true)
}

pub fn disable_alarm_actions(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    toggle_actions(ctx, &input, false)
}

/// Unknown names are ignored, as AWS does.
fn toggle_actions(
    ctx: &mut Ctx<'_>,
    input: &Document,
    enabled: bool,
) -> Result<Document, ApiError> {
    if let Some(region) = ctx.state.cloudwatch.regions.get_mut(ctx.region) {
        for name in input.get_strings("AlarmNames") {
            if let Some(alarm) = region.alarms.get_mut(&name) {
                alarm
                    .config
                    .insert("ActionsEnabled".to_string(), Document::Bool(enabled));
            }
        }
    }
    Ok(Document::unit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_statistics() {
        assert!(valid_extended_statistic("p99"));
        assert!(valid_extended_statistic("TM(10%:90%)"));
        assert!(!valid_extended_statistic("p101"));
        assert!(!valid_extended_statistic("median"));
    }
}
