"""EMF extraction (workshop_lib/local/cloudwatch/emf.py) and the stored time of a data point, as pure functions."""

from __future__ import annotations

import json

import pytest

from workshop_lib.local.cloudwatch.emf import parse_event
from workshop_lib.local.cloudwatch.metrics_writer import stored_time
from workshop_lib.local.core.monitoring_records import MetricPoint

NOW = 1_800_000_000.0
TS = int(NOW * 1000) - 5_000


def line(metrics, dimensions, ts=TS, namespace="Ns", **members) -> str:
    directive = {"Namespace": namespace, "Dimensions": dimensions, "Metrics": metrics}
    return json.dumps({"_aws": {"Timestamp": ts, "CloudWatchMetrics": [directive]}, **members}) + "\n"


def test_the_kit_lambdas_line():
    text = line(
        [{"Name": "LatencyMs", "Unit": "Milliseconds"}, {"Name": "ErrorCount", "Unit": "Count"}],
        [["ModelName"]], namespace="InferencePipeline", ModelName="m", LatencyMs=12.5, ErrorCount=0, requestId="r",
    )  # fmt: skip
    assert parse_event(text, NOW) == [
        MetricPoint("InferencePipeline", "LatencyMs", (("ModelName", "m"),), (12.5,), TS / 1000, "Milliseconds"),
        MetricPoint("InferencePipeline", "ErrorCount", (("ModelName", "m"),), (0.0,), TS / 1000, "Count"),
    ]


def test_every_dimension_set_gets_every_metric_and_dimensions_are_sorted():
    text = line([{"Name": "A"}, {"Name": "B"}], [["Z", "Y"], []], Z="z", Y="y", A=1, B=2)
    points = parse_event(text, NOW)
    assert [(p.name, p.dimensions) for p in points] == [
        ("A", (("Y", "y"), ("Z", "z"))), ("A", ()), ("B", (("Y", "y"), ("Z", "z"))), ("B", ()),
    ]  # fmt: skip
    assert all(p.unit is None and p.storage_resolution == 60 for p in points)


def test_arrays_and_high_resolution():
    (point,) = parse_event(line([{"Name": "L", "StorageResolution": 1}], [], L=[1, 2.5, 3]), NOW)
    assert point.values == (1.0, 2.5, 3.0)
    assert point.storage_resolution == 1


@pytest.mark.parametrize(
    "message",
    [
        "plain text\n",
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"A": 1}),  # no _aws
        json.dumps({"_aws": "x", "A": 1}),
        json.dumps({"_aws": {"CloudWatchMetrics": []}, "A": 1}),  # no Timestamp
        json.dumps({"_aws": {"Timestamp": "now", "CloudWatchMetrics": []}, "A": 1}),
        json.dumps({"_aws": {"Timestamp": TS, "CloudWatchMetrics": {"Namespace": "N"}}, "A": 1}),
        line([{"Name": "A"}], [], ts=int((NOW - 14 * 86400 - 60) * 1000), A=1),  # older than two weeks
        line([{"Name": "A"}], [], ts=int((NOW + 3 * 3600) * 1000), A=1),  # more than 2 hours ahead
        line([{"Name": "A"}], [], namespace="", A=1),
        line([{"Name": "A"}], [["D"]], A=1),  # the dimension names no member
        line([{"Name": "A"}], [["D"]], D=3, A=1),  # a dimension value must be a string
        line([{"Name": "A"}], "D", D="d", A=1),  # Dimensions must be a list of lists
        line([{"Name": "A", "Unit": "Parsecs"}], [], A=1),
        line([{"Name": "A", "StorageResolution": 5}], [], A=1),
        line([{"Name": "A"}], [], A="12"),  # a string is not a value
        line([{"Name": "A"}], [], A=[]),
        line([{"Name": "A"}], [], A=[1, "x"]),
        line([{"Name": "A"}], [], A=list(range(101))),
        line([{"Name": "A"}], [], A=True),
        line([{"Name": "A"}], []),  # no member of that name
    ],
)
def test_what_carries_no_metric(message):
    assert parse_event(message, NOW) == []


def test_a_bad_metric_does_not_drop_its_neighbours():
    text = line([{"Name": "A", "Unit": "Parsecs"}, {"Name": "B", "Unit": "Count"}], [], A=1, B=2)
    assert [p.name for p in parse_event(text, NOW)] == ["B"]


def test_a_timestamp_just_within_two_weeks_counts():
    ts = int((NOW - 14 * 86400 + 60) * 1000)
    assert [p.timestamp for p in parse_event(line([{"Name": "A"}], [], ts=ts, A=1), NOW)] == [ts / 1000]


@pytest.mark.parametrize(("resolution", "expected"), [(1, 1_800_000_017.0), (60, 1_800_000_000.0)])
def test_stored_time_by_resolution(resolution, expected):
    point = MetricPoint("N", "A", (), (1.0,), 1_800_000_017.75, storage_resolution=resolution)
    assert stored_time(point) == expected
