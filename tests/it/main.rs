//! ivstack's own integration tests, one binary (linking the AWS SDK once): the binary end
//! to end against the local endpoint (`e2e`), plan renderings (`render`) and stack-file
//! validation (`validate`).

mod common;
mod e2e;
mod render;
mod validate;
