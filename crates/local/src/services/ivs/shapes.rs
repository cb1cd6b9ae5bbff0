//! IVS Real-Time's input shapes, from the service model (botocore `ivs-realtime/2020-07-14`),
//! with URI labels and query members where restJson1 binds them.

use crate::shape::{
    Pattern, Shape, any_string, enumeration, int, list, map, member, pattern, required, string,
};

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

fn is_region_like(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_id_like(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Parse an IVS ARN `arn:aws:ivs:<region>:<account>:<type>/<id>` into (region, account,
/// type, id).
pub fn parse_arn(arn: &str) -> Option<(&str, &str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:ivs:")?;
    let mut it = rest.splitn(3, ':');
    let region = it.next()?;
    let account = it.next()?;
    let resource = it.next()?;
    let (kind, id) = resource.split_once('/')?;
    let ok = is_region_like(region)
        && !account.is_empty()
        && account.chars().all(|c| c.is_ascii_digit())
        && !kind.is_empty()
        && kind.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        && is_id_like(id);
    ok.then_some((region, account, kind, id))
}

fn is_arn_of(arn: &str, kind: &str) -> bool {
    parse_arn(arn).is_some_and(|(_, _, k, _)| k == kind)
}

static STAGE_NAME: Shape = pattern(
    0,
    Some(128),
    Pattern {
        regex: "[a-zA-Z0-9-_]*",
        test: |s| s.chars().all(is_name_char),
    },
);
static STAGE_ARN: Shape = pattern(
    1,
    Some(128),
    Pattern {
        regex: "arn:aws:ivs:[a-z0-9-]+:[0-9]+:stage/[a-zA-Z0-9-]+",
        test: |s| is_arn_of(s, "stage"),
    },
);
/// The model's pattern has a one-character resource type (a model bug, reference §2.1);
/// every real IVS resource type is accepted instead.
static RESOURCE_ARN: Shape = pattern(
    1,
    Some(128),
    Pattern {
        regex: "arn:aws:ivs:[a-z0-9-]+:[0-9]+:[a-z-]/[a-zA-Z0-9-]+",
        test: |s| parse_arn(s).is_some(),
    },
);
static STORAGE_CONFIGURATION_ARN: Shape = pattern(
    0,
    Some(128),
    Pattern {
        regex: "^$|^arn:aws:ivs:[a-z0-9-]+:[0-9]+:storage-configuration/[a-zA-Z0-9-]+$",
        test: |s| s.is_empty() || is_arn_of(s, "storage-configuration"),
    },
);
static TAG_KEY: Shape = string(1, 128);
static TAGS: Shape = map(&TAG_KEY, &const { string(0, 256) }, Some(50));
static TAG_KEYS: Shape = list(&TAG_KEY, 0, Some(50));
static PAGINATION_TOKEN: Shape = pattern(
    0,
    Some(1024),
    Pattern {
        regex: "[a-zA-Z0-9+/=_-]*",
        test: |s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+/=_-".contains(c))
        },
    },
);
static MAX_RESULTS: Shape = int(Some(1), Some(100));
static ANY_STRING: Shape = any_string();
static BOOL: Shape = Shape::Bool;

static TOKEN_DURATION: Shape = int(Some(1), Some(20_160));
static USER_ID: Shape = string(0, 128);
static ATTRIBUTES: Shape = map(&ANY_STRING, &ANY_STRING, None);
static CAPABILITIES: Shape = list(
    &const { enumeration(&["PUBLISH", "SUBSCRIBE"]) },
    0,
    Some(2),
);
static TOKEN_CONFIGURATION: Shape = Shape::Struct(&[
    member("duration", &TOKEN_DURATION),
    member("userId", &USER_ID),
    member("attributes", &ATTRIBUTES),
    member("capabilities", &CAPABILITIES),
]);

static RECORDING: Shape = Shape::Struct(&[
    required("storageConfigurationArn", &STORAGE_CONFIGURATION_ARN),
    member(
        "mediaTypes",
        &const {
            list(
                &const { enumeration(&["AUDIO_VIDEO", "AUDIO_ONLY", "NONE"]) },
                0,
                Some(1),
            )
        },
    ),
    member(
        "thumbnailConfiguration",
        &Shape::Struct(&[
            member(
                "targetIntervalSeconds",
                &const { int(Some(1), Some(86_400)) },
            ),
            member(
                "storage",
                &const {
                    list(
                        &const { enumeration(&["SEQUENTIAL", "LATEST"]) },
                        0,
                        Some(2),
                    )
                },
            ),
            member(
                "recordingMode",
                &const { enumeration(&["INTERVAL", "DISABLED"]) },
            ),
        ]),
    ),
    member(
        "recordingReconnectWindowSeconds",
        &const { int(Some(0), Some(300)) },
    ),
    member(
        "hlsConfiguration",
        &Shape::Struct(&[member(
            "targetSegmentDurationSeconds",
            &const { int(Some(2), Some(10)) },
        )]),
    ),
    member("recordParticipantReplicas", &BOOL),
]);

pub static CREATE_STAGE: Shape = Shape::Struct(&[
    member("name", &STAGE_NAME),
    member(
        "participantTokenConfigurations",
        &const { list(&TOKEN_CONFIGURATION, 0, Some(12)) },
    ),
    member("tags", &TAGS),
    member("autoParticipantRecordingConfiguration", &RECORDING),
]);
/// GetStage and DeleteStage.
pub static STAGE_BY_ARN: Shape = Shape::Struct(&[required("arn", &STAGE_ARN)]);
pub static LIST_STAGES: Shape = Shape::Struct(&[
    member("nextToken", &PAGINATION_TOKEN),
    member("maxResults", &MAX_RESULTS),
]);
pub static UPDATE_STAGE: Shape = Shape::Struct(&[
    required("arn", &STAGE_ARN),
    member("name", &STAGE_NAME),
    member("autoParticipantRecordingConfiguration", &RECORDING),
]);
pub static CREATE_PARTICIPANT_TOKEN: Shape = Shape::Struct(&[
    required("stageArn", &STAGE_ARN),
    member("duration", &TOKEN_DURATION),
    member("userId", &USER_ID),
    member("attributes", &ATTRIBUTES),
    member("capabilities", &CAPABILITIES),
]);
pub static LIST_STAGE_SESSIONS: Shape = Shape::Struct(&[
    required("stageArn", &STAGE_ARN),
    member("nextToken", &PAGINATION_TOKEN),
    member("maxResults", &MAX_RESULTS),
]);
pub static GET_STAGE_SESSION: Shape = Shape::Struct(&[
    required("stageArn", &STAGE_ARN),
    required(
        "sessionId",
        &const {
            pattern(
                16,
                Some(16),
                Pattern {
                    regex: "st-[a-zA-Z0-9]+",
                    test: |s| {
                        s.strip_prefix("st-").is_some_and(|id| {
                            !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric())
                        })
                    },
                },
            )
        },
    ),
]);
pub static TAG_RESOURCE: Shape = Shape::Struct(&[
    required("resourceArn", &RESOURCE_ARN).label(),
    required("tags", &TAGS),
]);
pub static UNTAG_RESOURCE: Shape = Shape::Struct(&[
    required("resourceArn", &RESOURCE_ARN).label(),
    required("tagKeys", &TAG_KEYS).query("tagKeys"),
]);
pub static LIST_TAGS: Shape = Shape::Struct(&[required("resourceArn", &RESOURCE_ARN).label()]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_parse_and_validate() {
        assert_eq!(
            parse_arn("arn:aws:ivs:us-east-1:123456789012:stage/abcDEF123456"),
            Some(("us-east-1", "123456789012", "stage", "abcDEF123456"))
        );
        assert!(parse_arn("arn:aws:ivs:us-east-1:12a:stage/x").is_none());
        assert!(parse_arn("arn:aws:s3:::bucket").is_none());
        assert!(!is_arn_of(
            "arn:aws:ivs:us-east-1:1:storage-configuration/x",
            "stage"
        ));
    }
}
