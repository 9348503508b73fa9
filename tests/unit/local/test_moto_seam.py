"""The moto seam (workshop_lib/local/core/moto_seam.py): one test per moto internal the local cloud uses.

Each test asserts that the internal still exists and behaves as the seam uses it, so a moto upgrade fails here with
a message naming the internal, not somewhere inside a service. moto runs in-process (``mock_aws``); the seam reads
the same backends boto3 writes to.
"""

from __future__ import annotations

import io
import json
import tarfile
import time

import moto
import pytest
from packaging.specifiers import SpecifierSet
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from workshop_lib.deploy import package
from workshop_lib.local.core import moto_seam
from workshop_lib.local.core.moto_seam import MotoBackends, MotoDispatcher, MotoIdentities
from workshop_lib.local.core.records import FunctionNotFound

REGION = "us-east-1"
LAMBDA_TRUST = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [LAMBDA_TRUST]})


def changed(internal: str) -> str:
    return f"moto {moto.__version__} changed {internal}: update workshop_lib/local/core/moto_seam.py"


@pytest.fixture
def backends(moto_conn) -> MotoBackends:
    return MotoBackends(moto_conn.account_id, REGION)


def _role(moto_conn, name: str = "seam-fn-role") -> str:
    return moto_conn.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]


def _function(moto_conn, name: str = "seam-fn") -> dict:
    return moto_conn.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=_role(moto_conn),
        Handler="app.handler",
        Code={"ZipFile": package({"app.py": "def handler(e, c):\n    return 1\n"})},
        Environment={"Variables": {"B": "2", "A": "1"}},
        MemorySize=256,
        Timeout=7,
    )


def test_moto_seam__installed_moto_is_in_the_range_the_seam_is_written_for():
    assert moto.__version__ in SpecifierSet(moto_seam.MOTO_VERSIONS), changed(
        f"its version (the seam is written for {moto_seam.MOTO_VERSIONS})"
    )


def test_moto_seam__get_backend_gives_every_workshop_service_by_account_and_region(moto_conn):
    for service in moto_seam.WORKSHOP_SERVICES:
        backends = moto.backends.get_backend(service)
        scope = "global" if service in (*moto_seam.GLOBAL_SERVICES, "s3") else REGION  # s3: one per partition
        assert backends[moto_conn.account_id][scope] is not None, changed(f"get_backend({service!r})")
    assert moto_seam.start_warmup().join(timeout=120) is None


def test_moto_seam__the_dispatcher_maps_a_signed_request_to_its_backend_app_and_answers_it(moto_conn):
    dispatcher = MotoDispatcher()
    for name in ("lock", "app_instances", "create_app", "get_backend_for_host", "infer_service_region_host"):
        assert hasattr(dispatcher, name), changed(f"DomainDispatcherApplication.{name}")
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIA/20250101/{REGION}/sts/aws4_request, Signature=0",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    request = Request(EnvironBuilder(path="/", method="POST", headers=headers, data=body).get_environ())
    resp = dispatcher.answer(request)
    assert resp.status_code == 200 and b"GetCallerIdentityResult" in resp.get_data(), changed("the server app")
    host = dispatcher.infer_service_region_host(request.environ, "/")
    assert dispatcher._apps_by_host[host] is dispatcher.app_instances[dispatcher.get_backend_for_host(host)]


def test_moto_seam__underscored_s3_metadata_headers_are_preserved_as_moto_request_reads_them():
    environ: dict = {}
    moto_seam.preserve_underscored_headers(environ, [("x-amz-meta-my_key", "v")])
    key = moto_seam.environ_key_for_header("x-amz-meta-my_key")
    assert environ[key] == "v", changed("moto.core.request.environ_key_for_header")
    assert environ[moto_seam.PRESERVED_HEADER_NAMES_ENVIRON_KEY] == {key: "x-amz-meta-my_key"}, changed(
        "moto.core.request.PRESERVED_HEADER_NAMES_ENVIRON_KEY"
    )


def test_moto_seam__a_lambda_function_is_read_with_its_code_configuration_and_policy(moto_conn, backends):
    created = _function(moto_conn)
    moto_conn.client("lambda").add_permission(
        FunctionName="seam-fn",
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    fn = backends.function("seam-fn")
    assert (fn.name, fn.arn, fn.version, fn.handler, fn.runtime) == (
        "seam-fn", created["FunctionArn"], "$LATEST", "app.handler", "python3.11"
    ), changed("LambdaFunction's configuration attributes")
    assert (fn.memory_mb, fn.timeout_s, fn.environment) == (256, 7.0, (("A", "1"), ("B", "2")))
    assert fn.code_sha256 == created["CodeSha256"] and fn.code.startswith(b"PK"), changed("code_bytes / code_sha_256")
    assert len(fn.code_digest) == 64, changed("LambdaFunction.code_digest")
    principals = [s["Principal"] for s in fn.policy]
    assert principals == [{"Service": "apigateway.amazonaws.com"}], changed("LambdaFunction.policy.statements")
    assert backends.function(created["FunctionArn"]) == fn  # a full ARN names the same function
    with pytest.raises(FunctionNotFound):
        backends.function("no-such-fn")


def test_moto_seam__sts_assume_role_gives_credentials_the_sts_backend_resolves(moto_conn, backends):
    role_arn = _role(moto_conn, "seam-assumed")
    creds = backends.assume_role(role_arn, "seam-session", 900, REGION)
    assumed = backends.backend("sts").get_assumed_role_from_access_key(creds.access_key_id)
    assert assumed is not None and assumed.session_token == creds.session_token, changed("STS assume_role")
    assert assumed.role_arn == role_arn


def test_moto_seam__logs_groups_streams_and_events_are_written_to_the_logs_backend(moto_conn, backends):
    logs = backends.logs(REGION)
    assert backends.logs(REGION) is logs  # one handle per region
    logs.ensure_stream("/aws/lambda/seam", "s1")
    logs.ensure_stream("/aws/lambda/seam", "s1")  # idempotent
    logs.put_events("/aws/lambda/seam", "s1", [{"timestamp": int(time.time() * 1000), "message": "hello\n"}])
    events = moto_conn.client("logs").get_log_events(logGroupName="/aws/lambda/seam", logStreamName="s1")["events"]
    assert [e["message"] for e in events] == ["hello\n"], changed("ensure_log_group, ensure_log_stream, put_log_events")


def test_moto_seam__a_rest_api_is_read_with_resources_methods_integrations_stages(moto_conn, backends):
    apigw = moto_conn.client("apigateway")
    api_id = apigw.create_rest_api(name="seam")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    child = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=child, httpMethod="ANY", authorizationType="NONE")
    function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:f"
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    apigw.put_integration(
        restApiId=api_id, resourceId=child, httpMethod="ANY", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri
    )
    apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"v": "1"})
    definition = backends.rest_api(api_id, REGION)
    assert definition is not None, changed("the apigateway backend's apis")
    methods = {r.path_part: r.methods for r in definition.resources}
    integration = methods["{proxy+}"][0].integration
    assert integration is not None and (integration.type, integration.uri) == ("AWS_PROXY", uri), changed(
        "Resource.resource_methods / Method.method_integration"
    )
    stage = backends.stage(api_id, "prod", REGION)
    assert stage is not None and stage.deployed and stage.variables == {"v": "1"}, changed("RestAPI.stages")
    assert backends.set_binary_media_types(api_id, REGION, ["image/png"]) == ["image/png"]
    assert backends.binary_media_types(api_id, REGION) == ["image/png"], changed("RestAPI.binaryMediaTypes")


def test_moto_seam__an_api_key_in_a_usage_plan_of_the_stage_is_allowed(moto_conn, backends):
    apigw = moto_conn.client("apigateway")
    api_id = apigw.create_rest_api(name="seam-keys")["id"]
    key = apigw.create_api_key(name="k", enabled=True, value="seam-key-value-0123456789")
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "prod"}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert backends.api_key_allows("seam-key-value-0123456789", api_id, "prod", REGION), changed(
        "the apigateway backend's keys / usage_plans / usage_plan_keys"
    )
    assert not backends.api_key_allows("seam-key-value-0123456789", api_id, "dev", REGION)
    assert not backends.api_key_allows("another-value-0123456789", api_id, "prod", REGION)


def _endpoint(moto_conn, name: str = "seam-ep") -> None:
    sm = moto_conn.client("sagemaker")
    container = {"Image": "img", "ModelDataUrl": "s3://b/model.tar.gz", "Environment": {"SAGEMAKER_PROGRAM": "i.py"}}
    sm.create_model(ModelName="seam-model", ExecutionRoleArn=_role(moto_conn, "seam-sm"), PrimaryContainer=container)
    for config in ("seam-config", "seam-config-2"):
        variant = {"VariantName": "AllTraffic", "ModelName": "seam-model", "InitialInstanceCount": 1,
                   "InstanceType": "ml.t2.medium"}  # fmt: skip
        sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[variant])
    sm.create_endpoint(EndpointName=name, EndpointConfigName="seam-config")


def test_moto_seam__an_endpoint_its_config_and_model_are_read(moto_conn, backends):
    _endpoint(moto_conn)
    endpoint = backends.endpoint("seam-ep", REGION)
    assert endpoint is not None and (endpoint.status, endpoint.config_name) == ("InService", "seam-config"), changed(
        "the sagemaker backend's endpoints"
    )
    model = backends.endpoint_model(endpoint, REGION)
    assert (model.name, model.variant, model.model_data_url) == ("seam-model", "AllTraffic", "s3://b/model.tar.gz"), (
        changed("the sagemaker backend's endpoint_configs / _models")
    )
    assert model.environment == {"SAGEMAKER_PROGRAM": "i.py"}
    assert backends.endpoint("no-such-endpoint", REGION) is None


def test_moto_seam__update_endpoint_switches_the_config_through_process_production_variants(moto_conn, backends):
    _endpoint(moto_conn)
    before = backends.endpoint("seam-ep", REGION)
    backends.update_endpoint("seam-ep", "seam-config-2", REGION)
    after = backends.endpoint("seam-ep", REGION)
    assert after is not None and before is not None and after.config_name == "seam-config-2", changed(
        "FakeEndpoint._process_production_variants"
    )
    assert after.version != before.version
    described = moto_conn.client("sagemaker").describe_endpoint(EndpointName="seam-ep")
    assert described["ProductionVariants"][0]["VariantName"] == "AllTraffic"


def test_moto_seam__an_endpoints_status_and_failure_reason_are_set_through_its_attributes(moto_conn, backends):
    _endpoint(moto_conn)
    assert backends.config_model("seam-config-2", REGION).name == "seam-model"
    backends.set_endpoint_status("seam-ep", REGION, "Failed", "the reason")
    described = moto_conn.client("sagemaker").describe_endpoint(EndpointName="seam-ep")
    assert (described["EndpointStatus"], described.get("FailureReason")) == ("Failed", "the reason"), changed(
        "FakeEndpoint.endpoint_status / failure_reason"
    )
    backends.set_endpoint_status("seam-ep", REGION, "InService", None)
    described = moto_conn.client("sagemaker").describe_endpoint(EndpointName="seam-ep")
    assert described["EndpointStatus"] == "InService" and "FailureReason" not in described


def test_moto_seam__an_s3_object_is_read_as_bytes(moto_conn, backends):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz"):
        pass
    s3 = moto_conn.client("s3")
    s3.create_bucket(Bucket="seam-bucket")
    s3.put_object(Bucket="seam-bucket", Key="m.tar.gz", Body=data.getvalue())
    assert backends.s3_object("seam-bucket", "m.tar.gz") == data.getvalue(), changed("the s3 backend's get_object")
    assert backends.s3_object("seam-bucket", "missing") is None


def test_moto_seam__iam_roles_and_users_are_found_by_name(moto_conn):
    _role(moto_conn, "seam-exists")
    moto_conn.client("iam").create_user(UserName="seam-user-exists")
    identities = MotoIdentities(moto_conn.account_id)
    assert identities.exists("role", "seam-exists") and identities.exists("user", "seam-user-exists"), changed(
        "the iam backend's get_role / get_user"
    )
    assert not identities.exists("role", "no-such-role") and not identities.exists("user", "no-such-user")
