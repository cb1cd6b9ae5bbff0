//! CloudWatch metric alarms (signing name `monitoring`): the operation table.
//!
//! Three wire protocols reach the same rows: Smithy RPC v2 CBOR (the Rust, Go and Java
//! SDKs), awsJson 1.0 (botocore / boto3 / the AWS CLI) and awsQuery (older SDKs).
//! CloudWatch is awsQuery-compatible, so JSON and CBOR errors carry the awsQuery code in
//! `x-amzn-query-error`; the SDKs read the code from there.
//!
//! Rate quotas, per Region (CloudWatch User Guide, "CloudWatch service quotas"):
//! DescribeAlarms 9 TPS; PutMetricAlarm 3 TPS; DeleteAlarms, DisableAlarmActions,
//! EnableAlarmActions and SetAlarmState 3 TPS each. The tagging operations have no
//! documented quota: 3 TPS, the conservative CloudWatch figure.

mod handlers;
pub mod shapes;
mod state;

pub use handlers::TAGGING;
pub use state::{Alarm, CloudWatchState, RegionAlarms};

use crate::api::ErrorCode;
use crate::protocol::{JsonVersion, Protocol};
use crate::service::{Operation, ServiceDef};

/// The Smithy service shape name: the JSON target prefix and the CBOR path segment.
pub const TARGET_PREFIX: &str = "GraniteServiceVersion20100801";
const XMLNS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

pub static SERVICE: ServiceDef = ServiceDef {
    signing_name: "monitoring",
    protocols: &[
        Protocol::RpcV2Cbor {
            service: TARGET_PREFIX,
        },
        Protocol::AwsJson {
            version: JsonVersion::V1_0,
            target_prefix: TARGET_PREFIX,
            message_key: "message",
        },
        Protocol::AwsQuery {
            version: "2010-08-01",
            xmlns: XMLNS,
            timestamp_millis: true,
        },
    ],
    query_compatible: true,
    signing: crate::sigv4::Rules::STANDARD,
    validation: ErrorCode {
        status: 400,
        code: "ValidationError",
        query_code: Some("ValidationError"),
    },
    // `Throttling` is CloudWatch's awsQuery code; the SDKs classify both it and
    // `ThrottlingException` as throttling (aws-runtime THROTTLING_ERRORS, botocore).
    throttling: ErrorCode {
        status: 400,
        code: "ThrottlingException",
        query_code: Some("Throttling"),
    },
    internal: ErrorCode {
        status: 500,
        code: "InternalFailure",
        query_code: None,
    },
    operations: OPERATIONS,
    not_emulated: &[],
};

static OPERATIONS: &[Operation] = &[
    Operation {
        name: "PutMetricAlarm",
        mutates: true,
        tps: 3.0,
        input: &shapes::PUT_METRIC_ALARM,
        http: None,
        handler: handlers::put_metric_alarm,
    },
    Operation {
        name: "DescribeAlarms",
        mutates: false,
        tps: 9.0,
        input: &shapes::DESCRIBE_ALARMS,
        http: None,
        handler: handlers::describe_alarms,
    },
    Operation {
        name: "DeleteAlarms",
        mutates: true,
        tps: 3.0,
        input: &shapes::DELETE_ALARMS,
        http: None,
        handler: handlers::delete_alarms,
    },
    Operation {
        name: "TagResource",
        mutates: true,
        tps: 3.0,
        input: &shapes::TAG_RESOURCE,
        http: None,
        handler: handlers::tag_resource,
    },
    Operation {
        name: "UntagResource",
        mutates: true,
        tps: 3.0,
        input: &shapes::UNTAG_RESOURCE,
        http: None,
        handler: handlers::untag_resource,
    },
    Operation {
        name: "ListTagsForResource",
        mutates: false,
        tps: 3.0,
        input: &shapes::LIST_TAGS,
        http: None,
        handler: handlers::list_tags_for_resource,
    },
    Operation {
        name: "SetAlarmState",
        mutates: true,
        tps: 3.0,
        input: &shapes::SET_ALARM_STATE,
        http: None,
        handler: handlers::set_alarm_state,
    },
    Operation {
        name: "EnableAlarmActions",
        mutates: true,
        tps: 3.0,
        input: &shapes::ALARM_ACTIONS_TOGGLE,
        http: None,
        handler: handlers::enable_alarm_actions,
    },
    Operation {
        name: "DisableAlarmActions",
        mutates: true,
        tps: 3.0,
        input: &shapes::ALARM_ACTIONS_TOGGLE,
        http: None,
        handler: handlers::disable_alarm_actions,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;
    use crate::shape::{Invalid, Source, validate};

    #[test]
    fn the_table_is_complete() {
        crate::service::table_checks::check(&SERVICE, &["DescribeAlarms", "ListTagsForResource"]);
    }

    #[test]
    fn query_keys_nest_into_typed_input() {
        let params: std::collections::BTreeMap<String, String> = [
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
        let raw = crate::protocol::aws_query::decode(&params, &shapes::PUT_METRIC_ALARM);
        let v = validate(raw, &shapes::PUT_METRIC_ALARM, Source::Text).unwrap();
        assert_eq!(v.get("Period"), Some(&Document::Int(60)));
        assert_eq!(v.get("Threshold"), Some(&Document::Float(1.5)));
        assert_eq!(v.get("ActionsEnabled"), Some(&Document::Bool(false)));
        assert_eq!(v.get("AlarmActions"), Some(&Document::List(vec![])));
        let dims = v.get_list("Dimensions");
        assert_eq!(dims[0].get_str("Name"), Some("A"));
        assert_eq!(dims[1].get_str("Value"), Some("2"));
    }

    #[test]
    fn constraint_messages_name_the_member_path() {
        let input = Document::from_pairs([
            ("AlarmName", Document::str("x".repeat(256))),
            (
                "Dimensions",
                Document::List(vec![Document::from_pairs([("Name", Document::str("n"))])]),
            ),
        ]);
        let Err(Invalid::Constraints(errors)) =
            validate(input, &shapes::PUT_METRIC_ALARM, Source::Typed)
        else {
            panic!("expected violations");
        };
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].contains("at 'alarmName'") && errors[0].contains("less than or equal to 255")
        );
        assert!(errors[1].starts_with("Value null at 'dimensions.1.member.value'"));
    }
}
