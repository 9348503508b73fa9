"""What changes later on AWS: deadlines per key, and values that take effect at a time (the timing rules' state).

Two shapes cover every delay of the timing model (``timing.py``):

- ``Deadlines``: something keyed (a new role, a deployed stage, a deleting table, a written item) is in a state
  until a time drawn from its rule's range; ``until(key)`` answers while it is, None once it is over, and the
  owner's ``on_end`` completes what the state delayed (moto deletes the table) before anyone sees it over.
- ``Propagation``: a value keyed (a role's policy set, a function's resource policy) changes, and callers keep
  seeing the old value until the change's effective time. Several changes in a row take effect in order, never
  one before an earlier one; once every change has taken effect, the owner reads the source again.

Both are thread-safe and forget what is over. With the timing off every deadline is now: nothing is recorded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .timing import Delay, Timing

log = logging.getLogger("workshop_lib.local")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Deadlines(Generic[K]):
    """Keys in a state until a drawn time; ``on_end(key)`` runs once when a key's state is found over."""

    def __init__(self, timing: Timing, delay: Delay, on_end: Callable[[K], None] | None = None) -> None:
        self.timing = timing
        self.delay = delay
        self.on_end = on_end
        self._until: dict[K, float] = {}
        # Reentrant, and held while on_end runs: nobody sees a key's state over before its end has been acted on.
        self._lock = threading.RLock()

    def start(self, key: K, *, after: float | None = None) -> float:
        """Put ``key`` in the state from now on for a drawn time (not ending before ``after``); returns the end."""
        end = self.timing.deadline(self.delay)
        if after is not None:
            end = max(end, after)
        if end > self.timing.now():
            with self._lock:
                self._until[key] = end
        return end

    def until(self, key: K) -> float | None:
        """When ``key``'s state ends, None when it is not (or no longer) in it."""
        with self._lock:
            self.expire()
            return self._until.get(key)

    def active(self, key: K) -> bool:
        return self.until(key) is not None

    def pending(self) -> dict[K, float]:
        """Every key still in the state, with its end."""
        with self._lock:
            self.expire()
            return dict(self._until)

    def expire(self) -> list[K]:
        """Forget every key whose state is over, running ``on_end`` for each; returns them."""
        now = self.timing.now()
        with self._lock:
            done = [key for key, end in self._until.items() if end <= now]
            for key in done:
                del self._until[key]
                if self.on_end is not None:
                    try:
                        self.on_end(key)
                    except Exception:  # the state is over all the same; the owner's failure is logged
                        log.exception("ending the timed state of %r failed", key)
            return done


@dataclass
class _Version(Generic[V]):
    effective_at: float
    value: V


class Propagation(Generic[K, V]):
    """Values that change now and take effect for their readers after a drawn delay."""

    def __init__(self, timing: Timing, delay: Delay) -> None:
        self.timing = timing
        self.delay = delay
        self._versions: dict[K, list[_Version[V]]] = {}
        self._lock = threading.Lock()

    def seen(self, key: K) -> tuple[bool, V | None]:
        """``(True, value)`` while a change of ``key`` is propagating (the value its readers see now), else
        ``(False, None)``: every change has taken effect and the source holds what readers see."""
        now = self.timing.now()
        with self._lock:
            versions = self._versions.get(key)
            if not versions:
                return False, None
            while len(versions) > 1 and versions[1].effective_at <= now:
                versions.pop(0)
            if len(versions) == 1:
                del self._versions[key]
                return False, None
            return True, versions[0].value

    def change(self, key: K, before: V, after: V) -> float:
        """Record that ``key`` changed from ``before`` (what readers saw until now) to ``after``; returns when
        ``after`` takes effect. A change already propagating keeps its place: ``before`` is then ignored."""
        propagating, _ = self.seen(key)
        effective = self.timing.deadline(self.delay)
        if not propagating and effective <= self.timing.now():
            return effective  # takes effect at once (the timing is off): nothing to remember
        with self._lock:
            versions = self._versions.get(key) if propagating else None
            if versions is None:
                versions = self._versions[key] = [_Version(float("-inf"), before)]
            effective = max(effective, versions[-1].effective_at)
            versions.append(_Version(effective, after))
        return effective
