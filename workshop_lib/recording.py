"""Whether a request through the API got its row in the table: send it, observe the outcome, wait for the one expected.

An IAM policy put on the function's role (section 8.2, step 4) takes seconds to apply on AWS, and so
does its removal. Right after step 4, the first request's write is most likely still refused; right
after the policy is removed, the next write is most likely still allowed. So a step that depends on
the policy sends the request and observes what happened to its record, and sends it again (with
backoff) until the outcome it needs is observed:

- the inference Lambda writes the row before it answers, so once the API answered 200 a strongly
  consistent GetItem (``metadata.inference_record``) tells whether the row exists;
- when it does not, the request's JSON log line tells why (``recorded: failed`` and ``recordError``,
  read with ``logs.request_log_record``, which waits for the line to reach CloudWatch Logs).

``send_until_recorded()`` waits for a row (AccessDenied: the policy is not in effect yet, send again);
``send_until_refused()`` waits for an AccessDenied (a row written: the removal is not in effect yet).
Any other outcome (another error, a non-200 answer) stops at once with the reason. Each returns every
attempt, so the notebook can say what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import waiting
from .api_request import TestResponse, send_test_request
from .connect import Connection, current
from .errors import DeploymentError
from .i18n import _
from .logs import request_log_record
from .metadata import inference_record
from .tables import ShownAsTable, Table

POLICY_WAIT_S = 180.0  # IAM applies a change within seconds (its user guide: "eventual consistency")
POLICY_BACKOFF = waiting.Backoff(first=0.5, factor=1.5, cap=2.0)


@dataclass(frozen=True)
class Attempt:
    """One request sent: its requestId, the API's status, and what happened to its record."""

    request_id: str
    status: int
    outcome: str  # "recorded", or "refused: <the log line's recordError>"

    def outcome_text(self) -> str:
        """The outcome in the language in use."""
        if self.outcome == "recorded":
            return _("recorded")
        reason = self.outcome.removeprefix("refused:").strip()
        return _("refused: {reason}").format(reason=reason)


@dataclass(frozen=True)
class Observed(ShownAsTable):
    """The request that showed the awaited outcome (``response``), and every attempt until then."""

    response: TestResponse
    attempts: tuple[Attempt, ...]
    awaited: str  # "recorded" or "refused"
    seconds: float  # from the first request to the one that showed the awaited outcome

    @property
    def request_id(self) -> str:
        return self.attempts[-1].request_id

    def story(self) -> str:
        """What happened, one line per request and a summary, for a notebook to print."""
        lines = [
            _("request {number}: {request_id} -> {outcome}").format(
                number=i, request_id=a.request_id, outcome=a.outcome_text()
            )
            for i, a in enumerate(self.attempts, 1)
        ]
        return "\n".join([*lines, self.summary()])

    def table(self) -> Table:
        """Each request sent (its requestId, the API's status, what happened to its record), and the summary."""
        rows = [(i, a.request_id, a.status, a.outcome_text()) for i, a in enumerate(self.attempts, 1)]
        last = len(rows) - 1
        tones = ["ok" if i == last else "old" for i in range(len(rows))]
        columns = (_("request"), "requestId", _("API status"), _("its record"))
        return Table.of(columns, rows, tones=tones, notes=[self.summary()])

    def summary(self) -> str:
        """One sentence: how many requests it took, and why."""
        before = len(self.attempts) - 1
        if self.awaited == "recorded":
            if not before:
                return _("the first request was recorded: the policy was in effect already")
            text = _(
                "{before} request(s) refused while IAM was applying the policy, then recorded {seconds:.0f} s after "
                "the first"
            )
        else:
            if not before:
                return _("the first request's write was refused: the removal was in effect already")
            text = _(
                "{before} request(s) still recorded while IAM was applying the removal, then refused {seconds:.0f} s "
                "after the first"
            )
        return text.format(before=before, seconds=self.seconds)


def _outcome(response: TestResponse, conn: Connection) -> Attempt:
    body = response.body if isinstance(response.body, dict) else {}
    request_id = str(body.get("requestId") or "")
    if response.status != 200 or not request_id:
        raise DeploymentError(
            _("the API answered {status}: {body}").format(status=response.status, body=response.body),
            resource="the inference API",
            fix=_("run wl.diagnose() and repair what it names, then run the step again"),
        )
    if inference_record(request_id, conn=conn):
        return Attempt(request_id, response.status, "recorded")
    line = request_log_record(request_id, conn=conn)
    if line.get("recorded") in ("written", "already-recorded"):  # written after our read: a recorded row
        return Attempt(request_id, response.status, "recorded")
    return Attempt(request_id, response.status, f"refused: {line.get('recordError') or line.get('recorded')}")


def _denied(attempt: Attempt) -> bool:
    return attempt.outcome.startswith("refused:") and "AccessDenied" in attempt.outcome


def _send_until(url: str, payload: Any, *, want: str, timeout: float, conn: Connection) -> Observed:
    attempts: list[Attempt] = []
    start = waiting.clock.monotonic()

    def observe() -> Observed | waiting.NotYet:
        response = send_test_request(url, payload)
        attempt = _outcome(response, conn)
        attempts.append(attempt)
        if (want == "recorded" and attempt.outcome == "recorded") or (want == "refused" and _denied(attempt)):
            return Observed(response, tuple(attempts), want, waiting.clock.monotonic() - start)
        if attempt.outcome != "recorded" and not _denied(attempt):
            raise DeploymentError(
                _("the record of request {request_id} was not written: {outcome}").format(
                    request_id=attempt.request_id, outcome=attempt.outcome_text()
                ),
                resource="the inference Lambda's write to DynamoDB",
                fix=_("run wl.diagnose() and repair what it names, then run the step again"),
            )
        pending = (
            _("request {request_id} {outcome} (the policy is not in effect yet)")
            if want == "recorded"
            else _("request {request_id} {outcome} (the removal is not in effect yet)")
        )
        return waiting.NotYet(pending.format(request_id=attempt.request_id, outcome=attempt.outcome_text()))

    awaited = (
        _("the policy to take effect (a request whose record is written)")
        if want == "recorded"
        else _("the policy's removal to take effect (a request whose write is refused)")
    )
    return waiting.poll(
        observe,
        what=awaited,
        timeout=timeout,
        fix=_(
            "check the role's policies (wl.role_policies()) and run wl.diagnose(); IAM changes usually apply "
            "within seconds"
        ),
        rule=f"{waiting.IAM_POLICY}+{waiting.LOG_DELIVERY}",
        backoff=POLICY_BACKOFF,
    )


def send_until_recorded(
    url: str, payload: Any = None, *, timeout: float = POLICY_WAIT_S, conn: Connection | None = None
) -> Observed:
    """Send ``payload`` to the API until a request's row is in the table (refused writes are sent again).

    A write refused with AccessDenied means the role's new policy is not in effect yet: the request is
    sent again, with backoff, for up to ``timeout`` seconds. Any other refusal stops with its reason.
    """
    return _send_until(url, payload, want="recorded", timeout=timeout, conn=conn or current())


def send_until_refused(
    url: str, payload: Any = None, *, timeout: float = POLICY_WAIT_S, conn: Connection | None = None
) -> Observed:
    """Send ``payload`` to the API until a request's write is refused with AccessDenied (a policy removed).

    While the removal is not in effect the writes still succeed: those requests are recorded, and the
    request is sent again, with backoff, for up to ``timeout`` seconds.
    """
    return _send_until(url, payload, want="refused", timeout=timeout, conn=conn or current())
