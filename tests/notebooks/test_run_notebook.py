"""main_job.run_notebook with papermill on a small notebook made for the test: how a failing cell is reported."""

from __future__ import annotations

from workshop_lib.main_job import run_notebook


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
