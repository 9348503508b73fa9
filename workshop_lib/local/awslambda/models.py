"""What the local Lambda service works with: a function as stored, an invocation asked for, its result."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

from ..core.records import StoredFunction

# A function as the Lambda API stored it (configuration and package): what a worker is built from. Two specs are
# equal when code and configuration are the same, so a change of either retires the warm workers.
FunctionSpec = StoredFunction

INVOKE_PATH_RE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
FUNCTION_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
    r"([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
NAME_RE = re.compile(
    r"^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):)?(?:(?P<account>\d{12}):)?"
    r"(?:function:)?(?P<name>[a-zA-Z0-9-_\.]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$"
)
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024  # 6,291,456 bytes
MAX_ASYNC_PAYLOAD = 1024 * 1024
MAX_CLIENT_CONTEXT = 3583
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
LOG_TYPES = ("None", "Tail")
APIGATEWAY_PRINCIPAL = "apigateway.amazonaws.com"


@dataclass(frozen=True)
class InvokeRequest:
    """One call of the Invoke API, as the caller sent it."""

    function: str  # name, partial or full ARN, optionally with ":qualifier"
    payload: bytes
    qualifier: str | None = None
    invocation_type: str = "RequestResponse"
    log_type: str = "None"
    client_context: str | None = None  # base64-encoded JSON (X-Amz-Client-Context)
    region: str | None = None  # the region the request was signed for
    trace_header: str | None = None  # X-Amzn-Trace-Id


@dataclass
class InvokeResult:
    """The Invoke API's answer when it ran (or accepted) the invocation; its refusals are LambdaErrors."""

    status_code: int  # 200, 202 (Event) or 204 (DryRun)
    payload: bytes  # the function's result, or its error document
    function_error: str | None  # "Unhandled" when the function failed (X-Amz-Function-Error), else None
    request_id: str  # the Lambda request id (context.aws_request_id)
    executed_version: str = "$LATEST"
    log_result: str | None = None  # base64 of the last 4 KB of the log, when LogType=Tail was asked


@dataclass
class Execution:
    """What one invocation produced, in the Invoke API's terms."""

    payload: bytes
    function_error: str | None
    executed_version: str
    log_result: str | None = None
    duration_ms: float | None = None  # the REPORT line's Duration (the AWS/Lambda Duration metric)


@dataclass(frozen=True)
class RunContext:
    """What a worker hands the runtime with the event."""

    request_id: str
    invoked_arn: str
    trace_id: str
    client_context: str | None = None


def trace_id(header: str | None) -> str:
    """The X-Ray trace header the runtime gets: the caller's Root if it sent one, else a new one."""
    root = None
    for part in (header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "root" and value:
            root = value
    rand = os.urandom(20).hex()
    root = root or f"1-{int(time.time()):08x}-{rand[:24]}"
    return f"Root={root};Parent={rand[24:]};Sampled=0"
