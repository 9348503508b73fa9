"""A function's resource policy as API Gateway sees it: a new permission (AddPermission) or a removed one
(RemovePermission) takes effect seconds later. Applied with the timing model on (``core/timing.py``).

On AWS a permission is an IAM change: it propagates (IAM User Guide, "Troubleshoot IAM": "Changes that I make are not
always immediately visible"), and until it has, API Gateway's invocation of the function is decided on the policy
before the change: a stage whose function just got its permission still answers 500 ``{"message": "Internal server
error"}`` ("Invalid permissions on Lambda function", AWS re:Post Knowledge Center, "How do I resolve 'Invalid
permissions on Lambda function' errors from API Gateway REST APIs?") for ``PERMISSION_CHANGE`` (1 to 4 s).

The change is recorded here (``PermissionChanges``, a service in front of moto's AddPermission and
RemovePermission); ``LambdaDataPlane.may_invoke`` reads the statements through ``FunctionPolicies``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from ..core.context import CloudContext
from ..core.moto_seam import MotoBackends, MotoDispatcher
from ..core.propagation import Propagation
from ..core.records import FunctionNotFound, StoredFunction
from ..core.signing import region_of
from ..core.timing import Delay, Timing

PERMISSION_CHANGE = Delay(
    1.0, 4.0, 'IAM User Guide, "Troubleshoot IAM": "Changes that I make are not always immediately visible"'
)
_POLICY_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/policy(?:/[^/]+)?/?$")
Statements = tuple[Mapping[str, Any], ...]


class FunctionPolicies:
    """Each function's resource-policy statements as invokers see them now."""

    def __init__(self, timing: Timing) -> None:
        self._changes: Propagation[str, Statements] = Propagation(timing, PERMISSION_CHANGE)

    def statements(self, fn: StoredFunction) -> Statements:
        """The statements before a change that is still propagating, else the function's own."""
        propagating, statements = self._changes.seen(fn.arn)
        return statements if propagating and statements is not None else fn.policy

    def changed(self, fn_arn: str, before: Statements, after: Statements) -> float:
        return self._changes.change(fn_arn, before, after)


class PermissionChanges:
    """Sees AddPermission and RemovePermission go through moto, and records each change that succeeded."""

    def __init__(
        self, ctx: CloudContext, backends: MotoBackends, moto: MotoDispatcher, policies: FunctionPolicies
    ) -> None:
        self.ctx = ctx
        self.backends = backends
        self.moto = moto
        self.policies = policies
        self._lock = threading.Lock()

    def matches(self, request: Request) -> bool:
        return request.method in ("POST", "DELETE") and _POLICY_PATH.match(request.path) is not None

    def handle(self, request: Request) -> Response:
        match = _POLICY_PATH.match(request.path)
        assert match is not None  # matches() checked it
        name, qualifier = unquote(match["name"]), request.args.get("Qualifier")
        region = region_of(request, self.ctx.region)
        with self._lock:
            try:
                fn = self.backends.function(name, qualifier, region=region)
            except (FunctionNotFound, ValueError):
                return self.moto.answer(request)  # moto answers the error
            before = self.policies.statements(fn)
            resp = self.moto.answer(request)
            if resp.status_code in (200, 201, 204):
                after = self.backends.function(name, qualifier, region=region).policy
                self.policies.changed(fn.arn, before, after)
        return resp

    def close(self) -> None:
        pass
