"""SNS deliveries a learner can see on the local cloud, through boto3 and the inbox admin path: email (the local
inbox), email-json, HTTP (a server in this test), SQS (moto's)."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

pytestmark = pytest.mark.local_cloud


def _inbox(conn, address: str | None = None) -> list[dict]:
    query = f"?address={urllib.parse.quote(address)}" if address else ""
    with urllib.request.urlopen(f"{conn.endpoint_url}/_workshop/sns/inbox{query}", timeout=5) as resp:
        return json.loads(resp.read())["messages"]


def _wait(probe, what: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (found := probe()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


@pytest.fixture
def topic_arn(local_conn):
    return local_conn.client("sns").create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]


def test_email_lands_in_the_inbox_with_subject_body_and_footer(local_conn, topic_arn):
    sns = local_conn.client("sns")
    address = f"a-{uuid.uuid4().hex[:6]}@example.com"
    sub = sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint=address, ReturnSubscriptionArn=True)
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
    assert attrs["PendingConfirmation"] == "false"
    first = sns.publish(TopicArn=topic_arn, Message="hello", Subject="Greeting")["MessageId"]
    second = sns.publish(TopicArn=topic_arn, Message="no subject")["MessageId"]
    mails = _wait(lambda: (m := _inbox(local_conn, address)) and len(m) == 2 and m, "two emails")
    assert [(m["subject"], m["message_id"]) for m in mails] == [
        ("Greeting", first), ("AWS Notification Message", second),
    ]  # fmt: skip
    assert mails[0]["body"].startswith("hello\n\n--\nIf you wish to stop receiving notifications from this topic")
    assert mails[0]["address"] == address and mails[0]["sent_at"].endswith("Z")
    assert all(m["address"] != address for m in _inbox(local_conn, "someone-else@example.com"))


def test_message_structure_gives_email_its_own_text(local_conn, topic_arn):
    sns = local_conn.client("sns")
    address = f"s-{uuid.uuid4().hex[:6]}@example.com"
    sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint=address)
    sns.publish(TopicArn=topic_arn, MessageStructure="json",
                Message=json.dumps({"default": "for machines", "email": "for people"}))  # fmt: skip
    (mail,) = _wait(lambda: _inbox(local_conn, address), "the email")
    assert mail["body"].startswith("for people\n")


def test_email_json_gets_the_notification_document(local_conn, topic_arn):
    sns = local_conn.client("sns")
    address = f"j-{uuid.uuid4().hex[:6]}@example.com"
    sns.subscribe(TopicArn=topic_arn, Protocol="email-json", Endpoint=address)
    message_id = sns.publish(TopicArn=topic_arn, Message="m", Subject="s")["MessageId"]
    (mail,) = _wait(lambda: _inbox(local_conn, address), "the email")
    doc = json.loads(mail["body"])
    assert (doc["Type"], doc["MessageId"], doc["TopicArn"], doc["Message"], doc["Subject"]) == (
        "Notification", message_id, topic_arn, "m", "s",
    )  # fmt: skip


def test_http_subscription_receives_the_notification(local_conn, topic_arn):
    received: list[tuple] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers, json.loads(body)))  # header names case-insensitive
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        sns = local_conn.client("sns")
        url = f"http://127.0.0.1:{server.server_port}/hook"
        sub = sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=url, ReturnSubscriptionArn=True)
        message_id = sns.publish(TopicArn=topic_arn, Message="ping", Subject="s")["MessageId"]
        headers, doc = _wait(lambda: received, "the POST")[0]
        assert (doc["Type"], doc["Message"], doc["MessageId"], doc["TopicArn"]) == (
            "Notification", "ping", message_id, topic_arn,
        )  # fmt: skip
        assert headers["x-amz-sns-message-type"] == "Notification"
        assert headers["x-amz-sns-subscription-arn"] == sub["SubscriptionArn"]
    finally:
        server.shutdown()
        server.server_close()


def test_sqs_stays_with_moto(local_conn, topic_arn):
    sns, sqs = local_conn.client("sns"), local_conn.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    sns.publish(TopicArn=topic_arn, Message="to the queue")
    messages = _wait(lambda: sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages"), "SQS")
    assert json.loads(messages[0]["Body"])["Message"] == "to the queue"
