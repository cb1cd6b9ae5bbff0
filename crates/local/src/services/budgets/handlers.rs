//! Budgets' operations. Budgets is global: any signing Region reaches the same state, and
//! every call names the account (`AccountId`), which must be the endpoint's own (else
//! `AccessDeniedException`). What AWS does and we copy: amounts echo as decimals (`"500"`
//! -> `"500.0"`), `TimePeriod` defaults to the start of the current period until
//! 2087-06-15, COST budgets without a `FilterExpression` get default `CostTypes`,
//! `UpdateBudget` replaces the whole budget, notifications have no id and are matched by
//! value, deleting a budget's last subscriber of a notification deletes the notification.
//! Model constraints were checked by the shapes; here are the semantic checks, with the
//! modeled exceptions.

use std::collections::BTreeMap;

use super::state::{
    Budget, BudgetsState, CalculatedSpend, CostTypes, Notification, NotificationWithSubscribers,
    Spend, StoredBudget, StoredNotification, Subscriber, TimePeriod,
};
use crate::api::ApiError;
use crate::document::Document;
use crate::paging;
use crate::service::Ctx;
use crate::tags::{self, TagFormat, TagRules, TagStore, Tagging};

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

fn bad_token() -> ApiError {
    ApiError::new(
        400,
        "InvalidNextTokenException",
        "The pagination token is invalid.",
    )
}

/// Member `name` of validated input as a state struct (absent: `None`).
fn member<T: serde::de::DeserializeOwned>(
    input: &Document,
    name: &str,
) -> Result<Option<T>, ApiError> {
    match input.get(name) {
        None => Ok(None),
        Some(v) => v.decode().map(Some).map_err(|e| {
            ApiError::new(
                400,
                "SerializationException",
                format!("Invalid value for {name}: {e}"),
            )
        }),
    }
}

/// The request's `AccountId`, which must be the caller's own.
fn account(ctx: &Ctx<'_>, input: &Document) -> Result<String, ApiError> {
    let account = input.get_str("AccountId").unwrap_or_default().to_string();
    authorize(&account, ctx)?;
    Ok(account)
}

/// The caller may only reach its own account's budgets.
fn authorize(account: &str, ctx: &Ctx<'_>) -> Result<(), ApiError> {
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

/// Each filter expression node holds exactly one operand (AWS's rule, beyond the model).
fn check_expression(e: &Document, depth: usize) -> Result<(), ApiError> {
    if depth > 32 {
        return Err(invalid("The filter expression is nested too deeply."));
    }
    let operands = ["Or", "And", "Not", "Dimensions", "Tags", "CostCategories"]
        .iter()
        .filter(|k| e.get(k).is_some())
        .count();
    if operands != 1 {
        return Err(invalid(
            "Expression must contain exactly one of And, Or, Not, Dimensions, Tags or CostCategories.",
        ));
    }
    for list in ["Or", "And"] {
        for item in e.get_list(list) {
            check_expression(item, depth + 1)?;
        }
    }
    if let Some(not) = e.get("Not") {
        check_expression(not, depth + 1)?;
    }
    Ok(())
}

/// The submitted budget of member `name`, with AWS's semantic checks.
fn budget_member(input: &Document, name: &str) -> Result<Budget, ApiError> {
    if let Some(e) = input.get(name).and_then(|b| b.get("FilterExpression")) {
        check_expression(e, 0)?;
    }
    let budget: Budget = member(input, name)?.unwrap_or_default();
    check_budget_semantics(&budget)?;
    Ok(budget)
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

/// A budget as Describe returns it; `FilterExpression` and `Metrics` only when asked for.
fn render_budget(b: &Budget, show_filter_expression: bool) -> Document {
    let mut b = b.clone();
    if !show_filter_expression {
        b.filter_expression = None;
        b.metrics = None;
    }
    let mut doc = Document::encode(&b);
    mark_timestamps(&mut doc);
    doc
}

/// The timestamp members of a budget, so that they are written as timestamps (whole epoch
/// seconds as integers, as AWS sends them).
fn mark_timestamps(doc: &mut Document) {
    if let Document::Map(members) = doc {
        for (k, v) in members.iter_mut() {
            match (k.as_str(), &v) {
                (
                    "Start" | "End" | "LastUpdatedTime" | "LastAutoAdjustTime",
                    Document::Int(_) | Document::Float(_),
                ) => {
                    *v = Document::Timestamp(v.as_f64().unwrap_or_default());
                }
                _ => mark_timestamps(v),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Budgets

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

pub fn create_budget(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let account = account(ctx, &input)?;
    let budget = budget_member(&input, "Budget")?;
    let nws: Vec<NotificationWithSubscribers> =
        member(&input, "NotificationsWithSubscribers")?.unwrap_or_default();
    let mut notifications: Vec<StoredNotification> = Vec::new();
    for n in nws {
        let notification = n.notification.unwrap_or_default();
        let subscribers = n.subscribers.unwrap_or_default();
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
    let new_tags = tags::read(&input, "ResourceTags", TagFormat::List);
    tags::check_new(&new_tags, &TAGGING.rules)?;
    let name = budget.budget_name.clone().unwrap_or_default();
    let budgets = account_budgets(&mut ctx.state.budgets, &account);
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
            tags: new_tags.into_iter().collect(),
        },
    );
    Ok(Document::map())
}

pub fn update_budget(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let account = account(ctx, &input)?;
    let budget = budget_member(&input, "NewBudget")?;
    let name = budget.budget_name.clone().unwrap_or_default();
    let now = ctx.now;
    let stored = find_budget(&mut ctx.state.budgets, &account, &name, "update budget")?;
    stored.budget = normalise_budget(budget, now);
    Ok(Document::map())
}

pub fn describe_budget(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let account = account(ctx, &input)?;
    let name = input.get_str("BudgetName").unwrap_or_default();
    let show = input.get_bool("ShowFilterExpression").unwrap_or(false);
    let stored = find_budget(&mut ctx.state.budgets, &account, name, "get budget")?;
    Ok(Document::from_pairs([(
        "Budget",
        render_budget(&stored.budget, show),
    )]))
}

pub fn describe_budgets(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let account = account(ctx, &input)?;
    let max = input.get_i64("MaxResults").unwrap_or(100).clamp(1, 1000) as usize;
    let show = input.get_bool("ShowFilterExpression").unwrap_or(false);
    let budgets = account_budgets(&mut ctx.state.budgets, &account);
    let (page, next) = paging::by_key(
        budgets.iter().map(|(k, b)| (k.clone(), b)),
        "budgets",
        input.get_str("NextToken"),
        max,
        bad_token,
    )?;
    Ok(Document::from_pairs([
        (
            "Budgets",
            Document::List(
                page.iter()
                    .map(|b| render_budget(&b.budget, show))
                    .collect(),
            ),
        ),
        ("NextToken", Document::opt_str(next)),
    ]))
}

pub fn delete_budget(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let account = account(ctx, &input)?;
    let name = input.get_str("BudgetName").unwrap_or_default();
    // Notifications, subscribers and tags live inside the budget and go with it.
    match account_budgets(&mut ctx.state.budgets, &account).remove(name) {
        Some(_) => Ok(Document::map()),
        None => Err(not_found(format!(
            "Unable to delete budget: {name} - the budget doesn't exist. Try creating it first. "
        ))),
    }
}

// ---------------------------------------------------------------------------------------
// Notifications

/// The account, budget name and notification member `member` of a notification request.
fn notification_request(
    ctx: &Ctx<'_>,
    input: &Document,
    member_name: &str,
) -> Result<(String, String, Notification), ApiError> {
    let account = account(ctx, input)?;
    let name = input.get_str("BudgetName").unwrap_or_default().to_string();
    let n = member(input, member_name)?.unwrap_or_default();
    Ok((account, name, n))
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

pub fn create_notification(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let (account, name, n) = notification_request(ctx, &input, "Notification")?;
    let subs: Vec<Subscriber> = member(&input, "Subscribers")?.unwrap_or_default();
    check_subscriber_semantics(&subs)?;
    let budget = account_budgets(&mut ctx.state.budgets, &account)
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
    Ok(Document::map())
}

pub fn update_notification(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let (account, name, old) = notification_request(ctx, &input, "OldNotification")?;
    let new: Notification = member(&input, "NewNotification")?.unwrap_or_default();
    let budget = find_budget(
        &mut ctx.state.budgets,
        &account,
        &name,
        "update notification",
    )?;
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
    Ok(Document::map())
}

pub fn delete_notification(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let (account, name, n) = notification_request(ctx, &input, "Notification")?;
    let budget = account_budgets(&mut ctx.state.budgets, &account)
        .get_mut(&name)
        .ok_or_else(|| not_found("Unable to delete notification - the budget doesn't exist."))?;
    find_notification(budget, &n)?;
    // Its subscribers are stored with it and go too.
    budget.notifications.retain(|x| !x.notification.same(&n));
    Ok(Document::map())
}

pub fn describe_notifications_for_budget(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let account = account(ctx, &input)?;
    let name = input.get_str("BudgetName").unwrap_or_default();
    let max = input.get_i64("MaxResults").unwrap_or(100).clamp(1, 100) as usize;
    let budget = find_budget(
        &mut ctx.state.budgets,
        &account,
        name,
        "get notifications for budget",
    )?;
    let all: Vec<Notification> = budget
        .notifications
        .iter()
        .map(|n| n.notification.clone())
        .collect();
    let (items, next) = paging::by_offset(
        &all,
        "notifications",
        input.get_str("NextToken"),
        max,
        bad_token,
    )?;
    Ok(Document::from_pairs([
        ("Notifications", Document::encode(&items)),
        ("NextToken", Document::opt_str(next)),
    ]))
}

// ---------------------------------------------------------------------------------------
// Subscribers

pub fn create_subscriber(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let (account, name, n) = notification_request(ctx, &input, "Notification")?;
    let sub: Subscriber = member(&input, "Subscriber")?.unwrap_or_default();
    check_subscriber_semantics(std::slice::from_ref(&sub))?;
    let budget = find_budget(&mut ctx.state.budgets, &account, &name, "create subscriber")?;
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
    Ok(Document::map())
}

pub fn update_subscriber(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let (account, name, n) = notification_request(ctx, &input, "Notification")?;
    let old: Subscriber = member(&input, "OldSubscriber")?.unwrap_or_default();
    let new: Subscriber = member(&input, "NewSubscriber")?.unwrap_or_default();
    check_subscriber_semantics(std::slice::from_ref(&new))?;
    let budget = find_budget(&mut ctx.state.budgets, &account, &name, "update subscriber")?;
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
    Ok(Document::map())
}

pub fn delete_subscriber(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let (account, name, n) = notification_request(ctx, &input, "Notification")?;
    let sub: Subscriber = member(&input, "Subscriber")?.unwrap_or_default();
    let budget = find_budget(&mut ctx.state.budgets, &account, &name, "delete subscriber")?;
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
    Ok(Document::map())
}

pub fn describe_subscribers_for_notification(
    ctx: &mut Ctx<'_>,
    input: Document,
) -> Result<Document, ApiError> {
    let (account, name, n) = notification_request(ctx, &input, "Notification")?;
    let max = input.get_i64("MaxResults").unwrap_or(100).clamp(1, 100) as usize;
    let budget = find_budget(
        &mut ctx.state.budgets,
        &account,
        &name,
        "get subscribers for notification",
    )?;
    let stored = find_notification(budget, &n)?;
    let (items, next) = paging::by_offset(
        &stored.subscribers,
        "subscribers",
        input.get_str("NextToken"),
        max,
        bad_token,
    )?;
    Ok(Document::from_pairs([
        ("Subscribers", Document::encode(&items)),
        ("NextToken", Document::opt_str(next)),
    ]))
}

// ---------------------------------------------------------------------------------------
// Tags

pub static TAGGING: Tagging = Tagging {
    rules: TagRules {
        max_tags: MAX_TAGS,
        case_insensitive_keys: false,
        reserved: Some(|_| invalid("Tag keys starting with 'aws:' are reserved for AWS use.")),
        reserved_on_untag: false,
        duplicate: Some(|| invalid("Duplicate tag keys are not allowed.")),
        too_many: |_| {
            ApiError::new(
                400,
                "ServiceQuotaExceededException",
                format!("A budget can have at most {MAX_TAGS} tags."),
            )
        },
    },
    format: TagFormat::List,
    arn_member: "ResourceARN",
    tags_member: "ResourceTags",
    keys_member: "ResourceTagKeys",
    find: budget_tags,
};

/// The budget an ARN `arn:aws:budgets::<account>:budget/<name>` names.
pub fn parse_budget_arn(arn: &str) -> Result<(String, String), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "budgets", "", account, resource] => match resource.strip_prefix("budget/") {
            Some(name) if !name.is_empty() => Ok((account.to_string(), name.to_string())),
            _ => Err(invalid(format!("Invalid ARN: {arn}"))),
        },
        _ => Err(invalid(format!("Invalid ARN: {arn}"))),
    }
}

fn budget_tags<'a>(ctx: &'a mut Ctx<'_>, arn: &str) -> Result<&'a mut dyn TagStore, ApiError> {
    let (account, name) = parse_budget_arn(arn)?;
    authorize(&account, ctx)?;
    account_budgets(&mut ctx.state.budgets, &account)
        .get_mut(&name)
        .map(|b| &mut b.tags as &mut dyn TagStore)
        .ok_or_else(|| not_found(format!("Unable to find resource {arn}.")))
}

pub fn tag_resource(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    tags::tag_resource(ctx, &input, &TAGGING).map(|()| Document::map())
}

pub fn untag_resource(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    tags::untag_resource(ctx, &input, &TAGGING).map(|()| Document::map())
}

pub fn list_tags_for_resource(ctx: &mut Ctx<'_>, input: Document) -> Result<Document, ApiError> {
    let tags = tags::list(ctx, &input, &TAGGING)?;
    Ok(Document::from_pairs([(
        "ResourceTags",
        tags::to_document(&tags, TagFormat::List),
    )]))
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
    }

    #[test]
    fn period_starts() {
        // 2026-11-25T12:26:18Z
        let now = 1_795_609_578;
        let day = crate::time::iso8601_secs;
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
    fn arns() {
        assert_eq!(
            parse_budget_arn("arn:aws:budgets::123456789012:budget/my budget").unwrap(),
            ("123456789012".to_string(), "my budget".to_string())
        );
        assert!(parse_budget_arn("arn:aws:budgets::123456789012:action/x").is_err());
        assert!(parse_budget_arn("nope").is_err());
    }

    #[test]
    fn expressions_hold_one_operand() {
        let dims = Document::from_pairs([("Key", Document::str("SERVICE"))]);
        let one = Document::from_pairs([("Dimensions", dims.clone())]);
        assert!(check_expression(&one, 0).is_ok());
        assert!(check_expression(&Document::map(), 0).is_err());
        let nested = Document::from_pairs([("Not", Document::map())]);
        assert!(check_expression(&nested, 0).is_err());
        let two = Document::from_pairs([("Dimensions", dims.clone()), ("Tags", dims)]);
        assert!(check_expression(&two, 0).is_err());
    }
}
