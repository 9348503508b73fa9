"""Worker processes that run deployed Lambda functions, portably (Linux, macOS, Windows, no Docker).

A worker is one Python process (``subprocess``, no fork tricks) running a runtime client, the
kit's ``lambda_bootstrap.py`` or AWS's ``awslambdaric``, against its own Runtime API endpoint. Its
code is the zip the Lambda API stored for the function (moto's copy, identified by CodeSha256),
extracted into the cloud's scratch folder; its environment is the one AWS sets, plus the
function's variables, plus temporary credentials of the function's execution role (moto's STS
AssumeRole, session name = function name) and AWS_ENDPOINT_URL pointing at the local cloud.

Warm workers are reused; a change of code or configuration retires them, so the next call is a
cold start. Each function runs at most ``concurrency`` invocations at once (default 4, or the
function's reserved concurrency when lower); further calls wait for a free worker. The Timeout
is enforced by stopping the worker; a worker that exits, crashes or goes over its MemorySize (its
peak resident memory, checked while it runs and when it answers) gives AWS's error for that case.

What it cannot do: isolate the function like a Lambda sandbox (it runs as the learner, can read
the learner's files, and imports the kit's own Python 3.11 and packages whatever the function's
Runtime says); limit CPU by MemorySize; count memory of processes the function starts; run
non-Python runtimes, container images or layers; freeze idle workers between invocations.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from ..naming import RESERVED_ENV_NAMES
from .edge import CloudContext
from .lambda_logs import (
    LogShipper,
    WorkerLog,
    end_line,
    exit_lines,
    init_report_line,
    report_line,
    start_line,
    timeout_line,
)
from .lambda_runtime_api import Invocation, RuntimeApiServer, RuntimeReply

log = logging.getLogger("workshop_lib.local.lambda")

ENV_RUNTIME_CLIENT = "WORKSHOP_LAMBDA_RUNTIME_CLIENT"  # "kit" (default) or "awslambdaric" (Linux only)
ENV_CONCURRENCY = "WORKSHOP_LAMBDA_CONCURRENCY"  # invocations per function at once (default 4)
RUNTIME_CLIENTS = ("kit", "awslambdaric")
DEFAULT_CONCURRENCY = 4
INIT_LIMIT_S = 10.0  # AWS's limit for the Init phase (on top of the function's Timeout here)
IDLE_TTL_S = 600.0  # an idle worker is stopped after this long
WORKER_MAX_AGE_S = 4 * 3600.0  # and any worker after this long (before its credentials expire)
CREDENTIALS_TTL_S = 6 * 3600
WAIT_FOR_WORKER_S = 60.0  # a call waits this long for a free worker, then gets 429
MONITOR_INTERVAL_S = 0.05
BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
MIB = 1024 * 1024

# Set by Lambda; a function's own variables cannot replace them (AWS refuses them at create time).
RESERVED_VARIABLES = RESERVED_ENV_NAMES
# What a Python process needs from the host to start at all (nothing else of the learner's shell).
_HOST_VARIABLES = ("PATH", "SYSTEMROOT", "SystemRoot", "WINDIR", "COMSPEC", "PATHEXT", "TEMP", "TMP", "TMPDIR")
_HOST_VARIABLES += ("LD_LIBRARY_PATH",)
_SIGNALS = {
    1: "hangup",
    2: "interrupt",
    3: "quit",
    4: "illegal instruction",
    5: "trace/breakpoint trap",
    6: "aborted",
    7: "bus error",
    8: "floating point exception",
    9: "killed",
    11: "segmentation fault",
    13: "broken pipe",
    15: "terminated",
}


class Throttled(Exception):
    """No worker became free in time, or the function's reserved concurrency is 0 (AWS: 429)."""

    def __init__(self, reason: str) -> None:
        super().__init__("Rate Exceeded.")
        self.reason = reason


class InvalidCode(Exception):
    """The stored deployment package is not a usable zip (AWS: InvalidZipFileException)."""


class RuntimeClientUnavailable(RuntimeError):
    """The configured runtime client cannot run on this machine."""


@dataclass(frozen=True)
class FunctionSpec:
    """What a worker is built from; two specs are equal when code and configuration are the same."""

    name: str
    arn: str
    version: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: float
    environment: tuple[tuple[str, str], ...]
    role_arn: str
    code_sha256: str
    code_digest: str
    region: str
    account_id: str
    reserved_concurrency: int | None = None
    layers: tuple[str, ...] = ()
    code: bytes = field(default=b"", repr=False, compare=False)

    @classmethod
    def from_moto(cls, fn: Any) -> FunctionSpec:
        """From moto's LambdaFunction (the stored configuration and deployment package)."""
        return cls(
            name=fn.function_name,
            arn=fn.function_arn,
            version=str(fn.version),
            handler=fn.handler or "",
            runtime=fn.run_time or "",
            memory_mb=int(fn.memory_size or 128),
            timeout_s=float(fn.timeout or 3),
            environment=tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items())),
            role_arn=fn.role,
            code_sha256=fn.code_sha_256,
            code_digest=getattr(fn, "code_digest", "") or "",
            region=fn.region,
            account_id=fn.account_id,
            reserved_concurrency=fn.reserved_concurrency,
            layers=tuple(layer["Arn"] for layer in fn.layers or ()),
            code=fn.code_bytes or b"",
        )


@dataclass
class Execution:
    """What one invocation produced, in the Invoke API's terms."""

    payload: bytes
    function_error: str | None
    executed_version: str
    log_result: str | None = None


def platform_error(error_type: str, request_id: str, message: str) -> bytes:
    """An error document written by the Lambda service itself (not the runtime), as AWS shapes it."""
    doc = {"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {message}"}
    return json.dumps(doc, separators=(",", ":")).encode()


RESPONSE_TOO_LARGE = json.dumps(
    {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
).encode()


def describe_exit(returncode: int) -> str:
    """AWS's words for how the runtime process ended (from the exit code or the signal)."""
    if returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode < 0:
        return f"Runtime exited with error: signal: {_SIGNALS.get(-returncode, str(-returncode))}"
    return f"Runtime exited with error: exit status {returncode}"


def runtime_client_from_env() -> str:
    """The runtime client workers run, from $WORKSHOP_LAMBDA_RUNTIME_CLIENT (checked usable)."""
    choice = (os.environ.get(ENV_RUNTIME_CLIENT) or "kit").strip().lower()
    if choice not in RUNTIME_CLIENTS:
        raise RuntimeClientUnavailable(
            f"{ENV_RUNTIME_CLIENT}={choice!r} is not a runtime client: use one of {', '.join(RUNTIME_CLIENTS)}"
        )
    if choice == "awslambdaric" and (
        importlib.util.find_spec("awslambdaric") is None or importlib.util.find_spec("runtime_client") is None
    ):
        raise RuntimeClientUnavailable(
            f"{ENV_RUNTIME_CLIENT}=awslambdaric, but awslambdaric is not installed (it ships Linux wheels only): "
            f"unset {ENV_RUNTIME_CLIENT} to use the kit's portable runtime client"
        )
    return choice


def concurrency_from_env() -> int:
    raw = os.environ.get(ENV_CONCURRENCY) or str(DEFAULT_CONCURRENCY)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{ENV_CONCURRENCY}={raw!r} is not usable: give a whole number of workers, at least 1")
    return value


def extract_code(spec: FunctionSpec, root: Path) -> Path:
    """The task root: the stored zip extracted once per code version (root/<name>/<sha256 hex>)."""
    digest = spec.code_digest or "unknown"
    target = root / spec.name / digest
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=target.parent))
    try:
        with zipfile.ZipFile(io.BytesIO(spec.code)) as archive:
            base = staging.resolve()
            for member in archive.infolist():
                dest = (staging / member.filename).resolve()
                if dest != base and base not in dest.parents:
                    raise InvalidCode(f"the package holds a path outside the task root: {member.filename!r}")
            archive.extractall(staging)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InvalidCode(f"the deployment package of {spec.name} is not a valid zip file: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        os.replace(staging, target)
    except OSError:  # another worker extracted it first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _timezone() -> str:
    return "UTC" if os.name == "nt" else ":UTC"  # AWS sets ":UTC"; the Windows C runtime wants a bare name


def worker_environment(
    spec: FunctionSpec,
    *,
    api_address: str,
    log_group: str,
    log_stream: str,
    credentials: Any,
    endpoint_url: str,
    task_root: Path,
    scratch: Path,
    telemetry_fd: str | None = None,
) -> dict[str, str]:
    """The variables a worker sees: the host's bare minimum, the function's own, then AWS's."""
    env = {name: os.environ[name] for name in _HOST_VARIABLES if name in os.environ}
    env |= {"LANG": "en_US.UTF-8", "TZ": _timezone()}
    env |= {name: value for name, value in spec.environment if name not in RESERVED_VARIABLES}
    env |= {
        "_HANDLER": spec.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": credentials.session_token,
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
        # The local cloud, for every AWS SDK call the handler makes, whatever the learner's config says.
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
    }
    if telemetry_fd is not None:  # the runtime's log channel; the runtime client removes it from os.environ
        env["_LAMBDA_TELEMETRY_LOG_FD"] = telemetry_fd
    return env


def worker_command(runtime_client: str, handler: str) -> list[str]:
    """The worker's command line: this Python, UTF-8 mode (as LANG=en_US.UTF-8 on AWS), no user
    site-packages, no .pyc files written into the task root (read-only on AWS)."""
    base = [sys.executable, "-s", "-B", "-X", "utf8"]
    if runtime_client == "awslambdaric":
        return [*base, "-m", "awslambdaric", handler]
    return [*base, str(BOOTSTRAP), handler]


class _MemoryProbe:
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

    def __init__(self, pool: WorkerPool, spec: FunctionSpec) -> None:
        self.pool = pool
        self.spec = spec
        self.api = RuntimeApiServer(spec.name)
        self.log = WorkerLog(pool.shipper, pool.ctx.backend("logs", spec.region), spec.name, spec.version)
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
        self.memory: _MemoryProbe | None = None
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
                worker_command(self.pool.runtime_client, self.spec.handler),
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
        self.memory = _MemoryProbe(self.ps)
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
        self.pool._exited(self)

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
        invocation.deadline_ms = int(time.time() * 1000 + spec.timeout_s * 1000)
        self.current = invocation
        began = time.perf_counter()
        if self.dead.is_set():  # died while idle, just before this call
            invocation.finish(RuntimeReply("exit"))
        self.api.dispatch(invocation)
        if not invocation.wait(spec.timeout_s) and invocation.finish(RuntimeReply("timeout")):
            self.kill("timeout")
        self.current = None
        outcome = invocation.outcome
        assert outcome is not None and invocation.finished_at is not None
        duration_ms = (invocation.finished_at - began) * 1000
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
        self.log.write(
            lines
            + end_line(request_id)
            + report_line(
                request_id,
                duration_ms=duration_ms,
                memory_mb=spec.memory_mb,
                max_memory_mb=max_mb,
                init_ms=init_ms,
                status=status,
                error_type=error_type,
            )
        )
        self.served += 1
        self.last_used = time.monotonic()
        execution = Execution(payload=payload, function_error=error, executed_version=spec.version)
        return self._finish_tail(execution, capture), reusable

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


class _Slots:
    """At most ``cap`` invocations of one function at once; further callers wait."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.semaphore = threading.BoundedSemaphore(cap)


class WorkerPool:
    """Every worker of this local cloud: warm reuse, retirement, the concurrency cap, monitoring."""

    def __init__(
        self, ctx: CloudContext, *, runtime_client: str = "kit", concurrency: int = DEFAULT_CONCURRENCY
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        self.ctx = ctx
        self.runtime_client = runtime_client
        self.concurrency = concurrency
        self.code_root = Path(ctx.work_dir) / "lambda"
        self.shipper = LogShipper()
        self._lock = threading.Lock()
        self._slots: dict[tuple[str, str], _Slots] = {}
        self._idle: dict[tuple[str, str, str], list[Worker]] = {}  # (region, name, version): warm workers
        self._busy: set[Worker] = set()
        self._all: set[Worker] = set()
        self._closed = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._monitor = threading.Thread(target=self._monitor_loop, name="lambda-monitor", daemon=True)
        self._monitor.start()

    # --- the invoke path ----------------------------------------------------------------------

    def invoke(
        self,
        spec: FunctionSpec,
        event: bytes,
        *,
        request_id: str,
        invoked_arn: str,
        trace_id: str,
        client_context: str | None = None,
        want_tail: bool = False,
    ) -> Execution:
        """Run the function once on a warm or a new worker (waits while the function is at its cap)."""
        if self._closed:
            raise RuntimeError("the local cloud is stopping")
        if spec.reserved_concurrency == 0:
            raise Throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
        slots = self._slots_for(spec)
        if not slots.semaphore.acquire(timeout=WAIT_FOR_WORKER_S):
            raise Throttled("ConcurrentInvocationLimitExceeded")
        try:
            worker = self._checkout(spec)
            invocation = Invocation(
                request_id,
                event,
                deadline_ms=0,
                function_arn=invoked_arn,
                trace_id=trace_id,
                client_context=client_context,
            )
            try:
                execution, reusable = worker.run(invocation, want_tail=want_tail)
            except BaseException:
                self._checkin(worker, reusable=False)
                raise
            self._checkin(worker, reusable=reusable)
            return execution
        finally:
            slots.semaphore.release()

    def _slots_for(self, spec: FunctionSpec) -> _Slots:
        cap = self.concurrency
        if spec.reserved_concurrency is not None:
            cap = max(1, min(cap, spec.reserved_concurrency))
        key = (spec.region, spec.name)
        with self._lock:
            slots = self._slots.get(key)
            if slots is None or slots.cap != cap:
                slots = self._slots[key] = _Slots(cap)
            return slots

    def _checkout(self, spec: FunctionSpec) -> Worker:
        stale: list[Worker] = []
        chosen: Worker | None = None
        now = time.monotonic()
        with self._lock:
            idle = self._idle.get(_idle_key(spec), [])
            while idle:
                worker = idle.pop()
                if worker.spec == spec and worker.alive() and now - worker.created < WORKER_MAX_AGE_S:
                    chosen = worker
                    break
                stale.append(worker)
            if chosen is not None:
                self._busy.add(chosen)
                self._wake.set()  # the memory monitor watches busy workers
        if stale:  # code or configuration changed (or too old): retire without delaying this call
            threading.Thread(target=_retire_all, args=(stale, "code or configuration changed"), daemon=True).start()
        if chosen is not None:
            return chosen
        worker = self._start_worker(spec)
        with self._lock:
            self._busy.add(worker)
            self._wake.set()
        return worker

    def _checkin(self, worker: Worker, *, reusable: bool) -> None:
        with self._lock:
            self._busy.discard(worker)
            keep = reusable and worker.alive() and not self._closed
            if keep:
                self._idle.setdefault(_idle_key(worker.spec), []).append(worker)
            else:
                self._all.discard(worker)
        if not keep:
            threading.Thread(target=worker.retire, args=("not reusable",), daemon=True).start()

    def _start_worker(self, spec: FunctionSpec) -> Worker:
        task_root = extract_code(spec, self.code_root)
        credentials = self.ctx.backend("sts").assume_role(
            region_name=spec.region,
            role_session_name=spec.name[:64],
            role_arn=spec.role_arn,
            policy="",
            duration=CREDENTIALS_TTL_S,
            external_id="",
        )
        worker = Worker(self, spec)
        env = worker_environment(
            spec,
            api_address=worker.api.address,
            log_group=worker.log.group,
            log_stream=worker.log.stream,
            credentials=credentials,
            endpoint_url=self.ctx.endpoint_url,
            task_root=task_root,
            scratch=Path(self.ctx.work_dir),
            # POSIX passes the pipe's own descriptor; Windows cannot pass descriptors, so stdout carries the frames.
            telemetry_fd=str(worker.log.write_fd) if os.name == "posix" else "1",
        )
        with self._lock:
            if self._closed:
                worker.api.close()
                worker.log.close()
                raise RuntimeError("the local cloud is stopping")
            self._all.add(worker)
        try:
            worker.start(env, task_root)
        except BaseException:
            with self._lock:
                self._all.discard(worker)
            raise
        return worker

    def _exited(self, worker: Worker) -> None:
        """A worker's process ended; an idle one is cleaned up here (a busy one by its invocation)."""
        with self._lock:
            idle = self._idle.get(_idle_key(worker.spec), [])
            was_idle = worker in idle
            if was_idle:
                idle.remove(worker)
                self._all.discard(worker)
        if was_idle:
            worker.retire("exited")

    # --- monitoring ---------------------------------------------------------------------------

    def _monitor_loop(self) -> None:
        last_reap = time.monotonic()
        while not self._stop.is_set():
            with self._lock:
                busy = list(self._busy)
            if busy:
                for worker in busy:
                    if worker.current is not None and worker.alive() and worker.over_memory():
                        worker.kill("oom")
                self._stop.wait(MONITOR_INTERVAL_S)
            else:
                self._wake.wait(5.0)
                self._wake.clear()
            if time.monotonic() - last_reap > 5.0:
                last_reap = time.monotonic()
                self._reap_idle()

    def _reap_idle(self) -> None:
        now = time.monotonic()
        expired: list[Worker] = []
        with self._lock:
            for idle in self._idle.values():
                for worker in list(idle):
                    if now - worker.last_used > IDLE_TTL_S or now - worker.created > WORKER_MAX_AGE_S:
                        idle.remove(worker)
                        self._all.discard(worker)
                        expired.append(worker)
        _retire_all(expired, "idle")

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (for tests and status)."""
        with self._lock:
            return [w.proc.pid for w in self._all if w.proc is not None and w.alive()]

    def close(self) -> None:
        """Stop every worker (busy ones too) and flush the logs."""
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
        self._stop.set()
        self._wake.set()
        for worker in workers:
            worker.kill("the local cloud is stopping")
        _retire_all(workers, "the local cloud is stopping")
        self._monitor.join(timeout=2)
        for worker in workers:
            worker.log.join(timeout=2)
        self.shipper.flush(timeout=5)
        self.shipper.close()
        shutil.rmtree(self.code_root, ignore_errors=True)


def _idle_key(spec: FunctionSpec) -> tuple[str, str, str]:
    return (spec.region, spec.name, spec.version)


def _retire_all(workers: list[Worker], reason: str) -> None:
    for worker in workers:
        try:
            worker.retire(reason)
        except Exception as exc:  # noqa: BLE001 - keep retiring the others
            log.error("retiring a worker of %s failed: %r", worker.spec.name, exc)


def new_request_id() -> str:
    return str(uuid.uuid4())
