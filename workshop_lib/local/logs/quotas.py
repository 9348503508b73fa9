"""CloudWatch Logs' rate limit on FilterLogEvents, per account and Region, for every caller (timing model on).

AWS source: Amazon CloudWatch Logs User Guide, "CloudWatch Logs quotas": FilterLogEvents, 5 transactions per second
per account per Region. A call over it is answered 400 ``ThrottlingException`` "Rate exceeded" (AWS JSON protocol),
and is not counted. The window scales with ``WORKSHOP_LOCAL_TIME_SCALE`` (``core/timing.py``).
"""

from __future__ import annotations

from werkzeug.wrappers import Request

from ..core.rate_limits import RateLimiter
from ..core.signing import region_of
from ..core.timing import RateLimit, Timing
from .exceptions import ThrottlingException

FILTER_LOG_EVENTS = RateLimit(5, 1.0, 'Amazon CloudWatch Logs User Guide, "CloudWatch Logs quotas"')
_TARGET = "Logs_20140328.FilterLogEvents"


class LogsQuotas:
    """Guard of the router: throttles FilterLogEvents past 5 calls per second per Region."""

    def __init__(self, timing: Timing, default_region: str) -> None:
        self.timing = timing
        self.default_region = default_region
        self._limiters: dict[str, RateLimiter] = {}

    def check(self, request: Request) -> None:
        if request.headers.get("X-Amz-Target") != _TARGET:
            return
        region = region_of(request, self.default_region)
        limiter = self._limiters.setdefault(region, RateLimiter(self.timing, FILTER_LOG_EVENTS))
        if limiter.acquire() is not None:
            raise ThrottlingException()
