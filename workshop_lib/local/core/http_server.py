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
import ipaddress
import logging
import queue
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import InternalServerError

from .http_wire import (
    DROPPED,
    REASONS,
    Answer,
    BadRequest,
    ClientClosed,
    Connection,
    DateCache,
    RequestHead,
    parse_head,
    read_body,
    request_environ,
)

log = logging.getLogger("workshop_lib.local.http")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
EnvironHook = Callable[[dict[str, Any], list[tuple[str, str]]], None]
SERVER_SOFTWARE = f"workshop-local-cloud Python/{sys.version.split()[0]}"
__all__ = ["SERVER_SOFTWARE", "WSGIServer", "parse_head"]


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
        self.dates = DateCache()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._lock = threading.Lock()
        self._returned: list[Connection] = []
        self._idle: dict[Connection, None] = {}  # in the selector, oldest first
        self.stopping = False
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
            while not self.stopping:
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
        self.stopping = True
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
            conn = Connection(sock, address)
            self._selector.register(sock, selectors.EVENT_READ, conn)  # a thread is taken when a request comes
            self._idle[conn] = None
        self._limit_idle()

    def _dispatch(self, conn: Connection) -> None:
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
            if self.stopping:
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

    def _close_idle(self, which: Callable[[Connection], bool]) -> None:
        for conn in [c for c in self._idle if which(c)]:
            del self._idle[conn]
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(conn.sock)
            conn.close()

    def _give_back(self, conn: Connection) -> None:
        with self._lock:
            watched = not self._loop_ended
            if watched:
                self._returned.append(conn)
        if watched:
            self._wake()
        else:
            conn.close()  # the selector thread has stopped: nobody would watch this connection

    # --- a pool thread: one connection, one or more requests -------------------------------------

    def _serve(self, conn: Connection) -> None:
        try:
            while self._handle(conn) and not self.stopping:
                if conn.buffer:
                    continue  # the next request is already here
                if self.linger > 0 and conn.wait_for_data(self.linger, self.request_timeout):
                    continue  # a client calling again at once is served without a trip through the selector
                self._give_back(conn)
                return
        except (ClientClosed, *DROPPED):
            pass
        except Exception:
            log.exception("serving a connection from %s failed", conn.address)
        conn.close()

    def _handle(self, conn: Connection) -> bool:
        """Read one request, answer it; True when the connection stays open for another."""
        try:
            raw = conn.read_head()
            if raw is None:
                return False
            head = RequestHead.parse(raw)
            if head.expect_continue and head.has_body:
                conn.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = read_body(conn, head.chunked, head.content_length)
        except BadRequest as exc:
            self._send_error(conn, exc.status, exc.message)
            return False
        environ = request_environ(
            conn, head, body, server_address=self.server_address, server_software=self.server_software
        )
        if self.environ_hook is not None:
            self.environ_hook(environ, head.header_lines)
        return self._run_app(conn, environ, head.method, head.version, head.keep_alive)

    def _run_app(self, conn: Connection, environ: dict[str, Any], method: str, version: str, keep: bool) -> bool:
        state = Answer(self, conn, method, version, keep)
        result: Iterable[bytes] | None = None
        try:
            result = self.app(environ, state.start_response)
            for data in result:
                state.write(data)
            state.finish()
        except DROPPED:
            return False
        except Exception:
            log.exception("error on request %s %s", method, environ.get("RAW_URI"))
            if state.sent_headers:
                return False  # part of an answer is out: the connection cannot carry another
            state = Answer(self, conn, method, version, False)
            try:
                for data in InternalServerError()(environ, state.start_response):
                    state.write(data)
                state.finish()
            except DROPPED:
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

    def _send_error(self, conn: Connection, status: int, message: str) -> None:
        body = f"{status} {message}\n".encode("utf-8", "replace")
        head = (
            f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nServer: {self.server_software}\r\n"
            f"Date: {self.dates.now()}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            conn.sock.sendall(head.encode("latin-1") + body)

