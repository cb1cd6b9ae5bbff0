//! IAM's persisted state: customer-managed policies keyed by ARN, with their versions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// All IAM state: customer-managed policies keyed by ARN.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IamState {
    #[serde(default)]
    pub policies: BTreeMap<String, ManagedPolicy>,
}

/// One customer-managed policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub id: String,
    pub path: String,
    pub arn: String,
    #[serde(default)]
    pub description: Option<String>,
    pub create_date: i64,
    pub update_date: i64,
    /// Number of the default version (`v<N>`).
    pub default_version: u32,
    /// Number the next created version gets; version ids never repeat.
    pub next_version: u32,
    pub versions: BTreeMap<u32, StoredVersion>,
    /// Tags in insertion-independent key order.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// One version of a managed policy, the document exactly as submitted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredVersion {
    pub document: String,
    pub create_date: i64,
}
