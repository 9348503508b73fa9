"""CloudWatch's errors for what the local cloud answers itself (DescribeAlarmHistory), one class per AWS code.

CloudWatch's JSON protocol is query-compatible: each error also names its query code (``x-amzn-query-error``).
"""

from __future__ import annotations

from typing import Any

from ..core.errors import AwsJsonError


class CloudWatchError(AwsJsonError):
    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, query_code=self.code, **kwargs)


class InvalidParameterValue(CloudWatchError):
    code = "InvalidParameterValue"
    status = 400


class InvalidNextToken(CloudWatchError):
    code = "InvalidNextToken"
    status = 400
