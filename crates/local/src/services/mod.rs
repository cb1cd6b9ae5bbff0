//! One emulator per AWS service, each implementing [`super::api::Service`], and the
//! registry the server uses to pick one by the SigV4 credential scope's service name.
//!
//! To add a service: implement `Service` in its module and add ONE line to
//! [`all_services`] below.

use std::sync::Arc;

use super::api::Service;

pub mod budgets;
pub mod cloudwatch;
pub mod iam;
pub mod ivs;
pub mod sts;
pub mod tokens;

/// Every emulated service. Each engineer adds exactly one line here for their service.
pub fn all_services() -> Vec<Arc<dyn Service>> {
    vec![
        Arc::new(ivs::IvsService),
        Arc::new(iam::IamService),
        Arc::new(sts::StsService),
        Arc::new(cloudwatch::CloudWatchService),
        Arc::new(budgets::BudgetsService),
    ]
}

/// The services of one endpoint, looked up by SigV4 signing name (`ivs`, `iam`, `sts`,
/// `monitoring`, `budgets`).
#[derive(Clone)]
pub struct Registry {
    services: Vec<Arc<dyn Service>>,
}

impl Registry {
    /// The registry of every service in [`all_services`].
    pub fn standard() -> Registry {
        Registry::new(all_services())
    }

    pub fn new(services: Vec<Arc<dyn Service>>) -> Registry {
        Registry { services }
    }

    /// The service whose signing name is `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Service>> {
        self.services.iter().find(|s| s.signing_name() == name)
    }

    /// Signing names served, for error messages.
    pub fn names(&self) -> Vec<&'static str> {
        self.services.iter().map(|s| s.signing_name()).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Service>> {
        self.services.iter()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("services", &self.names())
            .finish()
    }
}
