"""One Lambda worker: a runtime process, its Runtime API endpoint and its log stream, and one invocation on it.

A worker is one Python process (``subprocess``, no fork tricks) running a runtime client against its own Runtime
API endpoint. The Timeout is enforced by stopping the worker; a worker that exits, crashes or goes over its
MemorySize (its peak resident memory, checked while it runs and when it answers) gives AWS's error for that case,
with the platform's log lines (START, END, REPORT, and the timeout, exit and init failure lines).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from ..core.moto_seam import MotoLogs
from .environment import RESPONSE_TOO_LARGE, describe_exit, platform_error, worker_command
from .logs import LogShipper, WorkerLog, end_line, exit_lines, init_report_line, report_line, start_line, timeout_line
from .models import Execution, FunctionSpec
from .runtime_api import Invocation, RuntimeApiServer, RuntimeReply

log = logging.getLogger("workshop_lib.local.lambda")

INIT_LIMIT_S = 10.0  # AWS's limit for the Init phase (on top of the function's Timeout here)
MIB = 1024 * 1024


class MemoryProbe:
    """A process's peak resident memory: exact on Linux (VmHWM) and Windows (peak working set),
    the largest sample seen elsewhere (macOS)."""

    def __init__(self, proc: psutil.Process) -> None:
        self.proc = proc
        self.peak = 0
        self._fd: int | None = None
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError):
                self._fd = os.open(f"/proc/{proc.pid}/status", os.O_RDONLY)

    def read(self) -> int:
        try:
            if self._fd is not None:
                status = os.pread(self._fd, 8192, 0)
                start = status.index(b"VmHWM:") + 6
                value = int(status[start : status.index(b"kB", start)]) * 1024
            elif os.name == "nt":
                value = int(self.proc.memory_info().peak_wset)
            else:
                value = int(self.proc.memory_info().rss)
        except (OSError, ValueError, psutil.Error):
            return self.peak
        self.peak = max(self.peak, value)
        return self.peak

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


class Worker:
    """One runtime process, its Runtime API endpoint and its log stream."""

    def __init__(
        self,
        spec: FunctionSpec,
        *,
        runtime_client: str,
        shipper: LogShipper,
        logs: MotoLogs,
        on_exit: Callable[[Worker], None],
    ) -> None:
        self.spec = spec
        self.runtime_client = runtime_client
        self.on_exit = on_exit
        self.api = RuntimeApiServer(spec.name)
        self.log = WorkerLog(shipper, logs, spec.name, spec.version)
        self.proc: subprocess.Popen[bytes] | None = None
        self.ps: psutil.Process | None = None
        self.started_at = 0.0  # perf_counter
        self.created = time.monotonic()
        self.last_used = self.created
        self.initialized = False
        self.served = 0
        self.kill_reason: str | None = None
        self.dead = threading.Event()
        self.current: Invocation | None = None
        self.memory: MemoryProbe | None = None
        self._retired = False
        self._retire_lock = threading.Lock()

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self, env: dict[str, str], task_root: Path) -> None:
        kwargs: dict[str, Any] = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = subprocess.CREATE_NO_WINDOW  # type: ignore[attr-defined]
        else:  # the telemetry log channel: the log pipe under its own descriptor number
            kwargs["pass_fds"] = (self.log.write_fd,)
        self.started_at = time.perf_counter()
        try:
            self.proc = subprocess.Popen(
                worker_command(self.runtime_client, self.spec.handler),
                cwd=task_root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self.log.write_fd,
                stderr=self.log.write_fd,
                close_fds=True,
                **kwargs,
            )
        except BaseException:
            self.api.close()
            self.log.close()
            raise
        self.ps = psutil.Process(self.proc.pid)
        self.memory = MemoryProbe(self.ps)
        self.log.start()
        threading.Thread(target=self._watch, name=f"lambda-worker-{self.proc.pid}", daemon=True).start()

    def _watch(self) -> None:
        assert self.proc is not None
        self.proc.wait()
        current = self.current
        if current is not None:
            current.finish(RuntimeReply("exit"))
        self.dead.set()
        self.api.ready.set()  # wakes a cold start waiting for init
        self.on_exit(self)

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.returncode

    def alive(self) -> bool:
        return self.proc is not None and not self.dead.is_set()

    def kill(self, reason: str) -> None:
        """Stop the process (and any process it started) at once."""
        if self.kill_reason is None:
            self.kill_reason = reason
        if self.ps is None or self.dead.is_set():
            return
        try:
            procs = [*self.ps.children(recursive=True), self.ps]
        except psutil.Error:
            procs = [self.ps]
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.kill()

    def retire(self, reason: str = "retired") -> None:
        """Stop the worker and release its endpoint and log stream (idempotent)."""
        with self._retire_lock:
            if self._retired:
                return
            self._retired = True
        self.kill(reason)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.error("worker pid %s of %s did not stop", self.proc.pid, self.spec.name)
        self.dead.wait(timeout=1)
        self.api.close()
        self.log.close()
        if self.memory is not None:
            self.memory.close()

    def peak_memory_bytes(self) -> int:
        return self.memory.read() if self.memory is not None else 0

    def over_memory(self) -> bool:
        return self.peak_memory_bytes() > self.spec.memory_mb * MIB

    # --- one invocation -----------------------------------------------------------------------

    def run(self, invocation: Invocation, *, want_tail: bool) -> tuple[Execution, bool]:
        """Run one invocation; returns the execution and whether the worker may be reused."""
        spec = self.spec
        capture = self.log.capture(invocation.request_id) if want_tail else None
        init_ms: float | None = None
        if self.initialized:
            self.log.announce(start_line(invocation.request_id, spec.version))
        else:
            failed = self._init(invocation)
            if failed is not None:
                return self._finish_tail(failed, capture), False
            assert self.api.initialized_at is not None
            init_ms = (self.api.initialized_at - self.started_at) * 1000
            self.initialized = True
            self.log.write(start_line(invocation.request_id, spec.version))
        outcome, duration_ms = self._execute(invocation)
        request_id = invocation.request_id
        reusable = outcome.kind in ("response", "error")
        peak = self.peak_memory_bytes()
        if reusable and peak > spec.memory_mb * MIB:
            self.kill("oom")
            outcome, reusable = RuntimeReply("exit"), False
        if outcome.kind in ("exit", "timeout"):  # the environment is gone before the caller hears of it
            self.dead.wait(timeout=5)
        payload, error, status, error_type, lines = self._outcome_payload(outcome, request_id)
        max_mb = math.ceil(peak / MIB)
        if self.kill_reason == "oom":
            max_mb = max(max_mb, spec.memory_mb)
        if outcome.kind == "timeout":
            duration_ms = spec.timeout_s * 1000
        report = report_line(
            request_id,
            duration_ms=duration_ms,
            memory_mb=spec.memory_mb,
            max_memory_mb=max_mb,
            init_ms=init_ms,
            status=status,
            error_type=error_type,
        )
        self.log.write(lines + end_line(request_id) + report)
        self.served += 1
        self.last_used = time.monotonic()
        execution = Execution(payload, error, spec.version, duration_ms=duration_ms)
        return self._finish_tail(execution, capture), reusable

    def _execute(self, invocation: Invocation) -> tuple[RuntimeReply, float]:
        """Hand the event to the runtime and wait for its outcome (or the Timeout); the outcome and duration."""
        timeout_s = self.spec.timeout_s
        invocation.deadline_ms = int(time.time() * 1000 + timeout_s * 1000)
        self.current = invocation
        began = time.perf_counter()
        if self.dead.is_set():  # died while idle, just before this call
            invocation.finish(RuntimeReply("exit"))
        self.api.dispatch(invocation)
        if not invocation.wait(timeout_s) and invocation.finish(RuntimeReply("timeout")):
            self.kill("timeout")
        self.current = None
        outcome = invocation.outcome
        assert outcome is not None and invocation.finished_at is not None
        return outcome, (invocation.finished_at - began) * 1000

    def _outcome_payload(
        self, outcome: RuntimeReply, request_id: str
    ) -> tuple[bytes, str | None, str | None, str | None, str]:
        """(payload, function error, REPORT status, REPORT error type, lines before END)."""
        if outcome.kind == "response":
            return outcome.body, None, None, None, ""
        if outcome.kind == "error":
            return outcome.body, "Unhandled", None, None, ""
        if outcome.kind == "too_large":
            return RESPONSE_TOO_LARGE, "Unhandled", "error", "Function.ResponseSizeTooLarge", ""
        if outcome.kind == "timeout":
            message = f"Task timed out after {self.spec.timeout_s:.2f} seconds"
            payload = platform_error("Sandbox.Timedout", request_id, message)
            return payload, "Unhandled", "timeout", None, timeout_line(request_id, self.spec.timeout_s)
        error_type = "Runtime.OutOfMemory" if self.kill_reason == "oom" else "Runtime.ExitError"
        message = describe_exit(-9 if self.kill_reason == "oom" else (self.returncode or 0))
        payload = platform_error(error_type, request_id, message)
        return payload, "Unhandled", "error", error_type, exit_lines(request_id, message, error_type)

    def _init(self, invocation: Invocation) -> Execution | None:
        """Wait for the runtime to finish Init; an Execution describing the failure, or None."""
        spec = self.spec
        request_id = invocation.request_id
        limit = INIT_LIMIT_S + spec.timeout_s
        ready = self.api.ready.wait(limit)
        init_ms = (time.perf_counter() - self.started_at) * 1000
        if ready and self.api.initialized_at is not None and not self.dead.is_set():
            return None
        if not ready:
            self.kill("timeout")
            message = f"Task timed out after {spec.timeout_s:.2f} seconds"
            payload = platform_error("Sandbox.Timedout", request_id, message)
            status, error_type, extra = "timeout", None, timeout_line(request_id, spec.timeout_s)
        elif self.api.init_error is not None:
            payload = self.api.init_error.body
            error_type = self.api.init_error.error_type or _error_type_of(payload)
            status, extra = "error", ""
            self.kill("init error")
        else:  # the process ended during init without reporting an error
            self.dead.wait(timeout=5)
            error_type = "Runtime.ExitError"
            message = describe_exit(self.returncode or 0)
            payload = platform_error(error_type, request_id, message)
            status, extra = "error", exit_lines(request_id, message, error_type)
        self.dead.wait(timeout=5)
        self.log.write(
            init_report_line(init_ms, phase="init", status=status, error_type=error_type)
            + start_line(request_id, spec.version)
            + extra
            + end_line(request_id)
            + report_line(
                request_id,
                duration_ms=0.0 if status == "error" else spec.timeout_s * 1000,
                memory_mb=spec.memory_mb,
                max_memory_mb=math.ceil(self.peak_memory_bytes() / MIB),
                init_ms=init_ms,
                status=status,
                error_type=error_type,
            )
        )
        return Execution(payload=payload, function_error="Unhandled", executed_version=spec.version)

    def _finish_tail(self, execution: Execution, capture: Any) -> Execution:
        if capture is not None:
            capture.done.wait(timeout=2)
            execution.log_result = capture.tail()
        return execution


def _error_type_of(payload: bytes) -> str | None:
    try:
        value = json.loads(payload).get("errorType")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


