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
    "09_cleanup": (),
}


def notebook_name(notebook: str) -> str:
    """The full name of a workshop notebook from its number ("08_2a"), its name, or its file name."""
    key = notebook.strip().removesuffix(".ipynb").replace("\\", "/").rsplit("/", 1)[-1]
    matches = [n for n in NEEDS if n == key or n.startswith(f"{key}_")]
    if len(matches) != 1:
        raise InvalidInput(
            f"no workshop notebook {notebook!r}" if not matches else f"{notebook!r} names several notebooks",
            resource="notebook",
            fix="use a notebook's number or name: " + ", ".join(f'"{_short(n)}"' for n in NEEDS),
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
        runs = ", ".join(self.notebooks_to_run)
        return f"run {runs} first, or build what is missing with their own steps in one call:  {self.prepare_line}"

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {"needed": s.what, "made by": s.piece.notebook, "status": "✔ there" if s.ok else f"✘ missing: {s.missing}"}
            for s in self.statuses
        ]
        return pd.DataFrame(rows, columns=["needed", "made by", "status"])

    def __str__(self) -> str:
        if not self.statuses:
            return f"{self.notebook} needs nothing from the earlier notebooks"
        head = f"{self.notebook} needs {len(self.statuses)} pieces; " + (
            "all are there" if self.ok else f"{len(self.missing)} missing"
        )
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
        if self.ok:
            return f"<p><b>{html.escape(self.notebook)}</b>: everything it needs is there</p>{table}"
        runs = html.escape(", ".join(self.notebooks_to_run))
        return (
            f"<p><b>{html.escape(self.notebook)}</b>: {len(self.missing)} of {len(self.statuses)} pieces are "
            f"missing</p>{table}<p>Run <b>{runs}</b> first, or build what is missing with their own steps "
            f"in one call:</p><pre>{html.escape(self.prepare_line)}</pre>"
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
        return f"could not check ({exc.response['Error']['Code']}: {exc.response['Error'].get('Message', '')})"
    except WorkshopError as exc:  # e.g. an API of the kit's name that the kit did not create
        return exc.message


def check_prerequisites(notebook: str, *, conn: Connection | None = None) -> Prerequisites:
    """The notebook's first check: show what it needs; raise StepFailed naming what is missing and the fix."""
    from IPython.display import display

    report = prerequisites(notebook, conn=conn)
    if not report.ok:
        display(report)
        raise StepFailed(
            f"CHECK FAILED: {report.notebook} needs {len(report.missing)} pieces that are missing (the table above): "
            + ", ".join(s.piece.key for s in report.missing),
            fix=report.advice(),
        )
    if report.statuses:
        display(report)
    check(True, str(report).splitlines()[0])
    return report


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
            [{"notebook": s.notebook, "call": s.call, "seconds": round(s.seconds, 2)} for s in self.steps],
            columns=["notebook", "call", "seconds"],
        )

    def __str__(self) -> str:
        done = "\n".join(f"  {s.notebook}: {s.call} ({s.seconds:.1f} s)" for s in self.steps)
        return f"prepared {self.notebook}: " + (f"{len(self.steps)} calls\n{done}" if self.steps else "nothing to do")

    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(self.notebook)}</b>: " + (
            f"{len(self.steps)} calls made</p>" if self.steps else "nothing was missing, nothing was done</p>"
        )
        return head + (_html_table(self.to_frame()) if self.steps else "")


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
                f"preparing {name}: {piece.notebook}'s {call} failed: {exc.message}", resource=exc.resource, fix=exc.fix
            ) from exc
        steps.append(Step(piece.notebook, call, time.perf_counter() - start))
    after = prerequisites(name, conn=conn)
    check(after.ok, f"everything {name} needs is there", str(after))
    return Preparation(name, steps, after)
