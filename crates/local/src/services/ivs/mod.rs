//! Amazon IVS Real-Time (signing name `ivs`, restJson1): stages, participant tokens, stage
//! sessions and tags. The operation table.
//!
//! Rate quotas (IVS Real-Time service quotas, documented and not adjustable): stage and
//! session operations 5 TPS, CreateParticipantToken 50 TPS, tag operations 10 TPS.

mod handlers;
pub mod shapes;
mod state;

pub use handlers::{MAX_TAGS, STAGE_QUOTA, TAGGING};
pub use state::{
    Endpoints, HlsConfig, IvsRegion, IvsState, RecordingConfig, SessionRecord, StageRecord,
    ThumbnailConfig,
};

use crate::api::ErrorCode;
use crate::protocol::Protocol;
use crate::service::{Http, Operation, ServiceDef};

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
        input: &shapes::LIST_STAGES,
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
    "CreateStorageConfiguration",
    "GetStorageConfiguration",
    "DeleteStorageConfiguration",
    "ListStorageConfigurations",
    "CreateEncoderConfiguration",
    "GetEncoderConfiguration",
    "DeleteEncoderConfiguration",
    "ListEncoderConfigurations",
    "ImportPublicKey",
    "GetPublicKey",
    "DeletePublicKey",
    "ListPublicKeys",
    "CreateIngestConfiguration",
    "GetIngestConfiguration",
    "UpdateIngestConfiguration",
    "DeleteIngestConfiguration",
    "ListIngestConfigurations",
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
                "ListTagsForResource",
            ],
        );
    }
}
