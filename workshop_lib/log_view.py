"""A function's log lines as a person reads them: one row per line (time, level, requestId, message, what matters).

The lines stay the lines (``LogLines`` is a list of str, what ``request_log_lines`` always returned); shown in a
notebook they are a table. Each kind of line Lambda writes is read for the few fields that matter:

- the runtime's ``START``/``END``/``REPORT RequestId: ...`` lines (REPORT: duration, billed, memory, init);
- the inference Lambda's JSON line: level, message, requestId, and statusCode, latencyMs, recorded,
  recordError, error (the DynamoDB-typed ``item`` kept for replay is named, not printed);
- its EMF line (``_aws``: CloudWatch's embedded metric format), summarised as the metrics it sets;
- the Python runtime's ``[LEVEL]\\t<time>\\t<requestId>\\t<message>`` lines, and any other text as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .i18n import _
from .tables import Table

COLUMNS = ("time (UTC)", "level", "requestId", "message", "details")  # in English; columns(): in the language in use
_PLATFORM = re.compile(r"^(START|END|REPORT) RequestId: (\S+)\s*(.*)$", re.S)
_RUNTIME = re.compile(r"^\[(\w+)\]\t(\S+)\t(\S+)\t(.*)$", re.S)
_DETAIL_FIELDS = ("statusCode", "latencyMs", "recorded", "errorCode", "error", "recordError", "table")


@dataclass(frozen=True)
class LogRow:
    """One log line, read: ``details`` holds the few fields that matter, as ``name=value`` text."""

    time: str
    level: str
    request_id: str
    message: str
    details: str

    def cells(self) -> tuple[str, ...]:
        return (self.time, self.level, self.request_id, self.message, self.details)


def columns() -> tuple[str, ...]:
    """The log table's column headings in the language in use."""
    return (_("time (UTC)"), _("level"), "requestId", _("message"), _("details"))


def clock(timestamp_ms: int | None) -> str:
    """A log event's timestamp (ms since the epoch) as HH:MM:SS.mmm UTC; '' when unknown."""
    if timestamp_ms is None:
        return ""
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]


def json_object(line: str) -> dict[str, Any] | None:
    """The line as a JSON object, or None when it is not one."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def read_line(line: str, timestamp_ms: int | None = None) -> LogRow:
    """One log line as a row."""
    at = clock(timestamp_ms)
    obj = json_object(line)
    if obj is not None:
        return _metrics_row(obj, at) if "_aws" in obj else _json_row(obj, at)
    if m := _PLATFORM.match(line):
        kind, request_id, rest = m.groups()
        details = _report_details(rest) if kind == "REPORT" else rest.strip()
        return LogRow(at, "", request_id, kind, details)
    if m := _RUNTIME.match(line):
        level, _, request_id, message = m.groups()
        return LogRow(at, level, request_id, message.rstrip(), "")
    return LogRow(at, "", "", line.rstrip(), "")


def _json_row(obj: dict[str, Any], at: str) -> LogRow:
    details = [f"{k}={obj[k]}" for k in _DETAIL_FIELDS if obj.get(k) not in (None, "")]
    if "item" in obj:
        details.append(_("item: kept in this line for replay_unrecorded()"))
    return LogRow(
        at, str(obj.get("level", "")), str(obj.get("requestId", "")), str(obj.get("message", "")), "\n".join(details)
    )


def _metrics_row(obj: dict[str, Any], at: str) -> LogRow:
    names = [m["Name"] for d in obj["_aws"].get("CloudWatchMetrics", []) for m in d.get("Metrics", [])]
    counts = [f"{n}={obj[n]}" for n in names if n in obj and (n == "LatencyMs" or obj[n])]
    return LogRow(at, "METRICS", str(obj.get("requestId", "")), _("EMF metrics line"), ", ".join(counts))


def _report_details(rest: str) -> str:
    parts = [p.split(": ", 1) for p in rest.split("\t") if ": " in p]
    return ", ".join(f"{_report_field(k)} {v}" for k, v in parts)


def _report_field(name: str) -> str:
    """A REPORT line's field by its short name, in the language in use (an unknown field as Lambda names it)."""
    short = {
        "Duration": _("duration"),
        "Billed Duration": _("billed"),
        "Memory Size": _("memory"),
        "Max Memory Used": _("max used"),
        "Init Duration": _("init"),
    }
    return short.get(name, name)


class LogLines(list[str]):
    """Log lines (a list of str, oldest first) that a notebook shows as a table; ``times`` in ms, when known."""

    def __init__(self, lines: Iterable[str] = (), times: Sequence[int | None] = ()) -> None:
        super().__init__(lines)
        self.times: list[int | None] = [*times, *[None] * (len(self) - len(times))][: len(self)]

    def rows(self) -> list[LogRow]:
        return [read_line(line, at) for line, at in zip(self, self.times, strict=True)]

    def table(self, title: str = "") -> Table:
        rows = self.rows()
        tones = ["bad" if r.level in ("ERROR", "CRITICAL") else "" for r in rows]
        return Table.of(columns(), [r.cells() for r in rows], title=title, tones=tones, marked=1)

    def _repr_html_(self) -> str:
        return self.table(self._title())._repr_html_()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self.table(self._title())))

    def _title(self) -> str:
        return _("{count} log line(s)").format(count=len(self))
