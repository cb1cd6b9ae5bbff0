//! The alarm kind's audit-side facts (see [`crate::kinds::audited`]).

use super::Alarm;
use crate::kinds::audited::Audited;

impl Audited for Alarm {
    // No field of a alarm is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
}
