//! The budget kind's audit-side facts (see [`crate::kinds::audited`]).

use super::Budget;
use crate::kinds::audited::Audited;

impl Audited for Budget {
    // No field of a budget is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
}
