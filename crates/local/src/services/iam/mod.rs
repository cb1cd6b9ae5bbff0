//! IAM (signing name `iam`, awsQuery): customer-managed policies, their versions and tags.
//! The operation table.
//!
//! IAM publishes no per-operation TPS; the quotas here are conservative values below what
//! the control plane is observed to sustain: 10 TPS for changes, 20 for reads.

mod handlers;
pub mod policy_document;
pub mod shapes;
mod state;

pub use handlers::{
    MAX_POLICIES, MAX_POLICY_SIZE, MAX_TAGS, MAX_VERSIONS, TAGGING, rfc3986_encode,
};
pub use policy_document::validate_policy_document;
pub use state::{IamState, ManagedPolicy, StoredVersion};

use crate::api::ErrorCode;
use crate::protocol::Protocol;
use crate::service::{Operation, ServiceDef};

/// The XML namespace of IAM responses.
pub const XMLNS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

pub static SERVICE: ServiceDef = ServiceDef {
    signing_name: "iam",
    protocols: &[Protocol::AwsQuery {
        version: "2010-05-08",
        xmlns: XMLNS,
        timestamp_millis: false,
    }],
    query_compatible: false,
    signing: crate::sigv4::Rules::STANDARD,
    // AWS's code for model constraint violations in awsQuery services.
    validation: ErrorCode {
        status: 400,
        code: "ValidationError",
        query_code: None,
    },
    // `Throttling` is in aws-runtime's THROTTLING_ERRORS and botocore's retry config.
    throttling: ErrorCode {
        status: 400,
        code: "Throttling",
        query_code: None,
    },
    internal: ErrorCode {
        status: 500,
        code: "InternalFailure",
        query_code: None,
    },
    operations: OPERATIONS,
    not_emulated: &[],
};

const CHANGE_TPS: f64 = 10.0;
const READ_TPS: f64 = 20.0;

static OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreatePolicy",
        mutates: true,
        tps: CHANGE_TPS,
        input: &shapes::CREATE_POLICY,
        http: None,
        handler: handlers::create_policy,
    },
    Operation {
        name: "GetPolicy",
        mutates: false,
        tps: READ_TPS,
        input: &shapes::POLICY_ARN,
        http: None,
        handler: handlers::get_policy,
    },
    Operation {
        name: "ListPolicies",
        mutates: false,
        tps: READ_TPS,
        input: &shapes::LIST_POLICIES,
        http: None,
        handler: handlers::list_policies,
    },
    Operation {
        name: "CreatePolicyVersion",
        mutates: true,
        tps: CHANGE_TPS,
        input: &shapes::CREATE_POLICY_VERSION,
        http: None,
        handler: handlers::create_policy_version,
    },
    Operation {
        name: "ListPolicyVersions",
        mutates: false,
        tps: READ_TPS,
        input: &shapes::LIST_FOR_POLICY,
        http: None,
        handler: handlers::list_policy_versions,
    },
    Operation {
        name: "GetPolicyVersion",
        mutates: false,
        tps: READ_TPS,
        input: &shapes::POLICY_VERSION,
        http: None,
        handler: handlers::get_policy_version,
    },
    Operation {
        name: "SetDefaultPolicyVersion",
        mutates: true,
        tps: CHANGE_TPS,
        input: &shapes::POLICY_VERSION,
        http: None,
        handler: handlers::set_default_policy_version,
    },
    Operation {
        name: "DeletePolicyVersion",
        mutates: true,
        tps: CHANGE_TPS,
        input: &shapes::POLICY_VERSION,
        http: None,
        handler: handlers::delete_policy_version,
    },
    Operation {
        name: "DeletePolicy",
        mutates: true,
        tps: CHANGE_TPS,
        input: &shapes::POLICY_ARN,
        http: None,
        handler: handlers::delete_policy,
    },
    Operation {
        name: "TagPolicy",
        mutates: true,
        tps: CHANGE_TPS,
        input: &shapes::TAG_POLICY,
        http: None,
        handler: handlers::tag_policy,
    },
    Operation {
        name: "UntagPolicy",
        mutates: true,
        tps: CHANGE_TPS,
        input: &shapes::UNTAG_POLICY,
        http: None,
        handler: handlers::untag_policy,
    },
    Operation {
        name: "ListPolicyTags",
        mutates: false,
        tps: READ_TPS,
        input: &shapes::LIST_FOR_POLICY,
        http: None,
        handler: handlers::list_policy_tags,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Request;
    use crate::state::LocalState;
    use crate::testing::call;

    #[test]
    fn the_table_is_complete() {
        crate::service::table_checks::check(
            &SERVICE,
            &[
                "GetPolicy",
                "ListPolicies",
                "ListPolicyVersions",
                "GetPolicyVersion",
                "ListPolicyTags",
            ],
        );
    }

    fn form(body: &str) -> Request {
        crate::testing::form_request(body)
    }

    #[test]
    fn unknown_and_missing_actions() {
        let mut state = LocalState::default();
        let r = call(
            &SERVICE,
            &form("Action=CreateRole&Version=2010-05-08"),
            &mut state,
        );
        assert_eq!(r.status, 400);
        let body = String::from_utf8_lossy(&r.body);
        assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");
        let r = call(&SERVICE, &form("Version=2010-05-08"), &mut state);
        assert!(String::from_utf8_lossy(&r.body).contains("<Code>MissingAction</Code>"));
    }

    #[test]
    fn validation_messages_are_awss() {
        let mut state = LocalState::default();
        let r = call(
            &SERVICE,
            &form("Action=CreatePolicy&PolicyName=a%20b&PolicyDocument=%7B%7D"),
            &mut state,
        );
        let body = String::from_utf8_lossy(&r.body);
        assert!(
            body.contains(r"<Message>1 validation error detected: Value &apos;a b&apos; at &apos;policyName&apos; failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+</Message>"),
            "{body}"
        );
    }

    #[test]
    fn state_survives_serialisation() {
        let mut state = LocalState::default();
        let create = form(&format!(
            "Action=CreatePolicy&Version=2010-05-08&PolicyName=p&Path=%2Fa%2F&PolicyDocument={}&Tags.member.1.Key=k&Tags.member.1.Value=v",
            rfc3986_encode(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a:b","Resource":"*"}}"#
            )
        ));
        assert_eq!(call(&SERVICE, &create, &mut state).status, 200);
        let get =
            form("Action=GetPolicy&PolicyArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fa%2Fp");
        let before = call(&SERVICE, &get, &mut state);
        let json = serde_json::to_string(&state).unwrap();
        let mut restored: LocalState = serde_json::from_str(&json).unwrap();
        let after = call(&SERVICE, &get, &mut restored);
        assert_eq!(before.body, after.body);
        let body = std::str::from_utf8(&after.body).unwrap();
        assert!(
            body.contains("<Arn>arn:aws:iam::123456789012:policy/a/p</Arn>"),
            "{body}"
        );
        assert!(
            body.contains("<CreateDate>2026-11-25T12:26:18Z</CreateDate>"),
            "{body}"
        );
        assert!(
            body.contains("<Tags><member><Key>k</Key><Value>v</Value></member></Tags>"),
            "{body}"
        );
    }
}
