//! The policy kind's audit-side facts (see [`crate::kinds::audited`]).

use super::Policy;
use crate::kinds::audited::Audited;

impl Audited for Policy {
    // The policy document (canonical JSON, placeholders for resources not created yet).
    const IAM_DOCUMENTS: &'static [&'static str] = &["document"];
}
