"""The alarms' SNS topic (section 8.3, step 4): the topic, its subscriptions, and where a notification is read.

- ``create_alarm_topic()``: the topic ``inference-alarms`` (prefixed per participant), tagged as the kit's.
- ``subscribe_email(address)``: the workshop's email subscription. On AWS the address receives a confirmation
  mail and the subscription stays "pending confirmation" until the learner clicks its link; on the local cloud it
  is confirmed at once and delivers to the local inbox, which ``inbox()`` reads (the admin path
  ``GET /_workshop/sns/inbox``). On AWS ``inbox()`` refuses: the learner reads their own mail.
- ``subscribe_check_queue()``: an SQS queue subscribed to the topic, on both targets, so a notebook's check
  reads the notifications with the same calls everywhere (``queue_notifications()``). Its access policy lets
  only this topic send to it (``aws:SourceArn``), as AWS's SNS-to-SQS guide shows.

Each notification read from the queue is the SNS envelope (Type, MessageId, TopicArn, Subject, Message,
Timestamp) whose Message is the JSON CloudWatch publishes for an alarm (AlarmName, NewStateValue,
NewStateReason, StateChangeTime, Region, Trigger, ...).
"""

from __future__ import annotations

import html
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from . import waiting
from .config import tag_list
from .connect import Connection, current
from .errors import InvalidInput, LocalCloudError, StepFailed, aws_error
from .i18n import _

NOTIFICATION_WAIT_S = 300.0  # locally seconds; on AWS an alarm is evaluated about once a minute, then SNS delivers
NOTIFICATION_DELIVERY = "sns-delivery"  # the AWS delay a wait is for: an alarm's notification reaches a subscriber
INBOX_PATH = "/_workshop/sns/inbox"


def check_queue_name(conn: Connection) -> str:
    """The SQS queue the kit subscribes to the topic for the notebook's check."""
    return f"{conn.names.alarm_topic}-check"


def create_alarm_topic(conn: Connection | None = None) -> str:
    """Create (or find: CreateTopic is idempotent) the alarms' topic, tagged as the kit's; return its ARN."""
    conn = conn or current()
    try:
        return conn.client("sns").create_topic(Name=conn.names.alarm_topic, Tags=tag_list(conn.tags))["TopicArn"]
    except ClientError as exc:
        raise aws_error(exc, f"SNS topic {conn.names.alarm_topic}") from exc


def topic_arn(conn: Connection | None = None) -> str:
    """The ARN of this participant's alarms topic (whether or not it exists yet)."""
    conn = conn or current()
    return conn.arn("sns", conn.names.alarm_topic)


def subscribe_email(address: str, *, conn: Connection | None = None) -> str:
    """Subscribe ``address`` to the alarms' topic; return the SubscriptionArn.

    On AWS it is "pending confirmation" until the mail's link is clicked; on the local cloud a real ARN at once.
    """
    conn = conn or current()
    if not isinstance(address, str) or address.count("@") != 1 or "." not in address.split("@")[1]:
        raise InvalidInput(
            _("{address!r} is not an email address").format(address=address),
            resource="address",
            fix=_("e.g. you@example.com"),
        )
    try:
        answer = conn.client("sns").subscribe(
            TopicArn=topic_arn(conn), Protocol="email", Endpoint=address, ReturnSubscriptionArn=True
        )
    except ClientError as exc:
        raise aws_error(exc, f"an email subscription to {conn.names.alarm_topic}") from exc
    return answer["SubscriptionArn"]


def subscribe_check_queue(conn: Connection | None = None) -> str:
    """Create the check queue (tagged), let only the topic send to it, subscribe it; return its URL."""
    conn = conn or current()
    sqs, name, topic = conn.client("sqs"), check_queue_name(conn), topic_arn(conn)
    try:
        url = sqs.create_queue(QueueName=name, tags=conn.tags)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "OnlyTheAlarmsTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        conn.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True)
    except ClientError as exc:
        raise aws_error(exc, f"the check queue {name}") from exc
    return url


def subscriptions(conn: Connection | None = None) -> list[dict[str, str]]:
    """The topic's subscriptions (Protocol, Endpoint, SubscriptionArn), as ListSubscriptionsByTopic answers."""
    conn = conn or current()
    found: list[dict[str, str]] = []
    try:
        pages = conn.client("sns").get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn(conn))
        for page in pages:
            found += [{k: s[k] for k in ("Protocol", "Endpoint", "SubscriptionArn")} for s in page["Subscriptions"]]
    except ClientError as exc:
        raise aws_error(exc, f"SNS topic {conn.names.alarm_topic}") from exc
    return found


@dataclass(frozen=True)
class Notification:
    """An alarm notification as a subscriber received it: the SNS envelope and the alarm's JSON message."""

    subject: str
    alarm: str
    state: str  # NewStateValue: ALARM, OK or INSUFFICIENT_DATA
    reason: str  # NewStateReason
    changed_at: str  # StateChangeTime
    envelope: dict[str, Any]

    def summary(self) -> str:
        return f"{self.changed_at}  {self.alarm}: {self.state}  ({self.reason})"


def _notification(body: str) -> Notification | None:
    try:
        envelope = json.loads(body)
        message = json.loads(envelope["Message"])
    except (ValueError, KeyError, TypeError):
        return None  # not an alarm notification (e.g. a test message published by hand)
    if not isinstance(message, dict) or "AlarmName" not in message:
        return None
    return Notification(
        subject=str(envelope.get("Subject", "")),
        alarm=str(message["AlarmName"]),
        state=str(message.get("NewStateValue", "")),
        reason=str(message.get("NewStateReason", "")),
        changed_at=str(message.get("StateChangeTime", "")),
        envelope=envelope,
    )


def queue_notifications(
    *,
    alarm: str,
    state: str,
    since: datetime | None = None,
    timeout: float = NOTIFICATION_WAIT_S,
    conn: Connection | None = None,
) -> list[Notification]:
    """Read the check queue until a notification of ``alarm`` entering ``state`` arrives; return all read.

    Messages are deleted once read. ``since`` (aware) skips notifications of earlier state changes.
    """
    conn = conn or current()
    sqs = conn.client("sqs")
    try:
        url = sqs.get_queue_url(QueueName=check_queue_name(conn))["QueueUrl"]
    except ClientError as exc:
        raise aws_error(
            exc, f"the check queue {check_queue_name(conn)}", fix=_("run wl.subscribe_check_queue()")
        ) from exc
    read: list[Notification] = []

    def observe() -> list[Notification] | waiting.NotYet:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        for message in messages:
            found = _notification(message["Body"])
            if found is not None:
                read.append(found)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        wanted = [n for n in read if n.alarm == alarm and n.state == state and _after(n.changed_at, since)]
        if wanted:
            return list(read)
        return waiting.NotYet(f"{len(read)} notification(s) read, none of {alarm} entering {state}")

    return waiting.poll(
        observe,
        what=f"the notification of {alarm} entering {state} in the queue {check_queue_name(conn)}",
        timeout=timeout,
        fix=_(
            "look at the alarm (wl.alarm_states()): is it in {state}? Is the queue subscribed to the topic "
            "(wl.subscriptions())? On AWS an alarm is evaluated about once a minute"
        ).format(state=state),
        rule=NOTIFICATION_DELIVERY,
        backoff=waiting.Backoff(first=0.5, factor=1.5, cap=3.0),
    )


def _after(changed_at: str, since: datetime | None) -> bool:
    if since is None or not changed_at:
        return True
    try:
        moment = datetime.fromisoformat(changed_at.replace("+0000", "+00:00"))
    except ValueError:
        return True  # an unreadable time is not a reason to miss the notification
    return moment >= since


def inbox(address: str | None = None, *, conn: Connection | None = None) -> list[dict[str, str]]:
    """The local cloud's email inbox (oldest first), optionally for one address; refused on AWS (read your mail)."""
    conn = conn or current()
    if not conn.endpoint_url:
        raise StepFailed(
            _("on AWS the notification is an email in your own mailbox: the kit cannot read it"),
            resource="email inbox",
            fix=_(
                "open the mail from AWS Notifications (confirm the subscription first); the check queue "
                "(wl.queue_notifications) holds the same notification"
            ),
        )
    query = f"?{urllib.parse.urlencode({'address': address})}" if address else ""
    url = f"{conn.endpoint_url}{INBOX_PATH}{query}"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return list(json.loads(resp.read())["messages"])
    except (urllib.error.URLError, ValueError, KeyError) as exc:
        raise LocalCloudError(
            _("the local cloud's inbox ({path}) could not be read: {error}").format(path=INBOX_PATH, error=exc),
            resource="email inbox",
            fix=_(
                "is the local cloud running this kit's version? python kit.py status; restart it with "
                "python kit.py down && python kit.py up"
            ),
        ) from exc


@dataclass(frozen=True)
class AlarmEmail:
    """The alarm's email as the subscriber gets it (the local inbox), or where to find it (AWS: your mailbox)."""

    address: str
    subject: str
    body: str
    delivered: bool  # False on AWS: the kit cannot read your mail

    def _repr_html_(self) -> str:
        if not self.delivered:
            return f"<p>{html.escape(self.body)}</p>"
        return (
            '<div style="border: 1px solid #bbb; padding: 8px 12px; max-width: 60em">'
            f"<div><b>To:</b> {html.escape(self.address)}</div>"
            f"<div><b>Subject:</b> {html.escape(self.subject)}</div><hr>"
            f'<pre style="white-space: pre-wrap">{html.escape(self.body)}</pre></div>'
        )

    def __str__(self) -> str:
        return f"To: {self.address}\nSubject: {self.subject}\n\n{self.body}" if self.delivered else self.body


def alarm_email(
    address: str, alarm: str, state: str, *, timeout: float = NOTIFICATION_WAIT_S, conn: Connection | None = None
) -> AlarmEmail:
    """The email notification of ``alarm`` entering ``state``: read from the local inbox (waiting for it), or,
    on AWS, a note saying that it is in ``address``'s mailbox (once the subscription was confirmed)."""
    conn = conn or current()
    subject_start = f'{state}: "{alarm}"'
    if not conn.endpoint_url:
        note = _(
            "On AWS the mail {subject} in {region} ... goes to {address}: open it in your mailbox "
            "(the subscription's confirmation link must have been clicked first)."
        ).format(subject=subject_start, region=conn.region, address=address)
        return AlarmEmail(address, subject_start, note, delivered=False)
    mail = wait_for_email(address, subject_start=subject_start, timeout=timeout, conn=conn)
    return AlarmEmail(mail["address"], mail["subject"], mail["body"], delivered=True)


def wait_for_email(
    address: str, *, subject_start: str, timeout: float = NOTIFICATION_WAIT_S, conn: Connection | None = None
) -> dict[str, str]:
    """Poll the local inbox until a mail to ``address`` whose subject starts with ``subject_start`` arrives."""
    conn = conn or current()

    def observe() -> dict[str, str] | waiting.NotYet:
        mails = inbox(address, conn=conn)
        found = [m for m in mails if m["subject"].startswith(subject_start)]
        return found[-1] if found else waiting.NotYet(f"{len(mails)} mail(s) to {address}, none {subject_start!r}")

    return waiting.poll(
        observe,
        what=f"a mail to {address} with subject {subject_start!r}...",
        timeout=timeout,
        fix=_("check the subscription (wl.subscriptions()) and the alarm's state (wl.alarm_states())"),
        rule=NOTIFICATION_DELIVERY,
        backoff=waiting.Backoff(first=0.5, factor=1.5, cap=3.0),
    )
