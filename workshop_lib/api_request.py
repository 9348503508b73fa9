"""Testing the workshop's API as the workshop does: its curl command, and a POST with the seed's payload.

A stage just deployed, or a function whose permission was just added, answers 5xx for a few seconds
on AWS: send_test_request() retries API Gateway's own 5xx answers for up to ``STAGE_WAIT_S``.
"""

from __future__ import annotations

import json
import shlex
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import waiting
from .errors import InvalidInput, LocalCloudError, ResourceNotFound, WaitTimeout
from .i18n import _

SEED_PAYLOAD: dict[str, Any] = {"input": {"text": "Hello AI!"}}
STAGE_WAIT_S = 30.0  # a fresh stage or permission answers 5xx for a few seconds: retried this long
_GATEWAY_5XX = (500, 502, 503, 504)


@dataclass(frozen=True)
class TestResponse:
    """What send_test_request() got back."""

    __test__ = False  # not a pytest test class

    status: int
    headers: dict[str, str]
    body: Any  # the parsed JSON document, else the text (bytes when it is not UTF-8)
    elapsed_ms: float  # round trip, from sending the request to the last byte of the answer
    raw: bytes = field(default=b"", repr=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        """A response header, whatever the case of its name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    @property
    def request_id(self) -> str | None:
        """API Gateway's request id (``x-amzn-RequestId``), the one its logs show."""
        return self.header("x-amzn-RequestId")


def _payload_bytes(payload: Any) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8")
    try:
        return json.dumps(payload).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            _("the payload cannot be sent as JSON: {exc}").format(exc=exc),
            resource="payload",
            fix=_('pass a dict such as {"input": {"text": "Hello AI!"}}, a JSON string, or bytes'),
        ) from exc


def _check_url(url: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(
            _("{url!r} is not an http(s) URL").format(url=url),
            resource="url",
            fix=_("use invoke_url() (or ApiInfo.invoke_url from create_rest_api())"),
        )
    return url


def curl_command(url: str, payload: Any = None) -> str:
    """The workshop's curl command for ``url`` (POSIX shell quoting: macOS, Linux, Git Bash, WSL)."""
    data = _payload_bytes(SEED_PAYLOAD if payload is None else payload).decode("utf-8")
    return f'curl -X POST -H "Content-Type: application/json" -d {shlex.quote(data)} {shlex.quote(_check_url(url))}'


def _parse_body(raw: bytes, content_type: str) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    if "json" in content_type.lower() or text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass  # not JSON after all: the text is the body
    return text


def send_test_request(
    url: str,
    payload: Any = None,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 35,
    retry_5xx_for: float = STAGE_WAIT_S,
) -> TestResponse:
    """POST ``payload`` (default: the workshop's ``{"input": {"text": "Hello AI!"}}``) to ``url`` as JSON.

    Returns the status, headers, parsed body and round-trip time; an HTTP error status is a response,
    not an exception. ``timeout`` (seconds) is longer than API Gateway's own 29 s limit by default.
    A stage just deployed (or a permission just added) answers 5xx for a few seconds: an answer of API
    Gateway's own (a 5xx whose body is only ``{"message": ...}``, not the function's) is retried for up
    to ``retry_5xx_for`` seconds (0: never), after which that answer is returned.
    """
    _check_url(url)
    data = _payload_bytes(SEED_PAYLOAD if payload is None else payload)
    if retry_5xx_for <= 0:
        return _post(url, data, headers, timeout)
    last: list[TestResponse] = []

    def attempt() -> TestResponse | waiting.NotYet:
        response = _post(url, data, headers, timeout)
        if not _gateway_5xx(response):
            return response
        last[:] = [response]
        return waiting.NotYet(f"{response.status} {response.body.get('message')}")

    try:
        return waiting.poll(
            attempt,
            what=f"the API at {url} to answer (a new stage answers 5xx for a few seconds)",
            timeout=retry_5xx_for,
            fix="",
            rule=waiting.API_STAGE,
            backoff=waiting.Backoff(first=0.5, factor=1.5, cap=2.0),
        )
    except WaitTimeout:
        return last[-1]


def _gateway_5xx(response: TestResponse) -> bool:
    """A 5xx API Gateway answered itself (body ``{"message": ...}`` only), not the function's own answer."""
    body = response.body
    return response.status in _GATEWAY_5XX and isinstance(body, dict) and set(body) == {"message"}


def _post(url: str, data: bytes, headers: dict[str, str] | None, timeout: float) -> TestResponse:
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    host = urlsplit(url).hostname or ""
    local = host in ("127.0.0.1", "localhost", "::1")
    # No HTTP proxy for the local cloud (a proxy set in the environment cannot reach this machine's loopback).
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({})) if local else urllib.request.build_opener()
    start = time.perf_counter()
    try:
        with opener.open(request, timeout=timeout) as resp:
            status, resp_headers, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, resp_headers, raw = err.code, err.headers, err.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if local:
            raise LocalCloudError(
                _("nothing answers at {url}: {reason}").format(url=url, reason=reason),
                resource=url,
                fix=_("start the local cloud (`python -m workshop_lib up`), then take the URL from invoke_url()"),
            ) from exc
        raise ResourceNotFound(
            _("no answer from {url}: {reason}").format(url=url, reason=reason),
            resource=url,
            fix=_("check the URL (API id, region, stage) with invoke_url(), and your network connection"),
        ) from exc
    elapsed_ms = (time.perf_counter() - start) * 1000
    header_map: dict[str, str] = {}
    for name, value in resp_headers.items():
        header_map[name] = f"{header_map[name]}, {value}" if name in header_map else value
    body = _parse_body(raw, resp_headers.get("Content-Type", ""))
    return TestResponse(status, header_map, body, elapsed_ms, raw)
