"""The inference Lambda end to end on the local cloud: curl -> API Gateway -> lambda_function.py -> model + table.

The module builds the whole pipeline once, under a participant prefix of its own (its endpoint, table, role,
function and API are its own in the session's shared local cloud), the way a learner builds it with
workshop_lib: the sentiment model trained and deployed to a SageMaker endpoint, the metadata table, an
execution role holding only the three least-privilege policy templates (metadata-write, invoke-endpoint,
logs), the repository's lambda_function.py and inference_support.py deployed as they are, its two environment
variables, and the REST API (POST /inference, stage prod) with ``application/octet-stream`` as a binary media type.

Every request goes over HTTP to the API Gateway data plane; the function runs in a Lambda worker process
with the role's temporary credentials, so each of its calls is checked by the IAM guard against the role's
policies. Nothing is stubbed: faults are made the way a learner makes them (a wrong ENDPOINT_NAME, an
input the model refuses, the table policy detached) and restored in ``finally``.

Reads of the table use the local admin identity (ConsistentRead GetItem and Scan), never the role.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

import workshop_lib as wl
from tests.seed_table import ISO_MS_Z, SEED_TYPES
from workshop_lib.api import TestResponse
from workshop_lib.config import LAMBDA_SOURCE
from workshop_lib.connect import Connection, connect, use
from workshop_lib.iam import policy_name, render_policy
from workshop_lib.local import CloudState
from workshop_lib.replay import REPLAY_MARKER

pytestmark = pytest.mark.local_cloud

REGION = "us-east-1"
BINARY_TYPE = "application/octet-stream"
TEMPLATES = ("metadata-write", "invoke-endpoint", "logs")


@dataclass(frozen=True)
class Pipeline:
    conn: Connection
    url: str
    endpoint: str
    table: str
    function: str


@pytest.fixture(scope="module")
def pipeline(local_cloud: CloudState) -> Iterator[Pipeline]:
    """The whole section 6-8 pipeline, built once with workshop_lib under this module's own prefix.

    It connects like the session's ``local_conn`` does (same cloud, same admin identity), but once per module:
    ``local_conn`` is function-scoped.
    """
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "WORKSHOP_TARGET", "WORKSHOP_PREFIX"):
            mp.delenv(var, raising=False)
        with use(connect("local", REGION, prefix=f"ie{uuid.uuid4().hex[:8]}", make_current=False)) as conn:
            names = conn.names
            assert wl.deploy_endpoint(conn=conn).in_service
            wl.create_metadata_table(conn=conn)
            wl.ensure_execution_role(conn=conn)
            for template in TEMPLATES:
                wl.attach_policy(template=template, conn=conn)
            assert set(wl.role_policies(conn=conn)) == {policy_name(t, conn) for t in TEMPLATES}
            wl.deploy_lambda(conn=conn)  # the repository's lambda_function.py and inference_support.py, as they are
            wl.set_env_vars(ENDPOINT_NAME=names.endpoint, DYNAMODB_TABLE=names.table, conn=conn)
            api = wl.create_rest_api(conn=conn)
            apigw = conn.client("apigateway")
            apigw.update_rest_api(
                restApiId=api.api_id,
                patchOperations=[{"op": "add", "path": "/binaryMediaTypes/" + BINARY_TYPE.replace("/", "~1")}],
            )
            apigw.create_deployment(restApiId=api.api_id, stageName=names.stage)
            yield Pipeline(conn, api.invoke_url, names.endpoint, names.table, names.function)


# --- helpers ------------------------------------------------------------------------------------------------


def post(p: Pipeline, body: Any = None, content_type: str = "application/json") -> TestResponse:
    """POST to /prod/inference (default: the seed's body); a str or bytes body is sent as it is."""
    return wl.send_test_request(p.url, body, headers={"Content-Type": content_type})


def get_item(p: Pipeline, request_id: str) -> dict[str, Any] | None:
    found = p.conn.client("dynamodb").get_item(
        TableName=p.table, Key={"requestId": {"S": request_id}}, ConsistentRead=True
    )
    return found.get("Item")


def all_items(p: Pipeline) -> dict[str, dict[str, Any]]:
    """Every item of the module's table, by requestId."""
    pages = p.conn.client("dynamodb").get_paginator("scan").paginate(TableName=p.table, ConsistentRead=True)
    return {item["requestId"]["S"]: item for page in pages for item in page["Items"]}


def json_lines(lines: list[str]) -> list[dict[str, Any]]:
    """The function's own JSON lines (its log line, its EMF line), without the platform's START/END/REPORT."""
    return [json.loads(line) for line in lines if line.startswith("{")]


def assert_error_row(item: dict[str, Any] | None, response: TestResponse, model_name: str) -> None:
    assert item is not None, f"no error row for {response.request_id}"
    assert {k: next(iter(item[k])) for k in SEED_TYPES} == SEED_TYPES
    assert item["status"] == {"S": "error"}
    assert item["statusCode"] == {"N": str(response.status)}
    assert item["modelName"] == {"S": model_name}
    assert item["prediction"] == {"S": "null"}
    assert item["errorCode"] == {"S": response.body["errorCode"]}
    assert item["errorMessage"]["S"] == response.body["error"]


# --- the seed's request ----------------------------------------------------------------------------------------


def test_deployed_package__is_the_handler_and_its_support_module_as_they_are(pipeline):
    deployed = wl.deployed_code(conn=pipeline.conn)
    names = ("lambda_function.py", "inference_support.py")
    assert deployed == {name: LAMBDA_SOURCE.with_name(name).read_text(encoding="utf-8") for name in names}
    assert wl.describe_function(conn=pipeline.conn)["Handler"] == "lambda_function.lambda_handler"
    assert wl.code_diff(conn=pipeline.conn) == ""  # the handler file alone, what notebook 08.2 compares


def test_seed_request__answers_200_and_records_the_six_attributes_under_the_gateway_request_id(pipeline):
    p = pipeline
    r = post(p)

    assert r.status == 200, r.body
    assert set(r.body) == {"requestId", "prediction", "latencyMs"}
    assert r.body["requestId"] == r.request_id  # API Gateway's x-amzn-RequestId
    assert r.body["prediction"]["result"] in ("positive", "negative")
    assert isinstance(r.body["latencyMs"], int) and r.body["latencyMs"] >= 0

    item = get_item(p, r.request_id)
    assert item is not None
    assert {k: next(iter(item[k])) for k in SEED_TYPES} == SEED_TYPES
    assert ISO_MS_Z.match(item["timestamp"]["S"])
    assert item["modelName"]["S"] == p.endpoint
    assert json.loads(item["inputData"]["S"]) == {"text": "Hello AI!"}
    assert json.loads(item["prediction"]["S"]) == r.body["prediction"]
    assert int(item["latencyMs"]["N"]) == r.body["latencyMs"]
    assert (item["status"], item["statusCode"], item["functionName"]) == ({"S": "ok"}, {"N": "200"}, {"S": p.function})

    history = wl.query_inferences(model=p.endpoint, since=timedelta(minutes=10), conn=p.conn)
    assert r.request_id in set(history["requestId"])


def test_seed_request__its_request_id_is_in_the_functions_log_lines(pipeline):
    p = pipeline
    r = post(p)
    assert r.status == 200, r.body

    lines = wl.request_log_lines(r.request_id, conn=p.conn)
    assert lines[0].startswith("START RequestId: ") and lines[-1].startswith("REPORT RequestId: ")
    lambda_id = lines[0].split()[2]
    structured = json_lines(lines)
    assert len(structured) == 2  # the request's log line and its EMF line
    assert all(line["requestId"] == r.request_id for line in structured)
    log = next(line for line in structured if "_aws" not in line)
    assert (log["status"], log["statusCode"], log["recorded"], log["awsRequestId"]) == ("ok", 200, "written", lambda_id)
    assert log["modelName"] == p.endpoint and log["latencyMs"] == r.body["latencyMs"]
    emf = next(line for line in structured if "_aws" in line)
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "InferencePipeline"
    assert emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["ModelName"]]
    assert (emf["SuccessCount"], emf["ErrorCount"], emf["LatencyMs"]) == (1, 0, r.body["latencyMs"])


# --- malformed input through HTTP -----------------------------------------------------------------------------

JSON = "application/json"
MALFORMED = [
    pytest.param(b"", JSON, "the request has no body", id="no-body"),
    pytest.param(b"  \n\t ", JSON, "the request body is empty", id="blank-body"),
    pytest.param(b"hello", JSON, "not valid JSON (Expecting value at line 1 column 1)", id="plain-text"),
    pytest.param(b"hello", "text/plain", "not valid JSON", id="text-plain"),
    pytest.param(b"input=hello", "application/x-www-form-urlencoded", "not valid JSON", id="form-encoded"),
    pytest.param(b"{'input': 1}", JSON, "not valid JSON (Expecting property name", id="single-quotes"),
    pytest.param(b'{"input": 1', JSON, "not valid JSON", id="truncated-json"),
    pytest.param(b'{"input": 1} {"input": 2}', JSON, "not valid JSON (Extra data", id="two-documents"),
    pytest.param('\ufeff{"input": 1}'.encode(), JSON, "not valid JSON", id="byte-order-mark"),
    pytest.param(b"[1, 2]", JSON, "must be a JSON object like", id="array-body"),
    pytest.param(b'"input"', JSON, "not a string", id="string-body"),
    pytest.param(b"42", JSON, "not a number", id="number-body"),
    pytest.param(b"true", JSON, "not a boolean", id="boolean-body"),
    pytest.param(b"null", JSON, "not null", id="json-null-body"),
    pytest.param(b"{}", JSON, 'no "input" member (its keys: none)', id="empty-object"),
    pytest.param(b'{"inputs": [1]}', JSON, 'no "input" member (its keys: inputs)', id="wrong-key"),
    pytest.param(b'{"Input": {"text": "hi"}}', JSON, 'no "input" member (its keys: Input)', id="wrong-case-key"),
    pytest.param(b'{"input": null}', JSON, '"input" is null', id="null-input"),
    pytest.param(b'{"input": NaN}', JSON, "NaN is not allowed", id="nan"),
    pytest.param(b'{"input": -Infinity}', JSON, "-Infinity is not allowed", id="infinity"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, JSON, "nested too deeply", id="deep-nesting"),
    pytest.param(b"\xff\xfe{}", BINARY_TYPE, "not UTF-8", id="binary-not-utf8"),
    pytest.param(b"hello", BINARY_TYPE, "not valid JSON", id="binary-not-json"),
    pytest.param(b"[1]", BINARY_TYPE, "not an array", id="binary-array"),
    pytest.param(b"", BINARY_TYPE, "the request has no body", id="binary-no-body"),
]


@pytest.mark.parametrize(("body", "content_type", "fragment"), MALFORMED)
def test_malformed_body__gives_4xx_naming_the_problem_and_writes_no_row(pipeline, body, content_type, fragment):
    r = post(pipeline, body, content_type)
    assert 400 <= r.status < 500, (r.status, r.body)
    assert isinstance(r.body, dict) and set(r.body) == {"error", "requestId"}, r.body
    assert fragment in r.body["error"], r.body["error"]
    assert r.body["requestId"] == r.request_id
    assert get_item(pipeline, r.request_id) is None


def test_malformed_table__has_at_least_20_cases():
    assert len(MALFORMED) >= 20


# --- inputs that are fine ------------------------------------------------------------------------------------------


def test_binary_body__is_base64_encoded_by_the_gateway_and_decoded_by_the_function(pipeline):
    payload = {"input": {"text": "Xin chào AI! Mô hình này thật tuyệt"}}
    r = post(pipeline, json.dumps(payload, ensure_ascii=False).encode("utf-8"), BINARY_TYPE)
    assert r.status == 200, r.body
    item = get_item(pipeline, r.request_id)
    assert item is not None and item["status"] == {"S": "ok"}
    assert json.loads(item["inputData"]["S"]) == payload["input"]
    assert json.loads(item["prediction"]["S"]) == r.body["prediction"]


def test_input_too_large_for_an_item__is_answered_and_stored_truncated_with_its_original_size(pipeline):
    # 450 KB of input (beyond DynamoDB's 400 KB item); the model reads only "text", so the call stays fast.
    given = {"text": "a good day", "attachment": "x" * 450_000}
    r = post(pipeline, {"input": given})
    assert r.status == 200, r.body
    item = get_item(pipeline, r.request_id)
    assert item is not None and item["status"] == {"S": "ok"}
    assert item["inputTruncated"] == {"BOOL": True}
    assert int(item["inputBytes"]["N"]) == len(json.dumps(given))
    assert json.dumps(given).startswith(item["inputData"]["S"])
    assert len(item["inputData"]["S"]) + len(item["prediction"]["S"]) <= 100_000
    assert json.loads(item["prediction"]["S"]) == r.body["prediction"]


# --- endpoint faults --------------------------------------------------------------------------------------------


def test_input_the_model_refuses__gives_502_with_the_endpoints_model_error_and_an_error_row(pipeline):
    r = post(pipeline, {"input": {"words": "no text member"}})
    assert r.status == 502, r.body
    assert r.body["errorCode"] == "ModelError"
    assert pipeline.endpoint in r.body["error"]
    assert r.body["requestId"] == r.request_id
    assert_error_row(get_item(pipeline, r.request_id), r, pipeline.endpoint)


# --- the table policy detached: answered, logged for replay, replayed once ---------------------------------------


def test_table_policy_detached__answers_200_logs_the_record_and_replay_writes_it_once(pipeline):
    p = pipeline
    assert wl.detach_policy(template="metadata-write", conn=p.conn)
    try:
        r = post(p)
    finally:
        wl.attach_policy(template="metadata-write", conn=p.conn)

    assert r.status == 200, r.body
    assert set(r.body) == {"requestId", "prediction", "latencyMs"}
    assert get_item(p, r.request_id) is None

    lines = wl.request_log_lines(r.request_id, conn=p.conn)
    log = next(line for line in json_lines(lines) if "_aws" not in line)
    assert (log["status"], log["recorded"], log["replay"], log["table"]) == ("ok", "failed", REPLAY_MARKER, p.table)
    assert log["recordError"].startswith("AccessDeniedException: ")
    assert f"dynamodb:PutItem on resource: {p.conn.arn('dynamodb', 'table/' + p.table)}" in log["recordError"]
    assert log["item"]["requestId"] == {"S": r.request_id}

    first = wl.replay_unrecorded(conn=p.conn, since_minutes=10)
    assert r.request_id in first.written_ids
    item = get_item(p, r.request_id)
    assert item is not None and "replayedAt" in item
    assert {k: item[k] for k in log["item"]} == log["item"]
    assert json.loads(item["prediction"]["S"]) == r.body["prediction"]

    second = wl.replay_unrecorded(conn=p.conn, since_minutes=10)
    assert second.written == 0 and second.written_ids == ()
    assert second.already_present == second.found >= 1
    assert get_item(p, r.request_id) == item


def test_table_policy_detached__a_truncated_worst_case_record_fits_one_log_event_and_is_replayed_whole(pipeline):
    # Quotes double twice: once in inputData (JSON text), once more in the log line that carries the item.
    p = pipeline
    given = {"text": "a good day", "attachment": '"' * 450_000}
    assert wl.detach_policy(template="metadata-write", conn=p.conn)
    try:
        r = post(p, {"input": given})
    finally:
        wl.attach_policy(template="metadata-write", conn=p.conn)
    assert r.status == 200, r.body

    lines = wl.request_log_lines(r.request_id, conn=p.conn)
    log = next(line for line in json_lines(lines) if "_aws" not in line)
    assert log["recorded"] == "failed" and log["item"]["inputTruncated"] == {"BOOL": True}
    assert len(next(line for line in lines if '"replay"' in line).encode()) < 256 * 1024

    report = wl.replay_unrecorded(conn=p.conn, since_minutes=10)
    assert r.request_id in report.written_ids
    item = get_item(p, r.request_id)
    assert item is not None and {k: item[k] for k in log["item"]} == log["item"]
    assert int(item["inputBytes"]["N"]) == len(json.dumps(given))


# --- no loss under concurrency ----------------------------------------------------------------------------------


def test_parallel_requests__ok_rows_equal_200_responses_and_malformed_ones_write_nothing(pipeline):
    p = pipeline
    run = uuid.uuid4().hex[:8]
    good = [{"input": {"text": f"burst {run} request {i}: a good day"}} for i in range(32)]
    bad = [b'{"input": 1', b"[]", b"{}", b'{"input": null}', b"hello", b"", b"42", b'{"inputs": 1}']
    with ThreadPoolExecutor(max_workers=len(good) + len(bad)) as pool:
        good_futures, bad_futures = [], []
        for i, body in enumerate(good):  # one malformed request after every four good ones
            good_futures.append(pool.submit(post, p, body))
            if i % 4 == 3:
                bad_futures.append(pool.submit(post, p, bad[i // 4]))
        good_responses = [f.result() for f in good_futures]
        bad_responses = [f.result() for f in bad_futures]
    assert len(bad_responses) == len(bad)

    ids = [r.request_id for r in good_responses + bad_responses]
    assert None not in ids and len(set(ids)) == len(ids)
    assert [r.status for r in good_responses] == [200] * len(good)
    assert all(400 <= r.status < 500 for r in bad_responses), [(r.status, r.body) for r in bad_responses]

    items = all_items(p)
    ok_ids = {r.request_id for r in good_responses if r.status == 200}
    burst_rows = {rid: items[rid] for rid in ids if rid in items}
    assert set(burst_rows) == ok_ids  # every 200 has its row, no 4xx has one
    assert all(item["status"] == {"S": "ok"} for item in burst_rows.values())
    # No duplicates, nothing swapped: each request's row holds its own input and its own answer.
    for body, response in zip(good, good_responses, strict=True):
        item = burst_rows[response.request_id]
        assert json.loads(item["inputData"]["S"]) == body["input"]
        assert json.loads(item["prediction"]["S"]) == response.body["prediction"]
    texts = [json.loads(item["inputData"]["S"])["text"] for item in burst_rows.values()]
    assert len(set(texts)) == len(texts) == len(good)


# --- ENDPOINT_NAME wrong: every request answered 502 and recorded as an error ------------------------------------


@pytest.fixture(scope="class")
def missing(pipeline: Pipeline) -> Iterator[str]:
    """ENDPOINT_NAME set to an endpoint that does not exist for one class of tests (one change, one restore)."""
    name = f"{pipeline.endpoint}-missing"
    wl.set_env_vars(ENDPOINT_NAME=name, conn=pipeline.conn)
    try:
        yield name
    finally:
        wl.set_env_vars(ENDPOINT_NAME=pipeline.endpoint, conn=pipeline.conn)


class TestWhileEndpointNameIsWrong:
    """The function's ENDPOINT_NAME names a missing endpoint (the ``missing`` fixture) during these tests."""

    def test_a_request_the_role_may_send__gives_502_with_sagemakers_validation_error_and_an_error_row(
        self, pipeline, missing
    ):
        p = pipeline
        # Let the role invoke the missing endpoint too, so that SageMaker (not IAM) answers: "not found".
        iam, role = p.conn.client("iam"), p.conn.names.role
        extra = render_policy("invoke-endpoint", region=p.conn.region, account_id=p.conn.account_id, endpoint=missing)
        iam.put_role_policy(RoleName=role, PolicyName="InvokeMissingEndpoint", PolicyDocument=json.dumps(extra))
        try:
            r = post(p)
        finally:
            iam.delete_role_policy(RoleName=role, PolicyName="InvokeMissingEndpoint")

        assert r.status == 502, r.body
        assert r.body["errorCode"] == "ValidationError"
        assert f"Endpoint {missing} of account {p.conn.account_id} not found" in r.body["error"]
        assert r.body["requestId"] == r.request_id
        assert_error_row(get_item(p, r.request_id), r, missing)

    def test_a_parallel_burst__gives_one_error_row_per_5xx_response(self, pipeline, missing):
        p = pipeline
        run = uuid.uuid4().hex[:8]
        bodies = [{"input": {"text": f"burst {run} request {i}"}} for i in range(16)]
        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            responses = list(pool.map(lambda body: post(p, body), bodies))

        # The least-privilege role may invoke only the module's endpoint: IAM refuses the call.
        assert all(r.status >= 500 for r in responses), [(r.status, r.body) for r in responses]
        assert {r.body["errorCode"] for r in responses} == {"AccessDeniedException"}
        arn = p.conn.arn("sagemaker", f"endpoint/{missing.lower()}")
        assert all(f"sagemaker:InvokeEndpoint on resource: {arn}" in r.body["error"] for r in responses)
        ids = [r.request_id for r in responses]
        assert len(set(ids)) == len(ids)

        items = all_items(p)
        error_rows = [items[rid] for rid in ids if rid in items and items[rid]["status"] == {"S": "error"}]
        assert len(error_rows) == sum(r.status >= 500 for r in responses)
        for response in responses:
            assert_error_row(items.get(response.request_id), response, missing)
