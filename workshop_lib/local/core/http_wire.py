"""The wire side of the local cloud's HTTP/1.1 server: reading a request off a connection, writing an answer.

``Connection`` buffers what a client sent; ``parse_head`` reads a request head as http.server and email's parser
do; ``read_body`` reads a ``Content-Length`` or chunked body; ``request_environ`` builds the WSGI environ
werkzeug's development server builds; ``Answer`` writes one WSGI answer (``Content-Length``, else chunked for
HTTP/1.1) with ``Date`` and ``Server`` headers.
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import re
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

MAX_LINE = 65536  # bytes of the request line or of one header line (as http.server)
MAX_HEADERS = 100  # header lines (as http.client)
_HEADER_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]*:")  # what email's parser takes for a header line
_NO_BODY_STATUS = frozenset({204, 304})
DROPPED = (ConnectionError, TimeoutError, OSError)
REASONS = {400: "Bad Request", 414: "URI Too Long", 431: "Request Header Fields Too Large", 505: "HTTP Version"}


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ClientClosed(Exception):
    """The client closed the connection (or went silent) before sending a whole request."""


class Connection:
    """A client connection and the bytes read from it but not yet used."""

    __slots__ = ("address", "buffer", "idle_since", "sock")

    def __init__(self, sock: socket.socket, address: tuple[Any, ...]) -> None:
        self.sock = sock
        self.address = address
        self.buffer = bytearray()
        self.idle_since = time.monotonic()

    def _fill(self) -> None:
        data = self.sock.recv(262144)
        if not data:
            raise ClientClosed()
        self.buffer += data

    def read_head(self) -> bytes | None:
        """The request line and headers (up to the blank line), or None when the client closed cleanly."""
        buf = self.buffer
        while True:
            while buf[:1] in (b"\r", b"\n") and buf:  # empty lines before a request line are ignored
                del buf[: 2 if buf[:2] == b"\r\n" else 1]
            end = _head_end(buf)
            if end >= 0:
                head = bytes(buf[:end])
                del buf[:end]
                return head
            first_line = buf.find(b"\n")
            if (first_line < 0 and len(buf) > MAX_LINE) or first_line > MAX_LINE:
                raise BadRequest(414, "Request-URI Too Long")
            if len(buf) > (MAX_HEADERS + 1) * (MAX_LINE + 2):
                raise BadRequest(431, "Too many headers")
            try:
                self._fill()
            except ClientClosed:
                if buf:
                    raise
                return None

    def wait_for_data(self, timeout: float, then: float) -> bool:
        """Read what arrives within ``timeout`` seconds (True if anything did); the socket timeout is then ``then``."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(262144)
        except TimeoutError:
            return False
        finally:
            self.sock.settimeout(then)
        if not data:
            raise ClientClosed()
        self.buffer += data
        return True

    def read_exact(self, size: int) -> bytes:
        buf = self.buffer
        while len(buf) < size:
            self._fill()
        data = bytes(buf[:size])
        del buf[:size]
        return data

    def read_line(self) -> bytes:
        buf = self.buffer
        while (end := buf.find(b"\n")) < 0:
            if len(buf) > MAX_LINE:
                raise BadRequest(400, "chunk line too long")
            self._fill()
        line = bytes(buf[: end + 1])
        del buf[: end + 1]
        return line

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _head_end(buf: bytearray) -> int:
    """Index just past the blank line that ends a request head, or -1 (CRLF or bare LF line ends)."""
    crlf = buf.find(b"\n\r\n")
    lf = buf.find(b"\n\n", 0, crlf + 2 if crlf >= 0 else len(buf))
    if lf >= 0:
        return lf + 2
    return crlf + 3 if crlf >= 0 else -1


def parse_head(head: bytes) -> tuple[str, str, str, list[tuple[str, str]]]:
    """Method, target, version and header lines of a request head, as http.server and email's parser read them.

    Header values keep a folded continuation line (``"a\\r\\n b"``); a line that is not a header ends the headers.
    Raises BadRequest for a malformed request line (400), a request line too long (414), a header line too long
    or too many headers (431) and an HTTP version other than 1.x (505).
    """
    lines = head.decode("iso-8859-1").split("\n")
    if len(lines[0]) > MAX_LINE:
        raise BadRequest(414, "Request-URI Too Long")
    request_line = lines[0].rstrip("\r")
    words = request_line.split()
    if len(words) != 3:
        raise BadRequest(400, f"Bad request syntax ({request_line!r})")
    method, target, version = words
    numbers = version[5:].split(".") if version.startswith("HTTP/") else []
    if len(numbers) != 2 or not all(n.isdigit() and len(n) <= 10 for n in numbers):
        raise BadRequest(400, f"Bad request version ({version!r})")
    if int(numbers[0]) != 1:
        raise BadRequest(505, f"Invalid HTTP version ({version[5:]})")
    if target.startswith("//"):
        target = "/" + target.lstrip("/")  # as http.server does (gh-87389)
    headers: list[tuple[str, str]] = []
    for count, raw in enumerate(lines[1:], start=1):
        line = raw.rstrip("\r")
        if not line:
            break
        if count > MAX_HEADERS:
            raise BadRequest(431, "Too many headers")
        if len(raw) > MAX_LINE:
            raise BadRequest(431, "Line too long")
        if line[0] in " \t":  # obsolete line folding: part of the previous header's value
            if headers:
                name, value = headers[-1]
                headers[-1] = (name, f"{value}\r\n{line}")
            continue
        match = _HEADER_NAME.match(line)
        if match is None:
            break  # email's parser takes the rest for a body: those lines are no headers
        headers.append((line[: match.end() - 1], line[match.end() :].lstrip(" \t")))
    return method, target, version, headers


def tokens(value: str) -> set[str]:
    return {t.strip().lower() for t in value.split(",") if t.strip()}


class DateCache:
    """The Date header's value, formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._value = email.utils.formatdate(second, usegmt=True)
            self._second = second
        return self._value


@dataclass(frozen=True)
class RequestHead:
    """A parsed request head and what it says about the body and the connection."""

    method: str
    target: str
    version: str
    header_lines: list[tuple[str, str]]
    keep_alive: bool
    expect_continue: bool
    chunked: bool
    content_length: str | None

    @classmethod
    def parse(cls, head: bytes) -> RequestHead:
        """Raises BadRequest as ``parse_head`` does."""
        method, target, version, header_lines = parse_head(head)
        keep_alive = version != "HTTP/1.0"
        expect_continue = chunked = False
        content_length: str | None = None
        for name, value in header_lines:
            lower = name.lower()
            if lower == "connection":
                values = tokens(value)
                if "close" in values:
                    keep_alive = False
                elif "keep-alive" in values:
                    keep_alive = True
            elif lower == "expect":
                expect_continue = value.strip().lower() == "100-continue" and version != "HTTP/1.0"
            elif lower == "transfer-encoding":
                chunked = "chunked" in tokens(value)
            elif lower == "content-length":
                content_length = value
        return cls(method, target, version, header_lines, keep_alive, expect_continue, chunked, content_length)

    @property
    def has_body(self) -> bool:
        return self.chunked or (self.content_length or "0").strip() not in ("", "0")


class AnswerServer(Protocol):
    """What an Answer needs of its server."""

    server_software: str
    dates: DateCache
    stopping: bool


def read_body(conn: Connection, chunked: bool, content_length: str | None) -> bytes:
    """The request body: chunked (trailers read and dropped) or ``Content-Length`` bytes."""
    if chunked:
        parts = []
        while True:
            size_line = conn.read_line().split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise BadRequest(400, f"bad chunk size {size_line[:40]!r}") from None
            if size == 0:
                while conn.read_line() not in (b"\r\n", b"\n"):  # trailers
                    pass
                return b"".join(parts)
            parts.append(conn.read_exact(size))
            if conn.read_line() not in (b"\r\n", b"\n"):
                raise BadRequest(400, "missing chunk terminating newline")
    if content_length is None:
        return b""
    try:
        size = int(content_length.strip())
    except ValueError:
        raise BadRequest(400, f"bad Content-Length {content_length[:40]!r}") from None
    if size < 0:
        raise BadRequest(400, f"bad Content-Length {content_length[:40]!r}")
    return conn.read_exact(size) if size else b""



def request_environ(
    conn: Connection,
    head: RequestHead,
    body: bytes,
    *,
    server_address: tuple[str, int],
    server_software: str,
) -> dict[str, Any]:
    """The environ werkzeug's development server builds for this request."""
    url = urlsplit(head.target)
    path_info = f"/{url.netloc}{url.path}" if not url.scheme and url.netloc else url.path
    raw_uri = _latin1(head.target)
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "SERVER_SOFTWARE": server_software,
        "REQUEST_METHOD": head.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _latin1(unquote(path_info)),
        "QUERY_STRING": _latin1(url.query),
        "REQUEST_URI": raw_uri,
        "RAW_URI": raw_uri,
        "REMOTE_ADDR": conn.address[0],
        "REMOTE_PORT": conn.address[1],
        "SERVER_NAME": server_address[0],
        "SERVER_PORT": str(server_address[1]),
        "SERVER_PROTOCOL": head.version,
    }
    for name, value in head.header_lines:
        if "_" in name:
            continue  # WSGI cannot tell X_Foo from X-Foo: werkzeug drops these (see environ_hook)
        key = name.upper().replace("-", "_")
        value = value.replace("\r\n", "")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
            if key in environ:
                value = f"{environ[key]},{value}"
        environ[key] = value
    if head.chunked:
        environ["wsgi.input_terminated"] = True
    if url.scheme and url.netloc:
        environ["HTTP_HOST"] = url.netloc
    return environ


def _latin1(text: str) -> str:
    """WSGI's "bytes as latin-1" string of a text (werkzeug's encoding dance)."""
    return text.encode().decode("latin1")


class Answer:
    """One WSGI answer on the wire: status and headers with the first body bytes, then the rest."""

    __slots__ = (
        "chunked",
        "conn",
        "headers",
        "keep_alive",
        "length",
        "method",
        "no_body",
        "sent_headers",
        "server",
        "status",
        "version",
        "written",
    )

    def __init__(self, server: AnswerServer, conn: Connection, method: str, version: str, keep: bool) -> None:
        self.server = server
        self.conn = conn
        self.method = method
        self.version = version
        self.keep_alive = keep
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.sent_headers = False
        self.chunked = False
        self.no_body = False
        self.length: int | None = None
        self.written = 0

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        if exc_info:
            try:
                if self.sent_headers:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("Headers already set")
        self.status = status
        self.headers = list(headers)
        return self.write

    def _head(self) -> bytes:
        assert self.status is not None, "write() before start_response"
        code_text, _, reason = self.status.partition(" ")
        code = int(code_text)
        names = set()
        lines = [f"HTTP/1.1 {code} {reason}", f"Server: {self.server.server_software}"]
        lines.append(f"Date: {self.server.dates.now()}")
        for name, value in self.headers:
            lower = name.lower()
            names.add(lower)
            if lower == "content-length":
                try:
                    self.length = int(value)
                except ValueError:
                    self.keep_alive = False
            elif lower == "connection" and "close" in tokens(value):
                self.keep_alive = False
            lines.append(f"{name}: {value}")
        self.no_body = self.method == "HEAD" or code < 200 or code in _NO_BODY_STATUS
        if not self.no_body and self.length is None:
            if self.version == "HTTP/1.1":
                self.chunked = True
                lines.append("Transfer-Encoding: chunked")
            else:
                self.keep_alive = False  # an HTTP/1.0 body without a length ends when the connection does
        if self.server.stopping:
            self.keep_alive = False
        if not self.keep_alive and "connection" not in names:
            lines.append("Connection: close")
        elif self.keep_alive and self.version == "HTTP/1.0":
            lines.append("Connection: keep-alive")
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1")

    def write(self, data: bytes) -> None:
        if not isinstance(data, bytes):
            raise TypeError(f"a WSGI app must write bytes, not {type(data).__name__}")
        if not self.sent_headers:
            if not data:
                return  # headers go out with the first body bytes (one packet), or at finish()
            out = self._head()
            self.sent_headers = True
        else:
            out = b""
        if data and not self.no_body:
            self.written += len(data)
            out += b"%x\r\n%b\r\n" % (len(data), data) if self.chunked else data
        if out:
            self.conn.sock.sendall(out)

    def finish(self) -> None:
        if not self.sent_headers:
            head = self._head()
            self.sent_headers = True
            self.conn.sock.sendall(head + (b"0\r\n\r\n" if self.chunked else b""))
            return
        if self.chunked:
            self.conn.sock.sendall(b"0\r\n\r\n")
        elif self.length is not None and not self.no_body and self.written != self.length:
            self.keep_alive = False  # the app sent more or less than it announced: the framing is lost
