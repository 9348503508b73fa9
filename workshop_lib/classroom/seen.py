"""When the board first saw each participant's step: the cloud keeps no such time, so the board does.

Kept in ``board.json`` beside the participants file: per participant, each step's first-seen time (ISO,
UTC), the time the board started watching them, and the request whose log line it joined last (so that
it does not read the logs again for a row it joined already). A step that is gone (a reset) is forgotten.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

SEEN_FILE = "board.json"
_WATCHED = "_watching_since"
_JOINED = "_log_request"


class FirstSeen:
    """The first-seen times of every participant's steps, read from and written to ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.file = Path(directory) / SEEN_FILE
        self.data: dict[str, dict[str, Any]] = {}
        if self.file.exists():
            self.data = json.loads(self.file.read_text(encoding="utf-8"))

    def joined_request(self, name: str) -> str:
        """The request whose row the board joined to a log line last ("" for none)."""
        return str(self.data.get(name, {}).get(_JOINED, ""))

    def update(self, name: str, present: dict[str, bool], now: datetime, joined: str = "") -> dict[str, datetime]:
        """Record what is present now; return each present step's first-seen time."""
        mine = self.data.setdefault(name, {})
        mine.setdefault(_WATCHED, now.isoformat())
        for step, there in present.items():
            if there:
                mine.setdefault(step, now.isoformat())
            else:
                mine.pop(step, None)
        if joined:
            mine[_JOINED] = joined
        elif not present.get("log"):
            mine.pop(_JOINED, None)
        return {s: datetime.fromisoformat(mine[s]) for s, there in present.items() if there}

    def last_progress(self, name: str) -> datetime:
        """When the participant last reached a step (or when the board started watching them)."""
        mine = self.data.get(name, {})
        times = [v for k, v in mine.items() if k != _JOINED]
        return datetime.fromisoformat(max(times))

    def forget(self, name: str) -> None:
        """Forget a participant's steps (after a reset): the board sees them again from now."""
        self.data.pop(name, None)

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(self.file)
