//! The budget kind's audit-side facts (see [`crate::kinds::audited`]).

use serde_json::{Map, Value, json};

use super::Budget;
use crate::kinds::audited::{Audited, Cfn, Mode, Permission, Scope, Unsupported, field, tag_list};
use crate::kinds::{Resource, TAG_STACK};
use crate::stack::model::IVS_SERVICE_NAME;

impl Audited for Budget {
    // No field of a budget is an IAM document.
    const IAM_DOCUMENTS: &'static [&'static str] = &[];
    const CFN_TYPE: &'static str = "AWS::Budgets::Budget";
    // Nothing in a stack refers to a budget's ARN.
    const CFN_ARN_ATTRIBUTE: Option<&'static str> = None;

    /// The same budget ivstack's CreateBudget makes: a COST budget on unblended cost,
    /// filtered to the service (and the stack's tag), with percentage notifications.
    fn cloudformation(desired: &Resource) -> Cfn {
        let spec = &desired.spec;
        let mut cfn = Cfn::default();
        let mut budget = Map::new();
        budget.insert("BudgetName".into(), json!(spec.get("name")));
        budget.insert(
            "BudgetLimit".into(),
            json!({"Amount": spec.get("limit_usd").cloned().unwrap_or(json!(0)), "Unit": "USD"}),
        );
        budget.insert(
            "TimeUnit".into(),
            field(spec, "period").unwrap_or(json!("MONTHLY")),
        );
        budget.insert("BudgetType".into(), json!("COST"));
        budget.insert("Metrics".into(), json!(["UnblendedCost"]));
        let scope = spec.get("scope").cloned().unwrap_or(Value::Null);
        let service = json!({"Dimensions": {
            "Key": "SERVICE",
            "Values": [scope["service"].as_str().unwrap_or(IVS_SERVICE_NAME)],
            "MatchOptions": ["EQUALS"]}});
        let filter = match scope["stack_tag"].as_str() {
            None => service,
            Some(stack) => json!({"And": [service, {"Tags": {
                "Key": TAG_STACK, "Values": [stack], "MatchOptions": ["EQUALS"]}}]}),
        };
        budget.insert("FilterExpression".into(), filter);
        cfn.put("Budget", Some(Value::Object(budget)));

        let mut notifications = Vec::new();
        for n in spec
            .get("notifications")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let subscribers: Vec<Value> = n["subscribers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|s| match s.split_once(':') {
                    Some(("sns", a)) => json!({"SubscriptionType": "SNS", "Address": a}),
                    Some((_, a)) => json!({"SubscriptionType": "EMAIL", "Address": a}),
                    None => json!({"SubscriptionType": "EMAIL", "Address": s}),
                })
                .collect();
            if subscribers.is_empty() {
                // The same for every notification: say it once.
                if !cfn.unsupported.iter().any(|u| u.field == "emails") {
                    cfn.unsupported.push(Unsupported {
                        field: "emails".into(),
                        why: "AWS::Budgets::Budget needs at least one subscriber per \
                              notification (set `emails` or `sns_topic_arn`)"
                            .into(),
                    });
                }
                continue;
            }
            notifications.push(json!({
                "Notification": {
                    "NotificationType": n["type"],
                    "ComparisonOperator": "GREATER_THAN",
                    "Threshold": n["percent"],
                    "ThresholdType": "PERCENTAGE",
                },
                "Subscribers": subscribers,
            }));
        }
        if !notifications.is_empty() {
            cfn.put(
                "NotificationsWithSubscribers",
                Some(Value::Array(notifications)),
            );
        }
        cfn.put("ResourceTags", Some(tag_list(&desired.tags)));
        cfn
    }

    fn permissions(scope: &Scope<'_>) -> Vec<Permission> {
        let mine = scope.names(
            &format!("arn:aws:budgets::{}:budget/", scope.account),
            scope.stack.budgets.values().filter_map(|b| b.name.clone()),
        );
        let mut out = vec![
            // DescribeBudgets reads every budget of the account (ownership is in tags).
            Permission::new(
                Mode::Plan,
                &["budgets:ViewBudget"],
                vec![format!("arn:aws:budgets::{}:budget/*", scope.account)],
            ),
            Permission::new(Mode::Plan, &["budgets:ListTagsForResource"], mine.clone()),
        ];
        if scope.declared {
            out.push(Permission::new(
                Mode::Apply,
                &[
                    "budgets:ModifyBudget",
                    "budgets:TagResource",
                    "budgets:UntagResource",
                ],
                mine,
            ));
        }
        out
    }
}
