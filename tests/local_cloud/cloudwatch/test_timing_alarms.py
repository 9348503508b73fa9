"""Alarm evaluation on a local cloud with AWS's timing (workshop_lib/local/cloudwatch/evaluator.py): evaluations come
at AWS's cadence (a minute, times the scale: 6 s here), and until the first one a new alarm is INSUFFICIENT_DATA (not
moto's OK); the history holds the one transition of that evaluation."""

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
    seen = [_state(cw, name)]
    deadline = time.monotonic() + interval + 5
    while seen[-1] != "ALARM" and time.monotonic() < deadline:
        time.sleep(0.1)
        seen.append(_state(cw, name))
    assert "OK" not in seen  # never moto's initial OK: INSUFFICIENT_DATA until the first evaluation
    assert seen[-1] == "ALARM"  # missing data treated as breaching, at an evaluation
    history = cw.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == ["Alarm updated from INSUFFICIENT_DATA to ALARM"]
