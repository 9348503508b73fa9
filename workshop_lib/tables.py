"""Tables a notebook shows: HTML in JupyterLab and nbconvert, aligned text in a console or a papermill log.

A ``Table`` is a display object (``_repr_html_`` for notebooks, ``_repr_pretty_``/``str`` for plain text);
the data behind it stays with the function that returned it. A row may carry a tone: "ok" and "bad" colour
its mark column green or red, "old" greys the row (a line that is reported but no longer counts).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

TONES = ("", "ok", "bad", "old")
_CELL = "text-align:left;vertical-align:top;padding:2px 8px;white-space:pre-wrap"
_BREAKABLE = _CELL + ";overflow-wrap:anywhere"
_LONG_WORD = 40  # a cell with a longer word (an ARN) may break inside it; ids (36) and times stay whole
_TONE_STYLE = {"": "", "ok": "color:#1a7f37;font-weight:bold", "bad": "color:#cf222e;font-weight:bold", "old": ""}
_ROW_STYLE = {"": "", "ok": "", "bad": "", "old": "color:#6e7781"}


@dataclass(frozen=True)
class Table:
    """Rows of text under named columns; ``tones`` (one per row, optional) colour the first column or grey a row."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    tones: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())  # lines shown under the table
    marked: int = 0  # the column a row's tone colours ("ok" green, "bad" red)

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row has {len(row)} cells for {len(self.columns)} columns: {row}")
        if self.tones and len(self.tones) != len(self.rows):
            raise ValueError(f"{len(self.tones)} tones for {len(self.rows)} rows")
        unknown = set(self.tones) - set(TONES)
        if unknown:
            raise ValueError(f"unknown tone(s) {sorted(unknown)}: use one of {TONES}")

    @classmethod
    def of(
        cls,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        title: str = "",
        tones: Sequence[str] = (),
        notes: Sequence[str] = (),
        marked: int = 0,
    ) -> Table:
        """A table from any cell values (None shows as an empty cell, everything else as ``str``)."""
        text_rows = tuple(tuple("" if v is None else str(v) for v in row) for row in rows)
        return cls(tuple(columns), text_rows, title, tuple(tones), tuple(notes), marked)

    def tone(self, i: int) -> str:
        return self.tones[i] if self.tones else ""

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows), columns=list(self.columns))

    def __str__(self) -> str:
        widths = [max([len(c), *(len(_first_line(r[i])) for r in self.rows)]) for i, c in enumerate(self.columns)]
        widths = [min(w, 60) for w in widths]

        def line(cells: Sequence[str]) -> str:
            padded = [c.ljust(w) for c, w in zip(cells[:-1], widths, strict=False)]
            return "  ".join([*padded, cells[-1]]).rstrip()

        out = [self.title] if self.title else []
        out += [line(self.columns), line(["-" * w for w in widths])]
        indent = " " * sum(w + 2 for w in widths[:-1])
        for row in self.rows:
            last, *more = row[-1].split("\n")
            out.append(line([*(c.replace("\n", " | ") for c in row[:-1]), last]))
            out += [indent + extra for extra in more]  # the last cell's further lines (a traceback), indented
        out += list(self.notes)
        return "\n".join(out)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        head = "".join(f'<th style="{_CELL}">{html.escape(c)}</th>' for c in self.columns)
        body = []
        for i, row in enumerate(self.rows):
            tone = self.tone(i)
            cells = [
                f'<td style="{_cell_style(cell)};{_TONE_STYLE[tone] if j == self.marked else ""}">'
                f"{html.escape(cell)}</td>"
                for j, cell in enumerate(row)
            ]
            body.append(f'<tr style="{_ROW_STYLE[tone]}">{"".join(cells)}</tr>')
        title = f"<p><b>{html.escape(self.title)}</b></p>" if self.title else ""
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        return f"{title}<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{notes}"


class ShownAsTable:
    """A result a notebook shows as its ``table()``: HTML in JupyterLab and nbconvert, aligned text elsewhere."""

    def table(self) -> Table:
        raise NotImplementedError

    def __str__(self) -> str:
        return str(self.table())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def _cell_style(cell: str) -> str:
    return _BREAKABLE if any(len(word) > _LONG_WORD for word in cell.split()) else _CELL


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0]
