//! For auditors and reviewers: what a stack grants and what it leaves unwatched, without
//! reading IAM JSON.
//!
//! - [`actions`]: the AWS Service Authorization Reference for the services ivstack deals
//!   with (every action's access level, resource types, condition keys), embedded as data;
//! - [`grants`]: an IAM document as rows of effect / action / access level / resource /
//!   conditions, wildcards expanded (pure; shared with grant changes in plans);
//! - [`lint`]: least-privilege and operational rules with stable ids and suppressions;
//! - [`sarif`]: lint findings as SARIF 2.1.0 for code scanning;
//! - [`explain`]: a plain-language account of a stack, as text or Markdown;
//! - [`iam_policy`]: the least-privilege policy ivstack itself needs for some stacks.
//!
//! Everything here works from the loaded stack model and the kind registry; nothing talks
//! to AWS.

pub mod actions;
pub mod explain;
pub mod glob;
pub mod grants;
pub mod iam_policy;
pub mod lint;
pub mod sarif;
