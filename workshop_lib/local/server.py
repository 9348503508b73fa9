"""The local cloud's server process: ``python -m workshop_lib.local.server --state-dir DIR``.

Binds 127.0.0.1 on a free port (``http_server.WSGIServer``: HTTP/1.1 with keep-alive), builds the edge router
with every data plane and guard, records its state file, and serves until asked to stop (POST
/_workshop/shutdown, SIGTERM or Ctrl-C). On the way out it closes every data plane, which stops every worker
process it started.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    should_preserve_original_header_name,
)

from ..config import LOCAL_ACCOUNT_ID, LOCAL_HOST
from .edge import RAW_HEADERS_ENVIRON_KEY, CloudContext, EdgeRouter
from .http_server import WSGIServer
from .state import CloudState, process_start_time, remove_state, write_state
from .warmup import start_warmup

log = logging.getLogger("workshop_lib.local")

# The kit's data planes and guards, in the order they are asked (module:Class, built with the context).
DATA_PLANES: list[str] = [
    ".lambda_code:LambdaCodePlane",
    ".iam_simulation:IamSimulationPlane",
    ".lambda_plane:LambdaDataPlane",
    ".apigateway:ApiGatewayPlane",
    ".sagemaker_runtime:SageMakerRuntimePlane",
]
GUARDS: list[str] = [".iam_enforcement:IamEnforcement"]


def _environ_hook(environ: dict[str, Any], header_lines: list[tuple[str, str]]) -> None:
    """Add to the WSGI environ what moto's own server handler and the API Gateway plane read.

    The header lines as received (API Gateway keeps repeated headers apart and names in their case), and moto's
    ``MotoRequestHandler.make_environ``: S3 metadata headers with an underscore in their name (``x-amz-meta-my_key``),
    which WSGI servers drop, are put back with their spelling recorded, unless a dashed header of the same WSGI name
    was sent too.
    """
    environ[RAW_HEADERS_ENVIRON_KEY] = header_lines
    names: dict[str, str] = {}
    if any("_" in name for name, _ in header_lines):
        dashed = {environ_key_for_header(name) for name, _ in header_lines if "_" not in name}
        values: dict[str, list[str]] = {}
        for name, value in header_lines:
            if not should_preserve_original_header_name(name):
                continue
            key = environ_key_for_header(name)
            if key in dashed:
                continue  # never let an underscored header stand in for a dashed one
            names.setdefault(key, name)
            values.setdefault(key, []).append(value.replace("\r\n", ""))
        for key, key_values in values.items():
            environ[key] = ",".join(key_values)
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names


def _load(spec: str, ctx: CloudContext) -> Any:
    module_name, _, class_name = spec.partition(":")
    module = importlib.import_module(module_name, package=__package__)
    return getattr(module, class_name)(ctx)


def build(ctx: CloudContext) -> EdgeRouter:
    """Build every data plane and guard into an edge router for ``ctx``."""
    for spec in DATA_PLANES:
        ctx.planes.append(_load(spec, ctx))
    guards = [_load(spec, ctx) for spec in GUARDS]
    return EdgeRouter(ctx, guards)


def serve(state_dir: Path, region: str, port: int = 0) -> None:
    """Run the local cloud in this process until it is asked to stop."""
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")
    work_dir = Path(tempfile.mkdtemp(prefix="workshop-cloud-"))
    ctx = CloudContext(port=0, account_id=LOCAL_ACCOUNT_ID, region=region, work_dir=work_dir)
    # Bind first (port 0: the OS picks a free one), then build the planes, which need the port.
    server = WSGIServer(LOCAL_HOST, port, lambda e, s: app(e, s), environ_hook=_environ_hook)
    ctx.port = server.server_port
    app = build(ctx)
    pid = os.getpid()
    write_state(
        CloudState(
            port=ctx.port,
            pid=pid,
            account_id=ctx.account_id,
            region=region,
            started_at=process_start_time(pid),
            host=LOCAL_HOST,
        ),
        state_dir,
    )

    def stop(*_: object) -> None:
        ctx.shutdown_event.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    start_warmup()  # import moto's backends now, not on the learner's first call
    log.info("local cloud listening on %s (pid %s)", ctx.endpoint_url, pid)
    try:
        while not ctx.shutdown_event.wait(0.5):
            pass
    finally:
        for plane in ctx.planes:
            try:
                plane.close()
            except Exception as exc:  # noqa: BLE001 - keep closing the others, report this one
                log.error("closing %s failed: %r", type(plane).__name__, exc)
        server.shutdown()
        remove_state(state_dir, pid=pid)
        log.info("local cloud stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(args.state_dir, args.region, args.port)


if __name__ == "__main__":
    main()
