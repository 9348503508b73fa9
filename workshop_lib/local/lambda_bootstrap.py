"""The kit's portable Python runtime client for Lambda workers (standard library only).

Run by file path, ``python lambda_bootstrap.py <module.function>``, inside a worker process whose
environment AWS_LAMBDA_RUNTIME_API points at the local cloud's Runtime API (2018-06-01). It
reproduces the observable behaviour of AWS's own runtime interface client, ``awslambdaric``
(which ships Linux wheels only): the handler lookup and its ``Runtime.*`` init error types and
messages, the context object, the event and result marshalling (``simplejson`` semantics:
``Decimal`` numbers, ``bytes`` and named tuples included), the error documents posted to
``/error`` and ``/init/error``, and the text log format (``[LEVEL]\\t<time>Z\\t<request id>\\t<msg>``
and ``[ERROR] Type: message`` with the traceback), written as frames on the telemetry log channel
(``_LAMBDA_TELEMETRY_LOG_FD``) as AWS's managed runtime has it, so that each record is one log event.
The kit's tests run every case through both clients and compare.

What it does not do: the JSON log format (``AWS_LAMBDA_LOG_FORMAT=JSON``) and log levels,
SnapStart hooks, the multi-concurrency (Lambda Managed Instances) mode, X-Ray segments.

It must not import ``workshop_lib`` (a handler must see the same modules it would see on AWS), so
it removes its own folder from ``sys.path`` and puts the task root first.
"""

from __future__ import annotations

import decimal
import importlib
import json
import logging
import math
import os
import socket
import sys
import time
import traceback
from typing import Any

_THIS_FILE = os.path.abspath(__file__)
RUNTIME_API_VERSION = "2018-06-01"
ERROR_LOG_LINE_TERMINATE = "\r"  # joins an error's lines on stdout (no telemetry channel)
ERROR_LOG_IDENT = "\u00a0"  # NO-BREAK SPACE, as awslambdaric indents traceback lines in the log
XRAY_ERROR_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
_NON_ASCII_RUNTIMES = {
    "AWS_Lambda_python3.12",
    "AWS_Lambda_python3.13",
    "AWS_Lambda_python3.14",
    "AWS_Lambda_python3.15",
}
_PREVIEW_RUNTIMES = {"AWS_Lambda_python3.15"}
_UNHANDLED_WARNING = (
    "LAMBDA_WARNING: "
    "Unhandled exception. "
    "The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, or can be "
    "applied automatically. "
    "To determine if the runtime has been updated, check the runtime version in the INIT_START log entry. "
    "If this error correlates with a change in the runtime version, you may be able to mitigate this error by "
    "temporarily rolling back to the previous runtime version. "
    "For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
)


class FaultException(Exception):
    """A runtime fault with one of AWS's ``Runtime.*`` error types."""

    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

    def __init__(self, exception_type: str, msg: str, trace: list[str] | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.exception_type = exception_type
        self.trace = trace


# --- JSON marshalling with simplejson's semantics (as awslambdaric configures it) ---------------


def _non_ascii() -> bool:
    return os.environ.get("AWS_EXECUTION_ENV") in _NON_ASCII_RUNTIMES


def _is_plain(obj: Any, path: set[int]) -> bool:
    """True when the stdlib's C encoder gives exactly what simplejson gives for ``obj``."""
    if obj is None or isinstance(obj, str | bool | int | float):
        return True
    if isinstance(obj, list | tuple | dict):
        if hasattr(obj, "_asdict") or id(obj) in path:
            return False  # named tuples become objects; cycles get simplejson's own error
        path.add(id(obj))
        try:
            if isinstance(obj, dict):
                return all(
                    (k is None or isinstance(k, str | bool | int | float)) and _is_plain(v, path)
                    for k, v in obj.items()
                )
            return all(_is_plain(v, path) for v in obj)
        finally:
            path.discard(id(obj))
    return False


def _default(obj: Any) -> Any:
    if isinstance(obj, decimal.Decimal):
        return math.nan if obj.is_nan() else _Raw(str(obj))
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


class _Raw:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _FullEncoder:
    """simplejson's encoding rules for the options awslambdaric uses, in pure Python."""

    def __init__(self, ensure_ascii: bool) -> None:
        self._str = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
        self._markers: dict[int, Any] = {}

    def _float(self, o: float) -> str:
        if o != o:
            return "NaN"
        if o == math.inf:
            return "Infinity"
        if o == -math.inf:
            return "-Infinity"
        return float.__repr__(float(o))

    def _key(self, key: Any) -> str:
        if isinstance(key, str):
            return key
        if isinstance(key, bytes):
            return str(key, "utf-8")
        if isinstance(key, float):
            return self._float(key)
        if key is True:
            return "true"
        if key is False:
            return "false"
        if key is None:
            return "null"
        if isinstance(key, int):
            return str(int(key))
        raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")

    def _mark(self, obj: Any) -> int:
        marker = id(obj)
        if marker in self._markers:
            raise ValueError("Circular reference detected")
        self._markers[marker] = obj
        return marker

    def encode(self, o: Any, out: list[str]) -> None:
        if isinstance(o, str):
            out.append(self._str(o))
        elif isinstance(o, bytes):
            out.append(self._str(str(o, "utf-8")))
        elif isinstance(o, _Raw):
            out.append(o.text)
        elif o is None:
            out.append("null")
        elif o is True:
            out.append("true")
        elif o is False:
            out.append("false")
        elif isinstance(o, int):
            out.append(str(int(o)))
        elif isinstance(o, float):
            out.append(self._float(o))
        else:
            self._encode_object(o, out)

    def _encode_object(self, o: Any, out: list[str]) -> None:
        as_dict = _call_method(o, "_asdict")
        if as_dict is not None:
            if not isinstance(as_dict[0], dict):
                raise TypeError(f"_asdict() must return a dict, not {type(as_dict[0]).__name__}")
            marker = self._mark(o)
            self._dict(as_dict[0], out)
            del self._markers[marker]
        elif isinstance(o, list | tuple):
            self._list(o, out)
        elif isinstance(o, dict):
            self._dict(o, out)
        else:
            marker = self._mark(o)
            self.encode(_default(o), out)
            del self._markers[marker]

    def _list(self, lst: list[Any] | tuple[Any, ...], out: list[str]) -> None:
        if not lst:
            out.append("[]")
            return
        marker = self._mark(lst)
        out.append("[")
        for i, value in enumerate(lst):
            if i:
                out.append(", ")
            self.encode(value, out)
        out.append("]")
        del self._markers[marker]

    def _dict(self, dct: dict[Any, Any], out: list[str]) -> None:
        if not dct:
            out.append("{}")
            return
        marker = self._mark(dct)
        out.append("{")
        for i, (key, value) in enumerate(dct.items()):
            if i:
                out.append(", ")
            out.append(self._str(self._key(key)))
            out.append(": ")
            self.encode(value, out)
        out.append("}")
        del self._markers[marker]


def _call_method(obj: Any, name: str) -> tuple[Any] | None:
    """simplejson's ``call_method``: the method's result in a 1-tuple, None when absent or a TypeError."""
    method = getattr(obj, name, None)
    if callable(method):
        try:
            return (method(),)
        except TypeError:
            pass
    return None


def to_json(obj: Any) -> str:
    """Encode ``obj`` exactly as awslambdaric's marshaller does (simplejson, use_decimal=False)."""
    ensure_ascii = not _non_ascii()
    if _is_plain(obj, set()):
        return json.dumps(obj, ensure_ascii=ensure_ascii, allow_nan=True)
    out: list[str] = []
    _FullEncoder(ensure_ascii).encode(obj, out)
    return "".join(out)


def unmarshal_request(request: bytes, content_type: str | None = "application/json") -> Any:
    if content_type != "application/json":
        return request
    try:
        return json.loads(request)
    except Exception as e:
        raise FaultException(FaultException.UNMARSHAL_ERROR, f"Unable to unmarshal input: {e}", None) from e


def marshal_response(response: Any) -> tuple[bytes | str, str]:
    if isinstance(response, bytes):
        return response, "application/unknown"
    try:
        return to_json(response), "application/json"
    except Exception as e:
        raise FaultException(FaultException.MARSHAL_ERROR, f"Unable to marshal response: {e}", None) from e


# --- The context object (same attributes, methods and repr as awslambdaric's) --------------------


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(["
            f"cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}"
            "])"
        )


class Client:
    __slots__ = ["app_package_name", "app_title", "app_version_code", "app_version_name", "installation_id"]

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(["
            f"installation_id={self.installation_id},"
            f"app_title={self.app_title},"
            f"app_version_name={self.app_version_name},"
            f"app_version_code={self.app_version_code},"
            f"app_package_name={self.app_package_name}"
            "])"
        )


class ClientContext:
    __slots__ = ["client", "custom", "env"]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}([custom={self.custom},env={self.env},client={self.client}])"


def make_obj_from_dict(_class: type, _dict: dict[str, Any] | None) -> Any:
    if _dict is None:
        return None
    obj = _class()
    for name in obj.__class__.__slots__:
        setattr(obj, name, _dict.get(name, None))
    return obj


W3C_ALLOWED_FIELDS = ("traceparent", "tracestate", "baggage")


class LambdaContext:
    """The handler's ``context`` argument."""

    def __init__(
        self,
        invoke_id: str,
        client_context: Any,
        cognito_identity: Any,
        epoch_deadline_time_in_ms: int,
        invoked_function_arn: str | None = None,
        tenant_id: str | None = None,
    ) -> None:
        self.aws_request_id = invoke_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self._w3c_fields = self._extract_and_strip_w3c(client_context)
        self.client_context = make_obj_from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = make_obj_from_dict(Client, self.client_context.client)
        self.identity = make_obj_from_dict(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._epoch_deadline_time_in_ms = epoch_deadline_time_in_ms

    def get_remaining_time_in_millis(self) -> int:
        delta_ms = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return delta_ms if delta_ms > 0 else 0

    def w3c(self) -> dict[str, str]:
        return dict(self._w3c_fields)

    @staticmethod
    def _extract_and_strip_w3c(client_context: Any) -> dict[str, str]:
        if not isinstance(client_context, dict) or "w3c" not in client_context:
            return {}
        raw_w3c = client_context.pop("w3c")
        if not isinstance(raw_w3c, dict):
            return {}
        return {key: raw_w3c[key] for key in W3C_ALLOWED_FIELDS if isinstance(raw_w3c.get(key), str)}

    def log(self, msg: Any) -> None:
        for handler in logging.getLogger().handlers:
            if hasattr(handler, "log_sink"):
                handler.log_sink.log(str(msg))
                return
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(["
            f"aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},"
            f"identity={self.identity},"
            f"tenant_id={self.tenant_id}"
            "])"
        )


# --- Logging ----------------------------------------------------------------------------------

_GLOBAL_AWS_REQUEST_ID: str | None = None
_GLOBAL_TENANT_ID: str | None = None


class Unbuffered:
    """Flush after every write, as the Lambda runtime does for stdout and stderr."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.stream, attr)

    def write(self, msg: str) -> None:
        self.stream.write(msg)
        self.stream.flush()

    def writelines(self, msgs: Any) -> None:
        self.stream.writelines(msgs)
        self.stream.flush()


# Frame types of the telemetry log channel (text format): 0xA55A0003 by default, 0xA55A0017 for errors.
DEFAULT_FRAME_TYPE = 0xA55A0003.to_bytes(4, "big")
ERROR_FRAME_TYPE = 0xA55A0017.to_bytes(4, "big")


class StandardLogSink:
    """Log records to stdout (the runtime was given no telemetry channel)."""

    def log(self, msg: str, frame_type: bytes | None = None) -> None:
        sys.stdout.write(msg)

    def log_error(self, message_lines: list[str]) -> None:
        sys.stdout.write(ERROR_LOG_LINE_TERMINATE.join(message_lines) + "\n")


class FramedTelemetryLogSink:
    """Log records as frames on the telemetry channel: type (4 bytes), length (4), time in µs (8), message.

    Each frame is one CloudWatch event, however many lines its message has.
    """

    def __init__(self, fd: int) -> None:
        self.file = os.fdopen(fd, "wb", 0, closefd=fd > 2)

    def log(self, msg: str, frame_type: bytes | None = None) -> None:
        encoded = msg.encode("utf8")
        timestamp = int(time.time_ns() / 1000)
        self.file.write(
            (frame_type or DEFAULT_FRAME_TYPE)
            + len(encoded).to_bytes(4, "big")
            + timestamp.to_bytes(8, "big")
            + encoded
        )

    def log_error(self, message_lines: list[str]) -> None:
        self.log("\n".join(message_lines), frame_type=ERROR_FRAME_TYPE)


def create_log_sink() -> StandardLogSink | FramedTelemetryLogSink:
    if "_LAMBDA_TELEMETRY_LOG_FD" in os.environ:
        fd = os.environ.pop("_LAMBDA_TELEMETRY_LOG_FD")
        return FramedTelemetryLogSink(int(fd))
    return StandardLogSink()


class _LambdaLoggerHandler(logging.Handler):
    def __init__(self, log_sink: Any) -> None:
        super().__init__()
        self.log_sink = log_sink

    def emit(self, record: logging.LogRecord) -> None:
        self.log_sink.log(self.format(record))


class _LambdaLoggerFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _GLOBAL_AWS_REQUEST_ID or ""
        record.tenant_id = _GLOBAL_TENANT_ID
        return True


def _setup_logging(log_sink: Any) -> None:
    logging.Formatter.converter = time.gmtime
    handler = _LambdaLoggerHandler(log_sink)
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(_LambdaLoggerFilter())
    logging.getLogger().addHandler(handler)


def replace_line_indentation(line: str, indent_char: str, new_indent_char: str) -> str:
    count = len(line) - len(line.lstrip(indent_char))
    return new_indent_char * count + line[count:]


def log_error(error_result: dict[str, Any], log_sink: Any) -> None:
    """Write an error document to the log as awslambdaric does: one event with the traceback."""
    description = "[ERROR]"
    error_type = error_result.get("errorType")
    if error_type:
        description += " " + error_type
    error_message = error_result.get("errorMessage")
    if error_message:
        if error_type:
            description += ":"
        description += " " + error_message
    lines = [description]
    stack_trace = error_result.get("stackTrace")
    if stack_trace is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack_trace:
            if element == "":
                lines.append("")
            else:
                lines.extend(replace_line_indentation(line, " ", ERROR_LOG_IDENT) for line in element.splitlines())
    log_sink.log_error(lines)


# --- Errors -----------------------------------------------------------------------------------


def make_error(
    error_message: str | None, error_type: str | None, stack_trace: list[str] | None, invoke_id: str | None = None
) -> dict[str, Any]:
    return {
        "errorMessage": error_message if error_message else "",
        "errorType": error_type if error_type else "",
        "requestId": invoke_id if invoke_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _user_frames(tb: Any) -> list[tuple[str, int | None, str, str | None]]:
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for i, frame in enumerate(frames):
        if os.path.abspath(frame[0]) != _THIS_FILE:
            return frames[i:]
    return frames


def make_xray_fault(ex_type: str, ex_msg: str, working_dir: str, tb_tuples: list[Any]) -> dict[str, Any]:
    stack = [{"label": method, "path": path, "line": line} for path, line, method, _ in tb_tuples]
    return {
        "working_directory": working_dir,
        "exceptions": [{"message": ex_msg, "type": ex_type, "stack": stack}],
        "paths": list({t[0] for t in tb_tuples}),
    }


def build_fault_result(exc_info: Any, msg: str | None) -> dict[str, Any]:
    etype, value, tb = exc_info
    frames = _user_frames(tb)
    return make_error(msg if msg else str(value), etype.__name__, traceback.format_list(frames))


# --- The handler ------------------------------------------------------------------------------


def _get_handler(handler: str) -> Any:
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(FaultException.MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {e}") from e
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                FaultException.BUILT_IN_MODULE_CONFLICT, f"Cannot use built-in module {modname} as a handler module"
            )
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException(FaultException.IMPORT_MODULE_ERROR, f"Unable to import module '{modname}': {e}") from e
    except SyntaxError as e:
        trace = [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}']
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR, f"Syntax error in module '{modname}': {e}", trace
        ) from e
    try:
        return getattr(module, fname)
    except AttributeError as e:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND, f"Handler '{fname}' missing on module '{modname}'", None
        ) from e


# --- The Runtime API client -------------------------------------------------------------------


class RuntimeClientError(Exception):
    def __init__(self, endpoint: str, status: int, body: bytes) -> None:
        super().__init__(
            f"Request to Lambda Runtime '{endpoint}' endpoint failed. Reason: '{status}'. Response body: '{body!r}'"
        )


class Headers(dict):
    """Response headers, looked up without regard to case."""

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


class RuntimeClient:
    """Speaks the Runtime API over one keep-alive HTTP/1.1 connection (TCP_NODELAY)."""

    def __init__(self, address: str) -> None:
        self.address = address
        host, _, port = address.rpartition(":")
        self._target = (host, int(port))
        self._sock: socket.socket | None = None
        self._rfile: Any = None

    def _connect(self) -> None:
        self._sock = socket.create_connection(self._target)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._rfile = self._sock.makefile("rb")

    def _close(self) -> None:
        if self._sock is not None:
            self._rfile.close()
            self._sock.close()
        self._sock = self._rfile = None

    def _request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, Headers, bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.address}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
        reused = self._sock is not None
        if not reused:
            self._connect()
        try:
            return self._exchange(head, body)
        except (ConnectionError, ValueError):
            self._close()
            if not reused:
                raise
        self._connect()  # a kept-alive connection the server had closed: once more on a new one
        return self._exchange(head, body)

    def _exchange(self, head: bytes, body: bytes) -> tuple[int, Headers, bytes]:
        assert self._sock is not None
        if len(body) < 65536:
            self._sock.sendall(head + body)
        else:
            self._sock.sendall(head)
            self._sock.sendall(body)
        status_line = self._rfile.readline(65537)
        if not status_line:
            raise ConnectionError("the Runtime API closed the connection")
        status = int(status_line.split(None, 2)[1])
        headers = Headers()
        while True:
            line = self._rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("utf-8", "replace").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        data = self._rfile.read(length) if length else b""
        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, headers, data

    def wait_next_invocation(self) -> tuple[bytes, Headers]:
        endpoint = f"/{RUNTIME_API_VERSION}/runtime/invocation/next"
        status, headers, body = self._request("GET", endpoint)
        if status != 200:
            raise RuntimeClientError(endpoint, status, body)
        return body, headers

    def post_invocation_result(self, invoke_id: str, result: bytes, content_type: str) -> None:
        endpoint = f"/{RUNTIME_API_VERSION}/runtime/invocation/{invoke_id}/response"
        status, _, body = self._request("POST", endpoint, result, {"Content-Type": content_type})
        if status != 202:
            raise RuntimeClientError(endpoint, status, body)

    def post_invocation_error(self, invoke_id: str, error_json: str, xray_fault: str) -> None:
        endpoint = f"/{RUNTIME_API_VERSION}/runtime/invocation/{invoke_id}/error"
        headers = {"Content-Type": "application/json"}
        if len(xray_fault.encode()) < 1024 * 1024:
            headers[XRAY_ERROR_CAUSE_HEADER] = xray_fault
        status, _, body = self._request("POST", endpoint, error_json.encode("utf-8"), headers)
        if status != 202:
            raise RuntimeClientError(endpoint, status, body)

    def post_init_error(self, error: dict[str, Any]) -> None:
        endpoint = f"/{RUNTIME_API_VERSION}/runtime/init/error"
        headers = {ERROR_TYPE_HEADER: error["errorType"], "Content-Type": "application/json"}
        status, _, body = self._request("POST", endpoint, to_json(error).encode("utf-8"), headers)
        if status != 202:
            raise RuntimeClientError(endpoint, status, body)


def _parse_json_header(header: str, name: str) -> Any:
    try:
        return json.loads(header)
    except Exception as e:
        raise FaultException(
            FaultException.LAMBDA_CONTEXT_UNMARSHAL_ERROR, f"Unable to parse {name} JSON: {e}", None
        ) from e


def handle_event_request(client: RuntimeClient, request_handler: Any, body: bytes, headers: Any, log_sink: Any) -> None:
    invoke_id = headers.get("Lambda-Runtime-Aws-Request-Id")
    error_result = None
    try:
        client_context_json = headers.get("Lambda-Runtime-Client-Context")
        cognito_identity_json = headers.get("Lambda-Runtime-Cognito-Identity")
        context = LambdaContext(
            invoke_id,
            _parse_json_header(client_context_json, "Client Context") if client_context_json else None,
            _parse_json_header(cognito_identity_json, "Cognito Identity") if cognito_identity_json else None,
            int(headers.get("Lambda-Runtime-Deadline-Ms") or 0),
            headers.get("Lambda-Runtime-Invoked-Function-Arn"),
            headers.get("Lambda-Runtime-Aws-Tenant-Id"),
        )
        event = unmarshal_request(body, headers.get("Content-Type"))
        response = request_handler(event, context)
        result, result_content_type = marshal_response(response)
    except FaultException as e:
        xray_fault = make_xray_fault("LambdaValidationError", e.msg, os.getcwd(), [])
        error_result = make_error(e.msg, e.exception_type, e.trace, invoke_id)
    except Exception:
        etype, value, tb = sys.exc_info()
        frames = _user_frames(tb)
        xray_fault = make_xray_fault(etype.__name__, str(value), os.getcwd(), frames)  # type: ignore[union-attr]
        error_result = make_error(str(value), etype.__name__, traceback.format_list(frames), invoke_id)  # type: ignore[union-attr]
    if error_result is not None:
        log_error(error_result, log_sink)
        client.post_invocation_error(invoke_id, to_json(error_result), to_json(xray_fault))
    else:
        data = result if isinstance(result, bytes) else result.encode("utf-8")
        client.post_invocation_result(invoke_id, data, result_content_type)


def _update_xray_env_variable(trace_id: str | None) -> None:
    if trace_id is not None:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)


def run(handler: str, client: RuntimeClient) -> None:
    """Initialise the function, then serve invocations until the process is stopped."""
    global _GLOBAL_AWS_REQUEST_ID, _GLOBAL_TENANT_ID
    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)
    log_sink = create_log_sink()
    error_result = None
    try:
        _setup_logging(log_sink)
        if os.environ.get("AWS_EXECUTION_ENV", "") in _PREVIEW_RUNTIMES and not os.environ.get(
            "LAMBDA_DISABLE_PREVIEW_WARN", ""
        ):
            logging.warning(
                "LAMBDA_WARNING: This is a preview runtime version and should not be used for production "
                "workloads. For further information and to provide feedback, see "
                "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html\r"
            )
        request_handler = _get_handler(handler)
    except FaultException as e:
        error_result = make_error(e.msg, e.exception_type, e.trace)
    except Exception:
        error_result = build_fault_result(sys.exc_info(), None)
    if error_result is not None:
        logging.warning(_UNHANDLED_WARNING)
        log_error(error_result, log_sink)
        client.post_init_error(error_result)
        sys.exit(1)
    while True:
        body, headers = client.wait_next_invocation()
        _GLOBAL_AWS_REQUEST_ID = headers.get("Lambda-Runtime-Aws-Request-Id")
        _GLOBAL_TENANT_ID = headers.get("Lambda-Runtime-Aws-Tenant-Id")
        _update_xray_env_variable(headers.get("Lambda-Runtime-Trace-Id"))
        handle_event_request(client, request_handler, body, headers, log_sink)


def main(argv: list[str]) -> None:
    handler = argv[1] if len(argv) > 1 else os.environ.get("_HANDLER", "")
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    # Run as a script, sys.path[0] is this file's folder: the handler must not see the kit's modules.
    here = os.path.dirname(_THIS_FILE)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    sys.path.insert(0, task_root)
    os.chdir(task_root)
    run(handler, RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"]))


if __name__ == "__main__":
    main(sys.argv)
