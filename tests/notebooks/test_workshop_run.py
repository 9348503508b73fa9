"""The workshop notebooks run in order by papermill against the local cloud (their template: test_template.py).

The run asserts on values the notebooks recorded (workshop_lib.record), not merely that they finished.
"""

from __future__ import annotations

import uuid

import pytest

import workshop_lib as wl
from workshop_lib.main_job import notebooks, run_notebook
from workshop_lib.notebook import recorded

NOTEBOOKS = notebooks()


@pytest.mark.local_cloud  # the folder marks it notebooks; it also needs the local cloud
def test_every_notebook_runs_in_order_against_the_local_cloud(local_conn, tmp_path):
    prefix = f"nb{uuid.uuid4().hex[:6]}"
    conn = local_conn.with_prefix(prefix)
    params = {"target": "local", "region": local_conn.region, "prefix": prefix, "endpoint": ""}
    values: dict[str, object] = {}
    for path in NOTEBOOKS:
        if path.name.startswith("09"):
            # Before the clean-up: the request of step 5 is in the table with the seed's six attributes.
            table = wl.query_inferences(model=conn.names.endpoint, conn=conn)
            row = table[table["requestId"] == values["request_id"]]
            assert len(row) == 1 and row[wl.SEED_COLUMNS].notna().all(axis=None)
            assert set(values["batch_request_ids"]) <= set(table["requestId"])
            assert len(table) >= values["rows_in_table"]
        run = run_notebook(path, params, tmp_path, html=False)
        assert run.status == "ok", f"{path.name} failed at {run.error} (executed copy: {tmp_path / path.name})"
        values |= recorded(tmp_path / path.name)
    assert values["account"] == local_conn.account_id
    assert values["model_accuracy"] >= 0.85
    assert wl.kit_resources(conn) == []  # the clean-up notebook left nothing behind
