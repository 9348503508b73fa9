"""The kit's portable Python runtime client for Lambda workers (standard library only).

Run by file path, ``python bootstrap.py <module.function>``, inside a worker process whose
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

import importlib
import importlib.util
import json
import logging
import os
import sys
import time
import traceback
from types import ModuleType
from typing import Any

_THIS_FILE = os.path.abspath(__file__)


def _sibling(file_name: str) -> ModuleType:
    """A module of this folder, loaded by path under a private name (the handler's imports never see it)."""
    name = f"_workshop_lambda_{file_name[:-3]}"
    spec = importlib.util.spec_from_file_location(name, os.path.join(os.path.dirname(_THIS_FILE), file_name))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_marshalling = _sibling("marshalling.py")
_client = _sibling("runtime_api_client.py")
FaultException = _marshalling.FaultException
to_json = _marshalling.to_json
unmarshal_request = _marshalling.unmarshal_request
marshal_response = _marshalling.marshal_response
RuntimeClient = _client.RuntimeClient
ERROR_LOG_LINE_TERMINATE = "\r"  # joins an error's lines on stdout (no telemetry channel)
ERROR_LOG_IDENT = "\u00a0"  # NO-BREAK SPACE, as awslambdaric indents traceback lines in the log
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
        client.post_init_error(error_result["errorType"], to_json(error_result))
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
