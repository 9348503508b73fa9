"""One /invocations request through a loaded script, answered as the container's Flask 1.1.1 / Werkzeug 2.0.3 worker.

The worker reads Content-Type (``application/json`` when absent) and Accept (``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT``
when absent or ``*/*``), hands the body to input_fn as text for JSON and CSV, as bytes otherwise, and turns
output_fn's result into the response:

- a tuple: ``(body, content type)``;
- a str or bytes: that body, ``text/html; charset=utf-8``;
- a dict: Flask's ``jsonify`` (compact, keys sorted, ASCII, a trailing newline), ``application/json``;
- a WSGI application (a Werkzeug/Flask response, or any callable): run, its status, headers and body answered;
- anything else (a list, None, ...): a TypeError, so 500.

A content type of ``text/*`` gains ``; charset=utf-8`` (Werkzeug's rule). An exception in the script gives
Werkzeug's 500 page; its traceback goes to ``log``.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import email.utils
import json
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.test import EnvironBuilder, run_wsgi_app

from .defaults import UTF8_TYPES
from .script import LoadedScript

JSON = "application/json"
HTML = "text/html; charset=utf-8"
# Werkzeug 2.0.3's InternalServerError page, what the worker answers when the script raises.
SERVER_ERROR_BODY = (
    b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
    b"<title>500 Internal Server Error</title>\n"
    b"<h1>Internal Server Error</h1>\n"
    b"<p>The server encountered an internal error and was unable to complete your request. "
    b"Either the server is overloaded or there is an error in the application.</p>\n"
)
# Werkzeug 2.0's types that get a charset besides text/* and */*+xml.
_CHARSET_TYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    }
)


@dataclass(frozen=True)
class Outcome:
    """The container's HTTP answer."""

    status: int
    body: bytes
    content_type: str


def server_error() -> Outcome:
    return Outcome(500, SERVER_ERROR_BODY, HTML)


def content_type_for(mimetype: str) -> str:
    """The Content-Type Werkzeug sends for a response's mimetype."""
    if "charset=" in mimetype:
        return mimetype
    if mimetype.startswith("text/") or mimetype in _CHARSET_TYPES or mimetype.endswith("+xml"):
        return f"{mimetype}; charset=utf-8"
    return mimetype


def _flask_json_default(value: Any) -> Any:
    """Flask 1.1's JSONEncoder: dates as HTTP dates, UUIDs and __html__ as text, dataclasses as dicts."""
    if isinstance(value, datetime.date):
        return email.utils.formatdate(calendar.timegm(value.timetuple()), usegmt=True)
    if isinstance(value, uuid.UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def jsonify(value: dict[str, Any]) -> bytes:
    """Flask 1.1's jsonify body (outside debug mode)."""
    text = json.dumps(value, default=_flask_json_default, separators=(",", ":"), sort_keys=True, ensure_ascii=True)
    return (text + "\n").encode("utf-8")


def _body(data: Any) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    raise TypeError(f"a response body must be str or bytes, not {type(data).__name__}")


def _run_wsgi(app: Callable[..., Any], environ: dict[str, Any]) -> Outcome:
    app_iter, status, headers = run_wsgi_app(app, environ)
    try:
        data = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    return Outcome(int(status.split()[0]), data, headers.get("Content-Type", HTML))


def to_http(result: Any, environ: Callable[[], dict[str, Any]]) -> Outcome:
    """What the worker makes of output_fn's (or transform_fn's) return value; raises TypeError as Flask does."""
    if isinstance(result, tuple):  # sagemaker-containers: Response(response=result[0], mimetype=result[1])
        return Outcome(200, _body(result[0]), content_type_for(str(result[1])))
    if isinstance(result, (str, bytes, bytearray)):
        return Outcome(200, _body(result), HTML)
    if isinstance(result, dict):
        return Outcome(200, jsonify(result), JSON)
    if callable(result):
        return _run_wsgi(result, environ())
    raise TypeError(
        f"The view function did not return a valid response. The return type must be a string, dict, tuple, "
        f"Response instance, or WSGI callable, but it was a {type(result).__name__}."
    )


def _environ(body: bytes, content_type: str | None, accept: str | None) -> dict[str, Any]:
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    return EnvironBuilder(path="/invocations", method="POST", data=body, headers=headers).get_environ()


def invoke(
    loaded: LoadedScript,
    body: bytes,
    content_type: str | None,
    accept: str | None,
    log: Callable[[str], None],
) -> Outcome:
    """One /invocations request: the script's functions on the body, the worker's answer."""

    sent = (content_type, accept)  # the request's own headers, for a WSGI answer

    def environ() -> dict[str, Any]:
        return _environ(body, *sent)

    content_type = content_type or JSON
    if not accept or accept == "*/*":
        accept = loaded.default_accept
    content: Any = body.decode("utf-8", errors="replace") if content_type in UTF8_TYPES else body
    fns = loaded.functions
    try:
        with loaded.modules.active():
            if fns["transform_fn"] is not None:
                result = fns["transform_fn"](loaded.model, content, content_type, accept)
            else:
                data = fns["input_fn"](content, content_type)  # type: ignore[misc]
                prediction = fns["predict_fn"](data, loaded.model)  # type: ignore[misc]
                result = fns["output_fn"](prediction, accept)  # type: ignore[misc]
            return to_http(result, environ)
    except (Exception, SystemExit):  # noqa: BLE001 - the worker answers 500 and logs the traceback
        log(traceback.format_exc())
        return server_error()
