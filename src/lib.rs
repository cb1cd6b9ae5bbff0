//! ivstack: keeps Amazon IVS Real-Time stages, their IAM policies, CloudWatch alarms and
//! AWS Budgets exactly as declarative YAML stack files say.
//!
//! Data flows one way: stack file (`stack`) → desired resources (`kinds`) → plan (`plan`,
//! pure) → `apply`, with observation of the live account on the side (`aws`, `kinds`).
//! `lock` keeps two runs from changing one stack at once (an S3 conditional write).
//! The local AWS endpoint (for `--local` and `local serve`) is its own crate, `ivstack-local`.

pub mod apply;
pub mod audit;
pub mod aws;
pub mod cli;
pub mod discover;
pub mod export;
pub mod graph;
pub mod kinds;
pub mod lock;
pub mod observe;
pub mod plan;
pub mod stack;
pub mod token;
pub mod watch;
