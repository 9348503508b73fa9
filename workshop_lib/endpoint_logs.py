"""The SageMaker endpoint's log lines for one request of the pipeline (section 8.3, step 1).

The endpoint writes to ``/aws/sagemaker/Endpoints/<endpoint>`` (one stream per instance: the model server's
lines). It does not know API Gateway's requestId, so one request's endpoint lines are found by time: the
Lambda's JSON line for the request carries its arrival time (``timestamp``) and CloudWatch Logs the time the
line was written (when the request ended); the endpoint lines written in between (with a second's slack at each
end) are that request's, or those of requests running at the same time. The same FilterLogEvents calls on AWS
and on the local cloud; on AWS the lines take seconds (sometimes minutes) to arrive, so this polls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from . import waiting
from .connect import Connection, current
from .errors import InvalidInput, aws_code
from .i18n import _
from .logs import LOG_BACKOFF, LOG_WAIT_S, filter_events, request_log_record

SLACK_MS = 1000


def endpoint_log_group(conn: Connection) -> str:
    return f"/aws/sagemaker/Endpoints/{conn.names.endpoint}"


def request_window(request_id: str, conn: Connection) -> tuple[int, int]:
    """The request's start and end in epoch milliseconds, from the Lambda's JSON line (waits for it)."""
    line = request_log_record(request_id, conn=conn)
    start = int(datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00")).timestamp() * 1000)
    events = filter_events(conn, f"/aws/lambda/{conn.names.function}", filterPattern=f'"{request_id}"')
    end = max((e["timestamp"] for e in events if '"recorded"' in e["message"]), default=start)
    return start, max(start, end)


def endpoint_log_lines(
    request_id: str, *, conn: Connection | None = None, wait_seconds: float = LOG_WAIT_S
) -> list[dict[str, Any]]:
    """The endpoint's log events written while request ``request_id`` ran: time (ms), stream and message.

    Polls until at least one is there (the endpoint's log lines arrive a while after the call).
    """
    request_id = (request_id or "").strip()
    if not request_id:
        raise InvalidInput(_("request_id is empty"), fix=_("pass the requestId of the API's answer"))
    conn = conn or current()
    group = endpoint_log_group(conn)
    start, end = request_window(request_id, conn)

    def observe() -> list[dict[str, Any]] | waiting.NotYet:
        try:
            events = filter_events(conn, group, startTime=start - SLACK_MS, endTime=end + SLACK_MS)
        except ClientError as exc:  # a group not there yet is waited for; anything else is raised
            if aws_code(exc) == "ResourceNotFoundException":
                return waiting.NotYet(f"log group {group} does not exist yet")
            raise
        if not events:
            return waiting.NotYet(f"no line of {group} between the request's start and end yet")
        rows = [
            {"timestamp": e["timestamp"], "stream": e["logStreamName"], "message": e["message"].rstrip("\n")}
            for e in events
        ]
        return sorted(rows, key=lambda r: r["timestamp"])

    return waiting.poll(
        observe,
        what=f"the endpoint's log lines of request {request_id} in {group}",
        timeout=wait_seconds,
        fix=_("open {group} in the CloudWatch console; an endpoint writes there only once it was invoked").format(
            group=group
        ),
        rule=waiting.LOG_DELIVERY,
        backoff=LOG_BACKOFF,
    )
