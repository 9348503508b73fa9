"""API Gateway's account-level rate limits on the control plane, respected by every call the kit makes.

AWS limits, per account and region, CreateRestApi to 1 request every 3 s, CreateDeployment to 1 every
5 s and DeleteRestApi to 1 every 30 s ("Amazon API Gateway quotas", the table of control-plane
quotas). Above them AWS answers 429 TooManyRequestsException, with a Retry-After header. The kit
paces those calls within a process (``waiting.Pacer``) and, since a class shares one account, makes a
refused call again after the Retry-After AWS sends (else after a backoff), for up to QUOTA_WAIT_S.
"""

from __future__ import annotations

from typing import Any

from . import waiting
from .connect import Connection
from .i18n import _

# AWS's control-plane rate limits, in seconds between two calls of one account.
PACERS = {
    "create_rest_api": waiting.Pacer("CreateRestApi", 3.0),
    "create_deployment": waiting.Pacer("CreateDeployment", 5.0),
    "delete_rest_api": waiting.Pacer("DeleteRestApi", 30.0),
}
QUOTA_WAIT_S = 900.0  # a class of 30 deleting their APIs at once needs 30 x 30 s: up to 15 minutes
QUOTA_BACKOFF = waiting.Backoff(first=2.0, factor=2.0, cap=30.0, jitter=0.3)


def apigateway_call(conn: Connection, operation: str, *, what: str, **params: Any) -> Any:
    """``conn.client("apigateway").<operation>(**params)``, paced and retried within AWS's rate limits.

    ``operation`` is the boto3 method name (e.g. "create_deployment"); ``what`` names the resource in
    the timeout message. Errors other than a rate limit are raised as AWS answered them (ClientError).
    """
    method = getattr(conn.client("apigateway"), operation)
    pacer = PACERS.get(operation)

    def call() -> Any:
        if pacer is not None:
            pacer.wait_turn()
        return method(**params)

    return waiting.call_with_retry(
        call,
        what=f"API Gateway to accept {operation} of {what} (rate-limited)",
        timeout=QUOTA_WAIT_S,
        fix=_(
            "other participants of this account are creating or deleting APIs at the same time: run "
            "the step again in a few minutes"
        ),
        rule=waiting.API_QUOTA,
        backoff=QUOTA_BACKOFF,
    )
