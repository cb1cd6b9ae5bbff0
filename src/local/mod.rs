//! The local AWS endpoint: IVS Real-Time, IAM, STS, CloudWatch and Budgets on one loopback
//! port, faithful enough that any AWS SDK works against it unchanged.
//!
//! Layout: `server` (HTTP, SigV4, routing by credential scope, knobs), `wire` (one module
//! per wire protocol), `services` (one module per AWS service), `state` (the persisted world).

pub mod api;
pub mod services;
pub mod state;
pub mod wire;
