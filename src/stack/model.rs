//! The typed stack-file language: what a stack file may say, with its defaults and limits.
//!
//! These types are the single source of truth for three things: the parser (serde), the JSON
//! Schema that editors use (`ivstack schema`, via schemars), and the limits that validation
//! enforces. Field docs become the schema's descriptions, so they are written for the person
//! typing the file.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One stack file: one stack, in one AWS account and region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ivstack stack file")]
pub struct StackFile {
    /// Stack name: the value of the `ivstack:stack` ownership tag on every resource, and the
    /// default prefix of physical names. Lowercase letters, digits and hyphens.
    #[schemars(
        length(min = 1, max = 64),
        pattern(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"),
        extend("patternErrorMessage" = "may only contain lowercase letters, digits and `-`, and must start and end with a letter or digit")
    )]
    pub stack: String,

    /// AWS region of the stages and alarms, e.g. `us-west-2`. IAM and Budgets are global.
    #[schemars(
        pattern(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"),
        extend("patternErrorMessage" = "is not an AWS region code such as `us-west-2`")
    )]
    pub region: String,

    /// Optional guard: the 12-digit account id this stack belongs to. ivstack refuses to
    /// change anything when the credentials belong to another account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        pattern(r"^[0-9]{12}$"),
        extend("patternErrorMessage" = "must be exactly 12 digits (quote it so YAML keeps leading zeros: `account: \"012345678901\"`)")
    )]
    pub account: Option<String>,

    /// Tags put on every resource of the stack (resource tags win on the same key).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,

    /// IVS Real-Time stages, by logical id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stages: BTreeMap<String, Stage>,

    /// Customer-managed IAM policies, by logical id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, Policy>,

    /// CloudWatch alarms on `AWS/IVSRealTime` metrics, by logical id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub alarms: BTreeMap<String, Alarm>,

    /// AWS Budgets cost budgets, by logical id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub budgets: BTreeMap<String, Budget>,
}

/// An IVS Real-Time stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Stage name. Default: `<stack>-<id>`. Names are not unique in IVS; ivstack tracks
    /// stages by their ownership tags, so renaming updates the stage in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = 128),
        pattern(r"^[a-zA-Z0-9-_]*$"),
        extend("patternErrorMessage" = "may only contain letters, digits, `-` and `_`")
    )]
    pub name: Option<String>,

    /// Tags of this stage, merged over the stack's default tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,

    /// Auto participant recording. Leave out to leave recording unmanaged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<Recording>,

    /// Never delete this stage, even when it is removed from the file or the stack is
    /// destroyed. Stored on the stage as the `ivstack:protect` tag, so the protection
    /// survives deleting the YAML.
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
}

/// The stage's `autoParticipantRecordingConfiguration`. Omitted fields are unmanaged: the
/// live value (or the AWS default on creation) is kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recording {
    /// ARN of the IVS storage configuration that receives recordings. An empty string
    /// disables recording.
    #[schemars(
        length(max = 128),
        pattern(r"^$|^arn:aws:ivs:[a-z0-9-]+:[0-9]+:storage-configuration/[a-zA-Z0-9-]+$"),
        extend("patternErrorMessage" = "is not an IVS storage configuration ARN (`arn:aws:ivs:<region>:<account>:storage-configuration/<id>`, or \"\" to disable recording)")
    )]
    pub storage_configuration_arn: String,

    /// Media types to record. AWS default: `[AUDIO_VIDEO]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1))]
    pub media_types: Option<Vec<MediaType>>,

    /// Thumbnail capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnails: Option<Thumbnails>,

    /// Target HLS segment length in seconds, 2 to 10. AWS default: 6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 10))]
    pub hls_segment_seconds: Option<i32>,

    /// Seconds within which a reconnecting participant's recording is merged into the same
    /// recording, 0 to 300. AWS default: 0 (no merging).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 300))]
    pub reconnect_window_seconds: Option<i32>,

    /// Also record participant replicas. AWS default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_participant_replicas: Option<bool>,
}

/// A recorded media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum MediaType {
    #[serde(rename = "AUDIO_VIDEO")]
    AudioVideo,
    #[serde(rename = "AUDIO_ONLY")]
    AudioOnly,
    #[serde(rename = "NONE")]
    None,
}

/// Thumbnail settings of a recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Thumbnails {
    /// `INTERVAL` captures a thumbnail every `interval_seconds`; `DISABLED` captures none.
    /// AWS default: `DISABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ThumbnailMode>,

    /// Seconds between thumbnails, 1 to 86400 (only with `mode: INTERVAL`). AWS default: 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 86400))]
    pub interval_seconds: Option<i32>,

    /// `SEQUENTIAL` keeps every thumbnail, `LATEST` overwrites one. AWS default: `[SEQUENTIAL]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2))]
    pub storage: Option<Vec<ThumbnailStorage>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ThumbnailMode {
    #[serde(rename = "INTERVAL")]
    Interval,
    #[serde(rename = "DISABLED")]
    Disabled,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum ThumbnailStorage {
    #[serde(rename = "SEQUENTIAL")]
    Sequential,
    #[serde(rename = "LATEST")]
    Latest,
}

/// A customer-managed IAM policy. It lives under the IAM path `/ivstack/<stack>/`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// IAM policy name. Default: `<stack>-<id>`. Changing it replaces the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 128),
        pattern(r"^[\w+=,.@-]+$"),
        extend("patternErrorMessage" = "may only contain letters, digits and `+=,.@-_` (IAM policy names)")
    )]
    pub name: Option<String>,

    /// What the policy is for, for auditors. IAM cannot change a description, so changing
    /// it replaces the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub description: Option<String>,

    /// Least-privilege statements. Use this, or `document`, not both.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<Statement>,

    /// Escape hatch: a raw IAM policy document (YAML or JSON object). `ivstack lint` flags
    /// it, because nothing here checks that it is least-privilege.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<serde_json::Value>,

    /// Tags of this policy, merged over the stack's default tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,

    /// Never delete this policy (stored as the `ivstack:protect` tag).
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
}

/// One statement of a policy. Resources are stage references, raw ARNs, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Statement id (letters and digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        pattern(r"^[A-Za-z0-9]+$"),
        extend("patternErrorMessage" = "may only contain letters and digits")
    )]
    pub sid: Option<String>,

    /// `Allow` (default) or `Deny`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,

    /// Actions, `service:Action`, e.g. `ivs:CreateParticipantToken`.
    #[schemars(length(min = 1), inner(pattern(r"^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$")))]
    pub allow: Vec<String>,

    /// Logical ids of stages in this stack; each renders as that stage's exact ARN.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,

    /// Other resource ARNs, verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,

    /// IAM condition block: operator → condition key → value(s).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conditions: BTreeMap<String, BTreeMap<String, StringOrList>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Effect {
    Allow,
    Deny,
}

/// A condition value: one string or a list of strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl StringOrList {
    pub fn values(&self) -> Vec<String> {
        match self {
            StringOrList::One(s) => vec![s.clone()],
            StringOrList::Many(v) => v.clone(),
        }
    }
}

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

/// An AWS Budgets cost budget scoped to IVS spend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Budget name, unique in the account. Default: `<stack>-<id>`. Changing it replaces
    /// the budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 100),
        pattern(r"^[^:\\]+$"),
        extend("patternErrorMessage" = "may not contain `:` or `\\`")
    )]
    pub name: Option<String>,

    /// Spend limit in US dollars per period.
    #[schemars(range(min = 0.01, max = 1e12))]
    pub limit_usd: f64,

    /// Budget period. Default: `MONTHLY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<BudgetPeriod>,

    /// Percentages of ACTUAL spend that notify. Default: `[80, 100]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_percent: Option<Vec<f64>>,

    /// Percentages of FORECASTED spend that notify. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forecast_percent: Vec<f64>,

    /// Email subscribers of every notification (at most 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub emails: Vec<String>,

    /// SNS topic ARN subscribed to every notification (at most one per notification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sns_topic_arn: Option<String>,

    /// What spend counts against the budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<BudgetScope>,

    /// Tags of this budget, merged over the stack's default tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,

    /// Never delete this budget (stored as the `ivstack:protect` tag).
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum BudgetPeriod {
    #[serde(rename = "DAILY")]
    Daily,
    #[serde(rename = "MONTHLY")]
    Monthly,
    #[serde(rename = "QUARTERLY")]
    Quarterly,
    #[serde(rename = "ANNUALLY")]
    Annually,
}

impl BudgetPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetPeriod::Daily => "DAILY",
            BudgetPeriod::Monthly => "MONTHLY",
            BudgetPeriod::Quarterly => "QUARTERLY",
            BudgetPeriod::Annually => "ANNUALLY",
        }
    }
}

/// Which costs a budget counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetScope {
    /// Cost Explorer SERVICE value to filter on. Default: `Amazon Interactive Video Service`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,

    /// Also filter on the stack's `ivstack:stack` cost-allocation tag (the tag must be
    /// activated in Billing first). Default: false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub stack_tag: bool,
}

/// The default Cost Explorer service value for IVS spend.
pub const IVS_SERVICE_NAME: &str = "Amazon Interactive Video Service";

fn is_false(b: &bool) -> bool {
    !*b
}
