"""The local Lambda data plane: Invoke runs the function moto stores on the kit's worker processes.

It runs the deployed zip and configuration on workers (see ``pool.py``) instead of moto, which would need
Docker. Everything else of the Lambda API (create, update, configuration, versions, aliases) stays with moto.

The Invoke API's checks, in AWS's order, each refusing with its own error (``exceptions.py``): the function
name's pattern, InvocationType and LogType (ValidationException), a qualifier that contradicts the name's
(InvalidParameterValueException), the payload's size (RequestEntityTooLargeException: over 6 MB synchronous,
1 MB asynchronous) and JSON (InvalidRequestContentException), the client context, another account or a missing
function (ResourceNotFoundException), a function the local cloud cannot run (InvalidRuntimeException: not a
Python zip function; InvalidZipFileException), then 204 for ``DryRun``, 202 for ``Event`` (run in the
background), or the run itself (TooManyRequestsException when no worker is free in time).

The function's resource policy is evaluated here too (``may_invoke``, with the one policy engine of
``core/policy.py``): API Gateway asks before it invokes a function for a method. With the timing model on, a
permission change takes effect seconds later (``permissions.py``), and log events reach CloudWatch Logs seconds
after they are written (``logs.py``).

What it does not do: retries, destinations and dead-letter queues of asynchronous invocations, response
streaming (InvokeWithResponseStream), function URLs, event source mappings. A signed Invoke call is decided by
the IAM guard (the caller's identity policies), not by the function's resource policy.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from ..core.context import CloudContext
from ..core.moto_seam import MotoBackends
from ..core.policy import Decision, PolicyRequest, decide
from ..core.records import FunctionNotFound
from ..core.timing import Timing
from .environment import check_runtime_client
from .exceptions import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    InvalidRuntimeException,
    InvalidZipFileException,
    LambdaError,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
    ServiceException,
    ValidationException,
)
from .logs import LogShipper
from .models import (
    FUNCTION_NAME_PATTERN,
    INVOCATION_TYPES,
    LOG_TYPES,
    MAX_ASYNC_PAYLOAD,
    MAX_CLIENT_CONTEXT,
    MAX_SYNC_PAYLOAD,
    NAME_RE,
    FunctionSpec,
    InvokeRequest,
    InvokeResult,
    RunContext,
    trace_id,
)
from .permissions import FunctionPolicies
from .pool import WorkerPool

log = logging.getLogger("workshop_lib.local.lambda")


class MetricsSink(Protocol):
    """What CloudWatch is told by the Lambda plane (``cloudwatch/metrics_writer.MetricsWriter``)."""

    def log_events(self, region: str, group: str, events: list[dict[str, Any]]) -> None: ...

    def lambda_invocation(self, region: str, function: str, outcome: str, duration_ms: float | None) -> None: ...


def _enum_error(value: str, member: str, allowed: str) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{allowed}]"
    )


def parse_function_name(req: InvokeRequest) -> re.Match[str]:
    """The function name's parts; raises the Invoke API's validation errors for the name, types and qualifier."""
    match = NAME_RE.match(req.function or "")
    if match is None or len(req.function) > 170:
        raise ValidationException(
            f"1 validation error detected: Value '{req.function}' at 'functionName' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}"
        )
    if req.invocation_type not in INVOCATION_TYPES:
        raise _enum_error(req.invocation_type, "invocationType", "Event, RequestResponse, DryRun")
    if req.log_type not in LOG_TYPES:
        raise _enum_error(req.log_type, "logType", "Tail, None")
    if req.qualifier and match["qualifier"] and req.qualifier != match["qualifier"]:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return match


def parse_event(payload: bytes, invocation_type: str) -> bytes:
    """The event the runtime gets (``{}`` for an empty payload); raises for a payload too large or not JSON."""
    limit = MAX_ASYNC_PAYLOAD if invocation_type == "Event" else MAX_SYNC_PAYLOAD
    if len(payload) > limit:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
        )
    event = payload if payload.strip() else b"{}"
    try:
        json.loads(event)
    except ValueError as exc:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: {exc}"
        ) from None
    return event


def parse_client_context(client_context: str | None) -> str | None:
    """The decoded client context (JSON text), None when there is none; raises when it is not usable."""
    if not client_context:
        return None
    try:
        decoded = base64.b64decode(client_context, validate=True).decode("utf-8")
        json.loads(decoded)
    except (binascii.Error, ValueError):
        raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.") from None
    if len(client_context) > MAX_CLIENT_CONTEXT:
        raise InvalidParameterValueException(f"Client context must be smaller than {MAX_CLIENT_CONTEXT} bytes.")
    return decoded


def refuse_unrunnable(spec: FunctionSpec) -> None:
    """Raise the error AWS gives for a function the local cloud cannot run."""
    unsupported = "The runtime or runtime version for this function is not supported: the local cloud runs "
    if spec.package_type != "Zip":
        raise InvalidRuntimeException(unsupported + ".zip file archives only, not container images")
    if not spec.runtime.startswith("python3"):
        raise InvalidRuntimeException(
            unsupported + f"Python functions only (python3.x), not {spec.runtime or 'a function without a Runtime'}"
        )
    if not spec.code:
        raise InvalidZipFileException(
            f"Lambda was unable to unzip the deployment package of {spec.name}: the local cloud holds no code for it"
        )


class LambdaDataPlane:
    """Lambda Invoke on the kit's workers, and the function resource-policy check."""

    def __init__(
        self,
        ctx: CloudContext,
        backends: MotoBackends,
        timing: Timing | None = None,
        metrics: MetricsSink | None = None,
    ) -> None:
        self.ctx = ctx
        self.backends = backends
        timing = timing or Timing()
        self.policies = FunctionPolicies(timing)  # resource policies as invokers see them (the timing model)
        settings = ctx.settings
        check_runtime_client(settings.lambda_runtime_client)
        self.pool = WorkerPool(
            ctx,
            backends,
            runtime_client=settings.lambda_runtime_client,
            concurrency=settings.lambda_concurrency,
            shipper=LogShipper(timing, metrics.log_events if metrics else None),
            on_invoked=metrics.lambda_invocation if metrics else None,
        )
        self._background: set[threading.Thread] = set()

    def invoke_api(self, req: InvokeRequest) -> InvokeResult:
        """The Invoke operation; raises a LambdaError (carrying the invocation's request id) when it refuses."""
        request_id = str(uuid.uuid4())
        try:
            return self._invoke(req, request_id)
        except LambdaError as error:
            error.request_id = request_id
            raise

    def invoke(
        self, function: str, payload: bytes, *, log_type: str = "None", client_context: str | None = None
    ) -> InvokeResult:
        """Run the function (name, partial or full ARN) synchronously, as the Invoke API does (for API Gateway).

        ``client_context`` is the base64-encoded JSON the Invoke API takes in X-Amz-Client-Context.
        """
        return self.invoke_api(InvokeRequest(function, payload, log_type=log_type, client_context=client_context))

    def may_invoke(self, function_arn: str, region: str, principal: str, source_arn: str) -> bool:
        """Whether the function's resource policy lets a service principal invoke it for ``source_arn``."""
        try:
            fn = self.backends.function(function_arn, region=region)
        except (FunctionNotFound, ValueError):
            return False  # a missing function is refused
        return function_policy_allows(self.policies.statements(fn), principal, source_arn, self.ctx.account_id)

    def close(self) -> None:
        self.pool.close()
        for thread in list(self._background):
            thread.join(timeout=1)

    def _invoke(self, req: InvokeRequest, request_id: str) -> InvokeResult:
        match = parse_function_name(req)
        event = parse_event(req.payload, req.invocation_type)
        client_context = parse_client_context(req.client_context)
        qualifier = req.qualifier or match["qualifier"]
        spec = self._function(req.function, match, qualifier, req.region)
        refuse_unrunnable(spec)
        if req.invocation_type == "DryRun":
            return InvokeResult(204, b"", None, request_id, executed_version=spec.version)
        invoked_arn = f"arn:aws:lambda:{spec.region}:{spec.account_id}:function:{spec.name}"
        if qualifier:
            invoked_arn += f":{qualifier}"
        run = RunContext(request_id, invoked_arn, trace_id(req.trace_header), client_context)
        if req.invocation_type == "Event":
            self._run_in_background(spec, event, run)
            return InvokeResult(202, b"", None, request_id, executed_version=spec.version)
        try:
            execution = self.pool.invoke(spec, event, run, want_tail=req.log_type == "Tail")
        except (OSError, RuntimeError) as exc:  # no worker could be started (or the cloud is stopping)
            log.error("invocation %s of %s failed: %r", request_id, spec.name, exc)
            raise ServiceException(f"The local cloud could not run {spec.name}: {exc}") from exc
        return InvokeResult(
            200,
            execution.payload,
            execution.function_error,
            request_id,
            executed_version=execution.executed_version,
            log_result=execution.log_result,
        )

    def _function(self, function: str, match: re.Match[str], qualifier: str | None, region: str | None) -> FunctionSpec:
        if match["account"] and match["account"] != self.ctx.account_id:
            raise ResourceNotFoundException(f"Function not found: {function}")
        try:
            return self.backends.function(match["name"], qualifier, region=match["region"] or region or None)
        except FunctionNotFound as exc:
            raise ResourceNotFoundException(str(exc)) from exc
        except ValueError as exc:
            raise InvalidParameterValueException(str(exc)) from exc

    def _run_in_background(self, spec: FunctionSpec, event: bytes, run: RunContext) -> None:
        def target() -> None:
            try:
                self.pool.invoke(spec, event, run)
            except Exception as exc:  # noqa: BLE001 - nobody waits for an Event invocation: log it
                log.error("asynchronous invocation %s of %s failed: %r", run.request_id, spec.name, exc)
            finally:
                self._background.discard(threading.current_thread())

        thread = threading.Thread(target=target, name=f"lambda-event-{run.request_id}", daemon=True)
        self._background.add(thread)
        thread.start()


def function_policy_allows(
    statements: Iterable[Mapping[str, Any]], principal: str, source_arn: str, account_id: str
) -> bool:
    """Whether a function's resource policy statements let ``principal`` invoke it for ``source_arn``."""
    request = PolicyRequest(
        "lambda:InvokeFunction",
        None,  # the policy is the function's own: its Resource is the function
        principal=principal,
        context={"aws:sourcearn": source_arn, "aws:sourceaccount": account_id},
    )
    return decide([{"Statement": list(statements)}], request) is Decision.ALLOW
