"""boto3 against the ivstack local endpoint: every emulated IVS Real-Time operation.

The endpoint and credentials come from the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION). Prints ALL OK on success; any failure raises.
"""

import os

import boto3
import botocore.exceptions


def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e}"
        return e
    raise AssertionError(f"expected {code}, call succeeded")


def main():
    c = boto3.client("ivs-realtime", endpoint_url=os.environ["AWS_ENDPOINT_URL"])

    created = c.create_stage(
        name="boto-stage",
        tags={"env": "dev"},
        participantTokenConfigurations=[{"userId": "u1", "capabilities": ["PUBLISH"]}],
    )
    stage = created["stage"]
    arn = stage["arn"]
    assert stage["name"] == "boto-stage"
    assert len(created["participantTokens"]) == 1
    assert created["participantTokens"][0]["userId"] == "u1"
    assert created["ResponseMetadata"]["RequestId"]

    got = c.get_stage(arn=arn)["stage"]
    rec = got["autoParticipantRecordingConfiguration"]
    assert rec["storageConfigurationArn"] == ""
    assert rec["mediaTypes"] == ["AUDIO_VIDEO"]
    assert rec["hlsConfiguration"]["targetSegmentDurationSeconds"] == 6
    assert got["endpoints"]["events"].startswith("wss://")

    up = c.update_stage(arn=arn, name="renamed")["stage"]
    assert up["name"] == "renamed"

    tok = c.create_participant_token(stageArn=arn, duration=5, attributes={"a": "b"})
    assert tok["participantToken"]["duration"] == 5
    assert tok["participantToken"]["token"].count(".") == 2

    # Tag operations: the ARN is a URI label ("/tags/arn%3Aaws%3A..."), which exercises the
    # double-encoded canonical URI of SigV4.
    c.tag_resource(resourceArn=arn, tags={"team": "a", "x": "y"})
    tags = c.list_tags_for_resource(resourceArn=arn)["tags"]
    assert tags == {"env": "dev", "team": "a", "x": "y"}, tags
    c.untag_resource(resourceArn=arn, tagKeys=["x", "env"])
    assert c.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "a"}

    for i in range(5):
        c.create_stage(name=f"page-{i}")
    seen, token = [], None
    while True:
        kwargs = {"maxResults": 2}
        if token:
            kwargs["nextToken"] = token
        page = c.list_stages(**kwargs)
        seen += [s["arn"] for s in page["stages"]]
        token = page.get("nextToken")
        if not token:
            break
    assert len(seen) == 6 and len(set(seen)) == 6, seen

    assert c.list_stage_sessions(stageArn=arn)["stageSessions"] == []

    e = expect_error("ValidationException", c.create_stage, name="bad name")
    assert e.response["Error"]["Message"], e.response
    expect_error("ValidationException", c.list_stages, maxResults=101)
    expect_error("ValidationException", c.tag_resource, resourceArn=arn, tags={"aws:x": "1"})
    missing = "arn:aws:ivs:us-east-1:123456789012:stage/AAAAAAAAAAAA"
    e = expect_error("ResourceNotFoundException", c.get_stage, arn=missing)
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    expect_error("ResourceNotFoundException", c.list_tags_for_resource, resourceArn=missing)
    try:
        c.get_stage(arn=missing)
    except c.exceptions.ResourceNotFoundException:
        pass  # modeled exception class resolves

    c.delete_stage(arn=arn)
    expect_error("ResourceNotFoundException", c.get_stage, arn=arn)

    bad = boto3.client(
        "ivs-realtime",
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key="wrong",
    )
    expect_error("InvalidSignatureException", bad.list_stages)
    print("ALL OK")


if __name__ == "__main__":
    main()
