"""CloudWatch Logs on a local cloud with AWS's timing: a Lambda's log events show up in GetLogEvents and
FilterLogEvents only after a delivery delay (workshop_lib/local/awslambda/logs.py), and FilterLogEvents is limited
to 5 calls per second per account (workshop_lib/local/logs/quotas.py), the local admin's calls too."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local_cloud.core.timed_cloud import admin_clients
from tests.local_cloud.core.timing_observation import observe, observe_from_the_start, settle
from workshop_lib.deploy import package
from workshop_lib.local.awslambda.logs import LOG_DELIVERY

pytestmark = pytest.mark.local_cloud
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
SOURCE = "def handler(event, context):\n    print('marker', event['marker'])\n    return event['marker']\n"


@pytest.fixture(scope="module")
def cloud(timed_cloud) -> dict[str, Any]:
    return {"client": admin_clients(timed_cloud), "scale": timed_cloud.timing.scale}


@pytest.fixture(scope="module")
def function(cloud) -> str:
    """A deployed, warm function (its role had time to become usable)."""
    iam, lam = cloud["client"]("iam"), cloud["client"]("lambda")
    suffix = uuid.uuid4().hex[:8]
    role = iam.create_role(RoleName=f"timing-logs-{suffix}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    name = f"timing-logs-{suffix}"
    code = package({"app.py": SOURCE})

    def create() -> bool:
        try:
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Arn"], Handler="app.handler",
                                Code={"ZipFile": code})  # fmt: skip
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "InvalidParameterValueException"
            return False
        return True

    settle(create, bool)
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    _invoke(lam, name, "warm-up")
    return name


def _invoke(lam: Any, name: str, marker: str) -> str:
    resp = lam.invoke(FunctionName=name, Payload=json.dumps({"marker": marker}).encode())
    assert json.loads(resp["Payload"].read()) == marker
    return resp["ResponseMetadata"]["RequestId"]


def _filtered_messages(logs: Any, group: str) -> list[str] | str:
    """Every message FilterLogEvents returns for the group (``throttled`` when it was refused for the rate)."""
    try:
        return [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ThrottlingException":
            return "throttled"
        raise


def test_filter_log_events__a_lambdas_lines_show_up_only_after_the_delivery_delay(cloud, function):
    lam, logs = cloud["client"]("lambda"), cloud["client"]("logs")
    group = f"/aws/lambda/{function}"

    def scenario():
        marker = uuid.uuid4().hex
        request_id: list[str] = []
        report = lambda messages: isinstance(messages, list) and any(  # noqa: E731
            m.startswith(f"REPORT RequestId: {request_id[0]}") for m in messages
        )
        seen = observe(
            lambda: request_id.append(_invoke(lam, function, marker)),
            lambda: _filtered_messages(logs, group),
            report,
            low=LOG_DELIVERY.low * cloud["scale"],
            high=LOG_DELIVERY.high * cloud["scale"],
            slack=0.5,  # the delay starts when the line reaches the log shipper, just after it is written
            interval=0.1,  # within FilterLogEvents' 5 calls per second (scaled)
        )
        assert any(f"marker {marker}" in m for m in seen.probes[-1].value)
        return seen

    observe_from_the_start(scenario)


def test_get_log_events__a_streams_new_lines_show_up_after_the_delay_and_in_order(cloud, function):
    lam, logs = cloud["client"]("lambda"), cloud["client"]("logs")
    group = f"/aws/lambda/{function}"
    first = _invoke(lam, function, "first")
    events = settle(
        lambda: logs.filter_log_events(logGroupName=group)["events"],
        lambda evs: any(e["message"].startswith(f"REPORT RequestId: {first}") for e in evs),
    )
    stream = next(e["logStreamName"] for e in events if e["message"].startswith(f"REPORT RequestId: {first}"))

    def messages() -> list[str]:
        return [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]]

    def scenario():
        request_id: list[str] = []
        return observe(
            lambda: request_id.append(_invoke(lam, function, uuid.uuid4().hex)),  # a warm worker: the same stream
            messages,
            lambda lines: any(line.startswith(f"REPORT RequestId: {request_id[0]}") for line in lines),
            low=LOG_DELIVERY.low * cloud["scale"],
            high=LOG_DELIVERY.high * cloud["scale"],
            slack=0.5,
        )

    seen = observe_from_the_start(scenario)
    lines = seen.probes[-1].value
    request = lines[-4:]  # START, the marker line, END, REPORT of the last invocation, in the order written
    assert [line.split(" ", 1)[0] for line in request] == ["START", "marker", "END", "REPORT"]


def test_filter_log_events__over_five_calls_a_second_the_account_is_throttled_with_rate_exceeded(cloud):
    logs = cloud["client"]("logs")
    group = f"/timing/throttle-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    outcomes: list[Any] = []

    def burst(size: int = 16) -> list[Any]:
        barrier = threading.Barrier(size)
        clients = [cloud["client"]("logs") for _ in range(size)]
        results: list[Any] = [None] * size

        def call(i: int) -> None:
            barrier.wait()
            try:
                clients[i].filter_log_events(logGroupName=group)
                results[i] = "ok"
            except ClientError as exc:
                results[i] = exc.response

        threads = [threading.Thread(target=call, args=(i,)) for i in range(size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    for _ in range(5):  # calls sent at once arrive within the (scaled) second: one burst is normally enough
        outcomes = burst()
        if any(o != "ok" for o in outcomes):
            break
    throttled = [o for o in outcomes if o != "ok"]
    assert throttled, "16 FilterLogEvents calls at once were never throttled"
    assert "ok" in outcomes  # up to the limit, calls go through
    error = throttled[0]
    assert error["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    # After the window, the account may call again.
    settle(lambda: _filtered_messages(logs, group), lambda result: result == [], interval=0.2)
