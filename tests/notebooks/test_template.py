"""The notebook template, checked on the committed notebooks (notebooks/*.ipynb are the source: edit them in Jupyter).

Every workshop notebook: is committed stripped (no outputs, no execution counts, no volatile metadata); opens with a
title and goal, then a `parameters`-tagged cell of typed, commented parameters, then the cell that connects with
them; makes no boto3 client of its own and holds no credentials or absolute paths; and ends every step with a
visible check (`wl.check(...)`). Each failure says how to fix it; CONTRIBUTING.md explains the template.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

from tools.strip_notebooks import committed_text
from workshop_lib.main_job import notebooks

NOTEBOOKS = notebooks()
EXPECTED = [
    "00_setup.ipynb",
    "06_model_endpoint.ipynb",
    "07_inference_lambda_and_api.ipynb",
    "08_1_metadata_table.ipynb",
    "08_2a_update_lambda.ipynb",
    "08_2b_troubleshooting.ipynb",
    "08_3_monitoring.ipynb",
    "09_cleanup.ipynb",
]
STRIP = "run `python kit.py notebooks --strip` and commit the result"
CONNECT = re.compile(r"^conn = wl\.connect\(target, region, prefix, endpoint=endpoint\)$", re.M)
BOTO3_CLIENTS = re.compile(r"\bboto3\.(client|resource|Session)\b|\bimport boto3\b")
SECRETS_OR_PATHS = re.compile(
    r"(AKIA|ASIA)[0-9A-Z]{16}|aws_secret_access_key|aws_session_token|/(?:home|Users|root)/|C:\\\\"
)


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def steps(nb: nbformat.NotebookNode) -> list[tuple[str, list[str]]]:
    """(heading, sources of its code cells) of each step after the connect cell; a `## ` heading starts a step."""
    connect = code_cells(nb)[1]
    found: list[tuple[str, list[str]]] = [("(the cells before the first ## heading)", [])]
    for cell in nb.cells[nb.cells.index(connect) + 1 :]:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            found.append((cell.source.splitlines()[0], []))
        elif cell.cell_type == "code":
            found[-1][1].append(cell.source)
    return [(heading, sources) for heading, sources in found if sources]


def only_shows(source: str) -> bool:
    """True when a cell is one bare expression (it shows a value, like `conn.environment()`, and does nothing)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:  # IPython syntax (a magic): treat it as an action
        return False
    return len(body) == 1 and isinstance(body[0], ast.Expr)


def test_the_workshop_has_its_notebooks_in_section_order():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook__is_committed_stripped(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), f"outputs committed: {STRIP}"
    text = path.read_text(encoding="utf-8")
    assert text == committed_text(nbformat.reads(text, as_version=4)), (
        f"{path.name} holds volatile metadata (timings, kernel names, editor state) or is not in nbformat's layout: "
        f"{STRIP}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook__opens_with_title_and_goal_then_parameters_then_the_connection(path: Path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "the first cell is not a '# title' cell"
    assert "**Goal:**" in first.source, "the title cell does not state the notebook's **Goal:**"
    code = code_cells(nb)
    assert "parameters" in code[0].metadata.get("tags", []), (
        "first code cell is not tagged parameters (JupyterLab: property inspector, Common Tools, Cell Tags)"
    )
    for name in ("target", "region", "prefix", "endpoint"):
        assert re.search(rf"^{name}: str = .+# ", code[0].source, re.M), f"{name} is not a typed, commented parameter"
    assert CONNECT.search(code[1].source), (
        "the cell after the parameters must connect with them: conn = wl.connect(target, region, prefix, "
        "endpoint=endpoint)"
    )
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook__makes_no_boto3_client_and_holds_no_credentials_or_absolute_paths(path: Path):
    text = path.read_text(encoding="utf-8")
    assert not SECRETS_OR_PATHS.search(text), (
        f"credentials or an absolute path: {SECRETS_OR_PATHS.search(text).group(0)!r}; use relative paths "
        "(the notebooks run from notebooks/) and never paste keys into a notebook"
    )
    boilerplate = BOTO3_CLIENTS.search(text)
    assert not boilerplate, (
        f"boto3 boilerplate instead of workshop_lib ({boilerplate.group(0)!r}); use a wl operation, or "
        "conn.client(service) for a call the kit does not wrap"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook__every_step_ends_with_a_visible_check(path: Path):
    nb = nbformat.read(path, as_version=4)
    assert any("wl.check(" in c.source for c in code_cells(nb)), f"{path.name} checks nothing with wl.check"
    for heading, sources in steps(nb):
        if all(only_shows(s) for s in sources):
            continue  # an aside that only shows a value (e.g. conn.environment()) is not a step
        assert "wl.check(" in sources[-1], (
            f"{path.name}, step {heading!r}: its last code cell does not call wl.check(condition, what_it_shows); "
            f"end every step with a visible check. The last cell is:\n{sources[-1]}"
        )
