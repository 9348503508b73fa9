"""The fake Lambda context every test hands to a handler called in-process (the ``context`` fixture makes one)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

FUNCTION = "ml-inference-lambda"


@dataclass
class FakeLambdaContext:
    """The attributes and method of the context object the Python runtime passes to the handler."""

    function_name: str = FUNCTION
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = f"/aws/lambda/{FUNCTION}"
    log_stream_name: str = "2025/10/01/[$LATEST]0123456789abcdef0123456789abcdef"
    invoked_function_arn: str = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000
