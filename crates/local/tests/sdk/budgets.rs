//! AWS Budgets on the local endpoint, driven by the real `aws-sdk-budgets` client over
//! HTTP. The create/describe/delete and notification scenario also runs against
//! `moto_server` and both must answer the same; moto's departures from AWS are skipped for
//! moto with a comment naming the difference. Operations moto lacks (UpdateBudget,
//! UpdateNotification, subscribers, tagging: HTTP 500 there) are tested locally only.

use crate::common;

use aws_sdk_budgets::Client;
use aws_sdk_budgets::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_budgets::types::{
    Budget, BudgetType, ComparisonOperator, CostTypes, Dimension, Expression,
    ExpressionDimensionValues, Metric, Notification, NotificationType, NotificationWithSubscribers,
    ResourceTag, Spend, Subscriber, SubscriptionType, ThresholdType, TimeUnit,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use ivstack_local::LocalConfig;

const ACCOUNT: &str = common::ACCOUNT_ID;

/// (code, HTTP status, message) of a failed call.
fn err<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    r: Result<T, SdkError<E, HttpResponse>>,
) -> (String, u16, String) {
    let e = r.expect_err("expected the call to fail");
    let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    (
        e.code().unwrap_or("<none>").to_string(),
        status,
        e.message().unwrap_or_default().to_string(),
    )
}

fn spend(amount: &str) -> Spend {
    Spend::builder()
        .amount(amount)
        .unit("USD")
        .build()
        .expect("spend")
}

fn cost_budget(name: &str, amount: &str) -> aws_sdk_budgets::types::builders::BudgetBuilder {
    Budget::builder()
        .budget_name(name)
        .budget_type(BudgetType::Cost)
        .time_unit(TimeUnit::Monthly)
        .budget_limit(spend(amount))
}

fn notification(kind: NotificationType, threshold: f64) -> Notification {
    Notification::builder()
        .notification_type(kind)
        .comparison_operator(ComparisonOperator::GreaterThan)
        .threshold(threshold)
        .threshold_type(ThresholdType::Percentage)
        .build()
        .expect("notification")
}

fn email(addr: &str) -> Subscriber {
    Subscriber::builder()
        .subscription_type(SubscriptionType::Email)
        .address(addr)
        .build()
        .expect("subscriber")
}

fn sns(topic: &str) -> Subscriber {
    Subscriber::builder()
        .subscription_type(SubscriptionType::Sns)
        .address(format!("arn:aws:sns:us-east-1:{ACCOUNT}:{topic}"))
        .build()
        .expect("subscriber")
}

fn with_subscribers(n: Notification, subs: Vec<Subscriber>) -> NotificationWithSubscribers {
    NotificationWithSubscribers::builder()
        .notification(n)
        .set_subscribers(Some(subs))
        .build()
        .expect("nws")
}

fn ivs_filter() -> Expression {
    Expression::builder()
        .dimensions(
            ExpressionDimensionValues::builder()
                .key(Dimension::Service)
                .values("Amazon Interactive Video Service")
                .build()
                .expect("dims"),
        )
        .build()
}

fn decimal(s: &str) -> f64 {
    s.parse().expect("decimal amount")
}

/// The first day of the current month at 00:00 UTC, in epoch seconds.
fn month_start() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    now.date()
        .replace_day(1)
        .expect("day 1")
        .midnight()
        .assume_utc()
        .unix_timestamp()
}

fn tuple(n: &Notification) -> String {
    format!(
        "{} {} {} {:?}",
        n.notification_type().as_str(),
        n.comparison_operator().as_str(),
        n.threshold(),
        n.threshold_type().map(|t| t.as_str().to_string())
    )
}

/// The scenario shared by the local endpoint and moto; returns a transcript that must be
/// identical on both.
async fn budgets_scenario(c: &Client, moto: bool) -> Vec<String> {
    let mut t = Vec::new();
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("ivs-monthly", "500").build().expect("budget"))
        .notifications_with_subscribers(with_subscribers(
            notification(NotificationType::Actual, 80.0),
            vec![email("ops@example.com")],
        ))
        .resource_tags(
            ResourceTag::builder()
                .key("stack")
                .value("demo")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("create budget");
    t.push("created ivs-monthly".to_string());

    let (code, status, msg) = err(c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("ivs-monthly", "1").build().expect("budget"))
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("DuplicateRecordException", 400));
    t.push(format!("duplicate -> {code} {status} {msg}"));

    let b = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("ivs-monthly")
        .send()
        .await
        .expect("describe")
        .budget
        .expect("budget");
    let amount = b.budget_limit().expect("limit").amount().to_string();
    if !moto {
        // AWS echoes "500" as "500.0"; moto returns the string as sent.
        assert_eq!(amount, "500.0");
    }
    assert_eq!(decimal(&amount), 500.0);
    let tp = b.time_period().expect("time period");
    assert_eq!(tp.start().map(|d| d.secs()), Some(month_start()));
    assert_eq!(
        tp.end().map(|d| d.secs()),
        Some(3_706_473_600),
        "2087-06-15T00:00:00Z"
    );
    #[allow(deprecated)]
    let ct = b.cost_types().expect("default cost types");
    assert_eq!(
        (
            ct.include_tax(),
            ct.include_credit(),
            ct.use_blended(),
            ct.use_amortized()
        ),
        (Some(true), Some(true), Some(false), Some(false))
    );
    let spent = b.calculated_spend().expect("calculated spend");
    assert_eq!(decimal(spent.actual_spend().expect("actual").amount()), 0.0);
    assert!(b.last_updated_time().is_some());
    t.push(format!(
        "described {} {} {:?} start/end ok",
        b.budget_name(),
        decimal(&amount),
        b.time_unit()
    ));

    // A FilterExpression budget: shown only with ShowFilterExpression.
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(
            cost_budget("ivs-filtered", "12.50")
                .filter_expression(ivs_filter())
                .metrics(Metric::UnblendedCost)
                .build()
                .expect("budget"),
        )
        .send()
        .await
        .expect("create filtered");
    let shown = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("ivs-filtered")
        .show_filter_expression(true)
        .send()
        .await
        .expect("describe shown")
        .budget
        .expect("budget");
    assert_eq!(shown.filter_expression(), Some(&ivs_filter()));
    assert_eq!(shown.metrics(), &[Metric::UnblendedCost]);
    assert_eq!(decimal(shown.budget_limit().expect("limit").amount()), 12.5);
    if !moto {
        // moto returns FilterExpression regardless of ShowFilterExpression and adds default
        // CostTypes even to FilterExpression budgets; AWS does neither.
        let hidden = c
            .describe_budget()
            .account_id(ACCOUNT)
            .budget_name("ivs-filtered")
            .send()
            .await
            .expect("describe hidden")
            .budget
            .expect("budget");
        assert!(hidden.filter_expression().is_none());
        assert!(hidden.metrics().is_empty());
        #[allow(deprecated)]
        let no_cost_types = shown.cost_types().is_none();
        assert!(no_cost_types);
        assert_eq!(
            shown.budget_limit().map(|s| s.amount()),
            Some("12.50"),
            "precision kept"
        );
    }
    t.push("filter expression round-trips".to_string());

    let listed = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .send()
        .await
        .expect("describe budgets");
    let mut names: Vec<&str> = listed.budgets().iter().map(|b| b.budget_name()).collect();
    names.sort();
    assert_eq!(names, vec!["ivs-filtered", "ivs-monthly"]);
    t.push(format!("listed {names:?}"));

    // Notifications: created with the budget, added, described, deleted by value.
    c.create_notification()
        .account_id(ACCOUNT)
        .budget_name("ivs-monthly")
        .notification(notification(NotificationType::Forecasted, 100.0))
        .subscribers(sns("budget-alerts"))
        .send()
        .await
        .expect("create notification");
    if !moto {
        // moto does not detect duplicate notifications.
        let (code, status, _) = err(c
            .create_notification()
            .account_id(ACCOUNT)
            .budget_name("ivs-monthly")
            .notification(notification(NotificationType::Forecasted, 100.0))
            .subscribers(email("a@example.com"))
            .send()
            .await);
        assert_eq!((code.as_str(), status), ("DuplicateRecordException", 400));
    }
    let ns = c
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("ivs-monthly")
        .send()
        .await
        .expect("describe notifications");
    let mut tuples: Vec<String> = ns.notifications().iter().map(tuple).collect();
    tuples.sort();
    assert_eq!(
        tuples,
        vec![
            "ACTUAL GREATER_THAN 80 Some(\"PERCENTAGE\")",
            "FORECASTED GREATER_THAN 100 Some(\"PERCENTAGE\")"
        ]
    );
    t.push(format!("notifications {tuples:?}"));

    c.delete_notification()
        .account_id(ACCOUNT)
        .budget_name("ivs-monthly")
        .notification(notification(NotificationType::Actual, 80.0))
        .send()
        .await
        .expect("delete notification");
    let ns = c
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("ivs-monthly")
        .send()
        .await
        .expect("describe notifications");
    let tuples: Vec<String> = ns.notifications().iter().map(tuple).collect();
    assert_eq!(
        tuples,
        vec!["FORECASTED GREATER_THAN 100 Some(\"PERCENTAGE\")"]
    );
    t.push(format!("after delete {tuples:?}"));

    let (code, status, _) = err(c
        .create_notification()
        .account_id(ACCOUNT)
        .budget_name("nope")
        .notification(notification(NotificationType::Actual, 1.0))
        .subscribers(email("a@example.com"))
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("NotFoundException", 400));
    t.push(format!("notification on missing budget -> {code}"));

    // Delete, then every lookup is NotFoundException.
    c.delete_budget()
        .account_id(ACCOUNT)
        .budget_name("ivs-monthly")
        .send()
        .await
        .expect("delete");
    for r in [
        err(c
            .describe_budget()
            .account_id(ACCOUNT)
            .budget_name("ivs-monthly")
            .send()
            .await),
        err(c
            .delete_budget()
            .account_id(ACCOUNT)
            .budget_name("ivs-monthly")
            .send()
            .await),
    ] {
        assert_eq!((r.0.as_str(), r.1), ("NotFoundException", 400));
        t.push(format!("after delete -> {} {} {}", r.0, r.1, r.2));
    }
    if !moto {
        // moto answers DescribeNotificationsForBudget on a missing budget with HTTP 500.
        let (code, _, _) = err(c
            .describe_notifications_for_budget()
            .account_id(ACCOUNT)
            .budget_name("ivs-monthly")
            .send()
            .await);
        assert_eq!(code, "NotFoundException");
    }
    c.delete_budget()
        .account_id(ACCOUNT)
        .budget_name("ivs-filtered")
        .send()
        .await
        .expect("delete filtered");
    t
}

#[tokio::test]
async fn budgets_scenario_local_and_moto_agree() {
    let ep = common::start_local().await;
    let local = budgets_scenario(&Client::new(&common::sdk_config(&ep)), false).await;
    if !common::moto_available() {
        return;
    }
    let moto = common::Moto::start();
    let on_moto = budgets_scenario(&Client::new(&moto.sdk_config(common::REGION)), true).await;
    assert_eq!(local, on_moto, "local endpoint and moto disagree");
}

#[tokio::test]
async fn budgets_update_budget_replaces_everything() {
    let ep = common::start_local().await;
    let c = Client::new(&common::sdk_config(&ep));
    #[allow(deprecated)]
    let with_cost_types = cost_budget("b", "100")
        .cost_types(CostTypes::builder().include_tax(false).build())
        .build()
        .expect("budget");
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(with_cost_types)
        .notifications_with_subscribers(with_subscribers(
            notification(NotificationType::Actual, 50.0),
            vec![email("a@example.com")],
        ))
        .send()
        .await
        .expect("create");
    let b = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("b")
        .send()
        .await
        .expect("describe");
    #[allow(deprecated)]
    let tax = b
        .budget()
        .and_then(|b| b.cost_types())
        .and_then(|c| c.include_tax());
    assert_eq!(tax, Some(false), "user CostTypes kept, the rest defaulted");

    // Full replacement: the new budget has a filter and no CostTypes.
    c.update_budget()
        .account_id(ACCOUNT)
        .new_budget(
            cost_budget("b", "250")
                .filter_expression(ivs_filter())
                .metrics(Metric::AmortizedCost)
                .build()
                .expect("budget"),
        )
        .send()
        .await
        .expect("update");
    let b = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("b")
        .show_filter_expression(true)
        .send()
        .await
        .expect("describe")
        .budget
        .expect("budget");
    assert_eq!(b.budget_limit().map(|s| s.amount()), Some("250.0"));
    assert_eq!(b.filter_expression(), Some(&ivs_filter()));
    #[allow(deprecated)]
    let cost_types = b.cost_types().is_none();
    assert!(cost_types, "CostTypes replaced away");
    // Notifications survive an UpdateBudget.
    let ns = c
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("b")
        .send()
        .await
        .expect("notifications");
    assert_eq!(ns.notifications().len(), 1);

    let (code, status, _) = err(c
        .update_budget()
        .account_id(ACCOUNT)
        .new_budget(cost_budget("missing", "1").build().expect("budget"))
        .send()
        .await);
    assert_eq!((code.as_str(), status), ("NotFoundException", 400));
}

#[tokio::test]
async fn budgets_notifications_and_subscribers() {
    let ep = common::start_local().await;
    let c = Client::new(&common::sdk_config(&ep));
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("n", "10").build().expect("budget"))
        .send()
        .await
        .expect("create");
    let n80 = notification(NotificationType::Actual, 80.0);
    c.create_notification()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n80.clone())
        .subscribers(email("a@example.com"))
        .send()
        .await
        .expect("create notification");

    // UpdateNotification matches the old one by value and keeps its subscribers.
    let n90 = notification(NotificationType::Actual, 90.0);
    c.update_notification()
        .account_id(ACCOUNT)
        .budget_name("n")
        .old_notification(n80.clone())
        .new_notification(n90.clone())
        .send()
        .await
        .expect("update notification");
    let (code, _, _) = err(c
        .update_notification()
        .account_id(ACCOUNT)
        .budget_name("n")
        .old_notification(n80.clone())
        .new_notification(n90.clone())
        .send()
        .await);
    assert_eq!(code, "NotFoundException");
    c.create_notification()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n80.clone())
        .subscribers(email("b@example.com"))
        .send()
        .await
        .expect("re-create 80");
    let (code, _, _) = err(c
        .update_notification()
        .account_id(ACCOUNT)
        .budget_name("n")
        .old_notification(n80.clone())
        .new_notification(n90.clone())
        .send()
        .await);
    assert_eq!(code, "DuplicateRecordException");

    // Subscribers: add up to one SNS + ten emails.
    for i in 0..9 {
        c.create_subscriber()
            .account_id(ACCOUNT)
            .budget_name("n")
            .notification(n90.clone())
            .subscriber(email(&format!("user{i}@example.com")))
            .send()
            .await
            .expect("create subscriber");
    }
    let (code, _, _) = err(c
        .create_subscriber()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n90.clone())
        .subscriber(email("user0@example.com"))
        .send()
        .await);
    assert_eq!(code, "DuplicateRecordException");
    let (code, _, _) = err(c
        .create_subscriber()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n90.clone())
        .subscriber(email("eleventh@example.com"))
        .send()
        .await);
    assert_eq!(code, "CreationLimitExceededException", "an 11th email");
    c.create_subscriber()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n90.clone())
        .subscriber(sns("t1"))
        .send()
        .await
        .expect("one SNS");
    let (code, _, _) = err(c
        .create_subscriber()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n90.clone())
        .subscriber(sns("t2"))
        .send()
        .await);
    assert_eq!(code, "CreationLimitExceededException", "a second SNS topic");

    // DescribeSubscribersForNotification through the SDK paginator, 4 per page.
    let subs: Vec<Subscriber> = c
        .describe_subscribers_for_notification()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n90.clone())
        .max_results(4)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate subscribers")
        .into_iter()
        .flat_map(|page| page.subscribers().to_vec())
        .collect();
    assert_eq!(subs.len(), 11);
    assert_eq!(subs[0].address(), "a@example.com");

    c.update_subscriber()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n90.clone())
        .old_subscriber(email("a@example.com"))
        .new_subscriber(email("z@example.com"))
        .send()
        .await
        .expect("update subscriber");
    let (code, _, _) = err(c
        .update_subscriber()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n90.clone())
        .old_subscriber(email("a@example.com"))
        .new_subscriber(email("y@example.com"))
        .send()
        .await);
    assert_eq!(code, "NotFoundException");

    // Deleting the last subscriber deletes the notification.
    let (code, _, _) = err(c
        .delete_subscriber()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n80.clone())
        .subscriber(email("nobody@example.com"))
        .send()
        .await);
    assert_eq!(code, "NotFoundException");
    c.delete_subscriber()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n80.clone())
        .subscriber(email("b@example.com"))
        .send()
        .await
        .expect("delete last subscriber");
    let ns = c
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("n")
        .send()
        .await
        .expect("notifications");
    assert_eq!(
        ns.notifications().iter().map(tuple).collect::<Vec<_>>(),
        vec![tuple(&n90)]
    );
    let (code, _, _) = err(c
        .describe_subscribers_for_notification()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n80.clone())
        .send()
        .await);
    assert_eq!(code, "NotFoundException");

    // Ten notifications per budget; paginated description.
    for i in 0..9 {
        c.create_notification()
            .account_id(ACCOUNT)
            .budget_name("n")
            .notification(notification(NotificationType::Forecasted, f64::from(i + 1)))
            .subscribers(email("a@example.com"))
            .send()
            .await
            .expect("create notification");
    }
    let (code, _, _) = err(c
        .create_notification()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(notification(NotificationType::Forecasted, 99.0))
        .subscribers(email("a@example.com"))
        .send()
        .await);
    assert_eq!(code, "CreationLimitExceededException");
    let all: Vec<Notification> = c
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("n")
        .max_results(3)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate notifications")
        .into_iter()
        .flat_map(|p| p.notifications().to_vec())
        .collect();
    assert_eq!(all.len(), 10);

    // DeleteNotification also removes its subscribers; DeleteBudget removes everything.
    c.delete_notification()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n90.clone())
        .send()
        .await
        .expect("delete notification");
    let (code, _, _) = err(c
        .delete_notification()
        .account_id(ACCOUNT)
        .budget_name("n")
        .notification(n90.clone())
        .send()
        .await);
    assert_eq!(code, "NotFoundException");
    c.delete_budget()
        .account_id(ACCOUNT)
        .budget_name("n")
        .send()
        .await
        .expect("delete");
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("n", "10").build().expect("budget"))
        .send()
        .await
        .expect("re-create");
    let ns = c
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("n")
        .send()
        .await
        .expect("notifications");
    assert!(
        ns.notifications().is_empty(),
        "notifications went with the budget"
    );
}

#[tokio::test]
async fn budgets_tags() {
    let ep = common::start_local().await;
    let c = Client::new(&common::sdk_config(&ep));
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("tagged", "10").build().expect("budget"))
        .resource_tags(
            ResourceTag::builder()
                .key("stack")
                .value("demo")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("create");
    let arn = format!("arn:aws:budgets::{ACCOUNT}:budget/tagged");
    let tags =
        |out: aws_sdk_budgets::operation::list_tags_for_resource::ListTagsForResourceOutput| {
            out.resource_tags()
                .iter()
                .map(|t| format!("{}={}", t.key(), t.value()))
                .collect::<Vec<_>>()
        };
    let got = c
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("list");
    assert_eq!(tags(got), vec!["stack=demo"]);
    c.tag_resource()
        .resource_arn(&arn)
        .resource_tags(
            ResourceTag::builder()
                .key("stack")
                .value("prod")
                .build()
                .expect("tag"),
        )
        .resource_tags(
            ResourceTag::builder()
                .key("owner")
                .value("me")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("tag");
    c.untag_resource()
        .resource_arn(&arn)
        .resource_tag_keys("owner")
        .send()
        .await
        .expect("untag");
    let got = c
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("list");
    assert_eq!(tags(got), vec!["stack=prod"]);

    let missing = format!("arn:aws:budgets::{ACCOUNT}:budget/missing");
    let (code, _, _) = err(c
        .list_tags_for_resource()
        .resource_arn(&missing)
        .send()
        .await);
    assert_eq!(code, "NotFoundException");
    let (code, _, _) = err(c
        .list_tags_for_resource()
        .resource_arn("not-an-arn")
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let (code, _, _) = err(c
        .tag_resource()
        .resource_arn(&arn)
        .resource_tags(
            ResourceTag::builder()
                .key("aws:reserved")
                .value("x")
                .build()
                .expect("tag"),
        )
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException");
    let other = "arn:aws:budgets::210987654321:budget/tagged";
    let (code, _, _) = err(c.list_tags_for_resource().resource_arn(other).send().await);
    assert_eq!(code, "AccessDeniedException");
}

#[tokio::test]
async fn budgets_validation_and_errors() {
    let ep = common::start_local().await;
    let c = Client::new(&common::sdk_config(&ep));
    let create = |b: Budget| c.create_budget().account_id(ACCOUNT).budget(b).send();

    let (code, status, msg) = err(create(cost_budget("a:b", "1").build().expect("budget")).await);
    assert_eq!((code.as_str(), status), ("ValidationException", 400));
    assert!(
        msg.starts_with("1 validation error detected: Value 'a:b' at 'budget.budgetName' failed to satisfy constraint"),
        "{msg}"
    );
    let (code, _, msg) = err(create(cost_budget("x", "1e3").build().expect("budget")).await);
    assert_eq!(code, "ValidationException");
    assert!(msg.contains("budget.budgetLimit.amount"), "{msg}");
    let (code, _, _) = err(create(
        cost_budget("x", "1")
            .filter_expression(ivs_filter())
            .metrics(Metric::UnblendedCost)
            .metrics(Metric::AmortizedCost)
            .build()
            .expect("budget"),
    )
    .await);
    assert_eq!(code, "ValidationException", "at most one metric");
    let (code, _, msg) = err(create(
        Budget::builder()
            .budget_name("x")
            .budget_type(BudgetType::Cost)
            .time_unit(TimeUnit::Monthly)
            .build()
            .expect("budget"),
    )
    .await);
    assert_eq!(code, "InvalidParameterException", "no limit: {msg}");
    let (code, _, _) = err(create(
        cost_budget("x", "1")
            .planned_budget_limits("1767225600", spend("5"))
            .build()
            .expect("budget"),
    )
    .await);
    assert_eq!(
        code, "InvalidParameterException",
        "limit and planned limits"
    );
    #[allow(deprecated)]
    let mixed = cost_budget("x", "1")
        .filter_expression(ivs_filter())
        .cost_filters(
            "Service",
            vec!["Amazon Interactive Video Service".to_string()],
        )
        .build()
        .expect("budget");
    let (code, _, _) = err(create(mixed).await);
    assert_eq!(
        code, "InvalidParameterException",
        "FilterExpression with CostFilters"
    );
    let (code, _, _) = err(create(
        cost_budget("x", "1")
            .filter_expression(Expression::builder().build())
            .build()
            .expect("budget"),
    )
    .await);
    assert_eq!(code, "InvalidParameterException", "empty expression");

    // Notifications and subscribers in CreateBudget.
    let nws = |subs: Vec<Subscriber>| {
        with_subscribers(notification(NotificationType::Actual, 80.0), subs)
    };
    let (code, _, _) = err(c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("x", "1").build().expect("budget"))
        .notifications_with_subscribers(nws(vec![]))
        .send()
        .await);
    assert_eq!(code, "ValidationException", "no subscribers");
    let (code, _, _) = err(c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("x", "1").build().expect("budget"))
        .notifications_with_subscribers(nws(vec![sns("a"), sns("b")]))
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException", "two SNS subscribers");
    let twelve: Vec<Subscriber> = (0..12)
        .map(|i| email(&format!("u{i}@example.com")))
        .collect();
    let (code, _, _) = err(c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("x", "1").build().expect("budget"))
        .notifications_with_subscribers(nws(twelve))
        .send()
        .await);
    assert_eq!(code, "ValidationException", "more than 11 subscribers");
    let eleven: Vec<NotificationWithSubscribers> = (0..11)
        .map(|i| {
            with_subscribers(
                notification(NotificationType::Actual, f64::from(i)),
                vec![email("a@example.com")],
            )
        })
        .collect();
    let (code, _, _) = err(c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("x", "1").build().expect("budget"))
        .set_notifications_with_subscribers(Some(eleven))
        .send()
        .await);
    assert_eq!(code, "ValidationException", "more than 10 notifications");
    let (code, _, _) = err(c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("x", "1").build().expect("budget"))
        .notifications_with_subscribers(with_subscribers(
            notification(NotificationType::Actual, -1.0),
            vec![email("a@example.com")],
        ))
        .send()
        .await);
    assert_eq!(code, "ValidationException", "negative threshold");
    let (code, _, _) = err(c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("x", "1").build().expect("budget"))
        .notifications_with_subscribers(nws(vec![email("not-an-email")]))
        .send()
        .await);
    assert_eq!(code, "InvalidParameterException", "bad email");

    // Accounts: malformed is a validation error, someone else's is access denied.
    let (code, _, _) = err(c.describe_budgets().account_id("abc").send().await);
    assert_eq!(code, "ValidationException");
    let (code, status, _) = err(c.describe_budgets().account_id("210987654321").send().await);
    assert_eq!((code.as_str(), status), ("AccessDeniedException", 400));

    // DescribeBudgets paging: bounds, bad token, and the SDK paginator across pages.
    let (code, _, _) = err(c
        .describe_budgets()
        .account_id(ACCOUNT)
        .max_results(0)
        .send()
        .await);
    assert_eq!(code, "ValidationException");
    let (code, _, _) = err(c
        .describe_budgets()
        .account_id(ACCOUNT)
        .next_token("bogus")
        .send()
        .await);
    assert_eq!(code, "InvalidNextTokenException");
    for i in 0..5 {
        create(
            cost_budget(&format!("page-{i}"), "1")
                .build()
                .expect("budget"),
        )
        .await
        .expect("create");
    }
    let pages: Vec<_> = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .max_results(2)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate");
    assert_eq!(pages.len(), 3);
    let names: Vec<String> = pages
        .iter()
        .flat_map(|p| p.budgets().iter().map(|b| b.budget_name().to_string()))
        .collect();
    assert_eq!(
        names,
        vec!["page-0", "page-1", "page-2", "page-3", "page-4"]
    );

    // Time periods: defaults per unit, and End after Start.
    let (code, _, _) = err(create(
        cost_budget("x", "1")
            .time_period(
                aws_sdk_budgets::types::TimePeriod::builder()
                    .start(aws_smithy_types::DateTime::from_secs(2_000_000_000))
                    .end(aws_smithy_types::DateTime::from_secs(1_900_000_000))
                    .build(),
            )
            .build()
            .expect("budget"),
    )
    .await);
    assert_eq!(code, "InvalidParameterException");
}

#[tokio::test]
async fn budgets_throttling_is_classified_by_the_sdk() {
    let ep = common::start_local_with_clock(
        LocalConfig {
            quotas_aws: true,
            time_scale: 0.01,
            ..LocalConfig::default()
        },
        // Held still: the count of throttled calls does not depend on the machine's speed.
        ivstack_local::Clock::manual(),
    )
    .await;
    let c = Client::new(&common::no_retries(&common::sdk_config(&ep)));
    let mut codes = Vec::new();
    for _ in 0..10 {
        if let Err(e) = c.describe_budgets().account_id(ACCOUNT).send().await {
            codes.push(e.code().unwrap_or_default().to_string());
        }
    }
    assert!(!codes.is_empty(), "some calls must be throttled");
    assert!(
        codes.iter().all(|c| c == "ThrottlingException"),
        "{codes:?}"
    );
}

#[tokio::test]
async fn boto3_budgets_script() {
    let ep = common::start_local().await;
    let out = common::run_boto3("budgets.py", ep.url(), &[]).await;
    common::assert_script_ok("budgets.py", &out);
}
