#!/usr/bin/env python3
"""CloudWatch alarms through boto3 against a local endpoint, in every CloudWatch protocol.

Usage: cloudwatch.py ENDPOINT_URL [local|moto]

boto3 1.43 picks AWS JSON 1.0 for CloudWatch. The same checks then run with clients built
from a copy of botocore's CloudWatch model whose protocol list is forced to `query` and to
`smithy-rpc-v2-cbor`, so botocore's own XML and CBOR parsers judge our responses. A raw
SigV4-signed form request checks the awsQuery XML text itself.

Mode `local` (default) exits non-zero on the first failed check. Mode `moto` runs the
protocols moto serves (json, query), prints every difference from AWS's documented
behaviour and exits 0: it is a parity report, not a test.
"""

import atexit
import shutil
import datetime
import gzip
import json
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

URL = sys.argv[1]
MODE = sys.argv[2] if len(sys.argv) > 2 else "local"
REGION = "us-east-1"
ACCOUNT = "123456789012"
KEY, SECRET = "test", "test"

differences = []


def check(cond, what):
    if cond:
        return
    if MODE == "moto":
        differences.append(what)
        print(f"DIFF: {what}")
    else:
        raise AssertionError(what)


def forced_model_dir(protocol):
    """A data directory holding CloudWatch's model with only `protocol` listed."""
    base = os.path.join(os.path.dirname(botocore.__file__), "data", "cloudwatch", "2010-08-01")
    with gzip.open(os.path.join(base, "service-2.json.gz")) as f:
        model = json.load(f)
    model["metadata"]["protocol"] = protocol
    model["metadata"]["protocols"] = [protocol]
    root = tempfile.mkdtemp(prefix=f"cw-{protocol}-")
    # Removed when the script ends, however it ends.
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    target = os.path.join(root, "cloudwatch", "2010-08-01")
    os.makedirs(target)
    with open(os.path.join(target, "service-2.json"), "w") as f:
        json.dump(model, f)
    return root


def client(protocol, region=REGION):
    session = botocore.session.get_session()
    if protocol != "json":
        session.get_component("data_loader").search_paths.insert(0, forced_model_dir(protocol))
    b3 = boto3.Session(botocore_session=session)
    return b3.client(
        "cloudwatch",
        endpoint_url=URL,
        region_name=region,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )


def error_of(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e
    return None


def alarm_args(name, **extra):
    args = dict(
        AlarmName=name,
        AlarmDescription="participants above limit",
        ActionsEnabled=True,
        AlarmActions=[f"arn:aws:sns:{REGION}:{ACCOUNT}:ops"],
        MetricName="Participants",
        Namespace="AWS/IVSRealTime",
        Statistic="Maximum",
        Dimensions=[{"Name": "Stage", "Value": "stage-a"}],
        Period=60,
        EvaluationPeriods=3,
        DatapointsToAlarm=2,
        Threshold=10.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        Tags=[{"Key": "team", "Value": "video"}],
    )
    args.update(extra)
    return args


def describe_one(cw, name):
    alarms = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    check(len(alarms) == 1, f"describe_alarms({name}) returns one alarm, got {len(alarms)}")
    return alarms[0] if alarms else {}


def run(protocol):
    cw = client(protocol)
    p = f"py-{protocol}-"
    name = p + "alarm"

    # Create: full config, initial state, ARN, timestamps.
    cw.put_metric_alarm(**alarm_args(name))
    a = describe_one(cw, name)
    check(a.get("StateValue") == "INSUFFICIENT_DATA", f"[{protocol}] new alarm state is INSUFFICIENT_DATA, got {a.get('StateValue')}")
    check(a.get("AlarmArn") == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}", f"[{protocol}] alarm ARN, got {a.get('AlarmArn')}")
    check(isinstance(a.get("StateUpdatedTimestamp"), datetime.datetime), f"[{protocol}] StateUpdatedTimestamp is a timestamp")
    check(isinstance(a.get("AlarmConfigurationUpdatedTimestamp"), datetime.datetime), f"[{protocol}] AlarmConfigurationUpdatedTimestamp is a timestamp")
    check(a.get("Threshold") == 10.0 and a.get("Period") == 60 and a.get("DatapointsToAlarm") == 2, f"[{protocol}] numbers round-trip")
    check(a.get("Dimensions") == [{"Name": "Stage", "Value": "stage-a"}], f"[{protocol}] dimensions round-trip")
    check(a.get("TreatMissingData") == "notBreaching", f"[{protocol}] TreatMissingData round-trips")
    arn = a.get("AlarmArn", "")

    # Update overwrites the whole config, keeps state, ignores tags.
    cw.put_metric_alarm(
        AlarmName=name, MetricName="Participants", Namespace="AWS/IVSRealTime", Statistic="Average",
        Period=300, EvaluationPeriods=1, Threshold=5, ComparisonOperator="LessThanThreshold",
        Tags=[{"Key": "ignored", "Value": "x"}],
    )
    a = describe_one(cw, name)
    check("AlarmDescription" not in a, f"[{protocol}] omitted AlarmDescription is reset on update")
    check("DatapointsToAlarm" not in a, f"[{protocol}] omitted DatapointsToAlarm is reset on update")
    check(a.get("AlarmActions") == [], f"[{protocol}] omitted AlarmActions reset to [] , got {a.get('AlarmActions')}")
    check(a.get("Statistic") == "Average" and a.get("Period") == 300, f"[{protocol}] update applied")
    check(a.get("StateValue") == "INSUFFICIENT_DATA", f"[{protocol}] update leaves state")
    if arn:
        tags = cw.list_tags_for_resource(ResourceARN=arn)["Tags"]
        check(tags == [{"Key": "team", "Value": "video"}], f"[{protocol}] tags on update are ignored, got {tags}")

    # Tagging.
    if arn:
        cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "live"}])
        tags = {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=arn)["Tags"]}
        check(tags == {"team": "live", "env": "dev"}, f"[{protocol}] TagResource merges, got {tags}")
        cw.untag_resource(ResourceARN=arn, TagKeys=["team"])
        tags = cw.list_tags_for_resource(ResourceARN=arn)["Tags"]
        check(tags == [{"Key": "env", "Value": "dev"}], f"[{protocol}] UntagResource removes, got {tags}")
    missing_arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{p}nope"
    e = error_of(cw.list_tags_for_resource, ResourceARN=missing_arn)
    check(e is not None and e.response["Error"]["Code"] == "ResourceNotFoundException", f"[{protocol}] ListTagsForResource on a missing alarm -> ResourceNotFoundException, got {e and e.response['Error']}")
    if e is not None and protocol != "query":
        headers = e.response["ResponseMetadata"]["HTTPHeaders"]
        check(headers.get("x-amzn-query-error") == "ResourceNotFoundException;Sender", f"[{protocol}] x-amzn-query-error header, got {headers.get('x-amzn-query-error')}")
        if protocol == "smithy-rpc-v2-cbor":
            check(headers.get("content-type") == "application/cbor", f"[{protocol}] CBOR error content type")
            check(headers.get("smithy-protocol") == "rpc-v2-cbor", f"[{protocol}] smithy-protocol header on errors")

    # Pagination, sorted by name.
    names = [f"{p}page-{i}" for i in (3, 1, 4, 0, 2)]
    for n in names:
        cw.put_metric_alarm(**alarm_args(n, Tags=[]))
    pages = list(cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix=f"{p}page-", PaginationConfig={"PageSize": 2}))
    got = [a["AlarmName"] for page in pages for a in page["MetricAlarms"]]
    check(got == sorted(names), f"[{protocol}] paginated names sorted, got {got}")
    check(len(pages) == 3, f"[{protocol}] 5 alarms in pages of 2 -> 3 pages, got {len(pages)}")
    first = cw.describe_alarms(AlarmNamePrefix=f"{p}page-", MaxRecords=2)
    check("NextToken" in first, f"[{protocol}] NextToken when more results")

    # Errors.
    e = error_of(cw.describe_alarms, AlarmNames=[name], AlarmNamePrefix=p)
    check(e is not None and e.response["Error"]["Code"] == "InvalidParameterCombination", f"[{protocol}] AlarmNames with AlarmNamePrefix -> InvalidParameterCombination, got {e and e.response['Error']}")
    e = error_of(cw.describe_alarms, NextToken="garbage")
    check(e is not None and e.response["Error"]["Code"] == "InvalidNextToken", f"[{protocol}] bad NextToken -> InvalidNextToken, got {e and e.response['Error']}")
    e = error_of(cw.put_metric_alarm, **alarm_args(p + "bad", DatapointsToAlarm=5))
    check(e is not None and e.response["Error"]["Code"] == "ValidationError"
          and "DatapointsToAlarm must be less than or equal to EvaluationPeriods" in e.response["Error"]["Message"],
          f"[{protocol}] DatapointsToAlarm > EvaluationPeriods -> ValidationError, got {e and e.response['Error']}")
    e = error_of(cw.put_metric_alarm, **alarm_args(p + "bad", Period=45))
    check(e is not None and e.response["Error"]["Code"] == "ValidationError", f"[{protocol}] Period 45 -> ValidationError, got {e and e.response['Error']}")

    # Delete: known names are deleted even when others are unknown.
    e = error_of(cw.delete_alarms, AlarmNames=[names[0], p + "unknown"])
    check(e is not None and e.response["Error"]["Code"] == "ResourceNotFound", f"[{protocol}] DeleteAlarms with an unknown name -> ResourceNotFound, got {e and e.response['Error']}")
    check(e is not None and isinstance(e, cw.exceptions.ResourceNotFound), f"[{protocol}] botocore maps it to the modeled ResourceNotFound exception")
    left = [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix=f"{p}page-")["MetricAlarms"]]
    check(names[0] not in left, f"[{protocol}] the known alarm was deleted anyway")
    cw.delete_alarms(AlarmNames=[name] + names[1:])
    check(cw.describe_alarms(AlarmNamePrefix=p)["MetricAlarms"] == [], f"[{protocol}] all deleted")


def signed(method, body, headers):
    req = AWSRequest(method=method, url=URL + "/", data=body, headers=headers)
    SigV4Auth(Credentials(KEY, SECRET), "monitoring", REGION).add_auth(req)
    prepared = req.prepare()
    data = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    r = urllib.request.Request(prepared.url, data=data, headers=dict(prepared.headers), method=method)
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def raw_query():
    """Hand-built awsQuery requests: the XML text itself."""
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    name = "py-raw-query"
    body = urllib.parse.urlencode({
        "Action": "PutMetricAlarm", "Version": "2010-08-01", "AlarmName": name,
        "MetricName": "Participants", "Namespace": "AWS/IVSRealTime", "Statistic": "Maximum",
        "Period": "60", "EvaluationPeriods": "1", "Threshold": "1", "ComparisonOperator": "GreaterThanThreshold",
        "Dimensions.member.1.Name": "Stage", "Dimensions.member.1.Value": "s",
    })
    status, _, text = signed("POST", body, form)
    check(status == 200 and "<PutMetricAlarmResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">" in text,
          f"[raw query] PutMetricAlarm response, got {status} {text[:300]}")
    body = urllib.parse.urlencode({"Action": "DescribeAlarms", "Version": "2010-08-01", "AlarmNames.member.1": name})
    status, _, text = signed("POST", body, form)
    check(status == 200 and "<DescribeAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">" in text, f"[raw query] DescribeAlarms envelope, got {text[:300]}")
    check("<DescribeAlarmsResult>" in text and "<MetricAlarms><member>" in text, f"[raw query] MetricAlarms members, got {text[:500]}")
    check("<Dimensions><member><Name>Stage</Name><Value>s</Value></member></Dimensions>" in text, f"[raw query] dimensions XML, got {text[:800]}")
    check("<Threshold>1.0</Threshold>" in text, "[raw query] Threshold is a double")
    check("<RequestId>" in text, "[raw query] RequestId in ResponseMetadata")
    body = urllib.parse.urlencode({"Action": "DescribeAlarms", "Version": "2010-08-01", "MaxRecords": "0"})
    status, _, text = signed("POST", body, form)
    check(status == 400 and "<ErrorResponse" in text and "<Code>ValidationError</Code>" in text and "<Type>Sender</Type>" in text,
          f"[raw query] MaxRecords=0 -> ValidationError XML, got {status} {text[:300]}")
    body = urllib.parse.urlencode({"Action": "DeleteAlarms", "Version": "2010-08-01", "AlarmNames.member.1": name})
    status, _, _ = signed("POST", body, form)
    check(status == 200, "[raw query] DeleteAlarms")


def raw_json():
    """A hand-built JSON 1.0 error: `__type` is the shape name, the header the query code."""
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "GraniteServiceVersion20100801.DeleteAlarms"}
    status, hdrs, text = signed("POST", json.dumps({"AlarmNames": ["py-raw-missing"]}), headers)
    lower = {k.lower(): v for k, v in hdrs.items()}
    check(status == 404, f"[raw json] DeleteAlarms of a missing alarm -> 404, got {status}")
    check(lower.get("x-amzn-query-error") == "ResourceNotFound;Sender", f"[raw json] x-amzn-query-error, got {lower.get('x-amzn-query-error')}")
    body = json.loads(text) if text else {}
    check(body.get("__type") == "ResourceNotFound", f"[raw json] __type, got {body}")


def regions():
    east = client("json")
    west = client("json", region="eu-west-1")
    east.put_metric_alarm(**alarm_args("py-regional", Tags=[]))
    check(west.describe_alarms(AlarmNames=["py-regional"])["MetricAlarms"] == [], "alarms are regional")
    east.delete_alarms(AlarmNames=["py-regional"])


protocols = ["json", "query"] + (["smithy-rpc-v2-cbor"] if MODE != "moto" else [])
for proto in protocols:
    try:
        run(proto)
    except ClientError as e:
        check(False, f"[{proto}] unexpected error {e.response['Error']}")
raw_query()
raw_json()
regions()
if MODE == "moto":
    print(f"{len(differences)} differences from documented AWS behaviour")
else:
    print("cloudwatch boto3 checks passed: " + ", ".join(protocols) + ", raw query XML, raw JSON")
