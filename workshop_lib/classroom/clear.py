"""`class clear`: delete every participant's resources and the shared endpoint, then prove nothing is left.

Each participant's resources go with the kit's own clean-up (``cleanup``: only what carries the kit's tag and
that participant's prefix), participants in parallel threads; DeleteRestApi is paced by api_quotas once the
account refuses one (1 per 30 s on AWS: a class of 30 takes a quarter of an hour). The shared endpoint (the
class's shared prefix) goes last, once no Lambda points at it. Every step is idempotent, so a second run after
an interruption does what is left. The proof is a fresh listing of everything the kit tagged in the region
(inventory.py): what still carries one of the class's prefixes is listed with why it could not be deleted;
resources of other prefixes are listed as left alone.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO

from ..api_quotas import paced_by_refusals
from ..cleanup import cleanup
from ..config import CLASS_SHARED_PREFIX
from ..connect import Connection
from ..errors import WorkshopError
from .connections import class_connection, for_participant, for_shared
from .inventory import Tagged, kit_tagged, log_groups_of
from .roster import Roster

DEFAULT_WORKERS = 8


@dataclass
class Clearing:
    """What clear deleted, what failed (and why), and the proof: what the kit's tag still marks in the region."""

    deleted: dict[str, list[str]] = field(default_factory=dict)  # prefix -> "kind name"
    failures: dict[str, str] = field(default_factory=dict)  # prefix -> why
    left: list[Tagged] = field(default_factory=list)  # the class's, still there
    left_log_groups: list[str] = field(default_factory=list)
    others: list[Tagged] = field(default_factory=list)  # other prefixes': not the class's, left alone

    @property
    def ok(self) -> bool:
        return not (self.left or self.left_log_groups or self.failures)

    def why(self, item: Tagged) -> str:
        return self.failures.get(item.participant, "still listed after its clean-up (run clear again)")

    def __str__(self) -> str:
        count = sum(len(v) for v in self.deleted.values())
        lines = [f"deleted {count} resources of {len(self.deleted)} prefixes"]
        lines += [f"  FAILED for {p}: {why}" for p, why in self.failures.items()]
        if self.ok:
            lines.append("proof: nothing tagged by the kit for this class is left in the region")
        else:
            lines.append(f"NOT cleared: {len(self.left) + len(self.left_log_groups)} resources of the class are left:")
            lines += [f"  {item}: {self.why(item)}" for item in self.left]
            lines += [f"  log group {g}: still listed after its clean-up" for g in self.left_log_groups]
        if self.others:
            lines.append(f"left alone, not this class's ({len(self.others)} resources of other prefixes):")
            lines += [f"  {item}" for item in self.others[:20]]
        return "\n".join(lines)


def _clear_one(conn: Connection) -> tuple[list[str], str]:
    try:
        return [f"{r.kind} {r.name}" for r in cleanup(conn)], ""
    except WorkshopError as exc:
        return [], exc.message + (f" (fix: {exc.fix})" if exc.fix else "")
    except Exception as exc:  # noqa: BLE001 - one participant's failure is reported, the others are cleared
        return [], f"{type(exc).__name__}: {exc}"


def clear_class(roster: Roster, *, workers: int = DEFAULT_WORKERS, out: IO[str] | None = None) -> Clearing:
    """Delete every participant's resources, then the shared endpoint's; return the proof."""
    with paced_by_refusals():
        return _clear_class(roster, workers, out)


def _clear_class(roster: Roster, workers: int, out: IO[str] | None) -> Clearing:
    out = out or sys.stdout
    base = class_connection(roster)
    result = Clearing()

    def one(name: str) -> tuple[str, list[str], str]:
        deleted, why = _clear_one(for_participant(base, name))
        out.write(f"{name}: " + (f"FAILED: {why}" if why else f"{len(deleted)} resources deleted") + "\n")
        out.flush()
        return name, deleted, why

    pool = ThreadPoolExecutor(max(1, workers))
    try:
        outcomes = list(pool.map(one, roster.names()))
    except KeyboardInterrupt:  # those not started yet are not started; run clear again to go on
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown()
    outcomes.append((CLASS_SHARED_PREFIX, *_clear_one(for_shared(base))))
    for name, deleted, why in outcomes:
        result.deleted[name] = deleted
        if why:
            result.failures[name] = why
    prefixes = {*roster.names(), CLASS_SHARED_PREFIX}
    for item in kit_tagged(base):
        (result.left if item.participant in prefixes else result.others).append(item)
    result.left_log_groups = log_groups_of(base, sorted(prefixes))
    return result
