//! ivstack's own integration tests, one binary (linking the AWS SDK once): the binary end
//! to end against the local endpoint (`e2e`, and per kind of the IVS Real-Time family
//! `family`), plan renderings (`render`), stack-file validation (`validate`), raw IAM
//! policy documents (`policy_document`), positions of findings (`positions`), the binary's
//! reliability and security (`reliability`), the lock per stack (`lock`), the audit
//! commands (`lint`, `explain`, `export`, `iam_policy`), diagrams (`graph`), participant
//! tokens (`token`), the reconciler (`watch`), taking over existing resources (`discover`)
//! and the CI recipes (`ci_recipes`); `binary` runs the binary for the reconciler, tokens
//! and CI recipes.

mod binary;
mod ci_recipes;
mod common;
mod discover;
mod e2e;
mod explain;
mod export;
mod family;
mod graph;
mod iam_policy;
mod lint;
mod lock;
mod policy_document;
mod positions;
mod reliability;
mod render;
mod token;
mod validate;
mod watch;
