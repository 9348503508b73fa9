"""A class of five on the local cloud: prepare (two interrupted, then resumed), the board as each reaches a
different step (driven through workshop_lib, as the notebooks drive them), a reset, and a clear that leaves
nothing of the class and touches nothing else. One flow: each test starts where the one before it stopped."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import workshop_lib as wl
from workshop_lib.classroom import board, board_render, connections, roster
from workshop_lib.classroom.clear import clear_class
from workshop_lib.classroom.inventory import kit_tagged
from workshop_lib.classroom.prepare import new_roster, prepare_class
from workshop_lib.classroom.reset import reset_participant
from workshop_lib.config import CLASS_SHARED_PREFIX, LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE, tag_list
from workshop_lib.errors import InvalidInput
from workshop_lib.notebook_prerequisites import prerequisites

REGION = "us-east-1"
INTERRUPTED = (1, 3)  # the participants whose first run stops after STOP_AFTER steps
STOP_AFTER = 3


class Interrupted(Exception):
    """What a Ctrl-C or a lost network does to a participant's preparation, halfway."""


@pytest.fixture(scope="module")
def the_class(local_cloud, tmp_path_factory) -> roster.Roster:
    tag = uuid.uuid4().hex[:4]
    names = [f"c{tag}-{i}" for i in range(5)]
    directory = tmp_path_factory.mktemp("class")
    return new_roster(names, "local", REGION, shared=True, from_step="08_2a", directory=directory)


@pytest.fixture(scope="module")
def base(the_class):
    return connections.class_connection(the_class)


def conn_of(base, the_class, i):
    return connections.for_participant(base, the_class.names()[i])


@pytest.fixture(scope="module")
def prepared(the_class, base):
    """The class after a first run that two participants did not finish, and a second run."""
    stopped = {the_class.names()[i] for i in INTERRUPTED}

    def interrupt(name, step):
        made[name].append(step)
        if name in stopped and len(made[name]) == STOP_AFTER:  # the step is made; what follows is not
            raise Interrupted(f"{name} interrupted after {STOP_AFTER} steps")

    made = {n: [] for n in the_class.names()}
    first = prepare_class(the_class, workers=3, out=io.StringIO(), bars=False, on_step=interrupt)
    second_out = io.StringIO()
    second = prepare_class(roster.load(the_class.directory), workers=3, out=second_out, bars=False)
    return first, second, second_out.getvalue()


def test_prepare__two_interrupted_participants_resume_with_only_their_missing_steps(the_class, base, prepared):
    first, second, output = prepared
    names = the_class.names()
    assert {o.name for o in first.failed} == {names[i] for i in INTERRUPTED}
    assert all("interrupted after 3 steps" in o.error for o in first.failed)
    full = {o.steps for o in first.outcomes if o.ok}
    assert len(full) == 1 and full.pop() > STOP_AFTER  # everyone else made every step in the first run

    assert second.ok, str(second)
    steps = {o.name: o.steps for o in second.outcomes}
    made_first = {o.name: o.steps for o in first.outcomes}
    for i, name in enumerate(names):
        if i in INTERRUPTED:
            assert made_first[name] == STOP_AFTER and steps[name] > 0  # only what was missing
        else:
            assert steps[name] == 0
    assert "FAILED" not in output
    for name in names:
        assert prerequisites("08_2a", conn=conn_of(base, the_class, names.index(name))).ok


def test_prepare__one_shared_endpoint_and_the_participants_file(the_class, base, prepared):
    recorded = roster.load(the_class.directory)
    assert recorded.names() == the_class.names()
    assert recorded.shared_endpoint == connections.shared_endpoint_name(REGION)
    assert wl.describe_endpoint(recorded.shared_endpoint, conn=base).in_service
    for i, p in enumerate(recorded.participants):
        conn = conn_of(base, the_class, i)
        assert p.invoke_url == wl.invoke_url(conn)
        variables = wl.describe_function(conn=conn)["Variables"]
        assert variables[LAMBDA_ENV_ENDPOINT] == recorded.shared_endpoint
        env = (the_class.directory / f"{p.name}.env").read_text()
        assert env == f"WORKSHOP_PREFIX={p.name}\nWORKSHOP_ENDPOINT={recorded.shared_endpoint}\n"
        assert f'prefix: "{p.name}"' in (the_class.directory / f"{p.name}.parameters.yaml").read_text()
    # The participants' Lambdas answer through the shared endpoint.
    answer = wl.send_test_request(recorded.participants[0].invoke_url, {"input": {"text": "Hello AI!"}})
    assert answer.status == 200


@pytest.fixture(scope="module")
def stepped(the_class, base, prepared):
    """Each participant a step further than the one before: 0 at code ... 4 done."""
    c = [conn_of(base, the_class, i) for i in range(5)]
    for conn in c[1:]:
        wl.deploy_lambda(conn=conn)  # step 2: the new code
    for conn in c[2:]:
        wl.set_env_vars(conn=conn, **{LAMBDA_ENV_ENDPOINT: conn.names.endpoint, LAMBDA_ENV_TABLE: conn.names.table})
    for conn in c[3:]:
        wl.attach_policy(template="metadata-write", conn=conn)
    # Participant 3's table holds a row no invocation logged (written by hand): the row, but no log line.
    c[3].client("dynamodb").put_item(
        TableName=c[3].names.table,
        Item={"requestId": {"S": "by-hand-0001"}, "timestamp": {"S": "2026-01-01T00:00:00.000Z"}},
    )
    url = wl.invoke_url(c[4])
    observed = wl.send_until_recorded(url, {"input": {"text": "I love this"}}, conn=c[4])
    wl.logs.request_log_record(observed.request_id, conn=c[4])  # its line has reached the logs
    return c


def test_status__each_participant_at_another_step_and_the_stuck_ones_diagnosed(the_class, stepped):
    shown = board.read_board(the_class, stuck_after=0)
    at = {r.name: r.at for r in shown.rows}
    assert [at[n] for n in the_class.names()] == ["code", "env", "policy", "log", "done"]
    rows = {r.name: r for r in shown.rows}
    last = rows[the_class.names()[4]]
    assert last.done and not last.stuck and last.diagnosis == ""
    assert all(last.cells[s].first_seen is not None for s in ("code", "env", "policy", "row", "log"))
    assert not last.cells["alarms"].ok  # 8.3 not done by anyone
    stuck = rows[the_class.names()[2]]
    assert stuck.stuck and "dynamodb:PutItem" in stuck.diagnosis  # env vars set, no policy: diagnose() says so
    assert rows[the_class.names()[3]].cells["row"].ok and not rows[the_class.names()[3]].cells["log"].ok

    again = board.read_board(the_class, stuck_after=0)
    later = {r.name: r for r in again.rows}[last.name]
    assert later.cells["code"].first_seen == last.cells["code"].first_seen  # first seen, not seen again

    text = board_render.render_text(again)
    assert "5 participants: 1 at new code, 1 at env vars, 1 at PutItem policy, 1 at log line, 1 at done" in text
    lines = text.splitlines()
    stuck_line = next(i for i, line in enumerate(lines) if line.startswith(f"{the_class.names()[2]} "))
    assert lines[stuck_line + 1].startswith("    -> STUCK at PutItem policy: ")
    page = board_render.render_html(again, refresh=7)
    assert '<meta http-equiv="refresh" content="7">' in page and the_class.names()[4] in page


def test_reset__returns_a_done_participant_to_the_start_of_08_2a(the_class, base, stepped):
    name = the_class.names()[4]
    with pytest.raises(InvalidInput, match="cannot be reset to '07'"):
        reset_participant(the_class, name, "07", base=base)
    with pytest.raises(InvalidInput, match="not a participant"):
        reset_participant(the_class, "nobody", base=base)

    done = reset_participant(the_class, name, "08_2a", base=base)
    conn = stepped[4]
    assert done.after.ok and prerequisites("08_2a", conn=conn).ok
    assert LAMBDA_ENV_TABLE not in wl.describe_function(conn=conn)["Variables"]
    assert "InferenceMetadataWrite" not in wl.role_policies(conn=conn)
    assert conn.client("dynamodb").scan(TableName=conn.names.table)["Items"] == []
    row = {r.name: r for r in board.read_board(the_class).rows}[name]
    assert row.at == "code" and not any(c.ok for c in row.cells.values())


def test_clear__leaves_nothing_of_the_class_and_touches_nothing_else(the_class, base, stepped):
    outsider = base.with_prefix(f"out{uuid.uuid4().hex[:4]}")
    wl.create_metadata_table(conn=outsider)  # the kit's, another prefix
    ddb = base.client("dynamodb")
    untagged = f"{the_class.names()[0]}-InferenceMetadata-copy"  # a participant's name, not the kit's tag
    ddb.create_table(
        TableName=untagged,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    not_kit = f"{the_class.names()[1]}-other-project"
    ddb.create_table(
        TableName=not_kit,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=tag_list({"project": "other", "workshop-participant": the_class.names()[1]}),
    )
    try:
        result = clear_class(the_class, out=io.StringIO())
        assert result.ok, str(result)
        assert "proof: nothing tagged by the kit for this class is left in the region" in str(result)
        assert sum(len(v) for v in result.deleted.values()) > 5 * 4
        assert result.deleted[CLASS_SHARED_PREFIX]  # the shared endpoint, its config, model, role, bucket
        prefixes = {*the_class.names(), CLASS_SHARED_PREFIX}
        assert not [t for t in kit_tagged(base) if t.participant in prefixes]
        assert any(t.participant == outsider.prefix for t in result.others)
        assert wl.describe_table(outsider) is not None
        for table in (untagged, not_kit):
            assert ddb.describe_table(TableName=table)["Table"]["TableName"] == table
        with pytest.raises(ClientError):
            base.client("sagemaker").describe_endpoint(EndpointName=the_class.shared_endpoint)
        again = clear_class(the_class, out=io.StringIO())  # resumable: a second run finds nothing to do
        assert again.ok and not any(again.deleted.values())
    finally:
        wl.cleanup(outsider)
        for table in (untagged, not_kit):
            ddb.delete_table(TableName=table)


def test_roster_load__names_the_missing_participants_file(tmp_path: Path):
    with pytest.raises(InvalidInput, match="no class is prepared"):
        roster.load(tmp_path)
