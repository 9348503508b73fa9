"""The progress of a class's preparation: one bar per participant and one overall (tqdm on a terminal).

Without a terminal (a log file, a test) each finished step is one line instead, so the output stays readable.
Every method may be called from any participant's thread.
"""

from __future__ import annotations

import threading
from typing import IO, Any


class Progress:
    """Bars of ``totals`` (participant -> steps to make), plus the overall bar, written to ``out``."""

    def __init__(self, totals: dict[str, int], out: IO[str], *, bars: bool | None = None) -> None:
        self.totals = dict(totals)
        self.done = dict.fromkeys(totals, 0)
        self.out = out
        self.bars = out.isatty() if bars is None else bars
        self._lock = threading.Lock()
        self._tqdm: dict[str, Any] = {}
        if self.bars:
            from tqdm import tqdm

            width = max((len(n) for n in totals), default=5)
            self._tqdm["overall"] = tqdm(
                total=sum(totals.values()), desc="class".ljust(width), unit="step", file=out, position=0
            )
            for i, name in enumerate(totals, start=1):
                self._tqdm[name] = tqdm(
                    total=totals[name], desc=name.ljust(width), unit="step", file=out, position=i, leave=True
                )

    def step(self, name: str, what: str) -> None:
        """One of ``name``'s steps is done (``what``: the notebook's call)."""
        with self._lock:
            self.done[name] += 1
            if self.bars:
                self._tqdm[name].set_postfix_str(what[:50], refresh=False)
                self._tqdm[name].update(1)
                self._tqdm["overall"].update(1)
                return
            total = sum(self.totals.values())
            self.out.write(
                f"{name}: {self.done[name]}/{self.totals[name]} {what}   (class: {sum(self.done.values())}/{total})\n"
            )
            self.out.flush()

    def finish(self, name: str, message: str) -> None:
        """``name`` is done (or failed): ``message`` says how."""
        with self._lock:
            # Two pieces can be made by one call (the function and its section 7 code): the bar ends full.
            self.totals[name] = self.done[name]
            if self.bars:
                bar = self._tqdm[name]
                bar.total = bar.n
                bar.set_postfix_str(message[:50])
                self._tqdm["overall"].total = sum(self.totals.values())
                self._tqdm["overall"].refresh()
                return
            self.out.write(f"{name}: {message}\n")
            self.out.flush()

    def close(self) -> None:
        for bar in self._tqdm.values():
            bar.close()
