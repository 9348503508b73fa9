"""The Lambda Runtime API (version 2018-06-01) one worker's runtime client talks to.

Each worker gets its own listener on 127.0.0.1 (``AWS_LAMBDA_RUNTIME_API`` is its ``host:port``): an instance
of the local cloud's own HTTP/1.1 server (``core/http_server.py``: keep-alive, TCP_NODELAY, a small thread
pool), serving the documented resources:

- ``GET  /2018-06-01/runtime/invocation/next`` blocks until an invocation is dispatched, then
  returns the event with ``Content-Type``, ``Lambda-Runtime-Aws-Request-Id``,
  ``Lambda-Runtime-Deadline-Ms``, ``Lambda-Runtime-Invoked-Function-Arn``,
  ``Lambda-Runtime-Trace-Id`` and, when given, ``Lambda-Runtime-Client-Context``;
- ``POST /2018-06-01/runtime/invocation/{id}/response`` and ``/{id}/error``: 202, or 400
  ``InvalidRequestID`` for an id that is not the current invocation, or 413 for a response over
  AWS's limit (6,291,556 bytes);
- ``POST /2018-06-01/runtime/init/error``: 202 before the first ``next``, 403 afterwards.

What it does not serve: the Extensions, Telemetry and Logs APIs, and SnapStart's
``restore/next`` and ``restore/error``.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...config import LOCAL_HOST
from ..core.http_server import WSGIServer

RUNTIME_API_VERSION = "2018-06-01"
_PREFIX = f"/{RUNTIME_API_VERSION}/runtime/"
NEXT_PATH = f"{_PREFIX}invocation/next"
INIT_ERROR_PATH = f"{_PREFIX}init/error"
MAX_RESPONSE_BYTES = 6_291_556  # the limit AWS names in Function.ResponseSizeTooLarge
_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


@dataclass(frozen=True)
class RuntimeReply:
    """How an invocation ended, as the worker's runtime (or the worker's death) reported it.

    ``kind`` is "response" (the result), "error" (the runtime's error document), "too_large" (a
    response over the limit), or "exit" (the process ended before answering).
    """

    kind: str
    body: bytes = b""
    content_type: str | None = None
    error_type: str | None = None


class Invocation:
    """One event handed to a runtime, and its outcome (the first outcome reported wins)."""

    def __init__(
        self,
        request_id: str,
        event: bytes,
        *,
        deadline_ms: int,
        function_arn: str,
        trace_id: str,
        client_context: str | None = None,
    ) -> None:
        self.request_id = request_id
        self.event = event
        self.deadline_ms = deadline_ms
        self.function_arn = function_arn
        self.trace_id = trace_id
        self.client_context = client_context
        self.outcome: RuntimeReply | None = None
        self.finished_at: float | None = None  # time.perf_counter()
        self._done = threading.Event()
        self._lock = threading.Lock()

    def finish(self, outcome: RuntimeReply) -> bool:
        """Record the outcome; False when another outcome was recorded first."""
        with self._lock:
            if self.outcome is not None:
                return False
            self.outcome = outcome
            self.finished_at = time.perf_counter()
        self._done.set()
        return True

    def wait(self, timeout: float | None) -> bool:
        return self._done.wait(timeout)

    def next_headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": self.request_id,
            "Lambda-Runtime-Deadline-Ms": str(self.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.function_arn,
            "Lambda-Runtime-Trace-Id": self.trace_id,
        }
        if self.client_context:
            headers["Lambda-Runtime-Client-Context"] = self.client_context
        return headers


def _error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


class RuntimeApiServer:
    """The Runtime API endpoint of one worker; ``address`` is what AWS_LAMBDA_RUNTIME_API holds."""

    def __init__(self, label: str = "worker") -> None:
        self._queue: queue.SimpleQueue[Invocation | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self.current: Invocation | None = None
        self.ready = threading.Event()  # set by the first `next` (init done) or by `init/error`
        self.initialized_at: float | None = None  # time.perf_counter() of the first `next`
        self.init_error: RuntimeReply | None = None
        self._server = WSGIServer(LOCAL_HOST, 0, self._app, max_threads=4)
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 1.0}, name=f"runtime-api-{label}", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{LOCAL_HOST}:{self.port}"

    def dispatch(self, invocation: Invocation) -> None:
        """Hand an invocation to the runtime (its pending or next `next` call receives it)."""
        self._queue.put(invocation)

    def close(self) -> None:
        """Stop listening and release a runtime blocked in `next` (it gets a 500 and should exit)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._queue.put(None)
        self._server.shutdown(timeout=2)
        self._thread.join(timeout=2)

    # --- called by the server's threads --------------------------------------------------------------------

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """The Runtime API as a WSGI application (the body is already read whole by the server)."""
        headers = {
            "content-type": environ.get("CONTENT_TYPE"),
            "lambda-runtime-function-error-type": environ.get("HTTP_LAMBDA_RUNTIME_FUNCTION_ERROR_TYPE"),
        }
        body = environ["wsgi.input"].read()
        status, reply, reply_headers = self._route(environ["REQUEST_METHOD"], environ["PATH_INFO"], headers, body)
        start_response(
            f"{status} {_REASONS.get(status, 'Error')}", [*reply_headers.items(), ("Content-Length", str(len(reply)))]
        )
        return [reply]

    def _route(
        self, method: str, path: str, headers: dict[str, str | None], body: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        json_headers = {"Content-Type": "application/json"}
        if method == "GET" and path == NEXT_PATH:
            invocation = self._next()
            if invocation is None:
                return 500, _error_body("Runtime.ExitError", "the local cloud stopped this worker"), json_headers
            return 200, invocation.event, invocation.next_headers()
        if method == "POST" and path == INIT_ERROR_PATH:
            status, reply = self._init_error(body, headers.get("lambda-runtime-function-error-type"))
            return status, reply, json_headers
        prefix = f"{_PREFIX}invocation/"
        if method == "POST" and path.startswith(prefix):
            request_id, _, action = path[len(prefix) :].partition("/")
            if request_id and action in ("response", "error"):
                status, reply = self._outcome(request_id, action, body, headers)
                return status, reply, json_headers
        return 404, _error_body("NotFound", f"no such resource: {method} {path}"), json_headers

    def _next(self) -> Invocation | None:
        if self.initialized_at is None:
            with self._lock:
                if self.initialized_at is None and self.init_error is None:
                    self.initialized_at = time.perf_counter()
            self.ready.set()
        invocation = self._queue.get()
        if invocation is None:
            self._queue.put(None)  # keep releasing any other waiter
            return None
        self.current = invocation
        return invocation

    def _init_error(self, body: bytes, error_type: str | None) -> tuple[int, bytes]:
        with self._lock:
            if self.initialized_at is not None or self.init_error is not None:
                return 403, _error_body("InvalidStateTransition", "init/error is only accepted during init")
            self.init_error = RuntimeReply("error", body, "application/json", error_type)
        self.ready.set()
        return 202, b'{"status":"OK"}'

    def _outcome(self, request_id: str, action: str, body: bytes, headers: Any) -> tuple[int, bytes]:
        invocation = self.current
        if invocation is None or invocation.request_id != request_id:
            return 400, _error_body("InvalidRequestID", "Invalid request ID")
        self.current = None
        if action == "response" and len(body) > MAX_RESPONSE_BYTES:
            invocation.finish(RuntimeReply("too_large"))
            return 413, _error_body(
                "RequestEntityTooLarge", f"Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
            )
        if action == "response":
            invocation.finish(RuntimeReply("response", body, headers.get("content-type")))
        else:
            error_type = headers.get("lambda-runtime-function-error-type")
            invocation.finish(RuntimeReply("error", body, headers.get("content-type"), error_type))
        return 202, b'{"status":"OK"}'
