"""Section 8.3's workshop_lib calls against moto: metrics, the dashboard, the alarms, the topic, the clean-up.

moto stores metrics, dashboards and alarms but neither extracts EMF nor evaluates alarms: these tests write data
points with PutMetricData and (only to test the waiter) set an alarm's state the way CloudWatch's evaluation would.
The local cloud's own half is tested end to end in tests/local_cloud/.
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import ClassVar

import pytest

import workshop_lib as wl
from workshop_lib import alarms, dashboard, metrics, notifications
from workshop_lib.cleanup import cleanup, kit_resources
from workshop_lib.config import KIT_ROOT, ResourceNames
from workshop_lib.errors import InvalidInput, LocalCloudError, StepFailed, WaitTimeout


def put_points(conn, metric: str, values: list[float], *, model: str | None = None, at: datetime | None = None):
    at = at or datetime.now(UTC)
    conn.client("cloudwatch").put_metric_data(
        Namespace="InferencePipeline",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "ModelName", "Value": model or conn.names.endpoint}],
                "Value": v,
                "Unit": metrics.UNITS[metric],
                "StorageResolution": 1,
                "Timestamp": at,
            }
            for v in values
        ],
    )


def build_monitoring(conn) -> None:
    wl.create_alarm_topic(conn=conn)
    wl.subscribe_check_queue(conn=conn)
    wl.create_alarms(conn=conn)
    wl.put_dashboard(conn=conn)


def test_resource_names__are_the_workshops_with_the_participant_prefix():
    plain, alice = ResourceNames(), ResourceNames(prefix="alice")
    assert (plain.dashboard, plain.high_latency_alarm, plain.error_alarm, plain.alarm_topic) == (
        "Inference-Monitoring-Dashboard",
        "High-Latency-Alarm",
        "Inference-Error-Alarm",
        "inference-alarms",
    )
    assert alice.dashboard == "alice-Inference-Monitoring-Dashboard" and alice.alarm_topic == "alice-inference-alarms"


def test_metric_constants__are_the_ones_the_lambda_writes():
    sys.path.insert(0, str(KIT_ROOT))
    try:
        import inference_support
    finally:
        sys.path.remove(str(KIT_ROOT))
    assert metrics.NAMESPACE == inference_support.METRIC_NAMESPACE
    assert metrics.DIMENSION == inference_support.METRIC_DIMENSION


def test_custom_metrics__lists_the_namespace_with_dimensions(moto_conn):
    put_points(moto_conn, "LatencyMs", [12])
    put_points(moto_conn, "SuccessCount", [1])
    frame = wl.custom_metrics(conn=moto_conn)
    assert list(frame["metric"]) == ["LatencyMs", "SuccessCount"]
    assert set(frame["dimensions"]) == {"ModelName=ml-endpoint"}


def test_metric_series__reads_the_participants_points_and_nothing_for_another_dimension(moto_conn):
    put_points(moto_conn, "LatencyMs", [100, 300])
    series = wl.metric_series("LatencyMs", stat="Average", conn=moto_conn)
    assert list(series.values) == [200.0] and str(series.index.tz) == "UTC"
    wrong = [{"Name": "EndpointName", "Value": moto_conn.names.endpoint}]  # AWS/SageMaker's dimension name
    assert wl.metric_series("LatencyMs", dimensions=wrong, conn=moto_conn).empty
    assert wl.metric_series("LatencyMs", conn=moto_conn.with_prefix("bob")).empty  # bob-ml-endpoint: another metric


def test_metric_series__refuses_a_naive_time_and_bad_queries(moto_conn):
    with pytest.raises(InvalidInput, match="has no time zone"):
        wl.metric_series("LatencyMs", start=datetime.now(), conn=moto_conn)
    with pytest.raises(InvalidInput, match="statistic 'Mean'"):
        wl.metric_series("LatencyMs", stat="Mean", conn=moto_conn)
    with pytest.raises(InvalidInput, match="period 45 s"):
        wl.metric_series("LatencyMs", period=45, conn=moto_conn)


def test_metric_series__a_window_given_in_local_wall_clock_time_finds_nothing(moto_conn):
    put_points(moto_conn, "LatencyMs", [50])
    now = datetime.now(UTC)
    wall_clock = now.astimezone(timezone(timedelta(hours=7))).replace(tzinfo=UTC)  # Hanoi's 19:00 read as 19:00 UTC
    assert (
        wl.metric_series(
            "LatencyMs", start=now - timedelta(minutes=5), end=now + timedelta(minutes=1), conn=moto_conn
        ).size
        == 1
    )
    late = wl.metric_series(
        "LatencyMs", start=wall_clock - timedelta(minutes=5), end=wall_clock + timedelta(minutes=1), conn=moto_conn
    )
    assert late.empty


def test_wait_for_data_points__returns_once_enough_and_times_out_otherwise(moto_conn):
    since = datetime.now(UTC) - timedelta(seconds=5)
    put_points(moto_conn, "ErrorCount", [1, 1, 0])
    assert wl.wait_for_data_points("ErrorCount", since=since, at_least=3, conn=moto_conn).sum() == 3
    assert wl.wait_for_data_points("ErrorCount", stat="Sum", at_least=2, since=since, conn=moto_conn).sum() == 2
    with pytest.raises(WaitTimeout, match="SampleCount of InferencePipeline/LatencyMs"):
        wl.wait_for_data_points("LatencyMs", since=since, timeout=5, conn=moto_conn)


def test_dashboard_body__is_the_kits_file_for_this_participant(moto_conn):
    alice = moto_conn.with_prefix("alice")
    body = wl.dashboard_body(conn=alice)
    views = [w["properties"]["view"] for w in body["widgets"]]
    assert views == ["timeSeries", "singleValue", "singleValue"]
    plotted = [w["properties"]["metrics"][0] for w in body["widgets"]]
    assert plotted == [
        ["InferencePipeline", m, "ModelName", "alice-ml-endpoint"] for m in ("LatencyMs", "SuccessCount", "ErrorCount")
    ]
    assert {w["properties"]["region"] for w in body["widgets"]} == {"us-east-1"}
    assert dashboard.time_range(body) == timedelta(minutes=15)


def test_dashboard_body__refuses_a_file_with_an_unknown_placeholder(moto_conn, tmp_path):
    broken = tmp_path / "d.json"
    broken.write_text('{"widgets": [], "x": "${account}"}', encoding="utf-8")
    with pytest.raises(InvalidInput, match="does not render"):
        wl.dashboard_body(conn=moto_conn, path=broken)


def test_render_dashboard__draws_the_widgets_queries_as_a_line_and_two_numbers(moto_conn):
    assert wl.put_dashboard(conn=moto_conn) == "Inference-Monitoring-Dashboard"
    now = datetime.now(UTC)
    put_points(moto_conn, "LatencyMs", [40, 60], at=now - timedelta(minutes=3))
    put_points(moto_conn, "LatencyMs", [80], at=now - timedelta(minutes=1))
    put_points(moto_conn, "SuccessCount", [1, 1, 1], at=now - timedelta(minutes=2))
    put_points(moto_conn, "ErrorCount", [1], at=now - timedelta(minutes=2))
    put_points(moto_conn, "ErrorCount", [1], model="someone-else")
    view = wl.render_dashboard(conn=moto_conn, end=now)
    assert view.numbers == {"SuccessCount": 3.0, "ErrorCount": 1.0}
    (latency,) = view.graphs.values()
    assert list(latency.values) == [50.0, 80.0]
    fig = view.figure()
    assert len(fig.axes) == 3 and fig.axes[0].lines and fig.axes[1].texts[0].get_text() == "3"


def test_render_dashboard__shows_dashes_when_there_is_no_data(moto_conn):
    wl.put_dashboard(conn=moto_conn)
    view = wl.render_dashboard(conn=moto_conn)
    assert view.numbers == {"SuccessCount": None, "ErrorCount": None}
    assert view.figure().axes[2].texts[0].get_text() == "--"


def test_create_alarms__the_workshops_two_alarms_on_the_participants_metric_and_topic(moto_conn):
    alice = moto_conn.with_prefix("alice")
    topic = wl.create_alarm_topic(conn=alice)
    assert wl.create_alarms(conn=alice) == ["alice-High-Latency-Alarm", "alice-Inference-Error-Alarm"]
    found = {a["AlarmName"]: a for a in alarms.describe_alarms(alice)}
    latency, errors = found["alice-High-Latency-Alarm"], found["alice-Inference-Error-Alarm"]
    assert (latency["MetricName"], latency["Statistic"], latency["Threshold"]) == ("LatencyMs", "Average", 2000.0)
    assert (errors["MetricName"], errors["Statistic"], errors["Threshold"]) == ("ErrorCount", "Sum", 0.0)
    for alarm in (latency, errors):
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["Period"] == 10
        assert alarm["Dimensions"] == [{"Name": "ModelName", "Value": "alice-ml-endpoint"}]
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
        assert alarm["TreatMissingData"] == "notBreaching"
    states = wl.alarm_states(conn=alice)
    assert list(states["alarm"]) == ["alice-High-Latency-Alarm", "alice-Inference-Error-Alarm"]
    assert states["condition"].iloc[1] == "Sum(ErrorCount) > 0 over 1 x 10 s"
    assert wl.alarm_states(conn=moto_conn).empty  # the unprefixed participant has none


def test_wait_for_alarm_state__returns_the_alarm_in_that_state_or_times_out(moto_conn):
    wl.create_alarms(conn=moto_conn)
    name = moto_conn.names.error_alarm
    moto_conn.client("cloudwatch").set_alarm_state(  # what CloudWatch's evaluation does; moto evaluates nothing
        AlarmName=name, StateValue="ALARM", StateReason="Threshold Crossed: 1 datapoint [2.0] was > 0.0"
    )
    looks = []
    alarm = wl.wait_for_alarm_state(name, "ALARM", traffic=lambda: looks.append(1), conn=moto_conn)
    assert alarm["StateReason"].startswith("Threshold Crossed") and looks == [1]  # traffic before each look
    with pytest.raises(WaitTimeout, match="to be in OK"):
        wl.wait_for_alarm_state(name, "OK", timeout=10, conn=moto_conn)
    with pytest.raises(InvalidInput, match="state 'RED'"):
        wl.wait_for_alarm_state(name, "RED", conn=moto_conn)


def alarm_message(name: str, state: str, changed: datetime) -> str:
    return json.dumps(
        {
            "AlarmName": name,
            "NewStateValue": state,
            "NewStateReason": "Threshold Crossed: 1 datapoint [1.0] was greater than the threshold (0.0).",
            "StateChangeTime": changed.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
            "Region": "US East (N. Virginia)",
            "OldStateValue": "OK",
        }
    )


def test_queue_notifications__reads_the_alarm_json_the_topic_delivers_to_the_check_queue(moto_conn):
    topic = wl.create_alarm_topic(conn=moto_conn)
    wl.subscribe_check_queue(conn=moto_conn)
    protocols = sorted(s["Protocol"] for s in wl.subscriptions(conn=moto_conn))
    assert protocols == ["sqs"]
    sns = moto_conn.client("sns")
    before = datetime.now(UTC) - timedelta(seconds=1)
    sns.publish(TopicArn=topic, Message="a hand-written test message")  # not an alarm: skipped
    sns.publish(TopicArn=topic, Subject='ALARM: "x"', Message=alarm_message("x", "ALARM", before + timedelta(0, 1)))
    read = wl.queue_notifications(alarm="x", state="ALARM", since=before, conn=moto_conn)
    assert [(n.alarm, n.state) for n in read] == [("x", "ALARM")]
    assert read[0].subject == 'ALARM: "x"' and "Threshold Crossed" in read[0].summary()
    with pytest.raises(WaitTimeout, match="x entering OK"):
        wl.queue_notifications(alarm="x", state="OK", timeout=5, conn=moto_conn)


def test_subscribe_email__refuses_what_is_not_an_address_and_inbox_is_refused_on_aws(moto_conn):
    wl.create_alarm_topic(conn=moto_conn)
    with pytest.raises(InvalidInput, match="not an email address"):
        wl.subscribe_email("alice", conn=moto_conn)
    assert wl.subscribe_email("learner@example.com", conn=moto_conn).startswith("arn:aws:sns:")
    with pytest.raises(StepFailed, match="your own mailbox"):
        wl.inbox(conn=moto_conn)


def test_cleanup__removes_the_participants_dashboard_alarms_topic_and_queue_only(moto_conn):
    alice = moto_conn.with_prefix("alice")
    build_monitoring(moto_conn)
    build_monitoring(alice)
    wl.subscribe_email("alice@example.com", conn=alice)
    # Another project's dashboard named like the unprefixed participant's would be: plots other metrics.
    kinds = sorted(r.kind for r in kit_resources(alice))
    assert kinds == [
        "CloudWatch alarm",
        "CloudWatch alarm",
        "CloudWatch dashboard",
        "SNS topic (and its subscriptions)",
        "SQS queue",
    ]
    cleanup(alice)
    assert kit_resources(alice) == []
    assert len(kit_resources(moto_conn)) == 5  # the unprefixed participant keeps everything
    cw, sns = moto_conn.client("cloudwatch"), moto_conn.client("sns")
    assert [d["DashboardName"] for d in cw.list_dashboards()["DashboardEntries"]] == ["Inference-Monitoring-Dashboard"]
    topics = [t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"]]
    assert topics == ["inference-alarms"]
    assert all(":alice-" not in s["TopicArn"] for s in sns.list_subscriptions()["Subscriptions"])


def test_cleanup__leaves_a_dashboard_of_the_same_name_that_plots_other_metrics(moto_conn):
    cw = moto_conn.client("cloudwatch")
    other = {"widgets": [{"type": "metric", "properties": {"metrics": [["AWS/Lambda", "Errors"]]}}]}
    cw.put_dashboard(DashboardName=moto_conn.names.dashboard, DashboardBody=json.dumps(other))
    assert kit_resources(moto_conn) == []
    notifications.create_alarm_topic(conn=moto_conn.with_prefix("bob"))
    assert kit_resources(moto_conn) == []  # bob's topic is not the unprefixed participant's


# --- what the notebook reads over HTTP: the local inbox (the admin path) and the API, against a tiny server ---


class _Handler(http.server.BaseHTTPRequestHandler):
    answers: ClassVar[list[tuple[int, dict]]] = []
    seen: ClassVar[list[str]] = []

    def _send(self) -> None:
        type(self).seen.append(self.path)
        status, body = type(self).answers.pop(0) if len(type(self).answers) > 1 else type(self).answers[0]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _send

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_server():
    _Handler.answers, _Handler.seen = [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Handler
    finally:
        server.shutdown()
        server.server_close()


MAIL = {
    "address": "learner@example.com",
    "subject": 'ALARM: "Inference-Error-Alarm" in US East (N. Virginia)',
    "body": "You are receiving this email because your Amazon CloudWatch Alarm ...",
    "topic_arn": "arn:aws:sns:us-east-1:123456789012:inference-alarms",
    "subscription_arn": "arn:aws:sns:us-east-1:123456789012:inference-alarms:1",
    "message_id": "m1",
    "sent_at": "2026-12-03T12:00:00Z",
}


def test_inbox__reads_the_local_clouds_admin_path_for_one_address(moto_conn, fake_server):
    url, handler = fake_server
    local = dataclasses.replace(moto_conn, endpoint_url=url)
    handler.answers = [(200, {"messages": [MAIL]})]
    assert wl.inbox("learner@example.com", conn=local) == [MAIL]
    assert handler.seen == ["/_workshop/sns/inbox?address=learner%40example.com"]
    mail = wl.alarm_email("learner@example.com", "Inference-Error-Alarm", "ALARM", conn=local)
    assert mail.delivered and mail.subject == MAIL["subject"] and "You are receiving" in mail._repr_html_()


def test_inbox__a_cloud_without_the_inbox_is_a_clear_error(moto_conn, fake_server):
    url, handler = fake_server
    handler.answers = [(404, {"error": "not found"})]
    with pytest.raises(LocalCloudError, match=r"inbox .* could not be read"):
        wl.inbox(conn=dataclasses.replace(moto_conn, endpoint_url=url))


def test_alarm_email__on_aws_says_where_the_mail_is(moto_conn):
    mail = wl.alarm_email("learner@example.com", "Inference-Error-Alarm", "ALARM", conn=moto_conn)
    assert not mail.delivered and "goes to learner@example.com" in str(mail)


def test_send_until_answered__sends_until_enough_requests_get_the_status(fake_server):
    url, handler = fake_server
    handler.answers = [(200, {"requestId": f"r{i}"}) for i in range(2)] + [(502, {"requestId": "bad"})]
    burst = wl.send_until_answered(url, {"input": "x"}, status=502, count=3)
    assert [s for _, s, _ in burst.sent] == [200, 200, 502, 502, 502]
    assert burst.matching == ["bad"] * 3 and burst.story().endswith("2 x 200, 3 x 502 (awaited 502)")
    with pytest.raises(InvalidInput, match="count must be at least 1"):
        wl.send_until_answered(url, {}, status=200, count=0)


def test_emf_metrics__one_row_per_metric_of_the_emf_lines_only():
    emf = {
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {
                    "Namespace": "InferencePipeline",
                    "Dimensions": [["ModelName"]],
                    "Metrics": [{"Name": "LatencyMs", "Unit": "Milliseconds", "StorageResolution": 1}, {"Name": "E"}],
                }
            ],
        },
        "ModelName": "ml-endpoint",
        "LatencyMs": 12,
        "E": 0,
    }
    frame = wl.emf_metrics(["START RequestId: x", json.dumps({"_aws": "broken"}), json.dumps(emf)])
    assert frame.to_dict("records") == [
        {
            "namespace": "InferencePipeline",
            "dimensions": "ModelName=ml-endpoint",
            "metric": "LatencyMs",
            "unit": "Milliseconds",
            "resolution (s)": 1,
            "value": 12,
        },
        {
            "namespace": "InferencePipeline",
            "dimensions": "ModelName=ml-endpoint",
            "metric": "E",
            "unit": "None",
            "resolution (s)": 60,
            "value": 0,
        },
    ]
