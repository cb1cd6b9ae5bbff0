//! AWS Budgets emulator over awsJson 1.1 (`X-Amz-Target: AWSBudgetServiceGateway.<Op>`):
//! budgets, their notifications and subscribers, and tags.
//!
//! Budgets is global: any signing region reaches the same state, and every call names the
//! account (`AccountId`), which must be the endpoint's own (else `AccessDeniedException`).
//! What AWS does and we copy: amounts echo as decimals (`"500"` -> `"500.0"`), `TimePeriod`
//! defaults to the start of the current period until 2087-06-15, COST budgets without a
//! `FilterExpression` get default `CostTypes`, `UpdateBudget` replaces the whole budget,
//! notifications have no id and are matched by value, deleting a budget's last subscriber
//! of a notification deletes the notification. Model constraints fail with
//! `ValidationException`; semantic checks with the modeled exceptions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::api::{ApiError, Context, Protocol, Request, Response, Route, Service};
use crate::state::LocalState;
use crate::wire::aws_json::{self, JsonVersion, MessageKey};
use crate::wire::query::Violations;

const TARGET_PREFIX: &str = "AWSBudgetServiceGateway";
const VERSION: JsonVersion = JsonVersion::V1_1;
const VALIDATION: &str = "ValidationException";

/// Budgets per account (AWS quota), enforced with `--quotas aws`.
pub const MAX_BUDGETS: usize = 20_000;
/// Notifications per budget (model list maximum).
pub const MAX_NOTIFICATIONS: usize = 10;
/// Subscribers per notification: one SNS topic plus ten email addresses.
pub const MAX_SUBSCRIBERS: usize = 11;
const MAX_EMAIL_SUBSCRIBERS: usize = 10;
const MAX_SNS_SUBSCRIBERS: usize = 1;
/// Tags per budget (model list maximum).
pub const MAX_TAGS: usize = 200;
/// `TimePeriod.End` AWS fills in when none is given: 2087-06-15T00:00:00Z.
pub const DEFAULT_END: i64 = 3_706_473_600;

const OPERATIONS: &[&str] = &[
    "CreateBudget",
    "UpdateBudget",
    "DescribeBudget",
    "DescribeBudgets",
    "DeleteBudget",
    "CreateNotification",
    "UpdateNotification",
    "DeleteNotification",
    "DescribeNotificationsForBudget",
    "CreateSubscriber",
    "UpdateSubscriber",
    "DeleteSubscriber",
    "DescribeSubscribersForNotification",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

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
    fn same(&self, other: &Notification) -> bool {
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
    fn normalised(&self) -> Notification {
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

    fn describe(&self) -> String {
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceTag {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NotificationWithSubscribers {
    notification: Option<Notification>,
    subscribers: Option<Vec<Subscriber>>,
}

/// The Budgets service.
#[derive(Debug, Default, Clone)]
pub struct BudgetsService;

impl Service for BudgetsService {
    fn signing_name(&self) -> &'static str {
        "budgets"
    }

    fn route(&self, req: &Request) -> Result<Route, (Protocol, ApiError)> {
        aws_json::route(req, TARGET_PREFIX, OPERATIONS)
            .map(|operation| Route {
                operation,
                protocol: Protocol::AwsJson11,
            })
            .map_err(|e| (Protocol::AwsJson11, e))
    }

    fn handle(
        &self,
        route: &Route,
        req: &Request,
        state: &mut LocalState,
        ctx: &Context,
    ) -> Result<Response, ApiError> {
        let body = aws_json::parse_body(req)?;
        let st = &mut state.budgets;
        let out = match route.operation.as_str() {
            "CreateBudget" => create_budget(st, body, ctx)?,
            "UpdateBudget" => update_budget(st, body, ctx)?,
            "DescribeBudget" => describe_budget(st, body, ctx)?,
            "DescribeBudgets" => describe_budgets(st, body, ctx)?,
            "DeleteBudget" => delete_budget(st, body, ctx)?,
            "CreateNotification" => create_notification(st, body, ctx)?,
            "UpdateNotification" => update_notification(st, body, ctx)?,
            "DeleteNotification" => delete_notification(st, body, ctx)?,
            "DescribeNotificationsForBudget" => describe_notifications(st, body, ctx)?,
            "CreateSubscriber" => create_subscriber(st, body, ctx)?,
            "UpdateSubscriber" => update_subscriber(st, body, ctx)?,
            "DeleteSubscriber" => delete_subscriber(st, body, ctx)?,
            "DescribeSubscribersForNotification" => describe_subscribers(st, body, ctx)?,
            "TagResource" => tag_resource(st, body, ctx)?,
            "UntagResource" => untag_resource(st, body, ctx)?,
            "ListTagsForResource" => list_tags(st, body, ctx)?,
            _ => return Err(ApiError::new(400, "UnknownOperationException", "")),
        };
        Ok(aws_json::ok(&out, VERSION))
    }

    fn render_error(&self, _protocol: Protocol, err: &ApiError, _ctx: &Context) -> Response {
        aws_json::error(err, VERSION, MessageKey::Upper)
    }

    fn throttling_error(&self, _operation: &str) -> ApiError {
        // Modeled by Budgets and listed in aws-runtime's THROTTLING_ERRORS.
        ApiError::new(400, "ThrottlingException", "Rate exceeded")
    }

    fn is_mutating(&self, operation: &str) -> bool {
        !(operation.starts_with("Describe") || operation.starts_with("List"))
    }

    fn rate_quota(&self, _operation: &str) -> f64 {
        // The Budgets API's documented limit: 1 request per second sustained, bursts of 5
        // are tolerated. Use the burst-friendly 5 here so normal applies are not throttled.
        5.0
    }
}

// ---------------------------------------------------------------------------------------
// Input decoding and validation.

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidParameterException", msg)
}

fn not_found(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "NotFoundException", msg)
}

fn duplicate(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "DuplicateRecordException", msg)
}

fn limit(msg: impl Into<String>) -> ApiError {
    ApiError::new(400, "CreationLimitExceededException", msg)
}

/// Decode member `name` of the body as `T`; a type mismatch is AWS's SerializationException.
fn member<T: serde::de::DeserializeOwned>(
    body: &Map<String, Value>,
    name: &str,
) -> Result<Option<T>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|e| {
            ApiError::new(
                400,
                "SerializationException",
                format!("Invalid value for {name}: {e}"),
            )
        }),
    }
}

fn string_member(body: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    member::<String>(body, name)
}

fn required<T>(v: &mut Violations, value: Option<T>, path: &str) -> Option<T> {
    if value.is_none() {
        v.add(None, path, "Member must not be null");
    }
    value
}

fn check_account(
    v: &mut Violations,
    body: &Map<String, Value>,
) -> Result<Option<String>, ApiError> {
    let account = required(v, string_member(body, "AccountId")?, "accountId");
    if let Some(a) = &account {
        v.length("accountId", a, 12, 12);
        v.pattern(
            "accountId",
            a,
            a.chars().all(|c| c.is_ascii_digit()),
            r"\d{12}",
        );
    }
    Ok(account)
}

/// The caller may only reach its own account's budgets.
fn authorize(account: &str, ctx: &Context) -> Result<(), ApiError> {
    if account == ctx.account_id {
        Ok(())
    } else {
        Err(ApiError::new(
            400,
            "AccessDeniedException",
            format!(
                "User: arn:aws:iam::{}:user/local is not authorized to access budgets of account {account}",
                ctx.account_id
            ),
        ))
    }
}

const NAME_PATTERN: &str = r"^(?![^:\\]*/action/|(?i).*<script>.*</script>.*)[^:\\]+$";

fn is_budget_name(s: &str) -> bool {
    let lower = s.to_lowercase();
    let script = lower
        .find("<script>")
        .is_some_and(|i| lower[i + "<script>".len()..].contains("</script>"));
    !s.is_empty() && !s.contains(':') && !s.contains('\\') && !s.contains("/action/") && !script
}

fn check_budget_name(v: &mut Violations, name: Option<&str>, path: &str) {
    match name {
        None => v.add(None, path, "Member must not be null"),
        Some(n) => {
            v.length(path, n, 1, 100);
            v.pattern(path, n, is_budget_name(n), NAME_PATTERN);
        }
    }
}

/// `([0-9]*\.)?[0-9]+`.
fn is_numeric_value(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => ("", s),
    };
    int.chars().all(|c| c.is_ascii_digit())
        && !frac.is_empty()
        && frac.chars().all(|c| c.is_ascii_digit())
}

fn check_spend(v: &mut Violations, s: &Spend, path: &str) {
    match &s.amount {
        None => v.add(None, &format!("{path}.amount"), "Member must not be null"),
        Some(a) => {
            v.length(&format!("{path}.amount"), a, 1, usize::MAX);
            v.pattern(
                &format!("{path}.amount"),
                a,
                is_numeric_value(a),
                r"([0-9]*\.)?[0-9]+",
            );
        }
    }
    match &s.unit {
        None => v.add(None, &format!("{path}.unit"), "Member must not be null"),
        Some(u) => v.length(&format!("{path}.unit"), u, 1, usize::MAX),
    }
}

const DIMENSIONS: &[&str] = &[
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
];
const MATCH_OPTIONS: &[&str] = &[
    "EQUALS",
    "ABSENT",
    "STARTS_WITH",
    "ENDS_WITH",
    "CONTAINS",
    "GREATER_THAN_OR_EQUAL",
    "CASE_SENSITIVE",
    "CASE_INSENSITIVE",
];
const METRICS: &[&str] = &[
    "BlendedCost",
    "UnblendedCost",
    "AmortizedCost",
    "NetUnblendedCost",
    "NetAmortizedCost",
    "UsageQuantity",
    "NormalizedUsageAmount",
    "Hours",
];

/// Validate a filter `Expression` (recursive): model constraints into `v`, and AWS's rule
/// that each expression node holds exactly one operand as `InvalidParameterException`.
fn check_expression(
    v: &mut Violations,
    e: &Value,
    path: &str,
    depth: usize,
) -> Result<(), ApiError> {
    let Some(obj) = e.as_object() else {
        return Err(ApiError::new(
            400,
            "SerializationException",
            format!("{path} must be a structure"),
        ));
    };
    if depth > 32 {
        return Err(invalid("The filter expression is nested too deeply."));
    }
    let operands = ["Or", "And", "Not", "Dimensions", "Tags", "CostCategories"]
        .iter()
        .filter(|k| obj.get(**k).is_some_and(|x| !x.is_null()))
        .count();
    if operands != 1 {
        return Err(invalid(
            "Expression must contain exactly one of And, Or, Not, Dimensions, Tags or CostCategories.",
        ));
    }
    for list in ["Or", "And"] {
        if let Some(items) = obj.get(list).filter(|x| !x.is_null()) {
            let Some(items) = items.as_array() else {
                return Err(ApiError::new(
                    400,
                    "SerializationException",
                    format!("{path}.{list} must be a list"),
                ));
            };
            for (i, item) in items.iter().enumerate() {
                check_expression(
                    v,
                    item,
                    &format!("{path}.{}.{}.member", list.to_lowercase(), i + 1),
                    depth + 1,
                )?;
            }
        }
    }
    if let Some(not) = obj.get("Not").filter(|x| !x.is_null()) {
        check_expression(v, not, &format!("{path}.not"), depth + 1)?;
    }
    for (member_name, key_enum) in [
        ("Dimensions", true),
        ("Tags", false),
        ("CostCategories", false),
    ] {
        let Some(m) = obj.get(member_name).filter(|x| !x.is_null()) else {
            continue;
        };
        let p = format!("{path}.{}", crate::wire::query::lower_camel(member_name));
        let m = m.as_object().ok_or_else(|| {
            ApiError::new(
                400,
                "SerializationException",
                format!("{p} must be a structure"),
            )
        })?;
        let key = m.get("Key").and_then(Value::as_str);
        if key_enum {
            match key {
                None => v.add(None, &format!("{p}.key"), "Member must not be null"),
                Some(k) => v.enumeration(&format!("{p}.key"), k, DIMENSIONS),
            }
        } else if let Some(k) = key {
            v.length(&format!("{p}.key"), k, 0, 1024);
        }
        match m.get("Values").and_then(Value::as_array) {
            None if key_enum => v.add(None, &format!("{p}.values"), "Member must not be null"),
            None => {}
            Some(vals) => {
                if vals.is_empty() {
                    v.add(
                        Some("[]"),
                        &format!("{p}.values"),
                        "Member must have length greater than or equal to 1",
                    );
                }
                for (i, val) in vals.iter().enumerate() {
                    let s = val.as_str().unwrap_or_default();
                    v.length(&format!("{p}.values.{}.member", i + 1), s, 0, 1024);
                }
            }
        }
        if let Some(opts) = m.get("MatchOptions").and_then(Value::as_array) {
            for (i, o) in opts.iter().enumerate() {
                v.enumeration(
                    &format!("{p}.matchOptions.{}.member", i + 1),
                    o.as_str().unwrap_or_default(),
                    MATCH_OPTIONS,
                );
            }
        }
    }
    Ok(())
}

fn check_budget(v: &mut Violations, b: &Budget, path: &str) -> Result<(), ApiError> {
    check_budget_name(v, b.budget_name.as_deref(), &format!("{path}.budgetName"));
    match &b.time_unit {
        None => v.add(None, &format!("{path}.timeUnit"), "Member must not be null"),
        Some(t) => v.enumeration(
            &format!("{path}.timeUnit"),
            t,
            &["DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY", "CUSTOM"],
        ),
    }
    match &b.budget_type {
        None => v.add(
            None,
            &format!("{path}.budgetType"),
            "Member must not be null",
        ),
        Some(t) => v.enumeration(
            &format!("{path}.budgetType"),
            t,
            &[
                "USAGE",
                "COST",
                "RI_UTILIZATION",
                "RI_COVERAGE",
                "SAVINGS_PLANS_UTILIZATION",
                "SAVINGS_PLANS_COVERAGE",
            ],
        ),
    }
    if let Some(s) = &b.budget_limit {
        check_spend(v, s, &format!("{path}.budgetLimit"));
    }
    if let Some(planned) = &b.planned_budget_limits {
        for (k, s) in planned {
            check_spend(v, s, &format!("{path}.plannedBudgetLimits.{k}"));
        }
    }
    if let Some(m) = &b.metrics {
        if m.len() > 1 {
            v.add(
                Some(&format!("{m:?}")),
                &format!("{path}.metrics"),
                "Member must have length less than or equal to 1",
            );
        }
        for (i, x) in m.iter().enumerate() {
            v.enumeration(&format!("{path}.metrics.{}.member", i + 1), x, METRICS);
        }
    }
    if let Some(a) = &b.auto_adjust_data {
        match &a.auto_adjust_type {
            None => v.add(
                None,
                &format!("{path}.autoAdjustData.autoAdjustType"),
                "Member must not be null",
            ),
            Some(t) => v.enumeration(
                &format!("{path}.autoAdjustData.autoAdjustType"),
                t,
                &["HISTORICAL", "FORECAST"],
            ),
        }
        if let Some(h) = &a.historical_options {
            let hp = format!("{path}.autoAdjustData.historicalOptions");
            match h.budget_adjustment_period {
                None => v.add(
                    None,
                    &format!("{hp}.budgetAdjustmentPeriod"),
                    "Member must not be null",
                ),
                Some(n) => v.range(&format!("{hp}.budgetAdjustmentPeriod"), n, 1, 60),
            }
            if let Some(n) = h.look_back_available_periods {
                v.range(&format!("{hp}.lookBackAvailablePeriods"), n, 1, 60);
            }
        }
    }
    if let Some(arn) = &b.billing_view_arn {
        let ok = arn.starts_with("arn:aws")
            && arn.contains(":billing::")
            && arn.contains(":billingview/");
        v.length(&format!("{path}.billingViewArn"), arn, 20, 2048);
        v.pattern(
            &format!("{path}.billingViewArn"),
            arn,
            ok,
            r"^arn:aws[a-z-]*:(billing)::[0-9]{12}:billingview/[a-zA-Z0-9/:_\+=\.\-@]{0,75}[a-zA-Z0-9]$",
        );
    }
    if let Some(e) = &b.filter_expression {
        check_expression(v, e, &format!("{path}.filterExpression"), 0)?;
    }
    Ok(())
}

/// Semantic checks AWS makes once the model constraints hold.
fn check_budget_semantics(b: &Budget) -> Result<(), ApiError> {
    if b.budget_limit.is_some() && b.planned_budget_limits.is_some() {
        return Err(invalid(
            "Unable to create/update budget - BudgetLimit and PlannedBudgetLimits cannot both be specified.",
        ));
    }
    if b.budget_limit.is_none() && b.planned_budget_limits.is_none() && b.auto_adjust_data.is_none()
    {
        return Err(invalid(
            "Unable to create/update budget - please provide one of the followings: Budget Limit/ Planned Budget Limit/ Auto Adjust Data",
        ));
    }
    let new_style = b.filter_expression.is_some() || b.metrics.is_some();
    let old_style = b.cost_filters.is_some() || b.cost_types.is_some();
    if new_style && old_style {
        return Err(invalid(
            "FilterExpression and Metrics cannot be combined with CostFilters or CostTypes; use either FilterExpression and Metrics or CostFilters and CostTypes.",
        ));
    }
    if let Some(tp) = &b.time_period
        && let (Some(s), Some(e)) = (tp.start, tp.end)
        && s >= e
    {
        return Err(invalid(
            "The budget's TimePeriod End must be after its Start.",
        ));
    }
    Ok(())
}

fn check_notification(v: &mut Violations, n: &Notification, path: &str) {
    match &n.notification_type {
        None => v.add(
            None,
            &format!("{path}.notificationType"),
            "Member must not be null",
        ),
        Some(t) => v.enumeration(
            &format!("{path}.notificationType"),
            t,
            &["ACTUAL", "FORECASTED"],
        ),
    }
    match &n.comparison_operator {
        None => v.add(
            None,
            &format!("{path}.comparisonOperator"),
            "Member must not be null",
        ),
        Some(t) => v.enumeration(
            &format!("{path}.comparisonOperator"),
            t,
            &["GREATER_THAN", "LESS_THAN", "EQUAL_TO"],
        ),
    }
    match n.threshold {
        None => v.add(
            None,
            &format!("{path}.threshold"),
            "Member must not be null",
        ),
        Some(t) if !(0.0..=1.5e13).contains(&t) => {
            let member = format!("{path}.threshold");
            let constraint = if t < 0.0 {
                "Member must have value greater than or equal to 0"
            } else {
                "Member must have value less than or equal to 15000000000000"
            };
            v.add(Some(&t.to_string()), &member, constraint);
        }
        Some(_) => {}
    }
    if let Some(t) = &n.threshold_type {
        v.enumeration(
            &format!("{path}.thresholdType"),
            t,
            &["PERCENTAGE", "ABSOLUTE_VALUE"],
        );
    }
    if let Some(s) = &n.notification_state {
        v.enumeration(&format!("{path}.notificationState"), s, &["OK", "ALARM"]);
    }
}

fn check_subscriber(v: &mut Violations, s: &Subscriber, path: &str) {
    match &s.subscription_type {
        None => v.add(
            None,
            &format!("{path}.subscriptionType"),
            "Member must not be null",
        ),
        Some(t) => v.enumeration(&format!("{path}.subscriptionType"), t, &["SNS", "EMAIL"]),
    }
    match &s.address {
        // The address is a sensitive member: AWS does not echo it in messages.
        None => v.add(None, &format!("{path}.address"), "Member must not be null"),
        Some(a) if a.is_empty() => v.add(
            Some("*** sensitive data ***"),
            &format!("{path}.address"),
            "Member must have length greater than or equal to 1",
        ),
        Some(_) => {}
    }
}

/// Subscriber checks beyond the model: address formats and the per-type counts.
fn check_subscriber_semantics(subs: &[Subscriber]) -> Result<(), ApiError> {
    for s in subs {
        let addr = s.address.as_deref().unwrap_or_default();
        match s.subscription_type.as_deref() {
            Some("EMAIL") => {
                let ok = addr
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
                    && !addr.contains(char::is_whitespace);
                if !ok {
                    return Err(invalid(format!("Invalid email address: {addr}")));
                }
            }
            Some("SNS") if !addr.starts_with("arn:aws") || addr.split(':').count() < 6 => {
                return Err(invalid(format!("Invalid SNS topic ARN: {addr}")));
            }
            _ => {}
        }
    }
    for (i, s) in subs.iter().enumerate() {
        if subs[..i].contains(s) {
            return Err(invalid("Duplicate subscribers are not allowed."));
        }
    }
    let count = |t: &str| {
        subs.iter()
            .filter(|s| s.subscription_type.as_deref() == Some(t))
            .count()
    };
    if count("SNS") > MAX_SNS_SUBSCRIBERS || count("EMAIL") > MAX_EMAIL_SUBSCRIBERS {
        return Err(invalid(
            "A notification can have at most 1 SNS subscriber and 10 email subscribers.",
        ));
    }
    Ok(())
}

fn check_tags(v: &mut Violations, tags: &[ResourceTag], path: &str) -> Result<(), ApiError> {
    if tags.len() > MAX_TAGS {
        v.add(
            Some(&format!("{} tags", tags.len())),
            path,
            &format!("Member must have length less than or equal to {MAX_TAGS}"),
        );
    }
    for (i, t) in tags.iter().enumerate() {
        let p = format!("{path}.{}.member", i + 1);
        match &t.key {
            None => v.add(None, &format!("{p}.key"), "Member must not be null"),
            Some(k) => v.length(&format!("{p}.key"), k, 1, 128),
        }
        match &t.value {
            None => v.add(None, &format!("{p}.value"), "Member must not be null"),
            Some(val) => v.length(&format!("{p}.value"), val, 0, 256),
        }
    }
    Ok(())
}

fn check_tag_semantics(tags: &[ResourceTag]) -> Result<(), ApiError> {
    for (i, t) in tags.iter().enumerate() {
        let k = t.key.as_deref().unwrap_or_default();
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid(
                "Tag keys starting with 'aws:' are reserved for AWS use.",
            ));
        }
        if tags[..i].iter().any(|o| o.key == t.key) {
            return Err(invalid("Duplicate tag keys are not allowed."));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Normalisation: what AWS stores and returns.

/// `"500"` -> `"500.0"`, `".5"` -> `"0.5"`; anything with a fractional part is kept.
pub fn normalise_amount(a: &str) -> String {
    let a = if a.starts_with('.') {
        format!("0{a}")
    } else {
        a.to_string()
    };
    if a.contains('.') { a } else { format!("{a}.0") }
}

fn normalise_spend(s: &Spend) -> Spend {
    Spend {
        amount: s.amount.as_deref().map(normalise_amount),
        unit: s.unit.clone(),
    }
}

/// Start of the current budget period for `unit` at `now` (UTC).
pub fn period_start(unit: &str, now: i64) -> i64 {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(now) else {
        return now;
    };
    let date = t.date();
    let first =
        |month: time::Month| time::Date::from_calendar_date(date.year(), month, 1).unwrap_or(date);
    let start = match unit {
        "DAILY" => date,
        "ANNUALLY" => first(time::Month::January),
        "QUARTERLY" => {
            let m = (u8::from(date.month()) - 1) / 3 * 3 + 1;
            first(time::Month::try_from(m).unwrap_or(time::Month::January))
        }
        _ => first(date.month()),
    };
    start.midnight().assume_utc().unix_timestamp()
}

/// The stored form of a budget submitted by Create/UpdateBudget.
fn normalise_budget(mut b: Budget, now: i64) -> Budget {
    b.budget_limit = b.budget_limit.as_ref().map(normalise_spend);
    b.planned_budget_limits = b.planned_budget_limits.map(|m| {
        m.iter()
            .map(|(k, s)| (k.clone(), normalise_spend(s)))
            .collect()
    });
    let unit = b.time_unit.clone().unwrap_or_default();
    let tp = b.time_period.take().unwrap_or_default();
    b.time_period = Some(TimePeriod {
        start: Some(tp.start.unwrap_or(period_start(&unit, now) as f64)),
        end: Some(tp.end.unwrap_or(DEFAULT_END as f64)),
    });
    if b.budget_type.as_deref() == Some("COST")
        && b.filter_expression.is_none()
        && b.metrics.is_none()
    {
        let c = b.cost_types.take().unwrap_or_default();
        b.cost_types = Some(CostTypes {
            include_tax: c.include_tax.or(Some(true)),
            include_subscription: c.include_subscription.or(Some(true)),
            use_blended: c.use_blended.or(Some(false)),
            include_refund: c.include_refund.or(Some(true)),
            include_credit: c.include_credit.or(Some(true)),
            include_upfront: c.include_upfront.or(Some(true)),
            include_recurring: c.include_recurring.or(Some(true)),
            include_other_subscription: c.include_other_subscription.or(Some(true)),
            include_support: c.include_support.or(Some(true)),
            include_discount: c.include_discount.or(Some(true)),
            use_amortized: c.use_amortized.or(Some(false)),
        });
    }
    let unit_of_spend = b
        .budget_limit
        .as_ref()
        .and_then(|s| s.unit.clone())
        .unwrap_or_else(|| "USD".to_string());
    let zero = Spend {
        amount: Some("0.0".into()),
        unit: Some(unit_of_spend),
    };
    // Nothing is spent locally; AWS resets the spend on update too until new data arrives.
    b.calculated_spend = Some(CalculatedSpend {
        actual_spend: zero.clone(),
        forecasted_spend: Some(zero),
    });
    b.last_updated_time = Some(now as f64);
    b
}

fn render_budget(b: &Budget, show_filter_expression: bool) -> Value {
    let mut b = b.clone();
    if !show_filter_expression {
        b.filter_expression = None;
        b.metrics = None;
    }
    let mut v = serde_json::to_value(&b).unwrap_or(Value::Null);
    // Timestamps as integers when whole, as AWS sends them.
    fix_epochs(&mut v);
    v
}

fn fix_epochs(v: &mut Value) {
    if let Some(obj) = v.as_object_mut() {
        for (k, val) in obj.iter_mut() {
            if matches!(
                k.as_str(),
                "Start" | "End" | "LastUpdatedTime" | "LastAutoAdjustTime"
            ) {
                if let Some(f) = val.as_f64() {
                    *val = aws_json::epoch_value(f);
                }
            } else {
                fix_epochs(val);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Paging tokens: opaque to clients; ours carry the position to resume from.

fn encode_token(kind: &str, key: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{kind}:{key}"))
}

fn decode_token(kind: &str, token: &str) -> Result<String, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(&format!("{kind}:")).map(str::to_string))
        .ok_or_else(|| {
            ApiError::new(
                400,
                "InvalidNextTokenException",
                "The pagination token is invalid.",
            )
        })
}

fn check_max_results(
    v: &mut Violations,
    body: &Map<String, Value>,
    max: i64,
    default: i64,
) -> Result<usize, ApiError> {
    let n = member::<i64>(body, "MaxResults")?.unwrap_or(default);
    v.range("maxResults", n, 1, max);
    Ok(n.clamp(1, max) as usize)
}

/// One page of `items` starting at the offset carried by `token`.
fn page_by_offset<T: Clone>(
    items: &[T],
    kind: &str,
    token: Option<&str>,
    max: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match token {
        None => 0,
        Some(t) => decode_token(kind, t)?
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= items.len())
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "InvalidNextTokenException",
                    "The pagination token is invalid.",
                )
            })?,
    };
    let end = (start + max).min(items.len());
    let next = (end < items.len()).then(|| encode_token(kind, &end.to_string()));
    Ok((items[start..end].to_vec(), next))
}

// ---------------------------------------------------------------------------------------
// Operations.

type Budgets = BTreeMap<String, StoredBudget>;

fn account_budgets<'a>(st: &'a mut BudgetsState, account: &str) -> &'a mut Budgets {
    st.accounts.entry(account.to_string()).or_default()
}

fn find_budget<'a>(
    st: &'a mut BudgetsState,
    account: &str,
    name: &str,
    what: &str,
) -> Result<&'a mut StoredBudget, ApiError> {
    account_budgets(st, account).get_mut(name).ok_or_else(|| {
        not_found(format!(
            "Unable to {what}: {name} - the budget doesn't exist."
        ))
    })
}

/// Account and budget name, validated and authorised, for the notification/subscriber ops.
fn account_and_name(
    v: &mut Violations,
    body: &Map<String, Value>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let account = check_account(v, body)?;
    let name = string_member(body, "BudgetName")?;
    check_budget_name(v, name.as_deref(), "budgetName");
    Ok((account, name))
}

fn finish(v: Violations, ctx: &Context, account: Option<&str>) -> Result<String, ApiError> {
    v.finish(VALIDATION)?;
    let account = account.unwrap_or_default().to_string();
    authorize(&account, ctx)?;
    Ok(account)
}

fn create_budget(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let mut v = Violations::default();
    let account = check_account(&mut v, &body)?;
    let budget = required(&mut v, member::<Budget>(&body, "Budget")?, "budget");
    if let Some(b) = &budget {
        check_budget(&mut v, b, "budget")?;
    }
    let nws = member::<Vec<NotificationWithSubscribers>>(&body, "NotificationsWithSubscribers")?
        .unwrap_or_default();
    if nws.len() > MAX_NOTIFICATIONS {
        v.add(
            Some(&format!("{} notifications", nws.len())),
            "notificationsWithSubscribers",
            &format!("Member must have length less than or equal to {MAX_NOTIFICATIONS}"),
        );
    }
    for (i, n) in nws.iter().enumerate() {
        let p = format!("notificationsWithSubscribers.{}.member", i + 1);
        match &n.notification {
            None => v.add(
                None,
                &format!("{p}.notification"),
                "Member must not be null",
            ),
            Some(x) => check_notification(&mut v, x, &format!("{p}.notification")),
        }
        check_subscriber_list(
            &mut v,
            n.subscribers.as_deref(),
            &format!("{p}.subscribers"),
        );
    }
    let tags = member::<Vec<ResourceTag>>(&body, "ResourceTags")?.unwrap_or_default();
    check_tags(&mut v, &tags, "resourceTags")?;
    let account = finish(v, ctx, account.as_deref())?;
    let Some(budget) = budget else {
        return Err(invalid("Budget is required."));
    };
    check_budget_semantics(&budget)?;
    let mut notifications: Vec<StoredNotification> = Vec::new();
    for n in &nws {
        let notification = n.notification.clone().unwrap_or_default();
        let subscribers = n.subscribers.clone().unwrap_or_default();
        check_subscriber_semantics(&subscribers)?;
        if notifications
            .iter()
            .any(|x| x.notification.same(&notification))
        {
            return Err(invalid("Duplicate notifications are not allowed."));
        }
        notifications.push(StoredNotification {
            notification: notification.normalised(),
            subscribers,
        });
    }
    check_tag_semantics(&tags)?;
    let name = budget.budget_name.clone().unwrap_or_default();
    let budgets = account_budgets(st, &account);
    if budgets.contains_key(&name) {
        return Err(duplicate(format!(
            "Error creating budget: {name} - the budget already exists."
        )));
    }
    if ctx.enforce_resource_quotas && budgets.len() >= MAX_BUDGETS {
        return Err(limit(format!(
            "You have reached the limit of {MAX_BUDGETS} budgets for this account."
        )));
    }
    budgets.insert(
        name,
        StoredBudget {
            budget: normalise_budget(budget, ctx.now),
            notifications,
            tags: tags
                .into_iter()
                .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
                .collect(),
        },
    );
    Ok(json!({}))
}

fn check_subscriber_list(v: &mut Violations, subs: Option<&[Subscriber]>, path: &str) {
    match subs {
        None => v.add(None, path, "Member must not be null"),
        Some(s) => {
            if s.is_empty() {
                v.add(
                    Some("[]"),
                    path,
                    "Member must have length greater than or equal to 1",
                );
            }
            if s.len() > MAX_SUBSCRIBERS {
                v.add(
                    Some(&format!("{} subscribers", s.len())),
                    path,
                    &format!("Member must have length less than or equal to {MAX_SUBSCRIBERS}"),
                );
            }
            for (i, x) in s.iter().enumerate() {
                check_subscriber(v, x, &format!("{path}.{}.member", i + 1));
            }
        }
    }
}

fn update_budget(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let mut v = Violations::default();
    let account = check_account(&mut v, &body)?;
    let budget = required(&mut v, member::<Budget>(&body, "NewBudget")?, "newBudget");
    if let Some(b) = &budget {
        check_budget(&mut v, b, "newBudget")?;
    }
    let account = finish(v, ctx, account.as_deref())?;
    let Some(budget) = budget else {
        return Err(invalid("NewBudget is required."));
    };
    check_budget_semantics(&budget)?;
    let name = budget.budget_name.clone().unwrap_or_default();
    let stored = find_budget(st, &account, &name, "update budget")?;
    stored.budget = normalise_budget(budget, ctx.now);
    Ok(json!({}))
}

fn describe_budget(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let mut v = Violations::default();
    let (account, name) = account_and_name(&mut v, &body)?;
    let show = member::<bool>(&body, "ShowFilterExpression")?.unwrap_or(false);
    let account = finish(v, ctx, account.as_deref())?;
    let stored = find_budget(st, &account, &name.unwrap_or_default(), "get budget")?;
    Ok(json!({ "Budget": render_budget(&stored.budget, show) }))
}

fn describe_budgets(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let mut v = Violations::default();
    let account = check_account(&mut v, &body)?;
    let max = check_max_results(&mut v, &body, 1000, 100)?;
    let token = string_member(&body, "NextToken")?;
    let show = member::<bool>(&body, "ShowFilterExpression")?.unwrap_or(false);
    let account = finish(v, ctx, account.as_deref())?;
    let after = token.as_deref().map(|t| decode_token("b", t)).transpose()?;
    let budgets = account_budgets(st, &account);
    let mut rest: Vec<&StoredBudget> = budgets
        .iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| *k > a))
        .map(|(_, b)| b)
        .collect();
    let next = if rest.len() > max {
        rest.truncate(max);
        rest.last()
            .and_then(|b| b.budget.budget_name.as_deref())
            .map(|n| encode_token("b", n))
    } else {
        None
    };
    let list: Vec<Value> = rest
        .iter()
        .map(|b| render_budget(&b.budget, show))
        .collect();
    let mut out = json!({ "Budgets": list });
    if let Some(n) = next {
        out["NextToken"] = Value::String(n);
    }
    Ok(out)
}

fn delete_budget(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let mut v = Violations::default();
    let (account, name) = account_and_name(&mut v, &body)?;
    let account = finish(v, ctx, account.as_deref())?;
    let name = name.unwrap_or_default();
    // Notifications, subscribers and tags live inside the budget and go with it.
    match account_budgets(st, &account).remove(&name) {
        Some(_) => Ok(json!({})),
        None => Err(not_found(format!(
            "Unable to delete budget: {name} - the budget doesn't exist. Try creating it first. "
        ))),
    }
}

/// Validated `(account, budget name, notification)` from a notification-scoped request.
fn notification_request(
    body: &Map<String, Value>,
    ctx: &Context,
    notification_member: &str,
    extra: impl FnOnce(&mut Violations) -> Result<(), ApiError>,
) -> Result<(String, String, Notification), ApiError> {
    let mut v = Violations::default();
    let (account, name) = account_and_name(&mut v, body)?;
    let path = crate::wire::query::lower_camel(notification_member);
    let n = required(
        &mut v,
        member::<Notification>(body, notification_member)?,
        &path,
    );
    if let Some(n) = &n {
        check_notification(&mut v, n, &path);
    }
    extra(&mut v)?;
    let account = finish(v, ctx, account.as_deref())?;
    Ok((account, name.unwrap_or_default(), n.unwrap_or_default()))
}

fn find_notification<'a>(
    budget: &'a mut StoredBudget,
    n: &Notification,
) -> Result<&'a mut StoredNotification, ApiError> {
    let name = budget.budget.budget_name.clone().unwrap_or_default();
    budget
        .notifications
        .iter_mut()
        .find(|x| x.notification.same(n))
        .ok_or_else(|| {
            not_found(format!(
                "Unable to find notification {} for budget {name}.",
                n.describe()
            ))
        })
}

fn create_notification(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let subs = member::<Vec<Subscriber>>(&body, "Subscribers")?;
    let (account, name, n) = notification_request(&body, ctx, "Notification", |v| {
        check_subscriber_list(v, subs.as_deref(), "subscribers");
        Ok(())
    })?;
    let subs = subs.unwrap_or_default();
    check_subscriber_semantics(&subs)?;
    let budget = account_budgets(st, &account)
        .get_mut(&name)
        .ok_or_else(|| not_found("Unable to create notification - the budget doesn't exist."))?;
    if budget.notifications.iter().any(|x| x.notification.same(&n)) {
        return Err(duplicate(format!(
            "Error creating notification: {} - the notification already exists.",
            n.describe()
        )));
    }
    if budget.notifications.len() >= MAX_NOTIFICATIONS {
        return Err(limit(format!(
            "A budget can have at most {MAX_NOTIFICATIONS} notifications."
        )));
    }
    budget.notifications.push(StoredNotification {
        notification: n.normalised(),
        subscribers: subs,
    });
    Ok(json!({}))
}

fn update_notification(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let new = member::<Notification>(&body, "NewNotification")?;
    let (account, name, old) = notification_request(&body, ctx, "OldNotification", |v| {
        match &new {
            None => v.add(None, "newNotification", "Member must not be null"),
            Some(n) => check_notification(v, n, "newNotification"),
        }
        Ok(())
    })?;
    let new = new.unwrap_or_default();
    let budget = find_budget(st, &account, &name, "update notification")?;
    find_notification(budget, &old)?;
    if !old.same(&new)
        && budget
            .notifications
            .iter()
            .any(|x| x.notification.same(&new))
    {
        return Err(duplicate(format!(
            "Error updating notification: {} - the notification already exists.",
            new.describe()
        )));
    }
    let stored = find_notification(budget, &old)?;
    stored.notification = new.normalised();
    Ok(json!({}))
}

fn delete_notification(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let (account, name, n) = notification_request(&body, ctx, "Notification", |_| Ok(()))?;
    let budget = account_budgets(st, &account)
        .get_mut(&name)
        .ok_or_else(|| not_found("Unable to delete notification - the budget doesn't exist."))?;
    find_notification(budget, &n)?;
    // Its subscribers are stored with it and go too.
    budget.notifications.retain(|x| !x.notification.same(&n));
    Ok(json!({}))
}

fn describe_notifications(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let mut v = Violations::default();
    let (account, name) = account_and_name(&mut v, &body)?;
    let max = check_max_results(&mut v, &body, 100, 100)?;
    let token = string_member(&body, "NextToken")?;
    let account = finish(v, ctx, account.as_deref())?;
    let budget = find_budget(
        st,
        &account,
        &name.unwrap_or_default(),
        "get notifications for budget",
    )?;
    let all: Vec<Notification> = budget
        .notifications
        .iter()
        .map(|n| n.notification.clone())
        .collect();
    let (items, next) = page_by_offset(&all, "n", token.as_deref(), max)?;
    let mut out = json!({ "Notifications": items });
    if let Some(n) = next {
        out["NextToken"] = Value::String(n);
    }
    Ok(out)
}

fn subscriber_request(
    body: &Map<String, Value>,
    ctx: &Context,
    members: &[&str],
) -> Result<(String, String, Notification, Vec<Subscriber>), ApiError> {
    let mut subs = Vec::new();
    for m in members {
        subs.push(member::<Subscriber>(body, m)?);
    }
    let (account, name, n) = notification_request(body, ctx, "Notification", |v| {
        for (m, s) in members.iter().zip(&subs) {
            let path = crate::wire::query::lower_camel(m);
            match s {
                None => v.add(None, &path, "Member must not be null"),
                Some(s) => check_subscriber(v, s, &path),
            }
        }
        Ok(())
    })?;
    Ok((
        account,
        name,
        n,
        subs.into_iter().map(Option::unwrap_or_default).collect(),
    ))
}

fn create_subscriber(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let (account, name, n, subs) = subscriber_request(&body, ctx, &["Subscriber"])?;
    let sub = subs.into_iter().next().unwrap_or_default();
    check_subscriber_semantics(std::slice::from_ref(&sub))?;
    let budget = find_budget(st, &account, &name, "create subscriber")?;
    let stored = find_notification(budget, &n)?;
    if stored.subscribers.contains(&sub) {
        return Err(duplicate(
            "Error creating subscriber: the subscriber already exists.",
        ));
    }
    let mut all = stored.subscribers.clone();
    all.push(sub);
    let count = |t: &str| {
        all.iter()
            .filter(|s| s.subscription_type.as_deref() == Some(t))
            .count()
    };
    if all.len() > MAX_SUBSCRIBERS
        || count("SNS") > MAX_SNS_SUBSCRIBERS
        || count("EMAIL") > MAX_EMAIL_SUBSCRIBERS
    {
        return Err(limit(
            "A notification can have at most 1 SNS subscriber and 10 email subscribers.",
        ));
    }
    stored.subscribers = all;
    Ok(json!({}))
}

fn update_subscriber(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let (account, name, n, subs) =
        subscriber_request(&body, ctx, &["OldSubscriber", "NewSubscriber"])?;
    let (old, new) = (subs[0].clone(), subs[1].clone());
    check_subscriber_semantics(std::slice::from_ref(&new))?;
    let budget = find_budget(st, &account, &name, "update subscriber")?;
    let stored = find_notification(budget, &n)?;
    let Some(i) = stored.subscribers.iter().position(|s| *s == old) else {
        return Err(not_found(
            "Unable to update subscriber - the subscriber doesn't exist.",
        ));
    };
    if old != new && stored.subscribers.contains(&new) {
        return Err(duplicate(
            "Error updating subscriber: the subscriber already exists.",
        ));
    }
    let mut all = stored.subscribers.clone();
    all[i] = new;
    check_subscriber_semantics(&all)?;
    stored.subscribers = all;
    Ok(json!({}))
}

fn delete_subscriber(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let (account, name, n, subs) = subscriber_request(&body, ctx, &["Subscriber"])?;
    let sub = subs.into_iter().next().unwrap_or_default();
    let budget = find_budget(st, &account, &name, "delete subscriber")?;
    let stored = find_notification(budget, &n)?;
    let Some(i) = stored.subscribers.iter().position(|s| *s == sub) else {
        return Err(not_found(
            "Unable to delete subscriber - the subscriber doesn't exist.",
        ));
    };
    stored.subscribers.remove(i);
    if stored.subscribers.is_empty() {
        // AWS deletes a notification together with its last subscriber.
        budget.notifications.retain(|x| !x.notification.same(&n));
    }
    Ok(json!({}))
}

fn describe_subscribers(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let mut max = 100;
    let token = string_member(&body, "NextToken")?;
    let (account, name, n) = notification_request(&body, ctx, "Notification", |v| {
        max = check_max_results(v, &body, 100, 100)?;
        Ok(())
    })?;
    let budget = find_budget(st, &account, &name, "get subscribers for notification")?;
    let stored = find_notification(budget, &n)?;
    let (items, next) = page_by_offset(&stored.subscribers, "s", token.as_deref(), max)?;
    let mut out = json!({ "Subscribers": items });
    if let Some(t) = next {
        out["NextToken"] = Value::String(t);
    }
    Ok(out)
}

/// The budget an ARN `arn:aws:budgets::<account>:budget/<name>` names.
fn parse_budget_arn(arn: &str) -> Result<(String, String), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "budgets", "", account, resource] => match resource.strip_prefix("budget/") {
            Some(name) if !name.is_empty() => Ok((account.to_string(), name.to_string())),
            _ => Err(invalid(format!("Invalid ARN: {arn}"))),
        },
        _ => Err(invalid(format!("Invalid ARN: {arn}"))),
    }
}

fn arn_request(
    body: &Map<String, Value>,
    ctx: &Context,
    extra: impl FnOnce(&mut Violations) -> Result<(), ApiError>,
) -> Result<(String, String, String), ApiError> {
    let mut v = Violations::default();
    let arn = required(&mut v, string_member(body, "ResourceARN")?, "resourceARN");
    if let Some(a) = &arn {
        v.length("resourceARN", a, 1, 1011);
    }
    extra(&mut v)?;
    v.finish(VALIDATION)?;
    let arn = arn.unwrap_or_default();
    let (account, name) = parse_budget_arn(&arn)?;
    authorize(&account, ctx)?;
    Ok((arn, account, name))
}

fn find_by_arn<'a>(
    st: &'a mut BudgetsState,
    arn: &str,
    account: &str,
    name: &str,
) -> Result<&'a mut StoredBudget, ApiError> {
    account_budgets(st, account)
        .get_mut(name)
        .ok_or_else(|| not_found(format!("Unable to find resource {arn}.")))
}

fn tag_resource(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let tags = member::<Vec<ResourceTag>>(&body, "ResourceTags")?;
    let (arn, account, name) = arn_request(&body, ctx, |v| match &tags {
        None => {
            v.add(None, "resourceTags", "Member must not be null");
            Ok(())
        }
        Some(t) => check_tags(v, t, "resourceTags"),
    })?;
    let tags = tags.unwrap_or_default();
    check_tag_semantics(&tags)?;
    let budget = find_by_arn(st, &arn, &account, &name)?;
    let mut merged = budget.tags.clone();
    for t in tags {
        merged.insert(t.key.unwrap_or_default(), t.value.unwrap_or_default());
    }
    if merged.len() > MAX_TAGS {
        return Err(ApiError::new(
            400,
            "ServiceQuotaExceededException",
            format!("A budget can have at most {MAX_TAGS} tags."),
        ));
    }
    budget.tags = merged;
    Ok(json!({}))
}

fn untag_resource(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let keys = member::<Vec<String>>(&body, "ResourceTagKeys")?;
    let (arn, account, name) = arn_request(&body, ctx, |v| {
        match &keys {
            None => v.add(None, "resourceTagKeys", "Member must not be null"),
            Some(ks) => {
                if ks.len() > MAX_TAGS {
                    v.add(
                        Some(&format!("{} keys", ks.len())),
                        "resourceTagKeys",
                        &format!("Member must have length less than or equal to {MAX_TAGS}"),
                    );
                }
                for (i, k) in ks.iter().enumerate() {
                    v.length(&format!("resourceTagKeys.{}.member", i + 1), k, 1, 128);
                }
            }
        }
        Ok(())
    })?;
    let keys = keys.unwrap_or_default();
    let budget = find_by_arn(st, &arn, &account, &name)?;
    budget.tags.retain(|k, _| !keys.contains(k));
    Ok(json!({}))
}

fn list_tags(
    st: &mut BudgetsState,
    body: Map<String, Value>,
    ctx: &Context,
) -> Result<Value, ApiError> {
    let (arn, account, name) = arn_request(&body, ctx, |_| Ok(()))?;
    let budget = find_by_arn(st, &arn, &account, &name)?;
    let tags: Vec<Value> = budget
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({ "ResourceTags": tags }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_echo_as_decimals() {
        assert_eq!(normalise_amount("500"), "500.0");
        assert_eq!(normalise_amount("500.25"), "500.25");
        assert_eq!(normalise_amount("500.250"), "500.250");
        assert_eq!(normalise_amount(".5"), "0.5");
        assert!(is_numeric_value("500"));
        assert!(is_numeric_value("0.5"));
        assert!(is_numeric_value(".5"));
        assert!(!is_numeric_value("5."));
        assert!(!is_numeric_value("1e3"));
        assert!(!is_numeric_value("-1"));
    }

    #[test]
    fn budget_names() {
        assert!(is_budget_name("ivs demo / monthly"));
        assert!(!is_budget_name("a:b"));
        assert!(!is_budget_name("a\\b"));
        assert!(!is_budget_name("x/action/y"));
        assert!(!is_budget_name("a<SCRIPT>x</script>"));
    }

    #[test]
    fn period_starts() {
        // 2026-11-25T12:26:18Z
        let now = 1_795_609_578;
        let day = |s: i64| crate::wire::query::iso8601(s);
        assert_eq!(day(period_start("MONTHLY", now)), "2026-11-01T00:00:00Z");
        assert_eq!(day(period_start("DAILY", now)), "2026-11-25T00:00:00Z");
        assert_eq!(day(period_start("QUARTERLY", now)), "2026-10-01T00:00:00Z");
        assert_eq!(day(period_start("ANNUALLY", now)), "2026-01-01T00:00:00Z");
        assert_eq!(day(DEFAULT_END), "2087-06-15T00:00:00Z");
    }

    #[test]
    fn notifications_match_by_value() {
        let a = Notification {
            notification_type: Some("ACTUAL".into()),
            comparison_operator: Some("GREATER_THAN".into()),
            threshold: Some(80.0),
            threshold_type: None,
            notification_state: None,
        };
        let b = Notification {
            threshold_type: Some("PERCENTAGE".into()),
            notification_state: Some("ALARM".into()),
            ..a.clone()
        };
        assert!(a.same(&b));
        let c = Notification {
            threshold: Some(90.0),
            ..a.clone()
        };
        assert!(!a.same(&c));
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let items: Vec<u32> = (0..5).collect();
        let (p, t) = page_by_offset(&items, "n", None, 2).unwrap();
        assert_eq!(p, vec![0, 1]);
        let (p, t) = page_by_offset(&items, "n", t.as_deref(), 2).unwrap();
        assert_eq!(p, vec![2, 3]);
        let (p, t) = page_by_offset(&items, "n", t.as_deref(), 2).unwrap();
        assert_eq!(p, vec![4]);
        assert!(t.is_none());
        let e = page_by_offset(&items, "n", Some("nope"), 2).unwrap_err();
        assert_eq!(e.code, "InvalidNextTokenException");
        let other = encode_token("s", "1");
        assert!(page_by_offset(&items, "n", Some(&other), 2).is_err());
    }

    #[test]
    fn arns() {
        assert_eq!(
            parse_budget_arn("arn:aws:budgets::123456789012:budget/my budget").unwrap(),
            ("123456789012".to_string(), "my budget".to_string())
        );
        assert!(parse_budget_arn("arn:aws:budgets::123456789012:action/x").is_err());
        assert!(parse_budget_arn("nope").is_err());
    }

    #[test]
    fn create_describe_and_persist() {
        let ctx = Context {
            account_id: "123456789012".into(),
            request_id: "rid".into(),
            now: 1_795_609_578,
            enforce_resource_quotas: false,
        };
        let call = |op: &str, body: Value, state: &mut LocalState| {
            let mut headers = std::collections::BTreeMap::new();
            headers.insert(
                "x-amz-target".to_string(),
                format!("AWSBudgetServiceGateway.{op}"),
            );
            let req = Request {
                method: http::Method::POST,
                path: "/".into(),
                query: String::new(),
                headers,
                body: bytes::Bytes::from(body.to_string()),
                region: "us-east-1".into(),
            };
            let route = BudgetsService.route(&req).unwrap();
            BudgetsService.handle(&route, &req, state, &ctx)
        };
        let mut state = LocalState::default();
        let budget = json!({"BudgetName": "b", "BudgetType": "COST", "TimeUnit": "MONTHLY",
            "BudgetLimit": {"Amount": "500", "Unit": "USD"},
            "FilterExpression": {"Dimensions": {"Key": "SERVICE", "Values": ["x"]}}, "Metrics": ["UnblendedCost"]});
        call(
            "CreateBudget",
            json!({"AccountId": "123456789012", "Budget": budget}),
            &mut state,
        )
        .unwrap();
        let json = serde_json::to_string(&state).unwrap();
        let mut restored: LocalState = serde_json::from_str(&json).unwrap();
        let describe =
            json!({"AccountId": "123456789012", "BudgetName": "b", "ShowFilterExpression": true});
        let out = call("DescribeBudget", describe, &mut restored).unwrap();
        let v: Value = serde_json::from_slice(&out.body).unwrap();
        assert_eq!(v["Budget"]["BudgetLimit"]["Amount"], "500.0");
        assert_eq!(v["Budget"]["TimePeriod"]["Start"], json!(1_793_491_200));
        assert_eq!(v["Budget"]["TimePeriod"]["End"], json!(DEFAULT_END));
        assert_eq!(
            v["Budget"]["FilterExpression"]["Dimensions"]["Values"][0],
            "x"
        );
        assert!(v["Budget"].get("CostTypes").is_none());
        let e = call(
            "DescribeBudget",
            json!({"AccountId": "123456789012", "BudgetName": "zz"}),
            &mut restored,
        )
        .unwrap_err();
        assert_eq!((e.code.as_str(), e.status), ("NotFoundException", 400));
        let r = BudgetsService.render_error(Protocol::AwsJson11, &e, &ctx);
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["__type"], "NotFoundException");
        assert_eq!(
            body["Message"],
            "Unable to get budget: zz - the budget doesn't exist."
        );
    }
}
