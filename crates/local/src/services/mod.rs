//! The emulated services, each a table of operation rows (`crate::service::ServiceDef`),
//! and the registry the server picks them from by the SigV4 credential scope's service.
//!
//! To add a service: a module with its table, shapes, handlers and state, and ONE line in
//! [`Registry::standard`].

use std::sync::Arc;

use crate::api::Service;
use crate::service::ServiceDef;

pub mod budgets;
pub mod cloudwatch;
pub mod iam;
pub mod ivs;
pub mod sts;
pub mod tokens;

/// A service of the registry: on a table, or (until moved) behind the old trait.
#[derive(Clone)]
pub enum ServiceRef {
    Table(&'static ServiceDef),
    Legacy(Arc<dyn Service>),
}

impl ServiceRef {
    pub fn signing_name(&self) -> &'static str {
        match self {
            ServiceRef::Table(s) => s.signing_name,
            ServiceRef::Legacy(s) => s.signing_name(),
        }
    }

    /// The rate quota of an operation in requests per second.
    pub fn rate_quota(&self, operation: &str) -> f64 {
        match self {
            ServiceRef::Table(s) => s.rate_quota(operation),
            ServiceRef::Legacy(s) => s.rate_quota(operation),
        }
    }
}

/// The services of one endpoint, looked up by SigV4 signing name (`ivs`, `iam`, `sts`,
/// `monitoring`, `budgets`).
#[derive(Clone)]
pub struct Registry {
    services: Vec<ServiceRef>,
}

impl Registry {
    /// Every emulated service.
    pub fn standard() -> Registry {
        Registry {
            services: vec![
                ServiceRef::Legacy(Arc::new(ivs::IvsService)),
                ServiceRef::Table(&iam::SERVICE),
                ServiceRef::Table(&sts::SERVICE),
                ServiceRef::Table(&cloudwatch::SERVICE),
                ServiceRef::Table(&budgets::SERVICE),
            ],
        }
    }

    /// The service whose signing name is `name`.
    pub fn get(&self, name: &str) -> Option<&ServiceRef> {
        self.services.iter().find(|s| s.signing_name() == name)
    }

    pub(crate) fn get_ref(&self, name: &str) -> Option<ServiceRef> {
        self.get(name).cloned()
    }

    pub(crate) fn refs(&self) -> Vec<ServiceRef> {
        self.services.clone()
    }

    /// Signing names served, for error messages.
    pub fn names(&self) -> Vec<&'static str> {
        self.services.iter().map(ServiceRef::signing_name).collect()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("services", &self.names())
            .finish()
    }
}
