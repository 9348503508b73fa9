"""The API Gateway data plane without a cloud: routing, the proxy event, the proxy response, resource policies."""

from __future__ import annotations

import base64
import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from tests.events import EVENTS_DIR
from workshop_lib.local.apigateway.events import EventInput, RequestIds, build_event, is_binary, request_header_lines
from workshop_lib.local.apigateway.exceptions import MalformedProxyResponse
from workshop_lib.local.apigateway.models import find_route
from workshop_lib.local.apigateway.models import freeze as freeze_definition
from workshop_lib.local.apigateway.proxy import parse_proxy_response
from workshop_lib.local.core.moto_seam import api_definition
from workshop_lib.local.core.router import RAW_HEADERS_ENVIRON_KEY

REGION = "us-east-1"
REFERENCE_EVENT = EVENTS_DIR / "apigateway-rest-proxy.json"

# --- Without a cloud: routing, the event, the proxy response, resource policies ---------------------------


class _Res:
    def __init__(self, rid, parent, part, methods=()):
        self.id, self.parent_id, self.path_part = rid, parent, part
        self.resource_methods = {m: _Method(m) for m in methods}


class _Method:
    def __init__(self, verb):
        self.authorization_type, self.api_key_required, self.method_integration = "NONE", False, None


class _Api:
    """The attributes of moto's RestAPI that freeze() reads."""

    def __init__(self, resources, binary=()):
        self.id, self.binaryMediaTypes = "api1", list(binary)
        self.resources = {r.id: r for r in resources}


def freeze(api, deployment_id):
    """What a deployment of ``api`` (moto's RestAPI, or the stand-in above) froze."""
    return freeze_definition(api_definition(api), deployment_id)


TREE = _Api(
    [
        _Res("r0", None, "/", ["GET"]),
        _Res("r1", "r0", "users"),
        _Res("r2", "r1", "{userId}", ["GET"]),
        _Res("r3", "r1", "me", ["PATCH"]),
        _Res("r4", "r0", "files"),
        _Res("r5", "r4", "{proxy+}", ["ANY"]),
        _Res("r6", "r2", "orders", ["POST"]),
    ],
    binary=["image~1png", "application/*"],
)


@pytest.mark.parametrize(
    ("method", "path", "resource", "params"),
    [
        ("GET", "/", "/", {}),
        ("GET", "/users/42", "/users/{userId}", {"userId": "42"}),
        ("PATCH", "/users/me", "/users/me", {}),
        ("GET", "/users/me", "/users/{userId}", {"userId": "me"}),  # the literal sibling has no GET
        ("POST", "/users/7/orders", "/users/{userId}/orders", {"userId": "7"}),
        ("DELETE", "/files/a/b/c.txt", "/files/{proxy+}", {"proxy": "a/b/c.txt"}),
    ],
)
def test_find_route__most_specific_resource_with_the_method(method, path, resource, params):
    deployment = freeze(TREE, "d1")
    route = find_route(deployment.root, [p for p in path.split("/") if p], method)
    assert route is not None
    assert (route.node.path, route.path_parameters) == (resource, params)


@pytest.mark.parametrize(("method", "path"), [("POST", "/users/me"), ("GET", "/files"), ("GET", "/nope"), ("PUT", "/")])
def test_find_route__no_resource_with_that_method_is_none(method, path):
    deployment = freeze(TREE, "d1")
    assert find_route(deployment.root, [p for p in path.split("/") if p], method) is None


def test_freeze__reads_binary_media_types_escaped_or_not():
    assert freeze(TREE, "d1").binary_media_types == ("image/png", "application/*")
    assert is_binary("image/png", ("image/png",)) and is_binary("application/pdf; x=1", ("application/*",))
    assert not is_binary("text/plain", ("image/*",)) and is_binary("", ("*/*",))


def _event_for(environ_kwargs, raw_headers=None, body=b"", binary=()):
    environ = EnvironBuilder(**environ_kwargs).get_environ()
    if raw_headers is not None:
        environ[RAW_HEADERS_ENVIRON_KEY] = raw_headers
    request = Request(environ)
    deployment = freeze(TREE, "d1")
    route = find_route(deployment.root, ["users", "42"], "GET")
    return build_event(
        EventInput(
            api_id="api1",
            stage="prod",
            account_id="123456789012",
            region="us-east-1",
            deployment_id="d1",
            http_method="GET",
            path="/users/42",
            query=environ["QUERY_STRING"],
            header_lines=request_header_lines(request),
            body=body,
            source_ip="198.51.100.7",
            protocol="HTTP/1.1",
            port=4566,
            route=route,
            stage_variables={},
            binary_media_types=tuple(binary),
            ids=RequestIds.new(),
        )
    )


def test_build_event__repeated_headers_and_query_keys_are_multi_valued_the_single_maps_keep_the_last():
    event = _event_for(
        {"path": "/x", "query_string": "a=1&a=2&b=x%20y+z&c="},
        raw_headers=[("x-multi", "one"), ("x-multi", "two"), ("Host", "h"), ("Content-Length", "0")],
    )
    assert event["multiValueHeaders"]["x-multi"] == ["one", "two"] and event["headers"]["x-multi"] == "two"
    assert "Content-Length" not in event["headers"]
    assert event["queryStringParameters"] == {"a": "2", "b": "x y+z", "c": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y+z"], "c": [""]}
    assert event["headers"]["X-Forwarded-For"] == "198.51.100.7"
    assert event["pathParameters"] == {"userId": "42"} and event["stageVariables"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_build_event__appends_the_caller_to_x_forwarded_for_and_keeps_a_trace_id():
    event = _event_for({"headers": {"X-Forwarded-For": "203.0.113.1", "X-Amzn-Trace-Id": "Root=1-abc-def"}})
    assert event["headers"]["X-Forwarded-For"] == "203.0.113.1, 198.51.100.7"
    assert event["headers"]["X-Amzn-Trace-Id"] == "Root=1-abc-def"


def test_build_event__binary_body_is_base64():
    event = _event_for({"headers": {"Content-Type": "image/png"}}, body=b"\x89PNG\x00\xff", binary=["image/png"])
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x89PNG\x00\xff"


def test_request_time__is_apigateways_format():
    ids = RequestIds("r", "e", "t", 1759314030123)
    assert ids.request_time == "01/Oct/2025:10:20:30 +0000"


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"null",
        b'"a string"',
        b'{"statusCode": 200, "body": {"an": "object"}}',
        b'{"statusCode": 200, "body": "x", "cookies": ["a=1"]}',
        b'{"statusCode": "two hundred"}',
        b'{"statusCode": 700}',
        b'{"headers": {"X-Count": 3}}',
        b'{"multiValueHeaders": {"X-A": "not a list"}}',
        b'{"isBase64Encoded": "true"}',
    ],
)
def test_parse_proxy_response__malformed_is_refused(payload):
    with pytest.raises(MalformedProxyResponse):
        parse_proxy_response(payload)


def test_parse_proxy_response__defaults_and_merged_headers():
    empty = parse_proxy_response(b"{}")
    assert (empty.status, empty.headers, empty.body, empty.is_base64) == (200, [], "", False)
    resp = parse_proxy_response(
        json.dumps(
            {
                "statusCode": "201",
                "headers": {"X-A": "1", "X-B": "single", "X-Flag": True},
                "multiValueHeaders": {"X-B": ["m1", "m2"]},
                "body": "ok",
            }
        ).encode()
    )
    assert resp.status == 201
    assert resp.headers == [("X-A", "1"), ("X-B", "m1"), ("X-B", "m2"), ("X-Flag", "true")]
