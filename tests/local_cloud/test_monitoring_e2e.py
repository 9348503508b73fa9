"""Section 8.3 on the local cloud through workshop_lib: logs, EMF metrics, the dashboard, the alarms and their
notifications, and the clean-up, with the same boto3 calls the notebook makes (no SetAlarmState anywhere)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

import workshop_lib as wl
from workshop_lib.connect import Connection


@pytest.fixture
def pipeline(local_conn: Connection) -> Connection:
    """A participant of its own with what 08_2a/08_2b leave: the endpoint, the new Lambda, the API, the table."""
    conn = local_conn.with_prefix(f"mon{uuid.uuid4().hex[:6]}")
    wl.prepare_for("08_3", conn=conn, verbose=False)
    yield conn
    wl.cleanup(conn)


def send(conn: Connection, text: str) -> wl.TestResponse:
    return wl.send_test_request(wl.invoke_url(conn), {"input": {"text": text}})


def test_logs_metrics_and_dashboard__follow_the_requests_sent(pipeline: Connection):
    conn = pipeline
    since = datetime.now(UTC) - timedelta(seconds=2)
    first = send(conn, "Monitoring starts with this request")
    request_id = first.body["requestId"]
    lines = wl.request_log_lines(request_id, conn=conn)
    assert first.status == 200 and lines[-1].startswith("REPORT RequestId:")
    emf = wl.emf_metrics(lines)
    assert set(emf["metric"]) >= {"LatencyMs", "SuccessCount", "ErrorCount"}
    assert set(emf["resolution (s)"]) == {1} and set(emf["dimensions"]) == {f"ModelName={conn.names.endpoint}"}
    endpoint_lines = wl.endpoint_log_lines(request_id, conn=conn)
    assert endpoint_lines and all(e["stream"] for e in endpoint_lines)

    for text in ("I love it", "I hate it", "It is fine"):
        assert send(conn, text).status == 200
    assert wl.wait_for_data_points("LatencyMs", since=since, at_least=4, conn=conn).sum() >= 4
    listed = wl.custom_metrics(conn=conn)
    ours = listed[listed["dimensions"] == f"ModelName={conn.names.endpoint}"]
    assert {"LatencyMs", "SuccessCount", "ErrorCount"} <= set(ours["metric"])
    assert not wl.metric_series("LatencyMs", minutes=5, conn=conn).empty
    assert wl.metric_series(
        "LatencyMs", minutes=5, dimensions=[{"Name": "EndpointName", "Value": conn.names.endpoint}], conn=conn
    ).empty

    assert wl.put_dashboard(conn=conn) == conn.names.dashboard
    view = wl.render_dashboard(conn=conn)
    assert view.numbers == {"SuccessCount": 4.0, "ErrorCount": 0.0}
    assert not view.graphs["LatencyMs"].empty
    kinds = {r.kind for r in wl.kit_resources(conn)}
    assert "CloudWatch dashboard" in kinds


def test_error_alarm__fires_on_failed_requests_notifies_and_returns_to_ok(pipeline: Connection):
    conn = pipeline
    url = wl.invoke_url(conn)
    address = f"{conn.prefix}@example.com"
    wl.create_alarm_topic(conn=conn)
    email_arn = wl.subscribe_email(address, conn=conn)
    assert email_arn.startswith("arn:aws:sns:")  # confirmed at once on the local cloud
    wl.subscribe_check_queue(conn=conn)
    wl.create_alarms(conn=conn)
    assert wl.wait_for_alarm_state(conn.names.error_alarm, "OK", conn=conn)["StateValue"] == "OK"

    wl.detach_policy(template="invoke-endpoint", conn=conn)
    failing = wl.send_until_answered(url, {"input": {"text": "denied"}}, status=502, count=3)
    still_failing = lambda: wl.send_test_request(url, {"input": {"text": "still denied"}})  # noqa: E731
    fired = wl.wait_for_alarm_state(conn.names.error_alarm, "ALARM", traffic=still_failing, conn=conn)
    assert fired["StateReason"].startswith("Threshold Crossed")
    notes = wl.queue_notifications(alarm=conn.names.error_alarm, state="ALARM", since=failing.started_at, conn=conn)
    assert any(n.alarm == conn.names.error_alarm and n.state == "ALARM" for n in notes)
    mail = wl.alarm_email(address, conn.names.error_alarm, "ALARM", conn=conn)
    assert mail.subject.startswith(f'ALARM: "{conn.names.error_alarm}" in ')
    assert mail.body.startswith("You are receiving this email because your Amazon CloudWatch Alarm")

    wl.attach_policy(template="invoke-endpoint", conn=conn)
    healthy = wl.send_until_answered(url, {"input": {"text": "allowed"}}, status=200, count=3)
    healthy_again = lambda: wl.send_test_request(url, {"input": {"text": "allowed again"}})  # noqa: E731
    recovered = wl.wait_for_alarm_state(conn.names.error_alarm, "OK", traffic=healthy_again, conn=conn)
    assert recovered["StateValue"] == "OK"
    ok = wl.queue_notifications(alarm=conn.names.error_alarm, state="OK", since=healthy.started_at, conn=conn)
    assert any(n.state == "OK" for n in ok)
    assert wl.alarm_states(conn=conn).set_index("alarm").loc[conn.names.high_latency_alarm, "state"] != "ALARM"

    kinds = sorted(r.kind for r in wl.kit_resources(conn) if r.kind.startswith(("CloudWatch", "SNS", "SQS")))
    assert kinds == ["CloudWatch alarm", "CloudWatch alarm", "SNS topic (and its subscriptions)", "SQS queue"]
    wl.cleanup(conn)
    assert wl.kit_resources(conn) == []
    subs = conn.client("sns").list_subscriptions()["Subscriptions"]
    assert not [s for s in subs if s["TopicArn"].endswith(f":{conn.names.alarm_topic}")]
