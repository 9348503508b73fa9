"""lambda_function.py called in-process against moto: events, malformed input, faults, record, logs, metrics.

How faults are made (and what is not faked):
- moto's in-process sagemaker-runtime answers every InvokeEndpoint with a canned result and never checks
  that the endpoint exists. The canned predictions are set through moto's documented hook
  (POST /moto-api/static/sagemaker/endpoint-results); with none set, moto answers the text "body", which
  the handler must treat as a non-JSON answer.
- Endpoint errors (ValidationError, ModelError, throttling, ...) and DynamoDB throttling / access denied
  are injected with botocore's Stubber on the handler's own clients (moto enforces no IAM and has no
  throttling). Stubber answers after the SDK's retry layer, i.e. it is the error the code sees "after the
  SDK's retries".
- Transport timeouts, and the mixed failures of the concurrency test, are injected with botocore
  ``before-send`` event hooks on the handler's clients (Stubber cannot raise transport errors); they go
  through botocore's real retry handler.
- Not faked: PutItem and its condition, the missing table, the connection refused (a closed local port
  given through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME), and everything the handler parses and writes.
"""

from __future__ import annotations

import base64
import copy
import difflib
import io
import json
import re
import subprocess
import sys
import threading
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from tests.events import EVENTS_DIR
from tests.lambda_context import FakeLambdaContext
from tests.seed_table import ISO_MS_Z, SEED_TYPES, create_seed_table
from workshop_lib.config import KIT_ROOT, LAMBDA_SOURCE, NOTEBOOKS_DIR
from workshop_lib.deploy import inference_lambda_files, package

EVENTS = EVENTS_DIR
REGION = "us-east-1"
ENDPOINT = "ml-endpoint"
TABLE = "InferenceMetadata"
FUNCTION = "ml-inference-lambda"
PREDICTION = {"label": "positive", "score": 0.93}
SUPPORT_SOURCE = LAMBDA_SOURCE.with_name("inference_support.py")
SECTION7_SOURCE = KIT_ROOT / "lambda_section7" / "lambda_function.py"


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture
def env(moto_conn, monkeypatch, support):
    """The function's environment: moto in-process, variables set, moto reset (its documented hook), the table created.

    The handler's clients are dropped after each test (with every hook a test registered on them); its
    session is kept, as in a warm execution environment (``lf`` is loaded once per module).
    """
    monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT)
    monkeypatch.setenv("DYNAMODB_TABLE", TABLE)
    for var in ("RECORD_TTL_DAYS", "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(var, raising=False)
    assert requests.post("http://motoapi.amazonaws.com/moto-api/reset").status_code == 200
    ddb = moto_conn.client("dynamodb")
    create_seed_table(ddb)
    support.reset_clients()
    yield ddb
    support.reset_clients()


def set_predictions(*predictions: Any) -> None:
    """moto's documented hook: the next InvokeEndpoint calls (one per distinct body) answer these, in order."""
    results = [{"Body": json.dumps(p), "ContentType": "application/json"} for p in predictions]
    resp = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results", json={"results": results}
    )
    assert resp.status_code == 201


@dataclass
class Result:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    log: dict[str, Any]
    emf: dict[str, Any]


def call(lf, event: Any, context: Any, capsys) -> Result:
    """Call the handler; check it answers a proxy response and writes exactly its two JSON lines."""
    capsys.readouterr()
    response = lf.lambda_handler(copy.deepcopy(event), context)
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.strip()]
    assert set(response) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert response["headers"]["Content-Type"] == "application/json" and response["isBase64Encoded"] is False
    assert len(lines) == 2, lines
    log = next(x for x in lines if "_aws" not in x)
    emf = next(x for x in lines if "_aws" in x)
    return Result(response["statusCode"], response["headers"], json.loads(response["body"]), log, emf)


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def proxy_event(body: Any, *, base64_encoded: bool = False, method: str = "POST") -> dict[str, Any]:
    ev = event("apigateway-rest-proxy.json")
    ev["requestContext"]["requestId"] = str(uuid.uuid4())
    ev["body"] = body
    ev["isBase64Encoded"] = base64_encoded
    ev["httpMethod"] = ev["requestContext"]["httpMethod"] = method
    return ev


def items(ddb) -> list[dict[str, Any]]:
    return ddb.scan(TableName=TABLE)["Items"]


def item(ddb, request_id: str) -> dict[str, Any]:
    return ddb.get_item(TableName=TABLE, Key={"requestId": {"S": request_id}})["Item"]


class Calls:
    """Counts the AWS API calls (by operation) and HTTP attempts the handler's clients make."""

    def __init__(self, lf) -> None:
        self.ops: dict[str, int] = {}
        self.attempts: dict[str, int] = {}
        for service in ("sagemaker-runtime", "dynamodb"):
            events = lf.client(service).meta.events
            events.register("provide-client-params", self._call)
            events.register("before-send", self._send)

    def _call(self, event_name: str, **kwargs: Any) -> None:
        op = event_name.rsplit(".", 1)[-1]
        self.ops[op] = self.ops.get(op, 0) + 1

    def _send(self, event_name: str, **kwargs: Any) -> None:
        op = event_name.rsplit(".", 1)[-1]
        self.attempts[op] = self.attempts.get(op, 0) + 1


def assert_seed_types(it: dict[str, Any]) -> None:
    for name, kind in SEED_TYPES.items():
        assert list(it[name]) == [kind], (name, it[name])


# --- the seed's contract --------------------------------------------------------------------------------


def test_seed_request__answers_200_and_records_the_six_attributes_with_their_types(lf, env, context, capsys):
    set_predictions(PREDICTION)
    ev = event("apigateway-rest-proxy.json")
    before = datetime.now(UTC)
    res = call(lf, ev, context, capsys)
    after = datetime.now(UTC)

    assert res.status == 200
    assert set(res.body) == {"requestId", "prediction", "latencyMs"}
    assert res.body["requestId"] == ev["requestContext"]["requestId"]  # the API Gateway id, not a new uuid
    assert res.body["prediction"] == PREDICTION
    assert isinstance(res.body["latencyMs"], int) and res.body["latencyMs"] >= 0

    it = item(env, res.body["requestId"])
    assert_seed_types(it)
    assert it["modelName"]["S"] == ENDPOINT
    assert it["inputData"]["S"] == json.dumps({"text": "Hello AI!"})
    assert json.loads(it["prediction"]["S"]) == PREDICTION
    assert int(it["latencyMs"]["N"]) == res.body["latencyMs"]
    assert it["status"] == {"S": "ok"} and it["statusCode"] == {"N": "200"}
    assert it["inputBytes"] == {"N": str(len(json.dumps({"text": "Hello AI!"})))}
    assert it["functionName"] == {"S": FUNCTION}
    assert not {"errorCode", "errorMessage", "inputTruncated", "predictionTruncated", "expiresAt"} & set(it)

    stamp = it["timestamp"]["S"]
    assert ISO_MS_Z.match(stamp), stamp
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert before - timedelta(milliseconds=1) <= moment <= after


def test_seed_request__makes_exactly_one_invoke_endpoint_and_one_put_item(lf, env, context, capsys):
    set_predictions(PREDICTION)
    calls = Calls(lf)
    expected = {"EndpointName": ENDPOINT, "ContentType": "application/json", "Accept": "application/json"}
    sent: list[Any] = []
    lf.client("sagemaker-runtime").meta.events.register(
        "provide-client-params.sagemaker-runtime.InvokeEndpoint", lambda params, **kw: sent.append(dict(params))
    )
    assert call(lf, event("apigateway-rest-proxy.json"), context, capsys).status == 200
    assert calls.ops == {"InvokeEndpoint": 1, "PutItem": 1}
    assert sent == [{**expected, "Body": json.dumps({"text": "Hello AI!"})}]


def test_clients__are_created_once_with_explicit_timeouts_and_retries(lf, env, context, capsys):
    set_predictions(PREDICTION, PREDICTION)
    call(lf, proxy_event(json.dumps({"input": "a"})), context, capsys)
    first = (lf.client("sagemaker-runtime"), lf.client("dynamodb"))
    call(lf, proxy_event(json.dumps({"input": "b"})), context, capsys)
    assert (lf.client("sagemaker-runtime"), lf.client("dynamodb")) == first
    sm, ddb = first[0].meta.config, first[1].meta.config
    assert (sm.connect_timeout, sm.read_timeout, sm.retries) == (1, 8, {"mode": "standard", "total_max_attempts": 2})
    assert (ddb.connect_timeout, ddb.read_timeout, ddb.retries) == (1, 2, {"mode": "standard", "total_max_attempts": 2})


IMPORT_PROBE = "import lambda_function, inference_support as m; print(sorted(k for k in m._clients))"


@pytest.mark.parametrize(
    ("extra", "clients", "warning"),
    [
        pytest.param({}, "[]", False, id="bare-import-creates-nothing"),
        pytest.param(
            {"AWS_LAMBDA_FUNCTION_NAME": FUNCTION, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION},
            "['dynamodb', 'sagemaker-runtime']",
            False,
            id="inside-lambda-clients-created-during-init",
        ),
        pytest.param(
            {"AWS_LAMBDA_FUNCTION_NAME": FUNCTION}, "[]", True, id="inside-lambda-without-region-still-imports"
        ),
    ],
)
def test_import__never_fails_and_needs_no_variables_region_or_credentials(extra, clients, warning):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(LAMBDA_SOURCE.parent), "HOME": str(LAMBDA_SOURCE.parent)}
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE], env=env | extra, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == clients
    if warning:
        assert json.loads(lines[0])["message"].startswith("clients not created during init: NoRegionError")


# --- the deployment package, and the handler a learner reads --------------------------------------------


def zip_files(zip_bytes: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        return {name: zf.read(name).decode("utf-8") for name in zf.namelist()}


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(LAMBDA_SOURCE, id="the-handler-path"),
        pytest.param("../lambda_function.py", id="the-handler-as-notebook-08-2a-names-it"),
        pytest.param(inference_lambda_files(), id="inference-lambda-files"),
    ],
)
def test_package__of_the_handler_holds_both_modules_at_the_zip_root(given, monkeypatch):
    monkeypatch.chdir(NOTEBOOKS_DIR)  # where the notebooks run, so "../lambda_function.py" is the kit's file
    files = zip_files(package(given))
    assert files == {
        "lambda_function.py": LAMBDA_SOURCE.read_text(encoding="utf-8"),
        "inference_support.py": SUPPORT_SOURCE.read_text(encoding="utf-8"),
    }


def test_package__of_another_lambda_function_py_holds_only_that_file():
    files = zip_files(package(SECTION7_SOURCE))  # notebook 07 deploys section 7's code, which imports nothing
    assert files == {"lambda_function.py": SECTION7_SOURCE.read_text(encoding="utf-8")}


def test_package__runs_from_its_own_root_as_lambda_loads_it(tmp_path):
    """Unzipped into a task root that is the only code on sys.path, the handler imports its module and answers."""
    with zipfile.ZipFile(io.BytesIO(package(LAMBDA_SOURCE))) as zf:
        zf.extractall(tmp_path)
    probe = (
        "import json, lambda_function, inference_support\n"
        "print(lambda_function.__file__, inference_support.__file__)\n"
        "print(json.dumps(lambda_function.lambda_handler({'key1': 'value1'}, None)))"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "HOME": str(tmp_path)}
    env |= {"ENDPOINT_NAME": ENDPOINT, "DYNAMODB_TABLE": TABLE}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].split() == [str(tmp_path / "lambda_function.py"), str(tmp_path / "inference_support.py")]
    response = json.loads(lines[-1])
    assert response["statusCode"] == 400 and "(its keys: key1)" in json.loads(response["body"])["error"]


def test_handler__fits_one_screen_and_keeps_the_seeds_flow_and_six_attributes_in_order():
    source = LAMBDA_SOURCE.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 100
    flow = ["request_body(event)", 'body["input"]', ".invoke_endpoint(", "item = {", ".put_item(", "return respond(200"]
    positions = [source.find(step) for step in flow]
    assert -1 not in positions and positions == sorted(positions), dict(zip(flow, positions, strict=True))
    attributes = re.findall(r'^ {8}"(\w+)": \{"([SN])": ', source, flags=re.MULTILINE)
    assert attributes == list(SEED_TYPES.items())


def test_handler__diff_from_section_7_is_short_and_shows_the_code():
    """What step 2 of notebook 08.2 prints: section 7's code (deployed) to the new handler, as code_diff makes it."""
    diff = list(
        difflib.unified_diff(
            SECTION7_SOURCE.read_text(encoding="utf-8").splitlines(keepends=True),
            LAMBDA_SOURCE.read_text(encoding="utf-8").splitlines(keepends=True),
        )
    )
    added = "".join(line for line in diff if line.startswith("+"))
    assert len(diff) <= 130 and len("".join(diff)) < 6000
    for code in ("def lambda_handler(", ".invoke_endpoint(", "item = {", ".put_item(", "return respond(200"):
        assert code in added, code


def _calls(source: str, methods: set[str]) -> set[str]:
    return {m for m in methods if re.search(rf"\.{m}\(", source)}


def test_aws_calls__are_the_handlers_invoke_endpoint_and_put_item_and_none_in_the_support_module():
    """The policies grant exactly these two calls (tests/test_policies.py); the support module makes none."""
    session = boto3.Session(region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    methods = set()
    for service in ("sagemaker-runtime", "dynamodb", "sagemaker", "cloudwatch", "logs"):
        methods |= set(session.client(service).meta.method_to_api_mapping)
    assert _calls(LAMBDA_SOURCE.read_text(encoding="utf-8"), methods) == {"invoke_endpoint", "put_item"}
    assert _calls(SUPPORT_SOURCE.read_text(encoding="utf-8"), methods) == set()


# --- the events AWS sends -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected_input", "id_from"),
    [
        ("apigateway-rest-proxy.json", {"text": "Hello AI!"}, "apigateway"),
        ("apigateway-base64-body.json", {"text": "Xin chào AI!"}, "apigateway"),
        ("apigateway-http-v2.json", {"text": "Hello AI!"}, "apigateway"),
        ("direct-input.json", {"text": "Hello AI!"}, "lambda"),
        ("body-as-object.json", {"text": "Hello AI!"}, "lambda"),
    ],
)
def test_accepted_event__answers_200_with_the_right_request_id(lf, env, context, capsys, name, expected_input, id_from):
    set_predictions(PREDICTION)
    ev = event(name)
    res = call(lf, ev, context, capsys)
    assert res.status == 200 and res.body["prediction"] == PREDICTION
    want = ev["requestContext"]["requestId"] if id_from == "apigateway" else context.aws_request_id
    assert res.body["requestId"] == want
    assert json.loads(item(env, want)["inputData"]["S"]) == expected_input
    assert res.log["requestId"] == res.emf["requestId"] == want
    assert res.log["awsRequestId"] == context.aws_request_id


@pytest.mark.parametrize(
    ("name", "status", "fragment"),
    [
        ("console-hello-world.json", 400, 'neither an API Gateway "body" nor an "input" member (its keys: key1'),
        ("apigateway-null-body.json", 400, "the request has no body"),
        ("apigateway-get-no-body.json", 405, "method GET is not allowed"),
        ("console-apigateway-aws-proxy.json", 400, 'no "input" member (its keys: test)'),
    ],
)
def test_refused_event__names_the_problem_and_calls_nothing(lf, env, context, capsys, name, status, fragment):
    calls = Calls(lf)
    res = call(lf, event(name), context, capsys)
    assert res.status == status and fragment in res.body["error"]
    assert calls.ops == {} and items(env) == []
    if status == 405:
        assert res.headers["Allow"] == "POST"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


MALFORMED = [
    pytest.param(proxy_event(None), 400, "the request has no body", id="null-body"),
    pytest.param(proxy_event(""), 400, "the request body is empty", id="empty-body"),
    pytest.param(proxy_event("  \n\t "), 400, "the request body is empty", id="blank-body"),
    pytest.param(proxy_event("hello"), 400, "not valid JSON (Expecting value at line 1 column 1)", id="plain-text"),
    pytest.param(proxy_event("input=hello"), 400, "not valid JSON", id="form-encoded"),
    pytest.param(proxy_event("{'input': 1}"), 400, "not valid JSON (Expecting property name", id="single-quotes"),
    pytest.param(proxy_event('{"input": 1'), 400, "not valid JSON", id="truncated-json"),
    pytest.param(proxy_event('\ufeff{"input": 1}'), 400, "not valid JSON", id="byte-order-mark"),
    pytest.param(proxy_event("[1, 2]"), 400, "must be a JSON object like", id="array-body"),
    pytest.param(proxy_event('"input"'), 400, "not a string", id="string-body"),
    pytest.param(proxy_event("42"), 400, "not a number", id="number-body"),
    pytest.param(proxy_event("true"), 400, "not a boolean", id="boolean-body"),
    pytest.param(proxy_event("null"), 400, "not null", id="json-null-body"),
    pytest.param(proxy_event("{}"), 400, 'no "input" member (its keys: none)', id="empty-object"),
    pytest.param(proxy_event('{"inputs": [1]}'), 400, 'no "input" member (its keys: inputs)', id="wrong-key"),
    pytest.param(proxy_event('{"input": null}'), 400, '"input" is null', id="null-input"),
    pytest.param(proxy_event('{"input": NaN}'), 400, "NaN is not allowed", id="nan"),
    pytest.param(proxy_event('{"input": -Infinity}'), 400, "-Infinity is not allowed", id="infinity"),
    pytest.param(proxy_event("[" * 100_000 + "]" * 100_000), 400, "nested too deeply", id="deep-nesting"),
    pytest.param(proxy_event("not base64!!", base64_encoded=True), 400, "not valid base64", id="bad-base64"),
    pytest.param(proxy_event(_b64(b"\xff\xfe{}"), base64_encoded=True), 400, "not UTF-8", id="base64-not-utf8"),
    pytest.param(proxy_event(_b64(b"hello"), base64_encoded=True), 400, "not valid JSON", id="base64-not-json"),
    pytest.param(proxy_event(_b64(b""), base64_encoded=True), 400, "request body is empty", id="base64-empty"),
    pytest.param(proxy_event('{"input": 1}', method="GET"), 405, "method GET is not allowed", id="get"),
    pytest.param(proxy_event('{"input": 1}', method="delete"), 405, "method DELETE is not allowed", id="delete"),
    pytest.param({"body": [1, 2]}, 400, "not an array", id="body-object-array"),
    pytest.param({"input": None}, 400, '"input" is null', id="direct-null-input"),
    pytest.param({"input": float("nan")}, 400, '"input" cannot be sent as JSON', id="direct-nan-input"),
    pytest.param({"key1": "value1"}, 400, 'nor an "input" member (its keys: key1)', id="console-hello-world"),
    pytest.param({}, 400, "(its keys: none)", id="empty-event"),
    pytest.param([1, 2], 400, "the event must be a JSON object", id="event-array"),
    pytest.param("hello", 400, "not a string", id="event-string"),
    pytest.param(None, 400, "not null", id="event-null"),
]


@pytest.mark.parametrize(("ev", "status", "fragment"), MALFORMED)
def test_malformed_request__gives_4xx_naming_the_problem_and_nothing_else(
    lf, env, context, capsys, ev, status, fragment
):
    calls = Calls(lf)
    res = call(lf, ev, context, capsys)
    assert res.status == status
    assert fragment in res.body["error"], res.body["error"]
    assert set(res.body) == {"error", "requestId"}
    assert calls.ops == {} and items(env) == []
    assert (res.log["status"], res.log["statusCode"], res.log["level"]) == ("invalid", status, "WARNING")
    assert res.log["requestId"] == res.body["requestId"] == res.emf["requestId"]
    assert res.emf["InvalidRequestCount"] == 1 and res.emf["ErrorCount"] == 0 and "LatencyMs" not in res.emf


def test_malformed_table__has_at_least_20_cases():
    assert len(MALFORMED) >= 20


# --- configuration -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("var", "value", "fragment"),
    [
        ("ENDPOINT_NAME", None, "environment variable ENDPOINT_NAME is not set"),
        ("DYNAMODB_TABLE", None, "environment variable DYNAMODB_TABLE is not set"),
        ("DYNAMODB_TABLE", "  ", "environment variable DYNAMODB_TABLE is empty"),
        ("RECORD_TTL_DAYS", "a week", "RECORD_TTL_DAYS='a week' is not a number of days"),
        ("RECORD_TTL_DAYS", "0", "RECORD_TTL_DAYS='0' is not a number of days"),
    ],
)
def test_misconfigured_function__answers_500_naming_the_variable(
    lf, env, context, capsys, monkeypatch, var, value, fragment
):
    if value is None:
        monkeypatch.delenv(var)
    else:
        monkeypatch.setenv(var, value)
    calls = Calls(lf)
    res = call(lf, event("apigateway-rest-proxy.json"), context, capsys)
    assert res.status == 500 and fragment in res.body["error"]
    assert calls.ops == {} and items(env) == []
    assert (res.log["status"], res.log["level"], res.emf["ErrorCount"]) == ("error", "ERROR", 1)


def test_ttl_days__adds_expires_at(lf, env, context, capsys, monkeypatch):
    monkeypatch.setenv("RECORD_TTL_DAYS", "7")
    set_predictions(PREDICTION)
    res = call(lf, event("apigateway-rest-proxy.json"), context, capsys)
    it = item(env, res.body["requestId"])
    stamp = datetime.fromisoformat(it["timestamp"]["S"].replace("Z", "+00:00"))
    assert int(it["expiresAt"]["N"]) == int(stamp.timestamp() + 7 * 86_400)


# --- endpoint faults -----------------------------------------------------------------------------------


ENDPOINT_FAULTS = [
    pytest.param(
        "ValidationError", 400, f"Endpoint {ENDPOINT} of account 123456789012 not found.", 502, id="validation-error"
    ),
    pytest.param(
        "ModelError",
        424,
        'Received server error (500) from primary with message "ValueError: bad input". See '
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEventViewer:"
        f"group=/aws/sagemaker/Endpoints/{ENDPOINT} in account 123456789012 for more information.",
        502,
        id="model-error",
    ),
    pytest.param("ThrottlingException", 400, "Rate exceeded", 503, id="throttling"),
    pytest.param("ModelNotReadyException", 429, "Model is not ready", 503, id="model-not-ready"),
    pytest.param("ServiceUnavailable", 503, "Service is unavailable", 503, id="service-unavailable"),
    pytest.param("InternalFailure", 500, "An internal failure occurred", 503, id="internal-failure"),
]


@pytest.mark.parametrize(("code", "http", "message", "status"), ENDPOINT_FAULTS)
def test_endpoint_error__gives_502_or_503_with_its_message_and_an_error_row(
    lf, env, context, capsys, code, http, message, status
):
    ev = event("apigateway-rest-proxy.json")
    with Stubber(lf.client("sagemaker-runtime")) as stub:
        stub.add_client_error(
            "invoke_endpoint", service_error_code=code, service_message=message, http_status_code=http
        )
        res = call(lf, ev, context, capsys)
        stub.assert_no_pending_responses()
    rid = ev["requestContext"]["requestId"]
    assert res.status == status
    assert res.body == {"error": f"endpoint {ENDPOINT} failed: {code}: {message}", "errorCode": code, "requestId": rid}
    assert (res.headers.get("Retry-After") == "1") is (status == 503)

    it = item(env, rid)
    assert_seed_types(it)
    assert (it["status"]["S"], it["statusCode"]["N"], it["errorCode"]["S"]) == ("error", str(status), code)
    assert message in it["errorMessage"]["S"] and it["prediction"]["S"] == "null"
    assert (res.log["status"], res.log["level"], res.log["errorCode"], res.log["recorded"]) == (
        "error",
        "ERROR",
        code,
        "written",
    )
    assert res.emf["ErrorCount"] == 1 and res.emf["SuccessCount"] == 0 and "LatencyMs" in res.emf


def test_endpoint_timeout__is_retried_once_then_503_and_an_error_row(lf, env, context, capsys):
    attempts = []

    def time_out(request, **kwargs):
        attempts.append(request.url)
        raise ReadTimeoutError(endpoint_url=request.url)

    lf.client("sagemaker-runtime").meta.events.register_first("before-send.sagemaker-runtime.InvokeEndpoint", time_out)
    res = call(lf, event("apigateway-rest-proxy.json"), context, capsys)
    assert len(attempts) == 2  # total_max_attempts=2
    assert res.status == 503 and res.body["errorCode"] == "ReadTimeoutError"
    assert "did not answer in time" in res.body["error"]
    it = item(env, res.body["requestId"])
    assert (it["status"]["S"], it["errorCode"]["S"]) == ("error", "ReadTimeoutError")


def test_endpoint_unreachable__gives_503_through_the_standard_endpoint_variable(
    lf, support, env, context, capsys, monkeypatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "http://127.0.0.1:9")  # closed port: refused
    support.reset_clients()
    res = call(lf, event("apigateway-rest-proxy.json"), context, capsys)
    assert res.status == 503 and res.body["errorCode"] == "EndpointConnectionError"
    assert "http://127.0.0.1:9/endpoints/ml-endpoint/invocations" in res.body["error"]
    assert item(env, res.body["requestId"])["status"] == {"S": "error"}


def test_unexpected_error_on_the_endpoint_call__gives_502_and_an_error_row(lf, env, context, capsys):
    def broken(**kwargs):
        raise RuntimeError("the connection pool is gone")

    lf.client("sagemaker-runtime").meta.events.register_first("before-send.sagemaker-runtime.InvokeEndpoint", broken)
    res = call(lf, event("apigateway-rest-proxy.json"), context, capsys)
    assert res.status == 502 and res.body["errorCode"] == "RuntimeError"
    assert "the connection pool is gone" in res.body["error"]
    assert item(env, res.body["requestId"])["status"] == {"S": "error"}


def test_endpoint_answer_not_json__gives_502_and_an_error_row(lf, env, context, capsys):
    res = call(lf, event("apigateway-rest-proxy.json"), context, capsys)  # no result set: moto answers "body"
    assert res.status == 502 and res.body["errorCode"] == "InvalidEndpointResponse"
    assert "not JSON: 'body'" in res.body["error"]
    assert item(env, res.body["requestId"])["errorCode"] == {"S": "InvalidEndpointResponse"}


# --- DynamoDB faults -----------------------------------------------------------------------------------


def replay_line_item(res: Result) -> dict[str, Any]:
    assert res.log["replay"] == "inference-record/v1" and res.log["table"] == TABLE
    assert res.log["recorded"] == "failed" and res.log["level"] == "ERROR"
    assert res.emf["UnrecordedCount"] == 1
    return res.log["item"]


@pytest.mark.parametrize(
    ("code", "http", "message"),
    [
        ("ProvisionedThroughputExceededException", 400, "The level of configured provisioned throughput was exceeded"),
        ("ThrottlingException", 400, "Throughput exceeds the current capacity for one or more global indexes"),
        (
            "AccessDeniedException",
            400,
            f"User: arn:aws:sts::123456789012:assumed-role/ml-inference-lambda-role/{FUNCTION} is not authorized "
            f"to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE} "
            "because no identity-based policy allows the dynamodb:PutItem action",
        ),
    ],
)
def test_dynamodb_refusal__still_answers_200_and_logs_the_item_for_replay(
    lf, env, context, capsys, code, http, message
):
    set_predictions(PREDICTION)
    ev = event("apigateway-rest-proxy.json")
    with Stubber(lf.client("dynamodb")) as stub:
        stub.add_client_error("put_item", service_error_code=code, service_message=message, http_status_code=http)
        res = call(lf, ev, context, capsys)
    assert res.status == 200 and res.body["prediction"] == PREDICTION
    logged = replay_line_item(res)
    assert res.log["recordError"] == f"{code}: {message}"
    assert_seed_types(logged)
    assert logged["requestId"]["S"] == ev["requestContext"]["requestId"] == res.log["requestId"]
    assert json.loads(logged["prediction"]["S"]) == PREDICTION and logged["status"] == {"S": "ok"}
    assert items(env) == []


def test_missing_table__still_answers_200_and_logs_the_item_for_replay(lf, env, context, capsys, monkeypatch):
    monkeypatch.setenv("DYNAMODB_TABLE", "NoSuchTable")
    set_predictions(PREDICTION)
    res = call(lf, event("apigateway-rest-proxy.json"), context, capsys)
    assert res.status == 200 and res.body["prediction"] == PREDICTION
    assert res.log["recordError"].startswith("ResourceNotFoundException")
    assert res.log["replay"] == "inference-record/v1" and res.log["table"] == "NoSuchTable"
    assert_seed_types(res.log["item"])


def test_endpoint_and_dynamodb_both_failing__give_502_and_an_error_item_in_the_log(lf, env, context, capsys):
    with Stubber(lf.client("sagemaker-runtime")) as sm, Stubber(lf.client("dynamodb")) as ddb:
        sm.add_client_error("invoke_endpoint", service_error_code="ModelError", http_status_code=424)
        ddb.add_client_error("put_item", service_error_code="AccessDeniedException", http_status_code=400)
        res = call(lf, event("apigateway-rest-proxy.json"), context, capsys)
    assert res.status == 502
    assert replay_line_item(res)["status"] == {"S": "error"}


# --- never overwrite ---------------------------------------------------------------------------------------


def test_same_request_id_twice__keeps_the_first_item_and_says_so(lf, env, context, capsys):
    set_predictions({"label": "first"}, {"label": "second"})
    ev = event("apigateway-rest-proxy.json")
    first = call(lf, ev, context, capsys)
    ev["body"] = json.dumps({"input": {"text": "something else"}})
    second = call(lf, ev, context, capsys)
    assert first.status == second.status == 200 and second.body["prediction"] == {"label": "second"}
    assert len(items(env)) == 1
    kept = item(env, first.body["requestId"])
    assert json.loads(kept["prediction"]["S"]) == {"label": "first"}
    assert (second.log["recorded"], second.log["level"]) == ("duplicate", "WARNING")
    assert "replay" not in second.log


def test_put_retried_after_a_lost_answer__is_recognised_as_already_recorded(lf, env, context, capsys):
    """The first PutItem lands in moto but its answer is lost (timeout); the retry's condition fails on our own item."""
    set_predictions(PREDICTION)
    attempts = []

    def lose_first_answer(request, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:  # DynamoDB applies the write (moto, through another client), the answer is lost
            env.put_item(**json.loads(request.body))
            raise ReadTimeoutError(endpoint_url=request.url)

    lf.client("dynamodb").meta.events.register_first("before-send.dynamodb.PutItem", lose_first_answer)
    res = call(lf, event("apigateway-rest-proxy.json"), context, capsys)
    assert len(attempts) == 2 and res.status == 200
    assert (res.log["recorded"], res.log["level"]) == ("already-recorded", "INFO")
    assert len(items(env)) == 1


# --- size ---------------------------------------------------------------------------------------------


def test_large_input__is_answered_and_stored_truncated_with_flag_and_original_size(lf, support, env, context, capsys):
    big = "x" * 150_000
    set_predictions(PREDICTION)
    sent = []
    lf.client("sagemaker-runtime").meta.events.register(
        "provide-client-params.sagemaker-runtime.InvokeEndpoint", lambda params, **kw: sent.append(params["Body"])
    )
    res = call(lf, proxy_event(json.dumps({"input": big})), context, capsys)
    assert res.status == 200 and res.body["prediction"] == PREDICTION
    assert sent == [json.dumps(big)]  # the model got the whole input
    it = item(env, res.body["requestId"])
    assert it["inputTruncated"] == {"BOOL": True} and it["inputBytes"] == {"N": str(len(json.dumps(big)))}
    assert len(it["inputData"]["S"]) + len(it["prediction"]["S"]) == support.RECORD_TEXT_BUDGET
    assert it["prediction"]["S"] == json.dumps(PREDICTION) and "predictionTruncated" not in it


def test_large_prediction__is_answered_whole_and_stored_truncated(lf, env, context, capsys):
    huge = {"tokens": ["y" * 1000] * 200}
    set_predictions(huge)
    res = call(lf, event("apigateway-rest-proxy.json"), context, capsys)
    assert res.status == 200 and res.body["prediction"] == huge
    it = item(env, res.body["requestId"])
    assert it["predictionTruncated"] == {"BOOL": True}
    assert it["predictionBytes"] == {"N": str(len(json.dumps(huge)))}
    assert it["inputData"]["S"] == json.dumps({"text": "Hello AI!"}) and "inputTruncated" not in it


def test_replay_line_of_a_worst_case_input__fits_one_cloudwatch_logs_event(lf, env, context, capsys, monkeypatch):
    monkeypatch.setenv("DYNAMODB_TABLE", "NoSuchTable")
    set_predictions(PREDICTION)
    capsys.readouterr()
    lf.lambda_handler(proxy_event(json.dumps({"input": '"\\' * 100_000})), context)  # every char escaped twice
    line = next(x for x in capsys.readouterr().out.splitlines() if '"replay"' in x)
    assert len(line.encode()) < 256 * 1024
    assert json.loads(line)["item"]["inputTruncated"] == {"BOOL": True}


# --- logs and metrics -----------------------------------------------------------------------------------


def test_structured_log_line__has_one_json_line_with_the_request_fields(lf, env, context, capsys):
    set_predictions(PREDICTION)
    ev = event("apigateway-rest-proxy.json")
    res = call(lf, ev, context, capsys)
    log = res.log
    assert log["level"] == "INFO" and log["message"] == "inference, recorded"
    assert log["requestId"] == ev["requestContext"]["requestId"]
    assert log["awsRequestId"] == context.aws_request_id and log["functionName"] == FUNCTION
    assert (log["modelName"], log["status"], log["statusCode"], log["recorded"]) == (ENDPOINT, "ok", 200, "written")
    assert log["latencyMs"] == res.body["latencyMs"] and log["inputBytes"] == len(json.dumps({"text": "Hello AI!"}))
    assert ISO_MS_Z.match(log["timestamp"])
    assert "item" not in log and "replay" not in log  # the input stays out of the log when it is recorded


def test_emf_line__is_valid_embedded_metric_format_without_request_id_dimension(lf, env, context, capsys):
    set_predictions(PREDICTION)
    before = datetime.now(UTC).timestamp() * 1000
    res = call(lf, event("apigateway-rest-proxy.json"), context, capsys)
    emf = res.emf
    meta = emf["_aws"]
    assert isinstance(meta["Timestamp"], int) and before - 1 <= meta["Timestamp"] <= before + 60_000
    (directive,) = meta["CloudWatchMetrics"]
    assert directive["Namespace"] == "InferencePipeline"
    assert directive["Dimensions"] == [["ModelName"]] and emf["ModelName"] == ENDPOINT
    units = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    assert units == {
        "LatencyMs": "Milliseconds",
        "SuccessCount": "Count",
        "ErrorCount": "Count",
        "InvalidRequestCount": "Count",
        "UnrecordedCount": "Count",
    }
    # High resolution (1 s), so the workshop's alarms (8.3) can use a 10-second period.
    assert all(m["StorageResolution"] == 1 for m in directive["Metrics"])
    for name in units:  # every metric has a numeric member of that name at the top level
        assert isinstance(emf[name], int | float) and not isinstance(emf[name], bool)
    assert (emf["SuccessCount"], emf["ErrorCount"], emf["LatencyMs"]) == (1, 0, res.body["latencyMs"])
    assert all("requestId" not in dims for dims in directive["Dimensions"])
    assert emf["requestId"] == res.body["requestId"]  # a property, searchable in Logs Insights


def test_unexpected_bug__still_answers_json_500_and_logs_it(lf, env, context, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(lf, "item_details", broken)
    set_predictions(PREDICTION)
    res = call(lf, event("apigateway-rest-proxy.json"), context, capsys)
    assert res.status == 500 and res.body["error"] == "internal error in the inference function"
    assert res.log["error"] == "KeyError: 'boom'" and res.emf["ErrorCount"] == 1


# --- nothing lost under concurrency --------------------------------------------------------------------


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **kwargs: Any):
        yield self.data


def test_parallel_requests__lose_nothing_and_duplicate_nothing(lf, support, env, context, monkeypatch):
    """N parallel requests, a third failing in the model: ok items == 200s, error items == 5xx, ids unique."""
    n = 24
    monkeypatch.setattr(support, "write_line", lambda obj: None)  # capsys is not thread-aware; lines are tested above
    set_predictions(*[PREDICTION] * n)

    def model_error_for_marked_inputs(request, **kwargs):
        if b"FAIL" in request.body:
            body = json.dumps({"ErrorCode": "ModelError", "Message": "model raised ValueError"}).encode()
            headers = {"x-amzn-ErrorType": "ModelError:http://internal.amazon.com/coral/com.amazon.sagemaker/"}
            return AWSResponse(request.url, 424, headers, _Raw(body))
        return None

    lf.client("sagemaker-runtime").meta.events.register_first(
        "before-send.sagemaker-runtime.InvokeEndpoint", model_error_for_marked_inputs
    )
    lf.client("dynamodb")
    barrier = threading.Barrier(8)

    def one(i: int) -> dict[str, Any]:
        ev = proxy_event(json.dumps({"input": {"text": f"{'FAIL' if i % 3 == 0 else 'ok'} {i}"}}))
        if i < 8:
            barrier.wait()
        return lf.lambda_handler(ev, FakeLambdaContext())

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(one, range(n)))
    statuses = [r["statusCode"] for r in responses]
    rows = items(env)
    ids = [r["requestId"]["S"] for r in rows]
    assert len(ids) == len(set(ids)) == n
    assert sum(s == 200 for s in statuses) == sum(r["status"]["S"] == "ok" for r in rows) == n - n // 3
    assert sum(s >= 500 for s in statuses) == sum(r["status"]["S"] == "error" for r in rows) == n // 3
    assert {json.loads(r["body"])["requestId"] for r in responses} == set(ids)
