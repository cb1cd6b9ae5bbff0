//! Budgets' input shapes, from the service model (botocore `budgets/2016-10-20`). Patterns
//! that accept everything (`.*`, `[\S\s]*`) are left out.

use crate::shape::{
    Pattern, Shape, Str, any_string, enumeration, int, list, map, member, pattern, required, string,
};

/// `^(?![^:\\]*/action/|(?i).*<script>.*</script>.*)[^:\\]+$`.
pub fn is_budget_name(s: &str) -> bool {
    let lower = s.to_lowercase();
    let script = lower
        .find("<script>")
        .is_some_and(|i| lower[i + "<script>".len()..].contains("</script>"));
    !s.is_empty() && !s.contains(':') && !s.contains('\\') && !s.contains("/action/") && !script
}

/// `([0-9]*\.)?[0-9]+`.
pub fn is_numeric_value(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => ("", s),
    };
    int.chars().all(|c| c.is_ascii_digit())
        && !frac.is_empty()
        && frac.chars().all(|c| c.is_ascii_digit())
}

static ACCOUNT_ID: Shape = pattern(
    12,
    Some(12),
    Pattern {
        regex: r"\d{12}",
        test: |s| s.len() == 12 && s.chars().all(|c| c.is_ascii_digit()),
    },
);
static BUDGET_NAME: Shape = pattern(
    1,
    Some(100),
    Pattern {
        regex: r"^(?![^:\\]*/action/|(?i).*<script>.*</script>.*)[^:\\]+$",
        test: is_budget_name,
    },
);
static AMOUNT: Shape = pattern(
    1,
    Some(2_147_483_647),
    Pattern {
        regex: r"([0-9]*\.)?[0-9]+",
        test: is_numeric_value,
    },
);
static UNIT: Shape = string(1, 2_147_483_647);
static SPEND: Shape = Shape::Struct(&[required("Amount", &AMOUNT), required("Unit", &UNIT)]);
static GENERIC_STRING: Shape = any_string();
static PLANNED_BUDGET_LIMITS: Shape = map(&GENERIC_STRING, &SPEND, None);
static DIMENSION_VALUES: Shape = list(&GENERIC_STRING, 0, None);
static COST_FILTERS: Shape = map(&GENERIC_STRING, &DIMENSION_VALUES, None);
static BOOL: Shape = Shape::Bool;
static COST_TYPES: Shape = Shape::Struct(&[
    member("IncludeTax", &BOOL),
    member("IncludeSubscription", &BOOL),
    member("UseBlended", &BOOL),
    member("IncludeRefund", &BOOL),
    member("IncludeCredit", &BOOL),
    member("IncludeUpfront", &BOOL),
    member("IncludeRecurring", &BOOL),
    member("IncludeOtherSubscription", &BOOL),
    member("IncludeSupport", &BOOL),
    member("IncludeDiscount", &BOOL),
    member("UseAmortized", &BOOL),
]);
static TIME_UNIT: Shape = enumeration(&["DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY", "CUSTOM"]);
static TIMESTAMP: Shape = Shape::Timestamp;
static TIME_PERIOD: Shape =
    Shape::Struct(&[member("Start", &TIMESTAMP), member("End", &TIMESTAMP)]);
static CALCULATED_SPEND: Shape = Shape::Struct(&[
    required("ActualSpend", &SPEND),
    member("ForecastedSpend", &SPEND),
]);
static BUDGET_TYPE: Shape = enumeration(&[
    "USAGE",
    "COST",
    "RI_UTILIZATION",
    "RI_COVERAGE",
    "SAVINGS_PLANS_UTILIZATION",
    "SAVINGS_PLANS_COVERAGE",
]);
static ADJUSTMENT_PERIOD: Shape = int(Some(1), Some(60));
static HISTORICAL_OPTIONS: Shape = Shape::Struct(&[
    required("BudgetAdjustmentPeriod", &ADJUSTMENT_PERIOD),
    member("LookBackAvailablePeriods", &ADJUSTMENT_PERIOD),
]);
static AUTO_ADJUST_DATA: Shape = Shape::Struct(&[
    required(
        "AutoAdjustType",
        &const { enumeration(&["HISTORICAL", "FORECAST"]) },
    ),
    member("HistoricalOptions", &HISTORICAL_OPTIONS),
    member("LastAutoAdjustTime", &TIMESTAMP),
]);

// The filter expression is recursive: `And` / `Or` hold expressions, `Not` one.
static EXPRESSION: Shape = Shape::Struct(&[
    member("Or", &EXPRESSIONS),
    member("And", &EXPRESSIONS),
    member("Not", &EXPRESSION),
    member("Dimensions", &DIMENSION_VALUES_EXPRESSION),
    member("Tags", &TAG_VALUES),
    member("CostCategories", &COST_CATEGORY_VALUES),
]);
static EXPRESSIONS: Shape = list(&EXPRESSION, 0, None);
static DIMENSION: Shape = enumeration(&[
    "AZ",
    "INSTANCE_TYPE",
    "LINKED_ACCOUNT",
    "LINKED_ACCOUNT_NAME",
    "OPERATION",
    "PURCHASE_TYPE",
    "REGION",
    "SERVICE",
    "SERVICE_CODE",
    "USAGE_TYPE",
    "USAGE_TYPE_GROUP",
    "RECORD_TYPE",
    "OPERATING_SYSTEM",
    "TENANCY",
    "SCOPE",
    "PLATFORM",
    "SUBSCRIPTION_ID",
    "LEGAL_ENTITY_NAME",
    "INVOICING_ENTITY",
    "DEPLOYMENT_OPTION",
    "DATABASE_ENGINE",
    "CACHE_ENGINE",
    "INSTANCE_TYPE_FAMILY",
    "BILLING_ENTITY",
    "RESERVATION_ID",
    "RESOURCE_ID",
    "RIGHTSIZING_TYPE",
    "SAVINGS_PLANS_TYPE",
    "SAVINGS_PLAN_ARN",
    "PAYMENT_OPTION",
    "RESERVATION_MODIFIED",
    "TAG_KEY",
    "COST_CATEGORY_NAME",
]);
static VALUE: Shape = string(0, 1024);
static VALUES: Shape = list(&VALUE, 1, None);
static MATCH_OPTIONS: Shape = list(
    &const {
        enumeration(&[
            "EQUALS",
            "ABSENT",
            "STARTS_WITH",
            "ENDS_WITH",
            "CONTAINS",
            "GREATER_THAN_OR_EQUAL",
            "CASE_SENSITIVE",
            "CASE_INSENSITIVE",
        ])
    },
    0,
    None,
);
static DIMENSION_VALUES_EXPRESSION: Shape = Shape::Struct(&[
    required("Key", &DIMENSION),
    required("Values", &VALUES),
    member("MatchOptions", &MATCH_OPTIONS),
]);
static TAG_VALUES: Shape = Shape::Struct(&[
    member("Key", &VALUE),
    member("Values", &VALUES),
    member("MatchOptions", &MATCH_OPTIONS),
]);
static COST_CATEGORY_VALUES: Shape = Shape::Struct(&[
    member("Key", &GENERIC_STRING),
    member("Values", &VALUES),
    member("MatchOptions", &MATCH_OPTIONS),
]);
static METRICS: Shape = list(
    &const {
        enumeration(&[
            "BlendedCost",
            "UnblendedCost",
            "AmortizedCost",
            "NetUnblendedCost",
            "NetAmortizedCost",
            "UsageQuantity",
            "NormalizedUsageAmount",
            "Hours",
        ])
    },
    0,
    Some(1),
);
static BILLING_VIEW_ARN: Shape = pattern(
    20,
    Some(2048),
    Pattern {
        regex: r"^arn:aws[a-z-]*:(billing)::[0-9]{12}:billingview/[a-zA-Z0-9/:_\+=\.\-@]{0,75}[a-zA-Z0-9]$",
        test: |s| {
            s.starts_with("arn:aws") && s.contains(":billing::") && s.contains(":billingview/")
        },
    },
);

static BUDGET: Shape = Shape::Struct(&[
    required("BudgetName", &BUDGET_NAME),
    member("BudgetLimit", &SPEND),
    member("PlannedBudgetLimits", &PLANNED_BUDGET_LIMITS),
    member("CostFilters", &COST_FILTERS),
    member("CostTypes", &COST_TYPES),
    required("TimeUnit", &TIME_UNIT),
    member("TimePeriod", &TIME_PERIOD),
    member("CalculatedSpend", &CALCULATED_SPEND),
    required("BudgetType", &BUDGET_TYPE),
    member("LastUpdatedTime", &TIMESTAMP),
    member("AutoAdjustData", &AUTO_ADJUST_DATA),
    member("FilterExpression", &EXPRESSION),
    member("Metrics", &METRICS),
    member("BillingViewArn", &BILLING_VIEW_ARN),
]);

static NOTIFICATION: Shape = Shape::Struct(&[
    required(
        "NotificationType",
        &const { enumeration(&["ACTUAL", "FORECASTED"]) },
    ),
    required(
        "ComparisonOperator",
        &const { enumeration(&["GREATER_THAN", "LESS_THAN", "EQUAL_TO"]) },
    ),
    required(
        "Threshold",
        &Shape::Double {
            min: Some(0.0),
            max: Some(15_000_000_000_000.0),
        },
    ),
    member(
        "ThresholdType",
        &const { enumeration(&["PERCENTAGE", "ABSOLUTE_VALUE"]) },
    ),
    member(
        "NotificationState",
        &const { enumeration(&["OK", "ALARM"]) },
    ),
]);
/// The address is sensitive: never echoed in messages.
static ADDRESS: Shape = Shape::Str(Str {
    min: 1,
    max: Some(2_147_483_647),
    pattern: None,
    values: &[],
    sensitive: true,
});
static SUBSCRIBER: Shape = Shape::Struct(&[
    required(
        "SubscriptionType",
        &const { enumeration(&["SNS", "EMAIL"]) },
    ),
    required("Address", &ADDRESS),
]);
static SUBSCRIBERS: Shape = list(&SUBSCRIBER, 1, Some(super::handlers::MAX_SUBSCRIBERS));
static NOTIFICATION_WITH_SUBSCRIBERS: Shape = Shape::Struct(&[
    required("Notification", &NOTIFICATION),
    required("Subscribers", &SUBSCRIBERS),
]);
static TAG_KEY: Shape = string(1, 128);
static RESOURCE_TAG: Shape = Shape::Struct(&[
    required("Key", &TAG_KEY),
    required("Value", &const { string(0, 256) }),
]);
static RESOURCE_TAGS: Shape = list(&RESOURCE_TAG, 0, Some(super::handlers::MAX_TAGS));
static RESOURCE_TAG_KEYS: Shape = list(&TAG_KEY, 0, Some(super::handlers::MAX_TAGS));
static RESOURCE_ARN: Shape = string(1, 1011);
static NEXT_TOKEN: Shape = any_string();

pub static CREATE_BUDGET: Shape = Shape::Struct(&[
    required("AccountId", &ACCOUNT_ID),
    required("Budget", &BUDGET),
    member(
        "NotificationsWithSubscribers",
        &const {
            list(
                &NOTIFICATION_WITH_SUBSCRIBERS,
                0,
                Some(super::handlers::MAX_NOTIFICATIONS),
            )
        },
    ),
    member("ResourceTags", &RESOURCE_TAGS),
]);
pub static UPDATE_BUDGET: Shape = Shape::Struct(&[
    required("AccountId", &ACCOUNT_ID),
    required("NewBudget", &BUDGET),
]);
/// DescribeBudget.
pub static BUDGET_BY_NAME: Shape = Shape::Struct(&[
    required("AccountId", &ACCOUNT_ID),
    required("BudgetName", &BUDGET_NAME),
    member("ShowFilterExpression", &BOOL),
]);
pub static DELETE_BUDGET: Shape = Shape::Struct(&[
    required("AccountId", &ACCOUNT_ID),
    required("BudgetName", &BUDGET_NAME),
]);
pub static DESCRIBE_BUDGETS: Shape = Shape::Struct(&[
    required("AccountId", &ACCOUNT_ID),
    member("MaxResults", &const { int(Some(1), Some(1000)) }),
    member("NextToken", &NEXT_TOKEN),
    member("ShowFilterExpression", &BOOL),
]);
static MAX_RESULTS_100: Shape = int(Some(1), Some(100));
pub static CREATE_NOTIFICATION: Shape = Shape::Struct(&[
    required("AccountId", &ACCOUNT_ID),
    required("BudgetName", &BUDGET_NAME),
    required("Notification", &NOTIFICATION),
    required("Subscribers", &SUBSCRIBERS),
]);
pub static UPDATE_NOTIFICATION: Shape = Shape::Struct(&[
    required("AccountId", &ACCOUNT_ID),
    required("BudgetName", &BUDGET_NAME),
    required("OldNotification", &NOTIFICATION),
    required("NewNotification", &NOTIFICATION),
]);
pub static DELETE_NOTIFICATION: Shape = Shape::Struct(&[
    required("AccountId", &ACCOUNT_ID),
    required("BudgetName", &BUDGET_NAME),
    required("Notification", &NOTIFICATION),
]);
pub static DESCRIBE_NOTIFICATIONS: Shape = Shape::Struct(&[
    required("AccountId", &ACCOUNT_ID),
    required("BudgetName", &BUDGET_NAME),
    member("MaxResults", &MAX_RESULTS_100),
    member("NextToken", &NEXT_TOKEN),
]);
/// CreateSubscriber and DeleteSubscriber.
pub static SUBSCRIBER_REQUEST: Shape = Shape::Struct(&[
    required("AccountId", &ACCOUNT_ID),
    required("BudgetName", &BUDGET_NAME),
    required("Notification", &NOTIFICATION),
    required("Subscriber", &SUBSCRIBER),
]);
pub static UPDATE_SUBSCRIBER: Shape = Shape::Struct(&[
    required("AccountId", &ACCOUNT_ID),
    required("BudgetName", &BUDGET_NAME),
    required("Notification", &NOTIFICATION),
    required("OldSubscriber", &SUBSCRIBER),
    required("NewSubscriber", &SUBSCRIBER),
]);
pub static DESCRIBE_SUBSCRIBERS: Shape = Shape::Struct(&[
    required("AccountId", &ACCOUNT_ID),
    required("BudgetName", &BUDGET_NAME),
    required("Notification", &NOTIFICATION),
    member("MaxResults", &MAX_RESULTS_100),
    member("NextToken", &NEXT_TOKEN),
]);
pub static TAG_RESOURCE: Shape = Shape::Struct(&[
    required("ResourceARN", &RESOURCE_ARN),
    required("ResourceTags", &RESOURCE_TAGS),
]);
pub static UNTAG_RESOURCE: Shape = Shape::Struct(&[
    required("ResourceARN", &RESOURCE_ARN),
    required("ResourceTagKeys", &RESOURCE_TAG_KEYS),
]);
pub static LIST_TAGS: Shape = Shape::Struct(&[required("ResourceARN", &RESOURCE_ARN)]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_amounts() {
        assert!(is_budget_name("ivs demo / monthly"));
        assert!(!is_budget_name("a:b"));
        assert!(!is_budget_name("a\\b"));
        assert!(!is_budget_name("x/action/y"));
        assert!(!is_budget_name("a<SCRIPT>x</script>"));
        assert!(is_numeric_value("500"));
        assert!(is_numeric_value("0.5"));
        assert!(is_numeric_value(".5"));
        assert!(!is_numeric_value("5."));
        assert!(!is_numeric_value("1e3"));
        assert!(!is_numeric_value("-1"));
    }
}
