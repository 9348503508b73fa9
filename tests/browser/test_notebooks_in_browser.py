"""The workshop as a learner does it: `python kit.py lab`, then each notebook from the file browser, Run All.

One lab (its own fresh local cloud and working copy) and one headless Chromium for the module. The
screenshots land in build/screenshots/. Skipped when no Chromium and chromedriver are found.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.lab_session import ROOT, LabBrowser, LabProcess, check_marks, chromium_paths, errors, saved_outputs
from workshop_lib.notebook import RECORD_MIMETYPE

PATHS = chromium_paths()
SCREENSHOTS = ROOT / "build" / "screenshots"
CHECK_CALLS = ("wl.check(", "wl.check_prerequisites(")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.local_cloud,
    pytest.mark.skipif(
        PATHS is None,
        reason="no Chromium and chromedriver found: `apt-get install chromium chromium-driver` "
        "(or set CHROME_BIN and CHROMEDRIVER)",
    ),
    pytest.mark.skipif(os.name == "nt", reason="the lab is stopped with SIGINT to its process group (POSIX)"),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabProcess]:
    process = LabProcess(tmp_path_factory.mktemp("lab"))
    try:
        process.start()
        yield process
    finally:
        process.stop()
        process.remove_copy()


@pytest.fixture(scope="module")
def browser(lab: LabProcess) -> Iterator[LabBrowser]:
    assert PATHS is not None
    page = LabBrowser(lab, *PATHS)
    try:
        page.home()
        yield page
    finally:
        page.quit()


def test_08_2a_opened_first_on_a_fresh_cloud_names_what_is_missing_and_the_line_to_run(lab, browser):
    browser.open("08_2a_update_lambda.ipynb")
    state = browser.run_all()
    browser.scroll_to("pieces are missing")  # the table, then the line to run
    browser.screenshot(SCREENSHOTS / "08_2a_update_lambda.first-on-a-fresh-cloud.png")
    browser.close()

    failed = errors(state)
    assert len(failed) == 1, failed
    assert "CHECK FAILED: 08_2a_update_lambda needs 9 pieces that are missing (the table above)" in failed[0]
    table = next(text for mime, text in state["outputs"] if mime == "text/html" and "made by" in text)
    for notebook in ("06_model_endpoint", "07_inference_lambda_and_api", "08_1_metadata_table"):
        assert notebook in table
    assert "✘ missing: does not exist" in table and 'wl.prepare_for("08_2a")' in table
    # It stopped at the check (the fourth code cell): step 1 never ran into "function does not exist".
    assert state["prompts"][:3] == ["[1]:", "[2]:", "[3]:"] and set(state["prompts"][4:]) == {"[ ]:"}


def test_every_notebook_runs_from_the_run_menu_with_every_check_passed(lab, browser):
    names = sorted(p.name for p in lab.copy_dir.glob("[0-9][0-9]_*.ipynb"))
    assert len(names) == 8
    for name in names:
        browser.open(name)
        state = browser.run_all()
        browser.scroll_to_end()
        browser.screenshot(SCREENSHOTS / f"{Path(name).stem}.png")
        browser.close()

        assert not errors(state), f"{name}: {errors(state)[0][-1500:]}"
        counts, failures = saved_outputs(lab.copy_dir / name)
        assert None not in counts and not failures, f"{name}: not every cell ran: {counts}"
        cells = [c for c in json.loads((lab.copy_dir / name).read_text(encoding="utf-8"))["cells"]]
        checked = [c for c in cells if c["cell_type"] == "code" and any(k in "".join(c["source"]) for k in CHECK_CALLS)]
        for cell in checked:
            printed = "".join("".join(o.get("text", "")) for o in cell["outputs"] if o["output_type"] == "stream")
            assert "✔ " in printed, f"{name}: the check of this cell printed no ✔:\n{''.join(cell['source'])}"
        assert len(check_marks(state)) >= len(checked), f"{name}: the page shows too few ✔"
        # Outputs made for people: nothing on the pink stderr background (progress bars write to stdout), and
        # wl.record's values are in the saved outputs but not on the page.
        stderr = [text for mime, text in state["outputs"] if mime == "application/vnd.jupyter.stderr"]
        assert not stderr, f"{name}: output on stderr: {stderr[0][:300]}"
        assert not [text for _, text in state["outputs"] if text.startswith("recorded ")], f"{name}: record() shows"
        records = [o for c in cells for o in c.get("outputs", []) if RECORD_MIMETYPE in o.get("data", {})]
        assert all(not "".join(o["data"].get("text/plain", "")) for o in records), f"{name}: a record has text"
