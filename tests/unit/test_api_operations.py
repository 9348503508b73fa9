"""The REST API operations of section 7 against moto in-process: what they create, idempotence, errors."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workshop_lib import api
from workshop_lib.deploy import package
from workshop_lib.errors import InvalidInput, LocalCloudError, ResourceConflict, ResourceNotFound

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


OK_HANDLER = "def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def _function(conn, name: str | None = None) -> str:
    iam = conn.client("iam")
    try:
        role_arn = iam.get_role(RoleName="api-test-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role_arn = iam.create_role(RoleName="api-test-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    return conn.client("lambda").create_function(
        FunctionName=name or conn.names.function,
        Runtime="python3.12",
        Role=role_arn,
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": package({"lambda_function.py": OK_HANDLER})},
    )["FunctionArn"]


def _policy(conn, function: str) -> list[dict]:
    return json.loads(conn.client("lambda").get_policy(FunctionName=function)["Policy"])["Statement"]


def test_create_rest_api__builds_what_section_7_builds(moto_conn):
    function_arn = _function(moto_conn)
    info = api.create_rest_api(conn=moto_conn)

    apigw = moto_conn.client("apigateway")
    rest = apigw.get_rest_api(restApiId=info.api_id)
    assert rest["name"] == "ml-inference-api" == info.name
    assert rest["tags"] == moto_conn.tags
    resource = next(r for r in apigw.get_resources(restApiId=info.api_id)["items"] if r["path"] == "/inference")
    method = apigw.get_method(restApiId=info.api_id, resourceId=resource["id"], httpMethod="POST")
    assert method["authorizationType"] == "NONE"
    integration = method["methodIntegration"]
    assert integration["type"] == "AWS_PROXY"
    assert integration["httpMethod"] == "POST"
    assert integration["uri"] == (
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
    assert apigw.get_stage(restApiId=info.api_id, stageName="prod")["deploymentId"]

    [statement] = _policy(moto_conn, "ml-inference-lambda")
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == (
        f"arn:aws:execute-api:us-east-1:123456789012:{info.api_id}/*/POST/inference"
    )
    assert info.invoke_url == f"https://{info.api_id}.execute-api.us-east-1.amazonaws.com/prod/inference"
    assert info.function_arn == function_arn and info.stage == "prod" and info.changed


def test_create_rest_api__twice_changes_nothing_and_does_not_redeploy(moto_conn):
    _function(moto_conn)
    first = api.create_rest_api(conn=moto_conn)
    second = api.create_rest_api(conn=moto_conn)
    assert second.api_id == first.api_id and not second.changed
    apigw = moto_conn.client("apigateway")
    assert len(apigw.get_rest_apis()["items"]) == 1
    assert len(apigw.get_deployments(restApiId=first.api_id)["items"]) == 1
    assert len(_policy(moto_conn, "ml-inference-lambda")) == 1
    assert api.invoke_url(conn=moto_conn) == first.invoke_url


def test_create_rest_api__points_the_integration_at_another_function_and_redeploys(moto_conn):
    _function(moto_conn)
    other_arn = _function(moto_conn, "other-function")
    first = api.create_rest_api(conn=moto_conn)
    second = api.create_rest_api("other-function", conn=moto_conn)
    assert second.api_id == first.api_id and second.changed and second.function_arn == other_arn
    apigw = moto_conn.client("apigateway")
    method = apigw.get_method(restApiId=first.api_id, resourceId=first.resource_id, httpMethod="POST")
    assert other_arn in method["methodIntegration"]["uri"]
    assert len(apigw.get_deployments(restApiId=first.api_id)["items"]) == 2
    assert len(_policy(moto_conn, "other-function")) == 1


def test_create_rest_api__completes_a_half_built_api(moto_conn):
    _function(moto_conn)
    apigw = moto_conn.client("apigateway")
    api_id = apigw.create_rest_api(name="ml-inference-api", tags=moto_conn.tags)["id"]
    info = api.create_rest_api(conn=moto_conn)
    assert info.api_id == api_id and info.changed
    assert apigw.get_stage(restApiId=api_id, stageName="prod")


def test_create_rest_api__unknown_function_names_it_and_invoke_url_says_to_create(moto_conn):
    with pytest.raises(ResourceNotFound, match="ml-inference-lambda") as err:
        api.create_rest_api(conn=moto_conn)
    assert "deploy_lambda" in str(err.value)
    assert moto_conn.client("apigateway").get_rest_apis()["items"] == []
    with pytest.raises(ResourceNotFound, match="does not exist") as err:
        api.invoke_url(conn=moto_conn)
    assert "create_rest_api()" in str(err.value)


def test_create_and_delete__leave_an_api_of_the_same_name_the_kit_did_not_create(moto_conn):
    _function(moto_conn)
    apigw = moto_conn.client("apigateway")
    apigw.create_rest_api(name="ml-inference-api")
    with pytest.raises(ResourceConflict, match="not created by the kit") as err:
        api.create_rest_api(conn=moto_conn)
    assert "prefix" in str(err.value)
    with pytest.raises(ResourceConflict):
        api.delete_rest_api(conn=moto_conn)
    assert len(apigw.get_rest_apis()["items"]) == 1


def test_create_rest_api__refuses_a_post_method_that_needs_authorization(moto_conn):
    _function(moto_conn)
    apigw = moto_conn.client("apigateway")
    api_id = apigw.create_rest_api(name="ml-inference-api", tags=moto_conn.tags)["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    res = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="inference")["id"]
    apigw.put_method(restApiId=api_id, resourceId=res, httpMethod="POST", authorizationType="AWS_IAM")
    with pytest.raises(ResourceConflict, match="AWS_IAM"):
        api.create_rest_api(conn=moto_conn)


def test_delete_rest_api__deletes_the_api_and_its_lambda_permission(moto_conn):
    _function(moto_conn)
    _function(moto_conn, "kept-function")
    api.create_rest_api(conn=moto_conn)
    lam = moto_conn.client("lambda")
    lam.add_permission(
        FunctionName="ml-inference-lambda",
        StatementId="someone-elses",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
    )
    assert api.delete_rest_api(conn=moto_conn) is True
    assert moto_conn.client("apigateway").get_rest_apis()["items"] == []
    assert [s["Sid"] for s in _policy(moto_conn, "ml-inference-lambda")] == ["someone-elses"]
    assert api.delete_rest_api(conn=moto_conn) is False


def test_curl_command__is_the_seeds_command_with_the_url():
    url = "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/inference"
    assert api.curl_command(url, {"input": {"text": "Hello AI!"}}) == (
        'curl -X POST -H "Content-Type: application/json" -d \'{"input": {"text": "Hello AI!"}}\' ' + url
    )
    assert api.curl_command(url) == api.curl_command(url, api.SEED_PAYLOAD)


def test_curl_command__quotes_a_single_quote_for_the_shell():
    cmd = api.curl_command("http://127.0.0.1:4566/restapis/a/prod/_user_request_/inference", {"text": "it's"})
    assert '-d \'{"text": "it\'"\'"\'s"}\'' in cmd


def test_curl_command__refuses_what_is_not_a_url():
    with pytest.raises(InvalidInput, match="not an http"):
        api.curl_command("ml-inference-api/prod", {})


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/text":
            out, status, ctype = b"plain words", 200, "text/plain"
        elif self.path == "/missing":
            out, status, ctype = b'{"message":"Missing Authentication Token"}', 403, "application/json"
        else:
            doc = {
                "got": json.loads(body),
                "contentType": self.headers["Content-Type"],
                "x": self.headers.get("X-Test"),
            }
            out, status, ctype = json.dumps(doc).encode(), 200, "application/json"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("x-amzn-RequestId", "rid-1")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_send_test_request__returns_status_headers_parsed_body_and_time(http_server):
    resp = api.send_test_request(f"{http_server}/inference", headers={"X-Test": "yes"})
    assert resp.status == 200 and resp.ok
    assert resp.body == {"got": {"input": {"text": "Hello AI!"}}, "contentType": "application/json", "x": "yes"}
    assert resp.request_id == "rid-1" and resp.header("content-type") == "application/json"
    assert resp.elapsed_ms > 0 and json.loads(resp.raw) == resp.body


def test_send_test_request__an_error_status_is_a_response_not_an_exception(http_server):
    resp = api.send_test_request(f"{http_server}/missing", {"input": {}})
    assert resp.status == 403 and not resp.ok
    assert resp.body == {"message": "Missing Authentication Token"}


def test_send_test_request__text_stays_text(http_server):
    assert api.send_test_request(f"{http_server}/text", "raw text").body == "plain words"


def test_send_test_request__nothing_listening_locally_says_to_start_the_cloud():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_port
    server.server_close()  # the port is now free: nothing answers there
    with pytest.raises(LocalCloudError, match="nothing answers") as err:
        api.send_test_request(f"http://127.0.0.1:{port}/restapis/x/prod/_user_request_/inference", timeout=5)
    assert "workshop_lib up" in str(err.value)


def test_send_test_request__refuses_a_payload_that_is_not_json():
    with pytest.raises(InvalidInput, match="payload"):
        api.send_test_request("http://127.0.0.1:1/inference", {"when": object()})
