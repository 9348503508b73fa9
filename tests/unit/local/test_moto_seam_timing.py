"""The moto internals the timing model reads (workshop_lib/local/core/moto_seam.py), one test each, as in
tests/test_moto_seam.py: a moto upgrade that changes one fails here with a message naming it."""

from __future__ import annotations

import moto
import pytest

from workshop_lib.local.core.moto_seam import MotoBackends
from workshop_lib.local.core.records import TableSchema

REGION = "us-east-1"


def changed(internal: str) -> str:
    return f"moto {moto.__version__} changed {internal}: update workshop_lib/local/core/moto_seam.py"


@pytest.fixture
def backends(moto_conn) -> MotoBackends:
    return MotoBackends(moto_conn.account_id, REGION)


def _table(moto_conn, name: str = "seam-table", **extra) -> None:
    moto_conn.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "g-index",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


def test_moto_seam__a_tables_keys_and_global_indexes_are_read_by_name_or_arn(moto_conn, backends):
    _table(moto_conn)
    arn = moto_conn.client("dynamodb").describe_table(TableName="seam-table")["Table"]["TableArn"]
    expected = TableSchema("seam-table", "pk", "sk", ("g-index",), False)
    assert backends.table_schema("seam-table", REGION) == expected, changed(
        "the dynamodb backend's get_table or a table's hash_key_attr / range_key_attr / global_indexes"
    )
    assert backends.table_schema(arn, REGION) == expected
    assert backends.table_schema("no-such-table", REGION) is None


def test_moto_seam__deletion_protection_is_read(moto_conn, backends):
    _table(moto_conn, "protected", DeletionProtectionEnabled=True)
    schema = backends.table_schema("protected", REGION)
    assert schema is not None and schema.deletion_protection, changed("a table's deletion_protection_enabled")


def test_moto_seam__delete_table_removes_it_from_the_backend(moto_conn, backends):
    _table(moto_conn)
    assert backends.delete_table("seam-table", REGION), changed("the dynamodb backend's delete_table")
    assert moto_conn.client("dynamodb").list_tables()["TableNames"] == []
    assert not backends.delete_table("seam-table", REGION)


def test_moto_seam__delete_endpoint_removes_it_from_the_backend(moto_conn, backends):
    sm = moto_conn.client("sagemaker")
    sm.create_model(
        ModelName="m",
        ExecutionRoleArn=f"arn:aws:iam::{moto_conn.account_id}:role/r",
        PrimaryContainer={"Image": "i", "ModelDataUrl": "s3://b/model.tar.gz"},
    )
    variant = {"VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.t2.medium"}
    sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[variant])
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="c")
    assert backends.delete_endpoint("ep", REGION), changed("the sagemaker backend's delete_endpoint")
    assert backends.endpoint("ep", REGION) is None
    assert not backends.delete_endpoint("ep", REGION)
