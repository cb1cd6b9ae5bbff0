//! AWS Budgets (signing name `budgets`, awsJson 1.1, `X-Amz-Target:
//! AWSBudgetServiceGateway.<Op>`): budgets, their notifications and subscribers, and tags.
//! The operation table.
//!
//! Rate quota: the Budgets API documents 1 request per second sustained with bursts of 5
//! tolerated; 5 TPS here so that normal applies are not throttled.

mod handlers;
pub mod shapes;
mod state;

pub use handlers::{
    DEFAULT_END, MAX_BUDGETS, MAX_NOTIFICATIONS, MAX_SUBSCRIBERS, MAX_TAGS, TAGGING,
    normalise_amount, parse_budget_arn, period_start,
};
pub use state::{
    AutoAdjustData, Budget, BudgetsState, CalculatedSpend, CostTypes, HistoricalOptions,
    Notification, Spend, StoredBudget, StoredNotification, Subscriber, TimePeriod,
};

use crate::api::ErrorCode;
use crate::protocol::{JsonVersion, Protocol};
use crate::service::{Operation, ServiceDef};

const TPS: f64 = 5.0;

pub static SERVICE: ServiceDef = ServiceDef {
    signing_name: "budgets",
    protocols: &[Protocol::AwsJson {
        version: JsonVersion::V1_1,
        target_prefix: "AWSBudgetServiceGateway",
        // Budgets' error shapes name the member `Message`.
        message_key: "Message",
    }],
    query_compatible: false,
    signing: crate::sigv4::Rules::STANDARD,
    validation: ErrorCode {
        status: 400,
        code: "ValidationException",
        query_code: None,
    },
    // Modeled by Budgets and listed in aws-runtime's THROTTLING_ERRORS.
    throttling: ErrorCode {
        status: 400,
        code: "ThrottlingException",
        query_code: None,
    },
    internal: ErrorCode {
        status: 500,
        code: "InternalFailure",
        query_code: None,
    },
    operations: OPERATIONS,
    not_emulated: &[],
};

static OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreateBudget",
        mutates: true,
        tps: TPS,
        input: &shapes::CREATE_BUDGET,
        http: None,
        handler: handlers::create_budget,
    },
    Operation {
        name: "UpdateBudget",
        mutates: true,
        tps: TPS,
        input: &shapes::UPDATE_BUDGET,
        http: None,
        handler: handlers::update_budget,
    },
    Operation {
        name: "DescribeBudget",
        mutates: false,
        tps: TPS,
        input: &shapes::BUDGET_BY_NAME,
        http: None,
        handler: handlers::describe_budget,
    },
    Operation {
        name: "DescribeBudgets",
        mutates: false,
        tps: TPS,
        input: &shapes::DESCRIBE_BUDGETS,
        http: None,
        handler: handlers::describe_budgets,
    },
    Operation {
        name: "DeleteBudget",
        mutates: true,
        tps: TPS,
        input: &shapes::DELETE_BUDGET,
        http: None,
        handler: handlers::delete_budget,
    },
    Operation {
        name: "CreateNotification",
        mutates: true,
        tps: TPS,
        input: &shapes::CREATE_NOTIFICATION,
        http: None,
        handler: handlers::create_notification,
    },
    Operation {
        name: "UpdateNotification",
        mutates: true,
        tps: TPS,
        input: &shapes::UPDATE_NOTIFICATION,
        http: None,
        handler: handlers::update_notification,
    },
    Operation {
        name: "DeleteNotification",
        mutates: true,
        tps: TPS,
        input: &shapes::DELETE_NOTIFICATION,
        http: None,
        handler: handlers::delete_notification,
    },
    Operation {
        name: "DescribeNotificationsForBudget",
        mutates: false,
        tps: TPS,
        input: &shapes::DESCRIBE_NOTIFICATIONS,
        http: None,
        handler: handlers::describe_notifications_for_budget,
    },
    Operation {
        name: "CreateSubscriber",
        mutates: true,
        tps: TPS,
        input: &shapes::SUBSCRIBER_REQUEST,
        http: None,
        handler: handlers::create_subscriber,
    },
    Operation {
        name: "UpdateSubscriber",
        mutates: true,
        tps: TPS,
        input: &shapes::UPDATE_SUBSCRIBER,
        http: None,
        handler: handlers::update_subscriber,
    },
    Operation {
        name: "DeleteSubscriber",
        mutates: true,
        tps: TPS,
        input: &shapes::SUBSCRIBER_REQUEST,
        http: None,
        handler: handlers::delete_subscriber,
    },
    Operation {
        name: "DescribeSubscribersForNotification",
        mutates: false,
        tps: TPS,
        input: &shapes::DESCRIBE_SUBSCRIBERS,
        http: None,
        handler: handlers::describe_subscribers_for_notification,
    },
    Operation {
        name: "TagResource",
        mutates: true,
        tps: TPS,
        input: &shapes::TAG_RESOURCE,
        http: None,
        handler: handlers::tag_resource,
    },
    Operation {
        name: "UntagResource",
        mutates: true,
        tps: TPS,
        input: &shapes::UNTAG_RESOURCE,
        http: None,
        handler: handlers::untag_resource,
    },
    Operation {
        name: "ListTagsForResource",
        mutates: false,
        tps: TPS,
        input: &shapes::LIST_TAGS,
        http: None,
        handler: handlers::list_tags_for_resource,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::LocalState;
    use crate::testing::{call, json_request};
    use serde_json::{Value, json};

    #[test]
    fn the_table_is_complete() {
        crate::service::table_checks::check(
            &SERVICE,
            &[
                "DescribeBudget",
                "DescribeBudgets",
                "DescribeNotificationsForBudget",
                "DescribeSubscribersForNotification",
                "ListTagsForResource",
            ],
        );
    }

    fn run(op: &str, body: Value, state: &mut LocalState) -> (u16, Value) {
        let req = json_request(&format!("AWSBudgetServiceGateway.{op}"), &body.to_string());
        let resp = call(&SERVICE, &req, state);
        (resp.status, serde_json::from_slice(&resp.body).unwrap())
    }

    #[test]
    fn create_describe_and_persist() {
        let mut state = LocalState::default();
        let budget = json!({"BudgetName": "b", "BudgetType": "COST", "TimeUnit": "MONTHLY",
            "BudgetLimit": {"Amount": "500", "Unit": "USD"},
            "FilterExpression": {"Dimensions": {"Key": "SERVICE", "Values": ["x"]}}, "Metrics": ["UnblendedCost"]});
        let (status, _) = run(
            "CreateBudget",
            json!({"AccountId": "123456789012", "Budget": budget}),
            &mut state,
        );
        assert_eq!(status, 200);
        let saved = serde_json::to_string(&state).unwrap();
        let mut restored: LocalState = serde_json::from_str(&saved).unwrap();
        let describe =
            json!({"AccountId": "123456789012", "BudgetName": "b", "ShowFilterExpression": true});
        let (_, v) = run("DescribeBudget", describe, &mut restored);
        assert_eq!(v["Budget"]["BudgetLimit"]["Amount"], "500.0");
        assert_eq!(v["Budget"]["TimePeriod"]["Start"], json!(1_793_491_200));
        assert_eq!(v["Budget"]["TimePeriod"]["End"], json!(DEFAULT_END));
        assert_eq!(
            v["Budget"]["FilterExpression"]["Dimensions"]["Values"][0],
            "x"
        );
        assert!(v["Budget"].get("CostTypes").is_none());
        let (status, body) = run(
            "DescribeBudget",
            json!({"AccountId": "123456789012", "BudgetName": "zz"}),
            &mut restored,
        );
        assert_eq!(status, 400);
        assert_eq!(body["__type"], "NotFoundException");
        assert_eq!(
            body["Message"],
            "Unable to get budget: zz - the budget doesn't exist."
        );
    }

    #[test]
    fn addresses_are_not_echoed_in_validation_messages() {
        let mut state = LocalState::default();
        let (status, body) = run(
            "CreateSubscriber",
            json!({"AccountId": "123456789012", "BudgetName": "b",
                "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80},
                "Subscriber": {"SubscriptionType": "PIGEON", "Address": "secret@example.com"}}),
            &mut state,
        );
        assert_eq!(
            (status, body["__type"].as_str()),
            (400, Some("ValidationException"))
        );
        let msg = body["Message"].as_str().unwrap();
        assert!(msg.contains("subscriber.subscriptionType"), "{msg}");
        let (_, body) = run(
            "CreateSubscriber",
            json!({"AccountId": "123456789012", "BudgetName": "b",
                "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80},
                "Subscriber": {"SubscriptionType": "EMAIL", "Address": ""}}),
            &mut state,
        );
        assert!(
            body["Message"]
                .as_str()
                .unwrap()
                .contains("Value '*** sensitive data ***' at 'subscriber.address'"),
            "{body}"
        );
    }
}
