"""A burst of requests through the API until enough are answered with a given status (section 8.3, step 5).

To see an alarm fire, the notebook breaks the pipeline the way 08_2b does (it removes the role's
invoke-endpoint policy: every request is then answered 502 and counted in ErrorCount), and repairs it.
An IAM change takes seconds to apply, so right after it requests still get the old answer: ``send_until_answered``
sends the request again, with backoff (waiting.poll), until ``count`` requests got ``status``, and keeps every
answer, so the notebook shows the burst as it happened.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import waiting
from .api_request import TestResponse, send_test_request
from .errors import InvalidInput
from .i18n import _

BURST_WAIT_S = 180.0  # IAM applies a change within seconds (its user guide: "eventual consistency")


@dataclass(frozen=True)
class Burst:
    """The requests sent, in order: (time sent, status, requestId), and the ones answered the awaited status."""

    status: int
    sent: tuple[tuple[datetime, int, str], ...]
    started_at: datetime

    @property
    def matching(self) -> list[str]:
        return [rid for _, status, rid in self.sent if status == self.status]

    def story(self) -> str:
        counts = Counter(status for _, status, _ in self.sent)
        told = ", ".join(f"{n} x {s}" for s, n in sorted(counts.items()))
        return _("{sent} requests from {start} UTC: {told} (awaited {status})").format(
            sent=len(self.sent), start=f"{self.started_at:%H:%M:%S}", told=told, status=self.status
        )


def send_until_answered(url: str, payload: Any, *, status: int, count: int = 3, timeout: float = BURST_WAIT_S) -> Burst:
    """Send ``payload`` to ``url`` until ``count`` requests were answered ``status``; return the whole burst."""
    if count < 1:
        raise InvalidInput(_("count must be at least 1, not {count}").format(count=count), fix=_("for example count=3"))
    started = datetime.now(UTC)
    sent: list[tuple[datetime, int, str]] = []

    def observe() -> Burst | waiting.NotYet:
        response: TestResponse = send_test_request(url, payload)
        body = response.body if isinstance(response.body, dict) else {}
        sent.append((datetime.now(UTC), response.status, str(body.get("requestId") or "")))
        burst = Burst(status, tuple(sent), started)
        if len(burst.matching) >= count:
            return burst
        state = f"{len(burst.matching)} of {count} answered {status}; the last: {response.status}"
        # Once the change is in effect, the rest of the burst follows at once.
        return waiting.NotYet(state, retry_after=0.2 if response.status == status else None)

    return waiting.poll(
        observe,
        what=f"{count} requests answered {status}",
        timeout=timeout,
        fix=_(
            "check the role's policies (wl.role_policies()) and run wl.diagnose(); IAM changes usually apply "
            "within seconds"
        ),
        rule=waiting.IAM_POLICY,
        backoff=waiting.Backoff(first=0.3, factor=1.5, cap=2.0),
    )
