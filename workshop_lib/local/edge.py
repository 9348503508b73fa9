"""The edge router: one WSGI app in front of moto and the kit's data planes.

Every request first passes the guards (IAM enforcement), then goes to the first data plane that
claims it (Lambda Invoke, SageMaker InvokeEndpoint, API Gateway stages), else to moto's server.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from moto.backends import get_backend
from moto.moto_server.werkzeug_app import DEFAULT_SERVICE_REGION, DomainDispatcherApplication, create_backend_app
from werkzeug.wrappers import Request, Response

ADMIN_PATH = "/_workshop/"
RAW_HEADERS_ENVIRON_KEY = "workshop.raw_headers"  # header lines as received (WSGI joins repeated ones)
_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


@dataclass(frozen=True)
class Signature:
    """The parts of a SigV4 Authorization header the local cloud needs."""

    access_key: str
    region: str
    service: str


def signature_of(request: Request) -> Signature | None:
    """Access key, region and signing service of a SigV4-signed request (None when unsigned)."""
    match = _CREDENTIAL_RE.search(request.headers.get("Authorization", ""))
    if not match:
        return None
    return Signature(*match.groups())


class DataPlane(Protocol):
    """A service the kit implements itself instead of moto."""

    def matches(self, request: Request) -> bool: ...

    def handle(self, request: Request) -> Response: ...

    def close(self) -> None: ...


class Guard(Protocol):
    """Checked before every request: returns an error response to refuse it, None to let it pass."""

    def check(self, request: Request) -> Response | None: ...


P = TypeVar("P")


@dataclass
class CloudContext:
    """What data planes and guards share: where the cloud listens, its account, moto's backends."""

    port: int
    account_id: str
    region: str
    work_dir: Path
    host: str = "127.0.0.1"
    planes: list[Any] = field(default_factory=list)
    shutdown_event: threading.Event = field(default_factory=threading.Event)
    moto_app: Any = None  # set by the EdgeRouter

    def call_moto(self, request: Request) -> Response:
        """Let moto answer ``request`` (for planes that adjust moto's answer rather than replace it)."""
        body = request.get_data(cache=True)
        environ = dict(request.environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return Response.from_app(self.moto_app, environ, buffered=True)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def backend(self, service: str, region: str | None = None) -> Any:
        """moto's in-process backend for this account, e.g. backend("dynamodb")."""
        backends = get_backend(service)  # type: ignore[call-overload]
        if service in ("iam", "sts"):  # global services
            return backends[self.account_id]["global"]
        return backends[self.account_id][region or self.region]

    def plane(self, kind: type[P]) -> P:
        """The running data plane of a given class (for planes that call each other)."""
        for plane in self.planes:
            if isinstance(plane, kind):
                return plane
        raise LookupError(f"no {kind.__name__} in this local cloud")


def aws_json_error(status: int, code: str, message: str, *, header_type: bool = True) -> Response:
    """An error in the AWS JSON protocol's shape (``__type`` and ``message``)."""
    resp = Response(
        json.dumps({"__type": code, "message": message, "Message": message}),
        status=status,
        content_type="application/x-amz-json-1.0",
    )
    if header_type:
        resp.headers["x-amzn-ErrorType"] = code
    return resp


class MotoDispatcher(DomainDispatcherApplication):
    """moto's server app (one Flask app per moto backend), choosing the app of a request without a global lock.

    moto's ``DomainDispatcherApplication`` takes a process-wide lock on every request and, for a signed request,
    walks moto's package folder (a directory listing and an ``isdir`` per service) to map the host it infers from
    the signature to a backend. Which app a host maps to never changes, so once known it is remembered here, and
    the lock is taken only when a host is seen for the first time. Requests moto routes by path (``/moto-api``,
    instance metadata) go through moto's own lookup.
    """

    MAX_HOSTS = 512  # distinct service.region hosts remembered (a bound, not a working limit)

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._apps_by_host: dict[str, Any] = {}

    def get_application(self, environ: dict[str, Any]) -> Any:
        path_info = environ.get("PATH_INFO", "")
        if isinstance(path_info, bytes):
            path_info = path_info.decode("utf-8")
        if path_info.startswith(("/moto-api", "/latest/meta-data/", "/latest/api/")) or path_info == "/favicon.ico":
            return super().get_application(environ)
        host = self.infer_service_region_host(environ, path_info)
        if host is None:
            service, region = DEFAULT_SERVICE_REGION
            host = f"{service}.{region}.amazonaws.com"
        app = self._apps_by_host.get(host)
        if app is None:
            with self.lock:
                backend = self.get_backend_for_host(host)
                app = self.app_instances.get(backend, None)
                if app is None:
                    app = self.create_app(backend)
                    self.app_instances[backend] = app
            if len(self._apps_by_host) < self.MAX_HOSTS:
                self._apps_by_host[host] = app
        return app


class EdgeRouter:
    """The WSGI application the local cloud serves."""

    def __init__(self, ctx: CloudContext, guards: Iterable[Guard] = ()) -> None:
        self.ctx = ctx
        self.guards = list(guards)
        self.moto = MotoDispatcher()
        ctx.moto_app = self.moto
        self._admin: dict[str, Callable[[Request], Response]] = {
            "health": self._health,
            "shutdown": self._shutdown,
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path.startswith(ADMIN_PATH):
            handler = self._admin.get(request.path[len(ADMIN_PATH) :].strip("/"))
            resp = handler(request) if handler else Response("not found", status=404)
            return resp(environ, start_response)
        body = request.get_data(cache=True)  # read once; moto reads wsgi.input again below
        for guard in self.guards:
            refused = guard.check(request)
            if refused is not None:
                return refused(environ, start_response)
        for plane in self.ctx.planes:
            if plane.matches(request):
                return plane.handle(request)(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.moto(environ, start_response)

    def _health(self, request: Request) -> Response:
        return Response(
            json.dumps(
                {
                    "status": "running",
                    "account": self.ctx.account_id,
                    "region": self.ctx.region,
                    "planes": [type(p).__name__ for p in self.ctx.planes],
                    "guards": [type(g).__name__ for g in self.guards],
                }
            ),
            content_type="application/json",
        )

    def _shutdown(self, request: Request) -> Response:
        if request.method != "POST":
            return Response("use POST", status=405)
        self.ctx.shutdown_event.set()
        return Response(json.dumps({"status": "stopping"}), content_type="application/json")
