"""The local cloud's HTTP/1.1 server: keep-alive, raw header lines, concurrency, loopback only, prompt shutdown."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from workshop_lib.local.core.http_server import WSGIServer, parse_head
from workshop_lib.local.core.server import environ_hook

RAW_KEY = "test.raw_headers"


class _App:
    """Echoes what the server gave it as JSON; ``/slow`` waits for ``release``; ``/boom`` raises."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.clients: list[tuple[str, int]] = []  # (REMOTE_ADDR, REMOTE_PORT) of every request

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.clients.append((environ["REMOTE_ADDR"], environ["REMOTE_PORT"]))
        path = environ["PATH_INFO"]
        if path == "/slow":
            self.release.wait(10)
        if path == "/boom":
            raise RuntimeError("the app failed")
        if environ.get("HTTP_X_AMZ_TARGET", "").endswith(".ListTables"):
            body = b'{"TableNames": []}'
            start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", "18")])
            return [body]
        doc = {
            "method": environ["REQUEST_METHOD"],
            "path": path,
            "raw_uri": environ["RAW_URI"],
            "query": environ["QUERY_STRING"],
            "body": environ["wsgi.input"].read().decode("latin-1"),
            "raw_headers": environ.get(RAW_KEY),
            "environ_headers": {k: v for k, v in environ.items() if k.startswith(("HTTP_", "CONTENT_"))},
        }
        body = json.dumps(doc).encode()
        if path == "/unsized":  # no Content-Length: chunked for HTTP/1.1, closed connection for HTTP/1.0
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body[:10], body[10:]]
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def _hook(environ: dict[str, Any], lines: list[tuple[str, str]]) -> None:
    environ[RAW_KEY] = lines


class _Running:
    def __init__(self, server: WSGIServer, app: _App) -> None:
        self.server = server
        self.app = app
        self.port = server.server_port

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)

    def raw(self, data: bytes) -> bytes:
        """Send bytes on a new socket and read until the server closes it."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(data)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


def _start(**options: Any) -> tuple[_Running, threading.Thread]:
    app = _App()
    server = WSGIServer("127.0.0.1", 0, app, environ_hook=_hook, **options)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return _Running(server, app), thread


@pytest.fixture
def served() -> Iterator[_Running]:
    running, thread = _start()
    try:
        yield running
    finally:
        running.app.release.set()
        running.server.shutdown()
        thread.join(5)


def _get(conn: http.client.HTTPConnection, path: str = "/", **kwargs: Any) -> tuple[http.client.HTTPResponse, dict]:
    conn.request(kwargs.pop("method", "GET"), path, **kwargs)
    resp = conn.getresponse()
    return resp, json.loads(resp.read() or b"null")


def test_keep_alive__http_client_sends_several_requests_on_one_connection(served):
    conn = served.connection()
    first, _ = _get(conn, "/a")
    sock = conn.sock
    second, doc = _get(conn, "/b", method="POST", body=b"hello")
    assert first.status == second.status == 200 and first.getheader("Connection") is None
    assert sock is not None and conn.sock is sock  # http.client drops its socket when told Connection: close
    assert doc["body"] == "hello" and len(set(served.app.clients)) == 1
    assert second.getheader("Date") and second.getheader("Server")


def test_keep_alive__boto3_reuses_its_connection(served):
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{served.port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )
    for _ in range(3):
        assert ddb.list_tables()["TableNames"] == []
    assert len(served.app.clients) == 3 and len(set(served.app.clients)) == 1


def test_headers__repeated_ones_arrive_as_separate_raw_lines_and_joined_in_the_environ(served):
    conn = served.connection()
    conn.putrequest("GET", "/echo?x=1&x=2")
    for name, value in [("x-multi", "one"), ("x-multi", "two"), ("X-Case", "Kept"), ("X_Under", "dropped")]:
        conn.putheader(name, value)
    conn.endheaders()
    doc = json.loads(conn.getresponse().read())
    assert [line for line in doc["raw_headers"] if line[0] != "Host" and not line[0].startswith("Accept")] == [
        ["x-multi", "one"],
        ["x-multi", "two"],
        ["X-Case", "Kept"],
        ["X_Under", "dropped"],
    ]
    headers = doc["environ_headers"]
    assert headers["HTTP_X_MULTI"] == "one,two" and headers["HTTP_X_CASE"] == "Kept"
    assert "HTTP_X_UNDER" not in headers  # as werkzeug: X_Under could pose as X-Under
    assert (doc["path"], doc["query"], doc["raw_uri"]) == ("/echo", "x=1&x=2", "/echo?x=1&x=2")


def test_environ__path_is_percent_decoded_and_raw_uri_kept(served):
    _, doc = _get(served.connection(), "/a%20b/c%2Fd?q=%41")
    assert (doc["path"], doc["raw_uri"], doc["query"]) == ("/a b/c/d", "/a%20b/c%2Fd?q=%41", "q=%41")


def test_environ_hook__keeps_s3_metadata_headers_with_underscores_as_moto_does():
    environ: dict[str, Any] = {}
    environ_hook(environ, [("x-amz-meta-my_key", "v1"), ("x-amz-meta-other_key", "v2"), ("X-Amz-Meta-Other-Key", "d")])
    assert environ["HTTP_X_AMZ_META_MY_KEY"] == "v1"
    assert "HTTP_X_AMZ_META_OTHER_KEY" not in environ  # the dashed header of that WSGI name wins
    assert environ["moto.preserved_header_names"] == {"HTTP_X_AMZ_META_MY_KEY": "x-amz-meta-my_key"}
    assert environ["workshop.raw_headers"][0] == ("x-amz-meta-my_key", "v1")


def test_slow_request__does_not_block_other_requests(served):
    slow_status: list[int] = []

    def slow() -> None:
        conn = served.connection()
        conn.timeout = 15
        resp, _ = _get(conn, "/slow")
        slow_status.append(resp.status)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.1)
    started = time.perf_counter()
    resp, _ = _get(served.connection(), "/fast")
    assert resp.status == 200 and time.perf_counter() - started < 2 and not slow_status
    served.app.release.set()
    thread.join(10)
    assert slow_status == [200]


def test_bind__loopback_only():
    with pytest.raises(ValueError, match="loopback"):
        WSGIServer("0.0.0.0", 0, _App())
    with pytest.raises(ValueError):
        WSGIServer("localhost", 0, _App())  # a name could resolve anywhere: an address is required
    server = WSGIServer("127.0.0.1", 0, _App())
    try:
        assert server.socket.getsockname()[0] == "127.0.0.1"
    finally:
        server.shutdown()


def test_shutdown__closes_idle_keep_alive_connections_promptly():
    running, thread = _start()
    conn = running.connection()
    resp, _ = _get(conn, "/")
    assert resp.status == 200 and conn.sock is not None
    time.sleep(0.1)  # the connection is idle in the selector now
    started = time.perf_counter()
    running.server.shutdown()
    conn.sock.settimeout(2)
    assert conn.sock.recv(1) == b""  # EOF: the server closed it
    assert time.perf_counter() - started < 1
    thread.join(2)
    assert not thread.is_alive()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", running.port), timeout=1)


def test_idle_connections__closed_after_the_idle_timeout_and_beyond_the_limit():
    running, thread = _start(idle_timeout=0.3, max_idle=2, linger=0)
    try:
        conns = [running.connection() for _ in range(4)]
        for conn in conns:
            _get(conn, "/")
            time.sleep(0.05)
        time.sleep(0.1)
        closed = []
        for conn in conns[:2]:  # the two oldest went beyond max_idle
            conn.sock.settimeout(2)
            closed.append(conn.sock.recv(1))
        assert closed == [b"", b""]
        conns[3].sock.settimeout(3)
        assert conns[3].sock.recv(1) == b""  # the newest, after idle_timeout
    finally:
        running.server.shutdown()
        thread.join(2)


def test_framing__chunked_request_body_expect_continue_and_pipelined_requests(served):
    chunked = (
        b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
        b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"
    )
    closing = b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    reply = served.raw(chunked + closing)
    assert reply.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
    assert reply.count(b"HTTP/1.1 200 OK") == 2 and b'"body": "hello world"' in reply
    assert b"Connection: close" in reply.rsplit(b"HTTP/1.1 200 OK", 1)[1]


def test_framing__answer_without_length_is_chunked_for_http_1_1_and_closes_for_http_1_0(served):
    conn = served.connection()
    resp, doc = _get(conn, "/unsized")
    assert resp.getheader("Transfer-Encoding") == "chunked" and doc["path"] == "/unsized"
    assert _get(conn, "/again")[1]["path"] == "/again"  # still usable after a chunked answer
    reply = served.raw(b"GET /unsized HTTP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK") and b"Transfer-Encoding" not in reply
    assert b"Connection: close" in reply and reply.endswith(b"}")


def test_head__answer_has_no_body_and_the_connection_stays_usable(served):
    conn = served.connection()
    conn.request("HEAD", "/h")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.read() == b""
    assert _get(conn, "/after")[1]["path"] == "/after"


def test_errors__malformed_request_gives_400_and_a_failing_app_gives_500(served):
    assert served.raw(b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400 Bad Request")
    assert served.raw(b"GET / HTTP/2.0\r\n\r\n").startswith(b"HTTP/1.1 505 ")
    assert served.raw(b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 414 ")
    many = b"".join(b"X-%d: v\r\n" % i for i in range(101))
    assert served.raw(b"GET / HTTP/1.1\r\n" + many + b"\r\n").startswith(b"HTTP/1.1 431 ")
    conn = served.connection()
    conn.request("GET", "/boom")
    resp = conn.getresponse()
    assert resp.status == 500 and b"Internal Server Error" in resp.read()
    assert _get(served.connection(), "/fine")[0].status == 200


def test_parse_head__folded_lines_and_non_header_lines_as_email_parser_reads_them():
    method, target, version, headers = parse_head(
        b"PUT //double/slash HTTP/1.1\r\nA: 1\r\n  folded\r\nB:2\r\nnot a header\r\nC: 3\r\n\r\n"
    )
    assert (method, target, version) == ("PUT", "/double/slash", "HTTP/1.1")
    assert headers == [("A", "1\r\n  folded"), ("B", "2")]  # the rest after a non-header line is no header


def _signed(service: str, region: str = "us-east-1", **environ: str) -> dict[str, Any]:
    auth = f"AWS4-HMAC-SHA256 Credential=AKID/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=x"
    return {"PATH_INFO": "/", "HTTP_HOST": "127.0.0.1", "HTTP_AUTHORIZATION": auth, **environ}


@pytest.mark.parametrize(
    "environ",
    [
        _signed("dynamodb", HTTP_X_AMZ_TARGET="DynamoDB_20120810.PutItem"),
        _signed("sts", CONTENT_TYPE="application/x-www-form-urlencoded"),
        _signed("sagemaker", PATH_INFO="/endpoints/e/invocations"),
        _signed("sagemaker", HTTP_X_AMZ_TARGET="SageMaker.CreateModel"),
        _signed("s3", PATH_INFO="/bucket/key"),
        _signed("logs", HTTP_X_AMZ_TARGET="Logs_20140328.PutLogEvents"),
        {"PATH_INFO": "/moto-api/reset", "HTTP_HOST": "127.0.0.1"},
    ],
    ids=["dynamodb", "sts", "sagemaker-runtime", "sagemaker", "s3", "logs", "moto-api"],
)
def test_moto_dispatcher__picks_the_backend_moto_picks_and_remembers_it(environ):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from workshop_lib.local.core.moto_seam import MotoDispatcher

    expected = DomainDispatcherApplication(create_backend_app).get_application(dict(environ)).service
    dispatcher = MotoDispatcher()
    first = dispatcher.get_application(dict(environ))
    assert first.service == expected
    assert dispatcher.get_application(dict(environ)) is first
