//! The public key kind's audit-side facts (see [`crate::kinds::audited`]).

use super::PublicKey;
use crate::kinds::audited::Audited;

impl Audited for PublicKey {
    // No field of a public key is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
}
