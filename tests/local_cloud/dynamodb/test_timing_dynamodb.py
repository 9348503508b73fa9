"""DynamoDB on a local cloud with AWS's timing: a global secondary index catches up with a write only after a
delay while the base table sees it at once (workshop_lib/local/dynamodb/indexes.py), and a deleted table stays
DELETING for a while before it is gone (workshop_lib/local/dynamodb/tables.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local_cloud.core.timed_cloud import admin_clients, running_timed_cloud
from tests.local_cloud.core.timing_observation import observe, observe_from_the_start
from workshop_lib.local.dynamodb.indexes import INDEX_PROPAGATION
from workshop_lib.local.dynamodb.tables import TABLE_DELETION

pytestmark = pytest.mark.local_cloud
INDEX = "modelName-timestamp-index"


def _create_table(ddb: Any, name: str) -> None:
    """A table in the workshop's shape: requestId key, an index for history by model."""
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "requestId", "AttributeType": "S"},
            {"AttributeName": "modelName", "AttributeType": "S"},
            {"AttributeName": "timestamp", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": INDEX,
                "KeySchema": [
                    {"AttributeName": "modelName", "KeyType": "HASH"},
                    {"AttributeName": "timestamp", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A timed cloud of this module's own at scale 1.0: an index's 0.2 s lower bound is longer than a few calls
    take, so a probe right after a write can be early enough to see the index before it caught up (at the shared
    cloud's scale the bound would be 20 ms, shorter than one call on a busy machine)."""
    with running_timed_cloud(tmp_path_factory.mktemp("timed-ddb-state"), 1.0) as state:
        ddb = admin_clients(state)("dynamodb")
        table = f"timing-ddb-{uuid.uuid4().hex[:8]}"
        _create_table(ddb, table)
        yield {"ddb": ddb, "table": table, "scale": state.timing.scale}


def _index_read(ddb: Any, table: str, model: str, kind: str) -> int | tuple[str, ...]:
    """One read of the index for a model: its items (projected without the table's key), its Count with
    Select=COUNT, or a Scan's Count."""
    by_model = {"KeyConditionExpression": "modelName = :m", "ExpressionAttributeValues": {":m": {"S": model}}}
    if kind == "items":
        items = ddb.query(TableName=table, IndexName=INDEX, ProjectionExpression="modelName, #t",
                          ExpressionAttributeNames={"#t": "timestamp"}, **by_model)["Items"]  # fmt: skip
        return tuple(sorted(str(sorted(item)) for item in items))
    if kind == "count":
        return ddb.query(TableName=table, IndexName=INDEX, Select="COUNT", **by_model)["Count"]
    return ddb.scan(TableName=table, IndexName=INDEX, FilterExpression="modelName = :m",
                    ExpressionAttributeValues={":m": {"S": model}})["Count"]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "before", "after"),
    [("items", (), ("['modelName', 'timestamp']",)), ("count", 0, 1), ("scan", 0, 1)],
)
def test_global_index__an_item_shows_up_after_the_delay_while_the_table_has_it_at_once(cloud, kind, before, after):
    ddb, table = cloud["ddb"], cloud["table"]

    def scenario():
        model, request_id = f"model-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
        item = {"requestId": {"S": request_id}, "modelName": {"S": model}, "timestamp": {"S": "2025-01-01T00:00:00Z"}}

        def reads() -> tuple[bool, Any]:
            in_table = "Item" in ddb.get_item(TableName=table, Key={"requestId": {"S": request_id}})
            return in_table, _index_read(ddb, table, model, kind)

        return observe(
            lambda: ddb.put_item(TableName=table, Item=item),
            reads,
            lambda seen: seen[1] == after,
            low=INDEX_PROPAGATION.low * cloud["scale"],
            high=INDEX_PROPAGATION.high * cloud["scale"],
        )

    seen = observe_from_the_start(scenario)
    assert seen.probes[0].value == (True, before)  # the table (GetItem) has it; the index leaves it out
    assert seen.probes[-1].value == (True, after)  # a projection without the key is answered as asked


def test_get_item_and_base_query__see_a_write_immediately(cloud):
    ddb, table = cloud["ddb"], cloud["table"]
    request_id = uuid.uuid4().hex
    ddb.put_item(TableName=table, Item={"requestId": {"S": request_id}, "modelName": {"S": "m"},
                                         "timestamp": {"S": "t"}})  # fmt: skip
    assert ddb.get_item(TableName=table, Key={"requestId": {"S": request_id}})["Item"]["requestId"]["S"] == request_id
    found = ddb.query(TableName=table, KeyConditionExpression="requestId = :r",
                      ExpressionAttributeValues={":r": {"S": request_id}})  # fmt: skip
    assert found["Count"] == 1


def _table_calls(ddb: Any, table: str) -> tuple[tuple[str, ...], str, bool]:
    """Data-plane and control-plane calls on the table (their outcomes), then its status and whether it is listed;
    the status is read last, so a DELETING status means every call before it met a DELETING table."""
    outcomes = []
    calls = [
        lambda: ddb.get_item(TableName=table, Key={"requestId": {"S": "x"}}),
        lambda: ddb.put_item(TableName=table, Item={"requestId": {"S": "x"}}),
        lambda: ddb.update_table(TableName=table, BillingMode="PAY_PER_REQUEST"),
    ]
    for call in calls:
        try:
            call()
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
    listed = table in ddb.list_tables()["TableNames"]
    try:
        status = ddb.describe_table(TableName=table)["Table"]["TableStatus"]
    except ClientError as exc:
        status = exc.response["Error"]["Code"]
    return tuple(outcomes), status, listed


def test_delete_table__the_table_is_deleting_still_listed_and_refuses_calls_then_it_is_gone(cloud):
    ddb = cloud["ddb"]
    answers: list[dict] = []

    def scenario():
        table = f"timing-del-{uuid.uuid4().hex[:8]}"
        _create_table(ddb, table)
        return observe(
            lambda: answers.append(ddb.delete_table(TableName=table)),
            lambda: _table_calls(ddb, table),
            lambda seen: seen[1] == "ResourceNotFoundException",
            low=TABLE_DELETION.low * cloud["scale"],
            high=TABLE_DELETION.high * cloud["scale"],
        )

    seen = observe_from_the_start(scenario)
    gone = _table_calls(ddb, answers[-1]["TableDescription"]["TableName"])  # after the deletion: no such table
    assert gone == (("ResourceNotFoundException",) * 3, "ResourceNotFoundException", False)
    assert answers[-1]["TableDescription"]["TableStatus"] == "DELETING"
    deleting = ("ResourceNotFoundException", "ResourceNotFoundException", "ResourceInUseException")
    for probe in seen.probes[:-1]:
        outcomes, status, listed = probe.value
        if status == "DELETING":
            assert outcomes == deleting and listed
    assert seen.probes[0].value == (deleting, "DELETING", True)


def test_delete_table__a_second_delete_while_deleting_is_no_error_and_the_name_is_free_afterwards(cloud):
    ddb = cloud["ddb"]
    table = f"timing-del-{uuid.uuid4().hex[:8]}"
    _create_table(ddb, table)
    ddb.delete_table(TableName=table)
    try:
        again = ddb.delete_table(TableName=table)["TableDescription"]["TableStatus"]
    except ClientError as exc:  # only if the table was gone already (a very slow machine)
        again = exc.response["Error"]["Code"]
    assert again in ("DELETING", "ResourceNotFoundException")
    ddb.get_waiter("table_not_exists").wait(TableName=table, WaiterConfig={"Delay": 0.2, "MaxAttempts": 200})
    _create_table(ddb, table)
    assert ddb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
