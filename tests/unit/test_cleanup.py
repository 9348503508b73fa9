"""cleanup() deletes only what the kit created for this participant, and says what it deleted."""

from __future__ import annotations

import json

import pytest

import workshop_lib as wl
from workshop_lib.cleanup import cleanup, kit_resources
from workshop_lib.connect import Connection

HANDLER = "def lambda_handler(event, context):\n    return 1\n"


def _build(conn: Connection) -> None:
    wl.create_metadata_table(conn=conn)
    wl.ensure_execution_role(conn=conn)
    wl.attach_policy(conn=conn)
    wl.deploy_lambda(sources={"lambda_function.py": HANDLER}, conn=conn)
    conn.client("s3").create_bucket(Bucket=conn.bucket)
    conn.client("s3").put_bucket_tagging(
        Bucket=conn.bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in conn.tags.items()]}
    )
    conn.client("s3").put_object(Bucket=conn.bucket, Key="model.tar.gz", Body=b"x")


def test_cleanup__deletes_the_participants_resources_and_nothing_else(moto_conn):
    alice = moto_conn.with_prefix("alice")
    _build(moto_conn)
    _build(alice)
    # Another project's resources in the same account: untagged, or tagged by someone else.
    moto_conn.client("dynamodb").create_table(
        TableName="OtherProjectTable",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    moto_conn.client("iam").create_role(
        RoleName="other-role",
        AssumeRolePolicyDocument=json.dumps({}),
        Tags=[{"Key": "workshop-kit", "Value": "something-else"}],
    )

    found = kit_resources(alice)
    assert sorted(r.kind for r in found) == sorted(
        [
            "DynamoDB table",
            "IAM role (and its policies)",
            "Lambda function (and its log group)",
            "S3 bucket (and its objects)",
        ]
    )
    assert all(r.name.startswith("alice-") for r in found)

    assert cleanup(alice, dry_run=True) == found and kit_resources(alice) == found  # dry run deletes nothing
    cleanup(alice)
    assert kit_resources(alice) == []
    # The participant without a prefix, and the other project, still have everything.
    assert len(kit_resources(moto_conn)) == 4
    assert "OtherProjectTable" in moto_conn.client("dynamodb").list_tables()["TableNames"]
    assert moto_conn.client("iam").get_role(RoleName="other-role")
    cleanup(moto_conn)
    assert kit_resources(moto_conn) == []
    assert moto_conn.client("dynamodb").list_tables()["TableNames"] == ["OtherProjectTable"]


def test_cleanup__twice_is_harmless(moto_conn):
    _build(moto_conn)
    assert len(cleanup(moto_conn)) == 4
    assert cleanup(moto_conn) == []


@pytest.mark.parametrize("prefix", ["", "bob"])
def test_kit_resources__empty_account_has_none(moto_conn, prefix):
    assert kit_resources(moto_conn.with_prefix(prefix)) == []
