"""moto's server app: ``DomainDispatcherApplication`` (its ``lock``, ``app_instances``, ``create_app``,
``get_backend_for_host``, ``infer_service_region_host``), ``moto.core.request``'s preserved-header helpers, and the
warm-up of the workshop's backends (``get_backend``)."""

from __future__ import annotations

import io
import threading
from typing import Any

from moto.backends import get_backend
from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    should_preserve_original_header_name,
)
from moto.moto_server.werkzeug_app import DEFAULT_SERVICE_REGION, DomainDispatcherApplication, create_backend_app
from werkzeug.wrappers import Request, Response

from .base import WORKSHOP_SERVICES, log

__all__ = [
    "PRESERVED_HEADER_NAMES_ENVIRON_KEY",
    "MotoDispatcher",
    "environ_key_for_header",
    "preserve_underscored_headers",
    "start_warmup",
]


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

    def answer(self, request: Request, body: bytes | None = None, *, target: str | None = None) -> Response:
        """moto's answer to ``request`` (with ``body`` instead of the request's own, and another JSON-protocol
        operation ``target`` such as ``DynamoDB_20120810.DescribeTable``, when given)."""
        data = request.get_data(cache=True) if body is None else body
        environ = dict(request.environ)
        if target is not None:
            environ["HTTP_X_AMZ_TARGET"] = target
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        return Response.from_app(self, environ, buffered=True)


def preserve_underscored_headers(environ: dict[str, Any], header_lines: list[tuple[str, str]]) -> None:
    """What moto's ``MotoRequestHandler.make_environ`` adds: S3 metadata headers with an underscore in their name
    (``x-amz-meta-my_key``), which WSGI servers drop, put back with their spelling recorded, unless a dashed
    header of the same WSGI name was sent too."""
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


def start_warmup() -> threading.Thread:
    """Import moto's backends for the workshop's services in a daemon thread (API Gateway's takes seconds)."""

    def import_all() -> None:
        for service in WORKSHOP_SERVICES:
            try:
                get_backend(service)  # type: ignore[call-overload]
            except Exception as exc:  # noqa: BLE001 - a warm-up failure only means a slower first call
                log.warning("warm-up of moto's %s backend failed: %r", service, exc)

    thread = threading.Thread(target=import_all, name="moto-warmup", daemon=True)
    thread.start()
    return thread
