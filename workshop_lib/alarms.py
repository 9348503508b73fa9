"""The workshop's two alarms (section 8.3, step 4), and waiting for an alarm's state.

- ``High-Latency-Alarm``: LatencyMs (Average) > 2000 ms;
- ``Inference-Error-Alarm``: ErrorCount (Sum) > 0;

each on this participant's ModelName, over one 10-second period (the Lambda's metrics are high resolution, so
CloudWatch accepts a 10-second period), missing data not breaching (no requests is not an error), notifying the
alarms' SNS topic on ALARM and on OK. The alarms are tagged as the kit's, so the clean-up finds them.

When the state changes is CloudWatch's business: the kit never calls SetAlarmState. AWS evaluates an alarm about
once a minute (docs/monitoring.md), the local cloud every second; ``wait_for_alarm_state`` polls DescribeAlarms
with backoff until the awaited state, on both targets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from . import waiting
from .config import tag_list
from .connect import Connection, current
from .errors import InvalidInput, ResourceNotFound, aws_error
from .i18n import _
from .metrics import NAMESPACE, model_dimensions
from .notifications import topic_arn

ALARM_PERIOD_S = 10  # a high-resolution alarm: CloudWatch allows 10 or 30 s, or a multiple of 60
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
ALARM_WAIT_S = 420.0  # on AWS: the metric's delivery, then an evaluation about once a minute
# Looks at most 2 s apart: a state lasts at least one evaluation (a second locally, a minute on AWS), and with
# traffic each look is one request, which keeps the metric's periods filled as production traffic would.
ALARM_BACKOFF = waiting.Backoff(first=0.5, factor=1.5, cap=2.0)
ALARM_EVALUATION = "cloudwatch-alarm-evaluation"  # the AWS rule a wait is for (docs/aws-timing.md)


@dataclass(frozen=True)
class AlarmSpec:
    """One of the workshop's alarms: the metric, the statistic and the threshold the workshop names."""

    key: str  # the ResourceNames property holding its name
    metric: str
    statistic: str
    threshold: float
    description: str


ALARMS = (
    AlarmSpec("high_latency_alarm", "LatencyMs", "Average", 2000.0, "Inference latency above 2 seconds (8.3)"),
    AlarmSpec("error_alarm", "ErrorCount", "Sum", 0.0, "At least one failed inference (8.3)"),
)


def alarm_definition(spec: AlarmSpec, conn: Connection) -> dict[str, Any]:
    """PutMetricAlarm's parameters for ``spec`` on this participant's endpoint and topic."""
    topic = topic_arn(conn)
    return {
        "AlarmName": getattr(conn.names, spec.key),
        "AlarmDescription": spec.description,
        "Namespace": NAMESPACE,
        "MetricName": spec.metric,
        "Dimensions": model_dimensions(conn),
        "Statistic": spec.statistic,
        "Period": ALARM_PERIOD_S,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "Threshold": spec.threshold,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "ActionsEnabled": True,
        "AlarmActions": [topic],
        "OKActions": [topic],
        "Tags": tag_list(conn.tags),
    }


def create_alarms(conn: Connection | None = None) -> list[str]:
    """Create (or update: PutMetricAlarm replaces an alarm of the same name) the workshop's two alarms."""
    conn = conn or current()
    cw = conn.client("cloudwatch")
    names = []
    for spec in ALARMS:
        definition = alarm_definition(spec, conn)
        try:
            cw.put_metric_alarm(**definition)
        except ClientError as exc:
            raise aws_error(exc, f"alarm {definition['AlarmName']}") from exc
        names.append(definition["AlarmName"])
    return names


def alarm_names(conn: Connection | None = None) -> list[str]:
    """The names of this participant's two alarms."""
    conn = conn or current()
    return [getattr(conn.names, spec.key) for spec in ALARMS]


def describe_alarms(conn: Connection | None = None) -> list[dict[str, Any]]:
    """DescribeAlarms of this participant's alarms (those that exist)."""
    conn = conn or current()
    try:
        return conn.client("cloudwatch").describe_alarms(AlarmNames=alarm_names(conn))["MetricAlarms"]
    except ClientError as exc:
        raise aws_error(exc, "the workshop's alarms") from exc


def alarm_states(conn: Connection | None = None) -> pd.DataFrame:
    """One row per alarm: name, the condition it watches, its state, why, and since when."""
    rows = []
    for alarm in describe_alarms(conn):
        dims = ", ".join(f"{d['Name']}={d['Value']}" for d in alarm.get("Dimensions", []))
        condition = _("{stat}({metric}) {sign} {threshold:g} over {periods} x {period} s").format(
            stat=alarm["Statistic"],
            metric=alarm["MetricName"],
            sign=_SIGNS.get(alarm["ComparisonOperator"], "?"),
            threshold=alarm["Threshold"],
            periods=alarm["EvaluationPeriods"],
            period=alarm["Period"],
        )
        rows.append(
            {
                "alarm": alarm["AlarmName"],
                "condition": condition,
                "dimensions": dims,
                "state": alarm["StateValue"],
                "reason": alarm.get("StateReason", ""),
                "since": alarm.get("StateUpdatedTimestamp"),
            }
        )
    return pd.DataFrame(rows, columns=["alarm", "condition", "dimensions", "state", "reason", "since"])


_SIGNS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def wait_for_alarm_state(
    name: str,
    state: str,
    *,
    traffic: Callable[[], object] | None = None,
    timeout: float = ALARM_WAIT_S,
    conn: Connection | None = None,
) -> dict[str, Any]:
    """Poll DescribeAlarms until alarm ``name`` is in ``state``; return the alarm (its StateReason says why).

    ``traffic``, when given, is called before each look (e.g. one request through the API): requests keep
    coming while CloudWatch evaluates, as in production. Without it, a short burst of errors followed by
    silence can put the alarm in ALARM for a single period only (missing data is not breaching), between
    two looks.
    """
    conn = conn or current()
    if state not in STATES:
        raise InvalidInput(
            _("state {state!r} is not one of {names}").format(state=state, names=", ".join(STATES)),
            fix=_("for example 'ALARM'"),
        )
    cw = conn.client("cloudwatch")

    def observe() -> dict[str, Any] | waiting.NotYet:
        if traffic is not None:
            traffic()
        found = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        if not found:
            raise ResourceNotFound(
                _("alarm {name} does not exist").format(name=name), resource=name, fix=_("run wl.create_alarms() first")
            )
        alarm = found[0]
        if alarm["StateValue"] == state:
            return alarm
        return waiting.NotYet(f"{alarm['StateValue']}: {alarm.get('StateReason', '')}")

    return waiting.poll(
        observe,
        what=f"alarm {name} to be in {state}",
        timeout=timeout,
        fix=_(
            "read the alarm's StateReason (wl.alarm_states()) and its metric (wl.metric_series); on AWS an "
            "alarm is evaluated about once a minute, after the metric's data points arrive"
        ),
        rule=ALARM_EVALUATION,
        backoff=ALARM_BACKOFF,
    )
