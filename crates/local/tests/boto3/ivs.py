"""boto3 against the ivstack local endpoint: every emulated IVS Real-Time operation.

The endpoint and credentials come from the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION). The first argument is a P-384 public key in PEM (for
ImportPublicKey). Prints ALL OK on success; any failure raises.
"""

import os
import re
import sys

import json

import boto3
import botocore.config
import botocore.exceptions


def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e}"
        return e
    raise AssertionError(f"expected {code}, call succeeded")


def pages(method, key, **kwargs):
    """Every item of a listing, through botocore's paginator when it has one, else by hand."""
    c = method.__self__
    name = method.__name__
    if c.can_paginate(name):
        return [x for page in c.get_paginator(name).paginate(**kwargs, PaginationConfig={"PageSize": 1}) for x in page[key]]
    items, token = [], None
    while True:
        page = method(maxResults=1, **({"nextToken": token} if token else {}), **kwargs)
        items += page[key]
        token = page.get("nextToken")
        if not token:
            return items


def configurations(c, stage_arn, pem):
    """Storage, encoder and ingest configurations and public keys: every operation."""
    account = os.environ["IVSTACK_ACCOUNT_ID"]
    region = os.environ["AWS_REGION"]

    # Storage configurations: their buckets must exist first (path-style S3 on the endpoint).
    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        config=botocore.config.Config(s3={"addressing_style": "path"}),
    )
    expect_error("ResourceNotFoundException", c.create_storage_configuration, s3={"bucketName": "boto-recordings"})
    s3.create_bucket(Bucket="boto-recordings")
    s3.create_bucket(Bucket="boto-recordings-2")
    sc = c.create_storage_configuration(name="rec", s3={"bucketName": "boto-recordings"}, tags={"k": "v"})
    sc = sc["storageConfiguration"]
    assert re.fullmatch(rf"arn:aws:ivs:{region}:{account}:storage-configuration/[A-Za-z0-9]{{12}}", sc["arn"]), sc
    assert sc["s3"] == {"bucketName": "boto-recordings"} and sc["tags"] == {"k": "v"}, sc
    assert c.get_storage_configuration(arn=sc["arn"])["storageConfiguration"] == sc
    policy = json.loads(s3.get_bucket_policy(Bucket="boto-recordings")["Policy"])
    [grant] = policy["Statement"]
    assert grant["Principal"] == {"Service": "ivs.amazonaws.com"} and grant["Action"] == "s3:PutObject", policy
    c.create_storage_configuration(s3={"bucketName": "boto-recordings-2"})
    listed = pages(c.list_storage_configurations, "storageConfigurations")
    assert len(listed) == 2 and sc in listed, listed
    expect_error("ValidationException", c.create_storage_configuration, s3={"bucketName": "Upper_Case"})
    c.update_stage(arn=stage_arn, autoParticipantRecordingConfiguration={"storageConfigurationArn": sc["arn"]})
    expect_error("ConflictException", c.delete_storage_configuration, arn=sc["arn"])
    c.update_stage(arn=stage_arn, autoParticipantRecordingConfiguration={"storageConfigurationArn": ""})
    c.delete_storage_configuration(arn=sc["arn"])
    expect_error("ResourceNotFoundException", c.get_storage_configuration, arn=sc["arn"])
    expect_error(
        "ValidationException",
        c.update_stage,
        arn=stage_arn,
        autoParticipantRecordingConfiguration={"storageConfigurationArn": sc["arn"]},
    )

    # Encoder configurations: the model's defaults, summaries without video.
    ec = c.create_encoder_configuration(name="hd")["encoderConfiguration"]
    assert ec["video"] == {"width": 1280, "height": 720, "framerate": 30.0, "bitrate": 2500000}, ec
    ec2 = c.create_encoder_configuration(video={"width": 1920, "height": 1080, "framerate": 29.5, "bitrate": 6000000})
    assert ec2["encoderConfiguration"]["video"]["framerate"] == 29.5
    assert c.get_encoder_configuration(arn=ec["arn"])["encoderConfiguration"] == ec
    listed = pages(c.list_encoder_configurations, "encoderConfigurations")
    assert len(listed) == 2 and all("video" not in e for e in listed), listed
    expect_error("ValidationException", c.create_encoder_configuration, video={"width": 1921})
    c.delete_encoder_configuration(arn=ec["arn"])
    expect_error("ResourceNotFoundException", c.get_encoder_configuration, arn=ec["arn"])

    # Public keys: P-384 PEM only, once each.
    pk = c.import_public_key(publicKeyMaterial=pem, name="signer")["publicKey"]
    assert pk["publicKeyMaterial"] == pem and re.fullmatch(r"([0-9a-f]{2}:){15}[0-9a-f]{2}", pk["fingerprint"]), pk
    assert c.get_public_key(arn=pk["arn"])["publicKey"] == pk
    assert pages(c.list_public_keys, "publicKeys") == [{"arn": pk["arn"], "name": "signer", "tags": {}}]
    expect_error("ConflictException", c.import_public_key, publicKeyMaterial=pem)
    expect_error("ValidationException", c.import_public_key, publicKeyMaterial="not a key")
    c.delete_public_key(arn=pk["arn"])
    expect_error("ResourceNotFoundException", c.get_public_key, arn=pk["arn"])

    # Ingest configurations: secret stream key, summaries without it, update in place.
    ic = c.create_ingest_configuration(
        name="studio", stageArn=stage_arn, userId="studio", attributes={"role": "host"}, ingestProtocol="RTMPS"
    )["ingestConfiguration"]
    assert ic["state"] == "INACTIVE" and ic["stageArn"] == stage_arn, ic
    assert re.fullmatch(r"rt_[0-9]+_[a-z0-9-]+_[a-zA-Z0-9-]+_.+", ic["streamKey"]), "stream key shape"
    assert c.get_ingest_configuration(arn=ic["arn"])["ingestConfiguration"] == ic
    c.create_ingest_configuration(ingestProtocol="RTMP", insecureIngest=True)
    listed = pages(c.list_ingest_configurations, "ingestConfigurations")
    assert len(listed) == 2 and all("streamKey" not in i for i in listed), "summaries carry no stream key"
    by_stage = c.list_ingest_configurations(filterByStageArn=stage_arn)["ingestConfigurations"]
    assert [i["arn"] for i in by_stage] == [ic["arn"]]
    assert len(c.list_ingest_configurations(filterByState="INACTIVE")["ingestConfigurations"]) == 2
    expect_error("ValidationException", c.create_ingest_configuration, ingestProtocol="RTMP")
    up = c.update_ingest_configuration(arn=ic["arn"], stageArn="", redundantIngest=True)["ingestConfiguration"]
    assert up["stageArn"] == "" and up["streamKey"] == ic["streamKey"] and len(up["redundantIngestCredentials"]) == 1
    c.delete_ingest_configuration(arn=ic["arn"], force=False)
    expect_error("ResourceNotFoundException", c.get_ingest_configuration, arn=ic["arn"])

    # Tags on a configuration's ARN.
    c.tag_resource(resourceArn=ec2["encoderConfiguration"]["arn"], tags={"a": "b"})
    assert c.list_tags_for_resource(resourceArn=ec2["encoderConfiguration"]["arn"])["tags"] == {"a": "b"}
    c.untag_resource(resourceArn=ec2["encoderConfiguration"]["arn"], tagKeys=["a"])
    assert c.list_tags_for_resource(resourceArn=ec2["encoderConfiguration"]["arn"])["tags"] == {}


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

    configurations(c, arn, sys.argv[1])

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
