"""The SageMaker runtime's errors, one class per AWS error code, and an endpoint's FailureReason when its model
cannot be deployed.

The FailureReason texts are AWS's as learners report them: the download failure and the ping health check whole;
of the extraction failure only the first sentence is reported (the second here is the kit's).
"""

from __future__ import annotations

from typing import Any

from ..core.errors import AwsJsonError, RestJsonError

MAX_BODY_BYTES = 6 * 1024 * 1024  # InvokeEndpoint's BodyBlob limit (6,291,456 bytes)
CONTAINER_NAME = "primary"


def log_group(endpoint: str) -> str:
    """The CloudWatch log group of an endpoint's containers."""
    return f"/aws/sagemaker/Endpoints/{endpoint}"


class ValidationError(AwsJsonError):
    """InvokeEndpoint on an endpoint that does not exist or is not InService."""

    code = "ValidationError"
    status = 400


class ValidationException(AwsJsonError):
    """A control-plane call the local cloud completes (UpdateEndpoint) refused."""

    code = "ValidationException"
    status = 400


class PayloadTooLarge(RestJsonError):
    """A body over InvokeEndpoint's 6 MB limit (the front end answers it: no error type)."""

    status = 413

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(f"HTTP content length exceeded {MAX_BODY_BYTES} bytes.", **kwargs)


class ModelError(RestJsonError):
    """The model answered 4xx or 5xx: its status and body, and where its log is."""

    code = "ModelError"
    status = 424

    def __init__(self, original_status: int, original: bytes, *, region: str, endpoint: str, account_id: str) -> None:
        kind = "client" if original_status < 500 else "server"
        self.original_status = original_status
        self.original_message = original.decode("utf-8", errors="replace")
        group = log_group(endpoint)
        super().__init__(
            f'Received {kind} error ({original_status}) from {CONTAINER_NAME} with message "{self.original_message}". '
            f"See https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#logEventViewer:group={group} in account {account_id} for more information."
        )
        self.log_stream_arn = f"arn:aws:logs:{region}:{account_id}:log-group:{group}"

    def fields(self) -> dict[str, Any]:
        return {
            "Message": self.message,
            "OriginalStatusCode": self.original_status,
            "OriginalMessage": self.original_message,
            "LogStreamArn": self.log_stream_arn,
        }


class DeployFailed(Exception):
    """An endpoint's model could not be deployed: ``reason`` is the endpoint's FailureReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def download_failure(url: str) -> str:
    return (
        f'Failed to download model data for container "container_1" from URL: "{url}". Please ensure that there '
        "is an object located at the URL and that the role passed to CreateModel has permissions to download the "
        "object."
    )


def extract_failure(url: str) -> str:
    return (
        f'Failed to extract model data archive for container "container_1" from URL "{url}". Please ensure that '
        "the object located at the URL is a valid tar.gz archive."
    )


def ping_failure(variant: str) -> str:
    return (
        f"The primary container for production variant {variant} did not pass the ping health check. "
        "Please check CloudWatch logs for this endpoint."
    )
