"""Log lines as a person reads them: the handler's real lines (JSON, EMF) and Lambda's own, one row each."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from tests.lambda_context import FakeLambdaContext
from workshop_lib.log_view import LogLines, clock, read_line

REPORT = (
    "REPORT RequestId: {rid}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 80 MB"
)


@pytest.fixture
def refused_write_lines(moto_conn, lf, support, capsys, monkeypatch) -> list[str]:
    """The two lines the handler writes for a request whose write is refused (its table does not exist)."""
    monkeypatch.setenv("ENDPOINT_NAME", "ml-endpoint")
    monkeypatch.setenv("DYNAMODB_TABLE", "NoSuchTable")
    result = {"Body": json.dumps({"result": "positive", "score": 0.9}), "ContentType": "application/json"}
    requests.post("http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results", json={"results": [result]})
    support.reset_clients()
    capsys.readouterr()
    response = lf.lambda_handler({"input": {"text": "hello"}}, FakeLambdaContext())
    support.reset_clients()
    assert response["statusCode"] == 200
    return capsys.readouterr().out.splitlines()


def test_read_line__the_handlers_json_line_shows_the_fields_that_matter_not_the_typed_item(refused_write_lines):
    line = next(x for x in refused_write_lines if '"level"' in x)
    row = read_line(line, 1_700_000_000_123)
    record = json.loads(line)
    assert (row.time, row.level, row.request_id) == ("22:13:20.123", "ERROR", record["requestId"])
    assert row.message == record["message"]
    assert "recorded=failed" in row.details and "recordError=ResourceNotFoundException" in row.details
    assert "item: kept in this line for replay_unrecorded()" in row.details
    assert '{"S"' not in row.details and "'S'" not in row.details  # the DynamoDB-typed item is named, not printed


def test_read_line__the_emf_line_is_summarised_as_the_metrics_it_sets(refused_write_lines):
    line = next(x for x in refused_write_lines if '"_aws"' in x)
    row = read_line(line)
    assert row.level == "METRICS" and row.time == ""
    assert row.details.startswith("LatencyMs=") and "UnrecordedCount=1" in row.details
    assert "ErrorCount" not in row.details  # a zero count says nothing
    assert "_aws" not in row.details and "CloudWatchMetrics" not in row.details


def test_read_line__lambdas_own_lines_and_the_python_runtimes_lines():
    rid = str(uuid.uuid4())
    start = read_line(f"START RequestId: {rid} Version: $LATEST")
    assert (start.request_id, start.message, start.details) == (rid, "START", "Version: $LATEST")
    report = read_line(REPORT.format(rid=rid))
    assert report.message == "REPORT"
    assert report.details == "duration 12.34 ms, billed 13 ms, memory 256 MB, max used 80 MB"
    runtime = read_line(f"[ERROR]\t2025-10-01T10:00:00.000Z\t{rid}\tboom\nTraceback (most recent call last):")
    assert (runtime.level, runtime.request_id) == ("ERROR", rid)
    assert runtime.message.startswith("boom\nTraceback")
    plain = read_line("INIT_START Runtime Version: python:3.12.v40")
    assert (plain.level, plain.request_id, plain.message) == ("", "", "INIT_START Runtime Version: python:3.12.v40")


def test_log_lines__stay_the_list_of_lines_and_show_as_a_table(refused_write_lines):
    rid = str(uuid.uuid4())
    raw = [f"START RequestId: {rid} Version: $LATEST", *refused_write_lines, f"END RequestId: {rid}"]
    lines = LogLines(raw, [1_700_000_000_000 + i for i in range(len(raw))])
    assert lines == raw and isinstance(lines, list) and "\n".join(lines) == "\n".join(raw)
    html = lines._repr_html_()
    assert html.count("<tr") == len(raw) + 1  # a header, then one row per line
    assert "22:13:20.000" in html and "22:13:20.003" in html
    assert "_aws" not in html and "{&quot;S&quot;" not in html
    text = str(lines.table())
    assert len(text.splitlines()) >= len(raw) + 2 and "EMF metrics line" in text


def test_log_lines__without_timestamps_show_an_empty_time():
    lines = LogLines(["a", "b"], [1_700_000_000_000])
    assert lines.times == [1_700_000_000_000, None]
    assert [r.time for r in lines.rows()] == ["22:13:20.000", ""]
    assert clock(None) == ""
