//! The stack-file form of an alarm (`alarms.<id>`): what a file may say, with its defaults
//! and limits. Field docs become the JSON Schema's descriptions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::is_false;

/// A CloudWatch alarm on an `AWS/IVSRealTime` metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alarm {
    /// Alarm name. Default: `<stack>-<id>`. Changing it replaces the alarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub name: Option<String>,

    /// Logical id of the stage whose metric is watched; becomes the `Stage` dimension (the
    /// stage id, not its ARN). Leave out for the region-wide metrics
    /// (`ConcurrentPublishers`, `ConcurrentSubscriptions`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,

    /// `AWS/IVSRealTime` metric name.
    pub metric: Metric,

    /// `Average`, `Maximum` or `Minimum` (the statistics IVS publishes).
    pub statistic: Statistic,

    /// Comparison: `>=`, `>`, `<`, `<=` (or the CloudWatch operator names).
    pub comparison: Comparison,

    /// Threshold the statistic is compared with.
    pub threshold: f64,

    /// Period in seconds: 10, 20, 30 or a multiple of 60. Default: 60. Period times
    /// `evaluation_periods` may not exceed 7 days (1 day when the period is under an hour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 10, max = 604800))]
    pub period_seconds: Option<i32>,

    /// Number of periods evaluated. Default: 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100000))]
    pub evaluation_periods: Option<i32>,

    /// Breaching periods (of `evaluation_periods`) that trigger the alarm. Default: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100000))]
    pub datapoints_to_alarm: Option<i32>,

    /// How missing data is treated. IVS publishes metrics only while a stage is active, so
    /// the default is `notBreaching`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treat_missing_data: Option<TreatMissingData>,

    /// ARNs notified on ALARM (at most 5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5))]
    pub alarm_actions: Vec<String>,

    /// ARNs notified on OK (at most 5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5))]
    pub ok_actions: Vec<String>,

    /// ARNs notified on INSUFFICIENT_DATA (at most 5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5))]
    pub insufficient_data_actions: Vec<String>,

    /// Alarm description, up to 1024 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub description: Option<String>,

    /// Tags of this alarm, merged over the stack's default tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,

    /// Never delete this alarm (stored as the `ivstack:protect` tag).
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
}

/// The metrics in the `AWS/IVSRealTime` namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Metric {
    Publishers,
    Subscribers,
    ConcurrentPublishers,
    ConcurrentSubscriptions,
    DownloadPacketLoss,
    DroppedFrames,
    PublishBitrate,
    SubscribeBitrate,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Publishers => "Publishers",
            Metric::Subscribers => "Subscribers",
            Metric::ConcurrentPublishers => "ConcurrentPublishers",
            Metric::ConcurrentSubscriptions => "ConcurrentSubscriptions",
            Metric::DownloadPacketLoss => "DownloadPacketLoss",
            Metric::DroppedFrames => "DroppedFrames",
            Metric::PublishBitrate => "PublishBitrate",
            Metric::SubscribeBitrate => "SubscribeBitrate",
        }
    }

    /// Whether IVS publishes this metric with the `Stage` dimension alone (true) or with no
    /// dimension (false). From the "Monitoring Amazon IVS Real-Time Streaming" metric table.
    pub fn per_stage(self) -> Option<bool> {
        match self {
            Metric::Publishers | Metric::Subscribers => Some(true),
            Metric::ConcurrentPublishers | Metric::ConcurrentSubscriptions => Some(false),
            // Published both region-wide and per stage.
            Metric::DownloadPacketLoss
            | Metric::DroppedFrames
            | Metric::PublishBitrate
            | Metric::SubscribeBitrate => None,
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Metric::Publishers
            | Metric::Subscribers
            | Metric::ConcurrentPublishers
            | Metric::ConcurrentSubscriptions => "Count",
            Metric::DownloadPacketLoss | Metric::DroppedFrames => "Percent",
            Metric::PublishBitrate | Metric::SubscribeBitrate => "Bits/Second",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Statistic {
    Average,
    Maximum,
    Minimum,
}

impl Statistic {
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::Average => "Average",
            Statistic::Maximum => "Maximum",
            Statistic::Minimum => "Minimum",
        }
    }
}

/// Comparison operator; the symbol and CloudWatch's name are both accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Comparison {
    #[serde(rename = ">=", alias = "GreaterThanOrEqualToThreshold")]
    GreaterOrEqual,
    #[serde(rename = ">", alias = "GreaterThanThreshold")]
    Greater,
    #[serde(rename = "<", alias = "LessThanThreshold")]
    Less,
    #[serde(rename = "<=", alias = "LessThanOrEqualToThreshold")]
    LessOrEqual,
}

impl Comparison {
    /// CloudWatch's `ComparisonOperator` value.
    pub fn aws_name(self) -> &'static str {
        match self {
            Comparison::GreaterOrEqual => "GreaterThanOrEqualToThreshold",
            Comparison::Greater => "GreaterThanThreshold",
            Comparison::Less => "LessThanThreshold",
            Comparison::LessOrEqual => "LessThanOrEqualToThreshold",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissingData {
    Breaching,
    NotBreaching,
    Ignore,
    Missing,
}

impl TreatMissingData {
    pub fn as_str(self) -> &'static str {
        match self {
            TreatMissingData::Breaching => "breaching",
            TreatMissingData::NotBreaching => "notBreaching",
            TreatMissingData::Ignore => "ignore",
            TreatMissingData::Missing => "missing",
        }
    }
}
