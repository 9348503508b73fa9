"""CloudWatch Logs' internals: ``ensure_log_group``, ``ensure_log_stream``, ``put_log_events``."""

from __future__ import annotations

import threading
from typing import Any

from .base import BackendAccess


class MotoLogs:
    """One region's CloudWatch Logs backend: create groups and streams, append events."""

    def __init__(self, backend: Any, region: str = "") -> None:
        self._backend, self.region = backend, region

    def ensure_stream(self, group: str, stream: str) -> None:
        self._backend.ensure_log_group(group)
        self._backend.ensure_log_stream(group, stream)

    def put_events(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        """Append events (``{"timestamp": ms, "message": text}``); raises when the group or stream is gone."""
        self._backend.put_log_events(group, stream, events)


class LogsInternals(BackendAccess):
    """One ``MotoLogs`` per region, made once."""

    def __init__(self, account_id: str, region: str) -> None:
        super().__init__(account_id, region)
        self._logs: dict[str, MotoLogs] = {}
        self._logs_lock = threading.Lock()

    def logs(self, region: str | None = None) -> MotoLogs:
        region = region or self.region
        with self._logs_lock:
            if region not in self._logs:
                self._logs[region] = MotoLogs(self.backend("logs", region), region)
            return self._logs[region]
