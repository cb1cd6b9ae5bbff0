//! The local endpoint driven by real AWS SDK clients (and boto3, the AWS CLI and moto for
//! parity) over HTTP. One test binary with a module per service, so the SDK crates are
//! linked once.

mod budgets;
mod cloudwatch;
mod common;
mod core;
mod iam_sts;
mod ivs;
mod ivs_family;
mod s3;
