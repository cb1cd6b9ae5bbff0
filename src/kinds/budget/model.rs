//! The stack-file form of a budget (`budgets.<id>`): what a file may say, with its
//! defaults and limits. Field docs become the JSON Schema's descriptions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::is_false;

/// An AWS Budgets cost budget scoped to IVS spend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Budget name, unique in the account. Default: `<stack>-<id>`. Changing it replaces
    /// the budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 100),
        pattern(r"^[^:\\]+$"),
        extend("patternErrorMessage" = "may not contain `:` or `\\`")
    )]
    pub name: Option<String>,

    /// Spend limit in US dollars per period.
    #[schemars(range(min = 0.01, max = 1e12))]
    pub limit_usd: f64,

    /// Budget period. Default: `MONTHLY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<BudgetPeriod>,

    /// Percentages of ACTUAL spend that notify. Default: `[80, 100]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_percent: Option<Vec<f64>>,

    /// Percentages of FORECASTED spend that notify. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forecast_percent: Vec<f64>,

    /// Email subscribers of every notification (at most 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub emails: Vec<String>,

    /// SNS topic ARN subscribed to every notification (at most one per notification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sns_topic_arn: Option<String>,

    /// What spend counts against the budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<BudgetScope>,

    /// Tags of this budget, merged over the stack's default tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,

    /// Never delete this budget (stored as the `ivstack:protect` tag).
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum BudgetPeriod {
    #[serde(rename = "DAILY")]
    Daily,
    #[serde(rename = "MONTHLY")]
    Monthly,
    #[serde(rename = "QUARTERLY")]
    Quarterly,
    #[serde(rename = "ANNUALLY")]
    Annually,
}

impl BudgetPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetPeriod::Daily => "DAILY",
            BudgetPeriod::Monthly => "MONTHLY",
            BudgetPeriod::Quarterly => "QUARTERLY",
            BudgetPeriod::Annually => "ANNUALLY",
        }
    }
}

/// Which costs a budget counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetScope {
    /// Cost Explorer SERVICE value to filter on. Default: `Amazon Interactive Video Service`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,

    /// Also filter on the stack's `ivstack:stack` cost-allocation tag (the tag must be
    /// activated in Billing first). Default: false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub stack_tag: bool,
}

/// The default Cost Explorer service value for IVS spend.
pub const IVS_SERVICE_NAME: &str = "Amazon Interactive Video Service";
