"""The Lambda API's errors, one class per AWS error code (REST-JSON: ``x-amzn-ErrorType`` and
``{"Type": "User", "message": ...}``), and the local cloud's own failures of a worker."""

from __future__ import annotations

from typing import Any

from ..core.errors import AwsJsonError, RestJsonError


class LambdaError(RestJsonError):
    """An error of the Lambda Invoke API."""

    def fields(self) -> dict[str, Any]:
        return {"Type": "User", "message": self.message}


class ResourceNotFoundException(LambdaError):
    code = "ResourceNotFoundException"
    status = 404


class ValidationException(LambdaError):
    code = "ValidationException"
    status = 400


class InvalidParameterValueException(LambdaError):
    code = "InvalidParameterValueException"
    status = 400


class InvalidRequestContentException(LambdaError):
    code = "InvalidRequestContentException"
    status = 400


class RequestEntityTooLargeException(LambdaError):
    code = "RequestEntityTooLargeException"
    status = 413


class TooManyRequestsException(LambdaError):
    """Throttled: ``Reason`` says which limit (reserved concurrency 0, or no worker free in time)."""

    code = "TooManyRequestsException"
    status = 429

    def __init__(self, reason: str, **kwargs: Any) -> None:
        super().__init__("Rate Exceeded.", **kwargs)
        self.reason = reason

    def fields(self) -> dict[str, Any]:
        return {**super().fields(), "Reason": self.reason}


class InvalidRuntimeException(LambdaError):
    code = "InvalidRuntimeException"
    status = 502


class InvalidZipFileException(LambdaError):
    code = "InvalidZipFileException"
    status = 502


class ServiceException(LambdaError):
    code = "ServiceException"
    status = 500


class NoSuchKey(AwsJsonError):
    """The package behind GetFunction's Code.Location is gone (replaced by newer code, or the function deleted)."""

    code = "NoSuchKey"
    status = 404


class RuntimeClientUnavailable(RuntimeError):
    """The configured runtime client cannot run on this machine."""
