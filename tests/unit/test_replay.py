"""replay_unrecorded() against moto: the handler's own replay lines, put into /aws/lambda/<fn>, replayed twice.

The lines are produced by calling lambda_function.lambda_handler in-process while its table does not exist
(a real moto ResourceNotFoundException), then put into CloudWatch Logs with PutLogEvents, next to the
runtime's START/END/REPORT lines, as Lambda would write them. moto ignores JSON filter patterns (it returns
every event), so these tests also show that unmarked and malformed lines are skipped by the client-side check.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import requests

from tests.lambda_context import FakeLambdaContext
from tests.seed_table import create_seed_table
from workshop_lib import replay
from workshop_lib.errors import InvalidInput, ResourceNotFound
from workshop_lib.replay import ReplayReport, replay_unrecorded

FUNCTION = "ml-inference-lambda"
GROUP = f"/aws/lambda/{FUNCTION}"
TABLE = "InferenceMetadata"


def create_table(conn, name: str = TABLE) -> None:
    create_seed_table(conn.client("dynamodb"), name)


def handler_lines(lf, support, capsys, monkeypatch, n: int) -> list[str]:
    """Run n requests while the table is missing; return every stdout line the handler wrote."""
    monkeypatch.setenv("ENDPOINT_NAME", "ml-endpoint")
    monkeypatch.setenv("DYNAMODB_TABLE", TABLE)
    results = [{"Body": json.dumps({"label": f"p{i}"}), "ContentType": "application/json"} for i in range(n)]
    requests.post("http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results", json={"results": results})
    support.reset_clients()
    capsys.readouterr()
    for i in range(n):
        response = lf.lambda_handler({"input": {"text": f"request {i}"}}, FakeLambdaContext())
        assert response["statusCode"] == 200
    support.reset_clients()
    return capsys.readouterr().out.splitlines()


def put_lines(conn, lines: list[str], *, age_minutes: float = 0, stream: str = "2025/10/01/[$LATEST]abc") -> None:
    logs = conn.client("logs")
    if not logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]:
        logs.create_log_group(logGroupName=GROUP)
    if not logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=stream)["logStreams"]:
        logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
    now = int((time.time() - age_minutes * 60) * 1000)
    events = [{"timestamp": now + i, "message": line + "\n"} for i, line in enumerate(lines)]
    logs.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=events)


def lambda_log(lines: list[str]) -> list[str]:
    """The lines as they sit in the function's log group, with the runtime's own lines around them."""
    rid = str(uuid.uuid4())
    return [
        "INIT_START Runtime Version: python:3.12.v40",
        f"START RequestId: {rid} Version: $LATEST",
        *lines,
        f"END RequestId: {rid}",
        f"REPORT RequestId: {rid}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\t"
        "Max Memory Used: 80 MB",
    ]


def table_items(conn, name: str = TABLE) -> dict[str, dict[str, Any]]:
    return {i["requestId"]["S"]: i for i in conn.client("dynamodb").scan(TableName=name)["Items"]}


def test_replay_marker__is_the_one_the_lambda_writes(support):
    assert replay.REPLAY_MARKER == support.REPLAY_MARKER
    assert replay.REPLAY_MARKER in replay.FILTER_PATTERN


def test_replay__writes_the_logged_items_then_a_second_run_writes_nothing(moto_conn, lf, capsys, monkeypatch, support):
    lines = handler_lines(lf, support, capsys, monkeypatch, 3)
    marked = [json.loads(x) for x in lines if '"replay"' in x]
    assert len(marked) == 3
    put_lines(moto_conn, lambda_log(lines))
    create_table(moto_conn)

    first = replay_unrecorded(FUNCTION, conn=moto_conn)
    assert (first.found, first.written, first.already_present, first.invalid) == (3, 3, 0, 0)
    assert first.log_group == GROUP and set(first.written_ids) == {m["requestId"] for m in marked}
    stored = table_items(moto_conn)
    for line in marked:
        got = dict(stored[line["requestId"]])
        assert got.pop("replayedAt")["S"].endswith("Z")
        assert got == line["item"]  # exactly the item the Lambda could not write

    second = replay_unrecorded(FUNCTION, conn=moto_conn)
    assert (second.found, second.written, second.already_present) == (3, 0, 3)
    assert table_items(moto_conn) == stored


def test_replay__defaults_to_the_workshop_function_and_current_connection(moto_conn, lf, capsys, monkeypatch, support):
    put_lines(moto_conn, handler_lines(lf, support, capsys, monkeypatch, 1))
    create_table(moto_conn)
    report = replay_unrecorded()
    assert isinstance(report, ReplayReport)
    assert (report.log_group, report.found, report.written) == (GROUP, 1, 1)
    assert set(table_items(moto_conn)) == set(report.written_ids)


def test_replay__keeps_an_item_that_is_already_there(moto_conn, lf, capsys, monkeypatch, support):
    lines = handler_lines(lf, support, capsys, monkeypatch, 2)
    put_lines(moto_conn, lines)
    create_table(moto_conn)
    first_item = next(json.loads(x)["item"] for x in lines if '"replay"' in x)
    moto_conn.client("dynamodb").put_item(TableName=TABLE, Item={**first_item, "note": {"S": "written meanwhile"}})
    report = replay_unrecorded(FUNCTION, conn=moto_conn)
    assert (report.found, report.written, report.already_present) == (2, 1, 1)
    assert table_items(moto_conn)[first_item["requestId"]["S"]]["note"] == {"S": "written meanwhile"}


def test_replay__ignores_lines_older_than_the_window(moto_conn, lf, capsys, monkeypatch, support):
    put_lines(moto_conn, handler_lines(lf, support, capsys, monkeypatch, 1), age_minutes=90)
    create_table(moto_conn)
    assert replay_unrecorded(FUNCTION, since_minutes=60, conn=moto_conn).found == 0
    assert replay_unrecorded(FUNCTION, since_minutes=120, conn=moto_conn).written == 1


def test_replay__into_another_table_when_asked(moto_conn, lf, capsys, monkeypatch, support):
    put_lines(moto_conn, handler_lines(lf, support, capsys, monkeypatch, 1))
    create_table(moto_conn, "FixedTable")
    report = replay_unrecorded(FUNCTION, table="FixedTable", conn=moto_conn)
    assert report.written == 1 and len(table_items(moto_conn, "FixedTable")) == 1


def test_replay__counts_marked_lines_that_are_not_a_usable_record(moto_conn):
    bad = [
        json.dumps({"replay": "inference-record/v1", "table": TABLE}),  # no item
        json.dumps({"replay": "inference-record/v1", "table": TABLE, "item": {"requestId": {"S": "x"}}}),
        '{"replay": "inference-record/v1", "table": ',  # cut off
        "a plain line mentioning inference-record/v1",
    ]
    put_lines(moto_conn, bad)
    create_table(moto_conn)
    report = replay_unrecorded(FUNCTION, conn=moto_conn)
    assert (report.found, report.written, report.invalid) == (0, 0, 2)


def test_replay__missing_log_group_is_named(moto_conn):
    with pytest.raises(ResourceNotFound, match=r"log group /aws/lambda/nope does not exist"):
        replay_unrecorded("nope", conn=moto_conn)


def test_replay__missing_table_is_named_with_the_fix(moto_conn, lf, capsys, monkeypatch, support):
    put_lines(moto_conn, handler_lines(lf, support, capsys, monkeypatch, 1))
    with pytest.raises(ResourceNotFound) as err:
        replay_unrecorded(FUNCTION, conn=moto_conn)
    assert "table 'InferenceMetadata' does not exist" in str(err.value) and "table=" in str(err.value)


@pytest.mark.parametrize("minutes", [0, -5, "60", True, float("nan")])
def test_replay__refuses_a_window_that_is_not_a_positive_number(moto_conn, minutes):
    with pytest.raises(InvalidInput, match="since_minutes"):
        replay_unrecorded(FUNCTION, since_minutes=minutes, conn=moto_conn)
