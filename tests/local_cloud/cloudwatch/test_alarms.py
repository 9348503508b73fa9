"""Metric alarms evaluated on the local cloud, through boto3 only: state changes with AWS's reasons, the alarm
history, and the notifications SNS delivers to SQS and the local email inbox."""

from __future__ import annotations

import json
import math
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.local_cloud
PERIOD = 10


def _inbox(conn, address: str) -> list[dict]:
    url = f"{conn.endpoint_url}/_workshop/sns/inbox?address={urllib.parse.quote(address)}"
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())["messages"]


def _wait(probe, what: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            assert found, f"timed out waiting for {what}"
            return found
        time.sleep(0.2)


def _state(cw, name: str) -> dict:
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def _previous_period_time() -> datetime:
    """A time inside the last complete 10-second period (what the next evaluation looks at)."""
    now = time.time()
    if now % PERIOD > PERIOD / 2:  # the next evaluations must still see this period: leave them 5 s
        time.sleep(PERIOD - now % PERIOD + 0.1)
        now = time.time()
    return datetime.fromtimestamp(math.floor(now / PERIOD) * PERIOD - PERIOD / 2, UTC)


def _put(cw, ns: str, value: float, dims, when: datetime | None = None) -> None:
    cw.put_metric_data(Namespace=ns, MetricData=[{
        "MetricName": "ErrorCount", "Value": value, "Unit": "Count", "Dimensions": dims,
        "Timestamp": when or _previous_period_time(), "StorageResolution": 1,
    }])  # fmt: skip


@pytest.fixture
def topic(local_conn):
    sns, sqs = local_conn.client("sns"), local_conn.client("sqs")
    arn = sns.create_topic(Name=f"alarms-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"alarms-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
    address = f"learner-{uuid.uuid4().hex[:6]}@example.com"
    sub = sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=address, ReturnSubscriptionArn=True)
    return {"arn": arn, "queue": queue_url, "address": address, "email_sub": sub["SubscriptionArn"]}


def test_email_subscription_is_confirmed_at_once(local_conn, topic):
    assert topic["email_sub"].startswith(topic["arn"] + ":")
    subs = local_conn.client("sns").list_subscriptions_by_topic(TopicArn=topic["arn"])["Subscriptions"]
    assert all(s["SubscriptionArn"] != "PendingConfirmation" for s in subs)


def test_error_alarm_goes_to_alarm_notifies_and_returns_to_ok(local_conn, topic):
    cw, sqs = local_conn.client("cloudwatch"), local_conn.client("sqs")
    ns, name = f"Pipe{uuid.uuid4().hex[:6]}", f"Inference-Error-Alarm-{uuid.uuid4().hex[:6]}"
    dims = [{"Name": "ModelName", "Value": "m"}]
    cw.put_metric_alarm(
        AlarmName=name, Namespace=ns, MetricName="ErrorCount", Dimensions=dims, Statistic="Sum", Period=PERIOD,
        EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic["arn"]],
        OKActions=[topic["arn"]], AlarmDescription="errors",
    )  # fmt: skip
    new = _state(cw, name)  # at once, as on AWS (moto alone says OK)
    assert (new["StateValue"], new["StateReason"]) == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")
    _put(cw, ns, 2, dims)
    alarm = _wait(lambda: (a := _state(cw, name))["StateValue"] == "ALARM" and a, "ALARM")
    # The requests succeed again: a 0 in the period after the errors' one (the one the ALARM evaluation ran in).
    after = math.floor(alarm["StateUpdatedTimestamp"].timestamp() / PERIOD) * PERIOD + PERIOD / 2
    _put(cw, ns, 0, dims, datetime.fromtimestamp(after, UTC))
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [2.0 (")
    assert alarm["StateReason"].endswith("was greater than the threshold (0.0).")
    reason_data = json.loads(alarm["StateReasonData"])
    assert (reason_data["statistic"], reason_data["period"], reason_data["recentDatapoints"]) == ("Sum", 10, [2.0])

    mail = _wait(lambda: _inbox(local_conn, topic["address"]), "the email")
    assert mail[0]["subject"] == f'ALARM: "{name}" in US East (N. Virginia)'
    assert mail[0]["body"].startswith(f'You are receiving this email because your Amazon CloudWatch Alarm "{name}"')
    assert "- State Change:               INSUFFICIENT_DATA -> ALARM" in mail[0]["body"]
    assert "unsubscribe" in mail[0]["body"]
    assert (mail[0]["topic_arn"], mail[0]["subscription_arn"]) == (topic["arn"], topic["email_sub"])

    messages = _wait(lambda: sqs.receive_message(QueueUrl=topic["queue"], WaitTimeSeconds=1).get("Messages"), "SQS")
    envelope = json.loads(messages[0]["Body"])
    body = json.loads(envelope["Message"])
    assert (envelope["Subject"], body["AlarmName"], body["NewStateValue"], body["OldStateValue"]) == (
        f'ALARM: "{name}" in US East (N. Virginia)', name, "ALARM", "INSUFFICIENT_DATA",
    )  # fmt: skip
    assert body["Trigger"]["Statistic"] == "SUM" and body["Trigger"]["Threshold"] == 0.0
    assert body["Trigger"]["Dimensions"] == [{"value": "m", "name": "ModelName"}]

    ok = _wait(lambda: (a := _state(cw, name))["StateValue"] == "OK" and a, "OK", timeout=2 * PERIOD + 5)
    assert "was not greater than the threshold (0.0)" in ok["StateReason"]
    mails = _wait(lambda: (m := _inbox(local_conn, topic["address"])) and len(m) == 2 and m, "the OK email")
    assert mails[1]["subject"] == f'OK: "{name}" in US East (N. Virginia)'

    history = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == [
        "Alarm updated from ALARM to OK", "Alarm updated from INSUFFICIENT_DATA to ALARM",
    ]  # fmt: skip
    actions = cw.describe_alarm_history(AlarmName=name, HistoryItemType="Action")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in actions] == [f"Successfully executed action {topic['arn']}"] * 2


def test_treat_missing_as_breaching_alarms_without_data(local_conn):
    cw = local_conn.client("cloudwatch")
    name = f"missing-{uuid.uuid4().hex[:6]}"
    cw.put_metric_alarm(
        AlarmName=name, Namespace="Nothing", MetricName="Here", Statistic="Average", Period=PERIOD,
        EvaluationPeriods=2, Threshold=1, ComparisonOperator="LessThanThreshold", TreatMissingData="breaching",
    )  # fmt: skip
    alarm = _wait(lambda: (a := _state(cw, name))["StateValue"] == "ALARM" and a, "ALARM")
    assert alarm["StateReason"] == (
        "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as "
        "[Breaching]."
    )


def test_two_out_of_three_with_a_high_resolution_latency(local_conn):
    cw = local_conn.client("cloudwatch")
    ns, name = f"Lat{uuid.uuid4().hex[:6]}", f"High-Latency-Alarm-{uuid.uuid4().hex[:6]}"
    base = _previous_period_time().timestamp()
    for offset, value in [(-2 * PERIOD, 2500.0), (-PERIOD, 100.0), (0, 3000.0)]:
        when = datetime.fromtimestamp(base + offset, UTC)
        datum = {"MetricName": "LatencyMs", "Value": value, "Unit": "Milliseconds", "Timestamp": when}
        cw.put_metric_data(Namespace=ns, MetricData=[datum])
    cw.put_metric_alarm(
        AlarmName=name, Namespace=ns, MetricName="LatencyMs", Statistic="Average", Period=PERIOD,
        EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=2000, ComparisonOperator="GreaterThanThreshold",
        Unit="Milliseconds",
    )  # fmt: skip
    alarm = _wait(lambda: (a := _state(cw, name))["StateValue"] == "ALARM" and a, "ALARM")
    assert alarm["StateReason"].startswith("Threshold Crossed: 2 out of the last 3 datapoints [3000.0 (")
    assert alarm["StateReason"].endswith("(minimum 2 datapoints for INSUFFICIENT_DATA -> ALARM transition).")


def test_alarm_history_paginates_and_validates(local_conn):
    cw = local_conn.client("cloudwatch")
    names = [f"page-{uuid.uuid4().hex[:6]}" for _ in range(3)]
    for name in names:
        cw.put_metric_alarm(AlarmName=name, Namespace="None", MetricName="M", Statistic="Sum", Period=PERIOD,
                            EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold",
                            TreatMissingData="breaching")  # fmt: skip
    for name in names:
        _wait(lambda n=name: cw.describe_alarm_history(AlarmName=n)["AlarmHistoryItems"], "history")
    first = cw.describe_alarm_history(MaxRecords=1, HistoryItemType="StateUpdate")
    assert len(first["AlarmHistoryItems"]) == 1 and "NextToken" in first
    second = cw.describe_alarm_history(MaxRecords=1, HistoryItemType="StateUpdate", NextToken=first["NextToken"])
    assert second["AlarmHistoryItems"] != first["AlarmHistoryItems"]
    with pytest.raises(cw.exceptions.ClientError) as info:
        cw.describe_alarm_history(NextToken="nonsense")
    assert info.value.response["Error"]["Code"] == "InvalidNextToken"
