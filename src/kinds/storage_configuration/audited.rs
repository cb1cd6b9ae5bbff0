//! The storage configuration kind's audit-side facts (see [`crate::kinds::audited`]).

use super::StorageConfiguration;
use crate::kinds::audited::Audited;

impl Audited for StorageConfiguration {
    // No field of a storage configuration is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
}
