"""A unified diff as a notebook shows it: whole, coloured (added green, removed red, hunks blue), never cut.

``DiffView(code_diff(...))`` is a display object: HTML in JupyterLab and nbconvert, the diff's own text in a
console or a papermill log. ``code_diff`` still returns the plain text (the notebooks' checks compare it).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

_STYLE = {
    "+": "background:#e6ffec;color:#116329",
    "-": "background:#ffebe9;color:#82071e",
    "@": "background:#ddf4ff;color:#0550ae",
    " ": "",
}
_PRE = "font-family:monospace;font-size:12px;line-height:1.35;margin:0;padding:4px 0;white-space:pre;overflow-x:auto"


@dataclass(frozen=True)
class DiffView:
    """A unified diff (as ``difflib.unified_diff`` writes it) shown whole; ``title`` names what is compared."""

    diff: str
    title: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.diff, str):
            raise TypeError(f"DiffView takes the diff's text (a str), not {type(self.diff).__name__}")

    @property
    def added(self) -> int:
        return sum(1 for line in self._body() if line.startswith("+"))

    @property
    def removed(self) -> int:
        return sum(1 for line in self._body() if line.startswith("-"))

    def _body(self) -> list[str]:
        """The diff's lines without its two file headers (--- and +++)."""
        return [line for line in self.diff.splitlines() if not line.startswith(("--- ", "+++ "))]

    def summary(self) -> str:
        if not self.diff:
            return "no difference"
        return f"{self.added} line(s) added, {self.removed} removed"

    def __str__(self) -> str:
        head = f"{self.title}: {self.summary()}" if self.title else self.summary()
        return f"{head}\n{self.diff}" if self.diff else head

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        head = f"{html.escape(self.title)}: {self.summary()}" if self.title else self.summary()
        lines = []
        for line in self.diff.splitlines():
            kind = "@" if line.startswith("@@") else line[:1]
            style = "font-weight:bold" if line.startswith(("--- ", "+++ ")) else _STYLE.get(kind, "")
            lines.append(f'<div style="{style}">{html.escape(line) or "&nbsp;"}</div>')
        return f'<p><b>{head}</b></p><div style="{_PRE}">{"".join(lines)}</div>'
