"""`class reset NAME --to STEP`: one participant back to the start of a step, with the notebooks' own calls.

What the step and the later ones made is undone, then ``prepare_for(STEP)`` builds what the step needs:

- 8.3's alarms, dashboard and topic are deleted (any reset, since 8.3 comes after every step one resets to);
- to 08_2a also: DYNAMODB_TABLE is removed from the function's variables, the metadata-write policy is
  detached, the table is emptied (deleted, then made again by prepare_for) and the function's log group is
  deleted; prepare_for puts section 7's code back.

The board forgets the participant's first-seen times, so it sees their steps again from now.
"""

from __future__ import annotations

import contextlib
import io

from botocore.exceptions import ClientError

from .. import iam, metadata
from ..config import LAMBDA_ENV_TABLE
from ..connect import Connection
from ..errors import InvalidInput, ResourceNotFound, aws_code, aws_error
from ..notebook_prerequisites import NEEDS, Preparation, prepare_for, short_name
from .connections import class_connection, for_participant
from .roster import Roster
from .seen import FirstSeen

FIRST_RESETTABLE = "08_2a_update_lambda"


def resettable_steps() -> list[str]:
    """The steps a participant can be reset to: 08_2a and the notebooks after it (not the clean-up)."""
    names = list(NEEDS)
    return [short_name(n) for n in names[names.index(FIRST_RESETTABLE) :] if not n.startswith("09")]


def _gone_ok(call: object, resource: str) -> None:
    try:
        call()  # type: ignore[operator]
    except ClientError as exc:
        if aws_code(exc) not in ("ResourceNotFoundException", "NotFound", "NoSuchEntity"):
            raise aws_error(exc, resource) from exc


def undo_monitoring(conn: Connection) -> None:
    """Delete section 8.3's two alarms, its dashboard and its SNS topic, when they are there."""
    names = conn.names
    cw = conn.client("cloudwatch")
    _gone_ok(lambda: cw.delete_alarms(AlarmNames=[names.high_latency_alarm, names.error_alarm]), "alarms")
    found = cw.list_dashboards(DashboardNamePrefix=names.dashboard).get("DashboardEntries", [])
    if any(d["DashboardName"] == names.dashboard for d in found):
        _gone_ok(lambda: cw.delete_dashboards(DashboardNames=[names.dashboard]), f"dashboard {names.dashboard}")
    topic = conn.arn("sns", names.alarm_topic)
    _gone_ok(lambda: conn.client("sns").delete_topic(TopicArn=topic), f"topic {names.alarm_topic}")


def undo_section_8_2(conn: Connection) -> None:
    """Undo 08_2a's steps 3 to 6 (prepare_for redoes step 2's opposite: section 7's code)."""
    lam = conn.client("lambda")
    name = conn.names.function
    try:
        variables = lam.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})
    except ClientError as exc:
        if aws_code(exc) != "ResourceNotFoundException":
            raise aws_error(exc, f"function {name}") from exc
        variables = {}
    if LAMBDA_ENV_TABLE in variables:
        kept = {k: v for k, v in variables.items() if k != LAMBDA_ENV_TABLE}
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)
        lam.update_function_configuration(FunctionName=name, Environment={"Variables": kept})
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    with contextlib.suppress(ResourceNotFound):  # no role: nothing to detach (prepare_for makes the role)
        iam.detach_policy(template="metadata-write", conn=conn)
    metadata.delete_metadata_table(conn)
    group = f"/aws/lambda/{name}"
    _gone_ok(lambda: conn.client("logs").delete_log_group(logGroupName=group), f"log group {group}")


def reset_participant(roster: Roster, name: str, to: str = "08_2a", *, base: Connection | None = None) -> Preparation:
    """Return participant ``name`` to the start of step ``to``; what prepare_for made to get there."""
    participant = roster.participant(name)
    step = short_name(to)
    allowed = resettable_steps()
    if step not in allowed:
        raise InvalidInput(
            f"a participant cannot be reset to {to!r}", resource="--to", fix="use one of: " + ", ".join(allowed)
        )
    conn = for_participant(base or class_connection(roster), participant.name)
    undo_monitoring(conn)
    if step == short_name(FIRST_RESETTABLE):
        undo_section_8_2(conn)
    with contextlib.redirect_stdout(io.StringIO()):
        done = prepare_for(step, conn=conn, verbose=False)
    seen = FirstSeen(roster.directory)
    seen.forget(participant.name)
    seen.save()
    return done
