"""SageMaker refuses an execution role created moments ago, as AWS does while the new role propagates through IAM.

A guard of the router, wired with the timing model on (``core/timing.py``, rule in ``iam/propagation.py``:
``NEW_ROLE``, 3 to 10 s). CreateModel naming such a role gets SageMaker's own answer, 400 ``ValidationException``
"Could not assume role <arn>. Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to
assume the role." (IAM User Guide, "Troubleshoot IAM": "Changes that I make are not always immediately visible").
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Request

from ..core.json_body import json_params
from .exceptions import ValidationException

_CREATE_MODEL = "SageMaker.CreateModel"


def role_not_assumable(role_arn: str) -> str:
    return (
        f"Could not assume role {role_arn}. Please ensure that the role exists and allows principal "
        "'sagemaker.amazonaws.com' to assume the role."
    )


class ModelRoleCheck:
    """Refuses a model whose execution role cannot be assumed yet (``assumable(role_arn)`` says whether it can)."""

    def __init__(self, assumable: Callable[[str], bool]) -> None:
        self.assumable = assumable

    def check(self, request: Request) -> None:
        if request.method != "POST" or request.headers.get("X-Amz-Target") != _CREATE_MODEL:
            return
        role = json_params(request).get("ExecutionRoleArn")
        if isinstance(role, str) and role and not self.assumable(role):
            raise ValidationException(role_not_assumable(role))
