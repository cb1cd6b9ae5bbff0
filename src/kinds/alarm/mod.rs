//! CloudWatch alarms on `AWS/IVSRealTime` metrics (`alarms.<id>`).
//!
//! An alarm names its stage by logical id (`stage: main`), which becomes the `Stage`
//! dimension (the stage id, not its ARN). The name identifies the alarm, so renaming
//! replaces it.

mod audited;
mod aws;
pub mod model;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

pub use model::{Alarm, Comparison, Metric, Statistic, TreatMissingData};

use super::{
    Attribute, FieldRef, Kind, Known, LiveRef, Names, Reference, Resource, ResourceKind, Service,
    put,
};
use crate::aws::Aws;
use crate::stack::model::StackFile;
use crate::stack::validate::{self, Validator};

/// CloudWatch namespace of every IVS Real-Time metric.
pub const NAMESPACE: &str = "AWS/IVSRealTime";

/// The dimension that names a stage.
const STAGE_DIMENSION: &str = "Stage";

impl Alarm {
    /// The stage this alarm watches, as a reference to its id.
    fn stage_ref(&self) -> Option<Reference> {
        self.stage
            .as_ref()
            .map(|s| Reference::new(Kind::Stage, s.clone(), Attribute::Id))
    }
}

impl ResourceKind for Alarm {
    const KIND: Kind = Kind::Alarm;
    const NOUN: &'static str = "alarm";
    const SERVICE: Service = Service::CloudWatch;
    // Alarms are identified by name.
    const REPLACE_FIELDS: &'static [&'static str] = &["name"];
    const ATTRIBUTES: &'static [Attribute] = &[Attribute::Arn];
    const NAME_MAX: usize = 255;
    const NAMES: Names = Names::Unique;
    const MAX_TAGS: usize = validate::MAX_TAGS;
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
        self.stage_ref()
            .map(|reference| FieldRef {
                path: "stage".into(),
                reference,
            })
            .into_iter()
            .collect()
    }

    /// Scalars the file leaves out are unmanaged (their creation defaults live in
    /// `create`); action lists are managed as a whole.
    fn spec(&self, _stack: &StackFile, _id: &str, known: &Known) -> Map<String, Value> {
        let mut spec = Map::new();
        spec.insert("namespace".into(), json!(NAMESPACE));
        spec.insert("metric".into(), json!(self.metric.as_str()));
        let dimensions = match self.stage_ref() {
            Some(r) => json!([{"name": STAGE_DIMENSION, "value": known.resolve(&r)}]),
            None => json!([]),
        };
        spec.insert("dimensions".into(), dimensions);
        spec.insert("statistic".into(), json!(self.statistic.as_str()));
        spec.insert("comparison".into(), json!(self.comparison.aws_name()));
        spec.insert("threshold".into(), json!(self.threshold));
        put(&mut spec, "period_seconds", self.period_seconds);
        put(&mut spec, "evaluation_periods", self.evaluation_periods);
        put(&mut spec, "datapoints_to_alarm", self.datapoints_to_alarm);
        put(
            &mut spec,
            "treat_missing_data",
            self.treat_missing_data.map(|t| t.as_str()),
        );
        spec.insert("alarm_actions".into(), json!(sorted(&self.alarm_actions)));
        spec.insert("ok_actions".into(), json!(sorted(&self.ok_actions)));
        spec.insert(
            "insufficient_data_actions".into(),
            json!(sorted(&self.insufficient_data_actions)),
        );
        put(&mut spec, "description", self.description.clone());
        spec
    }

    fn validate(&self, v: &mut Validator<'_>, stack: &StackFile, id: &str) {
        validate::alarm_rules(v, stack, id, self);
    }

    fn policy_arn_example(_region: &str, _account: &str) -> Option<String> {
        None
    }

    /// The stage id of its `Stage` dimension.
    fn live_references(live: &Resource) -> Vec<LiveRef> {
        live.spec
            .get("dimensions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|d| d["name"].as_str() == Some(STAGE_DIMENSION))
            .filter_map(|d| d["value"].as_str())
            .map(|value| LiveRef {
                attribute: Attribute::Id,
                value: value.to_string(),
                keeps_alive: false,
            })
            .collect()
    }

    async fn observe(aws: &Aws, stack: &StackFile) -> anyhow::Result<Vec<Resource>> {
        aws::observe(aws, stack).await
    }

    // Nothing holds on to an alarm.
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
        ids: &super::LogicalIds,
        _notes: &mut Vec<String>,
    ) -> Result<Self, String> {
        let s = &live.spec;
        let text = |k: &str| s[k].as_str().unwrap_or_default().to_string();
        let metric: Metric = serde_json::from_value(s["metric"].clone())
            .map_err(|_| format!("its metric `{}` is not one ivstack models", text("metric")))?;
        let statistic: Statistic =
            serde_json::from_value(s["statistic"].clone()).map_err(|_| {
                "its statistic (a percentile, or none) is not one ivstack models (Average, \
             Maximum, Minimum)"
                    .to_string()
            })?;
        let comparison: Comparison =
            serde_json::from_value(s["comparison"].clone()).map_err(|_| {
                format!(
                    "its comparison `{}` is not one ivstack models",
                    text("comparison")
                )
            })?;
        let mut stage = None;
        for d in s["dimensions"].as_array().into_iter().flatten() {
            let (name, value) = (
                d["name"].as_str().unwrap_or(""),
                d["value"].as_str().unwrap_or(""),
            );
            if name != STAGE_DIMENSION {
                return Err(format!(
                    "its dimension `{name}` is not one ivstack models (only `Stage`)"
                ));
            }
            let id = ids.by_attribute(Kind::Stage, Attribute::Id, value).ok_or_else(|| {
                format!("its `Stage` dimension names stage {value}, which this file does not describe")
            })?;
            stage = Some(id.to_string());
        }
        let int = |k: &str| s[k].as_i64().map(|v| v as i32);
        let evaluation = int("evaluation_periods");
        let strings =
            |k: &str| -> Vec<String> { serde_json::from_value(s[k].clone()).unwrap_or_default() };
        Ok(Alarm {
            name: Some(live.name().to_string()),
            stage,
            metric,
            statistic,
            comparison,
            threshold: s["threshold"].as_f64().unwrap_or(0.0),
            // CloudWatch's own defaults (and ivstack's) are left out.
            period_seconds: int("period_seconds").filter(|p| *p != 60),
            evaluation_periods: evaluation.filter(|e| *e != 1),
            datapoints_to_alarm: int("datapoints_to_alarm").filter(|d| Some(*d) != evaluation),
            treat_missing_data: serde_json::from_value(s["treat_missing_data"].clone())
                .ok()
                .filter(|t| *t != TreatMissingData::Missing),
            alarm_actions: strings("alarm_actions"),
            ok_actions: strings("ok_actions"),
            insufficient_data_actions: strings("insufficient_data_actions"),
            description: Some(text("description")).filter(|d| !d.is_empty()),
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

/// A set of strings as a sorted list, without duplicates.
fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use crate::stack::load_str;

    const ALARM: &str = "stack: demo\nregion: us-east-1\nstages:\n  main: {}\nalarms:\n  pubs:\nNAME    stage: main\n    metric: Publishers\n    statistic: Maximum\n    comparison: \">=\"\n    threshold: 11\n";

    #[test]
    fn a_name_outside_the_stack_prefix_is_warned_about() {
        let src = ALARM.replace("NAME", "    name: my-custom-alarm\n");
        let loaded = load_str("t.yaml", &src).expect("valid, with a warning");
        let text = loaded.warnings.render(false);
        assert!(
            text.contains("named outside the stack's `demo-` prefix"),
            "{text}"
        );
        assert!(text.contains("t.yaml:7:11"), "{text}");
    }

    #[test]
    fn default_and_prefixed_names_are_not_warned_about() {
        for name in ["", "    name: demo-publishers\n"] {
            let loaded = load_str("t.yaml", &ALARM.replace("NAME", name)).expect("valid");
            assert!(
                loaded.warnings.is_empty(),
                "{}",
                loaded.warnings.render(false)
            );
        }
    }
}
