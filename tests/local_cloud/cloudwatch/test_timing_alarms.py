"""Alarm evaluation on a local cloud with AWS's timing (workshop_lib/local/cloudwatch/evaluator.py): a new alarm
starts in INSUFFICIENT_DATA at once, and evaluations come at AWS's cadence (a minute, times the scale: 6 s here), so
the first state change follows an evaluation rather than the alarm's creation."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.local_cloud.core.timed_cloud import admin_clients
from workshop_lib.local.cloudwatch.evaluator import ALARM_EVALUATION

pytestmark = pytest.mark.local_cloud


def _state(cw, name: str) -> str:
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]


def test_alarm_state_changes_come_with_the_evaluations(timed_cloud):
    cw = admin_clients(timed_cloud)("cloudwatch")
    interval = ALARM_EVALUATION.high * timed_cloud.timing.scale
    name = f"timed-{uuid.uuid4().hex[:6]}"
    cw.put_metric_alarm(
        AlarmName=name, Namespace="Nothing", MetricName="Here", Statistic="Sum", Period=10, EvaluationPeriods=1,
        Threshold=0, ComparisonOperator="GreaterThanThreshold", TreatMissingData="breaching",
    )  # fmt: skip
    deadline = time.monotonic() + 3
    while _state(cw, name) != "INSUFFICIENT_DATA" and time.monotonic() < deadline:
        time.sleep(0.1)
    seen = [_state(cw, name)]
    deadline = time.monotonic() + interval + 5
    while seen[-1] != "ALARM" and time.monotonic() < deadline:
        time.sleep(0.2)
        seen.append(_state(cw, name))
    assert seen[0] == "INSUFFICIENT_DATA"  # the new alarm's state, before any evaluation
    assert seen[-1] == "ALARM"  # missing data treated as breaching, at the next evaluation
    history = cw.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == ["Alarm updated from INSUFFICIENT_DATA to ALARM"]
