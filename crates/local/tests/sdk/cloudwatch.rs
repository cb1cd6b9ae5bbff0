//! The local CloudWatch emulator driven by `aws-sdk-cloudwatch` (Smithy RPC v2 CBOR) over
//! HTTP: every alarm operation and error path, pagination with the SDK paginator, overwrite
//! semantics; plus boto3 (JSON 1.0, forced awsQuery and CBOR models, raw signed requests).

use crate::common;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder;
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, StateValue,
    Statistic, Tag,
};
use ivstack_local::LocalConfig;

const ACCOUNT: &str = "123456789012";

fn client(endpoint: &ivstack_local::LocalEndpoint) -> Client {
    Client::new(&common::sdk_config(endpoint))
}

/// The error code of an SDK error (panics if the call succeeded).
fn code<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(r: Result<T, E>) -> String {
    let e = r.expect_err("expected an error");
    e.code().unwrap_or("<no code>").to_string()
}

fn arn(name: &str) -> String {
    format!("arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{name}")
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

fn dim(n: &str, v: &str) -> Dimension {
    Dimension::builder().name(n).value(v).build()
}

/// A valid single-metric alarm.
fn basic(c: &Client, name: &str) -> PutMetricAlarmFluentBuilder {
    c.put_metric_alarm()
        .alarm_name(name)
        .metric_name("Participants")
        .namespace("AWS/IVSRealTime")
        .statistic(Statistic::Maximum)
        .dimensions(dim("Stage", "stage-a"))
        .period(60)
        .evaluation_periods(3)
        .threshold(10.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
}

async fn describe_one(c: &Client, name: &str) -> aws_sdk_cloudwatch::types::MetricAlarm {
    let out = c.describe_alarms().alarm_names(name).send().await.unwrap();
    let mut alarms = out.metric_alarms.unwrap_or_default();
    assert_eq!(alarms.len(), 1, "exactly one alarm named {name}");
    alarms.remove(0)
}

async fn tags_of(c: &Client, name: &str) -> Vec<(String, String)> {
    c.list_tags_for_resource()
        .resource_arn(arn(name))
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn put_then_describe_returns_the_whole_alarm() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    basic(&c, "cpu")
        .alarm_description("participants above limit")
        .alarm_actions("arn:aws:sns:us-east-1:123456789012:ops")
        .ok_actions("arn:aws:sns:us-east-1:123456789012:ok")
        .datapoints_to_alarm(2)
        .treat_missing_data("notBreaching")
        .unit(aws_sdk_cloudwatch::types::StandardUnit::Count)
        .tags(tag("team", "video"))
        .send()
        .await
        .unwrap();
    let a = describe_one(&c, "cpu").await;
    assert_eq!(a.alarm_arn(), Some(arn("cpu").as_str()));
    assert_eq!(a.alarm_description(), Some("participants above limit"));
    assert_eq!(
        a.actions_enabled(),
        Some(true),
        "ActionsEnabled defaults to true"
    );
    assert_eq!(
        a.alarm_actions(),
        ["arn:aws:sns:us-east-1:123456789012:ops"]
    );
    assert_eq!(a.ok_actions(), ["arn:aws:sns:us-east-1:123456789012:ok"]);
    assert!(a.insufficient_data_actions().is_empty());
    assert_eq!(a.metric_name(), Some("Participants"));
    assert_eq!(a.namespace(), Some("AWS/IVSRealTime"));
    assert_eq!(a.statistic(), Some(&Statistic::Maximum));
    assert_eq!(a.dimensions(), [dim("Stage", "stage-a")]);
    assert_eq!(a.period(), Some(60));
    assert_eq!(a.evaluation_periods(), Some(3));
    assert_eq!(a.datapoints_to_alarm(), Some(2));
    assert_eq!(a.threshold(), Some(10.0));
    assert_eq!(
        a.comparison_operator(),
        Some(&ComparisonOperator::GreaterThanThreshold)
    );
    assert_eq!(a.treat_missing_data(), Some("notBreaching"));
    assert_eq!(a.state_value(), Some(&StateValue::InsufficientData));
    assert_eq!(a.state_reason(), Some("Unchecked: Initial alarm creation"));
    let updated = a.state_updated_timestamp().expect("state timestamp").secs();
    assert!(
        updated >= before,
        "state timestamp {updated} is now-ish (>= {before})"
    );
    assert!(a.alarm_configuration_updated_timestamp().is_some());
    assert!(a.state_transitioned_timestamp().is_some());
    assert_eq!(
        tags_of(&c, "cpu").await,
        vec![("team".into(), "video".into())]
    );
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn put_overwrites_the_config_keeps_state_and_ignores_tags() {
    let ep = common::start_local().await;
    let c = client(&ep);
    basic(&c, "a")
        .alarm_description("first")
        .datapoints_to_alarm(2)
        .treat_missing_data("breaching")
        .alarm_actions("arn:aws:sns:us-east-1:123456789012:ops")
        .tags(tag("team", "video"))
        .send()
        .await
        .unwrap();
    c.set_alarm_state()
        .alarm_name("a")
        .state_value(StateValue::Alarm)
        .state_reason("testing")
        .send()
        .await
        .unwrap();
    // Update without the optional fields and with different tags.
    c.put_metric_alarm()
        .alarm_name("a")
        .metric_name("Participants")
        .namespace("AWS/IVSRealTime")
        .statistic(Statistic::Average)
        .period(300)
        .evaluation_periods(1)
        .threshold(5.0)
        .comparison_operator(ComparisonOperator::LessThanThreshold)
        .tags(tag("ignored", "x"))
        .send()
        .await
        .unwrap();
    let a = describe_one(&c, "a").await;
    assert_eq!(a.alarm_description(), None, "omitted fields are reset");
    assert_eq!(a.datapoints_to_alarm(), None);
    assert_eq!(a.treat_missing_data(), None);
    assert!(a.alarm_actions().is_empty());
    assert!(a.dimensions().is_empty());
    assert_eq!(a.statistic(), Some(&Statistic::Average));
    assert_eq!(a.period(), Some(300));
    assert_eq!(
        a.state_value(),
        Some(&StateValue::Alarm),
        "update leaves the state"
    );
    assert_eq!(a.state_reason(), Some("testing"));
    assert_eq!(
        tags_of(&c, "a").await,
        vec![("team".into(), "video".into())],
        "tags on update are ignored"
    );
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn describe_paginates_sorted_by_name_and_filters() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let names = ["m-3", "m-1", "m-4", "m-0", "m-2", "other"];
    for n in names {
        basic(&c, n).send().await.unwrap();
    }
    c.set_alarm_state()
        .alarm_name("m-2")
        .state_value(StateValue::Ok)
        .state_reason("fine")
        .send()
        .await
        .unwrap();
    basic(&c, "with-action")
        .alarm_actions("arn:aws:sns:us-east-1:123456789012:pager")
        .send()
        .await
        .unwrap();

    let pages: Vec<_> = c
        .describe_alarms()
        .alarm_name_prefix("m-")
        .max_records(2)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(pages.len(), 3, "5 alarms in pages of 2");
    let got: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.unwrap().metric_alarms.unwrap_or_default())
        .map(|a| a.alarm_name.unwrap_or_default())
        .collect();
    assert_eq!(got, ["m-0", "m-1", "m-2", "m-3", "m-4"]);

    // Default page size is 50: everything in one page, no token.
    let all = c.describe_alarms().send().await.unwrap();
    assert_eq!(all.metric_alarms().len(), 7);
    assert!(all.next_token().is_none());
    assert!(all.composite_alarms().is_empty());

    let by_names = c
        .describe_alarms()
        .alarm_names("m-4")
        .alarm_names("other")
        .alarm_names("absent")
        .send()
        .await
        .unwrap();
    let n: Vec<_> = by_names
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name())
        .collect();
    assert_eq!(n, ["m-4", "other"]);

    let ok = c
        .describe_alarms()
        .state_value(StateValue::Ok)
        .send()
        .await
        .unwrap();
    let n: Vec<_> = ok
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name())
        .collect();
    assert_eq!(n, ["m-2"]);

    let act = c
        .describe_alarms()
        .action_prefix("arn:aws:sns:us-east-1:123456789012:pa")
        .send()
        .await
        .unwrap();
    let n: Vec<_> = act
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name())
        .collect();
    assert_eq!(n, ["with-action"]);

    let composite_only = c
        .describe_alarms()
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .unwrap();
    assert!(composite_only.metric_alarms().is_empty());
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn describe_errors() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let r = c
        .describe_alarms()
        .alarm_names("a")
        .alarm_name_prefix("a")
        .send()
        .await;
    assert_eq!(code(r), "InvalidParameterCombination");
    let e = c
        .describe_alarms()
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .is_some_and(|s| s.is_invalid_next_token())
    );
    assert_eq!(
        code(c.describe_alarms().max_records(0).send().await),
        "ValidationError"
    );
    assert_eq!(
        code(c.describe_alarms().max_records(101).send().await),
        "ValidationError"
    );
    let mut too_many = c.describe_alarms();
    for i in 0..101 {
        too_many = too_many.alarm_names(format!("n{i}"));
    }
    let e = too_many.send().await.unwrap_err();
    assert_eq!(e.code(), Some("ValidationError"));
    assert!(
        e.message()
            .unwrap_or_default()
            .contains("at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100"),
        "{:?}",
        e.message()
    );
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn delete_removes_known_names_and_reports_unknown_ones() {
    let ep = common::start_local().await;
    let c = client(&ep);
    basic(&c, "keep").send().await.unwrap();
    basic(&c, "gone").send().await.unwrap();
    let e = c
        .delete_alarms()
        .alarm_names("gone")
        .alarm_names("never-existed")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .is_some_and(|s| s.is_resource_not_found())
    );
    let raw = e.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 404);
    assert_eq!(
        raw.headers().get("x-amzn-query-error"),
        Some("ResourceNotFound;Sender")
    );
    assert_eq!(raw.headers().get("smithy-protocol"), Some("rpc-v2-cbor"));
    assert_eq!(raw.headers().get("content-type"), Some("application/cbor"));
    assert!(e.message().unwrap_or_default().contains("never-existed"));
    let left: Vec<_> = c
        .describe_alarms()
        .send()
        .await
        .unwrap()
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(str::to_string))
        .collect();
    assert_eq!(left, ["keep"], "the known alarm was deleted anyway");
    c.delete_alarms().alarm_names("keep").send().await.unwrap();
    assert!(
        c.describe_alarms()
            .send()
            .await
            .unwrap()
            .metric_alarms()
            .is_empty()
    );

    let mut too_many = c.delete_alarms();
    for i in 0..101 {
        too_many = too_many.alarm_names(format!("n{i}"));
    }
    assert_eq!(code(too_many.send().await), "ValidationError");
    assert_eq!(code(c.delete_alarms().send().await), "ValidationError");
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn tagging() {
    let ep = common::start_local().await;
    let c = client(&ep);
    basic(&c, "t").tags(tag("a", "1")).send().await.unwrap();
    c.tag_resource()
        .resource_arn(arn("t"))
        .tags(tag("b", "2"))
        .tags(tag("a", "one"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&c, "t").await,
        vec![("a".into(), "one".into()), ("b".into(), "2".into())]
    );
    c.untag_resource()
        .resource_arn(arn("t"))
        .tag_keys("a")
        .tag_keys("not-there")
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&c, "t").await, vec![("b".into(), "2".into())]);

    // Unknown alarm, other region, other account: not found.
    for missing in [
        arn("absent"),
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:t".to_string(),
        "arn:aws:cloudwatch:us-east-1:999999999999:alarm:t".to_string(),
    ] {
        let e = c
            .list_tags_for_resource()
            .resource_arn(&missing)
            .send()
            .await
            .unwrap_err();
        assert!(
            e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()),
            "{missing}: {e:?}"
        );
        let e = c
            .tag_resource()
            .resource_arn(&missing)
            .tags(tag("k", "v"))
            .send()
            .await
            .unwrap_err();
        assert!(
            e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception())
        );
        let e = c
            .untag_resource()
            .resource_arn(&missing)
            .tag_keys("k")
            .send()
            .await
            .unwrap_err();
        assert!(
            e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception())
        );
    }
    let e = c
        .list_tags_for_resource()
        .resource_arn("not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .is_some_and(|s| s.is_invalid_parameter_value_exception())
    );
    let e = c
        .tag_resource()
        .resource_arn(arn("t"))
        .tags(tag("aws:reserved", "x"))
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .is_some_and(|s| s.is_invalid_parameter_value_exception())
    );
    let mut many = c.tag_resource().resource_arn(arn("t"));
    for i in 0..50 {
        many = many.tags(tag(&format!("k{i}"), "v"));
    }
    let e = many.send().await.unwrap_err();
    assert!(
        e.as_service_error()
            .is_some_and(|s| s.is_invalid_parameter_value_exception()),
        "51 tags in total are too many"
    );
    let long_key = "k".repeat(129);
    assert_eq!(
        code(
            c.tag_resource()
                .resource_arn(arn("t"))
                .tags(tag(&long_key, "v"))
                .send()
                .await
        ),
        "ValidationError"
    );
    assert_eq!(
        tags_of(&c, "t").await,
        vec![("b".into(), "2".into())],
        "failed calls change nothing"
    );
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn put_metric_alarm_constraints() {
    let ep = common::start_local().await;
    let c = client(&ep);
    let msg = |r: Result<_, aws_sdk_cloudwatch::error::SdkError<_, _>>| {
        let e: aws_sdk_cloudwatch::error::SdkError<
            aws_sdk_cloudwatch::operation::put_metric_alarm::PutMetricAlarmError,
            _,
        > = match r {
            Ok(aws_sdk_cloudwatch::operation::put_metric_alarm::PutMetricAlarmOutput {
                ..
            }) => {
                panic!("expected an error")
            }
            Err(e) => e,
        };
        assert_eq!(e.code(), Some("ValidationError"), "{e:?}");
        e.message().unwrap_or_default().to_string()
    };
    let long = "x".repeat(256);
    assert!(
        msg(basic(&c, &long).send().await).contains("at 'alarmName' failed to satisfy constraint")
    );
    assert!(msg(c.put_metric_alarm().send().await).contains("Value null at 'alarmName'"));
    assert!(
        msg(basic(&c, "x").extended_statistic("p99").send().await)
            .contains("Exactly one of Statistic or ExtendedStatistic")
    );
    assert!(msg(basic(&c, "x").period(45).send().await).contains("Period"));
    assert!(msg(basic(&c, "x").evaluation_periods(0).send().await).contains("evaluationPeriods"));
    assert!(
        msg(basic(&c, "x").datapoints_to_alarm(4).send().await)
            .contains("DatapointsToAlarm must be less than or equal to EvaluationPeriods")
    );
    assert!(
        msg(basic(&c, "x")
            .period(3540)
            .evaluation_periods(25)
            .send()
            .await)
        .contains("86400")
    );
    assert!(
        msg(c
            .put_metric_alarm()
            .alarm_name("x")
            .metric_name("m")
            .namespace("n")
            .statistic(Statistic::Sum)
            .period(60)
            .evaluation_periods(1)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await)
        .contains("Threshold must be set")
    );
    assert!(
        msg(basic(&c, "x")
            .comparison_operator(ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold)
            .send()
            .await)
        .contains("ThresholdMetricId")
    );
    assert!(
        msg(basic(&c, "x").treat_missing_data("sometimes").send().await)
            .contains("TreatMissingData")
    );
    let mut six = basic(&c, "x");
    for i in 0..6 {
        six = six.alarm_actions(format!("arn:aws:sns:us-east-1:123456789012:t{i}"));
    }
    assert!(msg(six.send().await).contains("at 'alarmActions'"));
    let mut dims = basic(&c, "x");
    for i in 0..30 {
        dims = dims.dimensions(dim(&format!("d{i}"), "v"));
    }
    assert!(msg(dims.send().await).contains("at 'dimensions'"));
    assert!(msg(basic(&c, "x").alarm_actions("not-an-arn").send().await).contains("not-an-arn"));
    assert!(msg(basic(&c, "x").namespace(":bad").send().await).contains("regular expression"));
    let mut tags = basic(&c, "x");
    for i in 0..51 {
        tags = tags.tags(tag(&format!("k{i}"), "v"));
    }
    assert!(msg(tags.send().await).contains("50"));
    // Metric math: the single-metric members must not be set alongside Metrics.
    let query = MetricDataQuery::builder()
        .id("m1")
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("AWS/IVSRealTime")
                        .metric_name("Participants")
                        .build(),
                )
                .period(60)
                .stat("Maximum")
                .build(),
        )
        .build();
    assert!(
        msg(c
            .put_metric_alarm()
            .alarm_name("x")
            .statistic(Statistic::Sum)
            .metrics(query.clone())
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await)
        .contains("Statistic should not be set if list of Metrics is set")
    );
    // Nothing was created by any of the failures.
    assert!(
        c.describe_alarms()
            .send()
            .await
            .unwrap()
            .metric_alarms()
            .is_empty()
    );

    // The same metric math alarm without the conflicting member is valid and round-trips.
    c.put_metric_alarm()
        .alarm_name("math")
        .metrics(query.clone())
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    let a = describe_one(&c, "math").await;
    assert_eq!(a.metrics(), [query]);
    assert_eq!(a.metric_name(), None);
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn alarms_are_regional() {
    let ep = common::start_local().await;
    let east = client(&ep);
    let west = Client::new(&common::sdk_config_for(ep.url(), "eu-west-1"));
    basic(&east, "r").send().await.unwrap();
    assert!(
        west.describe_alarms()
            .send()
            .await
            .unwrap()
            .metric_alarms()
            .is_empty()
    );
    basic(&west, "r").send().await.unwrap();
    let w = describe_one(&west, "r").await;
    assert_eq!(
        w.alarm_arn(),
        Some("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:r")
    );
    west.delete_alarms().alarm_names("r").send().await.unwrap();
    describe_one(&east, "r").await;
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn throttling_uses_codes_the_sdk_retries() {
    let ep = common::start_local_with_clock(
        LocalConfig {
            quotas_aws: true,
            ..LocalConfig::default()
        },
        // Held still: the count of throttled calls does not depend on the machine's speed.
        ivstack_local::Clock::manual(),
    )
    .await;
    let c = Client::new(&common::no_retries(&common::sdk_config(&ep)));
    // PutMetricAlarm is limited to 3 TPS: a quick burst of 30 must be throttled.
    let mut throttled = None;
    for i in 0..30 {
        if let Err(e) = basic(&c, &format!("burst-{i}")).send().await {
            throttled = Some(e);
            break;
        }
    }
    let e = throttled.expect("30 back-to-back PutMetricAlarm calls at 3 TPS are throttled");
    assert_eq!(e.code(), Some("Throttling"));
    let raw = e.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    assert_eq!(
        raw.headers().get("x-amzn-query-error"),
        Some("Throttling;Sender")
    );
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn boto3_json_query_and_cbor() {
    let ep = common::start_local().await;
    let out = common::run_boto3("cloudwatch.py", ep.url(), &[ep.url(), "local"]).await;
    common::assert_script_ok("cloudwatch.py", &out);
    ep.shutdown().await.unwrap();
}

#[tokio::test]
async fn alarms_survive_a_restart_through_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    let config = LocalConfig {
        state_file: Some(file.clone()),
        ..LocalConfig::default()
    };
    let ep = common::start_local_with(config.clone()).await;
    let c = client(&ep);
    basic(&c, "persisted")
        .threshold(2.0)
        .tags(tag("team", "video"))
        .send()
        .await
        .unwrap();
    let before = describe_one(&c, "persisted").await;
    // A read in another Region leaves no empty entry behind.
    let west = Client::new(&common::sdk_config_for(ep.url(), "eu-west-1"));
    west.describe_alarms().send().await.unwrap();
    ep.with_state(|s| assert!(!s.cloudwatch.regions.contains_key("eu-west-1")))
        .unwrap();
    ep.shutdown().await.unwrap();

    let ep = common::start_local_with(config).await;
    let c = client(&ep);
    let after = describe_one(&c, "persisted").await;
    assert_eq!(
        after, before,
        "the alarm reads back identically after a restart"
    );
    assert_eq!(after.threshold(), Some(2.0));
    assert_eq!(
        tags_of(&c, "persisted").await,
        vec![("team".into(), "video".into())]
    );
    ep.shutdown().await.unwrap();
}
