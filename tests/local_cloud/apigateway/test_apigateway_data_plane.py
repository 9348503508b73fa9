"""The API Gateway data plane end to end on the local cloud: stage URLs, the Lambda proxy, AWS's error answers."""

from __future__ import annotations

import base64
import http.client
import json
import shutil
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import boto3
import pytest
import requests

from tests.events import EVENTS_DIR
from workshop_lib import api
from workshop_lib.config import LOCAL_ACCOUNT_ID, LOCAL_ADMIN_ACCESS_KEY, ResourceNames
from workshop_lib.connect import Connection
from workshop_lib.deploy import package

REGION = "us-east-1"
REFERENCE_EVENT = EVENTS_DIR / "apigateway-rest-proxy.json"

# --- End to end on the local cloud -----------------------------------------------------------------------

ECHO_SOURCE = """
import base64, json, time

PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF])

def lambda_handler(event, context):
    params = event.get("queryStringParameters") or {}
    mode = params.get("mode", "echo")
    if mode == "raise":
        raise RuntimeError("the handler failed on purpose")
    if mode == "sleep":
        time.sleep(float(params.get("seconds", "2")))
    if mode == "malformed":
        return {"statusCode": 200, "body": {"not": "a string"}}
    if mode == "extra":
        return {"statusCode": 200, "body": "x", "cookies": ["a=1"]}
    if mode == "binary":
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(PNG).decode(), "isBase64Encoded": True}
    if mode == "headers":
        return {"statusCode": 201, "headers": {"X-One": "1", "X-Both": "single", "X-Flag": True},
                "multiValueHeaders": {"X-Both": ["m1", "m2"], "Set-Cookie": ["a=1", "b=2"]}, "body": "made"}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"event": event, "lambdaRequestId": context.aws_request_id})}
"""
PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF])
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


class Gateway:
    """One REST API on the local cloud and what the tests need to call it."""

    def __init__(self, endpoint: str, session: boto3.Session) -> None:
        self.endpoint = endpoint
        self.session = session
        self.suffix = uuid.uuid4().hex[:8]
        self.apigw = session.client("apigateway", endpoint_url=endpoint)
        self.lam = session.client("lambda", endpoint_url=endpoint)
        iam = session.client("iam", endpoint_url=endpoint)
        role = iam.create_role(RoleName=f"apigw-echo-{self.suffix}", AssumeRolePolicyDocument=json.dumps(TRUST))
        self.echo = self._function(f"apigw-echo-{self.suffix}", role["Role"]["Arn"])
        self.unpermitted = self._function(f"apigw-noperm-{self.suffix}", role["Role"]["Arn"])
        self.api_id = self.apigw.create_rest_api(
            name=f"apigw-test-{self.suffix}", binaryMediaTypes=["application/octet-stream", "image/*"]
        )["id"]
        root = self.apigw.get_resources(restApiId=self.api_id)["items"][0]["id"]
        self._method(root, "GET", self.echo)
        echo = self._resource(root, "echo")
        self._method(echo, "ANY", self.echo)
        items = self._resource(root, "items")
        self._method(self._resource(items, "{id}"), "GET", self.echo)
        self._method(self._resource(items, "special"), "PATCH", self.echo)
        files = self._resource(root, "files")
        self._method(self._resource(files, "{proxy+}"), "ANY", self.echo)
        self._method(self._resource(root, "slow"), "POST", self.echo, timeoutInMillis=500)
        self._method(self._resource(root, "noperm"), "POST", self.unpermitted)
        self._method(self._resource(root, "signed"), "GET", self.echo, authorization="AWS_IAM")
        self.lam.add_permission(
            FunctionName=self.echo,
            StatementId="apigateway-test",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{LOCAL_ACCOUNT_ID}:{self.api_id}/*",
        )
        self.deploy()
        self.base = f"{endpoint}/restapis/{self.api_id}/prod/_user_request_"

    def _function(self, name: str, role_arn: str) -> str:
        return self.lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role_arn,
            Handler="lambda_function.lambda_handler",
            Code={"ZipFile": package({"lambda_function.py": ECHO_SOURCE})},
            Timeout=10,
        )["FunctionArn"]

    def _resource(self, parent: str, part: str) -> str:
        return self.apigw.create_resource(restApiId=self.api_id, parentId=parent, pathPart=part)["id"]

    def _method(self, resource: str, verb: str, function_arn: str, authorization: str = "NONE", **extra) -> None:
        self.apigw.put_method(
            restApiId=self.api_id, resourceId=resource, httpMethod=verb, authorizationType=authorization
        )
        self.apigw.put_integration(
            restApiId=self.api_id,
            resourceId=resource,
            httpMethod=verb,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
            **extra,
        )

    def deploy(self) -> None:
        self.apigw.create_deployment(restApiId=self.api_id, stageName="prod", variables={"color": "blue"})


@pytest.fixture(scope="module")
def gateway(local_cloud) -> Gateway:
    session = boto3.Session(
        aws_access_key_id=LOCAL_ADMIN_ACCESS_KEY, aws_secret_access_key=local_cloud.admin_secret_key, region_name=REGION
    )
    return Gateway(local_cloud.endpoint_url, session)


def _echoed(resp: requests.Response) -> dict:
    assert resp.status_code == 200, resp.text
    return resp.json()["event"]


def _assert_gateway_error(resp: requests.Response, status: int, message: str, error_type: str | None) -> None:
    assert resp.status_code == status, resp.text
    assert resp.json() == {"message": message}
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers.get("x-amzn-ErrorType") == error_type
    assert uuid.UUID(resp.headers["x-amzn-RequestId"])


@pytest.mark.local_cloud
def test_event__has_the_rest_proxy_shape_field_by_field(gateway):
    reference = json.loads(REFERENCE_EVENT.read_text())
    resp = requests.post(
        f"{gateway.base}/echo?lang=vi",
        data=json.dumps({"input": {"text": "Hello AI!"}}),
        headers={"Content-Type": "application/json", "User-Agent": "curl/8.5.0"},
        timeout=30,
    )
    event = _echoed(resp)
    assert set(event) == set(reference)
    assert set(event["requestContext"]) == set(reference["requestContext"])
    assert set(event["requestContext"]["identity"]) == set(reference["requestContext"]["identity"])

    assert event["resource"] == "/echo" and event["path"] == "/echo" and event["httpMethod"] == "POST"
    headers = event["headers"]
    assert headers["Content-Type"] == "application/json" and headers["User-Agent"] == "curl/8.5.0"
    assert headers["Host"] == urlsplit(gateway.endpoint).netloc
    assert headers["X-Forwarded-For"] == "127.0.0.1" and headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Port"] == str(urlsplit(gateway.endpoint).port)
    assert headers["X-Amzn-Trace-Id"].startswith("Root=1-") and "Content-Length" not in headers
    assert event["multiValueHeaders"] == {k: [v] for k, v in headers.items()}
    assert event["queryStringParameters"] == {"lang": "vi"}
    assert event["multiValueQueryStringParameters"] == {"lang": ["vi"]}
    assert event["pathParameters"] is None
    assert event["stageVariables"] == {"color": "blue"}
    assert event["body"] == '{"input": {"text": "Hello AI!"}}' and event["isBase64Encoded"] is False

    ctx = event["requestContext"]
    stage = gateway.apigw.get_stage(restApiId=gateway.api_id, stageName="prod")
    resources = {r["path"]: r["id"] for r in gateway.apigw.get_resources(restApiId=gateway.api_id)["items"]}
    assert ctx["resourceId"] == resources["/echo"] and ctx["resourcePath"] == "/echo"
    assert ctx["httpMethod"] == "POST" and ctx["path"] == "/prod/echo" and ctx["stage"] == "prod"
    assert ctx["accountId"] == LOCAL_ACCOUNT_ID and ctx["apiId"] == gateway.api_id
    assert ctx["deploymentId"] == stage["deploymentId"] and ctx["protocol"] == "HTTP/1.1"
    assert ctx["domainName"] == f"{gateway.api_id}.execute-api.{REGION}.amazonaws.com"
    assert ctx["domainPrefix"] == gateway.api_id
    assert abs(ctx["requestTimeEpoch"] / 1000 - time.time()) < 60
    assert time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ctx["requestTimeEpoch"] // 1000)) == ctx["requestTime"]
    assert uuid.UUID(ctx["requestId"]) and len(ctx["extendedRequestId"]) == 16
    assert ctx["identity"]["sourceIp"] == "127.0.0.1" and ctx["identity"]["userAgent"] == "curl/8.5.0"
    assert all(v is None for k, v in ctx["identity"].items() if k not in ("sourceIp", "userAgent"))

    # The response carries API Gateway's ids; each request gets a fresh request id.
    assert resp.headers["x-amzn-RequestId"] == ctx["requestId"]
    assert resp.headers["x-amz-apigw-id"] == ctx["extendedRequestId"]
    again = _echoed(requests.post(f"{gateway.base}/echo", data="{}", timeout=30))
    assert again["requestContext"]["requestId"] != ctx["requestId"]


@pytest.mark.local_cloud
def test_event__get_without_body_or_query_has_nulls(gateway):
    event = _echoed(requests.get(f"{gateway.base}/", timeout=30))
    assert event["resource"] == "/" and event["path"] == "/" and event["requestContext"]["path"] == "/prod/"
    assert event["body"] is None and event["isBase64Encoded"] is False
    assert event["queryStringParameters"] is None and event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None


@pytest.mark.local_cloud
def test_routing__path_parameters_greedy_proxy_and_any(gateway):
    event = _echoed(requests.get(f"{gateway.base}/items/42", timeout=30))
    assert (event["resource"], event["pathParameters"]) == ("/items/{id}", {"id": "42"})
    event = _echoed(requests.get(f"{gateway.base}/items/special", timeout=30))  # /items/special has PATCH only
    assert (event["resource"], event["pathParameters"]) == ("/items/{id}", {"id": "special"})
    event = _echoed(requests.patch(f"{gateway.base}/items/special", timeout=30))
    assert (event["resource"], event["pathParameters"]) == ("/items/special", None)
    event = _echoed(requests.delete(f"{gateway.base}/files/reports/2025/q3%20final.csv", timeout=30))
    assert event["resource"] == "/files/{proxy+}" and event["httpMethod"] == "DELETE"
    assert event["pathParameters"] == {"proxy": "reports/2025/q3 final.csv"}
    assert event["path"] == "/files/reports/2025/q3 final.csv"


@pytest.mark.local_cloud
def test_binary_body__is_base64_with_isBase64Encoded(gateway):
    blob = bytes(range(256))
    event = _echoed(
        requests.post(
            f"{gateway.base}/echo", data=blob, headers={"Content-Type": "application/octet-stream"}, timeout=30
        )
    )
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == blob
    event = _echoed(requests.post(f"{gateway.base}/echo", data=PNG, headers={"Content-Type": "image/png"}, timeout=30))
    assert event["isBase64Encoded"] is True  # image/* matches
    event = _echoed(
        requests.post(f"{gateway.base}/echo", data="plain", headers={"Content-Type": "text/plain"}, timeout=30)
    )
    assert (event["isBase64Encoded"], event["body"]) == (False, "plain")


@pytest.mark.local_cloud
def test_binary_response__decoded_when_accept_is_a_binary_type_else_base64_text(gateway):
    resp = requests.get(f"{gateway.base}/echo?mode=binary", headers={"Accept": "image/png"}, timeout=30)
    assert resp.status_code == 200 and resp.content == PNG and resp.headers["Content-Type"] == "image/png"
    resp = requests.get(f"{gateway.base}/echo?mode=binary", headers={"Accept": "application/json"}, timeout=30)
    assert resp.status_code == 200 and base64.b64decode(resp.text) == PNG


@pytest.mark.local_cloud
def test_query_strings__single_and_multi_valued(gateway):
    event = _echoed(requests.get(f"{gateway.base}/echo?tag=a&tag=b&q=hello%20world&empty=", timeout=30))
    assert event["queryStringParameters"] == {"tag": "b", "q": "hello world", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["hello world"], "empty": [""]}


def _raw_request(gateway: Gateway, header_lines: list[tuple[str, str]]) -> dict:
    parts = urlsplit(gateway.base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("GET", f"{parts.path}/echo")
        for name, value in header_lines:
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status == 200, body
        return json.loads(body)["event"]
    finally:
        conn.close()


@pytest.mark.local_cloud
def test_headers__single_valued_keep_their_value(gateway):
    event = _raw_request(gateway, [("X-Single", "one, with comma"), ("Accept", "application/json")])
    assert event["headers"]["X-Single"] == "one, with comma"
    assert event["multiValueHeaders"]["X-Single"] == ["one, with comma"]


@pytest.mark.local_cloud
def test_headers__repeated_ones_are_multi_valued_and_names_keep_their_case(gateway):
    event = _raw_request(gateway, [("x-multi", "one"), ("x-multi", "two"), ("X-Other", "3")])
    assert event["multiValueHeaders"]["x-multi"] == ["one", "two"] and event["headers"]["x-multi"] == "two"
    assert event["headers"]["X-Other"] == "3"


@pytest.mark.local_cloud
def test_response__status_headers_and_multi_value_headers_map_back(gateway):
    resp = requests.get(f"{gateway.base}/echo?mode=headers", timeout=30)
    assert resp.status_code == 201 and resp.text == "made"
    assert resp.headers["X-One"] == "1" and resp.headers["X-Flag"] == "true"
    assert resp.raw.headers.getlist("X-Both") == ["m1", "m2"]  # multiValueHeaders wins over headers
    assert resp.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert resp.headers["Content-Type"] == "application/json"  # API Gateway's default
    assert uuid.UUID(resp.headers["x-amzn-RequestId"]) and resp.headers["X-Amzn-Trace-Id"].startswith("Root=1-")


@pytest.mark.local_cloud
@pytest.mark.parametrize("mode", ["raise", "malformed", "extra"])
def test_errors__function_error_or_malformed_proxy_response_gives_502(gateway, mode):
    resp = requests.post(f"{gateway.base}/echo?mode={mode}", data="{}", timeout=30)
    _assert_gateway_error(resp, 502, "Internal server error", "InternalServerErrorException")


@pytest.mark.local_cloud
@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/nothing-here"), ("GET", "/slow"), ("GET", "/files"), ("POST", "/items/1")]
)
def test_errors__no_such_resource_or_method_gives_403_missing_authentication_token(gateway, method, path):
    resp = requests.request(method, f"{gateway.base}{path}", timeout=30)
    _assert_gateway_error(resp, 403, "Missing Authentication Token", "MissingAuthenticationTokenException")


@pytest.mark.local_cloud
def test_errors__unknown_stage_or_api_gives_403_forbidden_as_execute_api_does(gateway):
    for url in (
        f"{gateway.endpoint}/restapis/{gateway.api_id}/dev/_user_request_/echo",
        f"{gateway.endpoint}/restapis/nosuchapi0/prod/_user_request_/echo",
    ):
        _assert_gateway_error(requests.post(url, timeout=30), 403, "Forbidden", "ForbiddenException")


@pytest.mark.local_cloud
def test_errors__unsigned_request_to_an_aws_iam_method_gives_missing_authentication_token(gateway):
    resp = requests.get(f"{gateway.base}/signed", timeout=30)
    _assert_gateway_error(resp, 403, "Missing Authentication Token", "MissingAuthenticationTokenException")


@pytest.mark.local_cloud
def test_errors__integration_past_its_timeout_gives_504(gateway):
    start = time.monotonic()
    resp = requests.post(f"{gateway.base}/slow?mode=sleep&seconds=2", data="{}", timeout=30)
    assert time.monotonic() - start < 1.8
    _assert_gateway_error(resp, 504, "Endpoint request timed out", None)


@pytest.mark.local_cloud
def test_errors__body_over_10_mb_gives_413(gateway):
    resp = requests.post(f"{gateway.base}/echo", data=b"x" * (10 * 1024 * 1024 + 1), timeout=60)
    assert resp.status_code == 413 and resp.text == "HTTP content length exceeded 10485760 bytes."


@pytest.mark.local_cloud
def test_errors__function_without_invoke_permission_gives_500(gateway):
    resp = requests.post(f"{gateway.base}/noperm", data="{}", timeout=30)
    _assert_gateway_error(resp, 500, "Internal server error", "InternalServerErrorException")


@pytest.mark.local_cloud
def test_stage__serves_what_was_deployed_until_the_next_deployment(gateway):
    root = gateway.apigw.get_resources(restApiId=gateway.api_id)["items"]
    root_id = next(r["id"] for r in root if r["path"] == "/")
    later = gateway._resource(root_id, f"later{gateway.suffix}")
    gateway._method(later, "POST", gateway.echo)
    url = f"{gateway.base}/later{gateway.suffix}"
    _assert_gateway_error(
        requests.post(url, timeout=30), 403, "Missing Authentication Token", "MissingAuthenticationTokenException"
    )
    gateway.deploy()
    assert _echoed(requests.post(url, timeout=30))["resource"] == f"/later{gateway.suffix}"


@pytest.mark.local_cloud
def test_parallel_requests__each_gets_its_own_answer(gateway):
    def call(i: int) -> tuple[int, str, str]:
        resp = requests.post(f"{gateway.base}/echo?n={i}", data=f'{{"n": {i}}}', timeout=30)
        event = _echoed(resp)
        return int(event["queryStringParameters"]["n"]), event["body"], event["requestContext"]["requestId"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(call, range(24)))
    assert [(n, body) for n, body, _ in results] == [(i, f'{{"n": {i}}}') for i in range(24)]
    assert len({rid for _, _, rid in results}) == 24


def _kit_connection(gateway: Gateway, prefix: str) -> Connection:
    """A connection like connect("local", prefix=...) gives, without touching connect()'s current one."""
    return Connection(
        target="local",
        region=REGION,
        account_id=LOCAL_ACCOUNT_ID,
        identity_arn="",
        session=gateway.session,
        names=ResourceNames(prefix=prefix),
        endpoint_url=gateway.endpoint,
    )


@pytest.fixture(scope="module")
def seed_api(gateway) -> api.ApiInfo:
    """The API create_rest_api() builds (section 7), in front of the echo function."""
    return api.create_rest_api(gateway.echo, conn=_kit_connection(gateway, f"s{gateway.suffix}"))


@pytest.mark.local_cloud
def test_create_rest_api__gives_the_local_invoke_url_and_is_idempotent(gateway, seed_api):
    conn = _kit_connection(gateway, f"s{gateway.suffix}")
    assert seed_api.invoke_url == f"{gateway.endpoint}/restapis/{seed_api.api_id}/prod/_user_request_/inference"
    assert api.create_rest_api(gateway.echo, conn=conn).changed is False
    assert api.invoke_url(conn=conn) == seed_api.invoke_url


@pytest.mark.local_cloud
def test_send_test_request__posts_the_seed_payload_and_reads_the_answer(seed_api):
    tested = api.send_test_request(seed_api.invoke_url, api.SEED_PAYLOAD)
    assert tested.status == 200 and tested.ok and tested.elapsed_ms > 0
    event = tested.body["event"]
    assert event["body"] == '{"input": {"text": "Hello AI!"}}' and event["resource"] == "/inference"
    assert tested.request_id == event["requestContext"]["requestId"]


@pytest.mark.local_cloud
@pytest.mark.skipif(sys.platform == "win32", reason="the seed's command line uses POSIX shell quoting")
@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl on PATH")
def test_seed_curl_command__works_from_a_shell_with_only_the_url_changed(seed_api):
    command = api.curl_command(seed_api.invoke_url, {"input": {"text": "Hello AI!"}})
    assert command.startswith(
        'curl -X POST -H "Content-Type: application/json" -d \'{"input": {"text": "Hello AI!"}}\' '
    )
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    event = json.loads(done.stdout)["event"]
    assert event["body"] == '{"input": {"text": "Hello AI!"}}' and event["httpMethod"] == "POST"
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["headers"]["User-Agent"].startswith("curl/")


@pytest.mark.local_cloud
def test_delete_rest_api__the_url_then_answers_forbidden(gateway):
    conn = _kit_connection(gateway, f"d{gateway.suffix}")
    info = api.create_rest_api(gateway.echo, conn=conn)
    assert requests.post(info.invoke_url, data="{}", timeout=30).status_code == 200
    assert api.delete_rest_api(conn=conn) is True
    _assert_gateway_error(requests.post(info.invoke_url, timeout=30), 403, "Forbidden", "ForbiddenException")
