//! Budgets' persisted state: per account, budgets by name, with their notifications,
//! subscribers and tags. The structs mirror the service's shapes (PascalCase members), so
//! validated input converts into them and they convert into output directly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// All Budgets state: per account, budgets by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BudgetsState {
    #[serde(default)]
    pub accounts: BTreeMap<String, BTreeMap<String, StoredBudget>>,
}

/// One budget with what hangs off it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredBudget {
    /// The budget as Describe returns it (defaults filled, amounts normalised).
    pub budget: Budget,
    #[serde(default)]
    pub notifications: Vec<StoredNotification>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// A notification and its subscribers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredNotification {
    pub notification: Notification,
    pub subscribers: Vec<Subscriber>,
}

/// The `Budget` shape. Every member is optional here so that missing required members are
/// reported as AWS does (validation errors), not as deserialisation failures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Budget {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_limit: Option<Spend>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned_budget_limits: Option<BTreeMap<String, Spend>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_filters: Option<BTreeMap<String, Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_types: Option<CostTypes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_period: Option<TimePeriod>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calculated_spend: Option<CalculatedSpend>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_adjust_data: Option<AutoAdjustData>,
    /// Kept as JSON: it is recursive and echoed back as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_view_arn: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Spend {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CostTypes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_tax: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_subscription: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_blended: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_refund: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_credit: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_upfront: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_recurring: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_other_subscription: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_support: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_discount: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_amortized: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimePeriod {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CalculatedSpend {
    pub actual_spend: Spend,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forecasted_spend: Option<Spend>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoAdjustData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_adjust_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub historical_options: Option<HistoricalOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_auto_adjust_time: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HistoricalOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_adjustment_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub look_back_available_periods: Option<i64>,
}

/// A notification. Identity is (type, operator, threshold, threshold type).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Notification {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison_operator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_state: Option<String>,
}

impl Notification {
    /// Whether two notifications are the same one (AWS matches by value; the threshold
    /// type defaults to PERCENTAGE).
    pub fn same(&self, other: &Notification) -> bool {
        let tt = |n: &Notification| {
            n.threshold_type
                .clone()
                .unwrap_or_else(|| "PERCENTAGE".into())
        };
        self.notification_type == other.notification_type
            && self.comparison_operator == other.comparison_operator
            && self.threshold == other.threshold
            && tt(self) == tt(other)
    }

    /// As stored and described: threshold type and state filled in.
    pub fn normalised(&self) -> Notification {
        Notification {
            threshold_type: Some(
                self.threshold_type
                    .clone()
                    .unwrap_or_else(|| "PERCENTAGE".into()),
            ),
            notification_state: Some("OK".into()),
            ..self.clone()
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{} {} {} {}",
            self.notification_type.as_deref().unwrap_or_default(),
            self.comparison_operator.as_deref().unwrap_or_default(),
            self.threshold.unwrap_or_default(),
            self.threshold_type.as_deref().unwrap_or("PERCENTAGE"),
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subscriber {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NotificationWithSubscribers {
    pub notification: Option<Notification>,
    pub subscribers: Option<Vec<Subscriber>>,
}
