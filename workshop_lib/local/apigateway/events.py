"""The REST API (v1) Lambda proxy event, field by field as API Gateway builds it.

``resource``, ``path``, ``httpMethod``, ``headers`` and ``multiValueHeaders``, ``queryStringParameters`` and
``multiValueQueryStringParameters`` (the single maps hold the last value), ``pathParameters``,
``stageVariables``, ``requestContext`` (a fresh ``requestId`` per request, ``identity.sourceIp`` the caller, ...),
``body`` and ``isBase64Encoded`` (base64 when the Content-Type is one of the API's binaryMediaTypes); absent
values are null. ``requestContext.domainName`` has AWS's shape (``{api}.execute-api.{region}.amazonaws.com``)
while the ``Host`` header says where the request came in.
"""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request

from ..core.router import RAW_HEADERS_ENVIRON_KEY
from .models import Route

# Dropped from the event's headers (hop-by-hop, or set by API Gateway's front end itself).
_DROPPED_REQUEST_HEADERS = frozenset(
    {"content-length", "connection", "keep-alive", "transfer-encoding", "expect", "te"}
)
# Written with this case whatever case the client used (as API Gateway's front end does).
_CANONICAL_REQUEST_HEADERS = {
    name.lower(): name
    for name in ("Host", "User-Agent", "Authorization", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto")
}
# Response headers the server controls itself: a function's value is passed on as x-amzn-Remapped-<name>.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class RequestIds:
    """The identifiers API Gateway gives one request."""

    request_id: str
    extended_request_id: str
    trace_id: str
    epoch_ms: int

    @classmethod
    def new(cls) -> RequestIds:
        now = time.time()
        trace = f"Root=1-{int(now):08x}-{os.urandom(12).hex()}"
        extended = base64.b64encode(os.urandom(11)).decode()
        return cls(str(uuid.uuid4()), extended, trace, int(now * 1000))

    @property
    def request_time(self) -> str:
        """``requestContext.requestTime``: ``09/Apr/2015:12:34:56 +0000`` (UTC, English month)."""
        t = time.gmtime(self.epoch_ms / 1000)
        return (
            f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
        )


def request_header_lines(request: Request) -> list[tuple[str, str]]:
    """The request's header lines, as received when the server passes them, else from the WSGI environ."""
    raw = request.environ.get(RAW_HEADERS_ENVIRON_KEY)
    if raw is not None:
        return [(str(k), str(v)) for k, v in raw]
    return list(request.headers.items())


def parse_query(query: str) -> list[tuple[str, str]]:
    """Query parameters in order, percent-decoded (``+`` stays ``+``, as API Gateway leaves it)."""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return pairs


def _single_and_multi(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    if not multi:
        return None, None
    return {k: v[-1] for k, v in multi.items()}, multi


def media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def is_binary(content_type: str, binary_media_types: Iterable[str]) -> bool:
    """Whether a media type is one of the API's binaryMediaTypes (``*/*`` and ``type/*`` wildcards)."""
    kind = media_type(content_type)
    for pattern in binary_media_types:
        if pattern == "*/*" or pattern == kind:
            return True
        if kind and pattern.endswith("/*") and kind.split("/", 1)[0] == pattern[:-2]:
            return True
    return False


@dataclass(frozen=True)
class EventInput:
    """Everything about one request that the proxy event is built from."""

    api_id: str
    stage: str
    account_id: str
    region: str
    deployment_id: str
    http_method: str
    path: str  # the path after the stage, percent-decoded, starting with /
    query: str
    header_lines: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str
    port: int
    route: Route
    stage_variables: dict[str, str]
    binary_media_types: tuple[str, ...]
    ids: RequestIds
    access_key: str | None = None


def event_header_lines(req: EventInput) -> list[tuple[str, str]]:
    """The header lines the function sees: hop-by-hop ones dropped, API Gateway's own added."""
    lines: list[tuple[str, str]] = []
    forwarded_for = None
    for name, value in req.header_lines:
        lower = name.lower()
        if lower in _DROPPED_REQUEST_HEADERS:
            continue
        if lower == "x-forwarded-for":
            forwarded_for = value if forwarded_for is None else f"{forwarded_for}, {value}"
            continue
        lines.append((_CANONICAL_REQUEST_HEADERS.get(lower, name), value))
    lower_names = {name.lower() for name, _ in lines}
    if "x-amzn-trace-id" not in lower_names:
        lines.append(("X-Amzn-Trace-Id", req.ids.trace_id))
    lines.append(("X-Forwarded-For", f"{forwarded_for}, {req.source_ip}" if forwarded_for else req.source_ip))
    lines.append(("X-Forwarded-Port", str(req.port)))
    lines.append(("X-Forwarded-Proto", "http"))
    return lines


def build_event(req: EventInput) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy event, field by field as API Gateway builds it."""
    lines = event_header_lines(req)
    headers, multi_headers = _single_and_multi(lines)
    query, multi_query = _single_and_multi(parse_query(req.query))
    content_type = next((v for k, v in reversed(lines) if k.lower() == "content-type"), "")
    if not req.body:
        body, encoded = None, False
    elif is_binary(content_type, req.binary_media_types):
        body, encoded = base64.b64encode(req.body).decode("ascii"), True
    else:
        body, encoded = req.body.decode("utf-8", errors="replace"), False
    user_agent = next((v for k, v in reversed(lines) if k.lower() == "user-agent"), None)
    return {
        "resource": req.route.node.path,
        "path": req.path,
        "httpMethod": req.http_method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": req.route.path_parameters or None,
        "stageVariables": req.stage_variables or None,
        "requestContext": request_context(req, user_agent),
        "body": body,
        "isBase64Encoded": encoded,
    }


def request_context(req: EventInput, user_agent: str | None) -> dict[str, Any]:
    """The event's ``requestContext``."""
    return {
        "resourceId": req.route.node.resource_id,
        "resourcePath": req.route.node.path,
        "httpMethod": req.http_method,
        "extendedRequestId": req.ids.extended_request_id,
        "requestTime": req.ids.request_time,
        "path": f"/{req.stage}{req.path}",
        "accountId": req.account_id,
        "protocol": req.protocol,
        "stage": req.stage,
        "domainPrefix": req.api_id,
        "requestTimeEpoch": req.ids.epoch_ms,
        "requestId": req.ids.request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": req.account_id if req.access_key else None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": req.source_ip,
            "principalOrgId": None,
            "accessKey": req.access_key,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": user_agent,
            "user": None,
        },
        "domainName": f"{req.api_id}.execute-api.{req.region}.amazonaws.com",
        "deploymentId": req.deployment_id,
        "apiId": req.api_id,
    }
