"""CloudWatch Logs' errors the local cloud answers itself (AWS JSON 1.1), one class per AWS error code."""

from __future__ import annotations

from ..core.errors import AwsJsonError


class ThrottlingException(AwsJsonError):
    """A call over the account's rate for its operation: 400 ``ThrottlingException`` "Rate exceeded"."""

    code = "ThrottlingException"
    status = 400
    content_type = "application/x-amz-json-1.1"

    def __init__(self) -> None:
        super().__init__("Rate exceeded")
