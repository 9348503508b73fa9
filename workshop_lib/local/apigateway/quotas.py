"""API Gateway's fixed control-plane rate limits, per account and Region, for every caller (timing model on).

AWS source: Amazon API Gateway Developer Guide, "Amazon API Gateway quotas", table "API Gateway quotas for creating,
deploying and managing an API" (these quotas cannot be increased):

- CreateRestApi (regional or private API): 1 request every 3 seconds per account;
- DeleteRestApi: 1 request every 30 seconds per account;
- CreateDeployment: 1 request every 5 seconds per account.

A call over its limit gets 429 ``TooManyRequestsException`` ``{"message": "Too Many Requests"}`` (REST-JSON) with a
``Retry-After`` header, and is not counted. Windows scale with ``WORKSHOP_LOCAL_TIME_SCALE`` (``core/timing.py``).
Not emulated: the edge-optimized CreateRestApi limit (1 per 30 s; the local cloud has no edge endpoints) and the
other operations of that table.
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Request

from ..core.rate_limits import RateLimiter
from ..core.signing import region_of, signed_service
from ..core.timing import RateLimit, Timing
from .exceptions import TooManyRequestsException

_SOURCE = 'Amazon API Gateway Developer Guide, "Amazon API Gateway quotas"'
CREATE_REST_API = RateLimit(1, 3.0, _SOURCE)
DELETE_REST_API = RateLimit(1, 30.0, _SOURCE)
CREATE_DEPLOYMENT = RateLimit(1, 5.0, _SOURCE)
_OPERATIONS = (  # (HTTP method, path, limit)
    ("POST", re.compile(r"^/restapis/?$"), CREATE_REST_API),
    ("DELETE", re.compile(r"^/restapis/[^/]+/?$"), DELETE_REST_API),
    ("POST", re.compile(r"^/restapis/[^/]+/deployments/?$"), CREATE_DEPLOYMENT),
)


class ApiGatewayQuotas:
    """Guard of the router: throttles CreateRestApi, DeleteRestApi and CreateDeployment past their rates."""

    def __init__(self, timing: Timing, default_region: str) -> None:
        self.timing = timing
        self.default_region = default_region
        self._limiters: dict[tuple[str, RateLimit], RateLimiter] = {}

    def check(self, request: Request) -> None:
        if not request.path.startswith("/restapis") or signed_service(request) != "apigateway":
            return
        for method, path, limit in _OPERATIONS:
            if request.method == method and path.match(request.path):
                key = (region_of(request, self.default_region), limit)
                limiter = self._limiters.setdefault(key, RateLimiter(self.timing, limit))
                wait = limiter.acquire()
                if wait is not None:
                    raise TooManyRequestsException(wait)
                return
