//! The whole emulated world: one value per service, serialisable so that `--state FILE`
//! (and `ivstack --local`) can keep it between runs.

use serde::{Deserialize, Serialize};

use super::services::{
    budgets::BudgetsState, cloudwatch::CloudWatchState, iam::IamState, ivs::IvsState, s3::S3State,
};

/// Marks a state file as ours, so a foreign JSON file is never mistaken for one.
pub const STATE_FORMAT: &str = "ivstack-local-state";
/// Bumped on incompatible changes of the state layout.
pub const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalState {
    pub format: String,
    pub version: u32,
    #[serde(default)]
    pub ivs: IvsState,
    #[serde(default)]
    pub iam: IamState,
    #[serde(default)]
    pub cloudwatch: CloudWatchState,
    #[serde(default)]
    pub budgets: BudgetsState,
    /// Absent from files written before S3 was served (and while no bucket exists).
    #[serde(default, skip_serializing_if = "S3State::is_empty")]
    pub s3: S3State,
}

impl Default for LocalState {
    fn default() -> Self {
        LocalState {
            format: STATE_FORMAT.to_string(),
            version: STATE_VERSION,
            ivs: IvsState::default(),
            iam: IamState::default(),
            cloudwatch: CloudWatchState::default(),
            budgets: BudgetsState::default(),
            s3: S3State::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    /// A version-1 state file as the endpoint wrote it before its services moved onto
    /// tables (field names and shapes from that code): it must load, and write back the same.
    const VERSION_1: &str = r#"{
      "format": "ivstack-local-state",
      "version": 1,
      "ivs": {
        "regions": {"us-east-1": {"stages": {"abcDEF123456": {
          "arn": "arn:aws:ivs:us-east-1:123456789012:stage/abcDEF123456",
          "name": "kept",
          "tags": {"a": "b"},
          "recording": {
            "storageConfigurationArn": "",
            "mediaTypes": ["AUDIO_VIDEO"],
            "thumbnailConfiguration": {"targetIntervalSeconds": 60, "storage": ["SEQUENTIAL"], "recordingMode": "DISABLED"},
            "recordingReconnectWindowSeconds": 0,
            "hlsConfiguration": {"targetSegmentDurationSeconds": 6},
            "recordParticipantReplicas": true
          },
          "endpoint_id": "abcdefabcdef",
          "sessions": [{"session_id": "st-AAAAAAAAAAAAA", "start_time": 1700000000, "end_time": null}]
        }}}}
      },
      "iam": {"policies": {"arn:aws:iam::123456789012:policy/p": {
        "name": "p", "id": "ANPAAAAAAAAAAAAAAAAAA", "path": "/",
        "arn": "arn:aws:iam::123456789012:policy/p", "description": null,
        "create_date": 1700000000, "update_date": 1700000000,
        "default_version": 1, "next_version": 2,
        "versions": {"1": {"document": "{\"Version\":\"2012-10-17\"}", "create_date": 1700000000}},
        "tags": {"k": "v"}
      }}},
      "cloudwatch": {"regions": {"us-east-1": {"alarms": {"cpu": {
        "config": {"AlarmName": "cpu", "Threshold": 2.0, "Period": 60, "ActionsEnabled": false,
                   "Dimensions": [{"Name": "Stage", "Value": "s"}]},
        "arn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu",
        "state_value": "OK", "state_reason": "r", "state_reason_data": null,
        "state_updated": 1700000000.0, "state_transitioned": 1700000000.0,
        "configuration_updated": 1700000000.0,
        "tags": [["team", "video"]]
      }}}}},
      "budgets": {"accounts": {"123456789012": {"b": {
        "budget": {"BudgetName": "b", "BudgetLimit": {"Amount": "500.0", "Unit": "USD"},
                   "TimeUnit": "MONTHLY", "TimePeriod": {"Start": 1793491200.0, "End": 3706473600.0},
                   "BudgetType": "COST", "LastUpdatedTime": 1700000000.0},
        "notifications": [{"notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                                            "Threshold": 80.0, "ThresholdType": "PERCENTAGE", "NotificationState": "OK"},
                           "subscribers": [{"SubscriptionType": "EMAIL", "Address": "a@example.com"}]}],
        "tags": {"stack": "demo"}
      }}}}
    }"#;

    #[test]
    fn version_1_state_files_load_and_write_back_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, VERSION_1).unwrap();
        let state = crate::store::load(&path).unwrap().unwrap();
        let stage = &state.ivs.regions["us-east-1"].stages["abcDEF123456"];
        assert_eq!(stage.name, "kept");
        assert_eq!(stage.sessions[0].start_time, 1_700_000_000);
        assert_eq!(state.iam.policies.len(), 1);
        let alarm = &state.cloudwatch.regions["us-east-1"].alarms["cpu"];
        assert_eq!(alarm.tags, vec![("team".to_string(), "video".to_string())]);
        assert_eq!(
            alarm.config["Threshold"],
            crate::document::Document::Float(2.0)
        );
        let budget = &state.budgets.accounts["123456789012"]["b"];
        assert_eq!(budget.notifications[0].subscribers.len(), 1);

        let written = serde_json::to_value(&state).unwrap();
        let original: serde_json::Value = serde_json::from_str(VERSION_1).unwrap();
        assert_eq!(written, original);
    }
}
