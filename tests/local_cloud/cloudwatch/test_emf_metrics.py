"""EMF lines a Lambda function writes become CloudWatch metrics on the local cloud, read back through boto3 only;
the Lambda plane publishes AWS/Lambda metrics per function."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from workshop_lib.deploy import package

pytestmark = pytest.mark.local_cloud
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
# The function prints each line of the event's "lines" (objects are dumped as JSON, strings as they are).
CODE = """
import json
def handler(event, context):
    for line in event.get("lines", []):
        print(line if isinstance(line, str) else json.dumps(line))
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"ok": True}
"""


@pytest.fixture(scope="module")
def function(local_cloud):
    from workshop_lib.connect import connect

    conn = connect("local", "us-east-1", make_current=False)
    iam = conn.client("iam")
    role = iam.create_role(RoleName=f"emf-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))
    name = f"emf-{uuid.uuid4().hex[:10]}"
    conn.client("lambda").create_function(
        FunctionName=name, Runtime="python3.11", Role=role["Role"]["Arn"], Handler="app.handler",
        Code={"ZipFile": package({"app.py": CODE})},
    )  # fmt: skip
    return name


def _emf(namespace: str, metrics: list[dict], dimensions: list[list[str]], **members) -> dict:
    ts = members.pop("_ts", int(time.time() * 1000))
    directive = {"Namespace": namespace, "Dimensions": dimensions, "Metrics": metrics}
    return {"_aws": {"Timestamp": ts, "CloudWatchMetrics": [directive]}, **members}


def _invoke(conn, function: str, lines: list, fail: bool = False) -> None:
    payload = json.dumps({"lines": lines, "fail": fail}).encode()
    resp = conn.client("lambda").invoke(FunctionName=function, Payload=payload)
    resp["Payload"].read()


def _metrics(cw, namespace: str, *, want: int, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = cw.list_metrics(Namespace=namespace)["Metrics"]
        if len(found) >= want or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _sum(cw, namespace: str, name: str, dims: list[dict], *, period: int = 60, stat: str = "Sum", unit=None):
    now = datetime.now(UTC)
    stat_query = {"Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dims}, "Period": period,
                  "Stat": stat}  # fmt: skip
    if unit:
        stat_query["Unit"] = unit
    result = cw.get_metric_data(
        MetricDataQueries=[{"Id": "q", "MetricStat": stat_query}],
        StartTime=now - timedelta(minutes=30), EndTime=now + timedelta(minutes=2),
    )["MetricDataResults"][0]  # fmt: skip
    return sum(result["Values"]), result


def test_emf_line_becomes_metrics_with_units_dimensions_and_timestamp(local_conn, function):
    ns = f"Emf{uuid.uuid4().hex[:8]}"
    line = _emf(
        ns,
        [{"Name": "LatencyMs", "Unit": "Milliseconds"}, {"Name": "SuccessCount", "Unit": "Count"}],
        [["ModelName"], ["ModelName", "Stage"]],
        ModelName="m1", Stage="prod", LatencyMs=123.5, SuccessCount=1, requestId="r-1",
    )  # fmt: skip
    _invoke(local_conn, function, [line])
    cw = local_conn.client("cloudwatch")
    found = _metrics(cw, ns, want=4)
    keys = sorted((m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]))) for m in found)
    assert keys == [
        ("LatencyMs", (("ModelName", "m1"),)),
        ("LatencyMs", (("ModelName", "m1"), ("Stage", "prod"))),
        ("SuccessCount", (("ModelName", "m1"),)),
        ("SuccessCount", (("ModelName", "m1"), ("Stage", "prod"))),
    ]
    total, _ = _sum(cw, ns, "LatencyMs", [{"Name": "ModelName", "Value": "m1"}], stat="Average", unit="Milliseconds")
    assert total == 123.5
    none, _ = _sum(cw, ns, "LatencyMs", [{"Name": "ModelName", "Value": "m1"}], unit="Count")
    assert none == 0  # the unit is kept: a query for another unit finds nothing
    stats = cw.get_metric_statistics(
        Namespace=ns, MetricName="SuccessCount",
        Dimensions=[{"Name": "ModelName", "Value": "m1"}, {"Name": "Stage", "Value": "prod"}],
        StartTime=datetime.now(UTC) - timedelta(minutes=10), EndTime=datetime.now(UTC) + timedelta(minutes=1),
        Period=60, Statistics=["Sum", "SampleCount"],
    )["Datapoints"]  # fmt: skip
    assert [(p["Sum"], p["SampleCount"], p["Unit"]) for p in stats] == [(1.0, 1.0, "Count")]


def test_array_values_and_high_resolution_keep_their_second(local_conn, function):
    ns = f"Emf{uuid.uuid4().hex[:8]}"
    ts = int(time.time() * 1000) - 20_000
    line = _emf(ns, [{"Name": "Lat", "Unit": "Milliseconds", "StorageResolution": 1}], [["Fn"]],
                Fn="f", Lat=[10, 20, 30], _ts=ts)  # fmt: skip
    _invoke(local_conn, function, [line])
    cw = local_conn.client("cloudwatch")
    assert _metrics(cw, ns, want=1)
    deadline = time.monotonic() + 10
    total, result = _sum(cw, ns, "Lat", [{"Name": "Fn", "Value": "f"}], period=1, stat="SampleCount")
    while total < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
        total, result = _sum(cw, ns, "Lat", [{"Name": "Fn", "Value": "f"}], period=1, stat="SampleCount")
    assert total == 3  # three data points, one per array value
    assert len(result["Values"]) == 1
    stamp = result["Timestamps"][0].astimezone(UTC).timestamp()
    assert abs(stamp - ts // 1000) <= 1  # stored at its second, not its minute


def test_standard_resolution_is_stored_at_its_minute(local_conn, function):
    ns = f"Emf{uuid.uuid4().hex[:8]}"
    ts = (int(time.time()) // 60) * 60 * 1000 - 60_000 + 37_000  # 37 s into the previous minute
    _invoke(local_conn, function, [_emf(ns, [{"Name": "C", "Unit": "Count"}], [], C=2, _ts=ts)])
    cw = local_conn.client("cloudwatch")
    assert _metrics(cw, ns, want=1)
    start = datetime.fromtimestamp(ts // 1000 - 37, UTC)
    stats = cw.get_metric_statistics(Namespace=ns, MetricName="C", StartTime=start,
                                     EndTime=start + timedelta(seconds=1), Period=1, Statistics=["Sum"])  # fmt: skip
    assert [p["Sum"] for p in stats["Datapoints"]] == [2.0]  # found in the minute's first second


def test_invalid_emf_is_ignored_and_valid_lines_around_it_count(local_conn, function):
    ns = f"Emf{uuid.uuid4().hex[:8]}"
    good = _emf(ns, [{"Name": "Ok", "Unit": "Count"}], [["D"]], D="x", Ok=1)
    lines = [
        {"D": "x", "Ok": 5},  # no _aws: an ordinary JSON log line
        {"_aws": {"Timestamp": "yesterday", "CloudWatchMetrics": []}, "Ok": 5},  # malformed _aws
        {"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [{"Namespace": ns}]}, "Ok": 5},
        _emf(ns, [{"Name": "Ok"}], [["Missing"]], Ok=5),  # a dimension naming no member: nothing
        _emf(ns, [{"Name": "Ok", "Unit": "Parsecs"}], [], Ok=5),  # an unknown unit: the metric is skipped
        _emf(ns, [{"Name": "Ok"}], [["D"]], D="x", Ok=5, _ts=int((time.time() - 15 * 86400) * 1000)),  # too old
        "not json {",
        good,
    ]
    _invoke(local_conn, function, lines)
    cw = local_conn.client("cloudwatch")
    found = _metrics(cw, ns, want=1)
    time.sleep(1.0)  # anything else would have arrived with the good line
    found = cw.list_metrics(Namespace=ns)["Metrics"]
    assert [(m["MetricName"], m["Dimensions"]) for m in found] == [("Ok", [{"Name": "D", "Value": "x"}])]
    total, _ = _sum(cw, ns, "Ok", [{"Name": "D", "Value": "x"}], period=3600)
    assert total == 1.0


def test_lambda_publishes_invocations_errors_and_duration(local_conn, function):
    _invoke(local_conn, function, [])
    _invoke(local_conn, function, [], fail=True)
    cw = local_conn.client("cloudwatch")
    dims = [{"Name": "FunctionName", "Value": function}]
    deadline = time.monotonic() + 10
    while _sum(cw, "AWS/Lambda", "Invocations", dims)[0] < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _sum(cw, "AWS/Lambda", "Invocations", dims)[0] >= 2
    assert _sum(cw, "AWS/Lambda", "Errors", dims)[0] >= 1
    duration, _ = _sum(cw, "AWS/Lambda", "Duration", dims, stat="Maximum", unit="Milliseconds")
    assert duration > 0
