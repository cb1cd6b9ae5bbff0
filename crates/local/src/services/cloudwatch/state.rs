//! CloudWatch's persisted state: alarms per Region, keyed (and so listed) by name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::document::Document;

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
    pub config: BTreeMap<String, Document>,
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
