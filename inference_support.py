"""What keeps lambda_function.py safe to run: request checks, error answers, the record's extras, logs, clients.

Deployed beside lambda_function.py at the root of the same zip (standard library and boto3 only, as the AWS
Python runtime ships them). lambda_function.py keeps the workshop's flow; this module holds the machinery it
calls. Importing it never needs a region, credentials or environment variables. The contract of the two
together (requests, responses, the record, faults, logs and metrics, timeouts) is docs/lambda-function.md.
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
RECORD_TEXT_BUDGET = 100_000  # bytes of inputData + prediction kept in one record (docs/lambda-function.md)
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


# --- the clients ------------------------------------------------------------------------------------------


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


# --- answers ------------------------------------------------------------------------------------------------


def respond(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway proxy response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


class Refusal(Exception):
    """A request answered without calling the endpoint (4xx, or 500 for a misconfigured function)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class EndpointFailure(Exception):
    """The endpoint call failed: the HTTP status to answer (502 or 503), AWS's error code and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message[:ERROR_MESSAGE_LIMIT]

    def response(self, request_id: str) -> dict[str, Any]:
        """502, or 503 with Retry-After: the caller may try again later."""
        headers = {"Retry-After": "1"} if self.status == 503 else None
        return respond(self.status, {"error": self.message, "errorCode": self.code, "requestId": request_id}, headers)


# --- configuration and input ------------------------------------------------------------------------------


def read_config() -> tuple[str, str, float | None]:
    """ENDPOINT_NAME, DYNAMODB_TABLE and RECORD_TTL_DAYS (None when unset), read on every request; else a 500."""
    values = {}
    for name in (ENV_ENDPOINT, ENV_TABLE):
        value = os.environ.get(name, "").strip()
        if not value:
            state = "is empty" if name in os.environ else "is not set"
            raise Refusal(
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
            raise Refusal(
                500, f"the function is misconfigured: {ENV_TTL_DAYS}={raw_ttl!r} is not a number of days above 0"
            )
    return values[ENV_ENDPOINT], values[ENV_TABLE], ttl_days


def request_id_of(event: Any, context: Any) -> str:
    """API Gateway's requestContext.requestId, else the Lambda request id: both appear in the request's logs."""
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
        raise Refusal(
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


def request_body(event: Any) -> dict[str, Any]:
    """The request's JSON object, holding a non-null ``input``; a Refusal (405, 400) names what is wrong.

    The body of an API Gateway proxy event (REST v1 or HTTP v2; a JSON string, base64 when
    ``isBase64Encoded``, or already an object), or the event itself for a direct invocation
    ``{"input": ...}`` (the Lambda console's test button).
    """
    _check_method(event)
    if not isinstance(event, dict):
        raise Refusal(
            400, f'the event must be a JSON object (API Gateway event or {{"input": ...}}), not {_kind(event)}'
        )
    if "body" in event or "httpMethod" in event or "requestContext" in event:
        payload = _body(event)
    elif "input" in event:
        payload = event  # a direct invocation: the console's test button, or the Lambda Invoke API
    else:
        keys = ", ".join(sorted(str(k)[:40] for k in event)[:5]) or "none"
        raise Refusal(
            400,
            f'the event has neither an API Gateway "body" nor an "input" member (its keys: {keys}); '
            'send {"input": <data to predict on>}',
        )
    if not isinstance(payload, dict):
        raise Refusal(400, f'the request body must be a JSON object like {{"input": ...}}, not {_kind(payload)}')
    if "input" not in payload:
        keys = ", ".join(sorted(str(k)[:40] for k in payload)[:5]) or "none"
        raise Refusal(400, f'the request body has no "input" member (its keys: {keys}); send {{"input": ...}}')
    if payload["input"] is None:
        raise Refusal(400, '"input" is null; send the data to predict on, e.g. {"input": {"text": "Hello AI!"}}')
    return payload


def _body(event: dict[str, Any]) -> Any:
    body = event.get("body")
    if body is None:
        raise Refusal(400, 'the request has no body; send a JSON body like {"input": {"text": "Hello AI!"}}')
    if not isinstance(body, str):
        return body  # a test event that gives the body as an object (or another JSON value) already
    if event.get("isBase64Encoded") is True:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Refusal(400, f"the request body is marked base64-encoded but is not valid base64 ({exc})") from exc
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Refusal(400, f"the request body is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if not body.strip():
        raise Refusal(400, 'the request body is empty; send a JSON body like {"input": {"text": "Hello AI!"}}')
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise Refusal(
            400, f"the request body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc
    except ValueError as exc:
        raise Refusal(400, f"the request body is not valid JSON ({exc})") from exc
    except RecursionError as exc:
        raise Refusal(400, "the request body is nested too deeply to be read") from exc


def json_text(input_data: Any) -> str:
    """The input as JSON text, exactly the bytes sent to the endpoint; a Refusal (400) when it cannot be sent."""
    try:
        return json.dumps(input_data, allow_nan=False)
    except ValueError as exc:  # NaN or Infinity given by a direct invocation
        raise Refusal(400, f'"input" cannot be sent as JSON ({exc})') from exc
    except RecursionError as exc:
        raise Refusal(400, '"input" is nested too deeply to be sent') from exc


# --- the endpoint -----------------------------------------------------------------------------------------


def endpoint_failure(endpoint: str, exc: Exception) -> EndpointFailure:
    """What an exception of the endpoint call (InvokeEndpoint, reading its answer, json.loads) answers.

    503 when a retry may succeed (throttling, not ready, 5xx, a timeout, no connection), else 502 (no such
    endpoint or not InService, ModelError, access denied, an answer that is not JSON).
    """
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code") or "UnknownError"
        http = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        transient = http >= 500 or http == 429 or "Throttl" in code or code in ("ModelNotReadyException",)
        message = f"endpoint {endpoint} failed: {code}: {error.get('Message') or exc}"
        return EndpointFailure(503 if transient else 502, code, message)
    if isinstance(exc, HTTPClientError | BotoConnectionError):  # timeouts, refused or dropped connections
        message = f"endpoint {endpoint} did not answer in time or could not be reached: {exc}"
        return EndpointFailure(503, type(exc).__name__, message)
    if isinstance(exc, BotoCoreError):  # no region, no credentials, ...
        return EndpointFailure(502, type(exc).__name__, f"endpoint {endpoint} could not be called: {exc}")
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError | RecursionError):  # raised by json.loads
        if isinstance(exc, json.JSONDecodeError):
            shown = repr(exc.doc[:200])
        elif isinstance(exc, UnicodeDecodeError):
            shown = repr(exc.object[:200].decode("utf-8", "replace"))
        else:
            shown = "(JSON nested too deeply to be read)"
        message = f"endpoint {endpoint} answered with a body that is not JSON: {shown}"
        return EndpointFailure(502, "InvalidEndpointResponse", message)
    # anything else on the way (a broken stream, ...): still answered and recorded
    return EndpointFailure(502, type(exc).__name__, f"endpoint {endpoint} call failed: {type(exc).__name__}: {exc}")


# --- the record -------------------------------------------------------------------------------------------


def iso_utc(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and Z (sorts as text): 2025-10-01T10:20:30.123Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def fit_texts(input_text: str, prediction_text: str, budget: int = RECORD_TEXT_BUDGET) -> tuple[str, str]:
    """Cut the two texts so that together they take at most ``budget`` bytes; the smaller one is kept whole.

    Both are ASCII (json.dumps escapes the rest), so a character is a byte. A cut text is no longer JSON.
    """
    if len(input_text) + len(prediction_text) <= budget:
        return input_text, prediction_text
    prediction_room = min(len(prediction_text), max(budget - len(input_text), budget // 2))
    input_room = min(len(input_text), budget - prediction_room)
    return input_text[:input_room], prediction_text[:prediction_room]


def item_details(
    item: dict[str, dict[str, Any]],
    input_text: str,
    prediction_text: str,
    failure: EndpointFailure | None,
    ttl_days: float | None,
    log: RequestLog,
) -> dict[str, dict[str, Any]]:
    """The attributes the kit adds to the seed's six: status, sizes, error, truncation flags, TTL."""
    details: dict[str, dict[str, Any]] = {
        "status": {"S": "error" if failure else "ok"},
        "statusCode": {"N": str(failure.status if failure else 200)},
        "inputBytes": {"N": str(len(input_text))},
    }
    if log.function_name:
        details["functionName"] = {"S": log.function_name}
    if failure:
        details["errorCode"] = {"S": failure.code}
        details["errorMessage"] = {"S": failure.message}
    if len(item["inputData"]["S"]) < len(input_text):
        details["inputTruncated"] = {"BOOL": True}
    if len(item["prediction"]["S"]) < len(prediction_text):
        details["predictionTruncated"] = {"BOOL": True}
        details["predictionBytes"] = {"N": str(len(prediction_text))}
    if ttl_days:
        details["expiresAt"] = {"N": str(int(log.arrived.timestamp() + ttl_days * 86_400))}
    return details


def put_outcome(exc: ClientError | BotoCoreError, item: dict[str, dict[str, Any]]) -> tuple[str, str | None]:
    """(recorded, error) of a conditional PutItem that raised: already-recorded, duplicate, or failed."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        if error.get("Code") == "ConditionalCheckFailedException":
            # Our own earlier attempt landed when its answer was lost (a retried timeout): same item.
            return ("already-recorded" if exc.response.get("Item") == item else "duplicate"), None
        return "failed", f"{error.get('Code')}: {error.get('Message') or exc}"[:ERROR_MESSAGE_LIMIT]
    return "failed", f"{type(exc).__name__}: {exc}"[:ERROR_MESSAGE_LIMIT]  # timeouts, connections, credentials


# --- logs and metrics -------------------------------------------------------------------------------------


_SUMMARIES = {
    "written": "{what}, recorded",
    "already-recorded": "{what}, recorded by an earlier attempt",
    "duplicate": "{what}, NOT recorded: an item with this requestId exists and is kept",
    "failed": "{what}, NOT recorded: item in this line, marked for replay",
}


class RequestLog:
    """One request's identity and log fields; each outcome writes its JSON log line and its EMF line."""

    def __init__(self, event: Any, context: Any) -> None:
        self.arrived = datetime.now(UTC)
        self.request_id = request_id_of(event, context)
        self.timestamp = iso_utc(self.arrived)
        self.function_name = getattr(context, "function_name", None) or os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.fields: dict[str, Any] = {
            "requestId": self.request_id,
            "awsRequestId": getattr(context, "aws_request_id", None),
            "functionName": self.function_name,
            "timestamp": self.timestamp,
            "modelName": os.environ.get(ENV_ENDPOINT, "").strip() or None,
            "status": None,
            "statusCode": None,
            "latencyMs": None,
            "inputBytes": None,
            "recorded": None,
        }

    def note(self, **fields: Any) -> None:
        """Add fields to the request's log line (written once, when the request ends)."""
        self.fields.update(fields)

    def refused(self, refusal: Refusal) -> dict[str, Any]:
        """Log a request answered without calling the endpoint, and answer it."""
        config_error = refusal.status >= 500
        status = "error" if config_error else "invalid"
        self.note(status=status, statusCode=refusal.status, error=refusal.message)
        self.emit("ERROR" if config_error else "WARNING", "request refused")
        return respond(refusal.status, {"error": refusal.message, "requestId": self.request_id}, refusal.headers)

    def unexpected_error(self, exc: Exception) -> dict[str, Any]:
        """Log a bug that escaped the handler's flow, and answer a JSON 500."""
        self.note(status="error", statusCode=500, error=f"{type(exc).__name__}: {exc}"[:ERROR_MESSAGE_LIMIT])
        self.emit("ERROR", "unexpected error in the handler")
        return respond(500, {"error": "internal error in the inference function", "requestId": self.request_id})

    def inference(
        self,
        failure: EndpointFailure | None,
        recorded: str,
        record_error: str | None,
        table: str,
        item: dict[str, dict[str, Any]],
    ) -> None:
        """Log a request that reached the endpoint; an item not written goes into the line, marked for replay."""
        self.note(status="error" if failure else "ok", statusCode=failure.status if failure else 200, recorded=recorded)
        if failure:
            self.note(errorCode=failure.code, error=failure.message)
        if record_error:
            self.note(recordError=record_error, replay=REPLAY_MARKER, table=table, item=item)
        level = "ERROR" if failure or record_error else ("WARNING" if recorded == "duplicate" else "INFO")
        self.emit(level, _SUMMARIES[recorded].format(what="endpoint failed" if failure else "inference"))

    def emit(self, level: str, message: str) -> None:
        """Write the structured log line and the EMF line, both carrying requestId."""
        write_line({"level": level, "message": message, **self.fields})
        write_line(self._metrics())

    def _metrics(self) -> dict[str, Any]:
        status_code = self.fields["statusCode"] or 500
        values = {
            "SuccessCount": int(status_code == 200),
            "ErrorCount": int(status_code >= 500),
            "InvalidRequestCount": int(400 <= status_code < 500),
            "UnrecordedCount": int(self.fields["recorded"] == "failed"),
        }
        # StorageResolution 1: high-resolution metrics, so an alarm with a 10-second period reacts within seconds.
        metrics = [{"Name": name, "Unit": "Count", "StorageResolution": 1} for name in values]
        if self.fields["latencyMs"] is not None:
            values = {"LatencyMs": self.fields["latencyMs"], **values}
            metrics.insert(0, {"Name": "LatencyMs", "Unit": "Milliseconds", "StorageResolution": 1})
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


def write_line(obj: dict[str, Any]) -> None:
    """One JSON line on stdout (CloudWatch Logs), whole even when threads write at once."""
    line = json.dumps(obj, separators=(",", ":"), default=str) + "\n"
    with _stdout_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


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
        write_line({"level": "WARNING", "message": f"clients not created during init: {type(exc).__name__}: {exc}"})


_create_clients_during_init()
