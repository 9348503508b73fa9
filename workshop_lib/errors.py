"""WorkshopError and its subclasses: each names what failed and says what to do next."""

from __future__ import annotations


class WorkshopError(Exception):
    """Base class: ``resource`` is what failed, ``fix`` is what the learner should do."""

    def __init__(self, message: str, *, resource: str | None = None, fix: str | None = None) -> None:
        self.message = message
        self.resource = resource
        self.fix = fix
        text = message
        if resource and resource not in message:
            text = f"{resource}: {text}"
        if fix:
            text = f"{text}\n  -> {fix}"
        super().__init__(text)


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
