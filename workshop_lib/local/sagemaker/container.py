"""The SageMaker scikit-learn container's request handling (1.2-1, Flask worker), in the cloud process:
``input_fn(body, content_type)``, ``predict_fn(data, model)``, ``output_fn(prediction, accept)``, and what its
Flask 1.1 worker makes of the result. An exception in the script gives the container's 500 HTML page; its
traceback goes to the endpoint's log. A request without Content-Type reaches the script as application/json, the
container's default (what AWS forwards in that case is not documented).
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.test import run_wsgi_app
from werkzeug.wrappers import Request

from .models import JSON, ServedModel

_UTF8_TYPES = ("application/json", "text/csv")  # the container hands these to input_fn as str, others as bytes
# What the container's Flask 1.1 / Werkzeug 0.15 worker answers when the script raises.
CONTAINER_500_BODY = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
    "<title>500 Internal Server Error</title>\n"
    "<h1>Internal Server Error</h1>\n"
    "<p>The server encountered an internal error and was unable to complete your request. "
    "Either the server is overloaded or there is an error in the application.</p>\n"
)



@dataclass
class Outcome:
    """The container's HTTP answer."""

    status: int
    body: bytes
    content_type: str


def server_error() -> Outcome:
    return Outcome(500, CONTAINER_500_BODY.encode(), "text/html")


def transform(served: ServedModel, request: Request, body: bytes, log: Callable[[str], None]) -> Outcome:
    """The container's request handling: input_fn -> predict_fn -> output_fn, result to HTTP."""
    content_type = request.headers.get("Content-Type") or JSON
    accept = request.headers.get("Accept") or ""
    if not accept or accept == "*/*":
        accept = served.default_accept
    content: Any = body.decode("utf-8", errors="replace") if content_type in _UTF8_TYPES else body
    module = served.module
    try:
        data = module.input_fn(content, content_type)
        prediction = module.predict_fn(data, served.model)
        result = module.output_fn(prediction, accept)
        return to_http(result, request)
    except Exception:  # noqa: BLE001 - the container answers 500 and logs the traceback
        log(traceback.format_exc())
        return server_error()


def to_http(result: Any, request: Request) -> Outcome:
    """What the container's Flask 1.1 worker makes of output_fn's return value."""
    if isinstance(result, tuple):  # sagemaker-containers: (body, mimetype)
        data, mimetype = result[0], result[1]
        return Outcome(200, data.encode("utf-8") if isinstance(data, str) else bytes(data), str(mimetype))
    if isinstance(result, str):
        return Outcome(200, result.encode("utf-8"), "text/html; charset=utf-8")
    if isinstance(result, (bytes, bytearray)):
        return Outcome(200, bytes(result), "text/html; charset=utf-8")
    if isinstance(result, dict):
        return Outcome(200, json.dumps(result).encode("utf-8"), JSON)
    if callable(result):  # a WSGI application, run as the response
        app_iter, status, headers = run_wsgi_app(result, dict(request.environ))
        try:
            data = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        return Outcome(int(status.split()[0]), data, headers.get("Content-Type", "text/html"))
    raise TypeError(f"output_fn returned {type(result).__name__}, which the container cannot send")

