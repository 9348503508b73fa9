"""An invocation's log lines made readable in a notebook: the inference Lambda's JSON lines as one short line each.

The Lambda writes per request a structured JSON line (level, message, requestId, status, latencyMs, recorded, ...)
and an embedded-metric-format line (the metrics). Printed raw they are walls of JSON; ``readable_log_lines`` keeps
the runtime's own lines (START, END, REPORT, tracebacks) as they are and shows the two JSON lines by their fields.
"""

from __future__ import annotations

import json
from typing import Any

_FIELDS = ("status", "statusCode", "latencyMs", "recorded", "errorCode", "error", "recordError")


def _parse(line: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(line)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _emf(doc: dict[str, Any]) -> str:
    parts = []
    for directive in doc["_aws"].get("CloudWatchMetrics", []):
        names = [m.get("Name") for m in directive.get("Metrics", [])]
        units = {m.get("Name"): m.get("Unit", "") for m in directive.get("Metrics", [])}
        shown = ", ".join(f"{n}={doc.get(n)}" + (" ms" if units[n] == "Milliseconds" else "") for n in names)
        dims = ", ".join(f"{d}={doc.get(d)}" for dims in directive.get("Dimensions", []) for d in dims)
        parts.append(f"{directive.get('Namespace')} [{dims}]: {shown}")
    return "EMF metrics  " + "; ".join(parts)


def readable_log_lines(lines: list[str], *, width: int = 160) -> list[str]:
    """``lines`` with each JSON line replaced by its level, message and key fields (EMF lines by their metrics)."""
    out = []
    for line in lines:
        doc = _parse(line)
        if doc is None:
            text = line
        elif isinstance(doc.get("_aws"), dict):
            text = _emf(doc)
        else:
            fields = ", ".join(f"{k}={doc[k]}" for k in _FIELDS if doc.get(k) is not None)
            text = f"{doc.get('level', '')} {doc.get('message', '')}  ({fields})".strip()
        out.append(text if len(text) <= width else text[: width - 4] + " ...")
    return out
