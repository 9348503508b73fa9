"""Replay of unrecorded inferences: the items the inference Lambda could not write to DynamoDB.

When PutItem fails after the SDK's retries (throttling, access denied, a missing table, a timeout),
lambda_function.py still answers 200 and writes the complete item into the request's JSON log line,
marked ``"replay": "inference-record/v1"`` with the ``table`` it was meant for. replay_unrecorded() reads
those lines from the function's CloudWatch Logs (``/aws/lambda/<function>``, FilterLogEvents, every page)
and writes each item with a conditional put (``attribute_not_exists(requestId)``): an item already in the
table is left as it is, so running it twice writes nothing the second time. A replayed item carries one
extra attribute, ``replayedAt`` (S, UTC ISO-8601).

Log lines reach CloudWatch Logs a while after the invocation: with ``expect`` (the requestIds whose
records were refused), the read is repeated (waiting.poll, 1 s apart or more) until each of them is
found, for up to ``logs.LOG_WAIT_S``; a read refused by FilterLogEvents' rate limit is made again.

Emulation note: on AWS the JSON filter pattern selects the marked lines on the server. moto ignores JSON
filter patterns and returns every event, so each line is also parsed and checked here (which is right on
AWS too: only a line whose item has the six seed attributes with their types is replayed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from . import naming, waiting
from .connect import Connection, current
from .errors import InvalidInput, ResourceNotFound, aws_code, aws_error, aws_message
from .i18n import _
from .logs import LOG_BACKOFF, LOG_WAIT_S, filter_events
from .metadata import iso_timestamp

REPLAY_MARKER = "inference-record/v1"  # inference_support.REPLAY_MARKER (a test keeps the two equal)
FILTER_PATTERN = '{ $.replay = "inference-record/v1" }'
SEED_TYPES = {
    "requestId": "S",
    "timestamp": "S",
    "modelName": "S",
    "inputData": "S",
    "prediction": "S",
    "latencyMs": "N",
}


@dataclass(frozen=True)
class ReplayReport:
    """What a replay found and did.

    ``found``: distinct requests marked for replay in the time window; ``written``: items put now;
    ``already_present``: items the table already had (an earlier replay, or the Lambda's own later
    success); ``invalid``: marked lines that are not a usable record (skipped).
    """

    log_group: str
    found: int
    written: int
    already_present: int
    invalid: int = 0
    written_ids: tuple[str, ...] = ()


def replay_unrecorded(
    function: str | None = None,
    *,
    since_minutes: float = 60,
    table: str | None = None,
    expect: Iterable[str] = (),
    conn: Connection | None = None,
) -> ReplayReport:
    """Write the items the function logged for replay in the last ``since_minutes``; idempotent.

    ``function`` defaults to the workshop's function. Each item goes to the table named in its log
    line, or to ``table`` when given (for instance after fixing a wrong DYNAMODB_TABLE). ``expect``
    names requestIds whose replay lines must be found: the logs are read again until they are.
    """
    conn = conn or current()
    function = naming.function_name(function or conn.names.function)
    if isinstance(since_minutes, bool) or not isinstance(since_minutes, int | float) or not since_minutes > 0:
        raise InvalidInput(
            _("since_minutes={since_minutes!r} must be a number of minutes above 0").format(
                since_minutes=since_minutes
            ),
            resource="since_minutes",
        )
    if table is not None:
        table = naming.table_name(table)
    log_group = f"/aws/lambda/{function}"
    if isinstance(expect, str):
        raise InvalidInput(
            _("expect takes a list of requestIds, not one string"), resource="expect", fix="[request_id]"
        )
    records, invalid = _awaited_records(conn, log_group, since_minutes, set(expect))
    written: list[str] = []
    present = 0
    stamp = iso_timestamp(datetime.now(UTC))
    for request_id, (line_table, item) in records.items():
        target = table or line_table
        if _put_if_absent(conn, target, {**item, "replayedAt": {"S": stamp}}):
            written.append(request_id)
        else:
            present += 1
    return ReplayReport(
        log_group=log_group,
        found=len(records),
        written=len(written),
        already_present=present,
        invalid=invalid,
        written_ids=tuple(written),
    )


def _awaited_records(
    conn: Connection, log_group: str, since_minutes: float, wanted: set[str]
) -> tuple[dict[str, tuple[str, dict[str, Any]]], int]:
    """_marked_records, read again (waiting.poll) until every requestId of ``wanted`` is among them."""

    def observe() -> tuple[dict[str, tuple[str, dict[str, Any]]], int] | waiting.NotYet:
        found, invalid = _marked_records(conn, log_group, since_minutes)
        missing = wanted - set(found)
        if missing:
            return waiting.NotYet(
                _("{missing} of {wanted} not in the logs yet").format(missing=len(missing), wanted=len(wanted))
            )
        return found, invalid

    return waiting.poll(
        observe,
        what=_("the replay lines of {count} requests in {log_group}").format(count=len(wanted), log_group=log_group),
        timeout=LOG_WAIT_S,
        fix=_("check the requestIds, and the log group {log_group} in the CloudWatch console").format(
            log_group=log_group
        ),
        rule=waiting.LOG_DELIVERY,
        backoff=LOG_BACKOFF,
    )


def _marked_records(
    conn: Connection, log_group: str, since_minutes: float
) -> tuple[dict[str, tuple[str, dict[str, Any]]], int]:
    """requestId -> (table, item) of every valid replay line in the window, and the count of invalid ones."""
    start = int((time.time() - since_minutes * 60) * 1000)
    records: dict[str, tuple[str, dict[str, Any]]] = {}
    invalid = 0
    try:
        for event in filter_events(conn, log_group, startTime=start, filterPattern=FILTER_PATTERN):
            line = _parse(event.get("message", ""))
            if line is None:
                continue  # not a replay line (moto returns every event)
            record = _record_of(line)
            if record is None:
                invalid += 1
                continue
            records.setdefault(record[1]["requestId"]["S"], record)
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            raise ResourceNotFound(
                _("log group {log_group} does not exist").format(log_group=log_group),
                resource=f"log group {log_group}",
                fix=_(
                    "check the function name and the participant prefix; the group appears after the first invocation"
                ),
            ) from exc
        raise aws_error(exc, f"log group {log_group}") from exc
    return records, invalid


def _parse(message: str) -> dict[str, Any] | None:
    text = message.strip()
    if REPLAY_MARKER not in text or not text.startswith("{"):
        return None
    try:
        line = json.loads(text)
    except ValueError:
        return None
    return line if isinstance(line, dict) and line.get("replay") == REPLAY_MARKER else None


def _record_of(line: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    table, item = line.get("table"), line.get("item")
    if not isinstance(table, str) or not table or not isinstance(item, dict):
        return None
    for name, kind in SEED_TYPES.items():
        value = item.get(name)
        if not isinstance(value, dict) or list(value) != [kind] or not isinstance(value[kind], str):
            return None
    if line.get("requestId") not in (None, item["requestId"]["S"]):
        return None
    return table, item


def _put_if_absent(conn: Connection, table: str, item: dict[str, Any]) -> bool:
    try:
        conn.client("dynamodb").put_item(
            TableName=table, Item=item, ConditionExpression="attribute_not_exists(requestId)"
        )
        return True
    except ClientError as exc:
        if aws_code(exc) == "ConditionalCheckFailedException":
            return False
        request_id = item["requestId"]["S"]
        if aws_code(exc) == "ResourceNotFoundException":
            raise ResourceNotFound(
                _("table {table!r} does not exist, so item {request_id} cannot be replayed into it").format(
                    table=table, request_id=request_id
                ),
                resource=f"table {table}",
                fix=_("create the table (create_metadata_table()), or pass table= the right one, then replay again"),
            ) from exc
        raise aws_error(
            exc,
            f"table {table}",
            message=_("replaying item {request_id} into table {table} failed: {value}: {value2}").format(
                request_id=request_id, table=table, value=aws_code(exc), value2=aws_message(exc)
            ),
            fix=_("fix the cause, then run replay_unrecorded() again (items already written are not written twice)"),
        ) from exc
