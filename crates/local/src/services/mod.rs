//! The emulated services, each a table of operation rows (`crate::service::ServiceDef`),
//! and the registry the server picks them from by the SigV4 credential scope's service.
//!
//! To add a service: a module with its table (`mod.rs`), shapes, handlers and state, and
//! ONE line in [`Registry::standard`] (plus its state in `crate::state::LocalState`).

use std::collections::BTreeMap;

use crate::service::{ResourceQuota, ServiceDef};

pub mod budgets;
pub mod cloudwatch;
pub mod iam;
pub mod ivs;
pub mod s3;
pub mod sts;
pub mod tokens;

/// The services of one endpoint, looked up by SigV4 signing name (`ivs`, `iam`, `sts`,
/// `monitoring`, `budgets`, `s3`).
#[derive(Clone)]
pub struct Registry {
    services: Vec<&'static ServiceDef>,
}

impl Registry {
    /// Every emulated service.
    pub fn standard() -> Registry {
        Registry {
            services: vec![
                &ivs::SERVICE,
                &iam::SERVICE,
                &sts::SERVICE,
                &cloudwatch::SERVICE,
                &budgets::SERVICE,
                // Last: unsigned requests are offered to the services in this order, and
                // S3's `/{Bucket}` routes would claim paths meant for the others.
                &s3::SERVICE,
            ],
        }
    }

    /// The service whose signing name is `name`.
    pub fn get(&self, name: &str) -> Option<&'static ServiceDef> {
        self.services
            .iter()
            .copied()
            .find(|s| s.signing_name == name)
    }

    /// Every service, in the order unsigned requests are matched against them.
    pub fn iter(&self) -> impl Iterator<Item = &'static ServiceDef> + '_ {
        self.services.iter().copied()
    }

    /// Signing names served, for error messages.
    pub fn names(&self) -> Vec<&'static str> {
        self.iter().map(|s| s.signing_name).collect()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("services", &self.names())
            .finish()
    }
}

/// Every resource quota the endpoint enforces by name (with `--quotas aws`), so that
/// `LocalConfig::resource_quotas` can raise the adjustable ones.
pub fn resource_quotas() -> impl Iterator<Item = &'static ResourceQuota> {
    ivs::RESOURCE_QUOTAS.iter().copied()
}

/// Check quota overrides: each names a known quota that AWS adjusts.
pub fn check_quota_overrides(overrides: &BTreeMap<String, u64>) -> anyhow::Result<()> {
    for name in overrides.keys() {
        match resource_quotas().find(|q| q.name == name) {
            None => anyhow::bail!(
                "unknown resource quota `{name}`; the quotas that can be set are: {}",
                resource_quotas()
                    .filter(|q| q.adjustable)
                    .map(|q| q.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(q) if !q.adjustable => anyhow::bail!(
                "resource quota `{name}` ({}: {}) is not adjustable on AWS, so it cannot be changed here either",
                q.counts,
                q.default
            ),
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_names_are_unique() {
        let names = Registry::standard().names();
        for (i, n) in names.iter().enumerate() {
            assert!(!names[..i].contains(n), "{n} twice");
        }
    }

    #[test]
    fn quota_overrides_name_adjustable_quotas() {
        let ok: BTreeMap<String, u64> = [("ivs:storage-configurations".to_string(), 50)].into();
        check_quota_overrides(&ok).unwrap();
        let fixed: BTreeMap<String, u64> = [("ivs:public-keys".to_string(), 10)].into();
        let e = check_quota_overrides(&fixed).unwrap_err().to_string();
        assert!(e.contains("not adjustable"), "{e}");
        let unknown: BTreeMap<String, u64> = [("ivs:storage".to_string(), 10)].into();
        let e = check_quota_overrides(&unknown).unwrap_err().to_string();
        assert!(e.contains("ivs:storage-configurations"), "{e}");
        let names: Vec<_> = resource_quotas().map(|q| q.name).collect();
        for (i, n) in names.iter().enumerate() {
            assert!(!names[..i].contains(n), "{n} twice");
        }
    }
}
