"""What an API Gateway stage answers itself, one class per error (``{"message": ...}`` with the request's ids),
the function results that are no proxy response, and the control plane's throttling answer (timing model)."""

from __future__ import annotations

from typing import Any

from ..core.errors import RestJsonError, StageError
from ..core.rate_limits import retry_after_header
from .events import RequestIds

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit (REST APIs)


class ApiGatewayError(StageError):
    message_text = ""

    def __init__(self, ids: RequestIds, **kwargs: Any) -> None:
        super().__init__(
            self.message_text, extended_request_id=ids.extended_request_id, request_id=ids.request_id, **kwargs
        )


class ForbiddenException(ApiGatewayError):
    """An unknown API or stage (or a method's API key missing or refused)."""

    code = "ForbiddenException"
    status = 403
    message_text = "Forbidden"


class MissingAuthenticationTokenException(ApiGatewayError):
    """No resource or method on the deployed stage (or an AWS_IAM method called unsigned)."""

    code = "MissingAuthenticationTokenException"
    status = 403
    message_text = "Missing Authentication Token"


class InternalServerErrorException(ApiGatewayError):
    """500 when the integration cannot be called; 502 (``status=502``) for a function error or a bad result."""

    code = "InternalServerErrorException"
    status = 500
    message_text = "Internal server error"


class EndpointRequestTimedOut(ApiGatewayError):
    """The integration ran past its timeout (API Gateway names no error type for it)."""

    status = 504
    message_text = "Endpoint request timed out"


class RequestTooLarge(ApiGatewayError):
    """A request body over API Gateway's 10 MB limit: a plain-text answer."""

    status = 413
    content_type = "text/plain"
    message_text = f"HTTP content length exceeded {MAX_BODY_BYTES} bytes."

    def body(self) -> bytes:
        return self.message.encode()

    def headers(self) -> dict[str, str]:
        return {"x-amzn-RequestId": self.request_id}


class MalformedProxyResponse(ValueError):
    """The function's result is not a Lambda proxy response (API Gateway answers 502)."""


class TooManyRequestsException(RestJsonError):
    """A control-plane call over its account-level rate: 429, ``{"message": "Too Many Requests"}``, and the
    ``Retry-After`` header (whole seconds) API Gateway's API model declares for this error."""

    code = "TooManyRequestsException"
    status = 429

    def __init__(self, retry_after_s: float, **kwargs: Any) -> None:
        super().__init__("Too Many Requests", **kwargs)
        self.retry_after = retry_after_header(retry_after_s)

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "Retry-After": self.retry_after}
