"""The local email inbox: what SNS mails to ``email`` and ``email-json`` subscriptions on the local cloud.

On AWS an email subscription waits for the learner's click on the confirmation link, then SNS mails each message.
On the local cloud the subscription is confirmed at once (moto gives it a real SubscriptionArn) and each message
lands here, where the admin path ``GET /_workshop/sns/inbox[?address=<email>]`` answers it, oldest first, as
``{"messages": [{"address", "subject", "body", "topic_arn", "subscription_arn", "message_id", "sent_at"}]}``
(``sent_at``: ISO-8601 UTC). The body is what the email shows: the message (for an alarm, CloudWatch's readable
notification) and SNS's unsubscribe footer; for ``email-json``, the notification's JSON. A subject-less message is
mailed as "AWS Notification Message", as SNS mails it. The inbox keeps the last ``MAX_MESSAGES``.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core.monitoring_records import SnsDelivery

MAX_MESSAGES = 10_000
DEFAULT_SUBJECT = "AWS Notification Message"


def email_body(delivery: SnsDelivery, region: str) -> str:
    """What the email of one delivery says (``email``: text and footer; ``email-json``: the notification JSON)."""
    if delivery.protocol == "email-json":
        return json.dumps(delivery.notification, indent=2)
    unsubscribe = (
        f"https://sns.{region}.amazonaws.com/unsubscribe.html?SubscriptionArn={delivery.subscription_arn}"
        f"&Endpoint={delivery.endpoint}"
    )
    return (
        f"{delivery.message}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or "
        f"visit the link below to unsubscribe:\n{unsubscribe}\n\nPlease do not reply directly to this email. If you "
        "have any questions or comments regarding this email, please contact us at https://aws.amazon.com/support\n"
    )


class EmailInbox:
    """Every email the local cloud has sent, oldest first (thread-safe)."""

    def __init__(self) -> None:
        self._messages: deque[dict[str, str]] = deque(maxlen=MAX_MESSAGES)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)

    def deliver(self, delivery: SnsDelivery) -> None:
        region = delivery.topic_arn.split(":")[3]
        message = {
            "address": delivery.endpoint,
            "subject": delivery.subject or DEFAULT_SUBJECT,
            "body": email_body(delivery, region),
            "topic_arn": delivery.topic_arn,
            "subscription_arn": delivery.subscription_arn,
            "message_id": delivery.message_id,
            "sent_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        with self._arrived:
            self._messages.append(message)
            self._arrived.notify_all()

    def messages(self, address: str | None = None) -> list[dict[str, str]]:
        with self._lock:
            return [m for m in self._messages if address is None or m["address"].lower() == address.lower()]

    def wait(self, count: int, timeout: float) -> bool:
        """Wait until the inbox holds at least ``count`` messages (tests, benchmarks)."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self._messages) >= count, timeout)

    def admin(self, request: Request) -> Response:
        """``GET /_workshop/sns/inbox[?address=...]``."""
        if request.method != "GET":
            return Response("use GET", status=405)
        body: dict[str, Any] = {"messages": self.messages(request.args.get("address") or None)}
        return Response(json.dumps(body), content_type="application/json")
