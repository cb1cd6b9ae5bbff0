//! ivstack: keeps Amazon IVS Real-Time stages, their IAM policies, CloudWatch alarms and
//! AWS Budgets exactly as declarative YAML stack files say.
//!
//! Data flows one way: stack file (`stack`) → desired resources (`kinds`) → plan (`plan`,
//! pure) → `apply`, with observation of the live account on the side (`aws`, `kinds`).
//! `local` is an embedded AWS endpoint for trying everything without an account.

pub mod apply;
pub mod aws;
pub mod cli;
pub mod kinds;
pub mod local;
pub mod observe;
pub mod plan;
pub mod stack;
