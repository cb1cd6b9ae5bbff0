//! The stage kind's audit-side facts (see [`crate::kinds::audited`]).

use super::Stage;
use crate::kinds::audited::Audited;

impl Audited for Stage {
    // No field of a stage is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
}
