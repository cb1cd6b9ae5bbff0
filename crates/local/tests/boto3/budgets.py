"""AWS Budgets through boto3 against the ivstack local endpoint.

Run by tests/local_budgets.rs (boto3_budgets_script) with IVSTACK_ENDPOINT_URL, the AWS_*
credentials and IVSTACK_ACCOUNT_ID in the environment. Exits non-zero on the first failure.
"""

import datetime
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

URL = os.environ["IVSTACK_ENDPOINT_URL"]
ACCOUNT = os.environ.get("IVSTACK_ACCOUNT_ID", "123456789012")
CFG = Config(retries={"max_attempts": 1})

N80 = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0, "ThresholdType": "PERCENTAGE"}
N90 = dict(N80, Threshold=90.0)
EMAIL = {"SubscriptionType": "EMAIL", "Address": "ops@example.com"}


def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"{fn.__name__}: expected {code}, got {got}: {e}"
        return e
    raise AssertionError(f"{fn.__name__}: expected {code}, call succeeded")


def budget(name, amount="500", **extra):
    b = {"BudgetName": name, "BudgetLimit": {"Amount": amount, "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST"}
    b.update(extra)
    return b


def main():
    c = boto3.client("budgets", endpoint_url=URL, config=CFG)
    c.create_budget(
        AccountId=ACCOUNT,
        Budget=budget("boto-monthly"),
        NotificationsWithSubscribers=[{"Notification": N80, "Subscribers": [EMAIL]}],
        ResourceTags=[{"Key": "stack", "Value": "demo"}],
    )
    expect_error("DuplicateRecordException", c.create_budget, AccountId=ACCOUNT, Budget=budget("boto-monthly"))
    expect_error("ValidationException", c.create_budget, AccountId=ACCOUNT, Budget=budget("a:b"))

    b = c.describe_budget(AccountId=ACCOUNT, BudgetName="boto-monthly")["Budget"]
    assert b["BudgetLimit"] == {"Amount": "500.0", "Unit": "USD"}, b["BudgetLimit"]
    start = b["TimePeriod"]["Start"]
    now = datetime.datetime.now(datetime.timezone.utc)
    assert (start.year, start.month, start.day) == (now.year, now.month, 1), start
    assert b["TimePeriod"]["End"] == datetime.datetime(2087, 6, 15, tzinfo=datetime.timezone.utc), b["TimePeriod"]
    assert b["CostTypes"]["IncludeTax"] is True and b["CostTypes"]["UseBlended"] is False

    expr = {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Interactive Video Service"]}}
    c.create_budget(AccountId=ACCOUNT, Budget=budget("boto-filtered", "12.5", FilterExpression=expr, Metrics=["UnblendedCost"]))
    hidden = c.describe_budget(AccountId=ACCOUNT, BudgetName="boto-filtered")["Budget"]
    assert "FilterExpression" not in hidden and "Metrics" not in hidden, hidden
    shown = c.describe_budget(AccountId=ACCOUNT, BudgetName="boto-filtered", ShowFilterExpression=True)["Budget"]
    assert shown["FilterExpression"] == expr and shown["Metrics"] == ["UnblendedCost"], shown

    c.update_budget(AccountId=ACCOUNT, NewBudget=budget("boto-filtered", "20"))
    updated = c.describe_budget(AccountId=ACCOUNT, BudgetName="boto-filtered", ShowFilterExpression=True)["Budget"]
    assert "FilterExpression" not in updated and updated["BudgetLimit"]["Amount"] == "20.0", updated

    names = [
        x["BudgetName"]
        for page in c.get_paginator("describe_budgets").paginate(AccountId=ACCOUNT, PaginationConfig={"PageSize": 1})
        for x in page["Budgets"]
    ]
    assert names == ["boto-filtered", "boto-monthly"], names

    c.create_notification(AccountId=ACCOUNT, BudgetName="boto-monthly", Notification=N90, Subscribers=[EMAIL])
    expect_error("DuplicateRecordException", c.create_notification, AccountId=ACCOUNT, BudgetName="boto-monthly", Notification=N90, Subscribers=[EMAIL])
    ns = c.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName="boto-monthly")["Notifications"]
    assert sorted(n["Threshold"] for n in ns) == [80.0, 90.0], ns

    sns = {"SubscriptionType": "SNS", "Address": f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"}
    c.create_subscriber(AccountId=ACCOUNT, BudgetName="boto-monthly", Notification=N80, Subscriber=sns)
    subs = c.describe_subscribers_for_notification(AccountId=ACCOUNT, BudgetName="boto-monthly", Notification=N80)["Subscribers"]
    assert subs == [EMAIL, sns], subs
    c.delete_subscriber(AccountId=ACCOUNT, BudgetName="boto-monthly", Notification=N80, Subscriber=EMAIL)
    c.delete_subscriber(AccountId=ACCOUNT, BudgetName="boto-monthly", Notification=N80, Subscriber=sns)
    ns = c.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName="boto-monthly")["Notifications"]
    assert [n["Threshold"] for n in ns] == [90.0], "deleting the last subscriber deletes the notification"

    arn = f"arn:aws:budgets::{ACCOUNT}:budget/boto-monthly"
    c.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "owner", "Value": "me"}])
    c.untag_resource(ResourceARN=arn, ResourceTagKeys=["stack"])
    tags = c.list_tags_for_resource(ResourceARN=arn)["ResourceTags"]
    assert tags == [{"Key": "owner", "Value": "me"}], tags

    for name in ["boto-monthly", "boto-filtered"]:
        c.delete_budget(AccountId=ACCOUNT, BudgetName=name)
    expect_error("NotFoundException", c.describe_budget, AccountId=ACCOUNT, BudgetName="boto-monthly")
    expect_error("AccessDeniedException", c.describe_budgets, AccountId="210987654321")
    print("boto3 budgets: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
