"""Each operation that depends on a change waits for it by observing AWS (moto in-process, a fake clock).

AWS's delays are produced here by answering the first calls of an operation the way AWS answers while
a change has not reached it (a Scripted answer, through botocore's before-call event), or by making the
change happen only once the kit has slept (a clock that acts when slept); then moto answers as usual.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from botocore.exceptions import ClientError

import workshop_lib as wl
from workshop_lib import api_request, endpoint, logs, waiting
from workshop_lib.config import ENV_INSTANCE_TYPE
from workshop_lib.connect import Connection
from workshop_lib.errors import DeploymentError, InvalidInput, WaitTimeout


class ActingClock(waiting.InstantClock):
    """Instant time; ``act(n)`` runs after the kit's n-th sleep (the change AWS was still applying)."""

    def __init__(self, act) -> None:
        super().__init__()
        self.act = act

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.act(len(self.slept))


def acting(monkeypatch, act) -> ActingClock:
    clock = ActingClock(act)
    monkeypatch.setattr(waiting, "clock", clock)
    return clock


class Scripted:
    """Answers the first calls of one operation with the given (status, body) pairs; then moto answers."""

    def __init__(self, client: Any, operation: str, *answers: tuple[int, dict[str, Any]]) -> None:
        self.answers = list(answers)
        self.calls = 0
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-call.{service}.{operation}", self)

    def __call__(self, **_: Any) -> Any:
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else None
        if answer is None:  # moto answers this one
            return None
        status, body = answer
        return SimpleNamespace(status_code=status), body


def error(code: str, message: str = "", headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    return 400, {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPHeaders": headers or {}}}


# --- DynamoDB: the index, a consistent read, table states ---------------------------------------------


def put_row(conn: Connection, request_id: str, model: str = "ml-endpoint") -> None:
    item = {
        "requestId": request_id,
        "timestamp": "2026-01-01T00:00:00.000Z",
        "modelName": model,
        "inputData": "{}",
        "prediction": "{}",
        "latencyMs": 3,
    }
    conn.client("dynamodb").put_item(
        TableName=conn.names.table,
        Item={k: {"N": str(v)} if isinstance(v, int) else {"S": v} for k, v in item.items()},
    )


def test_query_inferences__waits_until_the_expected_rows_reach_the_index(moto_conn, monkeypatch):
    wl.create_metadata_table()
    put_row(moto_conn, "r1")
    clock = acting(monkeypatch, lambda n: n == 2 and put_row(moto_conn, "r2"))  # r2 reaches the index late
    history = wl.query_inferences(model="ml-endpoint", expect=["r1", "r2"])
    assert set(history["requestId"]) == {"r1", "r2"} and len(clock.slept) == 2


def test_query_inferences__a_row_that_never_comes_is_a_wait_timeout_naming_it(moto_conn, monkeypatch):
    wl.create_metadata_table()
    acting(monkeypatch, lambda n: None)
    with pytest.raises(WaitTimeout, match=r"1 requests in the inference history.*1 of 1 requests not in"):
        wl.query_inferences(model="ml-endpoint", expect=["never-written"])
    with pytest.raises(InvalidInput, match="list of requestIds"):
        wl.query_inferences(expect="r1")


def test_inference_record__reads_the_table_consistently(moto_conn):
    wl.create_metadata_table()
    put_row(moto_conn, "r1")
    calls = []
    moto_conn.client("dynamodb").meta.events.register(
        "before-call.dynamodb.GetItem", lambda params, **_: calls.append(params)
    )
    assert wl.inference_record("r1")["latencyMs"] == 3
    assert wl.inference_record("absent") == {}
    assert all(json.loads(c["body"])["ConsistentRead"] is True for c in calls) and len(calls) == 2


def test_create_metadata_table__polls_until_table_and_index_are_active(moto_conn, monkeypatch):
    creating = {"Table": {"TableName": "InferenceMetadata", "TableStatus": "CREATING"}}
    index_creating = {
        "Table": {
            "TableName": "InferenceMetadata",
            "TableStatus": "ACTIVE",
            "GlobalSecondaryIndexes": [{"IndexName": "modelName-timestamp-index", "IndexStatus": "CREATING"}],
        }
    }
    clock = acting(monkeypatch, lambda n: None)
    describe = Scripted(moto_conn.client("dynamodb"), "DescribeTable", error("ResourceNotFoundException"))
    table = wl.create_metadata_table()  # the first DescribeTable: no table yet, so it is created
    assert table["TableStatus"] == "ACTIVE" and describe.calls >= 2
    describe.answers = [None, (200, creating), (200, index_creating)]  # moto first: it exists
    clock.slept.clear()
    wl.create_metadata_table()
    assert len(clock.slept) == 2


def test_delete_metadata_table__waits_while_it_is_deleting(moto_conn, monkeypatch):
    wl.create_metadata_table()
    clock = acting(monkeypatch, lambda n: None)
    deleting = (200, {"Table": {"TableName": "InferenceMetadata", "TableStatus": "DELETING"}})
    Scripted(moto_conn.client("dynamodb"), "DescribeTable", deleting, deleting)
    assert wl.delete_metadata_table() is True
    assert len(clock.slept) == 2 and wl.describe_table() is None


# --- CloudWatch Logs: delivery and the rate limit -----------------------------------------------------


def write_lines(conn: Connection, lines: list[str], group: str = "/aws/lambda/ml-inference-lambda") -> None:
    client = conn.client("logs")
    try:
        client.create_log_group(logGroupName=group)
        client.create_log_stream(logGroupName=group, logStreamName="s")
    except ClientError:
        pass  # exists already
    now = int(time.time() * 1000)
    client.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now, "message": m} for m in lines]
    )


INVOCATION = [
    "START RequestId: lam-1 Version: $LATEST",
    json.dumps({"level": "INFO", "requestId": "api-1", "awsRequestId": "lam-1", "recorded": "written"}),
    "END RequestId: lam-1",
    "REPORT RequestId: lam-1\tDuration: 3.00 ms",
]


def test_request_log_lines__polls_at_least_a_second_apart_until_the_report_line_arrives(moto_conn, monkeypatch):
    clock = acting(monkeypatch, lambda n: n == 1 and write_lines(moto_conn, INVOCATION[2:]))
    write_lines(moto_conn, INVOCATION[:2])  # START and the JSON line are there; REPORT comes later
    lines = wl.request_log_lines("api-1")
    assert lines == INVOCATION and len(clock.slept) == 1 and clock.slept[0] >= 1.0  # FilterLogEvents: 5/s per account


def test_request_log_lines__with_expect_waits_for_a_line_containing_it(moto_conn, monkeypatch):
    write_lines(moto_conn, INVOCATION)
    acting(monkeypatch, lambda n: None)
    with pytest.raises(WaitTimeout, match=r"request api-1 \(one with 'AccessDenied'\).*none with 'AccessDenied'"):
        wl.request_log_lines("api-1", expect="AccessDenied", wait_seconds=20)


def test_request_log_lines__a_log_group_not_there_yet_is_waited_for(moto_conn, monkeypatch):
    acting(monkeypatch, lambda n: n == 3 and write_lines(moto_conn, INVOCATION))
    assert wl.request_log_lines("api-1")[-1].startswith("REPORT")


def test_filter_events__a_throttled_read_is_made_again_after_the_backoff(moto_conn, monkeypatch):
    write_lines(moto_conn, INVOCATION)
    clock = acting(monkeypatch, lambda n: None)
    limited = Scripted(moto_conn.client("logs"), "FilterLogEvents", error("ThrottlingException", "Rate exceeded"))
    assert logs.request_log_record("api-1")["recorded"] == "written"
    assert limited.calls >= 2 and len(clock.slept) == 1


def test_replay_unrecorded__waits_for_the_expected_replay_lines(moto_conn, monkeypatch):
    wl.create_metadata_table()
    item = {"requestId": {"S": "api-9"}, "timestamp": {"S": "2026-01-01T00:00:00.000Z"}, "modelName": {"S": "m"}}
    item |= {"inputData": {"S": "{}"}, "prediction": {"S": "{}"}, "latencyMs": {"N": "4"}}
    line = {"requestId": "api-9", "replay": "inference-record/v1", "table": "InferenceMetadata", "item": item}
    acting(monkeypatch, lambda n: n == 2 and write_lines(moto_conn, [json.dumps(line)]))
    write_lines(moto_conn, INVOCATION)
    report = wl.replay_unrecorded(expect=["api-9"])
    assert report.written_ids == ("api-9",) and wl.inference_record("api-9")["latencyMs"] == 4


# --- Lambda and SageMaker: new roles, states, deletion -------------------------------------------------

HANDLER = {"lambda_function.py": "def lambda_handler(event, context):\n    return 1\n"}


def test_deploy_lambda__a_role_lambda_cannot_assume_yet_is_retried(moto_conn, monkeypatch):
    wl.ensure_execution_role()
    clock = acting(monkeypatch, lambda n: None)
    message = "The role defined for the function cannot be assumed by Lambda."
    refused = Scripted(moto_conn.client("lambda"), "CreateFunction", error("InvalidParameterValueException", message))
    result = wl.deploy_lambda(sources=HANDLER)
    assert result.created and refused.calls == 2 and len(clock.slept) == 1


def test_deploy_lambda__waits_for_the_function_to_be_active(moto_conn, monkeypatch):
    wl.ensure_execution_role()
    clock = acting(monkeypatch, lambda n: None)
    pending = (200, {"FunctionName": "ml-inference-lambda", "State": "Pending", "CodeSha256": "x"})
    config = moto_conn.client("lambda").get_function_configuration
    Scripted(moto_conn.client("lambda"), "CreateFunction")  # (no scripted answer: moto creates it)
    states = Scripted(moto_conn.client("lambda"), "GetFunctionConfiguration", error("ResourceNotFoundException"))
    states.answers += [pending, pending]
    assert wl.deploy_lambda(sources=HANDLER).configuration["State"] == "Active"
    assert len(clock.slept) == 2 and config(FunctionName="ml-inference-lambda")["State"] == "Active"


def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "model.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("model.json", b"{}"), ("code/inference.py", b"def model_fn(d):\n    return None\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def described(status: str) -> tuple[int, dict[str, Any]]:
    desc = {"EndpointName": "ml-endpoint", "EndpointArn": "arn", "EndpointStatus": status, "EndpointConfigName": "c"}
    return 200, desc


def test_deploy_endpoint__retries_a_new_role_and_waits_for_in_service_with_progress(
    moto_conn, monkeypatch, tmp_path, capsys
):
    clock = acting(monkeypatch, lambda n: None)
    sm = moto_conn.client("sagemaker")
    message = "Could not assume role arn:aws:iam::123456789012:role/r. Please ensure that the role exists"
    Scripted(sm, "CreateModel", error("ValidationException", message))
    not_found = error("ValidationException", "Could not find endpoint")
    Scripted(sm, "DescribeEndpoint", not_found, not_found, *[described("Creating")] * 5)
    info = wl.deploy_endpoint(artifact(tmp_path))
    assert info.in_service and len(clock.slept) == 6  # 1 for the role, 5 while Creating
    assert "waiting for endpoint ml-endpoint to be InService" in capsys.readouterr().out


def test_wait_for_endpoint__a_failed_endpoint_stops_the_wait_with_its_reason(moto_conn, monkeypatch, tmp_path):
    wl.deploy_endpoint(artifact(tmp_path))
    acting(monkeypatch, lambda n: None)
    failed = (200, {**described("Failed")[1], "FailureReason": "no capacity"})
    Scripted(moto_conn.client("sagemaker"), "DescribeEndpoint", described("Creating"), failed, failed)
    with pytest.raises(DeploymentError, match="status Failed, reason: no capacity"):
        endpoint.wait_for_endpoint()


def test_delete_endpoint__waits_until_gone_and_removes_its_log_group(moto_conn, monkeypatch, tmp_path):
    wl.deploy_endpoint(artifact(tmp_path))
    write_lines(moto_conn, ["container started"], group="/aws/sagemaker/Endpoints/ml-endpoint")
    clock = acting(monkeypatch, lambda n: None)
    info = (200, {**described("InService")[1], "EndpointArn": wl.describe_endpoint().arn})
    Scripted(moto_conn.client("sagemaker"), "DescribeEndpoint", info, described("Deleting"), described("Deleting"))
    deleted = wl.delete_endpoint()
    assert deleted[:2] == ["endpoint ml-endpoint", "log group /aws/sagemaker/Endpoints/ml-endpoint"]
    assert len(clock.slept) == 2
    assert moto_conn.client("logs").describe_log_groups(logGroupNamePrefix="/aws/sagemaker")["logGroups"] == []


def quotas(value: float, instance: str = "ml.t2.medium") -> tuple[int, dict[str, Any]]:
    quota = {"ServiceCode": "sagemaker", "QuotaName": f"{instance} for endpoint usage", "Value": value}
    return 200, {"Quotas": [{"ServiceCode": "sagemaker", "QuotaName": "other", "Value": 9.0}, quota]}


def test_deploy_endpoint__a_quota_of_zero_is_refused_before_anything_is_created(moto_conn, tmp_path):
    Scripted(moto_conn.client("service-quotas"), "ListServiceQuotas", quotas(0.0))
    with pytest.raises(DeploymentError) as err:
        wl.deploy_endpoint(artifact(tmp_path))
    assert "'ml.t2.medium for endpoint usage'" in str(err.value) and "request an increase" in str(err.value)
    assert moto_conn.client("sagemaker").list_models()["Models"] == []


def test_endpoint_quota__unreadable_is_skipped_and_a_positive_one_passes(moto_conn):
    from workshop_lib.endpoint_quota import check_endpoint_quota

    client = moto_conn.client("service-quotas")
    Scripted(client, "ListServiceQuotas", error("AccessDeniedException"), quotas(2.0, "ml.m5.large"))
    assert check_endpoint_quota("ml.t2.medium", moto_conn) is None  # access denied: skipped quietly
    assert check_endpoint_quota("ml.m5.large", moto_conn) == 2.0
    assert check_endpoint_quota("ml.t2.medium", moto_conn) is None  # moto has no Service Quotas: skipped


def test_instance_type__is_a_parameter_with_the_environment_and_a_default(monkeypatch, moto_conn, tmp_path):
    from workshop_lib.endpoint_quota import instance_type

    monkeypatch.delenv(ENV_INSTANCE_TYPE, raising=False)
    assert instance_type("") == "ml.t2.medium"
    monkeypatch.setenv(ENV_INSTANCE_TYPE, "ml.m5.large")
    assert instance_type(None) == "ml.m5.large" and instance_type("ml.c5.xlarge") == "ml.c5.xlarge"
    with pytest.raises(InvalidInput, match="not a SageMaker instance type"):
        instance_type("t2.medium")
    info = wl.deploy_endpoint(artifact(tmp_path))
    config = moto_conn.client("sagemaker").describe_endpoint_config(EndpointConfigName=info.config_name)
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.m5.large"


def test_create_endpoint__resource_limit_exceeded_says_how_to_get_a_quota(moto_conn, tmp_path):
    limit = error("ResourceLimitExceeded", "The account-level service limit 'ml.t2.medium for endpoint usage' is 0")
    Scripted(moto_conn.client("sagemaker"), "CreateEndpoint", limit)
    with pytest.raises(DeploymentError) as err:
        wl.deploy_endpoint(artifact(tmp_path))
    assert err.value.aws_code == "ResourceLimitExceeded" and "Service Quotas console" in str(err.value)


# --- API Gateway: rate limits, and a fresh stage's 5xx --------------------------------------------------


def test_delete_rest_api__a_rate_limited_delete_is_made_again_after_retry_after(moto_conn, monkeypatch):
    wl.ensure_execution_role()
    wl.deploy_lambda(sources=HANDLER)
    wl.create_rest_api()
    clock = acting(monkeypatch, lambda n: None)
    refused = error("TooManyRequestsException", "Too Many Requests", {"retry-after": "30"})
    deletes = Scripted(moto_conn.client("apigateway"), "DeleteRestApi", refused)
    assert wl.delete_rest_api() is True
    assert deletes.calls == 2 and 30.0 in clock.slept
    assert moto_conn.client("apigateway").get_rest_apis()["items"] == []


def test_create_rest_api__deployments_are_paced_to_one_per_five_seconds(moto_conn, monkeypatch):
    wl.ensure_execution_role()
    wl.deploy_lambda(sources=HANDLER)
    clock = acting(monkeypatch, lambda n: None)
    wl.create_rest_api()
    moto_conn.client("apigateway").delete_stage(restApiId=wl.create_rest_api().api_id, stageName="prod")
    wl.create_rest_api()  # deploys again at once: the pacer waits for the rest of CreateDeployment's 5 s
    assert 4.0 < sum(clock.slept) <= 5.0


class _Gateway(BaseHTTPRequestHandler):
    """503 from API Gateway itself for the first requests, then the function's answers."""

    script: ClassVar[list[tuple[int, dict[str, Any]]]] = []
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(self.path)
        status, body = self.script.pop(0) if self.script else (200, {"prediction": "ok"})
        out = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway(monkeypatch):
    _Gateway.script, _Gateway.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    monkeypatch.setattr(waiting, "clock", waiting.InstantClock())
    yield f"http://127.0.0.1:{server.server_port}/inference"
    server.shutdown()
    server.server_close()


def test_send_test_request__retries_api_gateways_own_5xx_of_a_fresh_stage(gateway):
    _Gateway.script = [(503, {"message": "Service Unavailable"}), (500, {"message": "Internal server error"})]
    response = wl.send_test_request(gateway)
    assert response.status == 200 and len(_Gateway.seen) == 3


def test_send_test_request__the_functions_own_error_answer_is_returned_at_once(gateway):
    _Gateway.script = [(502, {"error": "endpoint not found", "errorCode": "ValidationError", "requestId": "r"})]
    assert wl.send_test_request(gateway).status == 502 and len(_Gateway.seen) == 1


def test_send_test_request__after_its_bound_returns_the_last_5xx(gateway):
    _Gateway.script = [(503, {"message": "Service Unavailable"})] * 100
    response = wl.send_test_request(gateway, retry_5xx_for=5)
    assert response.status == 503 and 1 < len(_Gateway.seen) < 100
    _Gateway.seen.clear()
    assert api_request.send_test_request(gateway, retry_5xx_for=0).status == 503 and len(_Gateway.seen) == 1


# --- A policy change proven by its effect: send until recorded / refused --------------------------------


class _Inference(BaseHTTPRequestHandler):
    """A stand-in for API Gateway + the inference Lambda: its write is refused while ``policy`` says so."""

    allowed: ClassVar[list[bool]] = []  # per request: whether the role's policy is in effect for it
    conn: Connection
    count = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).count += 1
        request_id = f"api-{self.count}"
        allowed = self.allowed.pop(0) if self.allowed else True
        if allowed:
            put_row(self.conn, request_id)
            line = {"requestId": request_id, "recorded": "written"}
        else:
            line = {"requestId": request_id, "recorded": "failed", "recordError": "AccessDeniedException: no"}
        write_lines(self.conn, [json.dumps(line)])
        out = json.dumps({"requestId": request_id, "prediction": {}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def inference_api(moto_conn, monkeypatch):
    wl.create_metadata_table()
    _Inference.conn, _Inference.count, _Inference.allowed = moto_conn, 0, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Inference)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    monkeypatch.setattr(waiting, "clock", waiting.InstantClock())
    yield f"http://127.0.0.1:{server.server_port}/inference"
    server.shutdown()
    server.server_close()


def test_send_until_recorded__sends_again_while_the_write_is_refused_with_access_denied(inference_api):
    _Inference.allowed = [False, False, True]
    sent = wl.send_until_recorded(inference_api)
    assert [a.outcome for a in sent.attempts] == [
        "refused: AccessDeniedException: no",
        "refused: AccessDeniedException: no",
        "recorded",
    ]
    assert sent.request_id == "api-3" and wl.inference_record("api-3")
    assert "request 1: api-1 -> refused: AccessDenied" in sent.story()
    summary = r"\n2 request\(s\) refused while IAM was applying the policy, then recorded \d s after the first$"
    assert re.search(summary, sent.story())


def test_send_until_refused__sends_again_while_writes_are_still_allowed(inference_api):
    _Inference.allowed = [True, False]
    sent = wl.send_until_refused(inference_api)
    assert [a.outcome for a in sent.attempts] == ["recorded", "refused: AccessDeniedException: no"]
    assert sent.request_id == "api-2" and not wl.inference_record("api-2") and wl.inference_record("api-1")
    summary = r"\n1 request\(s\) still recorded while IAM was applying the removal, then refused \d s after the first$"
    assert re.search(summary, sent.story())


def test_send_until_recorded__another_refusal_stops_at_once_with_its_reason(inference_api, monkeypatch):
    def refuse_otherwise(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        line = {"requestId": "api-x", "recorded": "failed", "recordError": "ResourceNotFoundException: no table"}
        write_lines(_Inference.conn, [json.dumps(line)])
        out = json.dumps({"requestId": "api-x"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    monkeypatch.setattr(_Inference, "do_POST", refuse_otherwise)
    with pytest.raises(DeploymentError, match="ResourceNotFoundException: no table"):
        wl.send_until_recorded(inference_api)


def test_send_until_recorded__a_policy_that_never_applies_is_a_wait_timeout(inference_api):
    _Inference.allowed = [False] * 1000
    with pytest.raises(WaitTimeout, match=r"the policy to take effect \(a request whose record is written\)") as err:
        wl.send_until_recorded(inference_api, timeout=10)
    assert "wl.role_policies()" in str(err.value)


# --- The clean-up: until gone, skipping what vanished ---------------------------------------------------


def test_cleanup__waits_until_a_deleting_table_is_gone(moto_conn, monkeypatch):
    wl.create_metadata_table()
    clock = acting(monkeypatch, lambda n: None)
    found = wl.kit_resources()
    deleting = (200, {"Table": {"TableName": "InferenceMetadata", "TableStatus": "DELETING"}})
    Scripted(moto_conn.client("dynamodb"), "DescribeTable", deleting, deleting)
    for res in found:
        res.delete()
    assert len(clock.slept) == 2 and wl.kit_resources() == []


def test_kit_resources__a_resource_that_vanishes_while_listed_is_skipped(moto_conn):
    wl.create_metadata_table()
    Scripted(moto_conn.client("dynamodb"), "DescribeTable", error("ResourceNotFoundException", "gone"))
    assert wl.kit_resources() == []


def test_cleanup__removes_the_log_groups_of_a_function_and_endpoint_already_gone(moto_conn):
    write_lines(moto_conn, ["x"], group="/aws/lambda/ml-inference-lambda")
    write_lines(moto_conn, ["y"], group="/aws/sagemaker/Endpoints/ml-endpoint")
    write_lines(moto_conn, ["z"], group="/aws/lambda/someone-elses-function")
    found = wl.cleanup()
    assert sorted(r.name for r in found) == ["/aws/lambda/ml-inference-lambda", "/aws/sagemaker/Endpoints/ml-endpoint"]
    groups = moto_conn.client("logs").describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/aws/lambda/someone-elses-function"]


def test_kit_resources__a_resource_whose_tags_may_not_be_read_is_not_the_kits(moto_conn):
    wl.create_metadata_table()
    wl.ensure_execution_role()
    denied = error("AccessDeniedException", "User: learner is not authorized to perform: dynamodb:ListTagsOfResource")
    Scripted(moto_conn.client("dynamodb"), "ListTagsOfResource", denied)
    assert [r.kind for r in wl.kit_resources()] == ["IAM role (and its policies)"]


def test_cleanup__deletes_again_a_log_group_that_late_log_lines_bring_back(moto_conn, monkeypatch):
    wl.ensure_execution_role()
    wl.deploy_lambda(sources=HANDLER)
    write_lines(moto_conn, INVOCATION)
    # The function's last lines arrive after its log group was deleted, and create it again.
    clock = acting(monkeypatch, lambda n: n == 1 and write_lines(moto_conn, ["late line"]))
    deleted = wl.cleanup()
    assert [r.kind for r in deleted].count("CloudWatch log group") == 1 and len(clock.slept) == 2
    assert wl.kit_resources() == []
    assert moto_conn.client("logs").describe_log_groups()["logGroups"] == []
