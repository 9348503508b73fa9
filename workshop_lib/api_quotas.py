"""API Gateway's account-level rate limits on the control plane, respected by every call the kit makes.

AWS limits, per account and region, CreateRestApi to 1 request every 3 s, CreateDeployment to 1 every
5 s and DeleteRestApi to 1 every 30 s ("Amazon API Gateway quotas", the table of control-plane
quotas). Above them AWS answers 429 TooManyRequestsException, with a Retry-After header. The kit
paces those calls within a process (``waiting.Pacer``) and, since a class shares one account, makes a
refused call again after the Retry-After AWS sends (else after a backoff), for up to QUOTA_WAIT_S.

Inside ``paced_by_refusals()`` (an instructor's class, workshop_lib/classroom/) the pacing is learned
instead: an operation is paced only once the account has refused one (any 429 the client gets,
botocore's own retries included), at the longest Retry-After the account sent, at most AWS's documented
interval. A class makes hundreds of these calls: where nothing is enforced (the local cloud without its
AWS timing) they go at once, and where the quota is enforced at another scale (the timed local cloud)
the class follows it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from . import waiting
from .connect import Connection
from .i18n import _

# AWS's control-plane rate limits, in seconds between two calls of one account.
LIMITS = {
    "create_rest_api": ("CreateRestApi", 3.0),
    "create_deployment": ("CreateDeployment", 5.0),
    "delete_rest_api": ("DeleteRestApi", 30.0),
}
PACERS = {operation: waiting.Pacer(name, interval) for operation, (name, interval) in LIMITS.items()}
QUOTA_WAIT_S = 900.0  # a class of 30 deleting their APIs at once needs 30 x 30 s: up to 15 minutes
QUOTA_BACKOFF = waiting.Backoff(first=2.0, factor=2.0, cap=30.0, jitter=0.3)

# The pacers of the accounts (and regions, and clouds) that refused a call, per operation.
_pacers: dict[tuple[str, str, str, str], waiting.Pacer] = {}
_pacers_lock = threading.Lock()
_learning = 0  # how many paced_by_refusals() blocks are open


@contextlib.contextmanager
def paced_by_refusals() -> Iterator[None]:
    """Inside the block, pace each operation only once the account refused one (see the module's docstring)."""
    global _learning
    with _pacers_lock:
        _learning += 1
    try:
        yield
    finally:
        with _pacers_lock:
            _learning -= 1


def _scope(conn: Connection, operation: str) -> tuple[str, str, str, str]:
    return (conn.account_id, conn.region, conn.endpoint_url or "", operation)


def pacer(conn: Connection, operation: str) -> waiting.Pacer | None:
    """The pacer of ``operation`` for this connection's account and region; None until the account refused one."""
    with _pacers_lock:
        return _pacers.get(_scope(conn, operation))


def _learn(conn: Connection, operation: str, retry_after: float | None) -> None:
    """After a refusal: pace ``operation`` from now on, at the longest Retry-After seen (AWS's interval at most)."""
    name, interval = LIMITS[operation]
    learned = min(interval, retry_after) if retry_after else interval
    with _pacers_lock:
        known = _pacers.get(_scope(conn, operation))
        if known is None:
            _pacers[_scope(conn, operation)] = waiting.Pacer(name, learned)
        else:
            known.interval = max(known.interval, learned)


def _watch_refusals(conn: Connection, client: Any) -> None:
    """See every 429 the client gets, botocore's own retries included (they would hide it from the kit)."""
    by_name = {name: operation for operation, (name, _) in LIMITS.items()}

    def attempt_answered(response: Any = None, operation: Any = None, **_: Any) -> None:
        if response is None or operation is None or operation.name not in by_name:
            return
        http = response[0]
        if http.status_code == 429:
            try:
                after: float | None = float(http.headers.get("retry-after", ""))
            except ValueError:
                after = None
            _learn(conn, by_name[operation.name], after)

    client.meta.events.register("needs-retry.apigateway", attempt_answered, unique_id="workshop-api-quotas")


def apigateway_call(conn: Connection, operation: str, *, what: str, **params: Any) -> Any:
    """``conn.client("apigateway").<operation>(**params)``, paced and retried within AWS's rate limits.

    ``operation`` is the boto3 method name (e.g. "create_deployment"); ``what`` names the resource in
    the timeout message. Errors other than a rate limit are raised as AWS answered them (ClientError).
    """
    client = conn.client("apigateway")
    _watch_refusals(conn, client)
    method = getattr(client, operation)

    def call() -> Any:
        paced = pacer(conn, operation) if _learning else PACERS.get(operation)
        if paced is not None:
            paced.wait_turn()
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
