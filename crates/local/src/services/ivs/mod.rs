//! Amazon IVS Real-Time (signing name `ivs`, restJson1): stages, participant tokens, stage
//! sessions, storage / encoder / ingest configurations, public keys, and tags on all of
//! them. The operation table, and the resource quotas.
//!
//! Rate quotas (IVS Real-Time service quotas, documented and not adjustable): stage and
//! session operations 5 TPS, CreateParticipantToken 50 TPS, tag operations 10 TPS, storage,
//! encoder and ingest configuration operations 5 TPS, public-key operations 3 TPS.

mod handlers;
pub mod shapes;
mod state;

pub use handlers::{MAX_TAGS, TAGGING};
pub use state::{
    EncoderConfigurationRecord, Endpoints, HlsConfig, IngestConfigurationRecord, IvsRegion,
    IvsState, PublicKeyRecord, RecordingConfig, RedundantCredential, SessionRecord, StageRecord,
    StorageConfigurationRecord, ThumbnailConfig, Video,
};

use crate::api::ErrorCode;
use crate::protocol::Protocol;
use crate::service::{Http, Operation, ResourceQuota, ServiceDef};

// Resource quotas per Region ("IVS Service Quotas | Real-Time Streaming", reference §4.2),
// enforced with `--quotas aws`; the adjustable ones can be raised through
// `LocalConfig::resource_quotas`, as a quota increase would.

pub static STAGES: ResourceQuota = ResourceQuota {
    name: "ivs:stages",
    default: 1_000,
    adjustable: true,
    counts: "stages per Region",
};
pub static STORAGE_CONFIGURATIONS: ResourceQuota = ResourceQuota {
    name: "ivs:storage-configurations",
    default: 5,
    adjustable: true,
    counts: "storage configurations per Region",
};
pub static ENCODER_CONFIGURATIONS: ResourceQuota = ResourceQuota {
    name: "ivs:encoder-configurations",
    default: 20,
    adjustable: true,
    counts: "encoder configurations per Region",
};
pub static PUBLIC_KEYS: ResourceQuota = ResourceQuota {
    name: "ivs:public-keys",
    default: 3,
    adjustable: false,
    counts: "public keys per Region",
};
pub static INGEST_CONFIGURATIONS: ResourceQuota = ResourceQuota {
    name: "ivs:ingest-configurations",
    default: 100,
    adjustable: true,
    counts: "ingest configurations per Region",
};
/// Every resource quota of the service.
pub static RESOURCE_QUOTAS: [&ResourceQuota; 5] = [
    &STAGES,
    &STORAGE_CONFIGURATIONS,
    &ENCODER_CONFIGURATIONS,
    &PUBLIC_KEYS,
    &INGEST_CONFIGURATIONS,
];

pub static SERVICE: ServiceDef = ServiceDef {
    signing_name: "ivs",
    protocols: &[Protocol::RestJson1],
    query_compatible: false,
    signing: crate::sigv4::Rules::STANDARD,
    validation: ErrorCode {
        status: 400,
        code: "ValidationException",
        query_code: None,
    },
    // The model declares no throttling error; `ThrottlingException` is in the SDKs' list
    // of throttling codes (aws-runtime retries/classifiers.rs THROTTLING_ERRORS).
    throttling: ErrorCode {
        status: 429,
        code: "ThrottlingException",
        query_code: None,
    },
    internal: ErrorCode {
        status: 500,
        code: "InternalServerException",
        query_code: None,
    },
    operations: OPERATIONS,
    not_emulated: NOT_EMULATED,
};

static OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreateStage",
        mutates: true,
        tps: 5.0,
        input: &shapes::CREATE_STAGE,
        http: Some(Http {
            method: "POST",
            uri: "/CreateStage",
        }),
        handler: handlers::create_stage,
    },
    Operation {
        name: "GetStage",
        mutates: false,
        tps: 5.0,
        input: &shapes::STAGE_BY_ARN,
        http: Some(Http {
            method: "POST",
            uri: "/GetStage",
        }),
        handler: handlers::get_stage,
    },
    Operation {
        name: "ListStages",
        mutates: false,
        tps: 5.0,
        input: &shapes::LIST_PAGE,
        http: Some(Http {
            method: "POST",
            uri: "/ListStages",
        }),
        handler: handlers::list_stages,
    },
    Operation {
        name: "UpdateStage",
        mutates: true,
        tps: 5.0,
        input: &shapes::UPDATE_STAGE,
        http: Some(Http {
            method: "POST",
            uri: "/UpdateStage",
        }),
        handler: handlers::update_stage,
    },
    Operation {
        name: "DeleteStage",
        mutates: true,
        tps: 5.0,
        input: &shapes::STAGE_BY_ARN,
        http: Some(Http {
            method: "POST",
            uri: "/DeleteStage",
        }),
        handler: handlers::delete_stage,
    },
    Operation {
        name: "CreateParticipantToken",
        mutates: true,
        tps: 50.0,
        input: &shapes::CREATE_PARTICIPANT_TOKEN,
        http: Some(Http {
            method: "POST",
            uri: "/CreateParticipantToken",
        }),
        handler: handlers::create_participant_token,
    },
    Operation {
        name: "ListStageSessions",
        mutates: false,
        tps: 5.0,
        input: &shapes::LIST_STAGE_SESSIONS,
        http: Some(Http {
            method: "POST",
            uri: "/ListStageSessions",
        }),
        handler: handlers::list_stage_sessions,
    },
    Operation {
        name: "GetStageSession",
        mutates: false,
        tps: 5.0,
        input: &shapes::GET_STAGE_SESSION,
        http: Some(Http {
            method: "POST",
            uri: "/GetStageSession",
        }),
        handler: handlers::get_stage_session,
    },
    Operation {
        name: "CreateStorageConfiguration",
        mutates: true,
        tps: 5.0,
        input: &shapes::CREATE_STORAGE_CONFIGURATION,
        http: Some(Http {
            method: "POST",
            uri: "/CreateStorageConfiguration",
        }),
        handler: handlers::create_storage_configuration,
    },
    Operation {
        name: "GetStorageConfiguration",
        mutates: false,
        tps: 5.0,
        input: &shapes::STORAGE_CONFIGURATION_BY_ARN,
        http: Some(Http {
            method: "POST",
            uri: "/GetStorageConfiguration",
        }),
        handler: handlers::get_storage_configuration,
    },
    Operation {
        name: "ListStorageConfigurations",
        mutates: false,
        tps: 5.0,
        input: &shapes::LIST_PAGE,
        http: Some(Http {
            method: "POST",
            uri: "/ListStorageConfigurations",
        }),
        handler: handlers::list_storage_configurations,
    },
    Operation {
        name: "DeleteStorageConfiguration",
        mutates: true,
        tps: 5.0,
        input: &shapes::STORAGE_CONFIGURATION_BY_ARN,
        http: Some(Http {
            method: "POST",
            uri: "/DeleteStorageConfiguration",
        }),
        handler: handlers::delete_storage_configuration,
    },
    Operation {
        name: "CreateEncoderConfiguration",
        mutates: true,
        tps: 5.0,
        input: &shapes::CREATE_ENCODER_CONFIGURATION,
        http: Some(Http {
            method: "POST",
            uri: "/CreateEncoderConfiguration",
        }),
        handler: handlers::create_encoder_configuration,
    },
    Operation {
        name: "GetEncoderConfiguration",
        mutates: false,
        tps: 5.0,
        input: &shapes::ENCODER_CONFIGURATION_BY_ARN,
        http: Some(Http {
            method: "POST",
            uri: "/GetEncoderConfiguration",
        }),
        handler: handlers::get_encoder_configuration,
    },
    Operation {
        name: "ListEncoderConfigurations",
        mutates: false,
        tps: 5.0,
        input: &shapes::LIST_PAGE,
        http: Some(Http {
            method: "POST",
            uri: "/ListEncoderConfigurations",
        }),
        handler: handlers::list_encoder_configurations,
    },
    Operation {
        name: "DeleteEncoderConfiguration",
        mutates: true,
        tps: 5.0,
        input: &shapes::ENCODER_CONFIGURATION_BY_ARN,
        http: Some(Http {
            method: "POST",
            uri: "/DeleteEncoderConfiguration",
        }),
        handler: handlers::delete_encoder_configuration,
    },
    Operation {
        name: "ImportPublicKey",
        mutates: true,
        tps: 3.0,
        input: &shapes::IMPORT_PUBLIC_KEY,
        http: Some(Http {
            method: "POST",
            uri: "/ImportPublicKey",
        }),
        handler: handlers::import_public_key,
    },
    Operation {
        name: "GetPublicKey",
        mutates: false,
        tps: 3.0,
        input: &shapes::PUBLIC_KEY_BY_ARN,
        http: Some(Http {
            method: "POST",
            uri: "/GetPublicKey",
        }),
        handler: handlers::get_public_key,
    },
    Operation {
        name: "ListPublicKeys",
        mutates: false,
        tps: 3.0,
        input: &shapes::LIST_PAGE,
        http: Some(Http {
            method: "POST",
            uri: "/ListPublicKeys",
        }),
        handler: handlers::list_public_keys,
    },
    Operation {
        name: "DeletePublicKey",
        mutates: true,
        tps: 3.0,
        input: &shapes::PUBLIC_KEY_BY_ARN,
        http: Some(Http {
            method: "POST",
            uri: "/DeletePublicKey",
        }),
        handler: handlers::delete_public_key,
    },
    Operation {
        name: "CreateIngestConfiguration",
        mutates: true,
        tps: 5.0,
        input: &shapes::CREATE_INGEST_CONFIGURATION,
        http: Some(Http {
            method: "POST",
            uri: "/CreateIngestConfiguration",
        }),
        handler: handlers::create_ingest_configuration,
    },
    Operation {
        name: "GetIngestConfiguration",
        mutates: false,
        tps: 5.0,
        input: &shapes::GET_INGEST_CONFIGURATION,
        http: Some(Http {
            method: "POST",
            uri: "/GetIngestConfiguration",
        }),
        handler: handlers::get_ingest_configuration,
    },
    Operation {
        name: "ListIngestConfigurations",
        mutates: false,
        tps: 5.0,
        input: &shapes::LIST_INGEST_CONFIGURATIONS,
        http: Some(Http {
            method: "POST",
            uri: "/ListIngestConfigurations",
        }),
        handler: handlers::list_ingest_configurations,
    },
    Operation {
        name: "UpdateIngestConfiguration",
        mutates: true,
        tps: 5.0,
        input: &shapes::UPDATE_INGEST_CONFIGURATION,
        http: Some(Http {
            method: "POST",
            uri: "/UpdateIngestConfiguration",
        }),
        handler: handlers::update_ingest_configuration,
    },
    Operation {
        name: "DeleteIngestConfiguration",
        mutates: true,
        tps: 5.0,
        input: &shapes::DELETE_INGEST_CONFIGURATION,
        http: Some(Http {
            method: "POST",
            uri: "/DeleteIngestConfiguration",
        }),
        handler: handlers::delete_ingest_configuration,
    },
    Operation {
        name: "TagResource",
        mutates: true,
        tps: 10.0,
        input: &shapes::TAG_RESOURCE,
        http: Some(Http {
            method: "POST",
            uri: "/tags/{resourceArn}",
        }),
        handler: handlers::tag_resource,
    },
    Operation {
        name: "UntagResource",
        mutates: true,
        tps: 10.0,
        input: &shapes::UNTAG_RESOURCE,
        http: Some(Http {
            method: "DELETE",
            uri: "/tags/{resourceArn}",
        }),
        handler: handlers::untag_resource,
    },
    Operation {
        name: "ListTagsForResource",
        mutates: false,
        tps: 10.0,
        input: &shapes::LIST_TAGS,
        http: Some(Http {
            method: "GET",
            uri: "/tags/{resourceArn}",
        }),
        handler: handlers::list_tags_for_resource,
    },
];

/// Operations of the model that are recognised but not emulated (answered with a clear
/// 501 instead of "unknown operation").
const NOT_EMULATED: &[&str] = &[
    "DisconnectParticipant",
    "GetParticipant",
    "ListParticipants",
    "ListParticipantEvents",
    "StartComposition",
    "GetComposition",
    "StopComposition",
    "ListCompositions",
    "StartParticipantReplication",
    "StopParticipantReplication",
    "ListParticipantReplicas",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_complete() {
        crate::service::table_checks::check(
            &SERVICE,
            &[
                "GetStage",
                "ListStages",
                "ListStageSessions",
                "GetStageSession",
                "GetStorageConfiguration",
                "ListStorageConfigurations",
                "GetEncoderConfiguration",
                "ListEncoderConfigurations",
                "GetPublicKey",
                "ListPublicKeys",
                "GetIngestConfiguration",
                "ListIngestConfigurations",
                "ListTagsForResource",
            ],
        );
    }

    /// Every operation of botocore's `ivs-realtime/2020-07-14` model (botocore 1.43.11) is
    /// either a row or answered as not emulated; the whole resource family is rows.
    #[test]
    fn every_model_operation_is_a_row_or_not_emulated() {
        const MODEL: [&str; 39] = [
            "CreateEncoderConfiguration",
            "CreateIngestConfiguration",
            "CreateParticipantToken",
            "CreateStage",
            "CreateStorageConfiguration",
            "DeleteEncoderConfiguration",
            "DeleteIngestConfiguration",
            "DeletePublicKey",
            "DeleteStage",
            "DeleteStorageConfiguration",
            "DisconnectParticipant",
            "GetComposition",
            "GetEncoderConfiguration",
            "GetIngestConfiguration",
            "GetParticipant",
            "GetPublicKey",
            "GetStage",
            "GetStageSession",
            "GetStorageConfiguration",
            "ImportPublicKey",
            "ListCompositions",
            "ListEncoderConfigurations",
            "ListIngestConfigurations",
            "ListParticipantEvents",
            "ListParticipantReplicas",
            "ListParticipants",
            "ListPublicKeys",
            "ListStageSessions",
            "ListStages",
            "ListStorageConfigurations",
            "ListTagsForResource",
            "StartComposition",
            "StartParticipantReplication",
            "StopComposition",
            "StopParticipantReplication",
            "TagResource",
            "UntagResource",
            "UpdateIngestConfiguration",
            "UpdateStage",
        ];
        for name in MODEL {
            assert!(
                SERVICE.operation(name).is_some() || NOT_EMULATED.contains(&name),
                "{name} is neither a row nor not emulated"
            );
        }
        for op in SERVICE.operations() {
            assert!(MODEL.contains(&op.name), "{} is not in the model", op.name);
        }
        assert_eq!(SERVICE.operations().len() + NOT_EMULATED.len(), MODEL.len());
        for family in [
            "StorageConfiguration",
            "EncoderConfiguration",
            "PublicKey",
            "IngestConfiguration",
        ] {
            for name in MODEL.iter().filter(|n| n.contains(family)) {
                assert!(SERVICE.operation(name).is_some(), "{name} is not a row");
            }
        }
    }

    /// The resource quotas are AWS's documented defaults; only public keys are fixed.
    #[test]
    fn resource_quotas_are_awss_defaults() {
        let q: Vec<_> = RESOURCE_QUOTAS
            .iter()
            .map(|q| (q.name, q.default, q.adjustable))
            .collect();
        assert_eq!(
            q,
            vec![
                ("ivs:stages", 1_000, true),
                ("ivs:storage-configurations", 5, true),
                ("ivs:encoder-configurations", 20, true),
                ("ivs:public-keys", 3, false),
                ("ivs:ingest-configurations", 100, true),
            ]
        );
    }
}
