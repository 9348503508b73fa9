"""CloudWatch Logs for Lambda workers: their stdout and stderr, plus the platform's lines.

Every worker writes to one log stream of the group ``/aws/lambda/<name>`` in the local cloud's
Logs service (moto's backend, through ``MotoLogs``), named as AWS names them: ``YYYY/MM/DD/[$LATEST]<32 hex digits>``.
A line the function prints becomes one event (its text ends with the newline, as on AWS). The
platform adds ``START``, ``END`` and ``REPORT`` lines in AWS's format (``Init Duration`` on a cold
start; ``Billed Duration`` includes it, as AWS bills init since August 2025), and the timeout,
exit and init failure lines.

The worker's stdout and stderr share one pipe, and the platform writes its own lines into the same
pipe, so each request's lines come out in order between its START and REPORT lines.

With the timing model on (``core/timing.py``), events reach CloudWatch Logs ``LOG_DELIVERY`` (1 to 5 s) after the
function wrote them, as on AWS, where "it might take 5 to 10 minutes for logs to show up after a function
invocation" (AWS Lambda Developer Guide, "Sending Lambda function logs to CloudWatch Logs"; the local range is the
common case, not that worst one). Until then GetLogEvents and FilterLogEvents do not return them; the events of one
stream arrive in the order they were written. ``LogType=Tail`` is not delayed (Invoke returns it itself). What it
does not do: ``INIT_START``/``PLATFORM`` lines of the JSON log format, log retention, and IAM checks of
the execution role's logs permissions (logs are always written).
"""

from __future__ import annotations

import base64
import collections
import contextlib
import heapq
import itertools
import logging
import math
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..core.moto_seam import MotoLogs
from ..core.timing import Delay, Timing

log = logging.getLogger("workshop_lib.local.lambda")

LOG_GROUP_PREFIX = "/aws/lambda/"
TAIL_BYTES = 4096  # LogType=Tail returns the last 4 KB of the invocation's log
MAX_EVENT_BYTES = 256 * 1024 - 26  # CloudWatch's event size limit, less its per-event overhead
_PUT_BATCH = 1000
# The runtime's telemetry log channel (_LAMBDA_TELEMETRY_LOG_FD), as AWS's managed runtimes have it: each
# log record is a frame of type (0xA55A00xx, 4 bytes), length (4), time in microseconds (8), then the message,
# and becomes one event however many lines it has. Frames share the worker's pipe with stdout and stderr.
FRAME_MAGIC = b"\xa5\x5a\x00"
FRAME_TYPES = frozenset({0x02, 0x03, 0x0A, 0x0B, 0x0E, 0x0F, 0x12, 0x13, 0x16, 0x17, 0x1A, 0x1B})
FRAME_HEADER = 16
_SHIP_DELAY_S = 0.02
_CRLF = os.name == "nt"  # gather events this long before writing them (fewer, larger writes into moto)
LOG_DELIVERY = Delay(
    1.0, 5.0, 'AWS Lambda Developer Guide, "Sending Lambda function logs to CloudWatch Logs" (5 to 10 minutes at worst)'
)
_StreamKey = tuple[int, str, str]  # (id of the backend, group, stream)
_Batch = dict[_StreamKey, tuple[Any, list[dict[str, Any]]]]
LogSink = Callable[[str, str, list[dict[str, Any]]], None]  # (region, group, events written)


def log_group_name(function: str) -> str:
    return f"{LOG_GROUP_PREFIX}{function}"


def log_stream_name(version: str, when: datetime | None = None) -> str:
    """A new stream name as Lambda makes them: ``2024/05/31/[$LATEST]0123...cdef``."""
    when = when or datetime.now(UTC)
    return f"{when:%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}\n"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}\n"


def report_line(
    request_id: str,
    *,
    duration_ms: float,
    memory_mb: int,
    max_memory_mb: int,
    init_ms: float | None = None,
    status: str | None = None,
    error_type: str | None = None,
) -> str:
    """The REPORT line: ``REPORT RequestId: id\\tDuration: 1.23 ms\\tBilled Duration: 2 ms\\t...``."""
    billed = math.ceil(duration_ms + (init_ms or 0.0))
    fields = [
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {max_memory_mb} MB",
    ]
    if init_ms is not None:
        fields.append(f"Init Duration: {init_ms:.2f} ms")
    if status:
        fields.append(f"Status: {status}")
    if error_type:
        fields.append(f"Error Type: {error_type}")
    return f"REPORT RequestId: {request_id}\t" + "".join(f"{field}\t" for field in fields) + "\n"


def init_report_line(init_ms: float, *, phase: str, status: str, error_type: str | None = None) -> str:
    fields = [f"Init Duration: {init_ms:.2f} ms", f"Phase: {phase}", f"Status: {status}"]
    if error_type:
        fields.append(f"Error Type: {error_type}")
    return "INIT_REPORT " + "\t".join(fields) + "\n"


def _utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def timeout_line(request_id: str, timeout_s: float) -> str:
    return f"{_utc_stamp()} {request_id} Task timed out after {timeout_s:.2f} seconds\n"


def exit_lines(request_id: str, error_message: str, error_type: str) -> str:
    return f"RequestId: {request_id} Error: {error_message}\n{error_type}\n"


class LogShipper:
    """One background thread that writes log events into moto's Logs backends, in order, each batch after the
    timing model's delivery delay (none when the timing is off)."""

    def __init__(self, timing: Timing | None = None, on_written: LogSink | None = None) -> None:
        self._timing = timing or Timing()
        self._on_written = on_written  # told (region, group, events) after each write: CloudWatch extracts EMF
        self._queue: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._last_ts: dict[_StreamKey, int] = {}
        self._held: list[tuple[float, int, _StreamKey, Any, list[dict[str, Any]]]] = []  # a heap by delivery time
        self._last_due: dict[_StreamKey, float] = {}
        self._order = itertools.count()
        self._thread = threading.Thread(target=self._run, name="lambda-log-shipper", daemon=True)
        self._thread.start()

    def open_stream(self, backend: MotoLogs, group: str, stream: str) -> None:
        self._queue.put(("open", backend, group, stream))

    def put(self, backend: MotoLogs, group: str, stream: str, timestamp_ms: int, message: str) -> None:
        self._queue.put(("event", backend, group, stream, timestamp_ms, message))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is written (events still held back are written at once)."""
        done = threading.Event()
        self._queue.put(("flush", done))
        return done.wait(timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _next(self) -> tuple[Any, ...] | bool | None:
        """The next queued item, or False when a held batch falls due first."""
        if not self._held:
            return self._queue.get()
        try:
            return self._queue.get(timeout=max(0.0, self._held[0][0] - self._timing.now()))
        except queue.Empty:
            return False

    def _run(self) -> None:
        while True:
            item = self._next()
            if item is False:
                self._release()
                continue
            if item is not None and item[0] == "event":
                time.sleep(_SHIP_DELAY_S)  # let the invocation in flight finish without competing for the GIL
            items = [item]
            while item is not None and len(items) < _PUT_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                items.append(item)
            batch: _Batch = {}
            for entry in items:
                if entry is None or entry[0] in ("open", "flush"):
                    self._hold(batch)
                    batch = {}
                    if entry is None:
                        self._release(everything=True)
                        return
                    if entry[0] == "open":
                        self._open(*entry[1:])
                    else:
                        self._release(everything=True)
                        entry[1].set()
                    continue
                _, backend, group, stream, ts, message = entry
                key = (id(backend), group, stream)
                ts = max(ts, self._last_ts.get(key, 0))  # events of one stream stay in order
                self._last_ts[key] = ts
                batch.setdefault(key, (backend, []))[1].append({"timestamp": ts, "message": message})
            self._hold(batch)
            self._release()

    def _hold(self, batch: _Batch) -> None:
        """Schedule each stream's events for delivery after the delay (at once when the timing is off)."""
        if not self._timing.enabled:
            self._write(batch)
            return
        for key, (backend, events) in batch.items():
            due = max(self._timing.deadline(LOG_DELIVERY), self._last_due.get(key, 0.0))  # a stream stays in order
            self._last_due[key] = due
            heapq.heappush(self._held, (due, next(self._order), key, backend, events))

    def _release(self, *, everything: bool = False) -> None:
        """Write the held batches that are due (all of them when ``everything``)."""
        now = self._timing.now()
        while self._held and (everything or self._held[0][0] <= now):
            due, _, key, backend, events = heapq.heappop(self._held)
            if self._last_due.get(key) == due:
                del self._last_due[key]
            self._write({key: (backend, events)})

    def _open(self, backend: MotoLogs, group: str, stream: str) -> None:
        try:
            backend.ensure_stream(group, stream)
        except Exception as exc:  # noqa: BLE001 - a log problem must never break an invocation
            log.error("could not create log stream %s %s: %r", group, stream, exc)

    def _write(self, batch: _Batch) -> None:
        for (_, group, stream), (backend, events) in batch.items():
            try:
                try:
                    backend.put_events(group, stream, events)
                except Exception:  # noqa: BLE001 - the group or stream was deleted: recreate once
                    self._open(backend, group, stream)
                    backend.put_events(group, stream, events)
                if self._on_written is not None:
                    self._on_written(backend.region, group, events)
            except Exception as exc:  # noqa: BLE001 - a log problem must never break an invocation
                log.error("could not write %d log events to %s %s: %r", len(events), group, stream, exc)


class _Capture:
    """The lines of one request (START to REPORT), for LogType=Tail."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.done = threading.Event()

    def tail(self) -> str:
        return base64.b64encode("".join(self.lines).encode("utf-8")[-TAIL_BYTES:]).decode("ascii")


class WorkerLog:
    """The pipe a worker writes stdout and stderr to, read into one log stream."""

    def __init__(self, shipper: LogShipper, backend: MotoLogs, function: str, version: str) -> None:
        self.shipper = shipper
        self.backend = backend
        self.group = log_group_name(function)
        self.stream = log_stream_name(version)
        self.read_fd, self.write_fd = os.pipe()
        self._write_lock = threading.Lock()
        self._captures: dict[str, _Capture] = {}
        self._active: _Capture | None = None
        self._announced: collections.deque[tuple[int, str]] = collections.deque()
        self._between = False  # the last line was a REPORT: the next line belongs to the next request
        self._closed = False
        self._thread: threading.Thread | None = None
        shipper.open_stream(backend, self.group, self.stream)

    def start(self) -> None:
        """Start reading (call after the worker process holds its copy of the write end)."""
        self._thread = threading.Thread(target=self._read, name=f"lambda-log-{self.stream[-8:]}", daemon=True)
        self._thread.start()

    def write(self, text: str) -> None:
        """Append platform lines after everything the worker has written so far."""
        with self._write_lock:
            if not self._closed:
                os.write(self.write_fd, text.encode("utf-8"))

    def announce(self, text: str) -> None:
        """A START line for a warm worker, without a write into the pipe.

        Everything the worker wrote for the previous request precedes its REPORT line, and the worker
        writes nothing for this request before it is dispatched (after this call). So the reader puts
        this line before the first line it reads after that REPORT line.
        """
        self._announced.append((int(time.time() * 1000), text))

    def capture(self, request_id: str) -> _Capture:
        """Collect the lines of ``request_id`` (call before its START line is written)."""
        capture = _Capture()
        self._captures[request_id] = capture
        return capture

    def close(self) -> None:
        """No more lines: the reader drains the pipe and stops."""
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            os.close(self.write_fd)

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _emit(self, message: str, timestamp: int | None = None) -> None:
        if self._between and self._announced:
            self._between = False
            while self._announced:
                announced_at, text = self._announced.popleft()
                self._emit(text, announced_at)
        if message.startswith("START RequestId: "):
            request_id = message[17:].split(" ", 1)[0]
            self._active = self._captures.pop(request_id, None)
        if self._active is not None:
            self._active.lines.append(message)
            if message.startswith("REPORT RequestId: "):
                self._active.done.set()
                self._active = None
        if message.startswith("REPORT RequestId: "):
            self._between = True
        now = timestamp or int(time.time() * 1000)
        data = message.encode("utf-8")
        if len(data) <= MAX_EVENT_BYTES:
            self.shipper.put(self.backend, self.group, self.stream, now, message)
            return
        for i in range(0, len(data), MAX_EVENT_BYTES):
            part = data[i : i + MAX_EVENT_BYTES].decode("utf-8", "replace")
            self.shipper.put(self.backend, self.group, self.stream, now, part)

    def _read(self) -> None:
        rest = b""
        try:
            while True:
                chunk = os.read(self.read_fd, 65536)
                if not chunk:
                    break
                rest = self._consume(rest + chunk)
            self._consume(rest, final=True)
            while self._announced:
                announced_at, text = self._announced.popleft()
                self._emit(text, announced_at)
        finally:
            with contextlib.suppress(OSError):
                os.close(self.read_fd)
            if self._active is not None:
                self._active.done.set()
            for capture in self._captures.values():
                capture.done.set()

    def _text(self, data: bytes) -> None:
        """stdout/stderr bytes: one event per line (a last line without newline is one event too)."""
        lines = data.split(b"\n")
        for line in lines[:-1]:
            if _CRLF and line.endswith(b"\r"):  # Windows text streams end lines with CRLF; AWS's with LF
                line = line[:-1]
            self._emit(line.decode("utf-8", "replace") + "\n")
        if lines[-1]:
            self._emit(lines[-1].decode("utf-8", "replace"))

    def _consume(self, buf: bytes, final: bool = False) -> bytes:
        """Emit every complete line and telemetry frame in ``buf``; return what is still incomplete."""
        while buf:
            at = buf.find(FRAME_MAGIC)
            if at == -1:
                end = len(buf) if final else buf.rfind(b"\n") + 1
                if end:
                    self._text(buf[:end])
                return buf[end:]
            if at > 0:  # text before a frame: a partial line ends where the frame begins
                self._text(buf[:at])
                buf = buf[at:]
                continue
            if len(buf) >= 4 and buf[3] not in FRAME_TYPES:  # not a frame after all: plain bytes
                end = buf.find(b"\n", 1) + 1 or len(buf)
                self._text(buf[:end])
                buf = buf[end:]
                continue
            size = int.from_bytes(buf[4:8], "big") if len(buf) >= 8 else -1
            if size < 0 or len(buf) < FRAME_HEADER + size:
                if final:
                    self._text(buf)
                    return b""
                return buf
            micros = int.from_bytes(buf[8:16], "big")
            self._emit(buf[FRAME_HEADER : FRAME_HEADER + size].decode("utf-8", "replace"), micros // 1000 or None)
            buf = buf[FRAME_HEADER + size :]
        return b""
