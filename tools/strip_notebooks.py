"""Strip the workshop notebooks for committing: no outputs, no execution counts, no volatile metadata.

    python kit.py notebooks --strip [PATH ...]   rewrite notebooks/*.ipynb (or PATHs) in place
    python kit.py notebooks --check [PATH ...]   list those that are not stripped; exit status 1 if any

The notebooks in notebooks/ are the source of the workshop: edit them in Jupyter (`make lab`), then strip them.
Stripping keeps every cell's source, id and tags; it empties outputs and execution counts, drops every other
cell metadata key (JupyterLab's `execution` timings, `collapsed`, `scrolled`, `jupyter`, ...) and every other
notebook metadata key (`widgets`, `papermill`, `vscode`, ...), and sets the kernel to the standard `python3`
kernelspec, so that no personal kernel name, output, account id or timing is committed. The result is written in
nbformat's layout (the one Jupyter saves), so a stripped notebook round-trips through Jupyter unchanged.
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
KEPT_CELL_METADATA = ("tags",)
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}


def stripped(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of nb as it is committed: sources, ids and tags kept; outputs, counts and volatile metadata gone."""
    clean = copy.deepcopy(nb)
    for cell in clean.cells:
        kept = {k: v for k, v in cell.get("metadata", {}).items() if k in KEPT_CELL_METADATA and v}
        cell["metadata"] = nbformat.from_dict(kept)
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    clean["metadata"] = nbformat.from_dict({"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)})
    return clean


def committed_text(nb: nbformat.NotebookNode) -> str:
    """The file text of nb stripped, in nbformat's layout (what `--strip` writes)."""
    return nbformat.writes(stripped(nb)) + "\n"


def unstripped(paths: Iterable[Path]) -> list[Path]:
    """The notebooks among paths whose file is not exactly its stripped text."""
    return [p for p in paths if p.read_text(encoding="utf-8") != committed_text(read(p))]


def read(path: Path) -> nbformat.NotebookNode:
    """The notebook at path; a file that is not a valid notebook is named in the error."""
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError, nbformat.ValidationError) as exc:
        raise SystemExit(f"strip_notebooks: {path} is not a readable notebook: {exc}") from exc


def workshop_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python kit.py notebooks", description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--strip", action="store_true", help="rewrite the notebooks in place, stripped")
    action.add_argument("--check", action="store_true", help="list the notebooks that are not stripped")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/*.ipynb)")
    args = parser.parse_args(argv)
    paths = args.paths or workshop_notebooks()
    dirty = unstripped(paths)
    if args.check:
        for path in dirty:
            print(f"not stripped: {path} (run: python kit.py notebooks --strip)")
        return 1 if dirty else 0
    for path in dirty:
        path.write_text(committed_text(read(path)), encoding="utf-8")
        print(f"stripped {path}")
    print(f"{len(paths)} notebooks checked, {len(dirty)} stripped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
