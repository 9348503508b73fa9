"""How CloudWatch evaluates a metric alarm, as pure functions (AWS's "Using Amazon CloudWatch alarms": "Evaluating an
alarm" and "Configuring how CloudWatch alarms treat missing data").

- The evaluation range at time ``now``: the ``EvaluationPeriods`` periods of ``Period`` seconds that end at the last
  period boundary at or before ``now`` (boundaries are multiples of the period since the epoch, so a 60-second
  period is a clock minute): only complete periods are evaluated.
- Each period's value is the alarm's ``Statistic`` (SampleCount, Average, Sum, Minimum, Maximum) or
  ``ExtendedStatistic`` (``pNN``, nearest rank over the raw values) of the data points stored in it with the
  alarm's namespace, metric name, exact dimension set and (when given) unit; a period without one is missing.
- A period breaches when ``value <op> Threshold``. With ``M`` = DatapointsToAlarm (default EvaluationPeriods): when
  at least ``M`` periods have a value, the alarm is ALARM if at least ``M`` of them breach, else OK. When fewer
  have one, the missing ones are filled by TreatMissingData: ``breaching`` counts them as breaching,
  ``notBreaching`` as not, ``ignore`` keeps the current state unless a real value already decides it (one that
  does not breach: OK), and ``missing`` (the default) gives INSUFFICIENT_DATA when no period has a value, else
  ALARM when every real value breaches and OK otherwise (the rows of AWS's missing-data table).

Not evaluated locally (documented in docs/architecture.md): metric-math and anomaly-detection alarms, composite alarms,
EvaluateLowSampleCountPercentile, and the extra look-back periods AWS fetches before filling missing data.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..core.monitoring_records import StoredDatum

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
TREATMENTS = ("missing", "breaching", "notBreaching", "ignore")


@dataclass(frozen=True)
class PeriodValue:
    """One period of the evaluation range: its start (epoch seconds), its value (None: missing), sample count."""

    start: float
    value: float | None
    sample_count: float = 0.0


def evaluation_range(now: float, period: int, periods: int) -> list[tuple[float, float]]:
    """The ``periods`` complete periods ending at the last boundary at or before ``now``, oldest first."""
    if period <= 0 or periods <= 0:
        raise ValueError(f"an alarm needs a Period and EvaluationPeriods of at least 1, not {period} and {periods}")
    end = math.floor(now / period) * period
    return [(end - (periods - i) * period, end - (periods - i - 1) * period) for i in range(periods)]


def statistic(data: Sequence[StoredDatum], stat: str) -> float | None:
    """A statistic of the data points of one period; None when there are none (or a percentile has no raw values)."""
    if not data:
        return None
    count = sum(d.sample_count for d in data)
    if stat == "SampleCount":
        return count
    if stat == "Sum":
        return sum(d.total for d in data)
    if stat == "Average":
        return sum(d.total for d in data) / count if count else None
    if stat == "Minimum":
        return min(d.minimum for d in data)
    if stat == "Maximum":
        return max(d.maximum for d in data)
    if stat.startswith("p"):
        return percentile([v for d in data for v in d.values], float(stat[1:]))
    raise ValueError(f"{stat!r} is not a statistic CloudWatch alarms evaluate")


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile (0 < p <= 100); None without values."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {p}")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def breaches(value: float, comparison: str, threshold: float) -> bool:
    if comparison not in COMPARISONS:
        raise ValueError(f"{comparison!r} is not a comparison the local cloud evaluates")
    return COMPARISONS[comparison][0](value, threshold)


def decide(flags: Sequence[bool | None], datapoints_to_alarm: int, treat_missing: str | None, current: str) -> str:
    """The alarm's state for one evaluation: ``flags`` are the periods, oldest first (True: breaching, False: not,
    None: missing)."""
    treat = treat_missing or "missing"
    if treat not in TREATMENTS:
        raise ValueError(f"TreatMissingData {treat!r} is not one of {', '.join(TREATMENTS)}")
    m = datapoints_to_alarm
    real = [f for f in flags if f is not None]
    breaching = sum(1 for f in real if f)
    if len(real) >= m:
        return ALARM if breaching >= m else OK
    missing = len(flags) - len(real)
    if treat == "breaching":
        return ALARM if breaching + missing >= m else OK
    if treat == "notBreaching":
        return OK
    if not real:
        return current if treat == "ignore" else INSUFFICIENT
    if breaching == len(real):
        return current if treat == "ignore" else ALARM
    return OK


def _stamp(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%d/%m/%y %H:%M:%S")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def reason(
    values: Sequence[PeriodValue], new: str, old: str, comparison: str, threshold: float, m: int, treat: str | None
) -> str:
    """The StateReason CloudWatch gives for a transition to ``new`` (AWS's wording)."""
    real = [v for v in values if v.value is not None]
    n = len(values)
    if new == INSUFFICIENT:
        return f"Insufficient Data: {_plural(n, 'datapoint')} {'was' if n == 1 else 'were'} unknown."
    if not real:
        label = {"breaching": "Breaching", "notBreaching": "NonBreaching"}.get(treat or "", "Missing")
        return (
            f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')} and "
            f"{_plural(n, 'missing datapoint')} {'was' if n == 1 else 'were'} treated as [{label}]."
        )
    words = COMPARISONS[comparison][1]
    shown = [v for v in reversed(real) if breaches(v.value, comparison, threshold) == (new == ALARM)]  # type: ignore[arg-type]
    listed = ", ".join(f"{v.value} ({_stamp(v.start)})" for v in shown)
    verb = "was" if len(shown) == 1 else "were"
    negation = "" if new == ALARM else "not "
    count = _plural(len(shown), "datapoint") if n == 1 else f"{len(shown)} out of the last {_plural(n, 'datapoint')}"
    text = f"Threshold Crossed: {count} [{listed}] {verb} {negation}{words} the threshold ({float(threshold)})"
    if n > 1:
        needed = m if new == ALARM else 1
        text += f" (minimum {_plural(needed, 'datapoint')} for {old} -> {new} transition)"
    return text + "."
