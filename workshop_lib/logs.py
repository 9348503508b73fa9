"""The function's CloudWatch Logs, as a notebook reads them (section 8.3 and the troubleshooting box).

Both functions make the same Logs API calls (FilterLogEvents, paginated) on the local cloud and
on AWS. Lines come back oldest first, without their trailing newline; the runtime writes an error
and its traceback as one event whose lines are joined by carriage returns, which come back as
newlines so that a notebook prints them readably.

Lines reach the logs a while after the invocation (seconds on AWS, where Lambda's documentation allows
minutes), so the functions that look for one invocation's lines poll (waiting.poll: at least 1 s apart,
with backoff) for up to ``LOG_WAIT_S``. FilterLogEvents is limited to 5 requests per second per account,
which a class polling at once exceeds: a ThrottlingException is retried after a backoff.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from . import waiting
from .connect import Connection, current
from .errors import InvalidInput, ResourceNotFound, aws_code, aws_error
from .i18n import _
from .log_view import LogLines, json_object

_MAX_EVENTS = 100_000  # never page through more than this in one call
LOG_WAIT_S = 300.0  # how long to wait for an invocation's lines: Lambda's docs allow minutes
THROTTLE_WAIT_S = 120.0  # how long to retry a FilterLogEvents refused by the account's 5 requests/s
LOG_BACKOFF = waiting.Backoff(first=1.25, factor=1.5, cap=2.0)  # never less than 1 s between reads (+-20 %)


def _group(conn: Connection, function: str | None) -> str:
    return f"/aws/lambda/{function or conn.names.function}"


def filter_events(conn: Connection, group: str, **params: Any) -> list[dict[str, Any]]:
    """Every event FilterLogEvents returns for ``params`` (all pages); a rate-limited read is made again.

    Raises ClientError as AWS answered it for anything but throttling.
    """

    def read() -> list[dict[str, Any]]:
        paginator = conn.client("logs").get_paginator("filter_log_events")
        events: list[dict[str, Any]] = []
        for page in paginator.paginate(logGroupName=group, **params):
            events += page["events"]
        return events

    return waiting.call_with_retry(
        read,
        what=_("a FilterLogEvents read of {group} that the rate limit lets through").format(group=group),
        timeout=THROTTLE_WAIT_S,
        fix=_(
            "the account's 5 FilterLogEvents per second are in use (a class reading logs at once): "
            "run the step again in a minute"
        ),
        rule=waiting.LOG_THROTTLE,
        backoff=LOG_BACKOFF,
    )


def _events(conn: Connection, group: str, **params: Any) -> list[dict[str, Any]]:
    try:
        events = filter_events(conn, group, PaginationConfig={"MaxItems": _MAX_EVENTS, "PageSize": 10_000}, **params)
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            raise ResourceNotFound(
                _("log group {group} does not exist (yet)").format(group=group),
                resource=group,
                fix=_(
                    "invoke the function once: Lambda creates its log group on the first invocation "
                    "(on AWS only when the execution role may write logs: the 'logs' policy template)"
                ),
            ) from exc
        raise aws_error(exc, f"log group {group}") from exc
    # One order across streams, and within a stream the order the events were written in.
    return sorted(events, key=lambda e: e["timestamp"])


def _text(event: dict[str, Any]) -> str:
    return event["message"].rstrip("\n").replace("\r", "\n")


def _lines(events: list[dict[str, Any]]) -> LogLines:
    """The events' lines, with their timestamps (a notebook shows them as a table)."""
    return LogLines([_text(e) for e in events], [e.get("timestamp") for e in events])


def recent_log_lines(
    function: str | None = None, *, since_minutes: float = 15, limit: int = 200, conn: Connection | None = None
) -> list[str]:
    """The last ``limit`` lines the function logged in the last ``since_minutes`` minutes.

    ``function`` defaults to the workshop's function (``conn.names.function``).
    """
    if since_minutes <= 0:
        raise InvalidInput(
            _("since_minutes must be positive, not {since_minutes}").format(since_minutes=since_minutes),
            fix=_("for example since_minutes=15"),
        )
    if limit < 1:
        raise InvalidInput(
            _("limit must be at least 1, not {limit}").format(limit=limit), fix=_("for example limit=200")
        )
    conn = conn or current()
    start = int((time.time() - since_minutes * 60) * 1000)
    events = _events(conn, _group(conn, function), startTime=start)
    return _lines(events[-limit:])


def request_log_lines(
    request_id: str,
    function: str | None = None,
    conn: Connection | None = None,
    *,
    expect: str | None = None,
    wait_seconds: float = LOG_WAIT_S,
) -> LogLines:
    """Every line of one invocation: from its START line to its REPORT line, in its log stream.

    The lines are a list of str; shown in a notebook, a table (time, level, requestId, message, details).

    ``request_id`` is the Lambda request id (the Invoke response's RequestId, ``context.aws_request_id``)
    or the API Gateway request id the inference Lambda puts in its log lines and table rows. Lines
    reach CloudWatch Logs a while after the invocation, so this polls until the REPORT line (and a line
    containing ``expect``, when given) is there, for up to ``wait_seconds``; then it raises WaitTimeout.
    """
    request_id = (request_id or "").strip()
    if not request_id:
        raise InvalidInput(_("request_id is empty"), fix=_("pass the RequestId of an Invoke response"))
    conn = conn or current()
    group = _group(conn, function)

    def observe() -> LogLines | waiting.NotYet:
        try:
            lines, complete = _invocation_lines(conn, group, request_id)
        except ResourceNotFound:
            return waiting.NotYet(_("log group {group} does not exist yet").format(group=group))
        if not complete:
            return waiting.NotYet(_("{count} lines so far, no REPORT line yet").format(count=len(lines)))
        if expect is not None and not any(expect in line for line in lines):
            return waiting.NotYet(
                _("{count} lines so far, none with {expect!r} yet").format(count=len(lines), expect=expect)
            )
        return lines

    if expect:
        awaited = _("the log lines of request {request_id} (one with {expect!r})").format(
            request_id=request_id, expect=expect
        )
    else:
        awaited = _("the log lines of request {request_id}").format(request_id=request_id)
    return waiting.poll(
        observe,
        what=awaited,
        timeout=wait_seconds,
        fix=_(
            "read the log group {group} in the CloudWatch console; if the request never reached the function, "
            "check the API and the function with wl.diagnose()"
        ).format(group=group),
        rule=waiting.LOG_DELIVERY,
        backoff=LOG_BACKOFF,
    )


def request_log_record(
    request_id: str, function: str | None = None, conn: Connection | None = None, *, wait_seconds: float = LOG_WAIT_S
) -> dict[str, Any]:
    """The inference Lambda's JSON line for one request (its ``recorded`` outcome, ``recordError``, ...).

    Waits (polling, as request_log_lines) until the line has reached the function's logs.
    """
    request_id = (request_id or "").strip()
    if not request_id:
        raise InvalidInput(_("request_id is empty"), fix=_("pass the requestId of the API's answer"))
    conn = conn or current()
    group = _group(conn, function)

    def observe() -> dict[str, Any] | waiting.NotYet:
        try:
            events = _events(conn, group, filterPattern=f'"{request_id}"')
        except ResourceNotFound:
            return waiting.NotYet(_("log group {group} does not exist yet").format(group=group))
        for event in events:
            line = json_object(event["message"])
            if line is not None and line.get("requestId") == request_id and "recorded" in line:
                return line
        return waiting.NotYet(_("{count} lines mention it, none is its JSON line yet").format(count=len(events)))

    return waiting.poll(
        observe,
        what=_("the JSON log line of request {request_id}").format(request_id=request_id),
        timeout=wait_seconds,
        fix=_(
            "read the log group {group} in the CloudWatch console; the function may not be the inference "
            "Lambda of section 8.2 (deploy lambda_function.py)"
        ).format(group=group),
        rule=waiting.LOG_DELIVERY,
        backoff=LOG_BACKOFF,
    )


def _lambda_request_id(events: list[dict[str, Any]], request_id: str) -> str:
    """The Lambda request id behind an API Gateway request id, from a structured line that carries both."""
    for event in events:
        line = json_object(event["message"])
        if line is not None and line.get("requestId") == request_id and line.get("awsRequestId"):
            return str(line["awsRequestId"])
    return request_id


def _invocation_lines(conn: Connection, group: str, request_id: str) -> tuple[LogLines, bool]:
    mentions = _events(conn, group, filterPattern=f'"{request_id}"')
    lambda_id = _lambda_request_id(mentions, request_id)
    if lambda_id != request_id:
        mentions = _events(conn, group, filterPattern=f'"{lambda_id}"')
    start = next((e for e in mentions if e["message"].startswith(f"START RequestId: {lambda_id}")), None)
    if start is None:
        return _lines(mentions), False
    report = next((e for e in mentions if e["message"].startswith(f"REPORT RequestId: {lambda_id}")), None)
    params: dict[str, Any] = {"logStreamNames": [start["logStreamName"]], "startTime": start["timestamp"]}
    if report is not None:
        params["endTime"] = report["timestamp"]
    stream = _events(conn, group, **params)
    first = next((i for i, e in enumerate(stream) if e["message"] == start["message"]), 0)
    lines = []
    for event in stream[first:]:
        lines.append(event)
        if report is not None and event["message"] == report["message"]:
            break
    return _lines(lines), report is not None
