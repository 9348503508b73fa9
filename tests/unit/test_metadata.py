"""The metadata table and the history query: schema, index, paging, time bounds, and misuse."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

import workshop_lib as wl
from workshop_lib.metadata import iso_timestamp

T0 = datetime(2025, 10, 1, 10, 0, 0, tzinfo=UTC)


def _item(i: int, model: str, at: datetime, pad: int = 0) -> dict:
    return {
        "requestId": {"S": f"req-{model}-{i:05d}"},
        "timestamp": {"S": iso_timestamp(at)},
        "modelName": {"S": model},
        "inputData": {"S": json.dumps({"text": "Hello AI!" + " " * pad})},
        "prediction": {"S": json.dumps({"result": "positive", "score": 0.9})},
        "latencyMs": {"N": str(100 + i)},
        "status": {"S": "ok"},
    }


def _fill(conn, items):
    ddb = conn.client("dynamodb")
    for item in items:
        ddb.put_item(TableName=conn.names.table, Item=item)


def _count_calls(conn):
    calls = []
    conn.client("dynamodb").meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    return calls


def test_create_metadata_table__seed_key_on_demand_with_history_index_and_tags(moto_conn):
    table = wl.create_metadata_table()
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == [{"AttributeName": "requestId", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "modelName-timestamp-index"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["modelName", "timestamp"]
    tags = moto_conn.client("dynamodb").list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert {"Key": "workshop-kit", "Value": "inference-metadata"} in tags
    assert wl.create_metadata_table()["TableArn"] == table["TableArn"]  # idempotent


def test_create_metadata_table__adds_the_index_to_a_seed_table_without_it(moto_conn):
    moto_conn.client("dynamodb").create_table(
        TableName="InferenceMetadata",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
    )
    table = wl.create_metadata_table()
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["modelName-timestamp-index"]


def test_create_metadata_table__wrong_key_schema_is_reported_not_reused(moto_conn):
    moto_conn.client("dynamodb").create_table(
        TableName="InferenceMetadata",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    with pytest.raises(wl.ResourceConflict) as err:
        wl.create_metadata_table()
    assert "id (N, HASH)" in str(err.value) and "requestId (S)" in str(err.value)


def test_query_inferences__by_model_is_a_query_newest_first_with_the_seed_columns(moto_conn):
    wl.create_metadata_table()
    _fill(moto_conn, [_item(i, "ml-endpoint", T0 + timedelta(minutes=i)) for i in range(5)])
    _fill(moto_conn, [_item(i, "other-model", T0 + timedelta(minutes=i)) for i in range(3)])
    calls = _count_calls(moto_conn)
    df = wl.query_inferences(model="ml-endpoint")
    assert calls == ["Query"]
    assert list(df.columns[:6]) == wl.SEED_COLUMNS
    assert len(df) == 5 and set(df["modelName"]) == {"ml-endpoint"}
    assert df["timestamp"].is_monotonic_decreasing
    assert str(df["timestamp"].dt.tz) == "UTC"
    assert pd.api.types.is_numeric_dtype(df["latencyMs"])
    assert df.iloc[0]["requestId"] == "req-ml-endpoint-00004"


def test_query_inferences__time_bounds_accept_datetime_iso_text_and_timedelta(moto_conn):
    wl.create_metadata_table()
    now = datetime.now(UTC)
    _fill(moto_conn, [_item(i, "m", now - timedelta(minutes=10 * i)) for i in range(12)])  # 0..110 min ago
    assert len(wl.query_inferences(model="m", since=timedelta(hours=1))) == 6
    assert len(wl.query_inferences(model="m", since=now - timedelta(minutes=25), until=now)) == 3
    assert len(wl.query_inferences(since=iso_timestamp(now - timedelta(minutes=35)))) == 4  # scan path


def test_query_inferences__reads_every_page(moto_conn):
    wl.create_metadata_table()
    # ~30 KB items: moto pages at 1 MB, so 80 items need at least three pages.
    _fill(moto_conn, [_item(i, "m", T0 + timedelta(seconds=i), pad=30_000) for i in range(80)])
    calls = _count_calls(moto_conn)
    assert len(wl.query_inferences(model="m")) == 80
    assert calls.count("Query") >= 3
    assert len(wl.query_inferences(model="m", limit=7)) == 7


def test_query_inferences__empty_table_gives_the_seed_columns(moto_conn):
    wl.create_metadata_table()
    df = wl.query_inferences()
    assert df.empty and list(df.columns) == wl.SEED_COLUMNS


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"since": "yesterday"}, "not an ISO-8601 time"), ({"limit": 0}, "positive"), ({"since": 5}, "timedelta")],
)
def test_query_inferences__bad_arguments_are_named(moto_conn, kwargs, message):
    wl.create_metadata_table()
    with pytest.raises(wl.InvalidInput, match=message):
        wl.query_inferences(**kwargs)


def test_query_inferences__missing_table_says_to_create_it(moto_conn):
    with pytest.raises(wl.ResourceNotFound, match="create_metadata_table"):
        wl.query_inferences(model="m")
