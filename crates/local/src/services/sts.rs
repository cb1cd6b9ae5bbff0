//! STS emulator: `GetCallerIdentity` over awsQuery, so tools can learn the account id
//! (Budgets needs it) exactly as they would from AWS.
//!
//! Every caller is the IAM user `local` of the endpoint's configured account.

use sha2::{Digest, Sha256};

use crate::api::{ApiError, Context, Protocol, Request, Response, Route, Service};
use crate::services::iam::route_query;
use crate::state::LocalState;
use crate::wire::query::{self, XmlWriter};

/// The XML namespace of STS responses.
pub const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const API_VERSION: &str = "2011-06-15";
const OPERATIONS: &[&str] = &["GetCallerIdentity"];

/// The STS service.
#[derive(Debug, Default, Clone)]
pub struct StsService;

/// The unique id of the `local` user: `AIDA` + 17 uppercase alphanumerics, stable per account
/// (derived from it) so repeated calls and restarts agree.
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

impl Service for StsService {
    fn signing_name(&self) -> &'static str {
        "sts"
    }

    fn route(&self, req: &Request) -> Result<Route, (Protocol, ApiError)> {
        route_query(req, OPERATIONS, API_VERSION)
    }

    fn handle(
        &self,
        route: &Route,
        _req: &Request,
        _state: &mut LocalState,
        ctx: &Context,
    ) -> Result<Response, ApiError> {
        match route.operation.as_str() {
            "GetCallerIdentity" => {
                let mut w = XmlWriter::new();
                w.elem("Arn", &caller_arn(&ctx.account_id))
                    .elem("UserId", &user_id(&ctx.account_id))
                    .elem("Account", &ctx.account_id);
                Ok(query::response(
                    "GetCallerIdentity",
                    XMLNS,
                    Some(&w.finish()),
                    &ctx.request_id,
                ))
            }
            other => Err(query::invalid_action(Some(other), API_VERSION)),
        }
    }

    fn render_error(&self, _protocol: Protocol, err: &ApiError, ctx: &Context) -> Response {
        query::error_response(err, XMLNS, &ctx.request_id)
    }

    fn throttling_error(&self, _operation: &str) -> ApiError {
        ApiError::new(400, "Throttling", "Rate exceeded")
    }

    fn is_mutating(&self, _operation: &str) -> bool {
        false
    }

    fn rate_quota(&self, _operation: &str) -> f64 {
        // STS documents a shared account-wide request quota of 600 RPS per region.
        600.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
