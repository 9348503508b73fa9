"""What CloudWatch publishes to an alarm's SNS topic on a state change, as AWS publishes it (pure functions).

The SNS message is ``MessageStructure=json``: its ``default`` text (what SQS, HTTP(S) and email-json subscribers get)
is the alarm's JSON (``AlarmName``, ``NewStateValue``, ``NewStateReason``, ``StateChangeTime``, ``Region``,
``Trigger`` ...), and its ``email`` text is the readable notification AWS mails ("You are receiving this email
because your Amazon CloudWatch Alarm ..."); the subject is ``ALARM: "<name>" in <Region name>``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..core.monitoring_records import AlarmRecord

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)", "af-south-1": "Africa (Cape Town)", "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-south-1": "Asia Pacific (Mumbai)", "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)", "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)",
    "ca-central-1": "Canada (Central)", "eu-central-1": "EU (Frankfurt)", "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)", "eu-north-1": "EU (Stockholm)",
    "eu-south-1": "EU (Milan)", "me-south-1": "Middle East (Bahrain)", "sa-east-1": "South America (Sao Paulo)",
}  # fmt: skip


def region_name(region: str) -> str:
    return REGION_NAMES.get(region, region)


def iso_time(when: float) -> str:
    """CloudWatch's notification time: ``2026-12-03T11:50:05.123+0000``."""
    moment = datetime.fromtimestamp(when, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def subject(alarm: AlarmRecord, new_state: str) -> str:
    return f'{new_state}: "{alarm.name}" in {region_name(alarm.region)}'[:100]  # SNS subjects stop at 100


def alarm_message(alarm: AlarmRecord, account_id: str, old: str, new: str, reason: str, when: float) -> dict[str, Any]:
    """The JSON CloudWatch publishes for a state change."""
    trigger: dict[str, Any] = {
        "MetricName": alarm.metric_name,
        "Namespace": alarm.namespace,
        "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
        "Statistic": alarm.extended_statistic or (alarm.statistic or "").upper(),
        "Unit": alarm.unit,
        "Dimensions": [{"value": v, "name": n} for n, v in alarm.dimensions],
        "Period": alarm.period,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm or alarm.evaluation_periods,
        "ComparisonOperator": alarm.comparison_operator,
        "Threshold": alarm.threshold,
        "TreatMissingData": alarm.treat_missing_data or "missing",
        "EvaluateLowSampleCountPercentile": "",
    }
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": iso_time(alarm.configuration_updated),
        "NewStateValue": new,
        "NewStateReason": reason,
        "StateChangeTime": iso_time(when),
        "Region": region_name(alarm.region),
        "AlarmArn": alarm.arn,
        "OldStateValue": old,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": trigger,
    }


def _long_time(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%A %d %B, %Y %H:%M:%S UTC")


def email_text(alarm: AlarmRecord, account_id: str, old: str, new: str, reason: str, when: float) -> str:
    """The body of the email CloudWatch's notification becomes (before SNS's unsubscribe footer)."""
    region = region_name(alarm.region)
    m = alarm.datapoints_to_alarm or alarm.evaluation_periods
    dims = ", ".join(f"{n} = {v}" for n, v in alarm.dimensions)
    stat = alarm.extended_statistic or alarm.statistic or ""
    link = f"https://{alarm.region}.console.aws.amazon.com/cloudwatch/deeplink.js?region={alarm.region}#alarmsV2:alarm/"
    lines = [
        f'You are receiving this email because your Amazon CloudWatch Alarm "{alarm.name}" in the {region} region '
        f'has entered the {new} state, because "{reason}" at "{_long_time(when)}".',
        "",
        "View this alarm in the AWS Management Console:",
        link + alarm.name,
        "",
        "Alarm Details:",
        f"- Name:                       {alarm.name}",
        f"- Description:                {alarm.description or ''}",
        f"- State Change:               {old} -> {new}",
        f"- Reason for State Change:    {reason}",
        f"- Timestamp:                  {_long_time(when)}",
        f"- AWS Account:                {account_id}",
        f"- Alarm Arn:                  {alarm.arn}",
        "",
        "Threshold:",
        f"- The alarm is in the ALARM state when the metric is {alarm.comparison_operator} {alarm.threshold} "
        f"for at least {m} of the last {alarm.evaluation_periods} period(s) of {alarm.period} seconds.",
        "",
        "Monitored Metric:",
        f"- MetricNamespace:                     {alarm.namespace}",
        f"- MetricName:                          {alarm.metric_name}",
        f"- Dimensions:                          [{dims}]",
        f"- Period:                              {alarm.period} seconds",
        f"- Statistic:                           {stat}",
        f"- Unit:                                {alarm.unit or 'not specified'}",
        f"- TreatMissingData:                    {alarm.treat_missing_data or 'missing'}",
        "",
        "",
        "State Change Actions:",
        f"- OK: [{', '.join(alarm.ok_actions)}]",
        f"- ALARM: [{', '.join(alarm.alarm_actions)}]",
        f"- INSUFFICIENT_DATA: [{', '.join(alarm.insufficient_data_actions)}]",
    ]
    return "\n".join(lines) + "\n"


def sns_message(alarm: AlarmRecord, account_id: str, old: str, new: str, reason: str, when: float) -> str:
    """The ``MessageStructure=json`` message: the alarm's JSON by default, the readable text for email."""
    document = json.dumps(alarm_message(alarm, account_id, old, new, reason, when))
    return json.dumps({"default": document, "email": email_text(alarm, account_id, old, new, reason, when)})
