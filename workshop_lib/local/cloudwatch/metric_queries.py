"""GetMetricData (MetricStat queries) and GetMetricStatistics as CloudWatch answers them, over the stored data.

moto 5.2 answers both, but matches dimensions loosely: a query without dimensions gets the data of every dimension
set, GetMetricStatistics matches a subset of a data point's dimensions, and GetMetricData with dimensions ignores
the namespace. CloudWatch treats each combination of namespace, name and full dimension set as its own metric, so a
query for the wrong (or a missing) dimension finds nothing: the warning box of the workshop's section 8.3. These
functions keep that rule (``MotoCloudWatch.data`` reads the exact metric) and CloudWatch's time alignment: the
start time is rounded down to the minute (a period under 60 s: to a multiple of the period), and each data point's
timestamp is the start of its period. Queries holding a metric-math or Metrics Insights expression stay moto's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..core.monitoring_records import Dimensions, StoredDatum
from .evaluation import statistic

Reader = Callable[[str, str, Dimensions, float, float], list[StoredDatum]]
STANDARD_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


def aligned_start(start: float, period: int) -> float:
    """Where CloudWatch starts the first period (for data under 15 days old)."""
    step = period if period < 60 else 60
    return math.floor(start / step) * step


def dimensions_of(raw: Any) -> Dimensions:
    return tuple(sorted((str(d["Name"]), str(d["Value"])) for d in raw or ()))


def buckets(data: list[StoredDatum], start: float, end: float, period: int) -> dict[float, list[StoredDatum]]:
    """The data grouped by period start (only periods that hold data)."""
    first = aligned_start(start, period)
    grouped: dict[float, list[StoredDatum]] = {}
    for datum in data:
        if first <= datum.timestamp < end:
            key = first + math.floor((datum.timestamp - first) / period) * period
            grouped.setdefault(key, []).append(datum)
    return grouped


def metric_stat_result(read: Reader, query: dict[str, Any], start: float, end: float, descending: bool) -> dict:
    """One MetricDataResult of a MetricStat query."""
    stat_query = query["MetricStat"]
    metric, period, stat = stat_query["Metric"], int(stat_query["Period"]), stat_query["Stat"]
    unit = stat_query.get("Unit")
    data = read(metric["Namespace"], metric["MetricName"], dimensions_of(metric.get("Dimensions")),
                aligned_start(start, period), end)  # fmt: skip
    if unit:
        data = [d for d in data if d.unit == unit]
    points = sorted((t, statistic(group, stat)) for t, group in buckets(data, start, end, period).items())
    points = [(t, v) for t, v in points if v is not None]
    if descending:
        points.reverse()
    return {
        "Id": query["Id"],
        "Label": query.get("Label") or metric["MetricName"],
        "Timestamps": [t for t, _ in points],
        "Values": [v for _, v in points],
        "StatusCode": "Complete",
    }


def get_metric_data(read: Reader, params: dict[str, Any]) -> dict[str, Any]:
    """GetMetricData's answer (every query a MetricStat one: the caller checks ``claims_metric_data``)."""
    start, end = float(params["StartTime"]), float(params["EndTime"])
    descending = params.get("ScanBy", "TimestampDescending") == "TimestampDescending"
    results = [
        metric_stat_result(read, q, start, end, descending)
        for q in params["MetricDataQueries"]
        if q.get("ReturnData", True)
    ]
    return {"MetricDataResults": results, "Messages": []}


def claims_metric_data(params: dict[str, Any]) -> bool:
    """Whether the local cloud answers this GetMetricData itself (MetricStat queries only, a valid time range)."""
    queries = params.get("MetricDataQueries")
    if not isinstance(queries, list) or not queries or not _times(params):
        return False
    return all(isinstance(q, dict) and "MetricStat" in q and "Expression" not in q and _stat_ok(q) for q in queries)


def _stat_ok(query: dict[str, Any]) -> bool:
    stat = query.get("MetricStat")
    try:
        metric, period, name = stat["Metric"], int(stat["Period"]), stat["Stat"]  # type: ignore[index]
        ok = isinstance(metric["Namespace"], str) and isinstance(metric["MetricName"], str)
    except (KeyError, TypeError, ValueError):
        return False
    return ok and period > 0 and (name in STANDARD_STATISTICS or _percentile(name))


def _percentile(name: Any) -> bool:
    try:
        return isinstance(name, str) and name.startswith("p") and 0 < float(name[1:]) <= 100
    except ValueError:
        return False


def _times(params: dict[str, Any]) -> bool:
    start, end = params.get("StartTime"), params.get("EndTime")
    return isinstance(start, int | float) and isinstance(end, int | float) and start < end


def claims_statistics(params: dict[str, Any]) -> bool:
    """Whether the local cloud answers this GetMetricStatistics itself (moto answers what it would refuse)."""
    stats, extended = params.get("Statistics") or [], params.get("ExtendedStatistics") or []
    try:
        period = int(params["Period"])
        names_ok = isinstance(params["Namespace"], str) and isinstance(params["MetricName"], str)
    except (KeyError, TypeError, ValueError):
        return False
    return (
        names_ok and period > 0 and _times(params) and bool(stats or extended)
        and all(s in STANDARD_STATISTICS for s in stats) and all(_percentile(p) for p in extended)
    )  # fmt: skip


def get_metric_statistics(read: Reader, params: dict[str, Any]) -> dict[str, Any]:
    """GetMetricStatistics' answer, oldest first as CloudWatch lists them."""
    start, end, period = float(params["StartTime"]), float(params["EndTime"]), int(params["Period"])
    unit = params.get("Unit")
    data = read(params["Namespace"], params["MetricName"], dimensions_of(params.get("Dimensions")),
                aligned_start(start, period), end)  # fmt: skip
    if unit:
        data = [d for d in data if d.unit == unit]
    points = []
    for t, group in sorted(buckets(data, start, end, period).items()):
        point: dict[str, Any] = {"Timestamp": t, "Unit": group[-1].unit or "None"}
        for name in params.get("Statistics") or []:
            point[name] = statistic(group, name)
        extended = {p: statistic(group, p) for p in params.get("ExtendedStatistics") or []}
        if extended:
            point["ExtendedStatistics"] = {k: v for k, v in extended.items() if v is not None}
        points.append(point)
    return {"Label": params["MetricName"], "Datapoints": points}
