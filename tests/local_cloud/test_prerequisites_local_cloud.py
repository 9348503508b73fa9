"""Starting at the seed's step on the local cloud: 08_2a names what is missing; after prepare_for it runs."""

from __future__ import annotations

import uuid

import pytest

import workshop_lib as wl
from workshop_lib.config import NOTEBOOKS_DIR
from workshop_lib.connect import Connection
from workshop_lib.main_job import run_notebook
from workshop_lib.notebook import recorded

pytestmark = [pytest.mark.local_cloud, pytest.mark.notebooks]


@pytest.fixture
def fresh(local_conn: Connection) -> Connection:
    """A participant prefix nobody used: for its names, the cloud is as fresh as a new one."""
    prefix = f"pre{uuid.uuid4().hex[:6]}"
    conn = local_conn.with_prefix(prefix)
    yield conn
    wl.cleanup(conn)


def test_08_2a_first__stops_at_its_check_then_runs_whole_after_prepare_for(fresh: Connection, tmp_path):
    notebook = NOTEBOOKS_DIR / "08_2a_update_lambda.ipynb"
    params = {"target": "local", "region": fresh.region, "prefix": fresh.prefix, "endpoint": ""}

    first = run_notebook(notebook, params, tmp_path / "first", html=False)
    assert first.status == "FAILED"
    assert (
        "StepFailed: CHECK FAILED: 08_2a_update_lambda needs 9 pieces that are missing (the table above): endpoint, "
        "role, invoke-endpoint policy, logs policy, function, section 7 code, ENDPOINT_NAME, api, table"
    ) in first.error
    assert first.error.startswith("cell 4: StepFailed:")  # parameters, injected parameters, connect, the check
    assert 'wl.prepare_for("08_2a")' in first.error

    done = wl.prepare_for("08_2a", conn=fresh, verbose=False)
    assert len(done.steps) == 8 and done.after.ok
    assert wl.send_test_request(wl.invoke_url(fresh), {"input": {"text": "Hello AI!"}}).status == 200

    second = run_notebook(notebook, params, tmp_path / "second", html=False)
    assert second.status == "ok", second.error
    values = recorded(tmp_path / "second" / notebook.name)
    table = wl.query_inferences(model=fresh.names.endpoint, conn=fresh)
    assert values["request_id"] in set(table["requestId"])
    assert wl.prepare_for("08_2b", conn=fresh, verbose=False).steps == []  # 08_2a made what 08_2b needs
