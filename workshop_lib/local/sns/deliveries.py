"""The local cloud's SNS: moto answers the API and delivers to SQS (and Lambda); the kit delivers what moto does not.

``email`` and ``email-json`` subscriptions deliver to the local inbox (``inbox.py``, read through the admin path
``/_workshop/sns/inbox``), ``http`` and ``https`` ones are POSTed in the background (``http_delivery.py``). moto hands
each of those deliveries over through ``core/moto_seam/sns.install_sns_delivery``. Every subscription is confirmed
at once on the local cloud (on AWS an email subscription waits for the learner's click on the confirmation link).
The cloud closes it with its CloudWatch service (``cloudwatch/responses.MonitoringService``).
"""

from __future__ import annotations

from ..core.monitoring_records import SnsDelivery
from ..core.moto_seam import install_sns_delivery
from .http_delivery import HttpDelivery
from .inbox import EmailInbox

INBOX_ADMIN_PATH = "sns/inbox"


class SnsDeliveries:
    """Routes moto's email and HTTP(S) deliveries to the inbox and the HTTP poster."""

    def __init__(self) -> None:
        self.inbox = EmailInbox()
        self.http = HttpDelivery()
        self._uninstall = install_sns_delivery(self.deliver)

    def deliver(self, delivery: SnsDelivery) -> None:
        if delivery.protocol in ("email", "email-json"):
            self.inbox.deliver(delivery)
        else:
            self.http.deliver(delivery)

    def close(self) -> None:
        self._uninstall()
        self.http.close()
