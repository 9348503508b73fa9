"""moto's SNS internals, for the local cloud's deliveries (workshop_lib/local/sns/).

Internals used: ``publish`` (with ``message_structure``) and ``Subscription.publish``, ``_filter_policy_matcher``,
``_parse_message_structure``, ``get_post_data`` (wrapped so the local cloud delivers email, email-json and HTTP(S)
itself; SQS, Lambda and SMS stay moto's). Each has a test in tests/unit/local/moto_seam/test_seam_sns.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from moto.backends import get_backend

from ..monitoring_records import SnsDelivery

log = logging.getLogger("workshop_lib.local")
LOCAL_PROTOCOLS = ("email", "email-json", "http", "https")  # delivered by the kit, not moto


class MotoSns:
    """SNS Publish into moto's backends (which fan out to the topic's subscriptions)."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    def publish(self, topic_arn: str, message: str, subject: str | None, *, structured: bool = False) -> str:
        """Publish to a topic by ARN (its region is the ARN's); the message id. Raises moto's errors."""
        region = topic_arn.split(":")[3]
        backend = get_backend("sns")[self.account_id][region]  # type: ignore[call-overload]
        return str(backend.publish(message, topic_arn, subject=subject,
                                   message_structure="json" if structured else None))  # fmt: skip


_sink_lock = threading.Lock()
_sinks: list[Callable[[SnsDelivery], None]] = []


def install_sns_delivery(sink: Callable[[SnsDelivery], None]) -> Callable[[], None]:
    """Hand every email, email-json and HTTP(S) delivery of moto's SNS to ``sink`` (the last one installed) instead
    of dropping it (email) or posting it without a timeout in the publisher's thread (moto's HTTP); returns the
    function that removes the sink again."""
    from moto.sns.models import Subscription

    with _sink_lock:
        if not getattr(Subscription.publish, "_workshop_wrapped", False):
            Subscription.publish = _wrap(Subscription.publish)  # type: ignore[method-assign]
        _sinks.append(sink)

    def remove() -> None:
        with _sink_lock:
            if sink in _sinks:
                _sinks.remove(sink)

    return remove


def _wrap(original: Callable[..., None]) -> Callable[..., None]:
    def publish(self: Any, message: str, message_id: str, subject: str | None = None,
                message_attributes: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> None:  # fmt: skip
        sink = _sinks[-1] if _sinks else None
        if sink is None or self.protocol not in LOCAL_PROTOCOLS:
            return original(self, message, message_id, subject, message_attributes, *args, **kwargs)
        matcher = self._filter_policy_matcher
        if matcher is not None and not matcher.matches(message_attributes, message):
            return None
        if kwargs.get("message_structure") == "json":
            message = self._parse_message_structure(message, self.protocol)
        notification: dict[str, object] = {}
        if self.protocol != "email":
            notification = self.get_post_data(message, message_id, subject, message_attributes=message_attributes)
        delivery = SnsDelivery(self.protocol, self.endpoint, self.arn, self.topic.arn, message_id, subject, message,
                               notification)  # fmt: skip
        try:
            sink(delivery)
        except Exception as exc:  # noqa: BLE001 - a delivery problem must never fail the Publish call
            log.error("SNS delivery to %s %s failed: %r", self.protocol, self.endpoint, exc)
        return None

    publish._workshop_wrapped = True  # type: ignore[attr-defined]
    return publish
