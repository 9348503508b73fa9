"""Waiting for AWS: the kit's one polling primitive, and the only place in workshop_lib that sleeps.

AWS is eventually consistent: an IAM policy takes seconds to apply, a Lambda's log lines take seconds
to reach CloudWatch Logs, an item takes up to a second to reach a global secondary index, a new API
stage answers 5xx for a moment, a deleted table or endpoint is listed for a while. The kit never
sleeps a fixed time for any of it: ``poll()`` calls an observation (a Describe/Get call, a probe
request) until it reports the awaited state, sleeping between attempts with exponential backoff and
jitter, up to a deadline.

- An observation returns the awaited value, or ``NotYet(state)`` (what it saw; optionally
  ``retry_after`` seconds, e.g. from a Retry-After header). Exceptions it raises are not retried:
  the observation decides what is transient (``throttled()`` does it for AWS's rate limits).
- A timeout raises ``WaitTimeout``: what was awaited, for how long, the last state seen, what to do.
- A wait longer than a few seconds shows a progress bar (tqdm, on stdout).
- With $WORKSHOP_WAIT_LOG set, each wait appends one JSON line (what, rule, seconds, attempts, ok) to
  that file: bench/workshop_run.py compares each wait with the AWS delay (``rule``) it waits for.
- ``clock`` is the time source; tests replace it with a fake one (no real sleeping).
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from botocore.exceptions import ClientError

from .config import ENV_WAIT_LOG
from .errors import THROTTLED_CODES, WaitTimeout, aws_code, aws_message
from .i18n import _

T = TypeVar("T")

# The AWS delays a wait is for (the rules of docs/aws-timing.md); bench/workshop_run.py knows their bounds.
IAM_POLICY = "iam-policy"  # an identity-policy change reaches the role's callers
IAM_NEW_ROLE = "iam-new-role"  # a new role can be passed to Lambda / SageMaker
LOG_DELIVERY = "logs-delivery"  # a Lambda's log lines reach FilterLogEvents
LOG_THROTTLE = "logs-throttle"  # FilterLogEvents' 5 requests/s per account
GSI = "dynamodb-gsi"  # an item reaches a global secondary index
TABLE_STATUS = "dynamodb-table"  # a table or index becomes ACTIVE, or a deleted table goes away
LAMBDA_UPDATE = "lambda-update"  # a function becomes Active / its update Successful
ENDPOINT_CREATE = "sagemaker-endpoint-create"  # Creating / Updating -> InService
ENDPOINT_DELETE = "sagemaker-endpoint-delete"  # Deleting -> gone
API_STAGE = "apigateway-stage"  # a new deployment / permission answers 5xx for a moment
API_QUOTA = "apigateway-quota"  # CreateRestApi / CreateDeployment / DeleteRestApi rate limits


@dataclass(frozen=True)
class NotYet:
    """An observation's answer while the awaited state does not hold yet: what it saw, and when to look again."""

    state: str = ""
    retry_after: float | None = None  # seconds, when the service said (Retry-After); else the backoff decides


@dataclass(frozen=True)
class Backoff:
    """Delays between attempts: ``first``, then times ``factor`` up to ``cap``, each with +-``jitter`` (a fraction)."""

    # The default polls soon after the awaited change (at most ~2.4 s late): the workshop's waits are seconds
    # to minutes long, and a step should not sit idle long after AWS is done.
    first: float = 1.0
    factor: float = 1.5
    cap: float = 2.0
    jitter: float = 0.2

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay * _random.uniform(1 - self.jitter, 1 + self.jitter)
            delay = min(delay * self.factor, self.cap)


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class InstantClock:
    """Time that passes only when slept: ``sleep`` advances it at once (for tests against in-process moto)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


clock: Clock = SystemClock()  # the time source of every wait (tests set a fake clock here)
_random = random.Random()
_log_lock = threading.Lock()
_bars_open = 0  # progress bars shown now (one at a time)
PROGRESS_AFTER_S = 3.0  # a wait that lasts longer shows a progress bar


def poll(
    observe: Callable[[], T | NotYet],
    *,
    what: str,
    timeout: float,
    fix: str,
    rule: str = "",
    backoff: Backoff | None = None,
) -> T:
    """Call ``observe`` until it returns something other than ``NotYet``; return that.

    Between attempts it sleeps the backoff's next delay (or the ``retry_after`` the observation asked
    for), never past the deadline; the last attempt is made at the deadline. After ``timeout`` seconds
    it raises WaitTimeout naming ``what``, the time waited, the last state seen and ``fix``.
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, not {timeout}")
    start = clock.monotonic()
    deadline = start + timeout
    delays = (backoff or Backoff()).delays()
    attempts, bar, state = 0, None, ""
    try:
        while True:
            attempts += 1
            result = observe()
            now = clock.monotonic()
            if not isinstance(result, NotYet):
                _record(what, rule, now - start, attempts, ok=True)
                return result
            state = result.state or state
            if now >= deadline:
                break
            bar = _progress(bar, what, now - start, timeout, state)
            delay = result.retry_after if result.retry_after is not None else next(delays)
            clock.sleep(max(0.0, min(delay, deadline - now)))
    finally:
        if bar is not None:
            _close(bar)
    waited = clock.monotonic() - start
    _record(what, rule, waited, attempts, ok=False)
    seen = f"; last seen: {state}" if state else ""
    raise WaitTimeout(
        _("gave up waiting for {what} after {waited:.0f} s ({attempts} attempts){seen}").format(
            what=what, waited=waited, attempts=attempts, seen=seen
        ),
        resource=what,
        fix=fix,
        waited=waited,
    )


def _progress(bar: Any, what: str, elapsed: float, timeout: float, state: str) -> Any:
    """The wait's progress bar (tqdm on stdout, not stderr), opened once the wait lasts PROGRESS_AFTER_S.

    One bar at a time: a wait made inside another wait that shows its bar shows none (nested bars do not
    render in a notebook's output).
    """
    global _bars_open
    if elapsed < PROGRESS_AFTER_S:
        return bar
    if bar is None:
        with _log_lock:
            if _bars_open:
                return None
            _bars_open += 1
        from tqdm import tqdm

        bar = tqdm(
            total=round(timeout),
            initial=min(round(elapsed), round(timeout)),
            desc=_("waiting for {what}").format(what=what)[:90],
            unit="s",
            file=sys.stdout,
            bar_format=_("{desc}: {n:.0f} s of at most {total:.0f} s {postfix}"),  # tqdm fills the fields
            mininterval=1.0,
        )
    bar.n = min(round(elapsed), bar.total)
    bar.set_postfix_str(state[:60], refresh=False)
    bar.refresh()
    return bar


def _close(bar: Any) -> None:
    global _bars_open
    bar.close()
    with _log_lock:
        _bars_open -= 1


def _record(what: str, rule: str, seconds: float, attempts: int, *, ok: bool) -> None:
    """Append the wait to $WORKSHOP_WAIT_LOG (one JSON line), when it is set."""
    path = os.environ.get(ENV_WAIT_LOG)
    if not path:
        return
    line = json.dumps({"what": what, "rule": rule, "seconds": round(seconds, 3), "attempts": attempts, "ok": ok})
    with _log_lock, open(path, "a", encoding="utf-8") as log:
        log.write(line + "\n")


def throttled(exc: BaseException) -> NotYet | None:
    """A NotYet for an AWS call refused by a rate limit (after its Retry-After when it sends one), else None."""
    if not isinstance(exc, ClientError) or aws_code(exc) not in THROTTLED_CODES:
        return None
    headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}
    try:
        after: float | None = float(headers.get("retry-after", ""))
    except ValueError:
        after = None
    return NotYet(f"{aws_code(exc)} ({getattr(exc, 'operation_name', 'the call')} is rate-limited)", after)


def refused_with(fragment: str, state: str) -> Callable[[BaseException], NotYet | None]:
    """A ``retry_if`` for call_with_retry: an AWS error whose message contains ``fragment`` (any case) is
    transient, reported as ``state``; so is a rate limit (``throttled``)."""

    def transient(exc: BaseException) -> NotYet | None:
        if isinstance(exc, ClientError) and fragment.lower() in aws_message(exc).lower():
            return NotYet(state)
        return throttled(exc)

    return transient


def call_with_retry(
    call: Callable[[], T],
    *,
    what: str,
    timeout: float,
    fix: str,
    rule: str = "",
    retry_if: Callable[[BaseException], NotYet | None] = throttled,
    backoff: Backoff | None = None,
) -> T:
    """``call()``, made again while it raises an error ``retry_if`` calls transient (default: a rate limit)."""

    def attempt() -> T | NotYet:
        try:
            return call()
        except ClientError as exc:
            later = retry_if(exc)
            if later is None:
                raise
            return later

    return poll(attempt, what=what, timeout=timeout, fix=fix, rule=rule, backoff=backoff)


class Pacer:
    """At most one call per ``interval`` seconds in this process (an account-level AWS rate limit)."""

    def __init__(self, name: str, interval: float) -> None:
        self.name = name
        self.interval = interval
        self._next = float("-inf")
        self._clock: Clock | None = None  # the clock _next was read on
        self._lock = threading.Lock()

    def wait_turn(self) -> None:
        """Return when the next call may be made (at once, when the last was long enough ago)."""
        with self._lock:
            start = clock.monotonic()
            if self._clock is clock and start < self._next:

                def turn() -> bool | NotYet:
                    left = self._next - clock.monotonic()
                    return True if left <= 0 else NotYet(f"{left:.0f} s until the next {self.name}", left)

                poll(
                    turn,
                    what=f"the next {self.name} allowed by AWS's rate limit",
                    timeout=self.interval + 1,
                    fix=_("nothing to do: the call is paced to AWS's account-level rate limit"),
                    rule=API_QUOTA,
                )
            self._next, self._clock = clock.monotonic() + self.interval, clock
