"""The local API Gateway data plane: REST API stages at ``/restapis/{api}/{stage}/_user_request_/{path}``.

It serves every deployed stage of every REST API in moto's apigateway backend, following each API's
own resources (literal parts, ``{param}`` and ``{proxy+}``), methods (``ANY`` included) and
``AWS_PROXY`` integrations, and answers as API Gateway does:

- the Lambda gets the REST (v1) proxy event: ``resource``, ``path``, ``httpMethod``, ``headers`` and
  ``multiValueHeaders``, ``queryStringParameters`` and ``multiValueQueryStringParameters`` (the single
  maps hold the last value), ``pathParameters``, ``stageVariables``, ``requestContext`` (a fresh
  ``requestId`` per request, ``identity.sourceIp`` the caller, ...), ``body`` and ``isBase64Encoded``
  (base64 when the Content-Type is one of the API's binaryMediaTypes); absent values are null;
- the function runs through the Lambda data plane, and its proxy response (statusCode, headers,
  multiValueHeaders, body, isBase64Encoded) becomes the HTTP response, with ``x-amzn-RequestId``,
  ``x-amz-apigw-id`` and ``X-Amzn-Trace-Id``;
- errors: a malformed proxy response or a function error gives 502 ``{"message":"Internal server
  error"}``; an unknown resource or method on a deployed stage gives 403 ``{"message":"Missing
  Authentication Token"}``; an unknown API or stage gives 403 ``{"message":"Forbidden"}`` (what
  execute-api answers for them); an integration running past its timeout (29 s unless the integration
  sets ``timeoutInMillis``) gives 504 ``{"message":"Endpoint request timed out"}``; a body over 10 MB
  gives 413; a function whose resource policy does not let ``apigateway.amazonaws.com`` invoke it for
  this method's source ARN, a missing function, or a refused Invoke call give 500 ``{"message":
  "Internal server error"}``.

A stage serves what was *deployed*: each CreateDeployment call is seen here, and the API's resources,
methods, integrations and binaryMediaTypes are frozen at that moment. Changes made afterwards are served
only after the next deployment, as on AWS. (A deployment created without going through this cloud's HTTP
port, which the kit never does, is frozen when it is first served.) The plane also records the
``binaryMediaTypes`` of CreateRestApi and of UpdateRestApi's ``/binaryMediaTypes/{type}`` operations,
which moto drops; every other control-plane call is moto's.

The function's resource policy is read from moto's Lambda backend on every request: a statement must
allow ``lambda:InvokeFunction`` to ``apigateway.amazonaws.com`` (or ``*``), and its conditions
(``ArnLike``/``ArnEquals``/``StringLike``/``StringEquals`` on ``AWS:SourceArn`` and ``AWS:SourceAccount``,
with ``*`` and ``?`` wildcards) must hold for ``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}
{resource path}``; any other condition never holds, and an applying Deny wins.

What it cannot do: only ``AWS_PROXY`` (Lambda proxy) integrations are served, other types answer 500;
an integration with ``credentials`` (a role for API Gateway) skips the resource policy check and the
role's permissions are not evaluated; the API's own resource policy is not evaluated;
authorizers (``CUSTOM``, ``COGNITO_USER_POOLS``) are not run and answer 500; ``AWS_IAM`` methods refuse
unsigned requests (403 Missing Authentication Token) but do not verify signatures or permissions; an API
key is checked for existence, being enabled and a usage plan holding the stage, not for quotas or
throttling; custom gateway responses, request validators, mapping templates, caching, CloudFront
headers and access logs are not emulated; ``requestContext.domainName`` has AWS's shape
(``{api}.execute-api.{region}.amazonaws.com``) while the ``Host`` header says where the request came in.
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import functools
import io
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from .edge import RAW_HEADERS_ENVIRON_KEY, CloudContext, signature_of

log = logging.getLogger("workshop_lib.local.apigateway")

# The WSGI environ key under which the server may pass the request's header lines as received
# ([(name, value), ...]), so that header-name case and repeated headers reach the event as AWS keeps them.
# Without it, repeated headers arrive joined by commas and names title-cased (WSGI's CGI-style environ).

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit (REST APIs)
DEFAULT_TIMEOUT_MS = 29_000  # the integration timeout unless the integration sets timeoutInMillis

_USER_REQUEST = re.compile(r"^/restapis/([^/]+)/([^/]+)/_user_request_(/.*)?$")
_CREATE_DEPLOYMENT = re.compile(r"^/restapis/([^/]+)/deployments/?$")
_REST_APIS = re.compile(r"^/restapis/?$")
_REST_API = re.compile(r"^/restapis/([^/]+)/?$")
_BINARY_PATH = "/binaryMediaTypes/"
_LAMBDA_URI = re.compile(r"^arn:aws[a-z-]*:apigateway:([a-z0-9-]+):lambda:path/[^/]+/functions/(.+)/invocations$")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
_PROXY_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
# Dropped from the event's headers (hop-by-hop, or set by API Gateway's front end itself).
_DROPPED_REQUEST_HEADERS = frozenset(
    {"content-length", "connection", "keep-alive", "transfer-encoding", "expect", "te"}
)
# Written with this case whatever case the client used (as API Gateway's front end does).
_CANONICAL_REQUEST_HEADERS = {
    name.lower(): name
    for name in ("Host", "User-Agent", "Authorization", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto")
}
# Response headers the server controls itself: a function's value is passed on as x-amzn-Remapped-<name>.
_REMAPPED_RESPONSE_HEADERS = frozenset({"connection", "content-length", "date", "server", "transfer-encoding"})
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --- What a deployment froze ---------------------------------------------------------------------


@dataclass(frozen=True)
class FrozenIntegration:
    type: str
    uri: str
    http_method: str | None
    timeout_ms: int
    credentials: str | None


@dataclass(frozen=True)
class FrozenMethod:
    http_method: str
    authorization_type: str
    api_key_required: bool
    integration: FrozenIntegration | None


@dataclass
class ResourceNode:
    """One resource of a deployed API, with its children by kind (literal, ``{param}``, ``{param+}``)."""

    resource_id: str
    path: str
    path_part: str
    methods: dict[str, FrozenMethod] = field(default_factory=dict)
    literal: dict[str, ResourceNode] = field(default_factory=dict)
    params: list[tuple[str, ResourceNode]] = field(default_factory=list)
    greedy: list[tuple[str, ResourceNode]] = field(default_factory=list)

    def method(self, http_method: str) -> FrozenMethod | None:
        return self.methods.get(http_method) or self.methods.get("ANY")


@dataclass(frozen=True)
class FrozenDeployment:
    api_id: str
    deployment_id: str
    root: ResourceNode
    binary_media_types: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    node: ResourceNode
    method: FrozenMethod
    path_parameters: dict[str, str]


def freeze(api: Any, deployment_id: str) -> FrozenDeployment:
    """Copy what a moto RestAPI defines now (the part a deployment serves)."""
    resources = list(api.resources.values())
    nodes = {r.id: ResourceNode(r.id, "", r.path_part) for r in resources}
    root: ResourceNode | None = None
    for r in resources:
        node = nodes[r.id]
        for verb, m in list(r.resource_methods.items()):
            integ = m.method_integration
            frozen = None
            if integ is not None:
                timeout = integ.timeout_in_millis
                frozen = FrozenIntegration(
                    type=str(integ.integration_type or "").upper(),
                    uri=integ.uri or "",
                    http_method=integ.http_method,
                    timeout_ms=int(timeout) if timeout not in (None, "") else DEFAULT_TIMEOUT_MS,
                    credentials=integ.credentials,
                )
            node.methods[verb.upper()] = FrozenMethod(
                http_method=verb.upper(),
                authorization_type=(m.authorization_type or "NONE").upper(),
                api_key_required=bool(m.api_key_required),
                integration=frozen,
            )
        parent = nodes.get(r.parent_id) if r.parent_id else None
        if parent is None:
            root = node
            continue
        part = r.path_part
        if part.startswith("{") and part.endswith("+}"):
            parent.greedy.append((part[1:-2], node))
        elif part.startswith("{") and part.endswith("}"):
            parent.params.append((part[1:-1], node))
        else:
            parent.literal[part] = node
    if root is None:
        root = ResourceNode("", "/", "/")
    _set_paths(root, "")
    media_types = tuple(t.replace("~1", "/").lower() for t in (api.binaryMediaTypes or []))
    return FrozenDeployment(api.id, deployment_id, root, media_types)


def _set_paths(node: ResourceNode, parent_path: str) -> None:
    node.path = "/" if node.path_part == "/" else f"{parent_path.rstrip('/')}/{node.path_part}"
    children = [*node.literal.values(), *(n for _, n in node.params), *(n for _, n in node.greedy)]
    for child in children:
        _set_paths(child, node.path)


def find_route(root: ResourceNode, segments: list[str], http_method: str) -> Route | None:
    """The most specific resource matching ``segments`` that has ``http_method`` (or ANY).

    Literal path parts win over ``{param}``, which wins over ``{param+}``; a branch without the method
    falls back to the next candidate, so ``GET /users/me`` reaches ``/users/{id}`` when ``/users/me``
    only has PATCH.
    """
    return _match(root, segments, 0, http_method, {})


def _match(node: ResourceNode, segs: list[str], i: int, verb: str, params: dict[str, str]) -> Route | None:
    if i == len(segs):
        method = node.method(verb)
        return Route(node, method, params) if method else None
    child = node.literal.get(segs[i])
    if child is not None and (found := _match(child, segs, i + 1, verb, params)):
        return found
    for name, child in node.params:
        if found := _match(child, segs, i + 1, verb, {**params, name: segs[i]}):
            return found
    for name, child in node.greedy:
        method = child.method(verb)
        if method is not None:
            return Route(child, method, {**params, name: "/".join(segs[i:])})
    return None


# --- The proxy event --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestIds:
    """The identifiers API Gateway gives one request."""

    request_id: str
    extended_request_id: str
    trace_id: str
    epoch_ms: int

    @classmethod
    def new(cls) -> RequestIds:
        now = time.time()
        trace = f"Root=1-{int(now):08x}-{os.urandom(12).hex()}"
        extended = base64.b64encode(os.urandom(11)).decode()
        return cls(str(uuid.uuid4()), extended, trace, int(now * 1000))

    @property
    def request_time(self) -> str:
        """``requestContext.requestTime``: ``09/Apr/2015:12:34:56 +0000`` (UTC, English month)."""
        t = time.gmtime(self.epoch_ms / 1000)
        return (
            f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
        )


def request_header_lines(request: Request) -> list[tuple[str, str]]:
    """The request's header lines, as received when the server passes them, else from the WSGI environ."""
    raw = request.environ.get(RAW_HEADERS_ENVIRON_KEY)
    if raw is not None:
        return [(str(k), str(v)) for k, v in raw]
    return list(request.headers.items())


def parse_query(query: str) -> list[tuple[str, str]]:
    """Query parameters in order, percent-decoded (``+`` stays ``+``, as API Gateway leaves it)."""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return pairs


def _single_and_multi(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    if not multi:
        return None, None
    return {k: v[-1] for k, v in multi.items()}, multi


def media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def is_binary(content_type: str, binary_media_types: Iterable[str]) -> bool:
    """Whether a media type is one of the API's binaryMediaTypes (``*/*`` and ``type/*`` wildcards)."""
    kind = media_type(content_type)
    for pattern in binary_media_types:
        if pattern == "*/*" or pattern == kind:
            return True
        if kind and pattern.endswith("/*") and kind.split("/", 1)[0] == pattern[:-2]:
            return True
    return False


@dataclass(frozen=True)
class EventInput:
    """Everything about one request that the proxy event is built from."""

    api_id: str
    stage: str
    account_id: str
    region: str
    deployment_id: str
    http_method: str
    path: str  # the path after the stage, percent-decoded, starting with /
    query: str
    header_lines: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str
    port: int
    route: Route
    stage_variables: dict[str, str]
    binary_media_types: tuple[str, ...]
    ids: RequestIds
    access_key: str | None = None


def build_event(req: EventInput) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy event, field by field as API Gateway builds it."""
    lines: list[tuple[str, str]] = []
    forwarded_for = None
    for name, value in req.header_lines:
        lower = name.lower()
        if lower in _DROPPED_REQUEST_HEADERS:
            continue
        if lower == "x-forwarded-for":
            forwarded_for = value if forwarded_for is None else f"{forwarded_for}, {value}"
            continue
        lines.append((_CANONICAL_REQUEST_HEADERS.get(lower, name), value))
    lower_names = {name.lower() for name, _ in lines}
    if "x-amzn-trace-id" not in lower_names:
        lines.append(("X-Amzn-Trace-Id", req.ids.trace_id))
    lines.append(("X-Forwarded-For", f"{forwarded_for}, {req.source_ip}" if forwarded_for else req.source_ip))
    lines.append(("X-Forwarded-Port", str(req.port)))
    lines.append(("X-Forwarded-Proto", "http"))
    headers, multi_headers = _single_and_multi(lines)
    query, multi_query = _single_and_multi(parse_query(req.query))

    content_type = next((v for k, v in reversed(lines) if k.lower() == "content-type"), "")
    if not req.body:
        body, encoded = None, False
    elif is_binary(content_type, req.binary_media_types):
        body, encoded = base64.b64encode(req.body).decode("ascii"), True
    else:
        body, encoded = req.body.decode("utf-8", errors="replace"), False

    user_agent = next((v for k, v in reversed(lines) if k.lower() == "user-agent"), None)
    domain = f"{req.api_id}.execute-api.{req.region}.amazonaws.com"
    return {
        "resource": req.route.node.path,
        "path": req.path,
        "httpMethod": req.http_method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": req.route.path_parameters or None,
        "stageVariables": req.stage_variables or None,
        "requestContext": {
            "resourceId": req.route.node.resource_id,
            "resourcePath": req.route.node.path,
            "httpMethod": req.http_method,
            "extendedRequestId": req.ids.extended_request_id,
            "requestTime": req.ids.request_time,
            "path": f"/{req.stage}{req.path}",
            "accountId": req.account_id,
            "protocol": req.protocol,
            "stage": req.stage,
            "domainPrefix": req.api_id,
            "requestTimeEpoch": req.ids.epoch_ms,
            "requestId": req.ids.request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": req.account_id if req.access_key else None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": req.source_ip,
                "principalOrgId": None,
                "accessKey": req.access_key,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": user_agent,
                "user": None,
            },
            "domainName": domain,
            "deploymentId": req.deployment_id,
            "apiId": req.api_id,
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


# --- The proxy response ------------------------------------------------------------------------------


class MalformedProxyResponse(ValueError):
    """The function's result is not a Lambda proxy response (API Gateway answers 502)."""


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: list[tuple[str, str]]
    body: str
    is_base64: bool


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    raise MalformedProxyResponse(f"header value {value!r} is not a string")


def parse_proxy_response(payload: bytes) -> ProxyResponse:
    """Check a function's result against the proxy response format; raise MalformedProxyResponse if off."""
    try:
        result = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedProxyResponse(f"the result is not JSON: {exc}") from exc
    if not isinstance(result, dict):
        raise MalformedProxyResponse(f"the result is a {type(result).__name__}, not an object")
    extra = set(result) - _PROXY_RESPONSE_KEYS
    if extra:
        raise MalformedProxyResponse(f"the result has keys a proxy response may not have: {sorted(extra)}")
    status = result.get("statusCode")
    if status is None:
        status = 200
    if isinstance(status, bool) or not isinstance(status, int | str):
        raise MalformedProxyResponse(f"statusCode {status!r} is not a number")
    try:
        status = int(status)
    except ValueError as exc:
        raise MalformedProxyResponse(f"statusCode {status!r} is not a number") from exc
    if not 100 <= status <= 599:
        raise MalformedProxyResponse(f"statusCode {status} is not an HTTP status")
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedProxyResponse("headers and multiValueHeaders must be objects")
    merged: dict[str, list[str]] = {str(k): [_header_value(v)] for k, v in single.items()}
    for key, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{key!r}] is not a list")
        merged[str(key)] = [_header_value(v) for v in values]  # multiValueHeaders wins for a key in both
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedProxyResponse(f"body is a {type(body).__name__}, not a string")
    encoded = result.get("isBase64Encoded")
    if encoded is not None and not isinstance(encoded, bool):
        raise MalformedProxyResponse(f"isBase64Encoded {encoded!r} is not a boolean")
    lines = [(k, v) for k, values in merged.items() for v in values]
    return ProxyResponse(status, lines, body or "", bool(encoded))


# --- Lambda resource policies ------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _glob_regex(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, 0 if case_sensitive else re.IGNORECASE)


def _glob(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM-style wildcards: ``*`` any characters, ``?`` one character."""
    return _glob_regex(pattern, case_sensitive).fullmatch(value) is not None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal_is_apigateway(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        if "*" in _as_list(principal.get("AWS")):
            return True
        return "apigateway.amazonaws.com" in _as_list(principal.get("Service"))
    return principal == "apigateway.amazonaws.com"


def _action_matches(actions: Any) -> bool:
    return any(_glob(a, "lambda:InvokeFunction", case_sensitive=False) for a in _as_list(actions))


def _condition_holds(conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, entries in conditions.items():
        for key, expected in (entries or {}).items():
            actual = context.get(key.lower())
            if actual is None:
                return False
            wanted = [str(e) for e in _as_list(expected)]
            if operator in ("ArnLike", "StringLike"):
                ok = any(_glob(w, actual) for w in wanted)
            elif operator in ("ArnEquals", "StringEquals"):
                ok = actual in wanted
            elif operator == "StringEqualsIgnoreCase":
                ok = actual.lower() in (w.lower() for w in wanted)
            else:  # an operator the kit does not evaluate: never treat it as satisfied
                ok = False
            if not ok:
                return False
    return True


def policy_allows_apigateway(statements: Iterable[Mapping[str, Any]], source_arn: str, account_id: str) -> bool:
    """Whether a function's resource policy lets API Gateway invoke it for ``source_arn``."""
    context = {"aws:sourcearn": source_arn, "aws:sourceaccount": account_id}
    allowed = False
    for st in statements:
        if not (_principal_is_apigateway(st.get("Principal")) and _action_matches(st.get("Action"))):
            continue
        if not _condition_holds(st.get("Condition") or {}, context):
            continue
        if st.get("Effect", "Allow") == "Deny":
            return False
        allowed = True
    return allowed


# --- The data plane ----------------------------------------------------------------------------------


def _error(status: int, message: str, ids: RequestIds, error_type: str | None = None) -> Response:
    resp = Response(json.dumps({"message": message}, separators=(",", ":")), status=status)
    resp.headers["Content-Type"] = "application/json"
    resp.headers["x-amzn-RequestId"] = ids.request_id
    resp.headers["x-amz-apigw-id"] = ids.extended_request_id
    if error_type:
        resp.headers["x-amzn-ErrorType"] = error_type
    return resp


def _json_like(resp: Response, doc: dict[str, Any]) -> Response:
    """``resp`` with ``doc`` as its JSON body (status and headers kept)."""
    out = Response(status=resp.status_code, headers=resp.headers)
    out.set_data(json.dumps(doc))  # also sets Content-Length
    return out


def _internal_error(ids: RequestIds, status: int = 500) -> Response:
    return _error(status, "Internal server error", ids, "InternalServerErrorException")


class ApiGatewayPlane:
    """Serves ``/restapis/{api}/{stage}/_user_request_/{path}``; freezes deployments as they are created."""

    def __init__(self, ctx: CloudContext) -> None:
        self.ctx = ctx
        self._frozen: dict[tuple[str, str, str], FrozenDeployment] = {}  # (region, api, deployment)
        self._lock = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="apigw-integration")
        self._lambda: Any = None

    # DataPlane protocol
    def matches(self, request: Request) -> bool:
        path = request.path
        if not path.startswith("/restapis"):
            return False
        if _USER_REQUEST.match(path):
            return True
        if request.method == "POST":
            return bool(_CREATE_DEPLOYMENT.match(path) or _REST_APIS.match(path))
        return request.method == "PATCH" and _REST_API.match(path) is not None

    def handle(self, request: Request) -> Response:
        path = request.path
        if _USER_REQUEST.match(path):
            return self._serve(request)
        if _CREATE_DEPLOYMENT.match(path):
            return self._create_deployment(request)
        if _REST_APIS.match(path):
            return self._create_rest_api(request)
        return self._update_rest_api(request)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # Control plane: record binaryMediaTypes (moto drops them) and freeze each deployment as it is created
    def _region_of(self, request: Request) -> str:
        sig = signature_of(request)
        return sig.region if sig else self.ctx.region

    def _create_deployment(self, request: Request) -> Response:
        api_id = _CREATE_DEPLOYMENT.match(request.path).group(1)  # type: ignore[union-attr]
        region = self._region_of(request)
        api = self._apis(region).get(api_id)
        snapshot = freeze(api, "") if api is not None else None
        resp = self.ctx.call_moto(request)
        if snapshot is not None and resp.status_code in (200, 201):
            try:
                deployment_id = json.loads(resp.get_data())["id"]
            except (ValueError, KeyError, TypeError):
                log.warning("CreateDeployment answered without an id; its deployment is frozen when first served")
            else:
                with self._lock:
                    self._frozen[(region, api_id, deployment_id)] = FrozenDeployment(
                        api_id, deployment_id, snapshot.root, snapshot.binary_media_types
                    )
        return resp

    def _create_rest_api(self, request: Request) -> Response:
        """CreateRestApi through moto, keeping the ``binaryMediaTypes`` moto ignores."""
        try:
            media_types = json.loads(request.get_data() or b"{}").get("binaryMediaTypes")
        except (ValueError, AttributeError):
            media_types = None
        resp = self.ctx.call_moto(request)
        if not media_types or resp.status_code not in (200, 201):
            return resp
        doc = json.loads(resp.get_data())
        api = self._apis(self._region_of(request)).get(doc.get("id"))
        if api is not None:
            api.binaryMediaTypes = [str(t) for t in media_types]
            doc["binaryMediaTypes"] = api.binaryMediaTypes
        return _json_like(resp, doc)

    def _update_rest_api(self, request: Request) -> Response:
        """UpdateRestApi: ``/binaryMediaTypes/{type}`` operations as AWS applies them, the rest by moto.

        AWS names the media type in the path (``image~1png``); moto would take it from ``value``.
        """
        try:
            body = json.loads(request.get_data() or b"{}")
            operations = list(body.get("patchOperations") or [])
        except (ValueError, AttributeError, TypeError):
            return self.ctx.call_moto(request)
        mine = [op for op in operations if str(op.get("path", "")).startswith(_BINARY_PATH)]
        if not mine:
            return self.ctx.call_moto(request)
        rest = json.dumps({**body, "patchOperations": [op for op in operations if op not in mine]}).encode()
        environ = {**request.environ, "wsgi.input": io.BytesIO(rest), "CONTENT_LENGTH": str(len(rest))}
        resp = self.ctx.call_moto(Request(environ))
        if resp.status_code != 200:
            return resp
        api = self._apis(self._region_of(request)).get(_REST_API.match(request.path).group(1))  # type: ignore[union-attr]
        if api is None:
            return resp
        types = [t for t in api.binaryMediaTypes if t]
        for op in mine:
            named = op["path"][len(_BINARY_PATH) :].replace("~1", "/").replace("~0", "~")
            if op.get("op") == "add" and named not in types:
                types.append(named)
            elif op.get("op") == "remove" and named in types:
                types.remove(named)
            elif op.get("op") == "replace" and op.get("value"):
                types = [str(op["value"]) if t == named else t for t in types]
        api.binaryMediaTypes = types
        return _json_like(resp, {**json.loads(resp.get_data()), "binaryMediaTypes": types})

    def _apis(self, region: str) -> dict[str, Any]:
        return self.ctx.backend("apigateway", region).apis

    def _deployment(self, region: str, api: Any, deployment_id: str) -> FrozenDeployment | None:
        key = (region, api.id, deployment_id)
        with self._lock:
            frozen = self._frozen.get(key)
            if frozen is None and deployment_id in api.deployments:
                frozen = self._frozen[key] = freeze(api, deployment_id)
            return frozen

    # Data plane
    def _serve(self, request: Request) -> Response:
        ids = RequestIds.new()
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return self._too_large(ids)
        body = request.get_data(cache=True)
        if len(body) > MAX_BODY_BYTES:
            return self._too_large(ids)

        match = _USER_REQUEST.match(request.path)
        assert match is not None
        api_id, stage_name = match.group(1), match.group(2)
        region = self.ctx.region
        api = self._apis(region).get(api_id)
        stage = api.stages.get(stage_name) if api is not None else None
        deployment = self._deployment(region, api, stage.deployment_id) if stage is not None else None
        if api is None or stage is None or deployment is None or getattr(api, "disableExecuteApiEndpoint", False):
            return _error(403, "Forbidden", ids, "ForbiddenException")

        path, segments = self._user_path(request)
        route = find_route(deployment.root, segments, request.method.upper())
        if route is None:
            return _error(403, "Missing Authentication Token", ids, "MissingAuthenticationTokenException")

        sig = signature_of(request)
        refused = self._authorize(route.method, request, sig is not None, api_id, stage_name, region, ids)
        if refused is not None:
            return refused

        integration = route.method.integration
        if integration is None:
            log.warning("%s %s on API %s has no integration", route.method.http_method, route.node.path, api_id)
            return _internal_error(ids)
        if integration.type != "AWS_PROXY":
            log.warning("integration type %s is not emulated (only AWS_PROXY)", integration.type)
            return _internal_error(ids)
        stage_variables = dict(stage.variables or {})
        uri = _STAGE_VARIABLE.sub(lambda m: stage_variables.get(m.group(1), ""), integration.uri)
        target = _LAMBDA_URI.match(uri)
        if target is None or (integration.http_method or "").upper() != "POST":
            log.warning("AWS_PROXY integration %r (method %s) does not invoke a Lambda", uri, integration.http_method)
            return _internal_error(ids)
        function_region, function_arn = target.group(1), target.group(2)

        execute_api = f"arn:aws:execute-api:{region}:{self.ctx.account_id}:{api_id}"
        source_arn = f"{execute_api}/{stage_name}/{route.method.http_method}{route.node.path}"
        if integration.credentials is None and not self._may_invoke(function_arn, function_region, source_arn):
            log.warning("function %s does not allow apigateway.amazonaws.com for %s", function_arn, source_arn)
            return _internal_error(ids)

        event = build_event(
            EventInput(
                api_id=api_id,
                stage=stage_name,
                account_id=self.ctx.account_id,
                region=region,
                deployment_id=deployment.deployment_id,
                http_method=request.method.upper(),
                path=path,
                query=request.environ.get("QUERY_STRING", ""),
                header_lines=request_header_lines(request),
                body=body,
                source_ip=request.remote_addr or "127.0.0.1",
                protocol=request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                port=self.ctx.port,
                route=route,
                stage_variables=stage_variables,
                binary_media_types=deployment.binary_media_types,
                ids=ids,
                access_key=sig.access_key if sig and route.method.authorization_type == "AWS_IAM" else None,
            )
        )
        return self._invoke(function_arn, event, integration.timeout_ms, request, deployment, ids)

    @staticmethod
    def _user_path(request: Request) -> tuple[str, list[str]]:
        """The path after ``_user_request_`` (percent-decoded) and its parts, split before decoding."""
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
        raw_path = raw.split("?", 1)[0]
        _, _, rest = raw_path.partition("/_user_request_")
        parts = [unquote(p) for p in rest.split("/") if p]
        return unquote(rest) or "/", parts

    @staticmethod
    def _too_large(ids: RequestIds) -> Response:
        resp = Response(f"HTTP content length exceeded {MAX_BODY_BYTES} bytes.", status=413)
        resp.headers["Content-Type"] = "text/plain"
        resp.headers["x-amzn-RequestId"] = ids.request_id
        return resp

    def _authorize(
        self,
        method: FrozenMethod,
        request: Request,
        signed: bool,
        api_id: str,
        stage: str,
        region: str,
        ids: RequestIds,
    ) -> Response | None:
        auth = method.authorization_type
        if auth == "AWS_IAM" and not signed:
            return _error(403, "Missing Authentication Token", ids, "MissingAuthenticationTokenException")
        if auth not in ("NONE", "AWS_IAM"):
            log.warning("authorizer type %s is not emulated by the local cloud", auth)
            return _internal_error(ids)
        if method.api_key_required and not self._api_key_ok(request.headers.get("x-api-key"), api_id, stage, region):
            return _error(403, "Forbidden", ids, "ForbiddenException")
        return None

    def _api_key_ok(self, value: str | None, api_id: str, stage: str, region: str) -> bool:
        if not value:
            return False
        backend = self.ctx.backend("apigateway", region)
        key = next((k for k in list(backend.keys.values()) if k.value == value and k.enabled), None)
        if key is None:
            return False
        for plan_id, plan_keys in list(backend.usage_plan_keys.items()):
            plan = backend.usage_plans.get(plan_id)
            if plan is None or key.id not in plan_keys:
                continue
            if any(s.get("apiId") == api_id and s.get("stage") == stage for s in plan.api_stages):
                return True
        return False

    def _may_invoke(self, function_arn: str, function_region: str, source_arn: str) -> bool:
        try:
            fn = self.ctx.backend("lambda", function_region).get_function(function_arn)
        except Exception:  # noqa: BLE001 - moto raises its own not-found types; a missing function is refused
            return False
        statements = list(getattr(fn.policy, "statements", []) or [])
        return policy_allows_apigateway(statements, source_arn, self.ctx.account_id)

    def _lambda_plane(self) -> Any:
        if self._lambda is None:
            from .lambda_plane import LambdaDataPlane  # the plane registered before this one

            self._lambda = self.ctx.plane(LambdaDataPlane)
        return self._lambda

    def _invoke(
        self,
        function_arn: str,
        event: dict[str, Any],
        timeout_ms: int,
        request: Request,
        deployment: FrozenDeployment,
        ids: RequestIds,
    ) -> Response:
        payload = json.dumps(event).encode()
        future = self._pool.submit(self._lambda_plane().invoke, function_arn, payload)
        try:
            result = future.result(timeout=timeout_ms / 1000)
        except concurrent.futures.TimeoutError:
            return _error(504, "Endpoint request timed out", ids)
        except Exception as exc:  # noqa: BLE001 - any failure of the integration call is API Gateway's 500
            log.error("invoking %s failed: %r", function_arn, exc)
            return _internal_error(ids)
        if result.status_code != 200:
            log.warning("Lambda invocation of %s failed with status %s", function_arn, result.status_code)
            return _internal_error(ids)
        if result.function_error:
            return _internal_error(ids, 502)
        try:
            proxy = parse_proxy_response(result.payload)
        except MalformedProxyResponse as exc:
            log.warning("Malformed Lambda proxy response from %s: %s", function_arn, exc)
            return _internal_error(ids, 502)
        return self._to_http(proxy, request, deployment, ids)

    @staticmethod
    def _to_http(proxy: ProxyResponse, request: Request, deployment: FrozenDeployment, ids: RequestIds) -> Response:
        body: bytes
        if proxy.is_base64 and is_binary(
            request.headers.get("Accept", "").split(",")[0], deployment.binary_media_types
        ):
            try:
                body = base64.b64decode(proxy.body, validate=True)
            except (binascii.Error, ValueError):
                log.warning("isBase64Encoded is true but the body is not base64")
                return _internal_error(ids, 502)
        else:
            body = proxy.body.encode("utf-8")
        resp = Response(body, status=proxy.status)
        resp.headers.clear()
        for name, value in proxy.headers:
            if name.lower() in _REMAPPED_RESPONSE_HEADERS:
                name = f"x-amzn-Remapped-{name}"
            resp.headers.add(name, value)
        if "Content-Type" not in resp.headers:
            resp.headers["Content-Type"] = "application/json"
        resp.headers["x-amzn-RequestId"] = ids.request_id
        resp.headers["x-amz-apigw-id"] = ids.extended_request_id
        resp.headers["X-Amzn-Trace-Id"] = ids.trace_id
        return resp
