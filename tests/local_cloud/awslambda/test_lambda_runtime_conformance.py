"""The kit's portable runtime client against AWS's own, awslambdaric: every case through both, same answers.

Each case is deployed and invoked through boto3 on two local clouds: the session's (workers run the
kit's awslambda/runtime_client/bootstrap.py) and one started here with WORKSHOP_LAMBDA_RUNTIME_CLIENT=awslambdaric.
The answers (status, X-Amz-Function-Error, payload) and the log lines must be the same once request
ids, times, durations, memory figures and the clouds' scratch paths are blanked out. awslambdaric
ships Linux wheels only: elsewhere its half is skipped and the kit's answers are checked alone.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from workshop_lib import logs
from workshop_lib.config import ENV_LAMBDA_RUNTIME_CLIENT as ENV_RUNTIME_CLIENT
from workshop_lib.config import LOCAL_ADMIN_ACCESS_KEY, ResourceNames
from workshop_lib.connect import Connection
from workshop_lib.deploy import package
from workshop_lib.local import lifecycle

pytestmark = pytest.mark.local_cloud
REGION = "us-east-1"
HAVE_AWSLAMBDARIC = sys.platform.startswith("linux") and importlib.util.find_spec("awslambdaric") is not None
NO_AWSLAMBDARIC = (
    "awslambdaric (AWS's runtime interface client) ships Linux wheels only; the kit's client is checked alone"
)

CASES_CODE = """
import collections, decimal, logging, os, sys

logger = logging.getLogger()
logger.setLevel(logging.INFO)
Point = collections.namedtuple("Point", "x y")


class CustomError(Exception):
    pass


def helper(d):
    return d["missing"]


def handler(event, context):
    case = event["case"]
    if case == "result":
        return {"a": 1, "b": [1, 2.5, None, True, False], "s": "h\\u00e9llo \\u2603", "nested": {"x": []}}
    if case == "simplejson":
        return {
            "decimal": decimal.Decimal("1.10"),
            "decimal_nan": decimal.Decimal("NaN"),
            "bytes": b"raw",
            "point": Point(1, 2),
            "tuple": (1, 2),
            "keys": {1: "int", 2.5: "float", None: "none", False: "bool"},
            "nan": float("nan"),
            "inf": float("inf"),
        }
    if case == "bytes":
        return b"\\x00\\x01binary"
    if case == "none":
        return None
    if case == "unserializable":
        return {"s": {1, 2}}
    if case == "decimal_key":
        return {decimal.Decimal(1): 2}
    if case == "exception":
        raise ValueError("bad value")
    if case == "custom_exception":
        raise CustomError({"detail": 1})
    if case == "nested_exception":
        return helper({})
    if case == "empty_exception":
        raise RuntimeError()
    if case == "context":
        cc = context.client_context
        return {
            "request_id_matches": context.aws_request_id == event["expect_id"] if "expect_id" in event else None,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "log_group_name": context.log_group_name,
            "log_stream_is_set": bool(context.log_stream_name),
            "remaining_positive": 0 < context.get_remaining_time_in_millis() <= 3000,
            "identity": repr(context.identity),
            "client_context": repr(cc),
            "custom": cc.custom if cc else None,
            "env": cc.env if cc else None,
            "client_installation_id": cc.client.installation_id if cc and cc.client else None,
            "w3c": context.w3c(),
            "tenant_id": context.tenant_id,
            "repr_start": repr(context).split("[", 1)[0],
            "xray_env_set": "_X_AMZN_TRACE_ID" in os.environ,
            "stdout_type": type(sys.stdout).__name__,
        }
    if case == "logging":
        print("printed")
        logger.info("info %s", 1)
        logger.warning("warned")
        try:
            1 / 0
        except ZeroDivisionError:
            logger.exception("failed")
        sys.stderr.write("to stderr\\n")
        print("multi\\nline")
        context.log("via context\\n")
        return "logged"
    if case == "exit":
        sys.exit(2)
    raise AssertionError(case)


def echo(event, context):
    return event
"""


@dataclass(frozen=True)
class Case:
    id: str
    function: str  # key into FUNCTIONS
    payload: bytes = b"{}"
    client_context: dict[str, Any] | None = None
    logs: str = "request"  # "request": the request's lines; "group": all lines of the function; "": none


# key -> (files, handler, runtime)
FUNCTIONS: dict[str, tuple[dict[str, str], str, str]] = {
    "cases": ({"app.py": CASES_CODE}, "app.handler", "python3.11"),
    "cases312": ({"app.py": CASES_CODE}, "app.handler", "python3.12"),
    "echo": ({"app.py": CASES_CODE}, "app.echo", "python3.11"),
    "pkg": (
        {"pkg/__init__.py": "", "pkg/mod.py": "def handle(e, c):\n    return __name__\n"},
        "pkg/mod.handle",
        "python3.11",
    ),
    "import_error": ({"app.py": "import no_such_module\n"}, "app.handler", "python3.11"),
    "handler_missing": ({"app.py": "def other(e, c):\n    pass\n"}, "app.handler", "python3.11"),
    "syntax_error": ({"app.py": "def handler(e, c)\n    pass\n"}, "app.handler", "python3.11"),
    "malformed_handler": ({"app.py": "def handler(e, c):\n    pass\n"}, "app", "python3.11"),
    "builtin_conflict": ({"app.py": "def handler(e, c):\n    pass\n"}, "sys.handler", "python3.11"),
    "import_exception": ({"app.py": "import json\nvalue = json.loads('{')\n"}, "app.handler", "python3.11"),
    "import_exit": ({"app.py": "import sys\nsys.exit(4)\n"}, "app.handler", "python3.11"),
}


def _event(case: str, **extra: Any) -> bytes:
    return json.dumps({"case": case, **extra}).encode()


CASES = [
    Case("result", "cases", _event("result")),
    Case("result-python3.12-keeps-non-ascii", "cases312", _event("result")),
    Case("simplejson-types", "cases", _event("simplejson")),
    Case("bytes-result", "cases", _event("bytes")),
    Case("none-result", "cases", _event("none")),
    Case("unserializable-result", "cases", _event("unserializable")),
    Case("decimal-key", "cases", _event("decimal_key")),
    Case("exception", "cases", _event("exception")),
    Case("custom-exception", "cases", _event("custom_exception")),
    Case("nested-exception", "cases", _event("nested_exception")),
    Case("empty-exception", "cases", _event("empty_exception")),
    Case("context", "cases", _event("context")),
    Case(
        "context-with-client-context",
        "cases",
        _event("context"),
        client_context={"custom": {"k": "v"}, "env": {"e": 1}, "client": {"installation_id": "i-1"}},
    ),
    Case("logging", "cases", _event("logging")),
    Case("exit", "cases", _event("exit")),
    Case("event-list", "echo", b"[1, 2.5, null]"),
    Case("event-string", "echo", b'"text"'),
    Case("event-empty-payload", "echo", b""),
    Case("event-unicode", "echo", '{"s": "\u00e9\u2603"}'.encode()),
    Case("handler-in-a-package-folder", "pkg"),
    Case("init-import-error", "import_error", logs="group"),
    Case("init-handler-missing", "handler_missing", logs="group"),
    Case("init-syntax-error", "syntax_error", logs="group"),
    Case("init-malformed-handler-name", "malformed_handler", logs="group"),
    Case("init-built-in-module-conflict", "builtin_conflict", logs="group"),
    Case("init-exception-at-import", "import_exception", logs="group"),
    Case("init-exit-at-import", "import_exit", logs="group"),
]

# What AWS answers, checked on the kit's half (the awslambdaric half must give the same).
EXPECTED: dict[str, dict[str, Any]] = {
    "result": {
        "function_error": None,
        "payload": {"a": 1, "b": [1, 2.5, None, True, False], "s": "héllo ☃", "nested": {"x": []}},
    },
    "simplejson-types": {
        "raw": b'{"decimal": 1.10, "decimal_nan": NaN, "bytes": "raw", "point": {"x": 1, "y": 2}, "tuple": [1, 2], '
        b'"keys": {"1": "int", "2.5": "float", "null": "none", "false": "bool"}, "nan": NaN, "inf": Infinity}'
    },
    "bytes-result": {"raw": b"\x00\x01binary"},
    "none-result": {"raw": b"null"},
    "unserializable-result": {
        "errorType": "Runtime.MarshalError",
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
    },
    "decimal-key": {"errorType": "Runtime.MarshalError"},
    "exception": {"errorType": "ValueError", "errorMessage": "bad value"},
    "custom-exception": {"errorType": "CustomError", "errorMessage": "{'detail': 1}"},
    "nested-exception": {"errorType": "KeyError", "errorMessage": "'missing'"},
    "empty-exception": {"errorType": "RuntimeError", "errorMessage": ""},
    "exit": {"errorType": "Runtime.ExitError"},
    "event-list": {"payload": [1, 2.5, None]},
    "event-string": {"payload": "text"},
    "event-empty-payload": {"payload": {}},
    "handler-in-a-package-folder": {"payload": "pkg.mod"},
    "init-import-error": {
        "errorType": "Runtime.ImportModuleError",
        "errorMessage": "Unable to import module 'app': No module named 'no_such_module'",
    },
    "init-handler-missing": {
        "errorType": "Runtime.HandlerNotFound",
        "errorMessage": "Handler 'handler' missing on module 'app'",
    },
    "init-syntax-error": {"errorType": "Runtime.UserCodeSyntaxError"},
    "init-malformed-handler-name": {
        "errorType": "Runtime.MalformedHandlerName",
        "errorMessage": "Bad handler 'app': not enough values to unpack (expected 2, got 1)",
    },
    "init-built-in-module-conflict": {
        "errorType": "Runtime.BuiltInModuleConflict",
        "errorMessage": "Cannot use built-in module sys as a handler module",
    },
    "init-exception-at-import": {"errorType": "JSONDecodeError"},
    "init-exit-at-import": {"errorType": "Runtime.ExitError"},
}


def _connection(endpoint_url: str, admin_secret_key: str) -> Connection:
    session = boto3.Session(
        aws_access_key_id=LOCAL_ADMIN_ACCESS_KEY, aws_secret_access_key=admin_secret_key, region_name=REGION
    )
    return Connection(
        target="local",
        region=REGION,
        account_id="123456789012",
        identity_arn="",
        session=session,
        names=ResourceNames(),
        endpoint_url=endpoint_url,
    )


class Cloud:
    """One local cloud with every case's function deployed under the same names as on the other."""

    def __init__(self, conn: Connection, names: dict[str, str]) -> None:
        self.conn = conn
        self.names = names
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        role = conn.client("iam").create_role(
            RoleName=f"conformance-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(trust)
        )
        for key, (files, handler, runtime) in FUNCTIONS.items():
            conn.client("lambda").create_function(
                FunctionName=names[key],
                Runtime=runtime,
                Role=role["Role"]["Arn"],
                Handler=handler,
                Code={"ZipFile": package(files)},  # deterministic: both clouds store the same CodeSha256
            )
        self.results: dict[str, dict[str, Any]] = {}

    def run(self, case: Case) -> dict[str, Any]:
        if case.id not in self.results:
            self.results[case.id] = self._run(case)
        return self.results[case.id]

    def _run(self, case: Case) -> dict[str, Any]:
        function = self.names[case.function]
        kwargs: dict[str, Any] = {}
        if case.client_context:
            kwargs["ClientContext"] = base64.b64encode(json.dumps(case.client_context).encode()).decode()
        resp = self.conn.client("lambda").invoke(FunctionName=function, Payload=case.payload, **kwargs)
        raw = resp["Payload"].read()
        request_id = resp["ResponseMetadata"]["RequestId"]
        lines: list[str] = []
        if case.logs:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if case.logs == "request":
                    lines = logs.request_log_lines(request_id, function, conn=self.conn)
                else:
                    lines = logs.recent_log_lines(function, limit=1000, conn=self.conn)
                if lines and lines[-1].startswith("REPORT"):
                    break
                time.sleep(0.05)
        return {
            "status": resp["StatusCode"],
            "function_error": resp.get("FunctionError"),
            "raw": raw,
            "request_id": request_id,
            "lines": lines,
        }


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
_FIGURE = re.compile(r"\d+(\.\d+)? (ms|MB)")
_SCRATCH = re.compile(r"[^\s\"']*workshop-cloud-[^/\\\s\"']+")
_STREAM = re.compile(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}")


def _normal(text: str) -> str:
    for pattern, blank in ((_UUID, "<id>"), (_STAMP, "<time>"), (_SCRATCH, "<cloud>"), (_STREAM, "<stream>")):
        text = pattern.sub(blank, text)
    return _FIGURE.sub(lambda m: f"<n> {m.group(2)}", text)


def _normalized(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": result["status"],
        "function_error": result["function_error"],
        "payload": _normal(result["raw"].decode("utf-8", "replace")),
        "lines": [_normal(line) for line in result["lines"]],
    }


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return {key: f"conf-{key.replace('_', '-')}-{suffix}" for key in FUNCTIONS}


@pytest.fixture(scope="module")
def kit_cloud(local_cloud, names) -> Cloud:
    return Cloud(_connection(local_cloud.endpoint_url, local_cloud.admin_secret_key), names)


@pytest.fixture(scope="module")
def awslambdaric_cloud(tmp_path_factory, names):
    if not HAVE_AWSLAMBDARIC:
        pytest.skip(NO_AWSLAMBDARIC)
    directory = tmp_path_factory.mktemp("awslambdaric-cloud")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_RUNTIME_CLIENT, "awslambdaric")
        state, _ = lifecycle.start(region=REGION, directory=directory)
    try:
        yield Cloud(_connection(state.endpoint_url, state.admin_secret_key), names)
    finally:
        lifecycle.stop(directory)


def _check_expected(case: Case, result: dict[str, Any]) -> None:
    assert result["status"] == 200
    expected = EXPECTED.get(case.id, {})
    if "raw" in expected:
        assert result["raw"] == expected["raw"]
    if "payload" in expected:
        assert json.loads(result["raw"]) == expected["payload"]
    if "function_error" in expected:
        assert result["function_error"] == expected["function_error"]
    if "errorType" in expected:
        doc = json.loads(result["raw"])
        assert result["function_error"] == "Unhandled"
        assert doc["errorType"] == expected["errorType"]
        if "errorMessage" in expected:
            assert doc["errorMessage"] == expected["errorMessage"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_kit_runtime_client__gives_what_aws_gives(kit_cloud, case):
    _check_expected(case, kit_cloud.run(case))


@pytest.mark.skipif(not HAVE_AWSLAMBDARIC, reason=NO_AWSLAMBDARIC)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_kit_runtime_client__agrees_with_awslambdaric(kit_cloud, awslambdaric_cloud, case):
    theirs = awslambdaric_cloud.run(case)
    _check_expected(case, theirs)
    assert _normalized(kit_cloud.run(case)) == _normalized(theirs)


def test_kit_runtime_client__logs_in_the_runtimes_text_format(kit_cloud):
    result = kit_cloud.run(next(c for c in CASES if c.id == "logging"))
    lines = [_normal(line) for line in result["lines"]]
    assert lines[0] == "START RequestId: <id> Version: $LATEST"
    assert lines[1:4] == ["printed", "[INFO]\t<time>\t<id>\tinfo 1", "[WARNING]\t<time>\t<id>\twarned"]
    # A logging record is one event, however many lines it has (the runtime's telemetry log channel).
    assert lines[4].startswith("[ERROR]\t<time>\t<id>\tfailed\nTraceback (most recent call last):")
    assert lines[5:9] == ["to stderr", "multi", "line", "via context"]
    assert lines[-2] == "END RequestId: <id>"
    assert lines[-1].startswith("REPORT RequestId: <id>\tDuration: <n> ms\tBilled Duration: <n> ms\t")


def test_kit_runtime_client__logs_an_unhandled_error_as_one_event_with_the_traceback(kit_cloud):
    result = kit_cloud.run(next(c for c in CASES if c.id == "exception"))
    error = [line for line in result["lines"] if line.startswith("[ERROR]")]
    # One CloudWatch event with the traceback, its lines indented with no-break spaces.
    assert len(error) == 1
    assert error[0].startswith("[ERROR] ValueError: bad value\nTraceback (most recent call last):\n\u00a0\u00a0File ")
