"""What each notebook needs from the earlier ones: check it, name what is missing, build it on request.

A learner may open any notebook first, for instance 08_2a (the seed's own step). Its first cell after
``connect`` calls ``check_prerequisites("08_2a")``: a table of what the notebook needs (the endpoint, the
role and its policies, the function, the API, the table, ...), which notebook makes each piece, and
whether it is there. When something is missing it shows the one line that builds it,
``prepare_for("08_2a")``, which runs the earlier notebooks' own workshop_lib calls, in their order, for
the missing pieces only (so it is idempotent: a second call builds nothing).
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field

import pandas as pd
from botocore.exceptions import ClientError

from .connect import Connection, current
from .errors import InvalidInput, StepFailed, WorkshopError
from .i18n import _
from .notebook import check
from .notebook_pieces import NB06, NB07, NB08_1, NB08_2A, PIECES, Piece


@dataclass(frozen=True)
class Status:
    piece: Piece
    what: str
    missing: str | None  # None: it is there

    @property
    def ok(self) -> bool:
        return self.missing is None


_SECTION7 = ("endpoint", "role", "invoke-endpoint policy", "logs policy", "function", "ENDPOINT_NAME", "api")
# What each notebook needs before its first step (read from the notebooks' cells).
NEEDS: dict[str, tuple[str, ...]] = {
    "00_setup": (),
    NB06: (),
    NB07: ("endpoint",),
    NB08_1: (),
    NB08_2A: (*_SECTION7, "section 7 code", "table"),
    "08_2b_troubleshooting": (*_SECTION7, "table", "new code", "DYNAMODB_TABLE", "metadata-write policy"),
    # 8.3 reads the metrics of the Lambda that 08_2a deployed and 08_2b left repaired: the same pieces.
    "08_3_monitoring": (*_SECTION7, "table", "new code", "DYNAMODB_TABLE", "metadata-write policy"),
    "09_cleanup": (),
}


def notebook_name(notebook: str) -> str:
    """The full name of a workshop notebook from its number ("08_2a"), its name, or its file name."""
    key = notebook.strip().removesuffix(".ipynb").replace("\\", "/").rsplit("/", 1)[-1]
    matches = [n for n in NEEDS if n == key or n.startswith(f"{key}_")]
    if len(matches) != 1:
        problem = _("no workshop notebook {name!r}") if not matches else _("{name!r} names several notebooks")
        raise InvalidInput(
            problem.format(name=notebook),
            resource="notebook",
            fix=_("use a notebook's number or name: {names}").format(names=", ".join(f'"{_short(n)}"' for n in NEEDS)),
        )
    return matches[0]


def _short(name: str) -> str:
    parts = name.split("_")
    return "_".join(parts[:2]) if parts[0] == "08" else parts[0]  # "08_2a", "08_1", "06"


def short_name(notebook: str) -> str:
    """The short name: "08_2a" for 08_2a_update_lambda, "06" for 06_model_endpoint: what prepare_for is called with."""
    return _short(notebook_name(notebook))


@dataclass
class Prerequisites:
    """What a notebook needs, each piece with the notebook that makes it and whether it is there."""

    notebook: str
    statuses: list[Status] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.statuses)

    @property
    def missing(self) -> list[Status]:
        return [s for s in self.statuses if not s.ok]

    @property
    def notebooks_to_run(self) -> list[str]:
        """The earlier notebooks that make the missing pieces, in workshop order."""
        return sorted({s.piece.notebook for s in self.missing})

    @property
    def prepare_line(self) -> str:
        return f'wl.prepare_for("{short_name(self.notebook)}")'

    def advice(self) -> str:
        """What to do when something is missing ('' when nothing is)."""
        if self.ok:
            return ""
        return _("run {notebooks} first, or build what is missing with their own steps in one call:  {line}").format(
            notebooks=", ".join(self.notebooks_to_run), line=self.prepare_line
        )

    def to_frame(self) -> pd.DataFrame:
        columns = [_("needed"), _("made by"), _("status")]
        rows = [
            [s.what, s.piece.notebook, "✔ " + _("there") if s.ok else "✘ " + _("missing: {why}").format(why=s.missing)]
            for s in self.statuses
        ]
        return pd.DataFrame(rows, columns=columns)

    def __str__(self) -> str:
        if not self.statuses:
            return _("{notebook} needs nothing from the earlier notebooks").format(notebook=self.notebook)
        head = (
            _("{notebook} needs {count} pieces; all are there")
            if self.ok
            else _("{notebook} needs {count} pieces; {missing} missing")
        ).format(notebook=self.notebook, count=len(self.statuses), missing=len(self.missing))
        lines = [head] + [
            f"  {'✔' if s.ok else '✘'} {s.what} [{s.piece.notebook}]" + (f": {s.missing}" if s.missing else "")
            for s in self.statuses
        ]
        if not self.ok:
            lines.append(f"  -> {self.advice()}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if not self.statuses:
            return f"<p>{html.escape(str(self))}</p>"
        table = _html_table(self.to_frame())
        name = f"<b>{html.escape(self.notebook)}</b>"
        if self.ok:
            return "<p>" + _("{notebook}: everything it needs is there").format(notebook=name) + f"</p>{table}"
        runs = f"<b>{html.escape(', '.join(self.notebooks_to_run))}</b>"
        return (
            "<p>"
            + _("{notebook}: {missing} of {count} pieces are missing").format(
                notebook=name, missing=len(self.missing), count=len(self.statuses)
            )
            + f"</p>{table}<p>"
            + _("Run {notebooks} first, or build what is missing with their own steps in one call:").format(
                notebooks=runs
            )
            + f"</p><pre>{html.escape(self.prepare_line)}</pre>"
        )


def _html_table(frame: pd.DataFrame) -> str:
    """A small table, left-aligned (JupyterLab right-aligns a DataFrame's cells, which reads badly for text)."""
    cell = 'style="text-align: left; padding: 2px 12px 2px 0"'
    head = "".join(f"<th {cell}>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td {cell}>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def prerequisites(notebook: str, *, conn: Connection | None = None) -> Prerequisites:
    """What ``notebook`` needs from the earlier ones, and whether each piece is there (nothing is changed)."""
    conn = conn or current()
    name = notebook_name(notebook)
    wanted = set(NEEDS[name])
    statuses = [Status(p, p.describe(conn), _probe(p, conn)) for p in PIECES if p.key in wanted]
    return Prerequisites(name, statuses)


def _probe(piece: Piece, conn: Connection) -> str | None:
    try:
        return piece.probe(conn)
    except ClientError as exc:  # e.g. AccessDenied on a real account: say so rather than fail the check
        return _("could not check ({code}: {message})").format(
            code=exc.response["Error"]["Code"], message=exc.response["Error"].get("Message", "")
        )
    except WorkshopError as exc:  # e.g. an API of the kit's name that the kit did not create
        return exc.message


def check_prerequisites(notebook: str, *, conn: Connection | None = None) -> Prerequisites:
    """The notebook's first check: show what it needs; raise StepFailed naming what is missing and the fix."""
    from IPython.display import display

    report = prerequisites(notebook, conn=conn)
    if not report.ok:
        display(report)
        raise StepFailed(
            _("CHECK FAILED: {notebook} needs {count} pieces that are missing (the table above): {pieces}").format(
                notebook=report.notebook,
                count=len(report.missing),
                pieces=", ".join(s.piece.key for s in report.missing),
            ),
            fix=report.advice(),
        )
    check(True, str(report).splitlines()[0])
    return report  # the cell's last value: the notebook shows its table once, under the check


@dataclass(frozen=True)
class Step:
    notebook: str
    call: str
    seconds: float


@dataclass
class Preparation:
    """What prepare_for did: the calls it made (none when everything was there), and the final check."""

    notebook: str
    steps: list[Step]
    after: Prerequisites

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [[s.notebook, s.call, round(s.seconds, 2)] for s in self.steps],
            columns=[_("notebook"), _("call"), _("seconds")],
        )

    def __str__(self) -> str:
        if not self.steps:
            return _("prepared {notebook}: nothing to do").format(notebook=self.notebook)
        done = "\n".join(f"  {s.notebook}: {s.call} ({s.seconds:.1f} s)" for s in self.steps)
        head = _("prepared {notebook}: {count} calls").format(notebook=self.notebook, count=len(self.steps))
        return f"{head}\n{done}"

    def _repr_html_(self) -> str:
        name = f"<b>{html.escape(self.notebook)}</b>"
        if not self.steps:
            return "<p>" + _("{notebook}: nothing was missing, nothing was done").format(notebook=name) + "</p>"
        head = _("{notebook}: {count} calls made").format(notebook=name, count=len(self.steps))
        return f"<p>{head}</p>" + _html_table(self.to_frame())


def prepare_for(notebook: str, *, conn: Connection | None = None, verbose: bool = True) -> Preparation:
    """Build what ``notebook`` needs and is missing, with the earlier notebooks' calls in their order.

    Pieces that are there are left as they are, so calling it again does nothing. On the aws target
    this creates billable resources (above all the SageMaker endpoint, which takes minutes).
    """
    conn = conn or current()
    name = notebook_name(notebook)
    wanted = set(NEEDS[name])
    steps: list[Step] = []
    for piece in PIECES:
        if piece.key not in wanted or _probe(piece, conn) is None:
            continue
        call = piece.calls(conn)
        if verbose:
            print(f"{piece.notebook}: {call}", flush=True)  # noqa: T201 - progress the learner watches
        start = time.perf_counter()
        try:
            piece.build(conn)
        except WorkshopError as exc:
            raise type(exc)(
                _("preparing {notebook}: {maker}'s {call} failed: {error}").format(
                    notebook=name, maker=piece.notebook, call=call, error=exc.message
                ),
                resource=exc.resource,
                fix=exc.fix,
            ) from exc
        steps.append(Step(piece.notebook, call, time.perf_counter() - start))
    after = prerequisites(name, conn=conn)
    check(after.ok, _("everything {notebook} needs is there").format(notebook=name), str(after))
    return Preparation(name, steps, after)
