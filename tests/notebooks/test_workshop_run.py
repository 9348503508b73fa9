"""The workshop notebooks: committed clean, and run in order by papermill against the local cloud.

The run asserts on values the notebooks recorded (workshop_lib.record), not merely that they finished.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

import workshop_lib as wl
from workshop_lib.config import NOTEBOOKS_DIR, ResourceNames
from workshop_lib.connect import Connection
from workshop_lib.main_job import notebooks, run_notebook
from workshop_lib.notebook import recorded

NOTEBOOKS = notebooks()
EXPECTED = [
    "00_setup.ipynb",
    "06_model_endpoint.ipynb",
    "07_inference_lambda_and_api.ipynb",
    "08_1_metadata_table.ipynb",
    "08_2a_update_lambda.ipynb",
    "08_2b_troubleshooting.ipynb",
    "09_cleanup.ipynb",
]


def test_the_workshop_has_its_notebooks_in_section_order():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook__is_committed_without_outputs_and_with_a_tagged_parameters_cell(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "outputs committed"
    assert "parameters" in code[0].get("metadata", {}).get("tags", []), "first code cell is not tagged parameters"
    params = "".join(code[0]["source"])
    for name in ("target", "region", "prefix", "endpoint"):
        assert re.search(rf"^{name}: str = .+# ", params, re.M), f"{name} is not a typed, commented parameter"
    assert nb["cells"][0]["cell_type"] == "markdown" and "".join(nb["cells"][0]["source"]).startswith("# ")
    assert "**Goal:**" in "".join(nb["cells"][0]["source"])
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"AKIA[0-9A-Z]{16}|aws_secret_access_key|/home/|/Users/|C:\\\\", text), "credentials or paths"
    assert "boto3.client" not in text and "boto3.Session" not in text, "boto3 boilerplate instead of workshop_lib"


@pytest.mark.notebooks
@pytest.mark.local_cloud
def test_every_notebook_runs_in_order_against_the_local_cloud(local_conn, tmp_path):
    prefix = f"nb{uuid.uuid4().hex[:6]}"
    conn = Connection(
        local_conn.target,
        local_conn.region,
        local_conn.account_id,
        local_conn.identity_arn,
        local_conn.session,
        ResourceNames(prefix),
        local_conn.endpoint_url,
    )
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
    assert NOTEBOOKS_DIR.exists()


def test_run_notebook__a_failing_cell_is_reported_with_its_error(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(
        cells=[new_code_cell('target: str = "local"  # where'), new_code_cell("raise ValueError('boom')")]
    )
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    broken = tmp_path / "broken.ipynb"
    nbformat.write(nb, broken)
    run = run_notebook(broken, {"target": "local"}, tmp_path / "out", html=False)
    assert run.status == "FAILED"
    assert "ValueError: boom" in run.error and run.error.startswith("cell ")
