"""tools/strip_notebooks.py (`python kit.py notebooks --strip|--check`) on notebooks made dirty the way Jupyter does."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools.strip_notebooks import KERNELSPEC, committed_text, main, stripped


def clean_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Title\n\n**Goal:** a goal.", id="t-00"),
            new_code_cell('target: str = "local"  # where', id="t-01", metadata={"tags": ["parameters"]}),
            new_code_cell("x = 1\nx", id="t-02"),
        ]
    )
    nb.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}})
    return nb


def dirty(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What saving after a run in JupyterLab adds: outputs, counts, timings, editor state, a personal kernel name."""
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(nb), as_version=4))
    run = nb.cells[2]
    run.outputs = [new_output("execute_result", data={"text/plain": "1"}, execution_count=3)]
    run.execution_count = 3
    run.metadata.update({"execution": {"iopub.status.idle": "2026-01-01T00:00:00Z"}, "scrolled": True, "tags": []})
    nb.cells[1].metadata["collapsed"] = False
    nb.metadata.kernelspec = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "alice-venv"}
    nb.metadata.language_info = {"name": "python", "version": "3.11.7", "pygments_lexer": "ipython3"}
    nb.metadata.widgets = {"application/vnd.jupyter.widget-state+json": {}}
    return nb


def test_stripped__removes_outputs_counts_and_volatile_metadata_and_keeps_sources_ids_and_tags():
    clean = clean_notebook()
    result = stripped(dirty(clean))
    assert result == clean
    assert [c.id for c in result.cells] == ["t-00", "t-01", "t-02"]
    assert result.cells[1].metadata == {"tags": ["parameters"]}


def test_stripped__leaves_its_argument_as_it_was():
    nb = dirty(clean_notebook())
    stripped(nb)
    assert nb.cells[2].execution_count == 3 and nb.metadata.kernelspec["name"] == "alice-venv"


def test_check_then_strip__rewrites_only_the_dirty_notebook_in_place(tmp_path: Path, capsys):
    clean_path, dirty_path = tmp_path / "clean.ipynb", tmp_path / "dirty.ipynb"
    clean_path.write_text(committed_text(clean_notebook()), encoding="utf-8")
    nbformat.write(dirty(clean_notebook()), dirty_path)
    before = clean_path.stat().st_mtime_ns

    assert main(["--check", str(clean_path), str(dirty_path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"not stripped: {dirty_path} (run: python kit.py notebooks --strip)"
    ]
    assert main(["--strip", str(clean_path), str(dirty_path)]) == 0
    assert dirty_path.read_text(encoding="utf-8") == clean_path.read_text(encoding="utf-8")
    assert clean_path.stat().st_mtime_ns == before
    assert main(["--check", str(clean_path), str(dirty_path)]) == 0


def test_strip__names_a_file_that_is_not_a_notebook(tmp_path: Path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"broken\.ipynb is not a readable notebook"):
        main(["--check", str(broken)])


def test_strip__needs_to_be_told_strip_or_check(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2 and "one of the arguments --strip --check is required" in capsys.readouterr().err
