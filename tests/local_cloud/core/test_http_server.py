"""The local cloud's HTTP/1.1 server, running: http.client and boto3 connections are kept alive."""

from __future__ import annotations

import http.client
import json

import pytest


@pytest.mark.local_cloud
def test_local_cloud__keeps_http_client_and_boto3_connections_alive(local_conn, local_cloud):
    conn = http.client.HTTPConnection("127.0.0.1", local_cloud.port, timeout=10)
    sockets = []
    try:
        for _ in range(2):
            conn.request("GET", "/_workshop/health")
            resp = conn.getresponse()
            assert resp.status == 200 and json.loads(resp.read())["status"] == "running"
            sockets.append(conn.sock)  # http.client drops its socket after a Connection: close answer
        assert sockets[0] is not None and sockets[0] is sockets[1]
    finally:
        conn.close()
    sts = local_conn.client("sts")
    for _ in range(2):
        headers = sts.get_caller_identity()["ResponseMetadata"]["HTTPHeaders"]
        assert headers.get("connection") != "close" and headers.get("date")
