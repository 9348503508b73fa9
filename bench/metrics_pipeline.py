"""CloudWatch on the local cloud: how soon a request's metrics and an alarm's notification can be seen.

    .venv/bin/python bench/metrics_pipeline.py [--requests 1000] [--concurrency 4] [--alarms 20]

The script starts a local cloud of its own, deploys the workshop with workshop_lib (as bench/api_roundtrip.py
does), then:

1. Metric visibility: sends ``--requests`` requests through the API (HTTP -> API Gateway -> Lambda -> SageMaker and
   DynamoDB) at ``--concurrency`` while a poller asks GetMetricData, every 50 ms, for the SampleCount of the Lambda's
   EMF metric ``InferencePipeline/SuccessCount``. Each request's EMF log line carries its time (``_aws.Timestamp``,
   read back from CloudWatch Logs afterwards); the k-th line in time order is visible when the count reaches k. The
   delay is that moment minus the line's time (p50, p99).
2. Alarm notification: ``--alarms`` times, a new alarm (Period 10 s, Sum > 0, action: an SNS topic with an email
   subscription) and a breaching data point (PutMetricData, in the last complete period); the delays from the
   data point to the email in the local inbox, and from the evaluation that breaches (the alarm's
   StateUpdatedTimestamp) to the email (the inbox's ``sent_at``).

Goals (2 cores): metric visible <= 2 s p99; notification <= 2 s after the evaluation that breaches. On AWS an alarm
is evaluated about once a minute, so there the notification comes up to a minute (or more) after the data point.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_roundtrip import deploy_workshop, http_caller, private_local_cloud  # noqa: E402
from workshop_lib.connect import Connection  # noqa: E402

REGION = "us-east-1"
NAMESPACE, METRIC = "InferencePipeline", "SuccessCount"
POLL_S = 0.05


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def sample_count(cw, dims: list[dict], start: datetime) -> float:
    result = cw.get_metric_data(
        MetricDataQueries=[{"Id": "n", "MetricStat": {"Metric": {"Namespace": NAMESPACE, "MetricName": METRIC,
                            "Dimensions": dims}, "Period": 60, "Stat": "SampleCount"}}],
        StartTime=start, EndTime=datetime.now(UTC) + timedelta(minutes=1),
    )["MetricDataResults"][0]  # fmt: skip
    return sum(result["Values"])


def emf_times(conn: Connection, since_ms: int) -> list[float]:
    """The ``_aws.Timestamp`` (seconds) of every EMF line of the function's log group since ``since_ms``."""
    logs, times = conn.client("logs"), []
    kwargs = {"logGroupName": f"/aws/lambda/{conn.names.function}", "startTime": since_ms, "filterPattern": "_aws"}
    while True:
        page = logs.filter_log_events(**kwargs)
        for event in page["events"]:
            try:
                doc = json.loads(event["message"])
            except ValueError:
                continue
            if METRIC in doc and "_aws" in doc:
                times.append(doc["_aws"]["Timestamp"] / 1000)
        if not page.get("nextToken"):
            return sorted(times)
        kwargs["nextToken"] = page["nextToken"]


def metric_visibility(conn: Connection, url: str, requests: int, concurrency: int) -> list[float]:
    cw, call = conn.client("cloudwatch"), http_caller(url)
    with ThreadPoolExecutor(concurrency) as pool:  # warm-up: cold starts, and the metric's dimensions
        list(pool.map(lambda _: call(), range(2 * concurrency)))
    metrics = []
    while not metrics:
        metrics = cw.list_metrics(Namespace=NAMESPACE, MetricName=METRIC)["Metrics"]
        time.sleep(0.2)
    dims, start = metrics[0]["Dimensions"], datetime.now(UTC) - timedelta(minutes=2)
    time.sleep(2.0)  # the warm-up's data points are all stored
    base, since_ms = sample_count(cw, dims, start), int(time.time() * 1000)
    seen: list[tuple[float, float]] = []  # (when, count above base)
    done = threading.Event()

    def poll() -> None:
        while True:
            count = sample_count(cw, dims, start) - base
            seen.append((time.time(), count))
            if done.is_set() and count >= requests:
                return
            time.sleep(POLL_S)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(lambda _: call(), range(requests)))
    done.set()
    poller.join(timeout=60)
    if any(s != 200 for s in statuses):
        raise SystemExit(f"requests failed: statuses {sorted(set(statuses))}")
    lines = emf_times(conn, since_ms)[:requests]
    delays, i = [], 0
    for k, written in enumerate(lines, start=1):
        while i < len(seen) and seen[i][1] < k:
            i += 1
        if i == len(seen):
            raise SystemExit(f"only {int(seen[-1][1])} of {requests} data points became visible")
        delays.append(max(0.0, seen[i][0] - written))
    return delays


def inbox(conn: Connection, address: str) -> list[dict]:
    url = f"{conn.endpoint_url}/_workshop/sns/inbox?address={urllib.parse.quote(address)}"
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())["messages"]


def alarm_notifications(conn: Connection, trials: int) -> tuple[list[float], list[float]]:
    cw, sns = conn.client("cloudwatch"), conn.client("sns")
    topic = sns.create_topic(Name=f"bench-alarms-{uuid.uuid4().hex[:6]}")["TopicArn"]
    address = f"bench-{uuid.uuid4().hex[:6]}@example.com"
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)
    from_point, from_evaluation = [], []
    for n in range(trials):
        name, ns = f"bench-alarm-{n}-{uuid.uuid4().hex[:4]}", f"Bench{uuid.uuid4().hex[:6]}"
        cw.put_metric_alarm(AlarmName=name, Namespace=ns, MetricName="Errors", Statistic="Sum", Period=10,
                            EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold",
                            AlarmActions=[topic])  # fmt: skip
        while time.time() % 10 > 5:  # leave the next evaluations the whole last period
            time.sleep(0.05)
        when = datetime.fromtimestamp(math.floor(time.time() / 10) * 10 - 5, UTC)
        put_at = time.time()
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Errors", "Value": 1, "Timestamp": when,
                                                      "StorageResolution": 1}])  # fmt: skip
        while not (mail := [m for m in inbox(conn, address) if f'"{name}"' in m["subject"]]):
            time.sleep(0.02)
        arrived = time.time()
        updated = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateUpdatedTimestamp"].timestamp()
        sent = datetime.fromisoformat(mail[0]["sent_at"].replace("Z", "+00:00")).timestamp()
        from_point.append(arrived - put_at)
        from_evaluation.append(max(0.0, sent - updated))
    return from_point, from_evaluation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--alarms", type=int, default=20)
    args = parser.parse_args(argv)
    with private_local_cloud("bench-metrics-") as (conn, _state_dir):
        url = deploy_workshop(conn)
        visible = metric_visibility(conn, url, args.requests, args.concurrency)
        from_point, from_evaluation = alarm_notifications(conn, args.alarms)
    print(f"\n{'measure':<58} {'n':>5} {'p50 s':>7} {'p99 s':>7} {'max s':>7}")
    rows = [
        (f"EMF log line -> visible to GetMetricData (c={args.concurrency})", visible),
        ("breaching data point -> email in the inbox", from_point),
        ("evaluation that breaches -> email in the inbox", from_evaluation),
    ]
    for label, values in rows:
        print(f"{label:<58} {len(values):>5} {statistics.median(values):>7.3f} {pct(values, 99):>7.3f} "
              f"{max(values):>7.3f}")  # fmt: skip
    met_metric, met_alarm = pct(visible, 99) <= 2.0, pct(from_evaluation, 99) <= 2.0
    print(f"\ngoal: metric visible <= 2 s p99: {'met' if met_metric else 'NOT met'}")
    print(f"goal: notification <= 2 s after the evaluation that breaches: {'met' if met_alarm else 'NOT met'} "
          "(AWS evaluates about once a minute: there the email comes up to a minute after the data point)")
    print(f"cpu cores: {os.cpu_count()}; python {sys.version.split()[0]}")
    return 0 if met_metric and met_alarm else 1


if __name__ == "__main__":
    sys.exit(main())
