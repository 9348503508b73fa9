"""The inference Lambda: call the SageMaker endpoint, answer the caller, record every inference in DynamoDB.

Deployable to AWS Lambda as it is (Python 3.11+, standard library and boto3 only). The seed's contract
(workshop section 8.2) is kept; its defects are fixed.

Configuration (environment variables, read on every request, so a missing one is a clear 500 on the
request instead of a KeyError at import):
    ENDPOINT_NAME     the SageMaker endpoint (also stored as modelName)
    DYNAMODB_TABLE    the metadata table (partition key requestId, S)
    RECORD_TTL_DAYS   optional: add expiresAt (N, epoch seconds) for a DynamoDB TTL of that many days

Requests: an API Gateway proxy event (REST v1 or HTTP v2; ``body`` a JSON string, base64 when
``isBase64Encoded``, or already an object), or a direct invocation ``{"input": ...}`` (the Lambda
console's test button). The body must be a JSON object with an ``input`` member.

Responses (API Gateway proxy shape, JSON body):
    200  {"requestId", "prediction", "latencyMs"}  (also when the record could not be written, see below)
    400  {"error", "requestId"}  malformed request: the message names the problem; nothing is called or stored
    405  {"error", "requestId"}  an HTTP method other than POST
    500  {"error", "requestId"}  the function is misconfigured (a missing environment variable)
    502  {"error", "errorCode", "requestId"}  the endpoint failed in a way a retry will not fix
         (ValidationError: no such endpoint or not InService; ModelError; access denied; a non-JSON answer)
    503  {"error", "errorCode", "requestId"}  the endpoint is throttled, unavailable or timed out: retry later
Every 502/503 is recorded in the table with status "error", so the table holds the complete history.

The record (one DynamoDB item per request, written with PutItem and ``attribute_not_exists(requestId)``,
so an existing item is never overwritten):
    requestId (S)   the API Gateway requestContext.requestId, else the Lambda request id; it is in every
                    log line of the request, so a row joins with its logs
    timestamp (S)   arrival time, UTC ISO-8601 with milliseconds and Z: 2025-10-01T10:20:30.123Z
    modelName (S)   the endpoint name
    inputData (S)   the input as JSON text (exactly the bytes sent to the endpoint, unless truncated)
    prediction (S)  the endpoint's answer as JSON text ("null" on error rows)
    latencyMs (N)   the endpoint call, measured with a monotonic clock (time.perf_counter), whole ms
    status (S) "ok" | "error";  statusCode (N);  inputBytes (N);  functionName (S)
    errorCode (S), errorMessage (S)              on error rows
    inputTruncated (BOOL), predictionTruncated (BOOL), predictionBytes (N)   only when truncated
    expiresAt (N)                                only when RECORD_TTL_DAYS is set

Large inputs (the choice made here: answer, and store truncated with a flag). The model is called with the
whole input and the caller gets the whole prediction. In the record, inputData and prediction together are
kept within RECORD_TEXT_BUDGET (100,000 bytes): that keeps the item far below DynamoDB's 400 KB and keeps the
replay log line (below) within one CloudWatch Logs event (256 KB) even when JSON escaping doubles it, so a
replayed item is the same item. When a text is cut, it is cut at the budget (it is then no longer valid
JSON), ``inputTruncated``/``predictionTruncated`` is true and ``inputBytes``/``predictionBytes`` keep the
original sizes. Nothing is refused for its size here; API Gateway (10 MB), Lambda (6 MB) and the endpoint
(6 MB) limits still apply before this code runs.

Faults: an endpoint error gives 502/503 (above) and an error row. A DynamoDB failure after the SDK's retries
(throttling, access denied, missing table, timeout) still answers 200 with the prediction; the complete
item is then written to the function's log as part of its JSON log line, marked ``"replay":
"inference-record/v1"``, and ``workshop_lib.replay.replay_unrecorded()`` writes such items later
(conditional put: idempotent).

Observability, all on stdout (CloudWatch Logs; no PutMetricData call on the request path):
  - one structured JSON log line per request: requestId, awsRequestId, functionName, modelName, status
    ("ok" | "error" | "invalid"), statusCode, latencyMs, inputBytes, recorded, and the error if any;
  - one CloudWatch embedded-metric-format (EMF) line per request: namespace InferencePipeline, dimension
    ModelName, metrics LatencyMs (Milliseconds, when the endpoint was called), SuccessCount (200),
    ErrorCount (5xx), InvalidRequestCount (4xx), UnrecordedCount (record left to replay), all Count.
    requestId is a property of that line, never a dimension.

Clients: one sagemaker-runtime and one dynamodb client per execution environment, with explicit timeouts
and retries (SAGEMAKER_CONFIG, DYNAMODB_CONFIG). Inside Lambda (AWS_LAMBDA_FUNCTION_NAME set) they are
created while the environment initializes; anywhere else on first use, so importing this module never
needs a region, credentials or variables and never fails. They are plain boto3 clients, so the standard
AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables and the credential chain apply. Each is tried at most twice
(standard retry mode: throttling, 5xx, timeouts); the worst case of one request is about 26 s, so give the
function a timeout of 30 s (API Gateway's integration timeout is 29 s). DynamoDB gets few retries because a
record it refuses is not lost (see replay above).

What this code cannot do: a request the runtime kills (function timeout, out of memory) leaves no record
and no replay line; the caller then gets API Gateway's own 5xx, not a 200.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

ENV_ENDPOINT = "ENDPOINT_NAME"
ENV_TABLE = "DYNAMODB_TABLE"
ENV_TTL_DAYS = "RECORD_TTL_DAYS"

METRIC_NAMESPACE = "InferencePipeline"
METRIC_DIMENSION = "ModelName"
REPLAY_MARKER = "inference-record/v1"  # workshop_lib.replay looks for "replay": this value
RECORD_TEXT_BUDGET = 100_000  # bytes of inputData + prediction kept in one record (see the docstring)
ERROR_MESSAGE_LIMIT = 1_000  # characters of an error message kept in a record or a response

# Worst case of one request: 2 x (1 + 8) s + backoff <= 1 s on the endpoint, 2 x (1 + 2) s + backoff <= 1 s on
# DynamoDB: about 26 s, inside API Gateway's 29 s and a 30 s function timeout.
SAGEMAKER_CONFIG = Config(connect_timeout=1, read_timeout=8, retries={"mode": "standard", "total_max_attempts": 2})
DYNAMODB_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 2})
_CLIENT_CONFIGS = {"sagemaker-runtime": SAGEMAKER_CONFIG, "dynamodb": DYNAMODB_CONFIG}

_session: boto3.session.Session | None = None
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()
_stdout_lock = threading.Lock()


def client(service: str) -> Any:
    """This execution environment's boto3 client for "sagemaker-runtime" or "dynamodb" (created once)."""
    global _session
    found = _clients.get(service)
    if found is None:
        with _clients_lock:
            found = _clients.get(service)
            if found is None:
                if _session is None:
                    _session = boto3.session.Session()
                found = _session.client(service, config=_CLIENT_CONFIGS[service])
                _clients[service] = found
    return found


def reset_clients(*, session: bool = False) -> None:
    """Forget the clients (the next request creates new ones), and the session too when asked: for tests."""
    global _session
    with _clients_lock:
        _clients.clear()
        if session:
            _session = None


class _Refusal(Exception):
    """A request answered without calling the endpoint (4xx, or 500 for a misconfigured function)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class _EndpointFailure(Exception):
    """The endpoint call failed: the HTTP status to answer, AWS's error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


# --- the handler ------------------------------------------------------------------------------


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """Entry point (handler ``lambda_function.lambda_handler``). Never raises: every outcome is a response."""
    arrived = datetime.now(UTC)
    request_id = _request_id(event, context)
    log = _RequestLog(request_id, context, arrived)
    try:
        return _handle(event, context, log)
    except Exception as exc:  # the last guard: an unexpected bug still answers JSON and is logged
        log.fields.update(status="error", statusCode=500, error=f"{type(exc).__name__}: {exc}"[:ERROR_MESSAGE_LIMIT])
        log.emit("ERROR", "unexpected error in the handler")
        return _response(500, {"error": "internal error in the inference function", "requestId": request_id})


def _handle(event: Any, context: Any, log: _RequestLog) -> dict[str, Any]:
    try:
        endpoint, table, ttl_days = _config()
        log.fields["modelName"] = endpoint
        _check_method(event)
        input_data = _parse_input(event)
        input_text = _input_text(input_data)
    except _Refusal as refusal:
        config_error = refusal.status >= 500
        log.fields.update(
            status="error" if config_error else "invalid", statusCode=refusal.status, error=refusal.message
        )
        log.emit("ERROR" if config_error else "WARNING", "request refused")
        return _response(refusal.status, {"error": refusal.message, "requestId": log.request_id}, refusal.headers)

    log.fields["inputBytes"] = len(input_text)
    started = time.perf_counter()
    try:
        prediction = _invoke(endpoint, input_text)
        failure = None
    except _EndpointFailure as exc:
        prediction, failure = None, exc
    latency_ms = round((time.perf_counter() - started) * 1000)
    log.fields["latencyMs"] = latency_ms

    status_code = failure.status if failure else 200
    item = _item(
        request_id=log.request_id,
        arrived=log.arrived,
        endpoint=endpoint,
        input_text=input_text,
        prediction=prediction,
        latency_ms=latency_ms,
        status_code=status_code,
        failure=failure,
        function_name=getattr(context, "function_name", None) or os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        ttl_days=ttl_days,
    )
    outcome, record_error = _record(table, item)
    log.fields.update(status="error" if failure else "ok", statusCode=status_code, recorded=outcome)
    if failure:
        log.fields.update(errorCode=failure.code, error=failure.message)
    if record_error:
        log.fields.update(recordError=record_error, replay=REPLAY_MARKER, table=table, item=item)
    level = "ERROR" if failure or record_error else ("WARNING" if outcome == "duplicate" else "INFO")
    log.emit(level, _summary(failure, outcome))

    if failure:
        headers = {"Retry-After": "1"} if failure.status == 503 else None
        body = {"error": failure.message, "errorCode": failure.code, "requestId": log.request_id}
        return _response(failure.status, body, headers)
    return _response(200, {"requestId": log.request_id, "prediction": prediction, "latencyMs": latency_ms})


def _summary(failure: _EndpointFailure | None, outcome: str) -> str:
    what = "endpoint failed" if failure else "inference"
    return {
        "written": f"{what}, recorded",
        "already-recorded": f"{what}, recorded by an earlier attempt",
        "duplicate": f"{what}, NOT recorded: an item with this requestId exists and is kept",
        "failed": f"{what}, NOT recorded: item in this line, marked for replay",
    }[outcome]


# --- configuration and input --------------------------------------------------------------------


def _config() -> tuple[str, str, float | None]:
    values = {}
    for name in (ENV_ENDPOINT, ENV_TABLE):
        value = os.environ.get(name, "").strip()
        if not value:
            state = "is empty" if name in os.environ else "is not set"
            raise _Refusal(
                500,
                f"the function is misconfigured: environment variable {name} {state} "
                "(set it under Configuration > Environment variables)",
            )
        values[name] = value
    ttl_days = None
    raw_ttl = os.environ.get(ENV_TTL_DAYS, "").strip()
    if raw_ttl:
        try:
            ttl_days = float(raw_ttl)
        except ValueError:
            ttl_days = -1.0
        if not 0 < ttl_days < 36_500:
            raise _Refusal(
                500, f"the function is misconfigured: {ENV_TTL_DAYS}={raw_ttl!r} is not a number of days above 0"
            )
    return values[ENV_ENDPOINT], values[ENV_TABLE], ttl_days


def _request_id(event: Any, context: Any) -> str:
    ctx = event.get("requestContext") if isinstance(event, dict) else None
    api_id = ctx.get("requestId") if isinstance(ctx, dict) else None
    if isinstance(api_id, str) and 0 < len(api_id.strip()) <= 256:
        return api_id.strip()
    lambda_id = getattr(context, "aws_request_id", None)
    if isinstance(lambda_id, str) and lambda_id:
        return lambda_id
    return str(uuid.uuid4())  # a direct call with no context at all (e.g. from a notebook)


def _check_method(event: Any) -> None:
    if not isinstance(event, dict):
        return
    method = event.get("httpMethod")
    ctx = event.get("requestContext")
    if method is None and isinstance(ctx, dict) and isinstance(ctx.get("http"), dict):
        method = ctx["http"].get("method")  # HTTP API (payload v2) and function URLs
    if isinstance(method, str) and method.upper() != "POST":
        raise _Refusal(
            405,
            f'method {method.upper()} is not allowed: send POST with a JSON body like {{"input": ...}}',
            {"Allow": "POST"},
        )


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _parse_input(event: Any) -> Any:
    """The ``input`` member of the request, or a _Refusal naming what is wrong with the request."""
    if not isinstance(event, dict):
        raise _Refusal(
            400, f'the event must be a JSON object (API Gateway event or {{"input": ...}}), not {_kind(event)}'
        )
    if "body" in event or "httpMethod" in event or "requestContext" in event:
        payload = _body(event)
    elif "input" in event:
        payload = event  # a direct invocation: the console's test button, or the Lambda Invoke API
    else:
        keys = ", ".join(sorted(str(k)[:40] for k in event)[:5]) or "none"
        raise _Refusal(
            400,
            f'the event has neither an API Gateway "body" nor an "input" member (its keys: {keys}); '
            'send {"input": <data to predict on>}',
        )
    if not isinstance(payload, dict):
        raise _Refusal(400, f'the request body must be a JSON object like {{"input": ...}}, not {_kind(payload)}')
    if "input" not in payload:
        keys = ", ".join(sorted(str(k)[:40] for k in payload)[:5]) or "none"
        raise _Refusal(400, f'the request body has no "input" member (its keys: {keys}); send {{"input": ...}}')
    if payload["input"] is None:
        raise _Refusal(400, '"input" is null; send the data to predict on, e.g. {"input": {"text": "Hello AI!"}}')
    return payload["input"]


def _body(event: dict[str, Any]) -> Any:
    body = event.get("body")
    if body is None:
        raise _Refusal(400, 'the request has no body; send a JSON body like {"input": {"text": "Hello AI!"}}')
    if not isinstance(body, str):
        return body  # a test event that gives the body as an object (or another JSON value) already
    if event.get("isBase64Encoded") is True:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _Refusal(400, f"the request body is marked base64-encoded but is not valid base64 ({exc})") from exc
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Refusal(400, f"the request body is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if not body.strip():
        raise _Refusal(400, 'the request body is empty; send a JSON body like {"input": {"text": "Hello AI!"}}')
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _Refusal(
            400, f"the request body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc
    except ValueError as exc:
        raise _Refusal(400, f"the request body is not valid JSON ({exc})") from exc
    except RecursionError as exc:
        raise _Refusal(400, "the request body is nested too deeply to be read") from exc


def _input_text(input_data: Any) -> str:
    try:
        return json.dumps(input_data, allow_nan=False)
    except ValueError as exc:  # NaN or Infinity given by a direct invocation
        raise _Refusal(400, f'"input" cannot be sent as JSON ({exc})') from exc
    except RecursionError as exc:
        raise _Refusal(400, '"input" is nested too deeply to be sent') from exc


# --- the endpoint -----------------------------------------------------------------------------------


def _invoke(endpoint: str, input_text: str) -> Any:
    try:
        response = client("sagemaker-runtime").invoke_endpoint(
            EndpointName=endpoint, ContentType="application/json", Accept="application/json", Body=input_text
        )
        raw = response["Body"].read()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code") or "UnknownError"
        http = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        transient = http >= 500 or http == 429 or "Throttl" in code or code in ("ModelNotReadyException",)
        message = f"endpoint {endpoint} failed: {code}: {error.get('Message') or exc}"
        raise _EndpointFailure(503 if transient else 502, code, message[:ERROR_MESSAGE_LIMIT]) from exc
    except (HTTPClientError, BotoConnectionError) as exc:  # timeouts, refused or dropped connections
        message = f"endpoint {endpoint} did not answer in time or could not be reached: {exc}"
        raise _EndpointFailure(503, type(exc).__name__, message[:ERROR_MESSAGE_LIMIT]) from exc
    except BotoCoreError as exc:  # no region, no credentials, ...
        message = f"endpoint {endpoint} could not be called: {exc}"
        raise _EndpointFailure(502, type(exc).__name__, message[:ERROR_MESSAGE_LIMIT]) from exc
    except Exception as exc:  # anything else on the way (a broken stream, ...): still answered and recorded
        message = f"endpoint {endpoint} call failed: {type(exc).__name__}: {exc}"
        raise _EndpointFailure(502, type(exc).__name__, message[:ERROR_MESSAGE_LIMIT]) from exc
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        shown = raw[:200].decode("utf-8", "replace")
        message = f"endpoint {endpoint} answered with a body that is not JSON: {shown!r}"
        raise _EndpointFailure(502, "InvalidEndpointResponse", message[:ERROR_MESSAGE_LIMIT]) from exc


# --- the record ---------------------------------------------------------------------------------------


def iso_utc(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and Z (sorts as text): 2025-10-01T10:20:30.123Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _item(
    *,
    request_id: str,
    arrived: datetime,
    endpoint: str,
    input_text: str,
    prediction: Any,
    latency_ms: int,
    status_code: int,
    failure: _EndpointFailure | None,
    function_name: str | None,
    ttl_days: float | None,
) -> dict[str, dict[str, Any]]:
    prediction_text = json.dumps(prediction)  # ASCII (ensure_ascii), so len() is the size in bytes
    stored_input, stored_prediction = _fit(input_text, prediction_text, RECORD_TEXT_BUDGET)
    item: dict[str, dict[str, Any]] = {
        "requestId": {"S": request_id},
        "timestamp": {"S": iso_utc(arrived)},
        "modelName": {"S": endpoint},
        "inputData": {"S": stored_input},
        "prediction": {"S": stored_prediction},
        "latencyMs": {"N": str(latency_ms)},
        "status": {"S": "error" if failure else "ok"},
        "statusCode": {"N": str(status_code)},
        "inputBytes": {"N": str(len(input_text))},
    }
    if function_name:
        item["functionName"] = {"S": function_name}
    if failure:
        item["errorCode"] = {"S": failure.code}
        item["errorMessage"] = {"S": failure.message[:ERROR_MESSAGE_LIMIT]}
    if len(stored_input) < len(input_text):
        item["inputTruncated"] = {"BOOL": True}
    if len(stored_prediction) < len(prediction_text):
        item["predictionTruncated"] = {"BOOL": True}
        item["predictionBytes"] = {"N": str(len(prediction_text))}
    if ttl_days:
        item["expiresAt"] = {"N": str(int(arrived.timestamp() + ttl_days * 86_400))}
    return item


def _fit(input_text: str, prediction_text: str, budget: int) -> tuple[str, str]:
    """Cut the two texts so that together they take at most ``budget`` bytes; the smaller one is kept whole."""
    if len(input_text) + len(prediction_text) <= budget:
        return input_text, prediction_text
    prediction_room = min(len(prediction_text), max(budget - len(input_text), budget // 2))
    input_room = min(len(input_text), budget - prediction_room)
    return input_text[:input_room], prediction_text[:prediction_room]


def _record(table: str, item: dict[str, dict[str, Any]]) -> tuple[str, str | None]:
    """PutItem that never overwrites. Returns (outcome, error): written, already-recorded, duplicate or failed."""
    try:
        client("dynamodb").put_item(
            TableName=table,
            Item=item,
            ConditionExpression="attribute_not_exists(requestId)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return "written", None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ConditionalCheckFailedException":
            # Our own earlier attempt landed when its answer was lost (a retried timeout): same item.
            return ("already-recorded" if exc.response.get("Item") == item else "duplicate"), None
        return "failed", f"{error.get('Code')}: {error.get('Message') or exc}"[:ERROR_MESSAGE_LIMIT]
    except BotoCoreError as exc:  # timeouts, connection errors, no credentials
        return "failed", f"{type(exc).__name__}: {exc}"[:ERROR_MESSAGE_LIMIT]


# --- logs, metrics, response ----------------------------------------------------------------------------


class _RequestLog:
    """The request's log fields; emit() writes the structured line and the EMF line, both carrying requestId."""

    def __init__(self, request_id: str, context: Any, arrived: datetime) -> None:
        self.request_id = request_id
        self.arrived = arrived
        self.fields: dict[str, Any] = {
            "requestId": request_id,
            "awsRequestId": getattr(context, "aws_request_id", None),
            "functionName": getattr(context, "function_name", None) or os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
            "timestamp": iso_utc(arrived),
            "modelName": os.environ.get(ENV_ENDPOINT, "").strip() or None,
            "status": None,
            "statusCode": None,
            "latencyMs": None,
            "inputBytes": None,
            "recorded": None,
        }

    def emit(self, level: str, message: str) -> None:
        line = {"level": level, "message": message, **self.fields}
        _write_line(line)
        _write_line(self._metrics())

    def _metrics(self) -> dict[str, Any]:
        status_code = self.fields["statusCode"] or 500
        values = {
            "SuccessCount": int(status_code == 200),
            "ErrorCount": int(status_code >= 500),
            "InvalidRequestCount": int(400 <= status_code < 500),
            "UnrecordedCount": int(self.fields["recorded"] == "failed"),
        }
        metrics = [{"Name": name, "Unit": "Count"} for name in values]
        if self.fields["latencyMs"] is not None:
            values = {"LatencyMs": self.fields["latencyMs"], **values}
            metrics.insert(0, {"Name": "LatencyMs", "Unit": "Milliseconds"})
        return {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {"Namespace": METRIC_NAMESPACE, "Dimensions": [[METRIC_DIMENSION]], "Metrics": metrics}
                ],
            },
            METRIC_DIMENSION: self.fields["modelName"] or "(not configured)",
            **values,
            "requestId": self.request_id,
            "functionName": self.fields["functionName"],
        }


def _write_line(obj: dict[str, Any]) -> None:
    line = json.dumps(obj, separators=(",", ":"), default=str) + "\n"
    with _stdout_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def _response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _create_clients_during_init() -> None:
    """Inside Lambda, create the clients while the execution environment initializes, as AWS advises.

    Elsewhere (tests, notebooks, a bare import) they are created on first use. A failure here is not
    hidden: it is logged, and the first request creates the clients again and reports the error.
    """
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return
    try:
        client("sagemaker-runtime")
        client("dynamodb")
    except Exception as exc:
        reset_clients(session=True)
        _write_line({"level": "WARNING", "message": f"clients not created during init: {type(exc).__name__}: {exc}"})


_create_clients_during_init()
