"""The alarm evaluator: a background thread of the local cloud that evaluates every metric alarm as CloudWatch does
(rules in ``evaluation.py``), moves its state with StateReason and StateReasonData, records the alarm history
(``history.py``) and publishes the alarm's actions to SNS (``notification.py``).

Cadence: every ``interval`` seconds of real time, 1 s with the timing model off, 60 s x WORKSHOP_LOCAL_TIME_SCALE
with it on (``ALARM_EVALUATION``: AWS evaluates about once a minute); a new alarm gets its initial state within a
second either way. A notebook makes an alarm prompt by giving it a 10-second Period on a
high-resolution metric (EMF ``StorageResolution: 1``), never by SetAlarmState.

A new alarm starts in INSUFFICIENT_DATA ("Unchecked: Initial alarm creation") as on AWS (moto starts it in OK), and an
alarm replaced by PutMetricAlarm keeps its state, as AWS keeps it (settled in PutMetricAlarm's own call, so
DescribeAlarms never shows moto's OK). Only a state change publishes (to the SNS topics
among AlarmActions, OKActions or InsufficientDataActions, when ActionsEnabled); other action ARNs are recorded as
failed actions. Metric-math, anomaly-detection and composite alarms are left as moto holds them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..core.monitoring_records import AlarmRecord
from ..core.moto_seam import MotoCloudWatch, MotoSns
from ..core.timing import Delay
from . import evaluation, history, notification
from .evaluation import ALARM, COMPARISONS, INSUFFICIENT, OK, PeriodValue

log = logging.getLogger("workshop_lib.local.cloudwatch")
INITIAL_REASON = "Unchecked: Initial alarm creation"
ALARM_EVALUATION = Delay(
    60.0, 60.0, 'Amazon CloudWatch User Guide, "Using Amazon CloudWatch alarms" (an alarm is evaluated every minute)'
)
TICK_S = 1.0  # new alarms get their initial state within this, whatever the evaluation cadence


def evaluation_interval(timing_enabled: bool, scale: float) -> float:
    """Seconds between evaluations: 1 with the timing off, AWS's minute times the scale with it on."""
    return ALARM_EVALUATION.high * scale if timing_enabled else TICK_S


class AlarmEvaluator:
    """Evaluates the alarms of every region in use, every ``interval`` seconds, in its own thread."""

    def __init__(
        self,
        account_id: str,
        regions: Callable[[], list[str]],
        cloudwatch: Callable[[str], MotoCloudWatch],
        sns: MotoSns,
        interval: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.account_id = account_id
        self.history = history.AlarmHistory()
        self._regions, self._cloudwatch, self._sns = regions, cloudwatch, sns
        self.interval = interval
        self._clock = clock
        self._known: dict[tuple[str, str], tuple[float, str, str]] = {}  # (region, name) -> (config, state, reason)
        self._lock = threading.Lock()  # one evaluation or settling at a time (the thread, PutMetricAlarm's call)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cloudwatch-alarm-evaluator", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        next_evaluation = time.monotonic() + self.interval
        while not self._stop.wait(min(TICK_S, self.interval)):
            due = time.monotonic() >= next_evaluation
            if due:
                next_evaluation = time.monotonic() + self.interval
            try:
                self.evaluate_all(settle_only=not due)
            except Exception as exc:  # noqa: BLE001 - one bad evaluation must not stop the next ones
                log.error("alarm evaluation failed: %r", exc)

    def evaluate_all(self, *, settle_only: bool = False) -> None:
        """One evaluation of every alarm of every region in use (``settle_only``: only give new alarms their
        initial state, between two evaluations)."""
        now = self._clock()
        for region in self._regions():
            self.evaluate_region(region, now, settle_only=settle_only)

    def evaluate_region(self, region: str, now: float, *, settle_only: bool = False) -> None:
        """Evaluate (or only settle) the alarms of one region."""
        backend = self._cloudwatch(region)
        with self._lock:
            for alarm in backend.alarms():
                if alarm.has_metric_queries or alarm.is_composite or alarm.comparison_operator not in COMPARISONS:
                    continue
                try:
                    settled = self._settle(backend, alarm)
                    if not settle_only:
                        self.evaluate(backend, settled, now)
                except Exception as exc:  # noqa: BLE001 - the other alarms are still evaluated
                    log.error("evaluating alarm %s failed: %r", alarm.name, exc)

    def _settle(self, backend: MotoCloudWatch, alarm: AlarmRecord) -> AlarmRecord:
        """A new alarm in INSUFFICIENT_DATA, a replaced one in its previous state (moto puts both in OK)."""
        key = (alarm.region, alarm.name)
        known = self._known.get(key)
        if alarm.state_reason != INITIAL_REASON or (known and known[0] == alarm.configuration_updated):
            return alarm
        state, reason = (known[1], known[2]) if known else (INSUFFICIENT, INITIAL_REASON)
        backend.set_initial_state(alarm.name, state, reason)
        self._known[key] = (alarm.configuration_updated, state, reason)
        return _with_state(alarm, state, reason)

    def evaluate(self, backend: MotoCloudWatch, alarm: AlarmRecord, now: float) -> str:
        """Evaluate one alarm at ``now``; its state after the evaluation."""
        values = self.period_values(backend, alarm, now)
        threshold = alarm.threshold if alarm.threshold is not None else 0.0
        flags = [None if v.value is None else evaluation.breaches(v.value, alarm.comparison_operator, threshold)
                 for v in values]  # fmt: skip
        m = alarm.datapoints_to_alarm or alarm.evaluation_periods
        new = evaluation.decide(flags, m, alarm.treat_missing_data, alarm.state_value)
        if new == alarm.state_value:
            return new
        args = (alarm.comparison_operator, threshold, m, alarm.treat_missing_data)
        reason = evaluation.reason(values, new, alarm.state_value, *args)
        reason_data = json.dumps(self._reason_data(alarm, values, threshold, now))
        if not backend.set_state(alarm.name, alarm.configuration_updated, new, reason, reason_data):
            return alarm.state_value  # deleted or reconfigured meanwhile: the next evaluation sees it
        self._known[(alarm.region, alarm.name)] = (alarm.configuration_updated, new, reason)
        self.history.add(history.state_update(alarm.name, now, (alarm.state_value, alarm.state_reason),
                                              (new, reason, reason_data)))  # fmt: skip
        self._act(alarm, alarm.state_value, new, reason, now)
        return new

    def period_values(self, backend: MotoCloudWatch, alarm: AlarmRecord, now: float) -> list[PeriodValue]:
        ranges = evaluation.evaluation_range(now, alarm.period, alarm.evaluation_periods)
        data = backend.data(alarm.namespace or "", alarm.metric_name or "", alarm.dimensions, ranges[0][0],
                            ranges[-1][1])  # fmt: skip
        if alarm.unit:
            data = [d for d in data if d.unit == alarm.unit]
        stat = alarm.extended_statistic or alarm.statistic or "Average"
        values = []
        for start, end in ranges:
            inside = [d for d in data if start <= d.timestamp < end]
            values.append(PeriodValue(start, evaluation.statistic(inside, stat), sum(d.sample_count for d in inside)))
        return values

    def _reason_data(
        self, alarm: AlarmRecord, values: list[PeriodValue], threshold: float, now: float
    ) -> dict[str, Any]:
        real = [v for v in values if v.value is not None]
        data: dict[str, Any] = {
            "version": "1.0",
            "queryDate": notification.iso_time(now),
            "startDate": notification.iso_time(values[0].start),
            "period": alarm.period,
            "recentDatapoints": [v.value for v in real],
            "threshold": threshold,
            "evaluatedDatapoints": [
                {"timestamp": notification.iso_time(v.start), "sampleCount": v.sample_count, "value": v.value}
                for v in reversed(real)
            ],
        }
        data["extendedStatistic" if alarm.extended_statistic else "statistic"] = (
            alarm.extended_statistic or alarm.statistic
        )
        if alarm.unit:
            data["unit"] = alarm.unit
        return data

    def _act(self, alarm: AlarmRecord, old: str, new: str, reason: str, now: float) -> None:
        if not alarm.actions_enabled:
            return
        targets = {ALARM: alarm.alarm_actions, OK: alarm.ok_actions, INSUFFICIENT: alarm.insufficient_data_actions}
        for target in targets[new]:
            error = None
            if target.startswith("arn:aws:sns:"):
                message = notification.sns_message(alarm, self.account_id, old, new, reason, now)
                try:
                    self._sns.publish(target, message, notification.subject(alarm, new), structured=True)
                except Exception as exc:  # noqa: BLE001 - recorded in the alarm history, as AWS records it
                    error = f"Resource {target} is not valid or does not exist: {exc!r}"
            else:
                error = f"The local cloud runs SNS actions only, not {target}"
            self.history.add(history.action(alarm.name, self._clock(), target, error, now))


def _with_state(alarm: AlarmRecord, state: str, reason: str) -> AlarmRecord:
    return replace(alarm, state_value=state, state_reason=reason)
