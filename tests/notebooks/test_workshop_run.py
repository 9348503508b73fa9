"""The workshop notebooks run in order by papermill against the local cloud (their template: test_template.py).

The run asserts on values the notebooks recorded (workshop_lib.record), not merely that they finished.

It runs the Vietnamese notebooks, as ``python kit.py workshop --lang vi`` builds and runs them (main_job.sources):
the English ones run in test_main_job_timing.py's main job, and the code cells are the same in both languages
(tests/unit/i18n), so this run covers the Vietnamese build and the run-time translation without a third run.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

import workshop_lib as wl
from workshop_lib.config import NOTEBOOKS_DIR
from workshop_lib.main_job import notebooks, run_notebook, sources
from workshop_lib.notebook import recorded

NOTEBOOKS = notebooks()
VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹáàãéèíìóòõúùýĐ]", re.I)


def check_lines(executed) -> list[str]:
    """The `✔ ...` lines the notebook's checks printed."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    return [
        line
        for cell in nb["cells"]
        for output in cell.get("outputs", [])
        if output.get("name") == "stdout"
        for line in "".join(output.get("text", "")).splitlines()
        if line.startswith("✔")
    ]


@pytest.mark.local_cloud  # the folder marks it notebooks; it also needs the local cloud
def test_every_notebook_runs_in_order_against_the_local_cloud(local_conn, tmp_path):
    prefix = f"nb{uuid.uuid4().hex[:6]}"
    conn = local_conn.with_prefix(prefix)
    params = {"target": "local", "region": local_conn.region, "prefix": prefix, "endpoint": "", "lang": "vi"}
    paths, _ = sources("vi", tmp_path / "build")
    assert [p.name for p in paths] == [p.name for p in NOTEBOOKS]
    values: dict[str, object] = {}
    for path in paths:
        if path.name.startswith("09"):
            # Before the clean-up: the request of step 5 is in the table with the seed's six attributes.
            table = wl.query_inferences(model=conn.names.endpoint, conn=conn)
            row = table[table["requestId"] == values["request_id"]]
            assert len(row) == 1 and row[wl.SEED_COLUMNS].notna().all(axis=None)
            assert set(values["batch_request_ids"]) <= set(table["requestId"])
            assert len(table) >= values["rows_in_table"]
        run = run_notebook(path, params, tmp_path, html=False, cwd=NOTEBOOKS_DIR)
        assert run.status == "ok", f"{path.name} failed at {run.error} (executed copy: {tmp_path / path.name})"
        values |= recorded(tmp_path / path.name)
        # Every check printed its message in Vietnamese: a check message without a translation shows here.
        lines = check_lines(tmp_path / path.name)
        english = [line for line in lines if not VIETNAMESE.search(line)]
        assert lines and not english, f"{path.name}: checks printed in English: {english}"
    # 08.3: the dashboard counted the notebook's requests; the error alarm went OK -> ALARM -> OK, each notified.
    assert values["dashboard_numbers"]["SuccessCount"] >= 6
    assert values["error_alarm_states"] == ["OK", "ALARM", "OK"]
    assert values["notified_states"][-2:] == ["ALARM", "OK"]  # after the OK of the alarm's first evaluation
    assert values["account"] == local_conn.account_id
    assert values["model_accuracy"] >= 0.85
    assert wl.kit_resources(conn) == []  # the clean-up notebook left nothing behind
