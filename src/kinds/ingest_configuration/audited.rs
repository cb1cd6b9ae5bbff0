//! The ingest configuration kind's audit-side facts (see [`crate::kinds::audited`]).

use super::IngestConfiguration;
use crate::kinds::audited::Audited;

impl Audited for IngestConfiguration {
    // No field of a ingest configuration is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
}
