//! IVS Real-Time's input shapes, from the service model (botocore `ivs-realtime/2020-07-14`),
//! with URI labels and query members where restJson1 binds them.

use crate::shape::{
    Pattern, Shape, Str, any_string, enumeration, int, list, map, member, pattern, required, string,
};

// Shapes shared by several operations come first, then each operation's input, in the
// order of the table (`mod.rs`).

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

/// `StageName`, and equally `StorageConfigurationName`, `EncoderConfigurationName`,
/// `PublicKeyName`, `IngestConfigurationName` (the model gives them the same constraints).
static NAME: Shape = pattern(
    0,
    Some(128),
    Pattern {
        regex: "[a-zA-Z0-9-_]*",
        test: |s| s.chars().all(is_name_char),
    },
);
/// An ARN of one resource type: `arn:aws:ivs:[a-z0-9-]+:[0-9]+:<type>/[a-zA-Z0-9-]+`.
macro_rules! arn_shape {
    ($kind:literal) => {
        pattern(
            1,
            Some(128),
            Pattern {
                regex: concat!("arn:aws:ivs:[a-z0-9-]+:[0-9]+:", $kind, "/[a-zA-Z0-9-]+"),
                test: |s| is_arn_of(s, $kind),
            },
        )
    };
}

static STAGE_ARN: Shape = arn_shape!("stage");
static STORAGE_CONFIGURATION_ARN: Shape = arn_shape!("storage-configuration");
static ENCODER_CONFIGURATION_ARN: Shape = arn_shape!("encoder-configuration");
static PUBLIC_KEY_ARN: Shape = arn_shape!("public-key");
static INGEST_CONFIGURATION_ARN: Shape = arn_shape!("ingest-configuration");
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
/// A stage's recording storage: `""` (no recording) or a storage configuration ARN.
static RECORDING_STORAGE_ARN: Shape = pattern(
    0,
    Some(128),
    Pattern {
        regex: "^$|^arn:aws:ivs:[a-z0-9-]+:[0-9]+:storage-configuration/[a-zA-Z0-9-]+$",
        test: |s| s.is_empty() || is_arn_of(s, "storage-configuration"),
    },
);
/// `IngestConfigurationStageArn`: `""` (attached to no stage) or a stage ARN.
static INGEST_STAGE_ARN: Shape = pattern(
    0,
    Some(128),
    Pattern {
        regex: "^$|^arn:aws:ivs:[a-z0-9-]+:[0-9]+:stage/[a-zA-Z0-9-]+$",
        test: |s| s.is_empty() || is_arn_of(s, "stage"),
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
    required("storageConfigurationArn", &RECORDING_STORAGE_ARN),
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
    member("name", &NAME),
    member(
        "participantTokenConfigurations",
        &const { list(&TOKEN_CONFIGURATION, 0, Some(12)) },
    ),
    member("tags", &TAGS),
    member("autoParticipantRecordingConfiguration", &RECORDING),
]);
/// GetStage and DeleteStage.
pub static STAGE_BY_ARN: Shape = Shape::Struct(&[required("arn", &STAGE_ARN)]);
/// ListStages, ListStorageConfigurations, ListEncoderConfigurations, ListPublicKeys: the
/// model's `Max…Results` shapes are all 1..100.
pub static LIST_PAGE: Shape = Shape::Struct(&[
    member("nextToken", &PAGINATION_TOKEN),
    member("maxResults", &MAX_RESULTS),
]);
pub static UPDATE_STAGE: Shape = Shape::Struct(&[
    required("arn", &STAGE_ARN),
    member("name", &NAME),
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
// Storage configurations

pub static CREATE_STORAGE_CONFIGURATION: Shape = Shape::Struct(&[
    member("name", &NAME),
    required(
        "s3",
        &Shape::Struct(&[required(
            "bucketName",
            &const {
                pattern(
                    3,
                    Some(63),
                    Pattern {
                        regex: "[a-z0-9-.]+",
                        test: |s| {
                            s.chars().all(|c| {
                                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
                            })
                        },
                    },
                )
            },
        )]),
    ),
    member("tags", &TAGS),
]);
/// GetStorageConfiguration and DeleteStorageConfiguration.
pub static STORAGE_CONFIGURATION_BY_ARN: Shape =
    Shape::Struct(&[required("arn", &STORAGE_CONFIGURATION_ARN)]);

// Encoder configurations

pub static CREATE_ENCODER_CONFIGURATION: Shape = Shape::Struct(&[
    member("name", &NAME),
    member(
        "video",
        &Shape::Struct(&[
            member("width", &const { int(Some(2), Some(1920)) }),
            member("height", &const { int(Some(2), Some(1920)) }),
            member(
                "framerate",
                &Shape::Double {
                    min: Some(1.0),
                    max: Some(60.0),
                },
            ),
            member("bitrate", &const { int(Some(1), Some(8_500_000)) }),
        ]),
    ),
    member("tags", &TAGS),
]);
/// GetEncoderConfiguration and DeleteEncoderConfiguration.
pub static ENCODER_CONFIGURATION_BY_ARN: Shape =
    Shape::Struct(&[required("arn", &ENCODER_CONFIGURATION_ARN)]);

// Public keys

/// `PublicKeyMaterial`. Not `sensitive` in the model, but treated so here: a refused value
/// is never echoed in the message, since what is pasted by mistake is often the private key.
static PUBLIC_KEY_MATERIAL: Shape = Shape::Str(Str {
    min: 0,
    max: None,
    pattern: Some(Pattern {
        regex: r".*-----BEGIN PUBLIC KEY-----\r?\n([a-zA-Z0-9+/=\r\n]+)\r?\n-----END PUBLIC KEY-----(\r?\n)?.*",
        test: is_public_key_pem,
    }),
    values: &[],
    sensitive: true,
});

pub static IMPORT_PUBLIC_KEY: Shape = Shape::Struct(&[
    required("publicKeyMaterial", &PUBLIC_KEY_MATERIAL),
    member("name", &NAME),
    member("tags", &TAGS),
]);
/// GetPublicKey and DeletePublicKey.
pub static PUBLIC_KEY_BY_ARN: Shape = Shape::Struct(&[required("arn", &PUBLIC_KEY_ARN)]);

// Ingest configurations

static INGEST_STATE: Shape = enumeration(&["ACTIVE", "INACTIVE"]);

pub static CREATE_INGEST_CONFIGURATION: Shape = Shape::Struct(&[
    member("name", &NAME),
    member("stageArn", &INGEST_STAGE_ARN),
    member("userId", &USER_ID),
    member("attributes", &ATTRIBUTES),
    required("ingestProtocol", &const { enumeration(&["RTMP", "RTMPS"]) }),
    member("insecureIngest", &BOOL),
    member("redundantIngest", &BOOL),
    member("tags", &TAGS),
]);
pub static GET_INGEST_CONFIGURATION: Shape =
    Shape::Struct(&[required("arn", &INGEST_CONFIGURATION_ARN)]);
pub static LIST_INGEST_CONFIGURATIONS: Shape = Shape::Struct(&[
    member("filterByStageArn", &STAGE_ARN),
    member("filterByState", &INGEST_STATE),
    member("nextToken", &PAGINATION_TOKEN),
    member("maxResults", &MAX_RESULTS),
]);
pub static UPDATE_INGEST_CONFIGURATION: Shape = Shape::Struct(&[
    required("arn", &INGEST_CONFIGURATION_ARN),
    member("stageArn", &INGEST_STAGE_ARN),
    member("redundantIngest", &BOOL),
]);
pub static DELETE_INGEST_CONFIGURATION: Shape = Shape::Struct(&[
    required("arn", &INGEST_CONFIGURATION_ARN),
    member("force", &BOOL),
]);

// Tags

pub static TAG_RESOURCE: Shape = Shape::Struct(&[
    required("resourceArn", &RESOURCE_ARN).label(),
    required("tags", &TAGS),
]);
pub static UNTAG_RESOURCE: Shape = Shape::Struct(&[
    required("resourceArn", &RESOURCE_ARN).label(),
    required("tagKeys", &TAG_KEYS).query("tagKeys"),
]);
pub static LIST_TAGS: Shape = Shape::Struct(&[required("resourceArn", &RESOURCE_ARN).label()]);

/// The model's `PublicKeyMaterial` pattern,
/// `.*-----BEGIN PUBLIC KEY-----\r?\n([a-zA-Z0-9+/=\r\n]+)\r?\n-----END PUBLIC KEY-----(\r?\n)?.*`,
/// decided as Java's `matches` does (the whole string; `.` matches no line terminator).
fn is_public_key_pem(s: &str) -> bool {
    const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
    const END: &str = "-----END PUBLIC KEY-----";
    let one_line = |t: &str| !t.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']);
    let Some((before, rest)) = s.split_once(BEGIN) else {
        return false;
    };
    // The body cannot contain '-', so the first END closes it.
    let Some((body, after)) = rest.split_once(END) else {
        return false;
    };
    let after = after
        .strip_prefix("\r\n")
        .or_else(|| after.strip_prefix('\n'))
        .unwrap_or(after);
    let Some(inner) = body
        .strip_prefix("\r\n")
        .or_else(|| body.strip_prefix('\n'))
    else {
        return false;
    };
    // `inner` is `([a-zA-Z0-9+/=\r\n]+)\r?\n`: the group may end in the `\r`.
    one_line(before)
        && one_line(after)
        && inner.len() >= 2
        && inner.ends_with('\n')
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=\r\n".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_material_follows_the_model_pattern() {
        let ok = "-----BEGIN PUBLIC KEY-----\nMHYwEA==\n-----END PUBLIC KEY-----";
        assert!(is_public_key_pem(ok));
        assert!(is_public_key_pem(&format!("{ok}\n")));
        assert!(is_public_key_pem(&format!("text {ok}\r\n trailing")));
        assert!(is_public_key_pem(
            "-----BEGIN PUBLIC KEY-----\r\nAB\r\nCD\r\n-----END PUBLIC KEY-----\r\n"
        ));
        for bad in [
            "",
            "MHYwEA==",
            "-----BEGIN PUBLIC KEY-----\n\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----MHYw\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMH*w\n-----END PUBLIC KEY-----",
            "line\n-----BEGIN PUBLIC KEY-----\nMHYw\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMHYw\n-----END PUBLIC KEY-----\n\n",
            "-----BEGIN EC PRIVATE KEY-----\nMHYw\n-----END EC PRIVATE KEY-----",
        ] {
            assert!(!is_public_key_pem(bad), "{bad:?}");
        }
    }

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
