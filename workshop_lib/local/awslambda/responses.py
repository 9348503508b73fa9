"""The Invoke API on the wire: ``POST /2015-03-31/functions/{name}/invocations``.

Answers in AWS's shapes: 200 with the payload; a function error with ``X-Amz-Function-Error: Unhandled`` and the
error document; ``X-Amz-Log-Result`` (the last 4 KB of the log, base64) for ``LogType=Tail``; 202 for ``Event``
and 204 for ``DryRun``; refusals as the LambdaError the data plane raises (rendered by the router).
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ..core.signing import credential_of
from .invoke import LambdaDataPlane
from .models import INVOKE_PATH_RE, InvokeRequest


class LambdaInvokeApi:
    """Lambda Invoke over HTTP, on the data plane it is given."""

    def __init__(self, plane: LambdaDataPlane) -> None:
        self.plane = plane

    def matches(self, request: Request) -> bool:
        return request.method == "POST" and INVOKE_PATH_RE.match(request.path) is not None

    def handle(self, request: Request) -> Response:
        match = INVOKE_PATH_RE.match(request.path)
        assert match is not None  # matches() checked it
        credential = credential_of(request)
        result = self.plane.invoke_api(
            InvokeRequest(
                match["name"],
                request.get_data(),
                qualifier=request.args.get("Qualifier"),
                invocation_type=request.headers.get("X-Amz-Invocation-Type", "RequestResponse"),
                log_type=request.headers.get("X-Amz-Log-Type", "None"),
                client_context=request.headers.get("X-Amz-Client-Context"),
                region=credential.region if credential else None,
                trace_header=request.headers.get("X-Amzn-Trace-Id"),
            )
        )
        headers = {"Content-Type": "application/json", "x-amzn-RequestId": result.request_id}
        if result.status_code == 200:
            headers["X-Amz-Executed-Version"] = result.executed_version
            if result.function_error:
                headers["X-Amz-Function-Error"] = result.function_error
            if result.log_result is not None:
                headers["X-Amz-Log-Result"] = result.log_result
        return Response(result.payload, status=result.status_code, headers=headers)

    def close(self) -> None:
        self.plane.close()
