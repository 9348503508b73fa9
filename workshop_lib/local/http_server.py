"""The local cloud's HTTP/1.1 server: a WSGI server with keep-alive, TCP_NODELAY and a reused thread pool.

boto3 (urllib3) keeps its connections open between calls; werkzeug's development server closed every one
(``Connection: close``) and started a thread for each, so every call paid a TCP handshake and a thread start.
This server keeps connections open and hands each request to a pool of reused threads:

- one selector thread accepts connections and watches the idle keep-alive ones (no thread is held by an idle
  connection, so a client that keeps many connections open costs file descriptors, not threads);
- a request is read whole (head and body, ``Content-Length`` or chunked) by a pool thread, which calls the WSGI
  app, writes the answer (``Content-Length``, else chunked for HTTP/1.1) and, if the connection stays open,
  waits ``linger`` seconds for the next request on it before giving the connection back to the selector;
- a slow request blocks only its own thread; up to ``max_threads`` requests run at once, later ones wait;
- idle connections are closed after ``idle_timeout`` seconds, the oldest first beyond ``max_idle``, and all of
  them at ``shutdown()``.

The WSGI environ is the one werkzeug's server builds (``PATH_INFO`` percent-decoded, ``RAW_URI`` and
``REQUEST_URI`` as received, headers with an underscore in their name left out, repeated headers joined with
commas, ``wsgi.input_terminated`` for chunked bodies); ``environ_hook(environ, header_lines)`` may add to it
from the header lines as received. Every answer has ``Date`` and ``Server`` headers; ``Connection: close`` is
sent only when the connection is closed after the answer.

What it does not do: TLS, HTTP/2, HTTP/0.9, request pipelining beyond answering in order, trailers of chunked
requests (read and dropped), limits on body size (the body is read into memory, as the edge router does anyway).
It binds loopback addresses only: the local cloud is never reachable from another machine.
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import ipaddress
import logging
import queue
import re
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from werkzeug.exceptions import InternalServerError

log = logging.getLogger("workshop_lib.local.http")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
EnvironHook = Callable[[dict[str, Any], list[tuple[str, str]]], None]

SERVER_SOFTWARE = f"workshop-local-cloud Python/{sys.version.split()[0]}"
MAX_LINE = 65536  # bytes of the request line or of one header line (as http.server)
MAX_HEADERS = 100  # header lines (as http.client)
_HEADER_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]*:")  # what email's parser takes for a header line
_NO_BODY_STATUS = frozenset({204, 304})
_DROPPED = (ConnectionError, TimeoutError, OSError)
_REASONS = {400: "Bad Request", 414: "URI Too Long", 431: "Request Header Fields Too Large", 505: "HTTP Version"}


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Closed(Exception):
    """The client closed the connection (or went silent) before sending a whole request."""


class _Connection:
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
            raise _Closed()
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
                raise _BadRequest(414, "Request-URI Too Long")
            if len(buf) > (MAX_HEADERS + 1) * (MAX_LINE + 2):
                raise _BadRequest(431, "Too many headers")
            try:
                self._fill()
            except _Closed:
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
            raise _Closed()
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
                raise _BadRequest(400, "chunk line too long")
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
    Raises _BadRequest for a malformed request line (400), a request line too long (414), a header line too long
    or too many headers (431) and an HTTP version other than 1.x (505).
    """
    lines = head.decode("iso-8859-1").split("\n")
    if len(lines[0]) > MAX_LINE:
        raise _BadRequest(414, "Request-URI Too Long")
    request_line = lines[0].rstrip("\r")
    words = request_line.split()
    if len(words) != 3:
        raise _BadRequest(400, f"Bad request syntax ({request_line!r})")
    method, target, version = words
    numbers = version[5:].split(".") if version.startswith("HTTP/") else []
    if len(numbers) != 2 or not all(n.isdigit() and len(n) <= 10 for n in numbers):
        raise _BadRequest(400, f"Bad request version ({version!r})")
    if int(numbers[0]) != 1:
        raise _BadRequest(505, f"Invalid HTTP version ({version[5:]})")
    if target.startswith("//"):
        target = "/" + target.lstrip("/")  # as http.server does (gh-87389)
    headers: list[tuple[str, str]] = []
    for count, raw in enumerate(lines[1:], start=1):
        line = raw.rstrip("\r")
        if not line:
            break
        if count > MAX_HEADERS:
            raise _BadRequest(431, "Too many headers")
        if len(raw) > MAX_LINE:
            raise _BadRequest(431, "Line too long")
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


def _tokens(value: str) -> set[str]:
    return {t.strip().lower() for t in value.split(",") if t.strip()}


class _DateCache:
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


class _ThreadPool:
    """Daemon threads, started as needed up to ``max_threads`` and reused; jobs beyond that wait in order."""

    def __init__(self, max_threads: int, name: str) -> None:
        if max_threads < 1:
            raise ValueError(f"max_threads must be at least 1, not {max_threads}")
        self.max_threads = max_threads
        self.name = name
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._threads = 0

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)
        if self._idle.acquire(blocking=False):
            return
        with self._lock:
            if self._threads >= self.max_threads:
                return
            self._threads += 1
            number = self._threads
        threading.Thread(target=self._run, name=f"{self.name}-{number}", daemon=True).start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception:
                log.exception("request thread failed")
            self._idle.release()

    def stop(self) -> None:
        """Let idle threads end (busy ones finish their job first; all are daemon threads)."""
        with self._lock:
            count = self._threads
        for _ in range(count):
            self._jobs.put(None)

    @property
    def threads(self) -> int:
        return self._threads


class WSGIServer:
    """A threaded HTTP/1.1 WSGI server with keep-alive on a loopback address.

    ``app`` is the WSGI application; ``port`` 0 lets the OS choose (see ``server_port``). The socket is bound at
    construction; ``serve_forever()`` serves until ``shutdown()``.
    """

    def __init__(
        self,
        host: str,
        port: int,
        app: WSGIApp,
        *,
        environ_hook: EnvironHook | None = None,
        max_threads: int = 256,
        linger: float = 0.05,
        idle_timeout: float = 30.0,
        max_idle: int = 200,
        request_timeout: float = 60.0,
        server_software: str = SERVER_SOFTWARE,
    ) -> None:
        address = ipaddress.ip_address(host)  # raises ValueError for a host name: give an address
        if not address.is_loopback:
            raise ValueError(f"the local cloud binds loopback addresses only, not {host}")
        self.app = app
        self.environ_hook = environ_hook
        self.linger = linger
        self.idle_timeout = idle_timeout
        self.max_idle = max_idle
        self.request_timeout = request_timeout
        self.server_software = server_software
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            if sys.platform == "win32":
                self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
            else:
                self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((host, port))
            self.socket.listen(128)
            self.socket.setblocking(False)
        except OSError:
            self.socket.close()
            raise
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        self._pool = _ThreadPool(max_threads, "http")
        self._dates = _DateCache()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._lock = threading.Lock()
        self._returned: list[_Connection] = []
        self._idle: dict[_Connection, None] = {}  # in the selector, oldest first
        self._stopping = False
        self._loop_ended = False
        self._stopped = threading.Event()
        self._stopped.set()

    @property
    def server_port(self) -> int:
        return self.server_address[1]

    # --- the selector thread --------------------------------------------------------------------

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Accept and dispatch until ``shutdown()``."""
        self._stopped.clear()
        self._loop_ended = False
        try:
            self._selector.register(self.socket, selectors.EVENT_READ, "listen")
            self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
            sweep_every = min(1.0, self.idle_timeout / 2)
            next_sweep = time.monotonic() + sweep_every
            while not self._stopping:
                for key, _ in self._selector.select(min(poll_interval, sweep_every)):
                    if key.data == "listen":
                        self._accept()
                    elif key.data == "wake":
                        self._take_returned()
                    else:
                        self._dispatch(key.data)
                now = time.monotonic()
                if now >= next_sweep:
                    self._close_idle(lambda c, now=now: now - c.idle_since > self.idle_timeout)
                    next_sweep = now + sweep_every
        finally:
            self._close_idle(lambda c: True)
            with self._lock:
                self._loop_ended = True
                returned, self._returned = self._returned, []
            for conn in returned:
                conn.close()
            self._selector.close()
            self._close_sockets()
            self._pool.stop()
            self._stopped.set()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop serving: close the listening socket and every idle connection; busy ones close after their answer."""
        self._stopping = True
        self._wake()
        if not self._stopped.wait(timeout):
            log.warning("the HTTP server's selector thread did not stop within %.1f s", timeout)
        self._close_sockets()

    def _close_sockets(self) -> None:
        for sock in (self.socket, self._wake_r, self._wake_w):
            sock.close()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # BlockingIOError: already woken (buffer full); else closed
            self._wake_w.send(b"x")

    def _accept(self) -> None:
        for _ in range(64):
            try:
                sock, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. too many open files: keep serving the others
                log.warning("accept failed: %r", exc)
                return
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # or every answer waits ~40 ms for an ACK
            sock.settimeout(self.request_timeout)
            conn = _Connection(sock, address)
            self._selector.register(sock, selectors.EVENT_READ, conn)  # a thread is taken when a request comes
            self._idle[conn] = None
        self._limit_idle()

    def _dispatch(self, conn: _Connection) -> None:
        self._selector.unregister(conn.sock)
        self._idle.pop(conn, None)
        self._pool.submit(lambda: self._serve(conn))

    def _take_returned(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        with self._lock:
            returned, self._returned = self._returned, []
        for conn in returned:
            if self._stopping:
                conn.close()
                continue
            conn.idle_since = time.monotonic()
            try:
                self._selector.register(conn.sock, selectors.EVENT_READ, conn)
            except (ValueError, OSError):  # closed meanwhile
                conn.close()
                continue
            self._idle[conn] = None
        self._limit_idle()

    def _limit_idle(self) -> None:
        if len(self._idle) > self.max_idle:
            oldest = set(list(self._idle)[: len(self._idle) - self.max_idle])
            self._close_idle(lambda c: c in oldest)

    def _close_idle(self, which: Callable[[_Connection], bool]) -> None:
        for conn in [c for c in self._idle if which(c)]:
            del self._idle[conn]
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(conn.sock)
            conn.close()

    def _give_back(self, conn: _Connection) -> None:
        with self._lock:
            watched = not self._loop_ended
            if watched:
                self._returned.append(conn)
        if watched:
            self._wake()
        else:
            conn.close()  # the selector thread has stopped: nobody would watch this connection

    # --- a pool thread: one connection, one or more requests -------------------------------------

    def _serve(self, conn: _Connection) -> None:
        try:
            while self._handle(conn) and not self._stopping:
                if conn.buffer:
                    continue  # the next request is already here
                if self.linger > 0 and conn.wait_for_data(self.linger, self.request_timeout):
                    continue  # a client calling again at once is served without a trip through the selector
                self._give_back(conn)
                return
        except (_Closed, *_DROPPED):
            pass
        except Exception:
            log.exception("serving a connection from %s failed", conn.address)
        conn.close()

    def _handle(self, conn: _Connection) -> bool:
        """Read one request, answer it; True when the connection stays open for another."""
        try:
            head = conn.read_head()
            if head is None:
                return False
            method, target, version, header_lines = parse_head(head)
        except _BadRequest as exc:
            self._send_error(conn, exc.status, exc.message)
            return False
        keep_alive = version != "HTTP/1.0"
        expect_continue = False
        chunked = False
        content_length: str | None = None
        for name, value in header_lines:
            lower = name.lower()
            if lower == "connection":
                tokens = _tokens(value)
                if "close" in tokens:
                    keep_alive = False
                elif "keep-alive" in tokens:
                    keep_alive = True
            elif lower == "expect":
                expect_continue = value.strip().lower() == "100-continue" and version != "HTTP/1.0"
            elif lower == "transfer-encoding":
                chunked = "chunked" in _tokens(value)
            elif lower == "content-length":
                content_length = value
        try:
            if expect_continue and (chunked or (content_length or "0").strip() not in ("", "0")):
                conn.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = self._read_body(conn, chunked, content_length)
        except _BadRequest as exc:
            self._send_error(conn, exc.status, exc.message)
            return False
        environ = self._environ(conn, method, target, version, header_lines, body, chunked)
        return self._run_app(conn, environ, method, version, keep_alive)

    @staticmethod
    def _read_body(conn: _Connection, chunked: bool, content_length: str | None) -> bytes:
        if chunked:
            parts = []
            while True:
                size_line = conn.read_line().split(b";", 1)[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    raise _BadRequest(400, f"bad chunk size {size_line[:40]!r}") from None
                if size == 0:
                    while conn.read_line() not in (b"\r\n", b"\n"):  # trailers
                        pass
                    return b"".join(parts)
                parts.append(conn.read_exact(size))
                if conn.read_line() not in (b"\r\n", b"\n"):
                    raise _BadRequest(400, "missing chunk terminating newline")
        if content_length is None:
            return b""
        try:
            size = int(content_length.strip())
        except ValueError:
            raise _BadRequest(400, f"bad Content-Length {content_length[:40]!r}") from None
        if size < 0:
            raise _BadRequest(400, f"bad Content-Length {content_length[:40]!r}")
        return conn.read_exact(size) if size else b""

    def _environ(
        self,
        conn: _Connection,
        method: str,
        target: str,
        version: str,
        header_lines: list[tuple[str, str]],
        body: bytes,
        chunked: bool,
    ) -> dict[str, Any]:
        """The environ werkzeug's development server builds for this request."""
        url = urlsplit(target)
        path_info = f"/{url.netloc}{url.path}" if not url.scheme and url.netloc else url.path
        raw_uri = _latin1(target)
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "SERVER_SOFTWARE": self.server_software,
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": _latin1(unquote(path_info)),
            "QUERY_STRING": _latin1(url.query),
            "REQUEST_URI": raw_uri,
            "RAW_URI": raw_uri,
            "REMOTE_ADDR": conn.address[0],
            "REMOTE_PORT": conn.address[1],
            "SERVER_NAME": self.server_address[0],
            "SERVER_PORT": str(self.server_address[1]),
            "SERVER_PROTOCOL": version,
        }
        for name, value in header_lines:
            if "_" in name:
                continue  # WSGI cannot tell X_Foo from X-Foo: werkzeug drops these (see environ_hook)
            key = name.upper().replace("-", "_")
            value = value.replace("\r\n", "")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = f"HTTP_{key}"
                if key in environ:
                    value = f"{environ[key]},{value}"
            environ[key] = value
        if chunked:
            environ["wsgi.input_terminated"] = True
        if url.scheme and url.netloc:
            environ["HTTP_HOST"] = url.netloc
        if self.environ_hook is not None:
            self.environ_hook(environ, header_lines)
        return environ

    def _run_app(self, conn: _Connection, environ: dict[str, Any], method: str, version: str, keep: bool) -> bool:
        state = _Answer(self, conn, method, version, keep)
        result: Iterable[bytes] | None = None
        try:
            result = self.app(environ, state.start_response)
            for data in result:
                state.write(data)
            state.finish()
        except _DROPPED:
            return False
        except Exception:
            log.exception("error on request %s %s", method, environ.get("RAW_URI"))
            if state.sent_headers:
                return False  # part of an answer is out: the connection cannot carry another
            state = _Answer(self, conn, method, version, False)
            try:
                for data in InternalServerError()(environ, state.start_response):
                    state.write(data)
                state.finish()
            except _DROPPED:
                pass
            return False
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log.exception("closing the answer to %s %s failed", method, environ.get("RAW_URI"))
        return state.keep_alive

    def _send_error(self, conn: _Connection, status: int, message: str) -> None:
        body = f"{status} {message}\n".encode("utf-8", "replace")
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nServer: {self.server_software}\r\n"
            f"Date: {self._dates.now()}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            conn.sock.sendall(head.encode("latin-1") + body)


def _latin1(text: str) -> str:
    """WSGI's "bytes as latin-1" string of a text (werkzeug's encoding dance)."""
    return text.encode().decode("latin1")


class _Answer:
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

    def __init__(self, server: WSGIServer, conn: _Connection, method: str, version: str, keep: bool) -> None:
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
        lines.append(f"Date: {self.server._dates.now()}")
        for name, value in self.headers:
            lower = name.lower()
            names.add(lower)
            if lower == "content-length":
                try:
                    self.length = int(value)
                except ValueError:
                    self.keep_alive = False
            elif lower == "connection" and "close" in _tokens(value):
                self.keep_alive = False
            lines.append(f"{name}: {value}")
        self.no_body = self.method == "HEAD" or code < 200 or code in _NO_BODY_STATUS
        if not self.no_body and self.length is None:
            if self.version == "HTTP/1.1":
                self.chunked = True
                lines.append("Transfer-Encoding: chunked")
            else:
                self.keep_alive = False  # an HTTP/1.0 body without a length ends when the connection does
        if self.server._stopping:
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
