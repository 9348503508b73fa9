"""Observing a timing rule of the local cloud from outside, through boto3, without timed assertions on speed.

A rule says: after a change, the old state holds for a drawn delay within [low, high] (scaled), then the new one.
``observe`` makes the change, then probes until the new state shows, and checks every probe against what the
rule allows, by ordering alone:

- a probe answered less than ``low`` after the change was sent must show the old state (before the lower bound);
- a probe showing the new state must have been answered at least ``low`` after the change was sent (not before);
- a probe sent more than ``high`` after the change was answered must show the new state (``slack`` widens this for
  rules whose clock starts a little after the call returns, e.g. log delivery);
- so the new state shows in the end (the loop ends by one of the two).

Whether the first probe came early enough to see the old state depends on this machine's speed, so a scenario can
be run again (``attempts``) until one did; that is about getting a conclusive sample, not about speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Probe(Generic[T]):
    sent: float  # seconds after the change was sent
    answered: float
    value: T
    new: bool


@dataclass
class Transition(Generic[T]):
    low: float
    high: float
    change_answered: float  # seconds after the change was sent
    probes: list[Probe[T]] = field(default_factory=list)

    @property
    def saw_old_first(self) -> bool:
        return bool(self.probes) and not self.probes[0].new

    @property
    def first_probe_conclusive(self) -> bool:
        """The first probe was answered before the lower bound: it had to show the old state."""
        return bool(self.probes) and self.probes[0].answered < self.low

    def describe(self) -> str:
        rows = [f"  {p.sent:.3f}-{p.answered:.3f} s: {'new' if p.new else 'old'} {p.value!r}" for p in self.probes]
        head = f"delay {self.low:.3f}..{self.high:.3f} s, change answered at {self.change_answered:.3f} s"
        return "\n".join([head, *rows])


def observe(
    change: Callable[[], object],
    probe: Callable[[], T],
    is_new: Callable[[T], bool],
    *,
    low: float,
    high: float,
    slack: float = 0.0,
    interval: float = 0.02,
) -> Transition[T]:
    """Make the change, probe until the new state shows, and check each probe against the rule's bounds."""
    start = time.monotonic()
    change()
    seen = Transition[T](low, high, time.monotonic() - start)
    while True:
        sent = time.monotonic() - start
        value = probe()
        answered = time.monotonic() - start
        probe_ = Probe(sent, answered, value, is_new(value))
        seen.probes.append(probe_)
        if probe_.new:
            assert answered >= low, f"the new state showed before the lower bound:\n{seen.describe()}"
            return seen
        outlived = sent > seen.change_answered + high + slack
        assert not outlived, f"the old state outlived the upper bound:\n{seen.describe()}"
        time.sleep(interval)


def observe_from_the_start(scenario: Callable[[], Transition[T]], attempts: int = 5) -> Transition[T]:
    """Run a scenario (each run with fresh resources) until its first probe was conclusive, and check that this
    probe saw the old state; every run's probes are checked by ``observe`` itself."""
    runs = []
    for _ in range(attempts):
        seen = scenario()
        runs.append(seen)
        if seen.first_probe_conclusive:
            assert seen.saw_old_first, f"right after the change the new state showed:\n{seen.describe()}"
            return seen
    details = "\n".join(run.describe() for run in runs)
    raise AssertionError(f"no run probed before the lower bound (machine too busy to observe it):\n{details}")


def settle(probe: Callable[[], T], done: Callable[[T], bool], timeout: float = 60.0, interval: float = 0.05) -> T:
    """Probe until ``done`` (a set-up step waiting for an earlier change to take effect); fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"still {value!r} after {timeout} s"
        time.sleep(interval)
