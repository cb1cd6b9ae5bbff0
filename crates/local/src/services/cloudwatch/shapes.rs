//! CloudWatch's input shapes, from the service model (botocore `cloudwatch/2010-08-01`).
//! A few members newer than that model, which current SDKs already send, are kept as sent.

use crate::shape::{
    Pattern, Shape, any_string, enumeration, int, list, member, pattern, required, string,
};

pub static ANY_STRING: Shape = any_string();
static NAME_255: Shape = string(1, 255);
static ALARM_DESCRIPTION: Shape = string(0, 1024);
static RESOURCE_NAME: Shape = string(1, 1024);
static RESOURCE_LIST: Shape = list(&RESOURCE_NAME, 0, Some(5));
static NAMESPACE: Shape = pattern(
    1,
    Some(255),
    Pattern {
        regex: "[^:].*",
        test: |s| !s.starts_with(':'),
    },
);
static STATISTIC: Shape = enumeration(&["SampleCount", "Average", "Sum", "Minimum", "Maximum"]);
static UNIT: Shape = enumeration(&[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
]);
static COMPARISON_OPERATOR: Shape = enumeration(&[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
]);
pub static ANOMALY_OPERATORS: &[&str] = &[
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];
static STATE_VALUE: Shape = enumeration(&["OK", "ALARM", "INSUFFICIENT_DATA"]);
static ALARM_TYPE: Shape = enumeration(&["CompositeAlarm", "MetricAlarm"]);
static POSITIVE_INT: Shape = int(Some(1), None);
static EVALUATION_INTERVAL: Shape = int(Some(10), Some(3600));
static MAX_RECORDS: Shape = int(Some(1), Some(100));
static DOUBLE: Shape = Shape::Double {
    min: None,
    max: None,
};
static BOOL: Shape = Shape::Bool;
static ANY: Shape = Shape::Any;
static DIMENSION_VALUE: Shape = string(1, 1024);
static DIMENSION: Shape = Shape::Struct(&[
    required("Name", &NAME_255),
    required("Value", &DIMENSION_VALUE),
]);
static DIMENSIONS: Shape = list(&DIMENSION, 0, Some(30));
static TAG_KEY: Shape = string(1, 128);
static TAG_VALUE: Shape = string(0, 256);
static TAG: Shape = Shape::Struct(&[required("Key", &TAG_KEY), required("Value", &TAG_VALUE)]);
static TAG_LIST: Shape = list(&TAG, 0, None);
static TAG_KEY_LIST: Shape = list(&TAG_KEY, 0, None);
static METRIC: Shape = Shape::Struct(&[
    member("Namespace", &NAMESPACE),
    member("MetricName", &NAME_255),
    member("Dimensions", &DIMENSIONS),
]);
static METRIC_STAT: Shape = Shape::Struct(&[
    required("Metric", &METRIC),
    required("Period", &POSITIVE_INT),
    required("Stat", &ANY_STRING),
    member("Unit", &UNIT),
]);
static EXPRESSION: Shape = string(1, 2048);
static METRIC_DATA_QUERY: Shape = Shape::Struct(&[
    required("Id", &NAME_255),
    member("MetricStat", &METRIC_STAT),
    member("Expression", &EXPRESSION),
    member("Label", &ANY_STRING),
    member("ReturnData", &BOOL),
    member("Period", &POSITIVE_INT),
    member("AccountId", &NAME_255),
]);
static METRIC_DATA_QUERIES: Shape = list(&METRIC_DATA_QUERY, 0, None);
static PROMQL_QUERY: Shape = string(1, 10000);
static PENDING_PERIOD: Shape = int(Some(0), Some(86400));
static PROMQL_CRITERIA: Shape = Shape::Struct(&[
    required("Query", &PROMQL_QUERY),
    member("PendingPeriod", &PENDING_PERIOD),
    member("RecoveryPeriod", &PENDING_PERIOD),
]);
static EVALUATION_CRITERIA: Shape = Shape::Struct(&[member("PromQLCriteria", &PROMQL_CRITERIA)]);
static ALARM_NAMES: Shape = list(&NAME_255, 0, Some(100));
static ALARM_TYPES: Shape = list(&ALARM_TYPE, 0, None);
static ACTION_PREFIX: Shape = string(1, 1024);
static STATE_REASON: Shape = string(0, 1023);
static STATE_REASON_DATA: Shape = string(0, 4000);

pub static PUT_METRIC_ALARM: Shape = Shape::Struct(&[
    required("AlarmName", &NAME_255),
    member("AlarmDescription", &ALARM_DESCRIPTION),
    member("ActionsEnabled", &BOOL),
    member("OKActions", &RESOURCE_LIST),
    member("AlarmActions", &RESOURCE_LIST),
    member("InsufficientDataActions", &RESOURCE_LIST),
    member("MetricName", &NAME_255),
    member("Namespace", &NAMESPACE),
    member("Statistic", &STATISTIC),
    member("ExtendedStatistic", &ANY_STRING),
    member("Dimensions", &DIMENSIONS),
    member("Period", &POSITIVE_INT),
    member("Unit", &UNIT),
    member("EvaluationPeriods", &POSITIVE_INT),
    member("DatapointsToAlarm", &POSITIVE_INT),
    member("Threshold", &DOUBLE),
    member("ComparisonOperator", &COMPARISON_OPERATOR),
    member("TreatMissingData", &NAME_255),
    member("EvaluateLowSampleCountPercentile", &NAME_255),
    member("Metrics", &METRIC_DATA_QUERIES),
    member("Tags", &TAG_LIST),
    member("ThresholdMetricId", &NAME_255),
    member("EvaluationCriteria", &EVALUATION_CRITERIA),
    member("EvaluationInterval", &EVALUATION_INTERVAL),
    // Members newer than botocore's model that the Rust SDK already sends.
    member("EvaluationWindow", &ANY),
    member("WarmUpConfiguration", &ANY),
    member("ActionConfiguration", &ANY),
]);
pub static DESCRIBE_ALARMS: Shape = Shape::Struct(&[
    member("AlarmNames", &ALARM_NAMES),
    member("AlarmNamePrefix", &NAME_255),
    member("AlarmTypes", &ALARM_TYPES),
    member("ChildrenOfAlarmName", &NAME_255),
    member("ParentsOfAlarmName", &NAME_255),
    member("StateValue", &STATE_VALUE),
    member("ActionPrefix", &ACTION_PREFIX),
    member("MaxRecords", &MAX_RECORDS),
    member("NextToken", &ANY_STRING),
]);
pub static DELETE_ALARMS: Shape = Shape::Struct(&[required("AlarmNames", &ALARM_NAMES)]);
pub static ALARM_ACTIONS_TOGGLE: Shape = Shape::Struct(&[required("AlarmNames", &ALARM_NAMES)]);
pub static TAG_RESOURCE: Shape = Shape::Struct(&[
    required("ResourceARN", &RESOURCE_NAME),
    required("Tags", &TAG_LIST),
]);
pub static UNTAG_RESOURCE: Shape = Shape::Struct(&[
    required("ResourceARN", &RESOURCE_NAME),
    required("TagKeys", &TAG_KEY_LIST),
]);
pub static LIST_TAGS: Shape = Shape::Struct(&[required("ResourceARN", &RESOURCE_NAME)]);
pub static SET_ALARM_STATE: Shape = Shape::Struct(&[
    required("AlarmName", &NAME_255),
    required("StateValue", &STATE_VALUE),
    required("StateReason", &STATE_REASON),
    member("StateReasonData", &STATE_REASON_DATA),
]);
