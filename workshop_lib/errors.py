"""WorkshopError and its subclasses: each names what failed and says what to do next.

``aws_error()`` turns a botocore ClientError into one of them (the AWS error code kept in
``aws_code``); ``aws_code()`` reads the code where an expected one decides what to do next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .i18n import _

if TYPE_CHECKING:
    from botocore.exceptions import ClientError


class WorkshopError(Exception):
    """Base class: ``resource`` is what failed, ``fix`` is what the learner should do.

    ``aws_code`` is AWS's error code when an AWS call failed (None otherwise).
    """

    def __init__(
        self, message: str, *, resource: str | None = None, fix: str | None = None, aws_code: str | None = None
    ) -> None:
        self.message = message
        self.resource = resource
        self.fix = fix
        self.aws_code = aws_code
        text = message
        if resource and resource not in message:
            text = f"{resource}: {text}"
        if fix:
            text = f"{text}\n  -> {fix}"
        super().__init__(text)

    def _render_traceback_(self) -> list[str]:
        """What IPython (a notebook) shows for this error: its name, message and fix, without the kit's stack frames.

        A WorkshopError is a message written for the learner; the frames inside workshop_lib would only bury it.
        papermill still records the error (ename, evalue) and the cell still fails.
        """
        first, *rest = str(self).splitlines() or [""]
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {first}", *rest]


class NotConnectedError(WorkshopError):
    """No connection yet: call connect() first."""


class CredentialsError(WorkshopError):
    """The aws target has no usable credentials."""


class LocalCloudError(WorkshopError):
    """The local cloud could not be started, reached or stopped."""


class ResourceNotFound(WorkshopError):
    """A named resource (function, role, table, endpoint, API) does not exist."""


class ResourceConflict(WorkshopError):
    """A resource exists under the kit's name but not in the shape the kit needs."""


class InvalidInput(WorkshopError):
    """An argument is not usable (bad name, unfilled placeholder, too large, ...)."""


class PolicyError(InvalidInput):
    """A policy template could not be rendered into a valid IAM document."""


class DeploymentError(WorkshopError):
    """A deployment or configuration update did not finish successfully."""


class StepFailed(WorkshopError, AssertionError):
    """A notebook step's check did not hold."""


class WaitTimeout(WorkshopError):
    """AWS did not reach the awaited state in time (``waited`` seconds); the message names what was awaited."""

    def __init__(
        self, message: str, *, resource: str | None = None, fix: str | None = None, waited: float = 0.0
    ) -> None:
        super().__init__(message, resource=resource, fix=fix)
        self.waited = waited


# --- AWS error responses --------------------------------------------------------------------------
# AWS error codes by what they mean for the learner (each service spells "not found" its own way).
NOT_FOUND_CODES = frozenset(
    {
        "ResourceNotFoundException",  # Lambda, DynamoDB, CloudWatch Logs
        "NotFoundException",  # API Gateway
        "NoSuchEntity",  # IAM
        "NoSuchBucket",  # S3
        "NoSuchKey",
        "NotFound",  # S3 HEAD requests carry no body, only the status
        "404",
    }
)
CONFLICT_CODES = frozenset(
    {
        "ResourceConflictException",
        "ResourceInUseException",
        "ConflictException",
        "EntityAlreadyExists",
        "BucketAlreadyExists",
        "BucketAlreadyOwnedByYou",
    }
)
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden", "403"}
)
THROTTLED_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
INVALID_CODES = frozenset(
    {"ValidationException", "ValidationError", "InvalidParameterValueException", "BadRequestException"}
)


def aws_code(exc: ClientError) -> str:
    """AWS's error code in a ClientError ("" when the response carries none)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def aws_message(exc: ClientError) -> str:
    """AWS's error message in a ClientError ("" when the response carries none)."""
    return str(exc.response.get("Error", {}).get("Message", ""))


def _kind_and_fix(code: str, operation: str, resource: str) -> tuple[type[WorkshopError], str]:
    if code in NOT_FOUND_CODES:
        return ResourceNotFound, _("check the name, the region and the participant prefix; create it first if needed")
    if code in CONFLICT_CODES:
        return ResourceConflict, _(
            "another resource already holds this name or is being changed: wait a moment and run the step "
            "again, or connect with a participant prefix (connect(prefix='yourname')) to use other names"
        )
    if code in DENIED_CODES or code.startswith("AccessDenied"):
        return DeploymentError, _(
            "the identity in use needs permission for {operation} on {resource}: "
            "ask the account's administrator, or connect with an identity that has it"
        ).format(operation=operation, resource=resource)
    if code in THROTTLED_CODES:
        return DeploymentError, _("AWS is limiting the request rate: wait a minute, then run the step again")
    if code in INVALID_CODES:
        return InvalidInput, _(
            "AWS refused a value this step sent (the message names it): fix it and run the step again"
        )
    return DeploymentError, _("read AWS's message above, fix its cause, then run the step again")


def aws_error(
    exc: ClientError,
    resource: str,
    *,
    message: str | None = None,
    fix: str | None = None,
    kind: type[WorkshopError] | None = None,
) -> WorkshopError:
    """The kit's error for a failed AWS call: ``raise aws_error(exc, "function f") from exc``.

    The class and the fix follow AWS's error code (not found, conflict, access denied, throttled,
    invalid value, anything else) unless ``kind`` and ``fix`` are given; the message names the
    operation, the code and AWS's message unless ``message`` is given.
    """
    code = aws_code(exc)
    operation = getattr(exc, "operation_name", None) or _("the AWS call")
    default_kind, default_fix = _kind_and_fix(code, operation, resource)
    text = message or _("{operation} failed: {code}: {message}").format(
        operation=operation, code=code or _("no error code"), message=aws_message(exc) or exc
    )
    return (kind or default_kind)(text, resource=resource, fix=fix or default_fix, aws_code=code or None)
