"""Account-level rate limits of the timing model: at most N calls in any window, for every caller.

AWS applies these quotas per account and Region to every identity, so the local cloud counts every call, the
local admin's too. A refused call is not counted (it did not happen), and the refusal says how long until a call
would be accepted, which services with a ``Retry-After`` header send (in whole seconds, rounded up).
"""

from __future__ import annotations

import collections
import math
import threading

from .timing import RateLimit, Timing


class RateLimiter:
    """A sliding-window limit: ``limit.requests`` calls in any ``limit.per_seconds`` (times the timing's scale)."""

    def __init__(self, timing: Timing, limit: RateLimit) -> None:
        self.timing = timing
        self.limit = limit
        self._calls: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def acquire(self) -> float | None:
        """Count a call and return None when the limit allows it; else the seconds until it would (not counted)."""
        window = self.timing.window(self.limit)
        now = self.timing.now()
        with self._lock:
            while self._calls and self._calls[0] <= now - window:
                self._calls.popleft()
            if len(self._calls) < self.limit.requests:
                self._calls.append(now)
                return None
            return self._calls[0] + window - now


def retry_after_header(seconds: float) -> str:
    """An HTTP ``Retry-After`` value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))
