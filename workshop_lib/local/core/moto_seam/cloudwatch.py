"""moto's CloudWatch internals, for the local cloud's metrics and alarm evaluator (workshop_lib/local/cloudwatch/).

Internals used: ``put_metric_data`` (its member dicts: ``MetricName``, ``Value``/``Values``/``Counts``,
``Dimensions``, ``Timestamp`` as a naive UTC datetime, ``Unit``), ``metric_data`` (``MetricDatum``: ``namespace``,
``name``, ``dimensions`` of ``Dimension(name, value)``, ``timestamp``, ``unit``, ``value``; ``MetricAggregatedDatum``:
``sum``, ``min``, ``max``, ``sample_count``), the loaded regions of the account's backend dict, ``alarms`` (an
``Alarm``'s configuration fields, ``state_value``, ``state_reason``, ``state_updated_timestamp``,
``configuration_updated_timestamp``, ``metric_data_queries``, ``rule`` and ``update_state``). Each has a test in
tests/unit/local/moto_seam/test_seam_cloudwatch.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moto.backends import get_backend

from ..monitoring_records import AlarmRecord, Dimensions, MetricPoint, StoredDatum


def _naive_utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)  # moto keeps naive UTC datetimes


def _epoch(when: datetime) -> float:
    return when.replace(tzinfo=UTC).timestamp() if when.tzinfo is None else when.timestamp()


def _dimensions(dims: Any) -> Dimensions:
    return tuple(sorted((str(d.name), str(d.value)) for d in dims or ()))


class MotoCloudWatch:
    """One region's CloudWatch backend: store data points, read them back, read and move alarms."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def put(self, points: list[MetricPoint]) -> None:
        """Store data points as PutMetricData would (grouped by namespace)."""
        by_namespace: dict[str, list[dict[str, Any]]] = {}
        for point in points:
            member: dict[str, Any] = {
                "MetricName": point.name,
                "Dimensions": [{"Name": n, "Value": v} for n, v in point.dimensions],
                "Timestamp": _naive_utc(point.timestamp),
            }
            if point.unit:
                member["Unit"] = point.unit
            if len(point.values) == 1 and not point.counts:
                member["Value"] = point.values[0]
            else:
                member["Values"] = list(point.values)
                if point.counts:
                    member["Counts"] = [str(c) for c in point.counts]
            by_namespace.setdefault(point.namespace, []).append(member)
        for namespace, members in by_namespace.items():
            self._backend.put_metric_data(namespace, members)

    def data(self, namespace: str, name: str, dimensions: Dimensions, start: float, end: float) -> list[StoredDatum]:
        """The stored data of one metric (exact dimension set) with ``start <= timestamp < end``."""
        found: list[StoredDatum] = []
        for datum in list(self._backend.metric_data):
            if datum.namespace != namespace or datum.name != name:
                continue
            ts = _epoch(datum.timestamp)
            if not start <= ts < end or _dimensions(datum.dimensions) != dimensions:
                continue
            if hasattr(datum, "value"):
                value = float(datum.value)
                found.append(StoredDatum(ts, 1.0, value, value, value, datum.unit, (value,)))
            else:
                found.append(StoredDatum(ts, float(datum.sample_count), float(datum.sum), float(datum.min),
                                         float(datum.max), datum.unit))  # fmt: skip
        return found

    def alarms(self) -> list[AlarmRecord]:
        return [_alarm_record(alarm) for alarm in list(self._backend.alarms.values())]

    def set_state(self, name: str, configuration_updated: float, value: str, reason: str, reason_data: str) -> bool:
        """Move an alarm to a state (its previous state goes to moto's history); False when the alarm is gone or
        was reconfigured since it was read (``configuration_updated`` differs)."""
        alarm = self._backend.alarms.get(name)
        if alarm is None or _epoch(alarm.configuration_updated_timestamp) != configuration_updated:
            return False
        alarm.update_state(reason, reason_data, value)
        return True

    def set_initial_state(self, name: str, value: str, reason: str) -> None:
        """The state a new alarm starts in, without a history entry (moto starts them in OK)."""
        alarm = self._backend.alarms.get(name)
        if alarm is not None:
            alarm.state_value, alarm.state_reason = value, reason


def _alarm_record(alarm: Any) -> AlarmRecord:
    threshold = alarm.threshold
    return AlarmRecord(
        name=alarm.name,
        arn=alarm.alarm_arn,
        region=alarm.region_name,
        namespace=alarm.namespace,
        metric_name=alarm.metric_name,
        dimensions=_dimensions(alarm.dimensions),
        period=int(alarm.period or 0),
        evaluation_periods=int(alarm.evaluation_periods or 0),
        datapoints_to_alarm=int(alarm.datapoints_to_alarm) if alarm.datapoints_to_alarm else None,
        threshold=float(threshold) if threshold is not None else None,
        comparison_operator=str(alarm.comparison_operator or ""),
        statistic=alarm.statistic,
        extended_statistic=alarm.extended_statistic,
        unit=alarm.unit,
        treat_missing_data=alarm.treat_missing_data,
        description=alarm.description,
        actions_enabled=bool(alarm.actions_enabled),
        alarm_actions=tuple(alarm.alarm_actions or ()),
        ok_actions=tuple(alarm.ok_actions or ()),
        insufficient_data_actions=tuple(alarm.insufficient_data_actions or ()),
        state_value=alarm.state_value,
        state_reason=alarm.state_reason,
        state_updated=_epoch(alarm.state_updated_timestamp),
        configuration_updated=_epoch(alarm.configuration_updated_timestamp),
        has_metric_queries=bool(alarm.metric_data_queries),
        is_composite=alarm.rule is not None,
    )


def cloudwatch_backend(account_id: str, region: str) -> MotoCloudWatch:
    """The CloudWatch backend of one region of the account."""
    return MotoCloudWatch(get_backend("cloudwatch")[account_id][region])  # type: ignore[call-overload]


def cloudwatch_regions(account_id: str) -> list[str]:
    """The regions whose CloudWatch backend exists (was used) in the account."""
    return list(get_backend("cloudwatch")[account_id].keys())  # type: ignore[call-overload]
