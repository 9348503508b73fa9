"""One test per moto internal that core/moto_seam/cloudwatch.py and sns.py use: a moto upgrade that changes one
fails here.

If one fails: moto X.Y changed <internal>: update workshop_lib/local/core/moto_seam/cloudwatch.py or sns.py.
"""

from __future__ import annotations

import json
import time

import boto3
import pytest
from moto import mock_aws

from workshop_lib.local.core import moto_seam
from workshop_lib.local.core.monitoring_records import MetricPoint

ACCOUNT = "123456789012"
REGION = "us-east-1"


@pytest.fixture
def moto(aws_env):
    with mock_aws():
        yield


def _cw():
    return boto3.client("cloudwatch", region_name=REGION)


def test_put_stores_values_counts_units_and_exact_timestamps(moto):
    seam = moto_seam.cloudwatch_backend(ACCOUNT, REGION)
    ts = float(int(time.time()))
    seam.put([
        MetricPoint("N", "A", (("D", "x"),), (5.0,), ts, "Milliseconds"),
        MetricPoint("N", "A", (("D", "x"),), (1.0, 2.0), ts, "Milliseconds", counts=(2.0, 1.0)),
        MetricPoint("N", "A", (("D", "x"), ("E", "y")), (9.0,), ts),
    ])  # fmt: skip
    data = seam.data("N", "A", (("D", "x"),), ts, ts + 1)
    assert sorted(d.total for d in data) == [1.0, 1.0, 2.0, 5.0]  # exact dimension set only; counts repeat values
    assert {(d.timestamp, d.unit) for d in data} == {(ts, "Milliseconds")}
    assert seam.data("N", "A", (("D", "x"),), ts + 1, ts + 2) == []
    listed = _cw().list_metrics(Namespace="N")["Metrics"]
    assert len(listed) == 2


def test_data_reads_statistic_sets(moto):
    ts = time.time()
    _cw().put_metric_data(Namespace="N", MetricData=[{
        "MetricName": "S", "StatisticValues": {"SampleCount": 4, "Sum": 10, "Minimum": 1, "Maximum": 4},
    }])  # fmt: skip
    (datum,) = moto_seam.cloudwatch_backend(ACCOUNT, REGION).data("N", "S", (), ts - 5, ts + 5)
    assert (datum.sample_count, datum.total, datum.minimum, datum.maximum, datum.values) == (4, 10, 1, 4, ())


def test_alarm_records_and_state_changes(moto):
    cw = _cw()
    cw.put_metric_alarm(
        AlarmName="a", Namespace="N", MetricName="M", Dimensions=[{"Name": "D", "Value": "x"}], Statistic="Sum",
        Period=10, EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=1.5,
        ComparisonOperator="GreaterThanThreshold", TreatMissingData="breaching", AlarmActions=["arn:t"],
        OKActions=["arn:o"], AlarmDescription="d", Unit="Count",
    )  # fmt: skip
    seam = moto_seam.cloudwatch_backend(ACCOUNT, REGION)
    (alarm,) = seam.alarms()
    assert (alarm.name, alarm.dimensions, alarm.period, alarm.evaluation_periods, alarm.datapoints_to_alarm) == (
        "a", (("D", "x"),), 10, 3, 2,
    )  # fmt: skip
    assert (alarm.threshold, alarm.statistic, alarm.treat_missing_data, alarm.unit) == (
        1.5,
        "Sum",
        "breaching",
        "Count",
    )
    assert (alarm.alarm_actions, alarm.ok_actions, alarm.description) == (("arn:t",), ("arn:o",), "d")
    assert alarm.arn == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:a"
    assert not alarm.has_metric_queries and not alarm.is_composite
    seam.set_initial_state("a", "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")
    assert cw.describe_alarms()["MetricAlarms"][0]["StateValue"] == "INSUFFICIENT_DATA"
    assert not seam.set_state("a", alarm.configuration_updated + 1, "ALARM", "r", "{}")  # reconfigured since
    assert seam.set_state("a", alarm.configuration_updated, "ALARM", "because", '{"x": 1}')
    described = cw.describe_alarms()["MetricAlarms"][0]
    assert (described["StateValue"], described["StateReason"], described["StateReasonData"]) == (
        "ALARM", "because", '{"x": 1}',
    )  # fmt: skip


def test_cloudwatch_regions_lists_the_backends_in_use(moto):
    boto3.client("cloudwatch", region_name="eu-west-1").list_metrics()
    assert "eu-west-1" in moto_seam.cloudwatch_regions(ACCOUNT)


def test_sns_deliveries_are_handed_over_and_publish_reaches_them(moto):
    sns = boto3.client("sns", region_name=REGION)
    arn = sns.create_topic(Name="t")["TopicArn"]
    email = sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="a@example.com", ReturnSubscriptionArn=True)
    sns.subscribe(TopicArn=arn, Protocol="email-json", Endpoint="b@example.com")
    sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="f@example.com",
                  Attributes={"FilterPolicy": json.dumps({"kind": ["other"]})})  # fmt: skip
    got: list = []
    remove = moto_seam.install_sns_delivery(got.append)
    try:
        structured = json.dumps({"default": "machine", "email": "person"})
        message_id = moto_seam.MotoSns(ACCOUNT).publish(arn, structured, "subj", structured=True)
    finally:
        remove()
    by_endpoint = {d.endpoint: d for d in got}
    assert set(by_endpoint) == {"a@example.com", "b@example.com"}  # the filter policy still applies
    first = by_endpoint["a@example.com"]
    assert (first.protocol, first.message, first.subject, first.message_id) == ("email", "person", "subj", message_id)
    assert (first.subscription_arn, first.topic_arn, first.notification) == (email["SubscriptionArn"], arn, {})
    doc = by_endpoint["b@example.com"].notification
    assert (doc["Type"], doc["Message"], doc["MessageId"]) == ("Notification", "machine", message_id)
    sns.publish(TopicArn=arn, Message="after removal")
    assert len(got) == 2  # removed: moto's own behaviour again
