"""Alarm history (DescribeAlarmHistory, which moto 5.2 lacks): the evaluator's state updates and actions.

Items have AWS's shape: ``AlarmName``, ``AlarmType`` (MetricAlarm), ``Timestamp``, ``HistoryItemType``
(StateUpdate or Action), ``HistorySummary`` ("Alarm updated from OK to ALARM", "Successfully executed action
arn:..."), ``HistoryData`` (a JSON string). History outlives the alarm, as on AWS; ``describe`` takes
DescribeAlarmHistory's parameters (AlarmName, AlarmTypes, HistoryItemType, StartDate, EndDate, ScanBy, MaxRecords,
NextToken) and answers its JSON-protocol body. Only what the local cloud does is recorded: a ConfigurationUpdate
item for PutMetricAlarm is not (moto answers it).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from .exceptions import InvalidNextToken, InvalidParameterValue

MAX_RECORDS = 100
ITEM_TYPES = ("ConfigurationUpdate", "StateUpdate", "Action")


@dataclass(frozen=True)
class HistoryItem:
    alarm_name: str
    timestamp: float  # epoch seconds
    item_type: str
    summary: str
    data: str

    def as_aws(self) -> dict[str, Any]:
        return {
            "AlarmName": self.alarm_name,
            "AlarmType": "MetricAlarm",
            "Timestamp": self.timestamp,
            "HistoryItemType": self.item_type,
            "HistorySummary": self.summary,
            "HistoryData": self.data,
        }


def _epoch(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise InvalidParameterValue(f"The parameter {name} must be a timestamp.")


class AlarmHistory:
    """Every recorded item, oldest first (thread-safe)."""

    def __init__(self) -> None:
        self._items: list[HistoryItem] = []
        self._lock = threading.Lock()

    def add(self, item: HistoryItem) -> None:
        with self._lock:
            self._items.append(item)

    def items(self, alarm_name: str | None = None) -> list[HistoryItem]:
        with self._lock:
            return [i for i in self._items if alarm_name is None or i.alarm_name == alarm_name]

    def describe(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeAlarmHistory's answer to ``params`` (the JSON protocol's request body)."""
        item_type = params.get("HistoryItemType")
        if item_type is not None and item_type not in ITEM_TYPES:
            raise InvalidParameterValue(
                f"1 validation error detected: Value '{item_type}' at 'historyItemType' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(ITEM_TYPES)}]"
            )
        start, end = _epoch(params.get("StartDate"), "StartDate"), _epoch(params.get("EndDate"), "EndDate")
        types = params.get("AlarmTypes") or ["MetricAlarm"]
        found = [
            i
            for i in self.items(params.get("AlarmName"))
            if (item_type is None or i.item_type == item_type)
            and (start is None or i.timestamp >= start)
            and (end is None or i.timestamp <= end)
            and "MetricAlarm" in types
        ]
        if params.get("ScanBy", "TimestampDescending") == "TimestampDescending":
            found.reverse()
        limit = int(params.get("MaxRecords") or MAX_RECORDS)
        if not 1 <= limit <= MAX_RECORDS:
            raise InvalidParameterValue(f"The parameter MaxRecords must be between 1 and {MAX_RECORDS}.")
        token = params.get("NextToken")
        offset = 0
        if token is not None:
            if not str(token).isdigit() or int(token) > len(found):
                raise InvalidNextToken("The service returned an invalid NextToken.")
            offset = int(token)
        page = found[offset : offset + limit]
        body: dict[str, Any] = {"AlarmHistoryItems": [i.as_aws() for i in page]}
        if offset + limit < len(found):
            body["NextToken"] = str(offset + limit)
        return body


def state_update(name: str, when: float, old: tuple[str, str], new: tuple[str, str, str]) -> HistoryItem:
    """The StateUpdate item of a transition ``old`` (value, reason) -> ``new`` (value, reason, reason data)."""
    data = {
        "version": "1.0",
        "oldState": {"stateValue": old[0], "stateReason": old[1]},
        "newState": {"stateValue": new[0], "stateReason": new[1], "stateReasonData": json.loads(new[2] or "{}")},
    }
    return HistoryItem(name, when, "StateUpdate", f"Alarm updated from {old[0]} to {new[0]}", json.dumps(data))


def action(name: str, when: float, target: str, error: str | None, state_updated: float) -> HistoryItem:
    """The Action item of publishing to ``target`` (``error``: why it failed, None when it succeeded)."""
    data: dict[str, Any] = {"actionState": "Failed" if error else "Succeeded", "stateUpdateTimestamp": state_updated,
                            "notificationResource": target}  # fmt: skip
    if error:
        data["error"] = error
        return HistoryItem(name, when, "Action", f"Failed to execute action {target}. Received error: {error}",
                           json.dumps(data))  # fmt: skip
    return HistoryItem(name, when, "Action", f"Successfully executed action {target}", json.dumps(data))
