"""The router: one WSGI app in front of moto and the kit's services.

A request to ``/_workshop/...`` is the cloud's own (health, shutdown). Every other request passes the guards in
order (authentication: signature, key, token and time, then IAM enforcement), then goes to the first service that claims
it (Lambda Invoke, SageMaker InvokeEndpoint, API Gateway stages, ...), else to moto's server. A guard or a
service refuses a request by raising a ``ServiceError``: the router answers with that error's response.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from werkzeug.wrappers import Request, Response

from .context import CloudContext
from .errors import ServiceError
from .moto_seam import MotoDispatcher
from .timing import TimingSettings

ADMIN_PATH = "/_workshop/"
RAW_HEADERS_ENVIRON_KEY = "workshop.raw_headers"  # header lines as received (WSGI joins repeated ones)
log = logging.getLogger("workshop_lib.local")


class Service(Protocol):
    """A part of AWS the kit answers itself instead of moto (or completes after moto)."""

    def matches(self, request: Request) -> bool: ...

    def handle(self, request: Request) -> Response: ...

    def close(self) -> None: ...


class Guard(Protocol):
    """Asked before every request: raises a ServiceError to refuse it, returns to let it pass."""

    def check(self, request: Request) -> None: ...


class Router:
    """The WSGI application the local cloud serves."""

    def __init__(
        self,
        ctx: CloudContext,
        moto: MotoDispatcher,
        services: Iterable[Service],
        guards: Iterable[Guard] = (),
        timing: TimingSettings | None = None,
        admin: Mapping[str, Callable[[Request], Response]] | None = None,
    ) -> None:
        self.ctx = ctx
        self.moto = moto
        self.services = list(services)
        self.guards = list(guards)
        self.timing = timing or TimingSettings()  # shown in the health answer
        self._admin: dict[str, Callable[[Request], Response]] = {"health": self._health, "shutdown": self._shutdown}
        self._admin.update(admin or {})  # a service's own admin paths (``sns/inbox``)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path.startswith(ADMIN_PATH):
            handler = self._admin.get(request.path[len(ADMIN_PATH) :].strip("/"))
            resp = handler(request) if handler else Response("not found", status=404)
            return resp(environ, start_response)
        body = request.get_data(cache=True)  # read once: guards, services and moto all read the body
        try:
            for guard in self.guards:
                guard.check(request)
            for service in self.services:
                if service.matches(request):
                    return service.handle(request)(environ, start_response)
        except ServiceError as error:
            return error.response()(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.moto(environ, start_response)

    def close(self) -> None:
        """Close every service (each stops what it started); a failure is logged and the others still close."""
        for service in self.services:
            try:
                service.close()
            except Exception as exc:  # noqa: BLE001 - keep closing the others, report this one
                log.error("closing %s failed: %r", type(service).__name__, exc)

    def _health(self, request: Request) -> Response:
        doc = {
            "status": "running",
            "account": self.ctx.account_id,
            "region": self.ctx.region,
            "planes": [type(s).__name__ for s in self.services],
            "guards": [type(g).__name__ for g in self.guards],
            "timing": self.timing.describe(),
        }
        return Response(json.dumps(doc), content_type="application/json")

    def _shutdown(self, request: Request) -> Response:
        if request.method != "POST":
            return Response("use POST", status=405)
        self.ctx.shutdown_event.set()
        return Response(json.dumps({"status": "stopping"}), content_type="application/json")
