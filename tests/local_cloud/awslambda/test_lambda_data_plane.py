"""Lambda Invoke on the local cloud: real functions deployed and invoked through boto3, run on real workers."""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import psutil
import pytest
from botocore.exceptions import ClientError

from workshop_lib import logs
from workshop_lib.config import ENV_PREFIX, ENV_TARGET, LOCAL_ACCOUNT_ID, LOCAL_ADMIN_ACCESS_KEY
from workshop_lib.connect import connect, use
from workshop_lib.deploy import package
from workshop_lib.errors import ResourceNotFound
from workshop_lib.local import lifecycle

pytestmark = pytest.mark.local_cloud
REGION = "us-east-1"

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _role(iam) -> tuple[str, str]:
    name = f"fn-role-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    return name, arn


def _deploy(conn, code: str, *, handler: str = "app.handler", **config) -> str:
    name = f"fn-{uuid.uuid4().hex[:10]}"
    _, role_arn = _role(conn.client("iam"))
    conn.client("lambda").create_function(
        FunctionName=name,
        Runtime=config.pop("Runtime", "python3.11"),
        Role=role_arn,
        Handler=handler,
        Code={"ZipFile": package({"app.py": code})},
        **config,
    )
    return name


def _invoke(conn, name: str, event=None, **kwargs) -> tuple[dict, object]:
    payload = json.dumps(event if event is not None else {}).encode()
    resp = conn.client("lambda").invoke(FunctionName=name, Payload=payload, **kwargs)
    body = resp["Payload"].read()
    return resp, json.loads(body) if body else None


def _wait_for_lines(conn, function: str, request_id: str, timeout: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            lines = logs.request_log_lines(request_id, function, conn=conn)
        except ResourceNotFound:  # the log group is created when the first worker starts
            lines = []
        if (lines and lines[-1].startswith("REPORT")) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


@pytest.fixture(scope="module")
def conn(local_cloud):
    """One connection to the session's local cloud for the whole module (clients are slow to make)."""
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", ENV_TARGET, ENV_PREFIX):
            mp.delenv(var, raising=False)
        with use(connect("local", REGION, make_current=False)) as conn:
            yield conn


ECHO = """
import os, time

def handler(event, context):
    if event.get("whoami"):
        import boto3
        return boto3.client("sts").get_caller_identity()["Arn"]
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {
        "event": event,
        "pid": os.getpid(),
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": {k: v for k, v in os.environ.items()},
        "cwd": os.getcwd(),
        "files": sorted(os.listdir(os.environ["LAMBDA_TASK_ROOT"])),
        "started": time.time() - (event.get("sleep") or 0),
        "ended": time.time(),
    }
"""


@pytest.fixture(scope="module")
def echo(conn) -> str:
    """A function that returns its event, context and environment (shared: tests only invoke it)."""
    return _deploy(
        conn,
        ECHO,
        Timeout=20,
        MemorySize=256,
        Environment={"Variables": {"ENDPOINT_NAME": "ml-endpoint", "DYNAMODB_TABLE": "InferenceMetadata"}},
    )


def test_invoke__returns_the_result_and_the_context_aws_gives(conn, echo):
    name = echo
    resp, body = _invoke(conn, name, {"hello": "world"})
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp
    assert resp["ExecutedVersion"] == "$LATEST"
    assert body["event"] == {"hello": "world"}
    assert body["request_id"] == resp["ResponseMetadata"]["RequestId"]
    assert re.fullmatch(UUID, body["request_id"])
    assert body["function_name"] == name
    assert body["function_version"] == "$LATEST"
    assert body["memory_limit_in_mb"] == "256"
    assert body["invoked_function_arn"] == f"arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT_ID}:function:{name}"
    assert body["log_group_name"] == f"/aws/lambda/{name}"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", body["log_stream_name"])
    assert 0 < body["remaining_ms"] <= 20_000
    assert body["files"] == ["app.py"]
    # The same worker answers the next call (warm), a new request id each time.
    _, body2 = _invoke(conn, name, {"n": 2})
    assert body2["pid"] == body["pid"] and body2["request_id"] != body["request_id"]


def test_invoke__worker_environment_is_the_one_aws_sets_plus_the_functions_variables(conn, echo):
    name = echo
    _, body = _invoke(conn, name)
    env = body["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "app.handler"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == body["log_stream_name"]
    assert env["LAMBDA_TASK_ROOT"] == body["cwd"]
    assert env["TZ"] in (":UTC", "UTC")
    assert env["ENDPOINT_NAME"] == "ml-endpoint" and env["DYNAMODB_TABLE"] == "InferenceMetadata"
    assert env["AWS_ENDPOINT_URL"] == conn.endpoint_url
    assert re.fullmatch(r"127\.0\.0\.1:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    # Temporary credentials of the execution role, never the admin's.
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and env["AWS_SESSION_TOKEN"]
    admin_secret = conn.session.get_credentials().secret_key
    assert LOCAL_ADMIN_ACCESS_KEY not in env.values() and admin_secret not in env.values()
    assert "AWS_PROFILE" not in env and "WORKSHOP_STATE_DIR" not in env


def test_invoke__the_handlers_boto3_calls_act_as_the_execution_role(conn, echo):
    name = echo
    role_name = conn.client("lambda").get_function(FunctionName=name)["Configuration"]["Role"].split("/")[-1]
    resp, arn = _invoke(conn, name, {"whoami": True})
    assert "FunctionError" not in resp, arn
    assert arn == f"arn:aws:sts::{LOCAL_ACCOUNT_ID}:assumed-role/{role_name}/{name}"


def test_update_function_code__the_next_call_runs_the_new_code_on_a_new_worker(conn):
    name = _deploy(conn, "import os\ndef handler(e, c):\n    return ['v1', os.getpid()]\n")
    _, (version, pid) = _invoke(conn, name)
    assert version == "v1"
    lam = conn.client("lambda")
    lam.update_function_code(
        FunctionName=name,
        ZipFile=package({"app.py": "import os\ndef handler(e, c):\n    return ['v2', os.getpid()]\n"}),
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    _, (version2, pid2) = _invoke(conn, name)
    assert version2 == "v2" and pid2 != pid


def test_update_function_configuration__the_next_call_sees_it_on_a_new_worker(conn):
    name = _deploy(conn, ECHO, Environment={"Variables": {"MODE": "one"}})
    _, body = _invoke(conn, name)
    lam = conn.client("lambda")
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"MODE": "two"}}, MemorySize=512)
    _, body2 = _invoke(conn, name)
    assert body["env"]["MODE"] == "one" and body2["env"]["MODE"] == "two"
    assert body2["memory_limit_in_mb"] == "512" and body2["pid"] != body["pid"]


def test_invoke__an_exception_gives_an_unhandled_function_error_document(conn):
    code = "def handler(event, context):\n    raise ValueError('bad input: ' + str(event['x']))\n"
    name = _deploy(conn, code)
    resp, body = _invoke(conn, name, {"x": 42})
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "bad input: 42"
    assert body["requestId"] == resp["ResponseMetadata"]["RequestId"]
    assert len(body["stackTrace"]) == 1 and 'app.py", line 2, in handler' in body["stackTrace"][0]


def test_invoke__past_the_timeout_the_worker_is_stopped_and_the_error_is_sandbox_timedout(conn):
    name = _deploy(conn, ECHO, Timeout=1)
    _, warm = _invoke(conn, name)
    resp, body = _invoke(conn, name, {"sleep": 5})
    request_id = resp["ResponseMetadata"]["RequestId"]
    assert resp["FunctionError"] == "Unhandled"
    assert body == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }
    assert not psutil.pid_exists(warm["pid"]) or psutil.Process(warm["pid"]).status() == psutil.STATUS_ZOMBIE
    _, after = _invoke(conn, name)
    assert after["pid"] != warm["pid"]
    lines = _wait_for_lines(conn, name, request_id)
    assert re.fullmatch(rf"\S+Z {request_id} Task timed out after 1\.00 seconds", lines[-3])
    assert lines[-1].endswith("\tStatus: timeout\t")


CRASH = """
import os, sys, time

def handler(event, context):
    if event.get("exit") is not None:
        sys.exit(event["exit"])
    if event.get("allocate_mb"):
        data = bytearray(event["allocate_mb"] * 1024 * 1024)
        data[:: 4096] = b"x" * len(data[:: 4096])  # touch every page: resident memory
        time.sleep(0.3)
        return len(data)
    return os.getpid()
"""


@pytest.fixture(scope="module")
def crasher(conn) -> str:
    return _deploy(conn, CRASH, MemorySize=128, Timeout=10)


def test_invoke__a_worker_that_exits_gives_runtime_exit_error_and_the_next_call_a_new_worker(conn, crasher):
    name = crasher
    _, pid = _invoke(conn, name)
    resp, body = _invoke(conn, name, {"exit": 3})
    request_id = resp["ResponseMetadata"]["RequestId"]
    assert resp["FunctionError"] == "Unhandled"
    assert body == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status 3",
    }
    _, pid2 = _invoke(conn, name)
    assert pid2 != pid


def test_invoke__going_over_the_memory_size_gives_runtime_out_of_memory(conn, crasher):
    name = crasher
    resp, body = _invoke(conn, name, {"allocate_mb": 200})
    request_id = resp["ResponseMetadata"]["RequestId"]
    assert resp["FunctionError"] == "Unhandled"
    assert body == {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed",
    }
    resp, body = _invoke(conn, name, {"allocate_mb": 10})
    assert "FunctionError" not in resp and body == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        (
            {"app.py": "import no_such_module\n"},
            "app.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'app': No module named 'no_such_module'",
        ),
        (
            {"app.py": "def other(e, c):\n    pass\n"},
            "app.handler",
            "Runtime.HandlerNotFound",
            "Handler 'handler' missing on module 'app'",
        ),
        (
            {"app.py": "def handler(e, c)\n    pass\n"},
            "app.handler",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'app': expected ':' (app.py, line 1)",
        ),
        ({"app.py": "x = 1 / 0\n"}, "app.handler", "ZeroDivisionError", "division by zero"),
    ],
    ids=["import-error", "handler-not-found", "syntax-error", "exception-at-import"],
)
def test_invoke__init_errors_give_the_runtime_error_types_aws_gives(conn, files, handler, error_type, message):
    name = f"fn-{uuid.uuid4().hex[:10]}"
    _, role_arn = _role(conn.client("iam"))
    conn.client("lambda").create_function(
        FunctionName=name, Runtime="python3.11", Role=role_arn, Handler=handler, Code={"ZipFile": package(files)}
    )
    resp, body = _invoke(conn, name)
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type
    assert body["errorMessage"] == message
    lines = _wait_for_lines(conn, name, resp["ResponseMetadata"]["RequestId"])
    assert lines[-1].endswith(f"\tStatus: error\tError Type: {error_type}\t")


def test_invoke__a_request_over_6_mb_gives_413(conn, echo):
    name = echo
    payload = json.dumps({"blob": "x" * (6 * 1024 * 1024)}).encode()
    with pytest.raises(ClientError) as err:
        conn.client("lambda").invoke(FunctionName=name, Payload=payload)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert err.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert "6291456 bytes" in err.value.response["Error"]["Message"]


def test_invoke__a_response_over_6_mb_gives_function_response_size_too_large(conn):
    name = _deploy(conn, "def handler(e, c):\n    return 'x' * (7 * 1024 * 1024)\n")
    resp, body = _invoke(conn, name)
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Function.ResponseSizeTooLarge"


def test_invoke__an_unknown_function_gives_404_resource_not_found(conn):
    with pytest.raises(ClientError) as err:
        conn.client("lambda").invoke(FunctionName="no-such-function", Payload=b"{}")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.value.response["Error"]["Message"] == (
        f"Function not found: arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT_ID}:function:no-such-function"
    )


def test_invoke__a_payload_that_is_not_json_gives_invalid_request_content(conn, echo):
    name = echo
    with pytest.raises(ClientError) as err:
        conn.client("lambda").invoke(FunctionName=name, Payload=b"not json")
    assert err.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_invoke__event_and_dry_run_invocation_types(conn):
    name = _deploy(conn, "def handler(e, c):\n    print('event ran', e['n'])\n")
    lam = conn.client("lambda")
    assert lam.invoke(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204
    resp = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 7}')
    assert resp["StatusCode"] == 202
    lines = _wait_for_lines(conn, name, resp["ResponseMetadata"]["RequestId"])
    assert "event ran 7" in lines


def test_invoke__parallel_calls_run_at_once_up_to_the_cap_and_the_rest_wait(conn, echo):
    name = echo
    client = boto3.Session(
        aws_access_key_id=LOCAL_ADMIN_ACCESS_KEY,
        aws_secret_access_key=conn.session.get_credentials().secret_key,
        region_name="us-east-1",
    ).client("lambda", endpoint_url=conn.endpoint_url)

    def call(_: int) -> dict:
        # Long enough that the four first calls overlap even when cold starts are slow on a loaded machine.
        resp = client.invoke(FunctionName=name, Payload=json.dumps({"sleep": 2.0}).encode())
        return json.loads(resp["Payload"].read())

    with ThreadPoolExecutor(5) as pool:
        results = sorted(pool.map(call, range(5)), key=lambda r: r["started"])
    first, fifth = results[:4], results[4]
    # Four workers ran at the same moment (the default cap is 4) ...
    assert len({r["pid"] for r in first}) == 4
    assert max(r["started"] for r in first) < min(r["ended"] for r in first)
    # ... and the fifth call waited for one of them, then reused it (warm).
    assert fifth["started"] >= min(r["ended"] for r in first) - 0.05
    assert fifth["pid"] in {r["pid"] for r in first}


def test_logs__start_end_and_report_lines_in_aws_format_with_init_duration_on_a_cold_start(conn):
    code = """
import logging
logging.getLogger().setLevel(logging.INFO)

def handler(e, c):
    print('hello', e['n'])
    logging.info('logged %s', e['n'])
    return e['n']
"""
    name = _deploy(conn, code)
    cold, _ = _invoke(conn, name, {"n": 1})
    warm, _ = _invoke(conn, name, {"n": 2}, LogType="Tail")
    cold_id, warm_id = (r["ResponseMetadata"]["RequestId"] for r in (cold, warm))

    lines = _wait_for_lines(conn, name, cold_id)
    assert lines[0] == f"START RequestId: {cold_id} Version: $LATEST"
    assert lines[1] == "hello 1"
    assert re.fullmatch(rf"\[INFO\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{cold_id}\tlogged 1", lines[2])
    assert lines[3] == f"END RequestId: {cold_id}"
    report = re.fullmatch(
        rf"REPORT RequestId: {cold_id}\tDuration: (\d+\.\d\d) ms\tBilled Duration: (\d+) ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: (\d+) MB\tInit Duration: (\d+\.\d\d) ms\t",
        lines[4],
    )
    assert report, lines[4]
    duration, billed, used, init = (float(g) for g in report.groups())
    assert billed >= duration + init and 0 < used <= 128
    warm_lines = _wait_for_lines(conn, name, warm_id)
    assert warm_lines[1] == "hello 2" and "Init Duration" not in warm_lines[-1]
    # LogType=Tail: the invocation's log, base64, in the response.
    tail = base64.b64decode(warm["LogResult"]).decode()
    assert tail.startswith(f"START RequestId: {warm_id}") and f"REPORT RequestId: {warm_id}" in tail

    recent = logs.recent_log_lines(name, conn=conn)
    assert f"START RequestId: {cold_id} Version: $LATEST" in recent and "hello 2" in recent
    stream = conn.client("logs").describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
    assert len(stream) == 1 and re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", stream[0]["logStreamName"])


def test_logs__a_missing_log_group_says_to_invoke_the_function_first(conn):
    with pytest.raises(ResourceNotFound, match="invoke the function once"):
        logs.recent_log_lines("never-invoked-function", conn=conn)


def test_down__no_worker_process_outlives_the_local_cloud(tmp_path):
    state, started = lifecycle.start(region="us-east-1", directory=tmp_path)
    assert started
    try:
        session = boto3.Session(
            aws_access_key_id=LOCAL_ADMIN_ACCESS_KEY,
            aws_secret_access_key=state.admin_secret_key,
            region_name="us-east-1",
        )
        lam = session.client("lambda", endpoint_url=state.endpoint_url)
        _, role_arn = _role(session.client("iam", endpoint_url=state.endpoint_url))
        lam.create_function(
            FunctionName="sleeper",
            Runtime="python3.11",
            Role=role_arn,
            Handler="app.handler",
            Code={"ZipFile": package({"app.py": "import time\ndef handler(e, c):\n    time.sleep(e['s'])\n"})},
            Timeout=30,
        )
        with ThreadPoolExecutor(2) as pool:
            list(
                pool.map(lambda s: lam.invoke(FunctionName="sleeper", Payload=json.dumps({"s": s}).encode()), [0, 0.3])
            )
        # One more, still running when the cloud is asked to stop.
        pool = ThreadPoolExecutor(1)
        pending = pool.submit(lam.invoke, FunctionName="sleeper", Payload=b'{"s": 20}')
        server = psutil.Process(state.pid)
        deadline = time.monotonic() + 5
        while len(server.children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = server.children(recursive=True)
        assert len(workers) >= 2
        urllib.request.urlopen(
            urllib.request.Request(f"{state.endpoint_url}/_workshop/shutdown", method="POST", data=b""), timeout=5
        ).close()
        server.wait(timeout=20)
        _, alive = psutil.wait_procs(workers, timeout=5)
        assert not alive, f"workers outlived the local cloud: {alive}"
        pool.shutdown(wait=False, cancel_futures=True)
        del pending
    finally:
        lifecycle.stop(tmp_path)
