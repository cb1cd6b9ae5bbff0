"""boto3 against the ivstack local endpoint: S3 conditional writes (the lock ivstack takes),
bucket Regions and errors, path-style addressing as the endpoint requires.

The endpoint and credentials come from the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION). Prints ALL OK on success; any failure raises.
"""

import os

import boto3
import botocore.config
import botocore.exceptions


def expect_error(code, status, fn, **kwargs):
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e}"
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert got_status == status, f"expected HTTP {status}, got {got_status}: {e}"
        return e
    raise AssertionError(f"expected {code}, call succeeded")


def client(region):
    return boto3.client(
        "s3",
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        region_name=region,
        config=botocore.config.Config(s3={"addressing_style": "path"}),
    )


def main():
    s3 = client("us-east-1")
    s3.create_bucket(Bucket="locks")
    assert s3.head_bucket(Bucket="locks")["BucketRegion"] == "us-east-1"
    assert s3.get_bucket_location(Bucket="locks")["LocationConstraint"] is None

    eu = client("eu-west-1")
    eu.create_bucket(
        Bucket="media-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    loc = s3.get_bucket_location(Bucket="media-eu")["LocationConstraint"]
    assert loc == "eu-west-1", loc
    expect_error(
        "BucketAlreadyOwnedByYou",
        409,
        eu.create_bucket,
        Bucket="media-eu",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    expect_error("InvalidBucketName", 400, s3.create_bucket, Bucket="Bad_Name")

    # The lock: the first If-None-Match: * write wins, the second gets 412.
    first = s3.put_object(Bucket="locks", Key="demo.lock", Body=b'{"id":"a"}', IfNoneMatch="*")
    etag = first["ETag"]
    assert etag.startswith('"') and len(etag) == 34, etag
    err = expect_error(
        "PreconditionFailed",
        412,
        s3.put_object,
        Bucket="locks",
        Key="demo.lock",
        Body=b'{"id":"b"}',
        IfNoneMatch="*",
    )
    assert err.response["Error"]["Message"] == (
        "At least one of the pre-conditions you specified did not hold"
    ), err.response["Error"]
    assert err.response["Error"]["Condition"] == "If-None-Match", err.response["Error"]
    assert s3.get_object(Bucket="locks", Key="demo.lock")["Body"].read() == b'{"id":"a"}'

    # If-Match: the current ETag replaces, a stale one is refused.
    second = s3.put_object(Bucket="locks", Key="demo.lock", Body=b'{"id":"c"}', IfMatch=etag)
    err = expect_error(
        "PreconditionFailed",
        412,
        s3.put_object,
        Bucket="locks",
        Key="demo.lock",
        Body=b"stale",
        IfMatch=etag,
    )
    assert err.response["Error"]["Condition"] == "If-Match", err.response["Error"]

    # Release: DeleteObject with If-Match never removes someone else's lock.
    expect_error(
        "PreconditionFailed", 412, s3.delete_object, Bucket="locks", Key="demo.lock", IfMatch=etag
    )
    s3.delete_object(Bucket="locks", Key="demo.lock", IfMatch=second["ETag"])
    expect_error("NoSuchKey", 404, s3.get_object, Bucket="locks", Key="demo.lock")
    # Free again: the next If-None-Match: * write succeeds.
    s3.put_object(Bucket="locks", Key="demo.lock", Body=b"next", IfNoneMatch="*")

    listed = s3.list_objects_v2(Bucket="locks", Prefix="demo")
    assert [o["Key"] for o in listed["Contents"]] == ["demo.lock"], listed
    expect_error("NoSuchBucket", 404, s3.list_objects_v2, Bucket="nope")
    print("ALL OK")


if __name__ == "__main__":
    main()
