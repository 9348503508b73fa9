"""The workshop's notebooks in another language, built from the English ones (notebooks/*.ipynb stay the source).

A built notebook is its English notebook with each markdown cell replaced by its translation from
``notebooks/i18n/<lang>.po``; its code cells are the English ones, unchanged (the messages they print are
translated at run time: notebook_messages). A markdown cell's entry is keyed by its notebook and cell id
(msgctxt ``08_2a_update_lambda/08-2a-update-lambda-03``) and by its whole English text (msgid): a cell whose
English text changed has no translation until its entry is updated, and a build keeps such a cell in English
and names it (``Built.untranslated``). ``code_messages`` lists what the code cells print through
``wl.check`` / ``wl.say``: the catalogue needs each of them too (context ``notebook`` in workshop.po).

Built notebooks are never committed: the main job builds them into build/ (``python kit.py workshop --lang
vi``), the lab into the learner's working copy (``python kit.py lab --lang vi``).
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from .config import NOTEBOOKS_DIR
from .i18n import DEFAULT_LANGUAGE, normalize

CATALOGUE_DIR = NOTEBOOKS_DIR / "i18n"
MESSAGE_FUNCTIONS = ("check", "say")  # wl.check(condition, success, failure, fix=...), wl.say(text)


def catalogue_path(lang: str, directory: Path = CATALOGUE_DIR) -> Path:
    """The .po file of the notebooks' markdown in ``lang``."""
    return directory / f"{lang}.po"


def read_catalogue(lang: str, directory: Path = CATALOGUE_DIR) -> Catalog:
    """The markdown catalogue of ``lang`` (an empty one when there is no file yet)."""
    path = catalogue_path(lang, directory)
    if not path.exists():
        return Catalog(locale=lang)
    with path.open("rb") as po:
        return read_po(po, locale=lang)


def cell_context(notebook: Path, cell: nbformat.NotebookNode) -> str:
    """A markdown cell's msgctxt: ``<notebook stem>/<cell id>``."""
    return f"{notebook.stem}/{cell.get('id', '')}"


def markdown_cells(notebook: Path) -> list[tuple[str, str]]:
    """(msgctxt, English text) of every markdown cell of ``notebook``, in order."""
    nb = nbformat.read(notebook, as_version=4)
    return [(cell_context(notebook, c), c.source) for c in nb.cells if c.cell_type == "markdown" and c.source]


# --- the messages code cells print ------------------------------------------------------------------------


def _placeholder(node: ast.FormattedValue) -> str:
    conversion = {-1: "", 115: "!s", 114: "!r", 97: "!a"}[node.conversion]
    spec = ""
    if isinstance(node.format_spec, ast.JoinedStr):
        spec = ":" + "".join(str(v.value) for v in node.format_spec.values if isinstance(v, ast.Constant))
    return "{" + ast.unparse(node.value) + conversion + spec + "}"


def message_text(node: ast.expr) -> str | None:
    """A message argument as the catalogue keys it: a string as it is, an f-string with its {placeholders}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(v.value) if isinstance(v, ast.Constant) else _placeholder(v)  # type: ignore[arg-type]
            for v in node.values
        )
    return None  # a variable or an expression: not a message of the notebook's own


def _message_arguments(call: ast.Call) -> list[ast.expr]:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if name == "check":
        return [*call.args[1:3], *(k.value for k in call.keywords if k.arg in ("success", "failure", "fix"))]
    return [*call.args[:1], *(k.value for k in call.keywords if k.arg == "text")]


def code_messages(source: str) -> list[str]:
    """The messages a code cell prints through ``wl.check`` and ``wl.say`` (as the catalogue keys them)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax (a magic): no message of ours
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "wl"
            and node.func.attr in MESSAGE_FUNCTIONS
        ):
            found += [t for t in map(message_text, _message_arguments(node)) if t]
    return found


def notebook_messages(notebook: Path) -> list[tuple[str, str]]:
    """(cell id, message) of every message the code cells of ``notebook`` print, in order."""
    nb = nbformat.read(notebook, as_version=4)
    return [
        (cell.get("id", ""), text)
        for cell in nb.cells
        if cell.cell_type == "code"
        for text in code_messages(cell.source)
    ]


# --- building ----------------------------------------------------------------------------------------------


@dataclass
class Built:
    """A built notebook: where it was written, and the markdown cells left in English (no translation)."""

    path: Path
    untranslated: list[str] = field(default_factory=list)  # msgctxt of each


def translated(notebook: Path, catalogue: Catalog) -> tuple[nbformat.NotebookNode, list[str]]:
    """``notebook`` with its markdown cells from ``catalogue``; and the cells that have no translation."""
    nb = copy.deepcopy(nbformat.read(notebook, as_version=4))
    missing: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "markdown" or not cell.source:
            continue
        context = cell_context(notebook, cell)
        entry = catalogue.get(cell.source, context=context)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(context)
        else:
            cell.source = str(entry.string)
    return nb, missing


def build(
    lang: str, out_dir: Path, source: Path = NOTEBOOKS_DIR, catalogues: Path = CATALOGUE_DIR
) -> list[Built]:
    """Write every workshop notebook of ``source`` in ``lang`` to ``out_dir`` (the English ones as they are)."""
    lang = normalize(lang) or DEFAULT_LANGUAGE
    catalogue = read_catalogue(lang, catalogues) if lang != DEFAULT_LANGUAGE else Catalog(locale=lang)
    out_dir.mkdir(parents=True, exist_ok=True)
    built: list[Built] = []
    for notebook in sorted(source.glob("[0-9][0-9]_*.ipynb")):
        target = out_dir / notebook.name
        if lang == DEFAULT_LANGUAGE:
            text, missing = notebook.read_text(encoding="utf-8"), []
        else:
            nb, missing = translated(notebook, catalogue)
            text = nbformat.writes(nb) + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")  # unchanged files keep their time: the lab sees no change
        built.append(Built(target, missing))
    return built
