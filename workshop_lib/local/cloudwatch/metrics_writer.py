"""The metrics writer: one background thread that turns what the other services report into CloudWatch data points.

It is fed three ways, none of which waits: the Lambda log shipper hands it every batch of log events it has written
to a ``/aws/lambda/`` group (the EMF lines become data points: ``emf.py``), the Lambda plane reports each invocation
and the SageMaker runtime each InvokeEndpoint (``service_metrics.py``). The thread stores them in moto's CloudWatch
backend of the right region (``core/moto_seam/cloudwatch.py``), where GetMetricData, GetMetricStatistics,
ListMetrics and the alarm evaluator read them.

StorageResolution is kept as CloudWatch keeps it: a high-resolution data point (1) is stored at its second, a
standard one (60, or none given) at its minute, so a 10-second period finds standard data only in the period that
starts the minute (AWS's PutMetricAlarm documentation describes the same effect). Namespaces, dimensions, units and
EMF timestamps are stored exactly.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from ..core.monitoring_records import MetricPoint
from ..core.moto_seam import MotoCloudWatch
from .emf import parse_event
from .service_metrics import endpoint_invocation, lambda_invocation

log = logging.getLogger("workshop_lib.local.cloudwatch")
LAMBDA_GROUP_PREFIX = "/aws/lambda/"
_BATCH = 2000


def stored_time(point: MetricPoint) -> float:
    """The time CloudWatch stores a data point at: its second (high resolution) or its minute (standard)."""
    step = 1 if point.storage_resolution == 1 else 60
    return math.floor(point.timestamp / step) * step


class MetricsWriter:
    """Stores data points in moto's CloudWatch, in the background, in the order they were reported."""

    def __init__(self, cloudwatch: Callable[[str], MotoCloudWatch], clock: Callable[[], float] = time.time) -> None:
        self._cloudwatch = cloudwatch  # region -> that region's backend
        self._clock = clock
        self._queue: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="cloudwatch-metrics-writer", daemon=True)
        self._thread.start()

    # --- what the services report (each returns at once) ------------------------------------------------------
    def log_events(self, region: str, group: str, events: Iterable[Mapping[str, Any]]) -> None:
        """Log events just written to ``group``: a Lambda group's EMF lines become data points."""
        if group.startswith(LAMBDA_GROUP_PREFIX):
            self._queue.put(("emf", (region, [str(e.get("message", "")) for e in events])))

    def lambda_invocation(self, region: str, function: str, outcome: str, duration_ms: float | None) -> None:
        self._queue.put(("points", (region, lambda_invocation(function, outcome, duration_ms, self._clock()))))

    def endpoint_invocation(self, region: str, endpoint: str, variant: str, status: int, latency_us: float) -> None:
        points = endpoint_invocation(endpoint, variant, status, latency_us, self._clock())
        self._queue.put(("points", (region, points)))

    def put(self, region: str, points: list[MetricPoint]) -> None:
        self._queue.put(("points", (region, points)))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything reported so far is stored."""
        done = threading.Event()
        self._queue.put(("flush", done))
        return done.wait(timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    # --- the thread -------------------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            while items[-1] is not None and len(items) < _BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            by_region: dict[str, list[MetricPoint]] = {}
            for item in items:
                if item is None:
                    self._store(by_region)
                    return
                kind, payload = item
                if kind == "flush":
                    self._store(by_region)
                    by_region = {}
                    payload.set()
                    continue
                region, data = payload
                if kind == "emf":
                    now = self._clock()
                    data = [point for message in data for point in parse_event(message, now)]
                by_region.setdefault(region, []).extend(data)
            self._store(by_region)

    def _store(self, by_region: dict[str, list[MetricPoint]]) -> None:
        for region, points in by_region.items():
            if not points:
                continue
            try:
                self._cloudwatch(region).put([replace(p, timestamp=stored_time(p)) for p in points])
            except Exception as exc:  # noqa: BLE001 - a metrics problem must never stop the writer
                log.error("could not store %d data points in %s: %r", len(points), region, exc)
