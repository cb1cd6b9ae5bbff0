//! The encoder configuration kind's audit-side facts (see [`crate::kinds::audited`]).

use super::EncoderConfiguration;
use crate::kinds::audited::Audited;

impl Audited for EncoderConfiguration {
    // No field of a encoder configuration is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
}
