"""The inference Lambda's custom metrics (section 8.3, step 2): list them, read a time series, wait for data points.

The Lambda writes one CloudWatch embedded metric format (EMF) line per request (inference_support.py): namespace
``InferencePipeline``, dimension ``ModelName`` (the endpoint it called), metrics ``LatencyMs`` (Milliseconds),
``SuccessCount``, ``ErrorCount``, ``InvalidRequestCount`` and ``UnrecordedCount`` (Count), at high resolution
(``StorageResolution`` 1). CloudWatch extracts the data points from the function's log group; the workshop's own
code calls PutMetricData instead (docs/monitoring.md compares the two). Either way the same ListMetrics and
GetMetricData calls read them, on AWS and on the local cloud.

A metric is its namespace, its name and its whole set of dimensions: a query with another dimension name, or no
dimension, is another metric and finds nothing. Times are UTC: a naive datetime given here is refused rather than
guessed (CloudWatch reads a time without a zone as UTC, which is the warning box's "check the time zone").
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from . import waiting
from .connect import Connection, current
from .errors import InvalidInput, aws_error
from .i18n import _

NAMESPACE = "InferencePipeline"
DIMENSION = "ModelName"  # its value: the endpoint the Lambda called (its ENDPOINT_NAME)
UNITS = {
    "LatencyMs": "Milliseconds",
    "SuccessCount": "Count",
    "ErrorCount": "Count",
    "InvalidRequestCount": "Count",
    "UnrecordedCount": "Count",
}
STATISTICS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount")
METRIC_WAIT_S = 300.0  # EMF metrics appear within seconds locally; on AWS usually within a minute or two
METRICS_DELIVERY = "cloudwatch-metrics"  # the AWS delay the wait is for: a log line's data points become readable
METRIC_BACKOFF = waiting.Backoff(first=1.0, factor=1.5, cap=5.0)


def model_dimensions(conn: Connection, model: str | None = None) -> list[dict[str, str]]:
    """The Lambda's dimension set for ``model`` (default: this participant's endpoint)."""
    return [{"Name": DIMENSION, "Value": model or conn.names.endpoint}]


def custom_metrics(conn: Connection | None = None) -> pd.DataFrame:
    """ListMetrics in the InferencePipeline namespace: one row per metric (name, dimensions), sorted."""
    conn = conn or current()
    rows: list[dict[str, str]] = []
    try:
        for page in conn.client("cloudwatch").get_paginator("list_metrics").paginate(Namespace=NAMESPACE):
            for metric in page["Metrics"]:
                dims = ", ".join(f"{d['Name']}={d['Value']}" for d in metric.get("Dimensions", []))
                rows.append({"namespace": metric["Namespace"], "metric": metric["MetricName"], "dimensions": dims})
    except ClientError as exc:
        raise aws_error(exc, f"the metrics of namespace {NAMESPACE}") from exc
    frame = pd.DataFrame(rows, columns=["namespace", "metric", "dimensions"])
    return frame.sort_values(["metric", "dimensions"], ignore_index=True)


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise InvalidInput(
            _("{name} {moment} has no time zone: CloudWatch would read it as UTC").format(
                name=name, moment=moment.isoformat()
            ),
            resource=name,
            fix=_("pass an aware datetime, e.g. datetime.now(UTC) - timedelta(minutes=10)"),
        )
    return moment.astimezone(UTC)


def _check_query(metric: str, stat: str, period: int) -> None:
    if not metric or not isinstance(metric, str):
        raise InvalidInput(
            _("metric {metric!r} is not a metric name").format(metric=metric),
            fix=_("one of {names}").format(names=", ".join(UNITS)),
        )
    if stat not in STATISTICS:
        raise InvalidInput(
            _("statistic {stat!r} is not one of {names}").format(stat=stat, names=", ".join(STATISTICS)),
            fix=_("for example 'Sum'"),
        )
    if period not in (1, 5, 10, 30) and (period < 60 or period % 60):
        raise InvalidInput(
            _("period {period} s is not 1, 5, 10, 30 or a multiple of 60").format(period=period),
            fix=_("for example period=10 (high resolution)"),
        )


def metric_query(
    query_id: str,
    metric: str,
    *,
    stat: str,
    period: int,
    dimensions: list[dict[str, str]],
    namespace: str = NAMESPACE,
) -> dict[str, Any]:
    """One GetMetricData query (a MetricStat), as a dashboard widget or an alarm names its metric."""
    _check_query(metric, stat, period)
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": True,
    }


def metric_data(
    queries: list[dict[str, Any]], start: datetime, end: datetime, *, conn: Connection | None = None
) -> dict[str, pd.Series]:
    """GetMetricData for ``queries`` between two aware datetimes: per query id, a Series indexed by UTC time."""
    conn = conn or current()
    start, end = _utc(start, "start"), _utc(end, "end")
    if end <= start:
        raise InvalidInput(
            _("end {end} is not after start {start}").format(end=end.isoformat(), start=start.isoformat()),
            fix=_("swap them"),
        )
    found: dict[str, tuple[list[Any], list[float]]] = {q["Id"]: ([], []) for q in queries}
    params: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end}
    try:
        for page in conn.client("cloudwatch").get_paginator("get_metric_data").paginate(**params):
            for result in page["MetricDataResults"]:
                times, values = found[result["Id"]]
                times += result["Timestamps"]
                values += result["Values"]
    except ClientError as exc:
        raise aws_error(exc, "GetMetricData") from exc
    out = {}
    for query_id, (times, values) in found.items():
        index = pd.DatetimeIndex(pd.to_datetime(times, utc=True), name="time (UTC)")
        out[query_id] = pd.Series(values, index=index, dtype=float, name=query_id).sort_index()
    return out


def metric_series(
    metric: str,
    *,
    stat: str = "Average",
    period: int = 10,
    minutes: float = 15,
    start: datetime | None = None,
    end: datetime | None = None,
    dimensions: list[dict[str, str]] | None = None,
    conn: Connection | None = None,
) -> pd.Series:
    """One metric's data points (``stat`` per ``period`` seconds), oldest first, indexed by UTC time.

    The window is the last ``minutes`` unless ``start``/``end`` (aware datetimes) are given; ``dimensions``
    default to this participant's ModelName. An empty Series means no data point in that window for exactly
    that metric (namespace, name and dimension set).
    """
    conn = conn or current()
    end = end or datetime.now(UTC) + timedelta(seconds=period)  # the current period too
    start = start or end - timedelta(minutes=minutes)
    dims = model_dimensions(conn) if dimensions is None else dimensions
    query = metric_query("m", metric, stat=stat, period=period, dimensions=dims)
    series = metric_data([query], start, end, conn=conn)["m"]
    return series.rename(f"{metric} ({stat}, {period} s)")


def wait_for_data_points(
    metric: str,
    *,
    at_least: float = 1,
    since: datetime,
    stat: str = "SampleCount",
    period: int = 10,
    timeout: float = METRIC_WAIT_S,
    conn: Connection | None = None,
) -> pd.Series:
    """Poll GetMetricData until the ``stat`` of ``metric`` since ``since`` adds up to ``at_least``; return it.

    With the default SampleCount that is "at least N requests' data points are readable"; with Sum of
    ErrorCount, "at least N errors". Polls with backoff (waiting.poll); raises WaitTimeout after ``timeout``.
    """
    conn = conn or current()
    since = _utc(since, "since")

    def observe() -> pd.Series | waiting.NotYet:
        series = metric_series(metric, stat=stat, period=period, start=since - timedelta(seconds=period), conn=conn)
        total = float(series.sum())
        return series if total >= at_least else waiting.NotYet(f"{stat} so far: {total:g} of {at_least:g}")

    return waiting.poll(
        observe,
        what=f"{stat} of {NAMESPACE}/{metric} ({DIMENSION}={conn.names.endpoint}) to reach {at_least:g}",
        timeout=timeout,
        fix=_(
            "the metric lines are in the function's log group: check they are there (wl.request_log_lines) and "
            "that the query's dimension is the Lambda's (ModelName = its ENDPOINT_NAME); on AWS allow a few minutes"
        ),
        rule=METRICS_DELIVERY,
        backoff=METRIC_BACKOFF,
    )


def emf_metrics(lines: list[str]) -> pd.DataFrame:
    """The metrics carried by the embedded-metric-format lines among ``lines`` (an invocation's log lines).

    One row per metric: namespace, dimensions (name=value), metric, unit, storage resolution, value. Lines that
    are not JSON or carry no ``_aws.CloudWatchMetrics`` are skipped: CloudWatch makes no metric of them either.
    """
    rows = []
    for line in lines:
        try:
            doc = json.loads(line)
            directives = doc["_aws"]["CloudWatchMetrics"]
        except (ValueError, KeyError, TypeError):
            continue
        for directive in directives:
            for dim_set in directive.get("Dimensions", []):
                dims = ", ".join(f"{d}={doc.get(d)}" for d in dim_set)
                for metric in directive.get("Metrics", []):
                    rows.append(
                        {
                            "namespace": directive.get("Namespace"),
                            "dimensions": dims,
                            "metric": metric.get("Name"),
                            "unit": metric.get("Unit", "None"),
                            "resolution (s)": metric.get("StorageResolution", 60),
                            "value": doc.get(metric.get("Name")),
                        }
                    )
    return pd.DataFrame(rows, columns=["namespace", "dimensions", "metric", "unit", "resolution (s)", "value"])
