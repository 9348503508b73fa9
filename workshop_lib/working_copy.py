"""The learner's working copy of the notebooks, which the lab opens: the repository's notebooks stay clean.

Made from notebooks/ on the first start (my-notebooks/ by default, git-ignored) and never overwritten
without asking: a notebook added to notebooks/ later is copied in, one that changed there since it was
copied is only reported, and ``reset`` (``python kit.py lab --reset``) renews them. The copy must be a
folder of the kit's root, beside notebooks/, because the notebooks open ``../lambda_function.py`` and
``../lambda_section7``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .config import KIT_ROOT, NOTEBOOKS_DIR, lab_dir
from .errors import InvalidInput
from .i18n import _

MANIFEST = ".kit-copy.json"  # {notebook: sha256 of the notebooks/ version it was copied from}


@dataclass
class CopyReport:
    """What ensure() found and did."""

    directory: Path
    created: bool = False  # the folder was made now
    added: list[str] = field(default_factory=list)  # notebooks copied now
    outdated: list[str] = field(default_factory=list)  # changed in notebooks/ since copied; the copy is kept


def workshop_notebooks(source: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The notebooks the copy is made of (NN_name.ipynb), in order."""
    return sorted(source.glob("[0-9][0-9]_*.ipynb"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(directory: Path) -> dict[str, str]:
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _save_manifest(directory: Path, manifest: dict[str, str]) -> None:
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _check_location(directory: Path, root: Path) -> None:
    if directory.resolve().parent != root.resolve():
        raise InvalidInput(
            _("the working copy {directory} is not a folder of the kit's root {root}").format(
                directory=directory, root=root
            ),
            resource="working copy",
            fix=_("choose a folder beside notebooks/ (the notebooks open ../lambda_function.py), e.g. my-notebooks"),
        )


def ensure(directory: Path | None = None, source: Path = NOTEBOOKS_DIR, *, root: Path = KIT_ROOT) -> CopyReport:
    """Make the copy, or complete it with notebooks new in ``source``; never overwrite a notebook."""
    directory = directory or lab_dir()
    _check_location(directory, root)
    report = CopyReport(directory, created=not directory.exists())
    directory.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(directory)
    for src in workshop_notebooks(source):
        dst = directory / src.name
        if not dst.exists():
            shutil.copyfile(src, dst)
            manifest[src.name] = _sha256(src)
            report.added.append(src.name)
        elif manifest.get(src.name) not in (None, _sha256(src)):
            report.outdated.append(src.name)
    _save_manifest(directory, manifest)
    return report


def edited(directory: Path | None = None, source: Path = NOTEBOOKS_DIR) -> list[str]:
    """The workshop notebooks of the copy that differ from their notebooks/ version (a reset replaces them)."""
    directory = directory or lab_dir()
    return [
        src.name
        for src in workshop_notebooks(source)
        if (directory / src.name).exists() and _sha256(directory / src.name) != _sha256(src)
    ]


def reset(directory: Path | None = None, source: Path = NOTEBOOKS_DIR, *, root: Path = KIT_ROOT) -> list[str]:
    """Replace every workshop notebook of the copy with its notebooks/ version; other files are kept.

    Returns the notebooks whose content changed (the learner's edits there are gone).
    """
    directory = directory or lab_dir()
    _check_location(directory, root)
    replaced = edited(directory, source)
    directory.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(directory)
    for src in workshop_notebooks(source):
        shutil.copyfile(src, directory / src.name)
        manifest[src.name] = _sha256(src)
    _save_manifest(directory, manifest)
    return replaced
