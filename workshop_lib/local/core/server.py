"""The local cloud's server process: ``python -m workshop_lib.local.core.server --state-dir DIR --region R``.

Binds 127.0.0.1 on a free port (``http_server.WSGIServer``: HTTP/1.1 with keep-alive), reads the cloud-wide
settings from the environment and its AWS timing from its arguments (``--timing``, ``--time-scale``, ``--seed``,
given by ``lifecycle.start``), builds the router with every service and guard (``wiring.build_router``), records
its state file (with the local admin's secret key, new at every start, readable by its owner only), and serves
until asked to stop (POST /_workshop/shutdown, SIGTERM or Ctrl-C). On the way out it
closes every service, which stops every worker process it started.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from ...config import LOCAL_ACCOUNT_ID, LOCAL_HOST
from .context import CloudContext
from .http_server import WSGIServer
from .moto_seam import preserve_underscored_headers, start_warmup
from .router import RAW_HEADERS_ENVIRON_KEY
from .settings import CloudSettings
from .state import CloudState, process_start_time, remove_state, write_state
from .timing import TIMING_MODES, Timing, TimingSettings, TimingSettingsError
from .wiring import build_router

log = logging.getLogger("workshop_lib.local")


def environ_hook(environ: dict[str, Any], header_lines: list[tuple[str, str]]) -> None:
    """Add to the WSGI environ what moto's own server handler and the API Gateway service read: the header lines
    as received (API Gateway keeps repeated headers apart and names in their case), and moto's underscored
    S3 metadata headers."""
    environ[RAW_HEADERS_ENVIRON_KEY] = header_lines
    preserve_underscored_headers(environ, header_lines)


def serve(state_dir: Path, region: str, port: int = 0, timing: TimingSettings | None = None) -> None:
    """Run the local cloud in this process until it is asked to stop."""
    timing = timing or TimingSettings()
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")
    settings = CloudSettings.from_env()
    work_dir = Path(tempfile.mkdtemp(prefix="workshop-cloud-"))
    apps: list[Any] = []
    # Bind first (port 0: the OS picks a free one), then build the services, which need the port.
    server = WSGIServer(LOCAL_HOST, port, lambda e, s: apps[0](e, s), environ_hook=environ_hook)
    ctx = CloudContext(server.server_port, LOCAL_ACCOUNT_ID, region, work_dir, LOCAL_HOST, settings)
    router = build_router(ctx, Timing(timing))
    apps.append(router)
    pid = os.getpid()
    state = CloudState(
        ctx.port, pid, ctx.account_id, region, process_start_time(pid), LOCAL_HOST,
        admin_secret_key=ctx.admin_secret_key,
        timing_mode=timing.mode, time_scale=timing.scale, time_seed=timing.seed,
    )  # fmt: skip
    write_state(state, state_dir)

    def stop(*_: object) -> None:
        ctx.shutdown_event.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    start_warmup()  # import moto's backends now, not on the learner's first call
    log.info("local cloud listening on %s (pid %s, AWS timing %s)", ctx.endpoint_url, pid, timing.summary())
    try:
        while not ctx.shutdown_event.wait(0.5):
            pass
    finally:
        router.close()
        server.shutdown()
        remove_state(state_dir, pid=pid)
        log.info("local cloud stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--timing", choices=TIMING_MODES, default="off")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        timing = TimingSettings(args.timing, args.time_scale, args.seed)
    except TimingSettingsError as exc:
        parser.error(str(exc))
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(args.state_dir, args.region, args.port, timing)


if __name__ == "__main__":
    main()
