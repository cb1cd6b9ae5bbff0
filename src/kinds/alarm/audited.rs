//! The alarm kind's audit-side facts (see [`crate::kinds::audited`]).

use serde_json::{Value, json};

use super::Alarm;
use super::aws::{DEFAULT_EVALUATION_PERIODS, DEFAULT_PERIOD, DEFAULT_TREAT_MISSING};
use crate::kinds::Resource;
use crate::kinds::audited::{Audited, Cfn, Mode, Permission, Scope, field, non_empty, tag_list};

impl Audited for Alarm {
    // No field of an alarm is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
    const CFN_TYPE: &'static str = "AWS::CloudWatch::Alarm";
    const CFN_ARN_ATTRIBUTE: Option<&'static str> = Some("Arn");

    fn cloudformation(desired: &Resource) -> Cfn {
        let spec = &desired.spec;
        let mut cfn = Cfn::default();
        cfn.put("AlarmName", field(spec, "name"));
        cfn.put("AlarmDescription", field(spec, "description"));
        cfn.put("Namespace", field(spec, "namespace"));
        cfn.put("MetricName", field(spec, "metric"));
        cfn.put(
            "Dimensions",
            non_empty(spec, "dimensions").map(|d| {
                Value::Array(
                    d.as_array()
                        .into_iter()
                        .flatten()
                        .map(|x| json!({"Name": x["name"], "Value": x["value"]}))
                        .collect(),
                )
            }),
        );
        cfn.put("Statistic", field(spec, "statistic"));
        cfn.put("ComparisonOperator", field(spec, "comparison"));
        cfn.put("Threshold", field(spec, "threshold"));
        // What ivstack's PutMetricAlarm sends when the file leaves them out.
        cfn.put(
            "Period",
            Some(field(spec, "period_seconds").unwrap_or(json!(DEFAULT_PERIOD))),
        );
        cfn.put(
            "EvaluationPeriods",
            Some(field(spec, "evaluation_periods").unwrap_or(json!(DEFAULT_EVALUATION_PERIODS))),
        );
        cfn.put("DatapointsToAlarm", field(spec, "datapoints_to_alarm"));
        cfn.put(
            "TreatMissingData",
            Some(field(spec, "treat_missing_data").unwrap_or(json!(DEFAULT_TREAT_MISSING))),
        );
        cfn.put("AlarmActions", non_empty(spec, "alarm_actions"));
        cfn.put("OKActions", non_empty(spec, "ok_actions"));
        cfn.put(
            "InsufficientDataActions",
            non_empty(spec, "insufficient_data_actions"),
        );
        cfn.put("Tags", Some(tag_list(&desired.tags)));
        cfn
    }

    fn permissions(scope: &Scope<'_>) -> Vec<Permission> {
        // Observation asks for the `<stack>-` name prefix and the file's other names.
        let mine = scope.names(
            &format!(
                "arn:aws:cloudwatch:{}:{}:alarm:",
                scope.stack.region, scope.account
            ),
            scope.stack.alarms.values().filter_map(|a| a.name.clone()),
        );
        let mut out = vec![Permission::new(
            Mode::Plan,
            &[
                "cloudwatch:DescribeAlarms",
                "cloudwatch:ListTagsForResource",
            ],
            mine.clone(),
        )];
        if scope.declared {
            out.push(Permission::new(
                Mode::Apply,
                &[
                    "cloudwatch:PutMetricAlarm",
                    "cloudwatch:DeleteAlarms",
                    "cloudwatch:TagResource",
                    "cloudwatch:UntagResource",
                ],
                mine,
            ));
        }
        out
    }
}
