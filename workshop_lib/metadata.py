"""The InferenceMetadata table (section 8.1) and the inference history read from it (8.2, step 6).

DynamoDB's timing, and how this module waits for it: a new table or index is CREATING for a while
(polled until ACTIVE); a deleted table is DELETING, still listed, for a while (polled until gone); an
item reaches the global secondary index up to about a second after it was written, so a query that
must show given requests (``expect=``) is repeated until it does; ``inference_record()`` reads one item
from the table itself with a strongly consistent read, which sees every write that succeeded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from . import naming, waiting
from .config import tag_list
from .connect import Connection, current
from .errors import InvalidInput, ResourceConflict, ResourceNotFound, aws_code, aws_error
from .i18n import _

SEED_COLUMNS = ["requestId", "timestamp", "modelName", "inputData", "prediction", "latencyMs"]
_deserialize = TypeDeserializer().deserialize
TimeBound = datetime | str | timedelta | None
TABLE_WAIT_S = 600.0  # CREATING -> ACTIVE (an index on a large table takes longer), DELETING -> gone
INDEX_WAIT_S = 60.0  # an item reaches the index within about a second; a query waits this long for it


def _table_spec(conn: Connection) -> dict[str, Any]:
    return {
        "TableName": conn.names.table,
        "AttributeDefinitions": [
            {"AttributeName": "requestId", "AttributeType": "S"},
            {"AttributeName": "modelName", "AttributeType": "S"},
            {"AttributeName": "timestamp", "AttributeType": "S"},
        ],
        "KeySchema": [{"AttributeName": "requestId", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [_index_spec(conn)],
        "Tags": tag_list(conn.tags),
    }


def _index_spec(conn: Connection) -> dict[str, Any]:
    return {
        "IndexName": conn.names.history_index,
        "KeySchema": [
            {"AttributeName": "modelName", "KeyType": "HASH"},
            {"AttributeName": "timestamp", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


def describe_table(conn: Connection | None = None) -> dict[str, Any] | None:
    """The table's description, or None when it does not exist."""
    conn = conn or current()
    try:
        return conn.client("dynamodb").describe_table(TableName=conn.names.table)["Table"]
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            return None
        raise aws_error(exc, f"table {conn.names.table}") from exc


def create_metadata_table(conn: Connection | None = None) -> dict[str, Any]:
    """Create the metadata table (key requestId, on-demand) with the history-by-model index; wait for ACTIVE.

    An existing table of that name is reused when its key is requestId (S); the index is added when
    it lacks it. Any other key schema is reported, not silently reused.
    """
    conn = conn or current()
    name = naming.table_name(conn.names.table)
    ddb = conn.client("dynamodb")
    table = describe_table(conn)
    if table is None:
        try:
            ddb.create_table(**_table_spec(conn))
        except ClientError as exc:
            if aws_code(exc) != "ResourceInUseException":  # created meanwhile by another run
                raise aws_error(exc, f"table {name}") from exc
    else:
        _check_key_schema(conn, table)
    _wait_active(conn)
    table = describe_table(conn) or {}
    if not any(i["IndexName"] == conn.names.history_index for i in table.get("GlobalSecondaryIndexes", [])):
        ddb.update_table(
            TableName=name,
            AttributeDefinitions=_table_spec(conn)["AttributeDefinitions"][1:],
            GlobalSecondaryIndexUpdates=[{"Create": _index_spec(conn)}],
        )
        _wait_active(conn)
        table = describe_table(conn) or {}
    return table


def _check_key_schema(conn: Connection, table: dict[str, Any]) -> None:
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    keys = [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]]
    if keys != [("requestId", "HASH")] or types.get("requestId") != "S":
        found = ", ".join(f"{n} ({types.get(n, '?')}, {t})" for n, t in keys)
        raise ResourceConflict(
            _(
                "table {table!r} exists with key schema [{found}], but the workshop needs partition key "
                "requestId (S) and no sort key"
            ).format(table=conn.names.table, found=found),
            resource=f"table {conn.names.table}",
            fix=_("delete that table if it is yours and a leftover, or use a participant prefix to get another name"),
        )


def _wait_active(conn: Connection) -> None:
    """Poll DescribeTable until the table and each of its indexes is ACTIVE."""
    ddb, name = conn.client("dynamodb"), conn.names.table

    def observe() -> bool | waiting.NotYet:
        try:
            table = ddb.describe_table(TableName=name)["Table"]
        except ClientError as exc:
            if aws_code(exc) == "ResourceNotFoundException":  # just created: not visible yet
                return waiting.NotYet(_("not visible yet"))
            raise aws_error(exc, f"table {name}") from exc
        statuses = [f"table {table['TableStatus']}"] + [
            f"index {i['IndexName']} {i.get('IndexStatus', 'ACTIVE')}" for i in table.get("GlobalSecondaryIndexes", [])
        ]
        if all(s.endswith(" ACTIVE") for s in statuses):
            return True
        return waiting.NotYet(", ".join(statuses))

    waiting.poll(
        observe,
        what=_("table {name} and its index to be ACTIVE").format(name=name),
        timeout=TABLE_WAIT_S,
        fix=_("look at the table in the DynamoDB console; run the step again"),
        rule=waiting.TABLE_STATUS,
    )


def wait_table_gone(conn: Connection, name: str) -> None:
    """Poll DescribeTable until a deleted table is gone (it is DELETING, and still listed, for a while)."""
    ddb = conn.client("dynamodb")

    def observe() -> bool | waiting.NotYet:
        try:
            status = ddb.describe_table(TableName=name)["Table"]["TableStatus"]
        except ClientError as exc:
            if aws_code(exc) == "ResourceNotFoundException":
                return True
            raise aws_error(exc, f"table {name}") from exc
        return waiting.NotYet(status)

    waiting.poll(
        observe,
        what=_("table {name} to be deleted").format(name=name),
        timeout=TABLE_WAIT_S,
        fix=_("look at the table in the DynamoDB console; run the clean-up again"),
        rule=waiting.TABLE_STATUS,
    )


def delete_metadata_table(conn: Connection | None = None) -> bool:
    """Delete the table and wait until it is gone; False when it did not exist."""
    conn = conn or current()
    try:
        conn.client("dynamodb").delete_table(TableName=conn.names.table)
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            return False
        raise aws_error(exc, f"table {conn.names.table}") from exc
    wait_table_gone(conn, conn.names.table)
    return True


def inference_record(request_id: str, *, table: str | None = None, conn: Connection | None = None) -> dict[str, Any]:
    """One request's item, read from the table with a strongly consistent GetItem ({} when there is none).

    A consistent read sees every write that succeeded before it, so right after the API answered, an
    empty result means the function's write did not succeed.
    """
    conn = conn or current()
    table = naming.table_name(table or conn.names.table)
    if not isinstance(request_id, str) or not request_id.strip():
        raise InvalidInput(
            _("request_id={request_id!r} is empty").format(request_id=request_id),
            resource="request_id",
            fix=_("pass a requestId"),
        )
    try:
        item = (
            conn.client("dynamodb")
            .get_item(TableName=table, Key={"requestId": {"S": request_id}}, ConsistentRead=True)
            .get("Item")
        )
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            raise _no_table(table) from exc
        raise aws_error(exc, f"table {table}") from exc
    return {k: _deserialize(v) for k, v in (item or {}).items()}


def _no_table(table: str) -> ResourceNotFound:
    return ResourceNotFound(
        _("table {table!r} does not exist").format(table=table),
        resource=f"table {table}",
        fix=_("create it with create_metadata_table() (section 8.1)"),
    )


def iso_timestamp(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and Z, as the Lambda writes it (sorts as text)."""
    if moment.tzinfo is None:
        raise InvalidInput(
            _("{moment!r} has no timezone").format(moment=moment), resource="time bound", fix=_("use datetime.now(UTC)")
        )
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.astimezone(UTC).microsecond // 1000:03d}Z"


def _bound(value: TimeBound, name: str, now: datetime) -> str | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return iso_timestamp(now - value)
    if isinstance(value, datetime):
        return iso_timestamp(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InvalidInput(
                _("{name}={value!r} is not an ISO-8601 time").format(name=name, value=value),
                resource=name,
                fix=_("use e.g. '2025-10-01T10:00:00Z', a datetime, or a timedelta"),
            ) from exc
        return iso_timestamp(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    raise InvalidInput(
        _("{name} must be a datetime, an ISO string or a timedelta, not {type_name}").format(
            name=name, type_name=type(value).__name__
        ),
        resource=name,
    )


def query_inferences(
    model: str | None = None,
    since: TimeBound = None,
    until: TimeBound = None,
    limit: int | None = None,
    *,
    expect: Iterable[str] = (),
    conn: Connection | None = None,
) -> pd.DataFrame:
    """The inference history as a DataFrame, newest first, the seed's six columns first.

    With ``model`` it is a Query on the history index (never a Scan); without, a Scan. ``since`` and
    ``until`` take a datetime, an ISO-8601 string or a timedelta ("the last hour":
    ``since=timedelta(hours=1)``). Every page is read (up to ``limit`` rows). The index is eventually
    consistent: with ``expect`` (requestIds just written), the read is repeated until they all show, for
    up to INDEX_WAIT_S seconds.
    """
    conn = conn or current()
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise InvalidInput(_("limit={limit!r} must be a positive whole number").format(limit=limit), resource="limit")
    if isinstance(expect, str):
        raise InvalidInput(
            _("expect takes a list of requestIds, not one string"), resource="expect", fix="[request_id]"
        )
    wanted = set(expect)
    now = datetime.now(UTC)
    operation, kwargs = _history_request(conn, model, _bound(since, "since", now), _bound(until, "until", now))

    def observe() -> pd.DataFrame | waiting.NotYet:
        frame = to_frame(_read(conn, operation, kwargs, limit), limit)
        missing = wanted - set(frame["requestId"])
        if missing:
            return waiting.NotYet(
                _("{missing} of {wanted} requests not in the result yet").format(
                    missing=len(missing), wanted=len(wanted)
                )
            )
        return frame

    return waiting.poll(
        observe,
        what=_("{count} requests in the inference history of table {table}").format(
            count=len(wanted), table=conn.names.table
        ),
        timeout=INDEX_WAIT_S,
        fix=_(
            "check that those requests were recorded (wl.inference_record(request_id)), and the model "
            "name and time window of the query"
        ),
        rule=waiting.GSI,
    )


def _read(conn: Connection, operation: str, kwargs: dict[str, Any], limit: int | None) -> list[dict[str, Any]]:
    pages = _pages(conn.client("dynamodb"), operation, kwargs, limit if operation == "query" else None)
    try:
        return [{k: _deserialize(v) for k, v in item.items()} for item in pages]
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            raise _no_table(conn.names.table) from exc
        raise aws_error(exc, f"table {conn.names.table}") from exc


def _history_request(conn: Connection, model: str | None, lo: str | None, hi: str | None) -> tuple[str, dict[str, Any]]:
    """The DynamoDB operation and its arguments: a Query on the history index for one model, else a Scan."""
    names = {"#ts": "timestamp"}
    values: dict[str, Any] = {}
    cond = []
    if lo:
        cond.append("#ts >= :lo")
        values[":lo"] = {"S": lo}
    if hi:
        cond.append("#ts <= :hi")
        values[":hi"] = {"S": hi}
    if model is None:
        kwargs: dict[str, Any] = {"TableName": conn.names.table}
        if cond:
            kwargs |= {
                "FilterExpression": " AND ".join(cond),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        return "scan", kwargs
    values[":m"] = {"S": model}
    # A key condition allows one condition on the sort key: BETWEEN when both bounds are given.
    sort_key = ["#ts BETWEEN :lo AND :hi"] if lo and hi else cond
    kwargs = {
        "TableName": conn.names.table,
        "IndexName": conn.names.history_index,
        "KeyConditionExpression": " AND ".join(["modelName = :m", *sort_key]),
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
    }
    if cond:
        kwargs["ExpressionAttributeNames"] = names
    return "query", kwargs


def _pages(ddb: Any, operation: str, kwargs: dict[str, Any], limit: int | None) -> Any:
    paginator = ddb.get_paginator(operation)
    seen = 0
    for page in paginator.paginate(**kwargs):
        for item in page["Items"]:
            yield item
            seen += 1
            if limit is not None and seen >= limit:
                return


def _number(column: pd.Series) -> pd.Series:
    """DynamoDB numbers as numbers: integers stay integers (Int64, missing values allowed), others float."""
    values = pd.to_numeric(column, errors="coerce")
    present = values.dropna()
    if len(present) and (present == present.round()).all():
        return values.astype("Int64")
    return values


def to_frame(items: list[dict[str, Any]], limit: int | None = None) -> pd.DataFrame:
    """Items as the seed's table: its six columns first, latencyMs numeric, timestamp a UTC datetime."""
    extra = sorted({k for item in items for k in item} - set(SEED_COLUMNS))
    df = pd.DataFrame(items, columns=SEED_COLUMNS + extra)
    df["latencyMs"] = _number(df["latencyMs"])
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
    for col in df.columns:
        if df[col].dtype == object and df[col].map(lambda v: hasattr(v, "as_tuple")).any():
            df[col] = _number(df[col])  # other DynamoDB numbers (Decimal)
    df = df.sort_values("timestamp", ascending=False, kind="stable").reset_index(drop=True)
    return df.head(limit) if limit else df
