"""HTTP(S) deliveries of SNS on the local cloud: the notification JSON POSTed to the subscription's URL.

As SNS does: ``Content-Type: text/plain; charset=UTF-8``, the headers ``x-amz-sns-message-type: Notification``,
``x-amz-sns-message-id``, ``x-amz-sns-topic-arn``, ``x-amz-sns-subscription-arn``, and retries when the endpoint
fails (a connection error or a status outside 200-499) following the default delivery policy's immediate phase
(3 retries without delay, here a short pause) within SNS's 15-second request timeout. The POST runs in a background
thread, so a slow endpoint never delays the Publish call or the alarm evaluator (moto posts in the publisher's thread
without a timeout). Subscriptions are confirmed at once, as on the local cloud every subscription is.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request

from ..core.monitoring_records import SnsDelivery

log = logging.getLogger("workshop_lib.local.sns")
TIMEOUT_S = 15.0
RETRIES = 3
RETRY_PAUSE_S = 0.2


def post(delivery: SnsDelivery) -> int | None:
    """One POST of the notification; the HTTP status, None when the endpoint could not be reached."""
    request = urllib.request.Request(
        delivery.endpoint,
        data=json.dumps(delivery.notification).encode("utf-8"),
        method="POST",
        headers={
            "Content-Type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": "Notification",
            "x-amz-sns-message-id": delivery.message_id,
            "x-amz-sns-topic-arn": delivery.topic_arn,
            "x-amz-sns-subscription-arn": delivery.subscription_arn,
            "User-Agent": "Amazon Simple Notification Service Agent",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError) as exc:
        log.info("SNS delivery to %s failed: %r", delivery.endpoint, exc)
        return None


class HttpDelivery:
    """Posts deliveries in order, in one background thread, with SNS's immediate retries."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[SnsDelivery | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sns-http-delivery", daemon=True)
        self._thread.start()

    def deliver(self, delivery: SnsDelivery) -> None:
        self._queue.put(delivery)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while (delivery := self._queue.get()) is not None:
            for attempt in range(RETRIES + 1):
                status = post(delivery)
                if status is not None and 200 <= status < 500:
                    break
                if attempt < RETRIES:
                    time.sleep(RETRY_PAUSE_S)
            else:
                log.warning("SNS gave up delivering %s to %s", delivery.message_id, delivery.endpoint)
