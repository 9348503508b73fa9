"""The moto internals of workshop_lib/local/core/moto_seam/dynamodb.py (DynamoDB), one test each."""

from __future__ import annotations

from tests.unit.local.moto_seam.seam import REGION, changed
from workshop_lib.local.core.records import TableSchema


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
        "the dynamodb backend's get_table or a table's hash_key_attr / range_key_attr / global_indexes", "dynamodb"
    )
    assert backends.table_schema(arn, REGION) == expected
    assert backends.table_schema("no-such-table", REGION) is None


def test_moto_seam__deletion_protection_is_read(moto_conn, backends):
    _table(moto_conn, "protected", DeletionProtectionEnabled=True)
    schema = backends.table_schema("protected", REGION)
    assert schema is not None and schema.deletion_protection, changed(
        "a table's deletion_protection_enabled", "dynamodb"
    )


def test_moto_seam__delete_table_removes_it_from_the_backend(moto_conn, backends):
    _table(moto_conn)
    assert backends.delete_table("seam-table", REGION), changed("the dynamodb backend's delete_table", "dynamodb")
    assert moto_conn.client("dynamodb").list_tables()["TableNames"] == []
    assert not backends.delete_table("seam-table", REGION)
