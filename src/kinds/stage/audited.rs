//! The stage kind's audit-side facts (see [`crate::kinds::audited`]).

use serde_json::{Map, Value, json};

use super::Stage;
use crate::kinds::Resource;
use crate::kinds::audited::{Audited, Cfn, Mode, Permission, Scope, field, tag_list};

impl Audited for Stage {
    // No field of a stage is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
    const CFN_TYPE: &'static str = "AWS::IVS::Stage";
    const CFN_ARN_ATTRIBUTE: Option<&'static str> = Some("Arn");

    fn cloudformation(desired: &Resource) -> Cfn {
        let spec = &desired.spec;
        let mut cfn = Cfn::default();
        cfn.put("Name", field(spec, "name"));
        if let Some(Value::Object(rec)) = spec.get("recording")
            && rec
                .get("storage_configuration_arn")
                .and_then(Value::as_str)
                .is_some_and(|a| !a.is_empty())
        {
            cfn.put(
                "AutoParticipantRecordingConfiguration",
                Some(recording(rec)),
            );
            cfn.unsupported_if(
                spec,
                &["recording", "record_participant_replicas"],
                "AWS::IVS::Stage's AutoParticipantRecordingConfiguration has no \
                 RecordParticipantReplicas property",
            );
        }
        cfn.put("Tags", Some(tag_list(&desired.tags)));
        cfn
    }

    fn permissions(scope: &Scope<'_>) -> Vec<Permission> {
        let stages = vec![scope.ivs("stage")];
        // ListStages takes the stage resource type; it runs whatever the file declares.
        let mut out = vec![Permission::new(
            Mode::Plan,
            &["ivs:ListStages"],
            stages.clone(),
        )];
        if scope.declared {
            out.push(Permission::new(
                Mode::Plan,
                &["ivs:GetStage"],
                stages.clone(),
            ));
            out.push(Permission::new(
                Mode::Apply,
                &[
                    "ivs:CreateStage",
                    "ivs:UpdateStage",
                    "ivs:DeleteStage",
                    "ivs:TagResource",
                    "ivs:UntagResource",
                ],
                stages,
            ));
        }
        out
    }
}

/// `recording` as `AutoParticipantRecordingConfiguration`.
fn recording(rec: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            out.insert(k.to_string(), v);
        }
    };
    put(
        "StorageConfigurationArn",
        field(rec, "storage_configuration_arn"),
    );
    put("MediaTypes", field(rec, "media_types"));
    if let Some(Value::Object(t)) = rec.get("thumbnails") {
        let mut th = Map::new();
        for (from, to) in [
            ("mode", "RecordingMode"),
            ("interval_seconds", "TargetIntervalSeconds"),
            ("storage", "Storage"),
        ] {
            if let Some(v) = field(t, from) {
                th.insert(to.to_string(), v);
            }
        }
        put(
            "ThumbnailConfiguration",
            Some(json!({"ParticipantThumbnailConfiguration": th})),
        );
    }
    put(
        "HlsConfiguration",
        field(rec, "hls_segment_seconds").map(|s| {
            json!({"ParticipantRecordingHlsConfiguration": {"TargetSegmentDurationSeconds": s}})
        }),
    );
    put(
        "RecordingReconnectWindowSeconds",
        field(rec, "reconnect_window_seconds"),
    );
    Value::Object(out)
}
