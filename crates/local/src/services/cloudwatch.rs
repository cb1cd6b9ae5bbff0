//! CloudWatch metric alarms, as the local endpoint serves them (signing name `monitoring`).
//!
//! One handler per operation works on a protocol-neutral [`Value`]; the three wire protocols
//! current SDKs speak to CloudWatch are decoded into it and rendered from it:
//! Smithy RPC v2 CBOR (the Rust, Go and Java SDKs), AWS JSON 1.0 (botocore / boto3 / the AWS
//! CLI) and awsQuery (older SDKs). CloudWatch is `awsQueryCompatible`, so JSON and CBOR errors
//! carry the legacy query code in `x-amzn-query-error`; the SDKs read the code from there.
//!
//! Semantics follow the API reference and the service model (botocore `cloudwatch/2010-08-01`):
//! PutMetricAlarm creates or completely overwrites an alarm (state and tags are kept on
//! update), new alarms start in `INSUFFICIENT_DATA`, DescribeAlarms lists alarms sorted by
//! name with opaque pagination tokens, DeleteAlarms deletes the names it knows and reports the
//! others as `ResourceNotFound`. Alarms are regional.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, Context, Protocol, Request, Response, Route, Service};
use crate::state::LocalState;
use crate::wire::cbor::{self, Value};

/// The Smithy service shape name: the JSON target prefix and the CBOR path segment.
pub const TARGET_PREFIX: &str = "GraniteServiceVersion20100801";
const XMLNS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";
const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// Operations this emulator serves.
pub const OPERATIONS: &[&str] = &[
    "PutMetricAlarm",
    "DescribeAlarms",
    "DeleteAlarms",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "SetAlarmState",
    "EnableAlarmActions",
    "DisableAlarmActions",
];

/// Documented request-rate quotas, per Region (CloudWatch User Guide, "CloudWatch service
/// quotas", docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html):
/// DescribeAlarms 9 TPS; PutMetricAlarm 3 TPS; DeleteAlarms, DescribeAlarmHistory,
/// DisableAlarmActions, EnableAlarmActions and SetAlarmState 3 TPS each. The tagging
/// operations have no documented quota: we use 3 TPS, the conservative CloudWatch figure.
fn documented_tps(op: &str) -> f64 {
    match op {
        "DescribeAlarms" => 9.0,
        _ => 3.0,
    }
}

// ---------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------

/// All alarms, per Region.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CloudWatchState {
    #[serde(default)]
    pub regions: BTreeMap<String, RegionAlarms>,
}

/// The alarms of one Region, keyed (and therefore listed) by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegionAlarms {
    #[serde(default)]
    pub alarms: BTreeMap<String, Alarm>,
}

/// One metric alarm.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alarm {
    /// The PutMetricAlarm members as last sent (without `Tags`), already type-checked.
    pub config: BTreeMap<String, Value>,
    pub arn: String,
    pub state_value: String,
    pub state_reason: String,
    #[serde(default)]
    pub state_reason_data: Option<String>,
    /// Epoch seconds.
    pub state_updated: f64,
    pub state_transitioned: f64,
    pub configuration_updated: f64,
    /// In the order they were first set.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

// ---------------------------------------------------------------------------------------
// Input shapes (from the service model) for type coercion and constraint validation
// ---------------------------------------------------------------------------------------

enum Shape {
    Str {
        min: usize,
        max: Option<usize>,
        values: &'static [&'static str],
        /// The model's `[^:].*` pattern on namespaces.
        no_leading_colon: bool,
    },
    Int {
        min: Option<i64>,
        max: Option<i64>,
    },
    Double,
    Bool,
    List {
        member: &'static Shape,
        max: Option<usize>,
    },
    Struct(&'static [Member]),
    /// Newer members (unions such as `EvaluationWindow`) kept as sent.
    Any,
}

struct Member {
    name: &'static str,
    shape: &'static Shape,
    required: bool,
}

const fn string(min: usize, max: usize) -> Shape {
    Shape::Str {
        min,
        max: Some(max),
        values: &[],
        no_leading_colon: false,
    }
}

const fn enumeration(values: &'static [&'static str]) -> Shape {
    Shape::Str {
        min: 0,
        max: None,
        values,
        no_leading_colon: false,
    }
}

const fn m(name: &'static str, shape: &'static Shape) -> Member {
    Member {
        name,
        shape,
        required: false,
    }
}

const fn req(name: &'static str, shape: &'static Shape) -> Member {
    Member {
        name,
        shape,
        required: true,
    }
}

static ANY_STRING: Shape = Shape::Str {
    min: 0,
    max: None,
    values: &[],
    no_leading_colon: false,
};
static NAME_255: Shape = string(1, 255);
static ALARM_DESCRIPTION: Shape = string(0, 1024);
static RESOURCE_NAME: Shape = string(1, 1024);
static RESOURCE_LIST: Shape = Shape::List {
    member: &RESOURCE_NAME,
    max: Some(5),
};
static NAMESPACE: Shape = Shape::Str {
    min: 1,
    max: Some(255),
    values: &[],
    no_leading_colon: true,
};
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
static ANOMALY_OPERATORS: &[&str] = &[
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];
static STATE_VALUE: Shape = enumeration(&["OK", "ALARM", "INSUFFICIENT_DATA"]);
static ALARM_TYPE: Shape = enumeration(&["CompositeAlarm", "MetricAlarm"]);
static POSITIVE_INT: Shape = Shape::Int {
    min: Some(1),
    max: None,
};
static EVALUATION_INTERVAL: Shape = Shape::Int {
    min: Some(10),
    max: Some(3600),
};
static MAX_RECORDS: Shape = Shape::Int {
    min: Some(1),
    max: Some(100),
};
static DOUBLE: Shape = Shape::Double;
static BOOL: Shape = Shape::Bool;
static ANY: Shape = Shape::Any;
static DIMENSION_VALUE: Shape = string(1, 1024);
static DIMENSION: Shape = Shape::Struct(&[req("Name", &NAME_255), req("Value", &DIMENSION_VALUE)]);
static DIMENSIONS: Shape = Shape::List {
    member: &DIMENSION,
    max: Some(30),
};
static TAG_KEY: Shape = string(1, 128);
static TAG_VALUE: Shape = string(0, 256);
static TAG: Shape = Shape::Struct(&[req("Key", &TAG_KEY), req("Value", &TAG_VALUE)]);
static TAG_LIST: Shape = Shape::List {
    member: &TAG,
    max: None,
};
static TAG_KEY_LIST: Shape = Shape::List {
    member: &TAG_KEY,
    max: None,
};
static METRIC: Shape = Shape::Struct(&[
    m("Namespace", &NAMESPACE),
    m("MetricName", &NAME_255),
    m("Dimensions", &DIMENSIONS),
]);
static METRIC_STAT: Shape = Shape::Struct(&[
    req("Metric", &METRIC),
    req("Period", &POSITIVE_INT),
    req("Stat", &ANY_STRING),
    m("Unit", &UNIT),
]);
static EXPRESSION: Shape = string(1, 2048);
static METRIC_DATA_QUERY: Shape = Shape::Struct(&[
    req("Id", &NAME_255),
    m("MetricStat", &METRIC_STAT),
    m("Expression", &EXPRESSION),
    m("Label", &ANY_STRING),
    m("ReturnData", &BOOL),
    m("Period", &POSITIVE_INT),
    m("AccountId", &NAME_255),
]);
static METRIC_DATA_QUERIES: Shape = Shape::List {
    member: &METRIC_DATA_QUERY,
    max: None,
};
static PROMQL_QUERY: Shape = string(1, 10000);
static PENDING_PERIOD: Shape = Shape::Int {
    min: Some(0),
    max: Some(86400),
};
static PROMQL_CRITERIA: Shape = Shape::Struct(&[
    req("Query", &PROMQL_QUERY),
    m("PendingPeriod", &PENDING_PERIOD),
    m("RecoveryPeriod", &PENDING_PERIOD),
]);
static EVALUATION_CRITERIA: Shape = Shape::Struct(&[m("PromQLCriteria", &PROMQL_CRITERIA)]);
static ALARM_NAMES: Shape = Shape::List {
    member: &NAME_255,
    max: Some(100),
};
static ALARM_TYPES: Shape = Shape::List {
    member: &ALARM_TYPE,
    max: None,
};
static ACTION_PREFIX: Shape = string(1, 1024);
static STATE_REASON: Shape = string(0, 1023);
static STATE_REASON_DATA: Shape = string(0, 4000);

static PUT_METRIC_ALARM: Shape = Shape::Struct(&[
    req("AlarmName", &NAME_255),
    m("AlarmDescription", &ALARM_DESCRIPTION),
    m("ActionsEnabled", &BOOL),
    m("OKActions", &RESOURCE_LIST),
    m("AlarmActions", &RESOURCE_LIST),
    m("InsufficientDataActions", &RESOURCE_LIST),
    m("MetricName", &NAME_255),
    m("Namespace", &NAMESPACE),
    m("Statistic", &STATISTIC),
    m("ExtendedStatistic", &ANY_STRING),
    m("Dimensions", &DIMENSIONS),
    m("Period", &POSITIVE_INT),
    m("Unit", &UNIT),
    m("EvaluationPeriods", &POSITIVE_INT),
    m("DatapointsToAlarm", &POSITIVE_INT),
    m("Threshold", &DOUBLE),
    m("ComparisonOperator", &COMPARISON_OPERATOR),
    m("TreatMissingData", &NAME_255),
    m("EvaluateLowSampleCountPercentile", &NAME_255),
    m("Metrics", &METRIC_DATA_QUERIES),
    m("Tags", &TAG_LIST),
    m("ThresholdMetricId", &NAME_255),
    m("EvaluationCriteria", &EVALUATION_CRITERIA),
    m("EvaluationInterval", &EVALUATION_INTERVAL),
    // Members newer than botocore's model that the Rust SDK already sends.
    m("EvaluationWindow", &ANY),
    m("WarmUpConfiguration", &ANY),
    m("ActionConfiguration", &ANY),
]);
static DESCRIBE_ALARMS: Shape = Shape::Struct(&[
    m("AlarmNames", &ALARM_NAMES),
    m("AlarmNamePrefix", &NAME_255),
    m("AlarmTypes", &ALARM_TYPES),
    m("ChildrenOfAlarmName", &NAME_255),
    m("ParentsOfAlarmName", &NAME_255),
    m("StateValue", &STATE_VALUE),
    m("ActionPrefix", &ACTION_PREFIX),
    m("MaxRecords", &MAX_RECORDS),
    m("NextToken", &ANY_STRING),
]);
static DELETE_ALARMS: Shape = Shape::Struct(&[req("AlarmNames", &ALARM_NAMES)]);
static ALARM_ACTIONS_TOGGLE: Shape = Shape::Struct(&[req("AlarmNames", &ALARM_NAMES)]);
static TAG_RESOURCE: Shape =
    Shape::Struct(&[req("ResourceARN", &RESOURCE_NAME), req("Tags", &TAG_LIST)]);
static UNTAG_RESOURCE: Shape = Shape::Struct(&[
    req("ResourceARN", &RESOURCE_NAME),
    req("TagKeys", &TAG_KEY_LIST),
]);
static LIST_TAGS: Shape = Shape::Struct(&[req("ResourceARN", &RESOURCE_NAME)]);
static SET_ALARM_STATE: Shape = Shape::Struct(&[
    req("AlarmName", &NAME_255),
    req("StateValue", &STATE_VALUE),
    req("StateReason", &STATE_REASON),
    m("StateReasonData", &STATE_REASON_DATA),
]);

fn input_shape(op: &str) -> &'static Shape {
    match op {
        "PutMetricAlarm" => &PUT_METRIC_ALARM,
        "DescribeAlarms" => &DESCRIBE_ALARMS,
        "DeleteAlarms" => &DELETE_ALARMS,
        "TagResource" => &TAG_RESOURCE,
        "UntagResource" => &UNTAG_RESOURCE,
        "ListTagsForResource" => &LIST_TAGS,
        "SetAlarmState" => &SET_ALARM_STATE,
        _ => &ALARM_ACTIONS_TOGGLE,
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

/// The coral-style path segment of a member (`alarmName`).
fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Java-style rendering of a value in validation messages (`[a, b]`).
fn describe(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(l) => format!(
            "[{}]",
            l.iter().map(describe).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(_) => "{...}".to_string(),
        Value::Null => "null".to_string(),
        Value::Bytes(_) => "<blob>".to_string(),
        Value::Timestamp(t) => t.to_string(),
    }
}

/// A list as sent in any protocol: a list (JSON, CBOR), `{"member": {"1": …}}` or an empty
/// string (awsQuery's empty list).
fn as_items(v: &Value) -> Option<Vec<&Value>> {
    match v {
        Value::List(l) => Some(l.iter().collect()),
        Value::Str(s) if s.is_empty() => Some(Vec::new()),
        Value::Map(m) => {
            let members = m.get("member")?.as_map()?;
            let mut indexed: Vec<(u64, &Value)> = Vec::with_capacity(members.len());
            for (k, v) in members {
                indexed.push((k.parse().ok()?, v));
            }
            indexed.sort_by_key(|(i, _)| *i);
            Some(indexed.into_iter().map(|(_, v)| v).collect())
        }
        _ => None,
    }
}

/// Type-check `v` against `shape`, converting awsQuery strings to their types, and collect
/// constraint violations as the service words them.
fn coerce(v: &Value, shape: &Shape, path: &str, errors: &mut Vec<String>) -> Option<Value> {
    let mismatch = |errors: &mut Vec<String>, what: &str| {
        errors.push(format!(
            "Value '{}' at '{path}' failed to satisfy constraint: Member must be {what}",
            describe(v)
        ));
        None
    };
    match shape {
        Shape::Any => Some(v.clone()),
        Shape::Str {
            min,
            max,
            values,
            no_leading_colon,
        } => {
            let Value::Str(s) = v else {
                return mismatch(errors, "a string");
            };
            let len = s.chars().count();
            if !values.is_empty() && !values.contains(&s.as_str()) {
                errors.push(format!(
                    "Value '{s}' at '{path}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                    values.join(", ")
                ));
            } else if len < *min {
                errors.push(format!(
                    "Value '{s}' at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
                ));
            } else if let Some(max) = max.filter(|max| len > *max) {
                errors.push(format!(
                    "Value '{s}' at '{path}' failed to satisfy constraint: Member must have length less than or equal to {max}"
                ));
            } else if *no_leading_colon && s.starts_with(':') {
                errors.push(format!(
                    "Value '{s}' at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:].*"
                ));
            }
            Some(v.clone())
        }
        Shape::Int { min, max } => {
            let i = match v {
                Value::Int(i) => *i,
                Value::Str(s) => match s.trim().parse::<i64>() {
                    Ok(i) => i,
                    Err(_) => return mismatch(errors, "an integer"),
                },
                _ => return mismatch(errors, "an integer"),
            };
            if let Some(min) = min.filter(|min| i < *min) {
                errors.push(format!(
                    "Value '{i}' at '{path}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
                ));
            } else if let Some(max) = max.filter(|max| i > *max) {
                errors.push(format!(
                    "Value '{i}' at '{path}' failed to satisfy constraint: Member must have value less than or equal to {max}"
                ));
            }
            Some(Value::Int(i))
        }
        Shape::Double => match v {
            Value::Float(f) => Some(Value::Float(*f)),
            Value::Int(i) => Some(Value::Float(*i as f64)),
            Value::Str(s) => match s.trim().parse::<f64>() {
                Ok(f) => Some(Value::Float(f)),
                Err(_) => mismatch(errors, "a number"),
            },
            _ => mismatch(errors, "a number"),
        },
        Shape::Bool => match v {
            Value::Bool(b) => Some(Value::Bool(*b)),
            Value::Str(s) if s == "true" => Some(Value::Bool(true)),
            Value::Str(s) if s == "false" => Some(Value::Bool(false)),
            _ => mismatch(errors, "a boolean"),
        },
        Shape::List { member, max } => {
            let Some(items) = as_items(v) else {
                return mismatch(errors, "a list");
            };
            if let Some(max) = max.filter(|max| items.len() > *max) {
                errors.push(format!(
                    "Value '{}' at '{path}' failed to satisfy constraint: Member must have length less than or equal to {max}",
                    describe(&Value::List(items.iter().map(|v| (*v).clone()).collect()))
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let item_path = format!("{path}.{}.member", i + 1);
                if let Some(c) = coerce(item, member, &item_path, errors) {
                    out.push(c);
                }
            }
            Some(Value::List(out))
        }
        Shape::Struct(members) => {
            let Value::Map(map) = v else {
                return mismatch(errors, "a structure");
            };
            let mut out = BTreeMap::new();
            for mem in members.iter() {
                let mem_path = if path.is_empty() {
                    lower_camel(mem.name)
                } else {
                    format!("{path}.{}", lower_camel(mem.name))
                };
                match map.get(mem.name) {
                    None | Some(Value::Null) => {
                        if mem.required {
                            errors.push(format!(
                                "Value null at '{mem_path}' failed to satisfy constraint: Member must not be null"
                            ));
                        }
                    }
                    Some(value) => {
                        if let Some(c) = coerce(value, mem.shape, &mem_path, errors) {
                            out.insert(mem.name.to_string(), c);
                        }
                    }
                }
            }
            // Unknown members are ignored, as AWS services do.
            Some(Value::Map(out))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// An error whose JSON/CBOR `__type` is `shape` and whose awsQuery code is `query`.
fn err(status: u16, shape: &str, query: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, shape, message).with_query_code(query)
}

/// Constraint and semantic violations (`ValidationError`, not a modeled shape).
fn validation(message: impl Into<String>) -> ApiError {
    err(400, "ValidationError", "ValidationError", message)
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

fn validation_errors(errors: &[String]) -> ApiError {
    let n = errors.len();
    let noun = if n == 1 { "error" } else { "errors" };
    validation(format!(
        "{n} validation {noun} detected: {}",
        errors.join("; ")
    ))
}

fn unknown_operation(protocol: Protocol, op: &str) -> ApiError {
    match protocol {
        Protocol::AwsQuery => err(
            400,
            "InvalidAction",
            "InvalidAction",
            format!("The action {op} is not valid for this web service."),
        ),
        _ => ApiError::new(
            if protocol == Protocol::RpcV2Cbor {
                404
            } else {
                400
            },
            "UnknownOperationException",
            format!("The operation {op} is not supported by this endpoint."),
        ),
    }
}

fn serialization_error(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "SerializationException", message)
}

// ---------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------

/// The CloudWatch emulator.
#[derive(Debug, Default, Clone)]
pub struct CloudWatchService;

impl Service for CloudWatchService {
    fn signing_name(&self) -> &'static str {
        "monitoring"
    }

    fn route(&self, req: &Request) -> Result<Route, (Protocol, ApiError)> {
        let (protocol, op) = if cbor::is_rpc_v2_path(&req.path) {
            let op = cbor::operation_from_path(&req.path, TARGET_PREFIX)
                .unwrap_or_default()
                .to_string();
            (Protocol::RpcV2Cbor, op)
        } else if let Some(target) = req.header("x-amz-target") {
            let op = target
                .strip_prefix(TARGET_PREFIX)
                .and_then(|rest| rest.strip_prefix('.'))
                .unwrap_or_default()
                .to_string();
            (Protocol::AwsJson10, op)
        } else {
            let action = query_params(req)
                .into_iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v);
            match action {
                Some(a) => (Protocol::AwsQuery, a),
                None => {
                    return Err((
                        Protocol::AwsQuery,
                        err(
                            400,
                            "MissingAction",
                            "MissingAction",
                            "Could not find operation to perform: no Action parameter, X-Amz-Target header or RPC v2 path",
                        ),
                    ));
                }
            }
        };
        if OPERATIONS.contains(&op.as_str()) {
            Ok(Route {
                operation: op,
                protocol,
            })
        } else {
            Err((protocol, unknown_operation(protocol, &op)))
        }
    }

    fn handle(
        &self,
        route: &Route,
        req: &Request,
        state: &mut LocalState,
        ctx: &Context,
    ) -> Result<Response, ApiError> {
        let raw = decode_input(route.protocol, req)?;
        let mut errors = Vec::new();
        let input =
            coerce(&raw, input_shape(&route.operation), "", &mut errors).unwrap_or_else(Value::map);
        if !errors.is_empty() {
            return Err(validation_errors(&errors));
        }
        let region = state
            .cloudwatch
            .regions
            .entry(req.region.clone())
            .or_default();
        let scope = Scope {
            region: &req.region,
            account: &ctx.account_id,
            now: ctx.now as f64,
        };
        let result = match route.operation.as_str() {
            "PutMetricAlarm" => put_metric_alarm(region, &input, &scope),
            "DescribeAlarms" => describe_alarms(region, &input).map(Some),
            "DeleteAlarms" => delete_alarms(region, &input),
            "TagResource" => tag_resource(region, &input, &scope).map(Some),
            "UntagResource" => untag_resource(region, &input, &scope).map(Some),
            "ListTagsForResource" => list_tags(region, &input, &scope).map(Some),
            "SetAlarmState" => set_alarm_state(region, &input, &scope),
            "EnableAlarmActions" => Ok(toggle_actions(region, &input, true)),
            "DisableAlarmActions" => Ok(toggle_actions(region, &input, false)),
            other => Err(unknown_operation(route.protocol, other)),
        };
        // Reads must not leave empty Region entries behind in the persisted state.
        if state
            .cloudwatch
            .regions
            .get(&req.region)
            .is_some_and(|r| r.alarms.is_empty())
        {
            state.cloudwatch.regions.remove(&req.region);
        }
        let output = result?;
        Ok(render_output(
            route.protocol,
            &route.operation,
            output.as_ref(),
            ctx,
        ))
    }

    fn render_error(&self, protocol: Protocol, err: &ApiError, ctx: &Context) -> Response {
        let resp = match protocol {
            Protocol::RpcV2Cbor => cbor::error_response(err),
            Protocol::AwsQuery => {
                let code = err.query_code.as_deref().unwrap_or(&err.code);
                let fault = if err.sender_fault {
                    "Sender"
                } else {
                    "Receiver"
                };
                let body = format!(
                    "<ErrorResponse xmlns=\"{XMLNS}\"><Error><Type>{fault}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
                    xml_escape(code),
                    xml_escape(&err.message),
                    xml_escape(&ctx.request_id)
                );
                Response::new(err.status, "text/xml", body)
            }
            _ => {
                let body = serde_json::json!({"__type": err.code, "message": err.message});
                let mut resp = Response::new(err.status, JSON_CONTENT_TYPE, body.to_string());
                if let Some(q) = &err.query_code {
                    let fault = if err.sender_fault {
                        "Sender"
                    } else {
                        "Receiver"
                    };
                    resp = resp.with_header("x-amzn-query-error", format!("{q};{fault}"));
                }
                resp
            }
        };
        // The server adds the request-id headers.
        resp
    }

    fn throttling_error(&self, _operation: &str) -> ApiError {
        // `Throttling` is CloudWatch's awsQuery code; the SDKs classify both it and
        // `ThrottlingException` as throttling (aws-runtime THROTTLING_ERRORS, botocore).
        err(400, "ThrottlingException", "Throttling", "Rate exceeded")
    }

    fn is_mutating(&self, operation: &str) -> bool {
        !matches!(operation, "DescribeAlarms" | "ListTagsForResource")
    }

    fn rate_quota(&self, operation: &str) -> f64 {
        documented_tps(operation)
    }
}

// ---------------------------------------------------------------------------------------
// Protocol front ends
// ---------------------------------------------------------------------------------------

/// awsQuery parameters: the URL query string plus a form-encoded body.
fn query_params(req: &Request) -> Vec<(String, String)> {
    let mut pairs = req.query_pairs();
    let is_form = req
        .header("content-type")
        .is_none_or(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form && !req.body.is_empty() {
        pairs.extend(
            form_urlencoded::parse(&req.body).map(|(k, v)| (k.into_owned(), v.into_owned())),
        );
    }
    pairs
}

/// Nest flat awsQuery keys (`Dimensions.member.1.Name`) into a [`Value`] tree whose leaves
/// are strings; [`coerce`] then types it against the input shape.
fn query_tree(pairs: &[(String, String)]) -> Value {
    let mut root = Value::map();
    for (key, value) in pairs {
        if key == "Action" || key == "Version" {
            continue;
        }
        let parts: Vec<&str> = key.split('.').collect();
        insert_path(&mut root, &parts, value);
    }
    root
}

fn insert_path(node: &mut Value, parts: &[&str], value: &str) {
    let Value::Map(map) = node else {
        return;
    };
    match parts {
        [] => {}
        [last] => {
            // A branch already present wins over a stray leaf.
            map.entry((*last).to_string())
                .or_insert_with(|| Value::Str(value.to_string()));
        }
        [first, rest @ ..] => {
            let child = map.entry((*first).to_string()).or_insert_with(Value::map);
            if !matches!(child, Value::Map(_)) {
                *child = Value::map();
            }
            insert_path(child, rest, value);
        }
    }
}

fn decode_input(protocol: Protocol, req: &Request) -> Result<Value, ApiError> {
    match protocol {
        Protocol::RpcV2Cbor => cbor::decode(&req.body).map_err(serialization_error),
        Protocol::AwsQuery => Ok(query_tree(&query_params(req))),
        _ => {
            if req.body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Value::map());
            }
            let json: serde_json::Value = serde_json::from_slice(&req.body)
                .map_err(|e| serialization_error(format!("Malformed JSON request body: {e}")))?;
            Ok(Value::from_json(&json))
        }
    }
}

fn render_output(protocol: Protocol, op: &str, output: Option<&Value>, ctx: &Context) -> Response {
    match protocol {
        Protocol::RpcV2Cbor => cbor::response(output),
        Protocol::AwsQuery => {
            let mut body = format!("<{op}Response xmlns=\"{XMLNS}\">");
            if let Some(out) = output {
                body.push_str(&format!("<{op}Result>"));
                if let Value::Map(members) = out {
                    for (k, v) in members {
                        write_xml(k, v, &mut body);
                    }
                }
                body.push_str(&format!("</{op}Result>"));
            }
            body.push_str(&format!(
                "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{op}Response>",
                xml_escape(&ctx.request_id)
            ));
            Response::new(200, "text/xml", body)
        }
        _ => {
            let body = output
                .map(|o| o.to_json().to_string())
                .unwrap_or_else(|| "{}".to_string());
            Response::new(200, JSON_CONTENT_TYPE, body)
        }
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
    out
}

/// ISO 8601 with milliseconds, as awsQuery services write timestamps.
fn iso8601(epoch: f64) -> String {
    let nanos = (epoch * 1e3).round() as i128 * 1_000_000;
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_string())
}

fn write_xml(name: &str, v: &Value, out: &mut String) {
    let text = match v {
        Value::Null => return,
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Str(s) => xml_escape(s),
        Value::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
        Value::Timestamp(t) => iso8601(*t),
        Value::List(items) => {
            if items.is_empty() {
                out.push_str(&format!("<{name}/>"));
                return;
            }
            out.push_str(&format!("<{name}>"));
            for item in items {
                write_xml("member", item, out);
            }
            out.push_str(&format!("</{name}>"));
            return;
        }
        Value::Map(members) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in members {
                write_xml(k, v, out);
            }
            out.push_str(&format!("</{name}>"));
            return;
        }
    };
    out.push_str(&format!("<{name}>{text}</{name}>"));
}

// ---------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------

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

fn str_member<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str)
}

fn int_member(input: &Value, name: &str) -> Option<i64> {
    input.get(name).and_then(Value::as_i64)
}

fn list_member<'a>(input: &'a Value, name: &str) -> &'a [Value] {
    input.get(name).and_then(Value::as_list).unwrap_or(&[])
}

fn names_member(input: &Value, name: &str) -> Vec<String> {
    list_member(input, name)
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn tags_member(input: &Value) -> Vec<(String, String)> {
    list_member(input, "Tags")
        .iter()
        .filter_map(|t| {
            Some((
                str_member(t, "Key")?.to_string(),
                str_member(t, "Value")?.to_string(),
            ))
        })
        .collect()
}

const MAX_TAGS: usize = 50;

fn check_tags(tags: &[(String, String)]) -> Result<(), ApiError> {
    if let Some((k, _)) = tags
        .iter()
        .find(|(k, _)| k.to_ascii_lowercase().starts_with("aws:"))
    {
        return Err(invalid_value(format!(
            "Invalid tag key '{k}': keys starting with 'aws:' are reserved for AWS use."
        )));
    }
    Ok(())
}

/// Valid percentile-style extended statistics: `p0.0`–`p100`, and the trimmed / windsorized
/// forms (`tm99`, `TM(10%:90%)`, `wm…`, `tc…`, `ts…`, `pr…`).
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
fn check_alarm(input: &Value) -> Result<(), ApiError> {
    let has = |name: &str| input.get(name).is_some();
    let single_metric = has("MetricName");
    let metrics = list_member(input, "Metrics");
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
            let id = str_member(q, "Id").unwrap_or_default();
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
                .and_then(|s| int_member(s, "Period"))
                .or_else(|| int_member(q, "Period"))
            {
                check_period(p)?;
            }
            if q.get("ReturnData").and_then(Value::as_bool).unwrap_or(true) {
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
        let anomaly = str_member(input, "ComparisonOperator")
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
        if let Some(ext) = str_member(input, "ExtendedStatistic")
            && !valid_extended_statistic(ext)
        {
            return Err(validation(format!(
                "The value {ext} for parameter ExtendedStatistic is not supported."
            )));
        }
        match int_member(input, "Period") {
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
        let Some(evaluation_periods) = int_member(input, "EvaluationPeriods") else {
            return Err(validation("EvaluationPeriods must not be null"));
        };
        if int_member(input, "DatapointsToAlarm").is_some_and(|d| d > evaluation_periods) {
            return Err(validation(
                "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
            ));
        }
        // "An alarm's total current evaluation period can be no longer than seven days …
        // For alarms with a period of less than one hour, … one day."
        let period = int_member(input, "Period").or_else(|| {
            list_member(input, "Metrics").iter().find_map(|q| {
                q.get("MetricStat")
                    .and_then(|s| int_member(s, "Period"))
                    .or_else(|| int_member(q, "Period"))
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
        let Some(op) = str_member(input, "ComparisonOperator") else {
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

    if let Some(t) = str_member(input, "TreatMissingData")
        && !["breaching", "notBreaching", "ignore", "missing"].contains(&t)
    {
        return Err(validation(format!(
            "Invalid value '{t}' for TreatMissingData: valid values are breaching, notBreaching, ignore and missing."
        )));
    }
    if let Some(e) = str_member(input, "EvaluateLowSampleCountPercentile")
        && !["evaluate", "ignore"].contains(&e)
    {
        return Err(validation(format!(
            "Invalid value '{e}' for EvaluateLowSampleCountPercentile: valid values are evaluate and ignore."
        )));
    }
    for list in ["OKActions", "AlarmActions", "InsufficientDataActions"] {
        for action in names_member(input, list) {
            if !action.starts_with("arn:") || action.split(':').count() < 6 {
                return Err(validation(format!("Invalid arn syntax: {action}")));
            }
        }
    }
    let tags = tags_member(input);
    if tags.len() > MAX_TAGS {
        return Err(validation(format!(
            "The number of tags ({}) exceeds the limit of {MAX_TAGS}.",
            tags.len()
        )));
    }
    check_tags(&tags)
}

fn put_metric_alarm(
    region: &mut RegionAlarms,
    input: &Value,
    scope: &Scope<'_>,
) -> Result<Option<Value>, ApiError> {
    check_alarm(input)?;
    let name = str_member(input, "AlarmName")
        .unwrap_or_default()
        .to_string();
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
            // CloudWatch documents no quota on the number of alarms ("You can create as many
            // alarms as you want"), so LimitExceeded is never returned here.
            let mut tags: Vec<(String, String)> = Vec::new();
            for (k, v) in tags_member(input) {
                match tags.iter_mut().find(|(key, _)| *key == k) {
                    Some(existing) => existing.1 = v,
                    None => tags.push((k, v)),
                }
            }
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
    Ok(None)
}

fn alarm_value(alarm: &Alarm) -> Value {
    let mut out: BTreeMap<String, Value> = ECHOED_MEMBERS
        .iter()
        .filter_map(|k| alarm.config.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    // Members AWS always returns, with their defaults.
    out.entry("ActionsEnabled".into())
        .or_insert(Value::Bool(true));
    for list in [
        "OKActions",
        "AlarmActions",
        "InsufficientDataActions",
        "Dimensions",
    ] {
        out.entry(list.into()).or_insert(Value::List(Vec::new()));
    }
    out.insert("AlarmArn".into(), Value::Str(alarm.arn.clone()));
    out.insert(
        "AlarmConfigurationUpdatedTimestamp".into(),
        Value::Timestamp(alarm.configuration_updated),
    );
    out.insert("StateValue".into(), Value::Str(alarm.state_value.clone()));
    out.insert("StateReason".into(), Value::Str(alarm.state_reason.clone()));
    if let Some(data) = &alarm.state_reason_data {
        out.insert("StateReasonData".into(), Value::Str(data.clone()));
    }
    out.insert(
        "StateUpdatedTimestamp".into(),
        Value::Timestamp(alarm.state_updated),
    );
    out.insert(
        "StateTransitionedTimestamp".into(),
        Value::Timestamp(alarm.state_transitioned),
    );
    Value::Map(out)
}

const TOKEN_PREFIX: &str = "cwl1:";

fn encode_token(last_name: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{last_name}"))
}

fn decode_token(token: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(TOKEN_PREFIX).map(str::to_string)
}

fn describe_alarms(region: &RegionAlarms, input: &Value) -> Result<Value, ApiError> {
    let names = input
        .get("AlarmNames")
        .map(|_| names_member(input, "AlarmNames"));
    let prefix = str_member(input, "AlarmNamePrefix");
    let children = str_member(input, "ChildrenOfAlarmName");
    let parents = str_member(input, "ParentsOfAlarmName");
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
    let types = names_member(input, "AlarmTypes");
    let want_metric = input.get("AlarmTypes").is_none() || types.iter().any(|t| t == "MetricAlarm");
    let max = int_member(input, "MaxRecords").unwrap_or(50) as usize;
    let after = match str_member(input, "NextToken") {
        Some(t) => Some(decode_token(t).ok_or_else(|| {
            err(
                400,
                "InvalidNextToken",
                "InvalidNextToken",
                "The service returned an invalid next token.",
            )
        })?),
        None => None,
    };
    let state = str_member(input, "StateValue");
    let action_prefix = str_member(input, "ActionPrefix");

    // Composite alarms are not emulated, so the parent/child relations are always empty.
    let relation_query = children.is_some() || parents.is_some();
    let mut matching = region.alarms.values().filter(|a| {
        let name = str_member_map(&a.config, "AlarmName");
        want_metric
            && !relation_query
            && after.as_deref().is_none_or(|last| name > last)
            && names.as_ref().is_none_or(|n| n.iter().any(|x| x == name))
            && prefix.is_none_or(|p| name.starts_with(p))
            && state.is_none_or(|s| a.state_value == s)
            && action_prefix.is_none_or(|p| {
                ["OKActions", "AlarmActions", "InsufficientDataActions"]
                    .iter()
                    .flat_map(|l| a.config.get(*l).and_then(Value::as_list).unwrap_or(&[]))
                    .any(|v| v.as_str().is_some_and(|s| s.starts_with(p)))
            })
    });
    let page: Vec<&Alarm> = matching.by_ref().take(max).collect();
    let more = matching.next().is_some();
    let mut out = Value::map();
    out.insert(
        "MetricAlarms",
        Value::List(page.iter().map(|a| alarm_value(a)).collect()),
    );
    out.insert("CompositeAlarms", Value::List(Vec::new()));
    if more && let Some(last) = page.last() {
        out.insert(
            "NextToken",
            Value::Str(encode_token(str_member_map(&last.config, "AlarmName"))),
        );
    }
    Ok(out)
}

fn str_member_map<'a>(config: &'a BTreeMap<String, Value>, key: &str) -> &'a str {
    config.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn delete_alarms(region: &mut RegionAlarms, input: &Value) -> Result<Option<Value>, ApiError> {
    let names = names_member(input, "AlarmNames");
    // "If you specify any incorrect alarm names, the alarms you specify with correct names
    // are still deleted."
    let missing: Vec<String> = names
        .into_iter()
        .filter(|n| region.alarms.remove(n).is_none())
        .collect();
    if missing.is_empty() {
        Ok(None)
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
}

fn not_found_exception(arn: &str) -> ApiError {
    err(
        404,
        "ResourceNotFoundException",
        "ResourceNotFoundException",
        format!("The resource {arn} does not exist."),
    )
}

/// The alarm an ARN names in this Region and account.
fn alarm_by_arn<'a>(
    region: &'a mut RegionAlarms,
    arn: &str,
    scope: &Scope<'_>,
) -> Result<&'a mut Alarm, ApiError> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" || parts[2].is_empty() {
        return Err(invalid_value(format!("Invalid ARN: {arn}")));
    }
    if parts[2] != "cloudwatch"
        || parts[3] != scope.region
        || parts[4] != scope.account
        || parts.len() != 7
        || parts[5] != "alarm"
    {
        return Err(not_found_exception(arn));
    }
    region
        .alarms
        .get_mut(parts[6])
        .filter(|a| a.arn == arn)
        .ok_or_else(|| not_found_exception(arn))
}

fn tag_resource(
    region: &mut RegionAlarms,
    input: &Value,
    scope: &Scope<'_>,
) -> Result<Value, ApiError> {
    let arn = str_member(input, "ResourceARN")
        .unwrap_or_default()
        .to_string();
    let new_tags = tags_member(input);
    check_tags(&new_tags)?;
    let alarm = alarm_by_arn(region, &arn, scope)?;
    let mut merged = alarm.tags.clone();
    for (k, v) in new_tags {
        match merged.iter_mut().find(|(key, _)| *key == k) {
            Some(existing) => existing.1 = v,
            None => merged.push((k, v)),
        }
    }
    if merged.len() > MAX_TAGS {
        return Err(invalid_value(format!(
            "A resource can have at most {MAX_TAGS} tags; this request would leave {}.",
            merged.len()
        )));
    }
    alarm.tags = merged;
    Ok(Value::map())
}

fn untag_resource(
    region: &mut RegionAlarms,
    input: &Value,
    scope: &Scope<'_>,
) -> Result<Value, ApiError> {
    let arn = str_member(input, "ResourceARN")
        .unwrap_or_default()
        .to_string();
    let keys = names_member(input, "TagKeys");
    let alarm = alarm_by_arn(region, &arn, scope)?;
    alarm.tags.retain(|(k, _)| !keys.contains(k));
    Ok(Value::map())
}

fn list_tags(
    region: &mut RegionAlarms,
    input: &Value,
    scope: &Scope<'_>,
) -> Result<Value, ApiError> {
    let arn = str_member(input, "ResourceARN")
        .unwrap_or_default()
        .to_string();
    let alarm = alarm_by_arn(region, &arn, scope)?;
    let tags = alarm
        .tags
        .iter()
        .map(|(k, v)| {
            let mut t = Value::map();
            t.insert("Key", Value::Str(k.clone()));
            t.insert("Value", Value::Str(v.clone()));
            t
        })
        .collect();
    let mut out = Value::map();
    out.insert("Tags", Value::List(tags));
    Ok(out)
}

fn set_alarm_state(
    region: &mut RegionAlarms,
    input: &Value,
    scope: &Scope<'_>,
) -> Result<Option<Value>, ApiError> {
    let name = str_member(input, "AlarmName").unwrap_or_default();
    let data = str_member(input, "StateReasonData");
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
    let Some(alarm) = region.alarms.get_mut(name) else {
        return Err(err(
            404,
            "ResourceNotFound",
            "ResourceNotFound",
            format!("Alarm {name} not found"),
        ));
    };
    let new_state = str_member(input, "StateValue")
        .unwrap_or_default()
        .to_string();
    if alarm.state_value != new_state {
        alarm.state_transitioned = scope.now;
    }
    alarm.state_value = new_state;
    alarm.state_reason = str_member(input, "StateReason")
        .unwrap_or_default()
        .to_string();
    alarm.state_reason_data = data.map(str::to_string);
    alarm.state_updated = scope.now;
    Ok(None)
}

fn toggle_actions(region: &mut RegionAlarms, input: &Value, enabled: bool) -> Option<Value> {
    for name in names_member(input, "AlarmNames") {
        if let Some(alarm) = region.alarms.get_mut(&name) {
            alarm
                .config
                .insert("ActionsEnabled".to_string(), Value::Bool(enabled));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_keys_nest_into_typed_input() {
        let pairs: Vec<(String, String)> = [
            ("Action", "PutMetricAlarm"),
            ("AlarmName", "a"),
            ("Period", "60"),
            ("Threshold", "1.5"),
            ("ActionsEnabled", "false"),
            ("Dimensions.member.2.Name", "B"),
            ("Dimensions.member.2.Value", "2"),
            ("Dimensions.member.1.Name", "A"),
            ("Dimensions.member.1.Value", "1"),
            ("AlarmActions", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let tree = query_tree(&pairs);
        let mut errors = Vec::new();
        let v = coerce(&tree, &PUT_METRIC_ALARM, "", &mut errors).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(v.get("Period"), Some(&Value::Int(60)));
        assert_eq!(v.get("Threshold"), Some(&Value::Float(1.5)));
        assert_eq!(v.get("ActionsEnabled"), Some(&Value::Bool(false)));
        assert_eq!(v.get("AlarmActions"), Some(&Value::List(vec![])));
        let dims = v.get("Dimensions").and_then(Value::as_list).unwrap();
        assert_eq!(dims[0].get("Name"), Some(&Value::Str("A".into())));
        assert_eq!(dims[1].get("Value"), Some(&Value::Str("2".into())));
    }

    #[test]
    fn constraint_messages_name_the_member_path() {
        let mut input = Value::map();
        input.insert("AlarmName", Value::Str("x".repeat(256)));
        let mut dim = Value::map();
        dim.insert("Name", Value::Str("n".into()));
        input.insert("Dimensions", Value::List(vec![dim]));
        let mut errors = Vec::new();
        coerce(&input, &PUT_METRIC_ALARM, "", &mut errors);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].contains("at 'alarmName'") && errors[0].contains("less than or equal to 255")
        );
        assert!(errors[1].starts_with("Value null at 'dimensions.1.member.value'"));
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        assert_eq!(
            decode_token(&encode_token("alarm/ä")).as_deref(),
            Some("alarm/ä")
        );
        assert_eq!(decode_token("not a token"), None);
        assert_eq!(
            decode_token(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("x")),
            None
        );
    }

    #[test]
    fn iso8601_has_milliseconds() {
        assert_eq!(iso8601(1_700_000_000.25), "2023-11-14T22:13:20.250Z");
    }
}
