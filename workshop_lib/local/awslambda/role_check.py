"""Lambda refuses an execution role created moments ago, as AWS does while the new role propagates through IAM.

A guard of the router, wired with the timing model on (``core/timing.py``, rule in ``iam/propagation.py``:
``NEW_ROLE``, 3 to 10 s). CreateFunction and UpdateFunctionConfiguration naming such a role get Lambda's own answer,
400 ``InvalidParameterValueException`` "The role defined for the function cannot be assumed by Lambda." (the answer
AWS gives for a role it cannot assume yet; IAM User Guide, "Troubleshoot IAM": "Changes that I make are not always
immediately visible").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from werkzeug.wrappers import Request

from ..core.json_body import json_params
from .exceptions import InvalidParameterValueException

ROLE_NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."
_CREATE_FUNCTION = re.compile(r"^/2015-03-31/functions/?$")
_UPDATE_CONFIGURATION = re.compile(r"^/2015-03-31/functions/[^/]+/configuration/?$")


class FunctionRoleCheck:
    """Refuses a function whose role cannot be assumed yet (``assumable(role_arn)`` says whether it can)."""

    def __init__(self, assumable: Callable[[str], bool]) -> None:
        self.assumable = assumable

    def check(self, request: Request) -> None:
        creates = request.method == "POST" and _CREATE_FUNCTION.match(request.path)
        updates = request.method == "PUT" and _UPDATE_CONFIGURATION.match(request.path)
        if not (creates or updates):
            return
        role = json_params(request).get("Role")
        if isinstance(role, str) and role and not self.assumable(role):
            raise InvalidParameterValueException(ROLE_NOT_ASSUMABLE)
