"""A function's Lambda proxy response (statusCode, headers, multiValueHeaders, body, isBase64Encoded), checked
as API Gateway checks it and turned into the HTTP response, with ``x-amzn-RequestId``, ``x-amz-apigw-id`` and
``X-Amzn-Trace-Id``. Headers the server controls itself reach the client as ``x-amzn-Remapped-<name>``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Response

from .events import RequestIds, is_binary
from .exceptions import InternalServerErrorException, MalformedProxyResponse

log = logging.getLogger("workshop_lib.local.apigateway")

_PROXY_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
_REMAPPED_RESPONSE_HEADERS = frozenset({"connection", "content-length", "date", "server", "transfer-encoding"})


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: list[tuple[str, str]]
    body: str
    is_base64: bool


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    raise MalformedProxyResponse(f"header value {value!r} is not a string")


def parse_proxy_response(payload: bytes) -> ProxyResponse:
    """Check a function's result against the proxy response format; raise MalformedProxyResponse if off."""
    try:
        result = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedProxyResponse(f"the result is not JSON: {exc}") from exc
    if not isinstance(result, dict):
        raise MalformedProxyResponse(f"the result is a {type(result).__name__}, not an object")
    extra = set(result) - _PROXY_RESPONSE_KEYS
    if extra:
        raise MalformedProxyResponse(f"the result has keys a proxy response may not have: {sorted(extra)}")
    status = result.get("statusCode")
    if status is None:
        status = 200
    if isinstance(status, bool) or not isinstance(status, int | str):
        raise MalformedProxyResponse(f"statusCode {status!r} is not a number")
    try:
        status = int(status)
    except ValueError as exc:
        raise MalformedProxyResponse(f"statusCode {status!r} is not a number") from exc
    if not 100 <= status <= 599:
        raise MalformedProxyResponse(f"statusCode {status} is not an HTTP status")
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedProxyResponse("headers and multiValueHeaders must be objects")
    merged: dict[str, list[str]] = {str(k): [_header_value(v)] for k, v in single.items()}
    for key, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{key!r}] is not a list")
        merged[str(key)] = [_header_value(v) for v in values]  # multiValueHeaders wins for a key in both
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedProxyResponse(f"body is a {type(body).__name__}, not a string")
    encoded = result.get("isBase64Encoded")
    if encoded is not None and not isinstance(encoded, bool):
        raise MalformedProxyResponse(f"isBase64Encoded {encoded!r} is not a boolean")
    lines = [(k, v) for k, values in merged.items() for v in values]
    return ProxyResponse(status, lines, body or "", bool(encoded))



def to_http(proxy: ProxyResponse, accept: str, binary_media_types: tuple[str, ...], ids: RequestIds) -> Response:
    """The HTTP response of a proxy response (a base64 body is decoded when the client accepts a binary type)."""
    body: bytes
    if proxy.is_base64 and is_binary(accept.split(",")[0], binary_media_types):
        try:
            body = base64.b64decode(proxy.body, validate=True)
        except (binascii.Error, ValueError):
            log.warning("isBase64Encoded is true but the body is not base64")
            raise InternalServerErrorException(ids, status=502) from None
    else:
        body = proxy.body.encode("utf-8")
    resp = Response(body, status=proxy.status)
    resp.headers.clear()
    for name, value in proxy.headers:
        if name.lower() in _REMAPPED_RESPONSE_HEADERS:
            name = f"x-amzn-Remapped-{name}"
        resp.headers.add(name, value)
    if "Content-Type" not in resp.headers:
        resp.headers["Content-Type"] = "application/json"
    resp.headers["x-amzn-RequestId"] = ids.request_id
    resp.headers["x-amz-apigw-id"] = ids.extended_request_id
    resp.headers["X-Amzn-Trace-Id"] = ids.trace_id
    return resp
