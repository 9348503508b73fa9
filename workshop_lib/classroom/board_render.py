"""The board as a projector reads it: a text table for the terminal, and an HTML page that refreshes itself.

A cell is the time its step was first seen (✔ 12:03:41) or a dot; a stuck participant's row ends with what
diagnose() reports. The HTML page is large, high-contrast, and reloads itself every ``refresh`` seconds (an
http-equiv refresh: it works opened as a file, with no server).
"""

from __future__ import annotations

import html
from collections import Counter

from .board import DONE_AT, STEPS, TITLES, Board, Cell, Row

MISSING = "–"


def _time(cell: Cell) -> str:
    if not cell.ok:
        return MISSING
    return "✔ " + (cell.first_seen.astimezone().strftime("%H:%M:%S") if cell.first_seen else "")


def summary(board: Board) -> str:
    """One line: how many participants are at each step."""
    at = Counter(r.at for r in board.rows)
    order = [*STEPS[: STEPS.index(DONE_AT) + 1], "done"]
    parts = [f"{at[s]} at {TITLES.get(s, s)}" for s in order if at[s]]
    stuck = sum(r.stuck for r in board.rows)
    return f"{len(board.rows)} participants: " + ", ".join(parts) + (f"; {stuck} stuck" if stuck else "")


def _note(row: Row) -> str:
    if row.stuck:
        return f"STUCK at {TITLES[row.at]}: {row.diagnosis}"
    details = [c.detail for s, c in row.cells.items() if s == row.at and c.detail]
    return details[0] if details else ""


def render_text(board: Board, *, width: int = 120) -> str:
    """The board as a fixed-width table (the terminal's `class status`); a row's note on the line under it."""
    headers = ["participant", *(TITLES[s] for s in STEPS)]
    rows = [[r.name, *(_time(r.cells[s]) for s in STEPS)] for r in board.rows]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    stamp = board.read_at.astimezone().strftime("%H:%M:%S")
    out = [f"class status at {stamp} (read in {board.seconds:.1f} s): {summary(board)}", ""]
    out.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    out.append("  ".join("-" * w for w in widths))
    for r, row in zip(board.rows, rows, strict=True):
        out.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
        note = _note(r)
        if note:
            out.append(("    -> " + note)[:width])
    return "\n".join(out)


_STYLE = """
body { font-family: system-ui, sans-serif; background: #111; color: #eee; margin: 24px; }
h1 { font-size: 34px; margin: 0 0 6px 0; }
p.summary { font-size: 24px; margin: 0 0 18px 0; color: #ccc; }
table { border-collapse: collapse; width: 100%; }
th, td { font-size: 26px; padding: 8px 12px; border-bottom: 2px solid #333; text-align: left; white-space: nowrap; }
tr.has-note td { border-bottom: none; }
th { color: #aaa; font-weight: 600; }
td.name { font-weight: 700; font-size: 28px; }
td.ok { background: #1d5e2a; color: #fff; }
td.no { color: #777; text-align: center; font-size: 30px; }
td.note { white-space: normal; font-size: 22px; color: #ddd; padding: 2px 12px 10px 48px; }
tr.note.stuck td.note { color: #ffb3b3; font-weight: 600; }
tr.stuck td.name { color: #ff8080; }
tr.done td.name { color: #8fe39c; }
"""


def _cell_html(cell: Cell) -> str:
    if not cell.ok:
        return f'<td class="no" title="{html.escape(cell.detail)}">{MISSING}</td>'
    when = cell.first_seen.astimezone().strftime("%H:%M:%S") if cell.first_seen else ""
    return f'<td class="ok" title="{html.escape(cell.detail)}">✔ {when}</td>'


def render_html(board: Board, *, refresh: int = 5, title: str = "Workshop class") -> str:
    """The board as an HTML page that reloads itself every ``refresh`` seconds."""
    head = "".join(f"<th>{html.escape(TITLES[s])}</th>" for s in STEPS)
    rows = []
    for r in board.rows:
        kind = "stuck" if r.stuck else "done" if r.done else ""
        cells = "".join(_cell_html(r.cells[s]) for s in STEPS)
        note = _note(r)
        rows.append(
            f'<tr class="{kind}{" has-note" if note else ""}"><td class="name">{html.escape(r.name)}</td>{cells}</tr>'
        )
        if note:  # on a row of its own, the table's whole width: long diagnoses wrap there
            rows.append(
                f'<tr class="note {kind}"><td class="note" colspan="{len(STEPS) + 1}">{html.escape(note)}</td></tr>'
            )
    stamp = board.read_at.astimezone().strftime("%H:%M:%S")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{int(refresh)}">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}: section 8.2, step by step</h1>"
        f'<p class="summary">{html.escape(summary(board))}. Read at {stamp}; this page reloads every '
        f"{int(refresh)} s.</p>"
        f"<table><thead><tr><th>participant</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></body></html>\n"
    )
