"""CloudWatch embedded metric format (EMF): the metrics a log event carries, extracted as CloudWatch extracts them.

A Lambda function's log event whose whole message is a JSON object with an ``_aws`` member is read as EMF
(AWS's "Specification: Embedded metric format"):

- ``_aws.Timestamp``: epoch milliseconds, the data points' time; ``_aws.CloudWatchMetrics``: a list of directives,
  each with ``Namespace`` (a non-empty string), ``Dimensions`` (a list of dimension sets, each a list of at most 30
  member names; ``[]`` or ``[[]]`` publishes without dimensions) and ``Metrics`` (at most 100 definitions of
  ``Name``, optional ``Unit`` from CloudWatch's units, optional ``StorageResolution`` 1 or 60).
- Every metric is published once per dimension set, with the values of the root members the names refer to:
  a number, or an array of at most 100 numbers (each a data point).

What is ignored, as CloudWatch ignores it (the event stays an ordinary log event, no metric is extracted from it):
a message that is not a JSON object, has no ``_aws``, or whose ``_aws`` is not an object with a numeric
``Timestamp`` and a ``CloudWatchMetrics`` list; a timestamp more than 14 days old or more than 2 hours ahead (the
range PutMetricData accepts). Inside a valid ``_aws``, a directive that breaks the rules above (no namespace,
``Metrics`` not a list, a dimension set that is not a list of strings or names a member that is missing or not a
string) publishes nothing, and a metric definition that breaks them (no name, an unknown unit, a resolution other
than 1 or 60, a member that is missing, not a number, or an array that is empty, too long or holds a non-number) is
skipped while the directive's other metrics are published. CloudWatch reports such errors nowhere the caller sees,
and neither does the local cloud.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..core.monitoring_records import MetricPoint

_SIZES = ("Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits",
          "Terabits")  # fmt: skip
_RATES = tuple(f"{size}/Second" for size in _SIZES)
UNITS = frozenset(
    ("Seconds", "Microseconds", "Milliseconds", "Percent", "Count", "Count/Second", "None", *_SIZES, *_RATES)
)
MAX_DIMENSIONS = 30
MAX_METRICS = 100
MAX_VALUES = 100
MAX_AGE_S = 14 * 24 * 3600
MAX_AHEAD_S = 2 * 3600


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_event(message: str, now: float) -> list[MetricPoint]:
    """The data points of one log event's message ([] when it carries no valid EMF); ``now`` is epoch seconds."""
    text = message.strip()
    if not text.startswith("{") or '"_aws"' not in text:
        return []
    try:
        root = json.loads(text)
    except ValueError:
        return []
    if not isinstance(root, dict):
        return []
    meta = root.get("_aws")
    if not isinstance(meta, dict) or not _number(meta.get("Timestamp")):
        return []
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        return []
    timestamp = meta["Timestamp"] / 1000.0
    if not now - MAX_AGE_S <= timestamp <= now + MAX_AHEAD_S:
        return []
    points: list[MetricPoint] = []
    for directive in directives:
        points += _directive(directive, root, timestamp)
    return points


def _dimension_sets(directive: dict[str, Any], root: dict[str, Any]) -> list[tuple[tuple[str, str], ...]] | None:
    raw = directive.get("Dimensions", [])
    if not isinstance(raw, list):
        return None
    sets: list[tuple[tuple[str, str], ...]] = []
    for names in raw:
        if not isinstance(names, list) or len(names) > MAX_DIMENSIONS:
            return None
        pairs = []
        for name in names:
            if not isinstance(name, str) or not isinstance(root.get(name), str):
                return None
            pairs.append((name, root[name]))
        sets.append(tuple(sorted(pairs)))
    return sets or [()]


def _directive(directive: Any, root: dict[str, Any], timestamp: float) -> list[MetricPoint]:
    if not isinstance(directive, dict):
        return []
    namespace, metrics = directive.get("Namespace"), directive.get("Metrics")
    if not isinstance(namespace, str) or not namespace or not isinstance(metrics, list) or len(metrics) > MAX_METRICS:
        return []
    dimension_sets = _dimension_sets(directive, root)
    if dimension_sets is None:
        return []
    points: list[MetricPoint] = []
    for definition in metrics:
        found = _metric(definition, root)
        if found is None:
            continue
        name, values, unit, resolution = found
        points += [
            MetricPoint(namespace, name, dims, values, timestamp, unit, storage_resolution=resolution)
            for dims in dimension_sets
        ]
    return points


def _metric(definition: Any, root: dict[str, Any]) -> tuple[str, tuple[float, ...], str | None, int] | None:
    """A metric definition's name, values, unit and resolution; None when it is not publishable."""
    if not isinstance(definition, dict) or not isinstance(definition.get("Name"), str) or not definition["Name"]:
        return None
    name, unit = definition["Name"], definition.get("Unit")
    resolution = definition.get("StorageResolution", 60)
    if (unit is not None and unit not in UNITS) or resolution not in (1, 60) or isinstance(resolution, bool):
        return None
    value = root.get(name)
    if _number(value):
        values: tuple[float, ...] = (float(value),)
    elif isinstance(value, list) and 0 < len(value) <= MAX_VALUES and all(_number(v) for v in value):
        values = tuple(float(v) for v in value)
    else:
        return None
    return name, values, unit, int(resolution)
