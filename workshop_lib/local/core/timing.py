"""AWS's timing in the local cloud: the mode, the scale and the random draws every timing rule uses.

AWS is eventually consistent and rate-limited; the local cloud, built on moto, is neither. With
``WORKSHOP_LOCAL_TIMING=aws`` the local cloud keeps AWS's delays and rate limits (each rule lives in the package
of its service and cites its AWS source; docs/aws-timing.md lists them all). Off by default: without the variable,
no rule is even wired in.

- ``WORKSHOP_LOCAL_TIMING``: ``off`` (default) or ``aws``.
- ``WORKSHOP_LOCAL_TIME_SCALE``: a float > 0 (default 1.0) multiplying every delay and every rate limit's window,
  so 0.1 makes IAM's 2-8 s propagation 0.2-0.8 s and API Gateway's "1 DeleteRestApi per 30 s" 1 per 3 s.
- ``WORKSHOP_LOCAL_SEED``: an integer seeding the random draws (unset: a different sequence at every start).

Each delay is drawn at random within its range, so code cannot depend on an exact value. The variables are read
by the process that starts the local cloud (``lifecycle.start``, i.e. ``python -m workshop_lib up``), passed to
the server process as arguments, recorded in its state file, and shown by ``status`` and the health answer. Only
``workshop_lib/local/`` may name them: the kit itself never knows whether the timing is on.

The server builds one ``Timing`` at start and hands it to every package that applies a rule (no globals).
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ENV_LOCAL_TIMING = "WORKSHOP_LOCAL_TIMING"  # "off" (default) or "aws"
ENV_LOCAL_TIME_SCALE = "WORKSHOP_LOCAL_TIME_SCALE"  # float > 0 multiplying every delay (default 1.0)
ENV_LOCAL_SEED = "WORKSHOP_LOCAL_SEED"  # integer seed of the random draws (default: none)
TIMING_MODES = ("off", "aws")
MAX_SCALE = 100.0  # a bound against typos (1e6 would make every rule wait for days)


class TimingSettingsError(ValueError):
    """A timing variable holds a value the local cloud cannot use; the message names the variable."""


@dataclass(frozen=True)
class Delay:
    """A delay AWS shows, as a range in seconds at scale 1.0, and the AWS documentation page that describes it."""

    low: float
    high: float
    source: str

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.high:
            raise ValueError(f"a delay's range must satisfy 0 <= low <= high, not {self.low}..{self.high}")


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` calls in any ``per_seconds`` (at scale 1.0), per account, and the page that says so."""

    requests: int
    per_seconds: float
    source: str

    def __post_init__(self) -> None:
        if self.requests < 1 or self.per_seconds <= 0:
            raise ValueError(f"a rate limit needs requests >= 1 and a window > 0: {self.requests}/{self.per_seconds}")


def _parse_scale(raw: str) -> float:
    try:
        scale = float(raw)
    except ValueError:
        scale = math.nan
    if not (math.isfinite(scale) and 0 < scale <= MAX_SCALE):
        raise TimingSettingsError(
            f"{ENV_LOCAL_TIME_SCALE}={raw!r} is not usable: give a number above 0 and at most {MAX_SCALE:g} "
            "(1.0 keeps AWS's delays, 0.1 makes them ten times shorter)"
        )
    return scale


def _parse_seed(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise TimingSettingsError(f"{ENV_LOCAL_SEED}={raw!r} is not usable: give a whole number") from None


@dataclass(frozen=True)
class TimingSettings:
    """The timing the local cloud is started with: mode, scale, seed (validated)."""

    mode: str = "off"
    scale: float = 1.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.mode not in TIMING_MODES:
            raise TimingSettingsError(
                f"{ENV_LOCAL_TIMING}={self.mode!r} is not a timing mode: use one of {', '.join(TIMING_MODES)}"
            )
        _parse_scale(repr(self.scale))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TimingSettings:
        """The settings the environment gives (``os.environ`` unless another mapping is passed)."""
        env = os.environ if environ is None else environ
        mode = (env.get(ENV_LOCAL_TIMING) or "off").strip().lower()
        scale = _parse_scale(env.get(ENV_LOCAL_TIME_SCALE, "").strip() or "1.0")
        raw_seed = env.get(ENV_LOCAL_SEED, "").strip()
        return cls(mode, scale, _parse_seed(raw_seed) if raw_seed else None)

    @property
    def enabled(self) -> bool:
        return self.mode == "aws"

    def server_args(self) -> list[str]:
        """The server process's command-line arguments that carry these settings."""
        args = ["--timing", self.mode, "--time-scale", repr(self.scale)]
        return args + (["--seed", str(self.seed)] if self.seed is not None else [])

    def describe(self) -> dict[str, Any]:
        """As recorded in the state file and the health answer."""
        return {"mode": self.mode, "scale": self.scale, "seed": self.seed}

    def summary(self) -> str:
        """One line for ``status``: ``off``, or ``aws at scale 0.1 (seed 7)``."""
        if not self.enabled:
            return "off"
        return f"aws at scale {self.scale:g}" + (f" (seed {self.seed})" if self.seed is not None else "")


class Timing:
    """The running cloud's timing: draws delays, scales rate-limit windows, tells the time.

    Built once by the server from its ``TimingSettings`` and passed to every package that applies a rule. Off, every
    draw is 0 and ``enabled`` is False. The clock is ``time.monotonic`` unless a test passes another.
    """

    def __init__(self, settings: TimingSettings | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or TimingSettings()
        self._clock = clock
        self._random = random.Random(self.settings.seed)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    @property
    def scale(self) -> float:
        return self.settings.scale

    def now(self) -> float:
        return self._clock()

    def draw(self, delay: Delay) -> float:
        """A delay in seconds: uniform within the range, times the scale; 0.0 when the timing is off."""
        if not self.enabled:
            return 0.0
        with self._lock:  # one sequence of draws for the whole cloud, reproducible with a seed
            return self._random.uniform(delay.low, delay.high) * self.scale

    def deadline(self, delay: Delay) -> float:
        """When something that starts now and takes ``delay`` is over (``now()`` when the timing is off)."""
        return self.now() + self.draw(delay)

    def window(self, limit: RateLimit) -> float:
        """A rate limit's window in seconds, scaled."""
        return limit.per_seconds * self.scale
