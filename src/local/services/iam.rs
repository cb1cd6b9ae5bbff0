//! Placeholder: emulation of this service is being written.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IamState {}
