"""InvokeEndpoint leaves what SageMaker leaves in CloudWatch: an access-log line per invocation in the endpoint's log
group and the AWS/SageMaker per-variant metrics (Invocations, ModelLatency in microseconds, 4XX and 5XX errors)."""

from __future__ import annotations

import io
import tarfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from workshop_lib import endpoint
from workshop_lib.connect import Connection, connect, use

pytestmark = pytest.mark.local_cloud
REGION = "us-east-1"
SCRIPT = (
    "import json\n"
    "def model_fn(model_dir):\n    return 'model'\n"
    "def input_fn(body, content_type):\n    return json.loads(body)\n"
    "def predict_fn(data, model):\n"
    "    if data.get('fail'):\n        raise RuntimeError('asked to fail')\n"
    "    return {'echo': data}\n"
    "def output_fn(prediction, accept):\n    return json.dumps(prediction), 'application/json'\n"
)


@pytest.fixture(scope="module")
def conn(local_cloud) -> Iterator[Connection]:
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "WORKSHOP_TARGET", "WORKSHOP_PREFIX"):
            mp.delenv(var, raising=False)
        with use(connect("local", REGION, prefix=f"cw{uuid.uuid4().hex[:10]}", make_current=False)) as conn:
            yield conn


@pytest.fixture(scope="module")
def endpoint_name(conn: Connection, tmp_path_factory) -> str:
    path: Path = tmp_path_factory.mktemp("artifact") / "model.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(SCRIPT)
        tar.addfile(info, io.BytesIO(SCRIPT.encode()))
    return endpoint.deploy(path, name=f"metrics-{uuid.uuid4().hex[:8]}", conn=conn).name


def _stat(cw, name: str, dims: list[dict], stat: str) -> float:
    now = datetime.now(UTC)
    points = cw.get_metric_statistics(
        Namespace="AWS/SageMaker", MetricName=name, Dimensions=dims, StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1), Period=3600, Statistics=[stat],
    )["Datapoints"]  # fmt: skip
    return sum(p[stat] for p in points)


def test_invocations_leave_metrics_and_access_log_lines(conn: Connection, endpoint_name: str):
    runtime = conn.client("sagemaker-runtime")
    for _ in range(2):
        resp = runtime.invoke_endpoint(EndpointName=endpoint_name, ContentType="application/json", Body=b'{"a": 1}')
        variant = resp["InvokedProductionVariant"]
    with pytest.raises(ClientError):
        runtime.invoke_endpoint(EndpointName=endpoint_name, ContentType="application/json", Body=b'{"fail": true}')
    cw = conn.client("cloudwatch")
    dims = [{"Name": "EndpointName", "Value": endpoint_name}, {"Name": "VariantName", "Value": variant}]
    deadline = time.monotonic() + 10
    while _stat(cw, "Invocations", dims, "Sum") < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _stat(cw, "Invocations", dims, "Sum") == 3
    assert _stat(cw, "Invocation5XXErrors", dims, "Sum") == 1
    assert _stat(cw, "Invocation4XXErrors", dims, "Sum") == 0
    assert _stat(cw, "ModelLatency", dims, "Minimum") > 0
    listed = cw.list_metrics(Namespace="AWS/SageMaker", Dimensions=[{"Name": "EndpointName", "Value": endpoint_name}])
    assert {m["MetricName"] for m in listed["Metrics"]} == {
        "Invocations", "Invocation4XXErrors", "Invocation5XXErrors", "ModelLatency",
    }  # fmt: skip
    events = conn.client("logs").filter_log_events(logGroupName=f"/aws/sagemaker/Endpoints/{endpoint_name}")
    access = [e["message"] for e in events["events"] if '"POST /invocations HTTP/1.1"' in e["message"]]
    assert [line.split('" ')[1].split()[0] for line in access] == ["200", "200", "500"]
    assert any("RuntimeError: asked to fail" in e["message"] for e in events["events"])


def test_a_refused_request_leaves_nothing(conn: Connection):
    runtime, cw = conn.client("sagemaker-runtime"), conn.client("cloudwatch")
    name = f"nothing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError):
        runtime.invoke_endpoint(EndpointName=name, ContentType="application/json", Body=b"{}")
    time.sleep(1.0)  # the writer would have stored it by now
    listed = cw.list_metrics(Namespace="AWS/SageMaker", Dimensions=[{"Name": "EndpointName", "Value": name}])
    assert listed["Metrics"] == []
