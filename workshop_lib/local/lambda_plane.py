"""The local cloud's Lambda Invoke API: ``POST /2015-03-31/functions/{name}/invocations``.

It runs the function moto stores (the deployed zip and configuration) on the kit's worker
processes, instead of moto, which would need Docker. Everything else of the Lambda API (create,
update, configuration, versions, aliases) stays with moto.

Answers in AWS's shapes: 200 with the payload; a function error with ``X-Amz-Function-Error:
Unhandled`` and the error document; ``X-Amz-Log-Result`` (the last 4 KB of the log, base64) for
``LogType=Tail``; 202 for ``Event`` (run in the background) and 204 for ``DryRun``; API errors with
``x-amzn-ErrorType``: 404 ResourceNotFoundException, 413 RequestEntityTooLargeException (over
6 MB synchronous, 1 MB asynchronous), 400 InvalidRequestContentException (payload not JSON),
400 ValidationException / InvalidParameterValueException, 429 TooManyRequestsException,
502 InvalidRuntimeException (not a Python zip function) and InvalidZipFileException.

What it does not do: retries, destinations and dead-letter queues of asynchronous invocations,
response streaming (InvokeWithResponseStream), function URLs, resource-based policies (the IAM
guard decides who may invoke), event source mappings.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from .edge import CloudContext, signature_of
from .lambda_workers import (
    FunctionSpec,
    InvalidCode,
    Throttled,
    WorkerPool,
    concurrency_from_env,
    runtime_client_from_env,
)

log = logging.getLogger("workshop_lib.local.lambda")

INVOKE_PATH_RE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
FUNCTION_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
    r"([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
_NAME_RE = re.compile(
    r"^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):)?(?:(?P<account>\d{12}):)?"
    r"(?:function:)?(?P<name>[a-zA-Z0-9-_\.]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$"
)
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024  # 6,291,456 bytes
MAX_ASYNC_PAYLOAD = 1024 * 1024
MAX_CLIENT_CONTEXT = 3583
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
LOG_TYPES = ("None", "Tail")


@dataclass
class InvokeResult:
    """The Invoke API's answer (also what the API Gateway data plane gets from ``invoke``)."""

    status_code: int  # HTTP status the Invoke API answers with (200, 404, 413, 429, 500, ...)
    payload: bytes  # the function's result, or its error document, or the API error body
    function_error: str | None  # "Unhandled" when the function failed (X-Amz-Function-Error), else None
    request_id: str  # the Lambda request id (context.aws_request_id)
    executed_version: str = "$LATEST"
    error_code: str | None = None  # AWS error code when the Invoke API itself refused
    log_result: str | None = None  # base64 of the last 4 KB of the log, when LogType=Tail was asked


def _api_error(status: int, code: str, message: str, request_id: str, reason: str | None = None) -> InvokeResult:
    doc = {"Type": "User", "message": message}
    if reason:
        doc["Reason"] = reason
    return InvokeResult(status, json.dumps(doc).encode(), None, request_id, error_code=code)


def _trace_id(header: str | None) -> str:
    root = None
    for part in (header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "root" and value:
            root = value
    rand = os.urandom(20).hex()
    root = root or f"1-{int(time.time()):08x}-{rand[:24]}"
    return f"Root={root};Parent={rand[24:]};Sampled=0"


class LambdaDataPlane:
    """Lambda Invoke on the kit's workers (registered in server.DATA_PLANES)."""

    def __init__(self, ctx: CloudContext) -> None:
        self.ctx = ctx
        self.pool = WorkerPool(ctx, runtime_client=runtime_client_from_env(), concurrency=concurrency_from_env())
        self._background: set[threading.Thread] = set()

    # --- the DataPlane protocol ---------------------------------------------------------------

    def matches(self, request: Request) -> bool:
        return request.method == "POST" and INVOKE_PATH_RE.match(request.path) is not None

    def handle(self, request: Request) -> Response:
        match = INVOKE_PATH_RE.match(request.path)
        assert match is not None
        signature = signature_of(request)
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        result = self._invoke(
            match["name"],
            request.get_data(),
            qualifier=request.args.get("Qualifier"),
            invocation_type=invocation_type,
            log_type=request.headers.get("X-Amz-Log-Type", "None"),
            client_context=request.headers.get("X-Amz-Client-Context"),
            region=signature.region if signature else None,
            trace_header=request.headers.get("X-Amzn-Trace-Id"),
        )
        headers = {"Content-Type": "application/json", "x-amzn-RequestId": result.request_id}
        if result.error_code:
            headers["x-amzn-ErrorType"] = result.error_code
        elif result.status_code == 200:
            headers["X-Amz-Executed-Version"] = result.executed_version
            if result.function_error:
                headers["X-Amz-Function-Error"] = result.function_error
            if result.log_result is not None:
                headers["X-Amz-Log-Result"] = result.log_result
        return Response(result.payload, status=result.status_code, headers=headers)

    def close(self) -> None:
        self.pool.close()
        for thread in list(self._background):
            thread.join(timeout=1)

    # --- for other planes (API Gateway) ---------------------------------------------------------

    def invoke(
        self, function: str, payload: bytes, *, log_type: str = "None", client_context: str | None = None
    ) -> InvokeResult:
        """Run the function (name, partial or full ARN) synchronously, as the Invoke API does.

        ``client_context`` is the base64-encoded JSON the Invoke API takes in X-Amz-Client-Context.
        """
        return self._invoke(
            function,
            payload,
            qualifier=None,
            invocation_type="RequestResponse",
            log_type=log_type,
            client_context=client_context,
            region=None,
            trace_header=None,
        )

    # --- the Invoke operation -----------------------------------------------------------------

    def _invoke(
        self,
        function: str,
        payload: bytes,
        *,
        qualifier: str | None,
        invocation_type: str,
        log_type: str,
        client_context: str | None,
        region: str | None,
        trace_header: str | None,
    ) -> InvokeResult:
        request_id = str(uuid.uuid4())
        match = _NAME_RE.match(function or "")
        if match is None or len(function) > 170:
            return _api_error(
                400,
                "ValidationException",
                f"1 validation error detected: Value '{function}' at 'functionName' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}",
                request_id,
            )
        if invocation_type not in INVOCATION_TYPES:
            return _api_error(
                400,
                "ValidationException",
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy "
                "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
                request_id,
            )
        if log_type not in LOG_TYPES:
            return _api_error(
                400,
                "ValidationException",
                f"1 validation error detected: Value '{log_type}' at 'logType' failed to satisfy constraint: "
                "Member must satisfy enum value set: [Tail, None]",
                request_id,
            )
        name, name_qualifier = match["name"], match["qualifier"]
        if qualifier and name_qualifier and qualifier != name_qualifier:
            return _api_error(
                400,
                "InvalidParameterValueException",
                "The derived qualifier from the function name does not match the specified qualifier.",
                request_id,
            )
        qualifier = qualifier or name_qualifier
        region = match["region"] or region or self.ctx.region
        limit = MAX_ASYNC_PAYLOAD if invocation_type == "Event" else MAX_SYNC_PAYLOAD
        if len(payload) > limit:
            return _api_error(
                413,
                "RequestEntityTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
                request_id,
            )
        event = payload if payload.strip() else b"{}"
        try:
            json.loads(event)
        except ValueError as exc:
            return _api_error(
                400,
                "InvalidRequestContentException",
                f"Could not parse request body into json: Could not parse payload into json: {exc}",
                request_id,
            )
        decoded_context = None
        if client_context:
            try:
                decoded_context = base64.b64decode(client_context, validate=True).decode("utf-8")
                json.loads(decoded_context)
            except (binascii.Error, ValueError):
                return _api_error(
                    400,
                    "InvalidRequestContentException",
                    "Client context must be a valid Base64-encoded JSON object.",
                    request_id,
                )
            if len(client_context) > MAX_CLIENT_CONTEXT:
                return _api_error(
                    400,
                    "InvalidParameterValueException",
                    f"Client context must be smaller than {MAX_CLIENT_CONTEXT} bytes.",
                    request_id,
                )
        if match["account"] and match["account"] != self.ctx.account_id:
            return _api_error(404, "ResourceNotFoundException", f"Function not found: {function}", request_id)
        try:
            fn = self.ctx.backend("lambda", region).get_function(name, qualifier)
        except Exception as exc:  # noqa: BLE001 - moto's UnknownFunctionException and its kin
            message = getattr(exc, "message", None) or str(exc)
            if getattr(exc, "error_type", "") == "ResourceNotFoundException" or "not found" in message.lower():
                return _api_error(404, "ResourceNotFoundException", message, request_id)
            return _api_error(400, getattr(exc, "error_type", "InvalidParameterValueException"), message, request_id)
        spec = FunctionSpec.from_moto(fn)
        refused = self._refuse_unrunnable(fn, spec, request_id)
        if refused is not None:
            return refused
        if invocation_type == "DryRun":
            return InvokeResult(204, b"", None, request_id, executed_version=spec.version)
        invoked_arn = f"arn:aws:lambda:{spec.region}:{spec.account_id}:function:{spec.name}"
        if qualifier:
            invoked_arn += f":{qualifier}"
        run = dict(
            request_id=request_id,
            invoked_arn=invoked_arn,
            trace_id=_trace_id(trace_header),
            client_context=decoded_context,
        )
        if invocation_type == "Event":
            self._run_in_background(spec, event, run)
            return InvokeResult(202, b"", None, request_id, executed_version=spec.version)
        try:
            execution = self.pool.invoke(spec, event, want_tail=log_type == "Tail", **run)  # type: ignore[arg-type]
        except Throttled as exc:
            return _api_error(429, "TooManyRequestsException", str(exc), request_id, reason=exc.reason)
        except InvalidCode as exc:
            return _api_error(502, "InvalidZipFileException", str(exc), request_id)
        except (OSError, RuntimeError) as exc:  # no worker could be started (or the cloud is stopping)
            log.error("invocation %s of %s failed: %r", request_id, spec.name, exc)
            return _api_error(500, "ServiceException", f"The local cloud could not run {spec.name}: {exc}", request_id)
        return InvokeResult(
            200,
            execution.payload,
            execution.function_error,
            request_id,
            executed_version=execution.executed_version,
            log_result=execution.log_result,
        )

    def _refuse_unrunnable(self, fn: object, spec: FunctionSpec, request_id: str) -> InvokeResult | None:
        if getattr(fn, "package_type", "Zip") != "Zip":
            return _api_error(
                502,
                "InvalidRuntimeException",
                "The runtime or runtime version for this function is not supported: the local cloud runs .zip "
                "file archives only, not container images",
                request_id,
            )
        if not spec.runtime.startswith("python3"):
            return _api_error(
                502,
                "InvalidRuntimeException",
                "The runtime or runtime version for this function is not supported: the local cloud runs "
                f"Python functions only (python3.x), not {spec.runtime or 'a function without a Runtime'}",
                request_id,
            )
        if not spec.code:
            return _api_error(
                502,
                "InvalidZipFileException",
                f"Lambda was unable to unzip the deployment package of {spec.name}: "
                "the local cloud holds no code for it",
                request_id,
            )
        return None

    def _run_in_background(self, spec: FunctionSpec, event: bytes, run: dict[str, object]) -> None:
        def target() -> None:
            try:
                self.pool.invoke(spec, event, **run)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 - nobody waits for an Event invocation: log it
                log.error("asynchronous invocation %s of %s failed: %r", run["request_id"], spec.name, exc)
            finally:
                self._background.discard(threading.current_thread())

        thread = threading.Thread(target=target, name=f"lambda-event-{run['request_id']}", daemon=True)
        self._background.add(thread)
        thread.start()
