//! STS (signing name `sts`, awsQuery): `GetCallerIdentity`, so tools can learn the account
//! id (Budgets needs it) exactly as they would from AWS. Every caller is the IAM user
//! `local` of the endpoint's configured account.

use sha2::{Digest, Sha256};

use crate::api::{ApiError, ErrorCode};
use crate::document::Document;
use crate::protocol::Protocol;
use crate::service::{Ctx, Operation, ServiceDef};
use crate::shape::Shape;

/// The XML namespace of STS responses.
pub const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

pub static SERVICE: ServiceDef = ServiceDef {
    signing_name: "sts",
    protocols: &[Protocol::AwsQuery {
        version: "2011-06-15",
        xmlns: XMLNS,
        timestamp_millis: false,
    }],
    query_compatible: false,
    signing: crate::sigv4::Rules::STANDARD,
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
    operations: &[Operation {
        name: "GetCallerIdentity",
        mutates: false,
        // STS documents a shared account-wide request quota of 600 RPS per Region.
        tps: 600.0,
        input: &GET_CALLER_IDENTITY,
        http: None,
        handler: get_caller_identity,
    }],
    not_emulated: &[],
};

static GET_CALLER_IDENTITY: Shape = Shape::Struct(&[]);

fn get_caller_identity(ctx: &mut Ctx<'_>, _input: Document) -> Result<Document, ApiError> {
    Ok(Document::from_pairs([
        ("Arn", Document::str(caller_arn(ctx.account_id))),
        ("UserId", Document::str(user_id(ctx.account_id))),
        ("Account", Document::str(ctx.account_id)),
    ]))
}

/// The unique id of the `local` user: `AIDA` + 17 uppercase alphanumerics, stable per
/// account (derived from it) so repeated calls and restarts agree.
pub fn user_id(account_id: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(format!("ivstack-local-user:{account_id}").as_bytes());
    let tail: String = digest
        .iter()
        .take(17)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("AIDA{tail}")
}

/// The ARN of the caller.
pub fn caller_arn(account_id: &str) -> String {
    format!("arn:aws:iam::{account_id}:user/local")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_complete() {
        crate::service::table_checks::check(&SERVICE, &["GetCallerIdentity"]);
    }

    #[test]
    fn user_id_is_stable_and_well_formed() {
        let a = user_id("123456789012");
        assert_eq!(a, user_id("123456789012"));
        assert_ne!(a, user_id("210987654321"));
        assert_eq!(a.len(), 21);
        assert!(a.starts_with("AIDA"));
        assert!(
            a.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
    }
}
