"""`class prepare`: every participant's prerequisites, with the notebooks' own calls (``prepare_for``).

One shared SageMaker endpoint by default, owned by the class's shared prefix (so no participant's clean-up
ever matches it); the participants' Lambdas point at it. Participants are prepared in parallel threads:
what AWS rate-limits account-wide (CreateRestApi, CreateDeployment) is paced by api_quotas as the account
enforces it (paced_by_refusals: not at all where nothing is enforced), the rest overlaps. prepare_for
builds only what is missing, so a second run after an interruption (Ctrl-C, a failed call) makes only
the missing steps. The participants file is written before anything is built, and again with the
participants' invoke URLs at the end.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .. import api
from ..api_quotas import paced_by_refusals
from ..config import CLASS_DIR
from ..connect import Connection
from ..errors import WorkshopError
from ..notebook_prerequisites import Step, prepare_for, prerequisites, short_name
from . import roster as roster_file
from .connections import class_connection, for_participant, for_shared, shared_endpoint_name
from .progress import Progress
from .roster import Participant, Roster

DEFAULT_WORKERS = 8  # participants prepared at once: enough to overlap the paced calls, few enough for 2 cores


@dataclass(frozen=True)
class Outcome:
    """What prepare did for one participant."""

    name: str
    steps: int
    seconds: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class ClassPreparation:
    roster: Roster
    outcomes: list[Outcome] = field(default_factory=list)
    shared_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def __str__(self) -> str:
        made = sum(o.steps for o in self.outcomes)
        lines = [
            f"prepared {len(self.outcomes) - len(self.failed)} of {len(self.outcomes)} participants for "
            f"{self.roster.from_step} in {self.seconds:.1f} s ({made} steps made)"
        ]
        lines += [f"  {o.name}: FAILED: {o.error}" for o in self.failed]
        if self.failed:
            lines.append("  -> run the same command again: it makes only what is missing")
        lines.append(f"participants file: {roster_file.path(self.roster.directory)}")
        return "\n".join(lines)


def new_roster(
    names: list[str], target: str, region: str, *, shared: bool, from_step: str, directory: Path = CLASS_DIR
) -> Roster:
    """The class to prepare; participants already in ``directory``'s participants file are kept (a resumed
    or grown class), with their invoke URLs."""
    from_step = short_name(from_step)
    known: tuple[Participant, ...] = ()
    if roster_file.path(directory).exists():
        known = roster_file.load(directory).participants
    known_names = {p.name for p in known}
    people = known + tuple(Participant(n) for n in names if n not in known_names)
    endpoint = shared_endpoint_name(region) if shared else ""
    return Roster(people, target, region, endpoint, from_step, Path(directory))


def prepare_class(
    roster: Roster,
    *,
    workers: int = DEFAULT_WORKERS,
    out: IO[str] | None = None,
    bars: bool | None = None,
    on_step: Callable[[str, Step], None] | None = None,
) -> ClassPreparation:
    """Build every participant's prerequisites for ``roster.from_step``; record the participants file.

    ``on_step(name, step)`` is called after each step of each participant (tests interrupt one with it).
    A participant whose preparation fails does not stop the others; the result names them. API Gateway's
    quotas are paced as the account enforces them (api_quotas.paced_by_refusals).
    """
    with paced_by_refusals():
        return _prepare_class(roster, workers=workers, out=out, bars=bars, on_step=on_step)


def _prepare_class(
    roster: Roster,
    *,
    workers: int = DEFAULT_WORKERS,
    out: IO[str] | None = None,
    bars: bool | None = None,
    on_step: Callable[[str, Step], None] | None = None,
) -> ClassPreparation:
    out = out or sys.stdout
    start = time.perf_counter()
    roster_file.save(roster)
    base = class_connection(roster)
    result = ClassPreparation(roster)
    if roster.shared_endpoint:
        out.write(f"shared endpoint {roster.shared_endpoint}: making sure it is InService\n")
        out.flush()
        with contextlib.redirect_stdout(io.StringIO()):  # the notebooks' check lines; progress goes to `out`
            prepare_for("07", conn=for_shared(base), verbose=False)
        result.shared_seconds = time.perf_counter() - start
    conns = {p.name: for_participant(base, p.name) for p in roster.participants}
    totals = {name: len(prerequisites(roster.from_step, conn=c).missing) for name, c in conns.items()}
    progress = Progress(totals, out, bars=bars)

    def one(name: str) -> Outcome:
        began = time.perf_counter()
        made = 0

        def step(done: Step) -> None:
            nonlocal made
            made += 1
            progress.step(name, f"{done.notebook[:5]} {done.call}")
            if on_step is not None:
                on_step(name, done)

        try:
            prepare_for(roster.from_step, conn=conns[name], verbose=False, on_step=step)
        except Exception as exc:  # noqa: BLE001 - one participant's failure must not stop the class
            message = exc.message if isinstance(exc, WorkshopError) else f"{type(exc).__name__}: {exc}"
            progress.finish(name, f"FAILED after {made} steps: {message}")
            return Outcome(name, made, time.perf_counter() - began, message)
        progress.finish(name, f"ready ({made} steps made)")
        return Outcome(name, made, time.perf_counter() - began)

    pool = ThreadPoolExecutor(max(1, workers))
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            result.outcomes = list(pool.map(one, conns))
    except KeyboardInterrupt:  # those not started yet are not started; those under way finish their participant
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown()
        progress.close()
    result.roster = record_invoke_urls(roster, base)
    result.seconds = time.perf_counter() - start
    return result


def record_invoke_urls(roster: Roster, base: Connection) -> Roster:
    """The roster with each participant's invoke URL (where their API is deployed), saved to the participants file."""
    for p in roster.participants:
        try:
            url = api.invoke_url(for_participant(base, p.name))
        except WorkshopError:
            url = ""
        roster = roster.with_invoke_url(p.name, url)
    roster_file.save(roster)
    return roster
