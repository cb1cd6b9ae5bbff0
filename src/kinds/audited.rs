//! What auditing commands need to know about a kind, kept apart from [`ResourceKind`] so
//! these additions stay in files of their own (`src/kinds/<kind>/audited.rs`).
//!
//! The registry calls [`Audited`] for every entry, so a kind without an implementation
//! does not compile, and no item has a default that could silently be wrong for a new
//! kind.

use super::ResourceKind;

/// Audit-side facts of a kind.
pub trait Audited: ResourceKind {
    /// Spec fields that hold an IAM policy document (canonical JSON text). Plans show a
    /// change of one as grants added and removed, before its line diff.
    const IAM_DOCUMENTS: &'static [&'static str];
}
