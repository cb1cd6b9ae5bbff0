//! One emulator per AWS service, each implementing [`super::api::Service`].

pub mod budgets;
pub mod cloudwatch;
pub mod iam;
pub mod ivs;
pub mod sts;
