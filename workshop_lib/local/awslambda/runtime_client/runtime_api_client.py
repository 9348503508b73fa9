"""The Runtime API client of the kit's Lambda runtime client: one keep-alive HTTP/1.1 connection (TCP_NODELAY).

Standard library only; loaded by ``bootstrap.py`` from its own folder (it must not import ``workshop_lib``).
"""

from __future__ import annotations

import socket
from typing import Any

RUNTIME_API_VERSION = "2018-06-01"
XRAY_ERROR_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


class RuntimeClientError(Exception):
    def __init__(self, endpoint: str, status: int, body: bytes) -> None:
        super().__init__(
            f"Request to Lambda Runtime '{endpoint}' endpoint failed. Reason: '{status}'. Response body: '{body!r}'"
        )


class Headers(dict):
    """Response headers, looked up without regard to case."""

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


class RuntimeClient:
    """Speaks the Runtime API over one keep-alive HTTP/1.1 connection (TCP_NODELAY)."""

    def __init__(self, address: str) -> None:
        self.address = address
        host, _, port = address.rpartition(":")
        self._target = (host, int(port))
        self._sock: socket.socket | None = None
        self._rfile: Any = None

    def _connect(self) -> None:
        self._sock = socket.create_connection(self._target)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._rfile = self._sock.makefile("rb")

    def _close(self) -> None:
        if self._sock is not None:
            self._rfile.close()
            self._sock.close()
        self._sock = self._rfile = None

    def _request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, Headers, bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.address}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
        reused = self._sock is not None
        if not reused:
            self._connect()
        try:
            return self._exchange(head, body)
        except (ConnectionError, ValueError):
            self._close()
            if not reused:
                raise
        self._connect()  # a kept-alive connection the server had closed: once more on a new one
        return self._exchange(head, body)

    def _exchange(self, head: bytes, body: bytes) -> tuple[int, Headers, bytes]:
        assert self._sock is not None
        if len(body) < 65536:
            self._sock.sendall(head + body)
        else:
            self._sock.sendall(head)
            self._sock.sendall(body)
        status_line = self._rfile.readline(65537)
        if not status_line:
            raise ConnectionError("the Runtime API closed the connection")
        status = int(status_line.split(None, 2)[1])
        headers = Headers()
        while True:
            line = self._rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("utf-8", "replace").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        data = self._rfile.read(length) if length else b""
        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, headers, data

    def wait_next_invocation(self) -> tuple[bytes, Headers]:
        endpoint = f"/{RUNTIME_API_VERSION}/runtime/invocation/next"
        status, headers, body = self._request("GET", endpoint)
        if status != 200:
            raise RuntimeClientError(endpoint, status, body)
        return body, headers

    def post_invocation_result(self, invoke_id: str, result: bytes, content_type: str) -> None:
        endpoint = f"/{RUNTIME_API_VERSION}/runtime/invocation/{invoke_id}/response"
        status, _, body = self._request("POST", endpoint, result, {"Content-Type": content_type})
        if status != 202:
            raise RuntimeClientError(endpoint, status, body)

    def post_invocation_error(self, invoke_id: str, error_json: str, xray_fault: str) -> None:
        endpoint = f"/{RUNTIME_API_VERSION}/runtime/invocation/{invoke_id}/error"
        headers = {"Content-Type": "application/json"}
        if len(xray_fault.encode()) < 1024 * 1024:
            headers[XRAY_ERROR_CAUSE_HEADER] = xray_fault
        status, _, body = self._request("POST", endpoint, error_json.encode("utf-8"), headers)
        if status != 202:
            raise RuntimeClientError(endpoint, status, body)

    def post_init_error(self, error_type: str, error_json: str) -> None:
        endpoint = f"/{RUNTIME_API_VERSION}/runtime/init/error"
        headers = {ERROR_TYPE_HEADER: error_type, "Content-Type": "application/json"}
        status, _, body = self._request("POST", endpoint, error_json.encode("utf-8"), headers)
        if status != 202:
            raise RuntimeClientError(endpoint, status, body)

