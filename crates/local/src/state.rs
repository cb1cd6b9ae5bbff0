//! The whole emulated world: one value per service, serialisable so that `--state FILE`
//! (and `ivstack --local`) can keep it between runs.

use serde::{Deserialize, Serialize};

use super::services::{
    budgets::BudgetsState, cloudwatch::CloudWatchState, iam::IamState, ivs::IvsState,
};

/// Marks a state file as ours, so a foreign JSON file is never mistaken for one.
pub const STATE_FORMAT: &str = "ivstack-local-state";
/// Bumped on incompatible changes of the state layout.
pub const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalState {
    pub format: String,
    pub version: u32,
    #[serde(default)]
    pub ivs: IvsState,
    #[serde(default)]
    pub iam: IamState,
    #[serde(default)]
    pub cloudwatch: CloudWatchState,
    #[serde(default)]
    pub budgets: BudgetsState,
}

impl Default for LocalState {
    fn default() -> Self {
        LocalState {
            format: STATE_FORMAT.to_string(),
            version: STATE_VERSION,
            ivs: IvsState::default(),
            iam: IamState::default(),
            cloudwatch: CloudWatchState::default(),
            budgets: BudgetsState::default(),
        }
    }
}
