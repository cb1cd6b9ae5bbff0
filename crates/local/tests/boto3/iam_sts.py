"""IAM and STS through boto3 against the ivstack local endpoint.

Run by tests/local_iam_sts.rs (boto3_iam_sts_script) with IVSTACK_ENDPOINT_URL, the AWS_*
credentials and IVSTACK_ACCOUNT_ID in the environment. Exits non-zero on the first failure.
"""

import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

URL = os.environ["IVSTACK_ENDPOINT_URL"]
ACCOUNT = os.environ.get("IVSTACK_ACCOUNT_ID", "123456789012")
CFG = Config(retries={"max_attempts": 1})

DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "ivs:GetStage", "Resource": "*"}],
}


def expect_error(code, status, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
        assert got == (code, status), f"{fn.__name__}: expected {(code, status)}, got {got}: {e}"
        return e
    raise AssertionError(f"{fn.__name__}: expected {code}, call succeeded")


def main():
    sts = boto3.client("sts", endpoint_url=URL, config=CFG)
    ident = sts.get_caller_identity()
    assert ident["Account"] == ACCOUNT, ident
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/local", ident
    assert ident["UserId"].startswith("AIDA"), ident

    iam = boto3.client("iam", endpoint_url=URL, config=CFG)
    p = iam.create_policy(
        PolicyName="boto-policy",
        Path="/boto/",
        PolicyDocument=json.dumps(DOC),
        Description="from boto3",
        Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}],
    )["Policy"]
    arn = p["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/boto/boto-policy", arn
    assert p["DefaultVersionId"] == "v1"
    assert p["CreateDate"].tzinfo is not None

    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Description"] == "from boto3"
    assert [t["Key"] for t in got["Tags"]] == ["a", "b"], got["Tags"]

    expect_error("EntityAlreadyExists", 409, iam.create_policy, PolicyName="BOTO-POLICY", PolicyDocument=json.dumps(DOC))
    expect_error("MalformedPolicyDocument", 400, iam.create_policy, PolicyName="x", PolicyDocument="{")
    expect_error("ValidationError", 400, iam.create_policy, PolicyName="bad name", PolicyDocument=json.dumps(DOC))

    for n in range(2, 6):
        doc = dict(DOC, Statement=[dict(DOC["Statement"][0], Sid=f"S{n}")])
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc), SetAsDefault=(n == 5))
        assert v["PolicyVersion"]["VersionId"] == f"v{n}"
    e = expect_error("LimitExceeded", 409, iam.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(DOC))
    assert "up to 5 versions" in e.response["Error"]["Message"]

    # botocore's paginator follows Marker/IsTruncated.
    pages = list(iam.get_paginator("list_policy_versions").paginate(PolicyArn=arn, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3, pages
    ids = [v["VersionId"] for page in pages for v in page["Versions"]]
    assert ids == ["v5", "v4", "v3", "v2", "v1"], ids

    # The document comes back URL-encoded; botocore's json_decode_policies handler unquotes
    # and parses it into a dict, which only works if the encoding is AWS's.
    doc = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert doc == DOC, doc

    expect_error("DeleteConflict", 409, iam.delete_policy_version, PolicyArn=arn, VersionId="v5")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    expect_error("DeleteConflict", 409, iam.delete_policy, PolicyArn=arn)

    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "c", "Value": "3"}])
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    tags = iam.list_policy_tags(PolicyArn=arn)["Tags"]
    assert tags == [{"Key": "b", "Value": "2"}, {"Key": "c", "Value": "3"}], tags

    names = [
        pol["PolicyName"]
        for page in iam.get_paginator("list_policies").paginate(Scope="Local", PathPrefix="/boto/", PaginationConfig={"PageSize": 1})
        for pol in page["Policies"]
    ]
    assert names == ["boto-policy"], names

    for v in ["v2", "v3", "v4", "v5"]:
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    expect_error("NoSuchEntity", 404, iam.get_policy, PolicyArn=arn)
    print("boto3 iam/sts: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
