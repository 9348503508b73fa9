"""The function's CloudWatch Logs, as a notebook reads them (section 8.3 and the troubleshooting box).

Both functions make the same Logs API calls (FilterLogEvents, paginated) on the local cloud and
on AWS. Lines come back oldest first, without their trailing newline; the runtime writes an error
and its traceback as one event whose lines are joined by carriage returns, which come back as
newlines so that a notebook prints them readably. Lines reach the logs shortly after the invocation
(within seconds on AWS, within a few tens of milliseconds on the local cloud), so a call made at once
may miss the last ones.
"""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from .connect import Connection, current
from .errors import InvalidInput, ResourceNotFound, aws_code, aws_error

_MAX_EVENTS = 100_000  # never page through more than this in one call


def _group(conn: Connection, function: str | None) -> str:
    return f"/aws/lambda/{function or conn.names.function}"


def _events(conn: Connection, group: str, **params: Any) -> list[dict[str, Any]]:
    paginator = conn.client("logs").get_paginator("filter_log_events")
    events: list[dict[str, Any]] = []
    try:
        for page in paginator.paginate(
            logGroupName=group, PaginationConfig={"MaxItems": _MAX_EVENTS, "PageSize": 10_000}, **params
        ):
            events += page["events"]
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            raise ResourceNotFound(
                f"log group {group} does not exist (yet)",
                resource=group,
                fix="invoke the function once: Lambda creates its log group on the first invocation "
                "(on AWS only when the execution role may write logs: the 'logs' policy template)",
            ) from exc
        raise aws_error(exc, f"log group {group}") from exc
    # One order across streams, and within a stream the order the events were written in.
    return sorted(events, key=lambda e: e["timestamp"])


def _text(event: dict[str, Any]) -> str:
    return event["message"].rstrip("\n").replace("\r", "\n")


def recent_log_lines(
    function: str | None = None, *, since_minutes: float = 15, limit: int = 200, conn: Connection | None = None
) -> list[str]:
    """The last ``limit`` lines the function logged in the last ``since_minutes`` minutes.

    ``function`` defaults to the workshop's function (``conn.names.function``).
    """
    if since_minutes <= 0:
        raise InvalidInput(f"since_minutes must be positive, not {since_minutes}", fix="for example since_minutes=15")
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, not {limit}", fix="for example limit=200")
    conn = conn or current()
    start = int((time.time() - since_minutes * 60) * 1000)
    events = _events(conn, _group(conn, function), startTime=start)
    return [_text(e) for e in events[-limit:]]


def request_log_lines(
    request_id: str, function: str | None = None, conn: Connection | None = None, *, wait_seconds: float = 15.0
) -> list[str]:
    """Every line of one invocation: from its START line to its REPORT line, in its log stream.

    ``request_id`` is the Lambda request id (the Invoke response's RequestId, ``context.aws_request_id``)
    or the API Gateway request id the inference Lambda puts in its log lines and table rows. Lines
    reach CloudWatch Logs a little after the invocation (seconds on AWS), so this waits up to
    ``wait_seconds`` for the REPORT line; after that it returns the lines found so far.
    """
    request_id = (request_id or "").strip()
    if not request_id:
        raise InvalidInput("request_id is empty", fix="pass the RequestId of an Invoke response")
    conn = conn or current()
    group = _group(conn, function)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            lines, complete = _invocation_lines(conn, group, request_id)
        except ResourceNotFound:
            if time.monotonic() >= deadline:
                raise
            lines, complete = [], False
        if complete or time.monotonic() >= deadline:
            return lines
        time.sleep(0.2)


def _lambda_request_id(events: list[dict[str, Any]], request_id: str) -> str:
    """The Lambda request id behind an API Gateway request id, from a structured line that carries both."""
    for event in events:
        try:
            line = json.loads(event["message"])
        except ValueError:
            continue
        if isinstance(line, dict) and line.get("requestId") == request_id and line.get("awsRequestId"):
            return str(line["awsRequestId"])
    return request_id


def _invocation_lines(conn: Connection, group: str, request_id: str) -> tuple[list[str], bool]:
    mentions = _events(conn, group, filterPattern=f'"{request_id}"')
    lambda_id = _lambda_request_id(mentions, request_id)
    if lambda_id != request_id:
        mentions = _events(conn, group, filterPattern=f'"{lambda_id}"')
    start = next((e for e in mentions if e["message"].startswith(f"START RequestId: {lambda_id}")), None)
    if start is None:
        return [_text(e) for e in mentions], False
    report = next((e for e in mentions if e["message"].startswith(f"REPORT RequestId: {lambda_id}")), None)
    params: dict[str, Any] = {"logStreamNames": [start["logStreamName"]], "startTime": start["timestamp"]}
    if report is not None:
        params["endTime"] = report["timestamp"]
    stream = _events(conn, group, **params)
    first = next((i for i, e in enumerate(stream) if e["message"] == start["message"]), 0)
    lines = []
    for event in stream[first:]:
        lines.append(_text(event))
        if report is not None and event["message"] == report["message"]:
            break
    return lines, report is not None
