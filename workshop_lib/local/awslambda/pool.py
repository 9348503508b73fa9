"""Every Lambda worker of the local cloud: warm reuse, retirement, the concurrency cap, memory monitoring.

Warm workers are reused; a change of code or configuration retires them, so the next call is a cold start. Each
function runs at most ``concurrency`` invocations at once (default 4, or the function's reserved concurrency when
lower); further calls wait for a free worker. A worker's credentials are the function's execution role's (moto's
STS AssumeRole, session name = function name), lasting ``CloudSettings.lambda_credentials_ttl_s`` (6 hours). As
on AWS, a new execution environment gets fresh ones and an environment never outlives its own: a warm worker is
reused only while its credentials outlast the function's timeout plus a margin, else the call gets a new worker.

What it cannot do: isolate the function like a Lambda sandbox (it runs as the learner, can read the learner's
files, and imports the kit's own Python 3.11 and packages whatever the function's Runtime says); limit CPU by
MemorySize; count memory of processes the function starts; run non-Python runtimes, container images or layers;
freeze idle workers between invocations.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from ..core.context import CloudContext
from ..core.moto_seam import MotoBackends
from .environment import extract_code, worker_environment
from .exceptions import TooManyRequestsException
from .logs import LogShipper
from .models import Execution, FunctionSpec, RunContext
from .runtime_api import Invocation
from .worker import Worker

log = logging.getLogger("workshop_lib.local.lambda")
InvocationSink = Callable[[str, str, str, float | None], None]  # (region, function, ok|error|throttled, duration ms)

IDLE_TTL_S = 600.0  # an idle worker is stopped after this long
WORKER_MAX_AGE_S = 4 * 3600.0  # and any worker after this long
CREDENTIALS_MARGIN_S = 300.0  # a worker is retired this long (at most a tenth of their life) before its credentials
WAIT_FOR_WORKER_S = 60.0  # a call waits this long for a free worker, then gets 429
MONITOR_INTERVAL_S = 0.05


class _Slots:
    """At most ``cap`` invocations of one function at once; further callers wait."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.semaphore = threading.BoundedSemaphore(cap)


class WorkerPool:
    """Every worker of this local cloud: warm reuse, retirement, the concurrency cap, monitoring."""

    def __init__(
        self,
        ctx: CloudContext,
        backends: MotoBackends,
        *,
        runtime_client: str,
        concurrency: int,
        shipper: LogShipper | None = None,
        on_invoked: InvocationSink | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        self.ctx = ctx
        self.backends = backends
        self.runtime_client = runtime_client
        self.concurrency = concurrency
        self.code_root = Path(ctx.work_dir) / "lambda"
        self.shipper = shipper or LogShipper()
        self.on_invoked = on_invoked  # told each invocation's outcome: the AWS/Lambda metrics
        self._lock = threading.Lock()
        self._slots: dict[tuple[str, str], _Slots] = {}
        self._idle: dict[tuple[str, str, str], list[Worker]] = {}  # (region, name, version): warm workers
        self._busy: set[Worker] = set()
        self._all: set[Worker] = set()
        # When each worker's credentials expire (epoch seconds); forgotten with the worker.
        self._credentials_expire: weakref.WeakKeyDictionary[Worker, float] = weakref.WeakKeyDictionary()
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
        run: RunContext,
        *,
        want_tail: bool = False,
    ) -> Execution:
        """Run the function once on a warm or a new worker (waits while the function is at its cap)."""
        outcome, execution = "throttled", None
        try:
            execution = self._run(spec, event, run, want_tail)
            outcome = "error" if execution.function_error else "ok"
            return execution
        except TooManyRequestsException:
            raise
        except BaseException:
            outcome = ""  # the local cloud could not run it: no metric, as AWS's service errors have none
            raise
        finally:
            if self.on_invoked is not None and outcome:
                self.on_invoked(spec.region, spec.name, outcome, execution.duration_ms if execution else None)

    def _run(self, spec: FunctionSpec, event: bytes, run: RunContext, want_tail: bool) -> Execution:
        if self._closed:
            raise RuntimeError("the local cloud is stopping")
        if spec.reserved_concurrency == 0:
            raise TooManyRequestsException("ReservedFunctionConcurrentInvocationLimitExceeded")
        slots = self._slots_for(spec)
        if not slots.semaphore.acquire(timeout=WAIT_FOR_WORKER_S):
            raise TooManyRequestsException("ConcurrentInvocationLimitExceeded")
        try:
            worker = self._checkout(spec)
            invocation = Invocation(
                run.request_id,
                event,
                deadline_ms=0,
                function_arn=run.invoked_arn,
                trace_id=run.trace_id,
                client_context=run.client_context,
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
                if worker.spec == spec and worker.alive() and now - worker.created < WORKER_MAX_AGE_S and (
                    self._credentials_last(worker)
                ):
                    chosen = worker
                    break
                stale.append(worker)
            if chosen is not None:
                self._busy.add(chosen)
                self._wake.set()  # the memory monitor watches busy workers
        if stale:  # code or configuration changed (or too old, or its credentials): retire without delaying this call
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
        ttl = self.ctx.settings.lambda_credentials_ttl_s
        credentials = self.backends.assume_role(spec.role_arn, spec.name[:64], ttl, spec.region)
        worker = Worker(
            spec,
            runtime_client=self.runtime_client,
            shipper=self.shipper,
            logs=self.backends.logs(spec.region),
            on_exit=self._exited,
        )
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
            self._credentials_expire[worker] = credentials.expiration
        try:
            worker.start(env, task_root)
        except BaseException:
            with self._lock:
                self._all.discard(worker)
            raise
        return worker

    def _credentials_last(self, worker: Worker) -> bool:
        """Whether a worker's credentials outlast one more invocation (its timeout) and the margin."""
        expires = self._credentials_expire.get(worker, 0.0)
        margin = min(CREDENTIALS_MARGIN_S, self.ctx.settings.lambda_credentials_ttl_s / 10)
        return expires - time.time() > worker.spec.timeout_s + margin

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
                    old = now - worker.created > WORKER_MAX_AGE_S or not self._credentials_last(worker)
                    if now - worker.last_used > IDLE_TTL_S or old:
                        idle.remove(worker)
                        self._all.discard(worker)
                        expired.append(worker)
        _retire_all(expired, "idle")

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


