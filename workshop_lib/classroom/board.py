"""`class status`: each participant's steps, read from the cloud itself (participants run nothing extra).

One row per participant, one column per step of section 8.2 (and 8.3's alarms), each with the time the board
first saw it (seen.py). The columns:

- ``code``: the function runs the new lambda_function.py (its CodeSha256);
- ``env``: ENDPOINT_NAME and DYNAMODB_TABLE name the participant's endpoint and table;
- ``policy``: the role's metadata-write policy (dynamodb:PutItem on the table) is policies/metadata-write.json;
- ``row``: the table holds a row;
- ``log``: the function's logs hold that row's JSON line (the same requestId, recorded);
- ``alarms`` (8.3): the two CloudWatch alarms exist (DescribeAlarms), with their states.

A participant who has not reached a new step for ``stuck_after`` seconds and is not done is stuck: the
board shows what diagnose() reports for them. Participants are read in parallel threads.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from .. import deploy, iam
from ..config import LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE, LAMBDA_SOURCE
from ..connect import Connection
from ..diagnose import diagnose
from ..errors import aws_code
from ..logs import filter_events
from .connections import class_connection, for_participant
from .roster import Roster
from .seen import FirstSeen

STEPS = ("code", "env", "policy", "row", "log", "alarms")
TITLES = {
    "code": "new code",
    "env": "env vars",
    "policy": "PutItem policy",
    "row": "row in table",
    "log": "log line",
    "alarms": "8.3 alarms",
}
DONE_AT = "log"  # section 8.2 is done when its row's log line is joined; the alarms are 8.3's
STUCK_AFTER_S = 600.0
READERS = 8  # participants read at once


@dataclass(frozen=True)
class Cell:
    ok: bool
    detail: str = ""
    first_seen: datetime | None = None


@dataclass
class Row:
    name: str
    cells: dict[str, Cell]
    stuck: bool = False
    diagnosis: str = ""

    @property
    def done(self) -> bool:
        return all(self.cells[s].ok for s in STEPS[: STEPS.index(DONE_AT) + 1])

    @property
    def at(self) -> str:
        """The first step of 8.2 not seen yet ("done" when there is none)."""
        return next((s for s in STEPS[: STEPS.index(DONE_AT) + 1] if not self.cells[s].ok), "done")


@dataclass
class Board:
    rows: list[Row] = field(default_factory=list)
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    seconds: float = 0.0


@dataclass
class _Reading:
    cells: dict[str, Cell]
    joined: str = ""


def _function(conn: Connection) -> dict[str, Any] | None:
    try:
        return conn.client("lambda").get_function_configuration(FunctionName=conn.names.function)
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            return None
        raise


def _policy(conn: Connection) -> Cell:
    name = iam.policy_name("metadata-write", conn)
    try:
        doc = conn.client("iam").get_role_policy(RoleName=conn.names.role, PolicyName=name)["PolicyDocument"]
    except ClientError as exc:
        if aws_code(exc) == "NoSuchEntity":
            return Cell(False, f"no {name} (or no role)")
        raise
    wanted = iam.render_policy("metadata-write", **iam.default_values(conn))
    return Cell(True, name) if doc == wanted else Cell(False, f"{name} is not metadata-write.json")


def _row(conn: Connection) -> tuple[Cell, str]:
    try:
        items = conn.client("dynamodb").scan(TableName=conn.names.table, Limit=1).get("Items", [])
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            return Cell(False, "no table"), ""
        raise
    if not items:
        return Cell(False, "table empty"), ""
    request_id = items[0].get("requestId", {}).get("S", "")
    return Cell(True, request_id[:8]), request_id


def _log(conn: Connection, request_id: str, joined: str) -> Cell:
    if not request_id:
        return Cell(False)
    if request_id == joined:
        return Cell(True, request_id[:8])
    try:
        events = filter_events(conn, f"/aws/lambda/{conn.names.function}", filterPattern=f'"{request_id}"')
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            return Cell(False, "no log group")
        raise
    for event in events:
        if _json_request_id(event["message"]) == request_id:
            return Cell(True, request_id[:8])
    return Cell(False, "no line for the row yet")


def _json_request_id(message: str) -> str:
    """The requestId of the inference Lambda's JSON log line ("" for any other line)."""
    try:
        line = json.loads(message)
    except ValueError:
        return ""
    return str(line.get("requestId", "")) if isinstance(line, dict) and "recorded" in line else ""


def _alarms(conn: Connection) -> Cell:
    wanted = [conn.names.high_latency_alarm, conn.names.error_alarm]
    found = conn.client("cloudwatch").describe_alarms(AlarmNames=wanted).get("MetricAlarms", [])
    states = {a["AlarmName"]: a.get("StateValue", "?") for a in found}
    if not states:
        return Cell(False)
    detail = ", ".join(states.get(n, "missing") for n in wanted)
    return Cell(len(states) == len(wanted), detail)


def read_participant(conn: Connection, new_code_sha: str, joined: str = "") -> _Reading:
    """One participant's cells (first-seen times not set yet), read from the cloud."""
    cfg = _function(conn)
    cells: dict[str, Cell] = {}
    if cfg is None:
        cells["code"] = cells["env"] = Cell(False, "no function")
    else:
        cells["code"] = Cell(
            cfg["CodeSha256"] == new_code_sha, "" if cfg["CodeSha256"] == new_code_sha else "section 7 code"
        )
        have = cfg.get("Environment", {}).get("Variables", {})
        wanted = {LAMBDA_ENV_ENDPOINT: conn.names.endpoint, LAMBDA_ENV_TABLE: conn.names.table}
        wrong = [k for k, v in wanted.items() if have.get(k) != v]
        cells["env"] = Cell(not wrong, ", ".join(f"{k}={have.get(k)!r}" for k in wrong))
    cells["policy"] = _policy(conn)  # NoSuchEntity for a missing role as for a missing policy
    cells["row"], request_id = _row(conn)
    cells["log"] = _log(conn, request_id, joined)
    try:
        cells["alarms"] = _alarms(conn)
    except ClientError as exc:
        cells["alarms"] = Cell(False, f"could not read: {aws_code(exc)}")
    return _Reading(cells, request_id if cells["log"].ok else "")


def _read_or_say_why(conn: Connection, new_code_sha: str, joined: str) -> _Reading:
    """read_participant, or a row saying why it could not be read (one participant's refusal spares the board)."""
    try:
        return read_participant(conn, new_code_sha, joined)
    except ClientError as exc:
        why = Cell(False, f"could not read: {aws_code(exc)}")
        return _Reading(dict.fromkeys(STEPS, why))


def _diagnosis(conn: Connection) -> str:
    found = diagnose(conn=conn)
    if found.ok:
        return "diagnose(): all checks pass (no request sent yet?)"
    return "; ".join(f"{c.name}: {c.detail}" for c in found.problems[:3])


def read_board(roster: Roster, *, stuck_after: float = STUCK_AFTER_S, base: Connection | None = None) -> Board:
    """The class's board, read from the cloud now; first-seen times kept in the class folder."""
    started = datetime.now(UTC)
    base = base or class_connection(roster)
    conns = {p.name: for_participant(base, p.name) for p in roster.participants}
    seen = FirstSeen(roster.directory)
    sha = deploy.code_sha256(deploy.package(LAMBDA_SOURCE))
    with ThreadPoolExecutor(READERS) as pool:
        read = pool.map(lambda n: _read_or_say_why(conns[n], sha, seen.joined_request(n)), conns)
        readings = dict(zip(conns, read, strict=True))
    now = datetime.now(UTC)
    board = Board(read_at=now)
    for name, reading in readings.items():
        times = seen.update(name, {s: c.ok for s, c in reading.cells.items()}, now, reading.joined)
        cells = {s: Cell(c.ok, c.detail, times.get(s)) for s, c in reading.cells.items()}
        row = Row(name, cells)
        row.stuck = not row.done and (now - seen.last_progress(name)).total_seconds() >= stuck_after
        board.rows.append(row)
    seen.save()
    stuck = [r for r in board.rows if r.stuck]
    with ThreadPoolExecutor(READERS) as pool:
        for row, text in zip(stuck, pool.map(lambda r: _diagnosis(conns[r.name]), stuck), strict=True):
            row.diagnosis = text
    board.seconds = (datetime.now(UTC) - started).total_seconds()
    return board
