"""GetMetricData and GetMetricStatistics on the local cloud match metrics exactly, as CloudWatch does: a query for a
missing or wrong dimension finds nothing (the workshop's warning box), another namespace's metric of the same name
is another metric, and data points sit at the start of their period."""

from __future__ import annotations

import math
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.local_cloud


@pytest.fixture
def published(local_conn):
    cw = local_conn.client("cloudwatch")
    ns, other = f"Q{uuid.uuid4().hex[:8]}", f"Q{uuid.uuid4().hex[:8]}"
    minute = math.floor(time.time() / 60) * 60 - 120
    at = datetime.fromtimestamp(minute + 17, UTC)
    model, both = (
        [{"Name": "ModelName", "Value": "m"}],
        [{"Name": "ModelName", "Value": "m"}, {"Name": "Stage", "Value": "s"}],
    )
    for dims, values in [(model, [100.0, 300.0]), (both, [5000.0])]:
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "LatencyMs", "Values": values,
                           "Unit": "Milliseconds", "Dimensions": dims, "Timestamp": at}])  # fmt: skip
    cw.put_metric_data(Namespace=other, MetricData=[{"MetricName": "LatencyMs", "Value": 9.0, "Dimensions": model,
                                                     "Timestamp": at}])  # fmt: skip
    return {"cw": cw, "ns": ns, "model": model, "both": both, "minute": minute}


def _data(p, dims, stat="Average", period=60, ns=None, **extra):
    query = {"Metric": {"Namespace": ns or p["ns"], "MetricName": "LatencyMs", "Dimensions": dims}, "Period": period,
             "Stat": stat}  # fmt: skip
    result = p["cw"].get_metric_data(
        MetricDataQueries=[{"Id": "q", "MetricStat": query}],
        StartTime=datetime.fromtimestamp(p["minute"] - 300 + 23, UTC), EndTime=datetime.now(UTC), **extra,
    )["MetricDataResults"][0]  # fmt: skip
    return [(t.timestamp(), v) for t, v in zip(result["Timestamps"], result["Values"], strict=True)]


def test_get_metric_data_matches_the_exact_dimension_set(published):
    p = published
    assert _data(p, p["model"]) == [(p["minute"], 200.0)]  # at its minute's start, the two values averaged
    assert _data(p, p["both"]) == [(p["minute"], 5000.0)]
    assert _data(p, []) == []  # the metric has dimensions: without them, nothing (the warning box)
    assert _data(p, [{"Name": "ModelName", "Value": "other-model"}]) == []
    assert _data(p, p["model"], stat="Maximum") == [(p["minute"], 300.0)]
    assert _data(p, p["model"], stat="p50") == [(p["minute"], 100.0)]


def test_get_metric_statistics_matches_exactly_and_names_the_unit(published):
    p = published

    def stats(dims, **extra):
        return p["cw"].get_metric_statistics(
            Namespace=p["ns"], MetricName="LatencyMs", Dimensions=dims, Period=60, Statistics=["Sum", "SampleCount"],
            StartTime=datetime.fromtimestamp(p["minute"] - 300, UTC), EndTime=datetime.now(UTC), **extra,
        )["Datapoints"]  # fmt: skip

    (point,) = stats(p["model"])
    assert (point["Timestamp"].timestamp(), point["Sum"], point["SampleCount"], point["Unit"]) == (
        p["minute"], 400.0, 2.0, "Milliseconds",
    )  # fmt: skip
    assert stats([]) == []
    assert stats(p["model"], Unit="Count") == []
    (p99,) = stats(p["model"], ExtendedStatistics=["p99"])
    assert p99["ExtendedStatistics"] == {"p99": 300.0}


def test_a_high_resolution_period_and_ascending_order(local_conn):
    cw = local_conn.client("cloudwatch")
    ns = f"Q{uuid.uuid4().hex[:8]}"
    base = math.floor(time.time() / 10) * 10 - 60
    for offset, value in [(1, 1.0), (4, 2.0), (12, 7.0)]:
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "C", "Value": value, "StorageResolution": 1,
                           "Timestamp": datetime.fromtimestamp(base + offset, UTC)}])  # fmt: skip
    result = cw.get_metric_data(
        MetricDataQueries=[{"Id": "c", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "C"}, "Period": 10,
                                                      "Stat": "Sum"}}],
        StartTime=datetime.fromtimestamp(base + 3, UTC), EndTime=datetime.now(UTC) + timedelta(seconds=5),
        ScanBy="TimestampAscending",
    )["MetricDataResults"][0]  # fmt: skip
    assert [t.timestamp() - base for t in result["Timestamps"]] == [0, 10]  # the start rounds down to the period
    assert result["Values"] == [3.0, 7.0]
