"""Who gets in: the local cloud authenticates every request as AWS does, and refuses in each service's own shape.

Through boto3 (wrong secret, unknown key, a temporary key without or with another session token, a request time
20 minutes off either way, expired credentials), plain HTTP (unsigned, tampered after signing, a malformed
Authorization header) and the AWS CLI, against a real local cloud. The expected codes are AWS's, written out here
per service; docs/authentication.md shows the same table with its sources and a test keeps it equal to the code's.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from workshop_lib import config
from workshop_lib.config import ENV_LAMBDA_CREDENTIALS_TTL, ENV_STATE_DIR, KIT_ROOT, LOCAL_ADMIN_ACCESS_KEY
from workshop_lib.deploy import package
from workshop_lib.local import CloudState, lifecycle
from workshop_lib.local.core.sigv4 import Failure
from workshop_lib.local.iam.auth_refusals import SERVICES, TABLE

REGION = "us-east-1"
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})
DOCS = KIT_ROOT / "docs" / "authentication.md"

# One call per service the local cloud serves (client name, operation, parameters).
CALLS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "DynamoDB": ("dynamodb", "list_tables", {}),
    "CloudWatch Logs": ("logs", "describe_log_groups", {}),
    "SageMaker": ("sagemaker", "list_endpoints", {}),
    "SageMaker runtime": ("sagemaker-runtime", "invoke_endpoint", {"EndpointName": "none", "Body": b"{}"}),
    "Lambda": ("lambda", "list_functions", {}),
    "API Gateway": ("apigateway", "get_rest_apis", {}),
    "STS": ("sts", "get_caller_identity", {}),
    "IAM": ("iam", "list_roles", {}),
    "CloudWatch": ("cloudwatch", "list_metrics", {}),
    "S3": ("s3", "list_buckets", {}),
}

# What AWS answers, per service: (code, HTTP status) for each refusal.
UNKNOWN_KEY = {
    "DynamoDB": ("UnrecognizedClientException", 400),
    "CloudWatch Logs": ("UnrecognizedClientException", 400),
    "SageMaker": ("UnrecognizedClientException", 400),
    "SageMaker runtime": ("UnrecognizedClientException", 403),
    "Lambda": ("UnrecognizedClientException", 403),
    "API Gateway": ("UnrecognizedClientException", 403),
    "STS": ("InvalidClientTokenId", 403),
    "IAM": ("InvalidClientTokenId", 403),
    "CloudWatch": ("InvalidClientTokenId", 403),
    "S3": ("InvalidAccessKeyId", 403),
}
WRONG_SIGNATURE = {
    "DynamoDB": ("InvalidSignatureException", 400),
    "CloudWatch Logs": ("InvalidSignatureException", 400),
    "SageMaker": ("InvalidSignatureException", 400),
    "SageMaker runtime": ("InvalidSignatureException", 403),
    "Lambda": ("InvalidSignatureException", 403),
    "API Gateway": ("InvalidSignatureException", 403),
    "STS": ("SignatureDoesNotMatch", 403),
    "IAM": ("SignatureDoesNotMatch", 403),
    "CloudWatch": ("SignatureDoesNotMatch", 403),
    "S3": ("SignatureDoesNotMatch", 403),
}
SKEWED = {**WRONG_SIGNATURE, "S3": ("RequestTimeTooSkewed", 403)}
EXPIRED_TOKEN = {
    "DynamoDB": ("ExpiredTokenException", 400),
    "CloudWatch Logs": ("ExpiredTokenException", 400),
    "SageMaker": ("ExpiredTokenException", 400),
    "SageMaker runtime": ("ExpiredTokenException", 403),
    "Lambda": ("ExpiredTokenException", 403),
    "API Gateway": ("ExpiredTokenException", 403),
    "STS": ("ExpiredToken", 403),
    "IAM": ("ExpiredToken", 403),
    "CloudWatch": ("ExpiredToken", 403),
    "S3": ("ExpiredToken", 400),
}
BAD_TOKEN = {**UNKNOWN_KEY, "S3": ("InvalidToken", 400)}


def _client(state: CloudState, service: str, key: str, secret: str, token: str | None = None) -> Any:
    session = boto3.Session(key, secret, token, region_name=REGION)
    return session.client(service, endpoint_url=state.endpoint_url, config=NO_RETRY)


def _refusal(call: Callable[[], Any]) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"].get("Message", "")


def _call(state: CloudState, name: str, key: str, secret: str, token: str | None = None) -> tuple[str, int, str]:
    service, operation, params = CALLS[name]
    client = _client(state, service, key, secret, token)
    return _refusal(lambda: getattr(client, operation)(**params))


@pytest.fixture(scope="module")
def role_creds(local_cloud: CloudState) -> dict[str, str]:
    """Temporary credentials of a role the admin may assume (its trust policy trusts the account)."""
    admin = boto3.Session(LOCAL_ADMIN_ACCESS_KEY, local_cloud.admin_secret_key, region_name=REGION)
    iam = admin.client("iam", endpoint_url=local_cloud.endpoint_url)
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": local_cloud.account_id}, "Action": "sts:AssumeRole"}],
    }
    name = f"auth-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    sts = admin.client("sts", endpoint_url=local_cloud.endpoint_url)
    return sts.assume_role(RoleArn=arn, RoleSessionName="auth-test")["Credentials"]


# --- boto3 --------------------------------------------------------------------------------------------------------


@pytest.mark.local_cloud
@pytest.mark.parametrize("name", list(CALLS))
def test_admin_with_a_wrong_secret__is_refused_by_every_service(local_cloud, name):
    code, status, message = _call(local_cloud, name, LOCAL_ADMIN_ACCESS_KEY, "not-the-secret-key")
    assert (code, status) == WRONG_SIGNATURE[name]
    assert message.startswith("The request signature we calculated does not match the signature you provided.")


@pytest.mark.local_cloud
@pytest.mark.parametrize("name", list(CALLS))
def test_unknown_access_key__is_refused_by_every_service(local_cloud, name):
    code, status, _ = _call(local_cloud, name, "AKIAUNKNOWNKEY000000", "whatever")
    assert (code, status) == UNKNOWN_KEY[name]


@pytest.mark.local_cloud
@pytest.mark.parametrize("name", list(CALLS))
def test_temporary_key_without_its_token_or_with_another__is_refused(local_cloud, role_creds, name):
    key, secret, token = role_creds["AccessKeyId"], role_creds["SecretAccessKey"], role_creds["SessionToken"]
    assert _call(local_cloud, name, key, secret)[:2] == UNKNOWN_KEY[name]
    assert _call(local_cloud, name, key, secret, "x" + token)[:2] == BAD_TOKEN[name]


@pytest.mark.local_cloud
@pytest.mark.parametrize("minutes", [-20, 20], ids=["past", "future"])
@pytest.mark.parametrize("name", list(CALLS))
def test_request_time_more_than_the_window_off__is_refused(local_cloud, monkeypatch, name, minutes):
    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(
        botocore.auth, "get_current_datetime", lambda *a, **k: real(*a, **k) + timedelta(minutes=minutes)
    )
    code, status, message = _call(local_cloud, name, LOCAL_ADMIN_ACCESS_KEY, local_cloud.admin_secret_key)
    assert (code, status) == SKEWED[name]
    if name == "S3":
        assert message == "The difference between the request time and the current time is too large."
    else:
        window = "5 min." if name == "Lambda" else "15 min."
        assert re.fullmatch(r"Signature (expired|not yet current): \d{8}T\d{6}Z is (now earlier|still later) than "
                            rf"\d{{8}}T\d{{6}}Z \(\d{{8}}T\d{{6}}Z [-+] {window}\)", message), message  # fmt: skip


@pytest.mark.local_cloud
def test_lambda_window__is_five_minutes_the_others_fifteen(local_cloud, monkeypatch):
    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: real(*a, **k) - timedelta(minutes=8))
    admin = (LOCAL_ADMIN_ACCESS_KEY, local_cloud.admin_secret_key)
    assert _call(local_cloud, "Lambda", *admin)[:2] == ("InvalidSignatureException", 403)
    assert _client(local_cloud, "dynamodb", *admin).list_tables()["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.local_cloud
def test_right_credentials__pass_for_every_service(local_cloud, role_creds):
    admin = boto3.Session(LOCAL_ADMIN_ACCESS_KEY, local_cloud.admin_secret_key, region_name=REGION)
    for name, (service, operation, params) in CALLS.items():
        client = admin.client(service, endpoint_url=local_cloud.endpoint_url, config=NO_RETRY)
        if name == "SageMaker runtime":  # authenticated: the endpoint's own answer follows
            assert _refusal(lambda c=client, p=params: c.invoke_endpoint(**p))[0] == "ValidationError"
        else:
            getattr(client, operation)(**params)
    sts = _client(
        local_cloud, "sts", role_creds["AccessKeyId"], role_creds["SecretAccessKey"], role_creds["SessionToken"]
    )
    assert ":assumed-role/" in sts.get_caller_identity()["Arn"]


# --- Plain HTTP: unsigned, tampered, malformed --------------------------------------------------------------------

UNSIGNED: dict[str, tuple[str, str, dict[str, str], bytes]] = {
    "DynamoDB": ("POST", "/", {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}, b"{}"),  # noqa: E501
    "CloudWatch Logs": ("POST", "/", {"X-Amz-Target": "Logs_20140328.DescribeLogGroups", "Content-Type": "application/x-amz-json-1.1"}, b"{}"),  # noqa: E501
    "SageMaker": ("POST", "/", {"X-Amz-Target": "SageMaker.ListEndpoints", "Content-Type": "application/x-amz-json-1.1"}, b"{}"),  # noqa: E501
    "SageMaker runtime": ("POST", "/endpoints/e/invocations", {"Content-Type": "application/json"}, b"{}"),
    "Lambda": ("GET", "/2015-03-31/functions/", {}, b""),
    "API Gateway": ("GET", "/restapis", {}, b""),
    "STS": ("POST", "/", {"Content-Type": "application/x-www-form-urlencoded"}, b"Action=GetCallerIdentity&Version=2011-06-15"),  # noqa: E501
    "IAM": ("POST", "/", {"Content-Type": "application/x-www-form-urlencoded"}, b"Action=ListRoles&Version=2010-05-08"),
    "CloudWatch": ("POST", "/", {"X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics", "Content-Type": "application/x-amz-json-1.0"}, b"{}"),  # noqa: E501
    "S3": ("GET", "/some-bucket/some-key", {}, b""),
}  # fmt: skip
MISSING = {
    "DynamoDB": ("MissingAuthenticationTokenException", 400),
    "CloudWatch Logs": ("MissingAuthenticationTokenException", 400),
    "SageMaker": ("MissingAuthenticationTokenException", 400),
    "SageMaker runtime": ("MissingAuthenticationTokenException", 403),
    "Lambda": ("MissingAuthenticationTokenException", 403),
    "API Gateway": ("MissingAuthenticationTokenException", 403),
    "STS": ("MissingAuthenticationToken", 403),
    "IAM": ("MissingAuthenticationToken", 403),
    "CloudWatch": ("MissingAuthenticationToken", 403),
    "S3": ("AccessDenied", 403),
}


def _send(state: CloudState, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, str]:
    """Status, error code (wherever the protocol puts it) and body of a plain HTTP request."""
    request = urllib.request.Request(f"{state.endpoint_url}{path}", data=body or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, "", resp.read().decode()
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        code = (error.headers.get("x-amzn-query-error") or "").split(";")[0] or error.headers.get("x-amzn-ErrorType")
        if not code:
            found = re.search(r"<Code>([^<]+)</Code>", text)
            code = found.group(1) if found else json.loads(text).get("__type", "").split("#")[-1]
        return error.code, code or "", text


@pytest.mark.local_cloud
@pytest.mark.parametrize("name", list(UNSIGNED))
def test_unsigned_request__is_refused_by_every_service(local_cloud, name):
    status, code, _ = _send(local_cloud, *UNSIGNED[name])
    assert (code, status) == MISSING[name]


@pytest.mark.local_cloud
def test_stage_urls_and_admin_paths__stay_public(local_cloud):
    status, _, body = _send(local_cloud, "GET", "/_workshop/health", {}, b"")
    assert status == 200 and json.loads(body)["guards"] == ["Authentication", "IamEnforcement"]
    status, _, body = _send(local_cloud, "GET", "/restapis/nosuchapi0/prod/_user_request_/x", {}, b"")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})  # the stage's own answer, not an auth one


def _signed(state: CloudState, service: str, method: str, path: str, headers: dict[str, str], body: bytes) -> dict:
    request = AWSRequest(method, f"{state.endpoint_url}{path}", headers=headers, data=body)
    SigV4Auth(Credentials(LOCAL_ADMIN_ACCESS_KEY, state.admin_secret_key), service, REGION).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.local_cloud
@pytest.mark.parametrize(
    ("service", "name", "expected"),
    [
        ("dynamodb", "DynamoDB", ("InvalidSignatureException", 400)),
        ("sts", "STS", ("SignatureDoesNotMatch", 403)),
        ("lambda", "Lambda", ("InvalidSignatureException", 403)),
    ],
)
def test_request_tampered_after_signing__is_refused(local_cloud, service, name, expected):
    method, path, headers, body = UNSIGNED[name]
    if name == "Lambda":
        method, path, body = "POST", "/2015-03-31/functions/f/invocations", b'{"a": 1}'
    signed = _signed(local_cloud, service, method, path, headers, body)
    assert _send(local_cloud, method, path, signed, body)[0] != expected[1]  # as signed: passes authentication
    tampered = body.replace(b"}", b', "x": 1}') if body.startswith(b"{") else body + b"&MaxItems=1"
    status, code, _ = _send(local_cloud, method, path, signed, tampered)
    assert (code, status) == expected


@pytest.mark.local_cloud
def test_s3_body_changed_after_signing__is_refused_for_its_payload_hash(local_cloud):
    admin = boto3.Session(LOCAL_ADMIN_ACCESS_KEY, local_cloud.admin_secret_key, region_name=REGION)
    bucket = f"auth-{uuid.uuid4().hex[:8]}"
    admin.client("s3", endpoint_url=local_cloud.endpoint_url).create_bucket(Bucket=bucket)
    request = AWSRequest("PUT", f"{local_cloud.endpoint_url}/{bucket}/k", data=b"hello")
    S3SigV4Auth(Credentials(LOCAL_ADMIN_ACCESS_KEY, local_cloud.admin_secret_key), "s3", REGION).add_auth(request)
    signed = dict(request.headers.items())  # x-amz-content-sha256 is the hash of b"hello", and it is signed
    assert _send(local_cloud, "PUT", f"/{bucket}/k", signed, b"hello")[0] == 200
    status, code, _ = _send(local_cloud, "PUT", f"/{bucket}/k", signed, b"HELLO")
    assert (code, status) == ("XAmzContentSHA256Mismatch", 400)


@pytest.mark.local_cloud
@pytest.mark.parametrize(
    ("name", "code", "status"),
    [
        ("DynamoDB", "IncompleteSignatureException", 400),
        ("STS", "IncompleteSignature", 400),
        ("Lambda", "IncompleteSignatureException", 403),
        ("S3", "AuthorizationHeaderMalformed", 400),
    ],
)
def test_malformed_authorization_header__is_an_incomplete_signature(local_cloud, name, code, status):
    method, path, headers, body = UNSIGNED[name]
    auth = "AWS4-HMAC-SHA256 Credential=AKIAWORKSHOPADMIN001/20260101/us-east-1/x/aws4_request"
    got = _send(local_cloud, method, path, {**headers, "Authorization": auth, "X-Amz-Date": "20260101T000000Z"}, body)
    assert got[:2] == (status, code)
    if name != "S3":
        assert "Authorization header requires 'Signature' parameter." in got[2]


# --- S3 presigned URLs -------------------------------------------------------------------------------------------


@pytest.mark.local_cloud
@pytest.mark.parametrize("version", ["default", "s3v4"])
def test_presigned_s3_get__works_until_it_expires_and_not_when_changed(local_cloud, version):
    config = Config(signature_version="s3v4") if version == "s3v4" else None
    admin = boto3.Session(LOCAL_ADMIN_ACCESS_KEY, local_cloud.admin_secret_key, region_name=REGION)
    s3 = admin.client("s3", endpoint_url=local_cloud.endpoint_url, config=config)
    bucket = f"presign-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="model/a b+c.txt", Body=b"the object")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "model/a b+c.txt"}, ExpiresIn=2)
    assert ("X-Amz-Signature=" in url) == (version == "s3v4")  # boto3's default for S3 is Signature Version 2
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.read() == b"the object"
    changed = url.replace("a%20b", "a%20B")
    with pytest.raises(urllib.error.HTTPError) as other:
        urllib.request.urlopen(changed, timeout=30)
    assert other.value.code == 403 and "<Code>SignatureDoesNotMatch</Code>" in other.value.read().decode()
    time.sleep(3)
    with pytest.raises(urllib.error.HTTPError) as late:
        urllib.request.urlopen(url, timeout=30)
    text = late.value.read().decode()
    assert late.value.code == 403 and "<Code>AccessDenied</Code>" in text and "Request has expired" in text


# --- The AWS CLI ---------------------------------------------------------------------------------------------------


def _aws(state: CloudState, *args: str, secret: str | None = None, key: str = LOCAL_ADMIN_ACCESS_KEY) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= state.environment() | {"AWS_ACCESS_KEY_ID": key, "AWS_CONFIG_FILE": os.devnull}
    env |= {"AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_MAX_ATTEMPTS": "1"}
    if secret is not None:
        env["AWS_SECRET_ACCESS_KEY"] = secret
    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("the AWS CLI (awscli in requirements.lock) is not installed in this environment: run kit.py setup")
    return subprocess.run([str(aws), *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.local_cloud
def test_aws_cli__with_the_environment_from_the_state_works_and_with_a_wrong_secret_is_refused(local_cloud):
    ok = _aws(local_cloud, "sts", "get-caller-identity", "--output", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["Account"] == local_cloud.account_id
    wrong = _aws(local_cloud, "dynamodb", "list-tables", secret="wrong")
    assert wrong.returncode != 0 and "(InvalidSignatureException)" in wrong.stderr
    unknown = _aws(local_cloud, "lambda", "list-functions", key="AKIAUNKNOWNKEY000000")
    assert unknown.returncode != 0 and "(UnrecognizedClientException)" in unknown.stderr
    s3 = _aws(local_cloud, "s3", "ls", secret="wrong")
    assert s3.returncode != 0 and "SignatureDoesNotMatch" in s3.stderr


@pytest.mark.local_cloud
def test_aws_cli__presigned_url_works(local_cloud):
    admin = boto3.Session(LOCAL_ADMIN_ACCESS_KEY, local_cloud.admin_secret_key, region_name=REGION)
    bucket = f"cli-{uuid.uuid4().hex[:8]}"
    s3 = admin.client("s3", endpoint_url=local_cloud.endpoint_url)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"via the cli")
    presign = _aws(local_cloud, "s3", "presign", f"s3://{bucket}/k", "--expires-in", "60")
    assert presign.returncode == 0, presign.stderr
    with urllib.request.urlopen(presign.stdout.strip(), timeout=30) as resp:
        assert resp.read() == b"via the cli"


# --- The admin's secret -------------------------------------------------------------------------------------------


@pytest.mark.local_cloud
def test_admin_secret__is_generated_per_start_kept_private_and_printed_by_env(local_cloud, tmp_path):
    assert not hasattr(config, "LOCAL_ADMIN_SECRET_KEY")
    path = Path(os.environ[ENV_STATE_DIR]) / config.STATE_FILE_NAME
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(local_cloud.admin_secret_key) >= 40
    env = {**os.environ, ENV_STATE_DIR: os.environ[ENV_STATE_DIR]}
    printed = subprocess.run(
        [sys.executable, "-m", "workshop_lib", "env"], env=env, capture_output=True, text=True, timeout=60
    )
    assert f"export AWS_SECRET_ACCESS_KEY={local_cloud.admin_secret_key}" in printed.stdout.splitlines()
    other, started = lifecycle.start(region=REGION, directory=tmp_path)
    try:
        assert started and other.admin_secret_key != local_cloud.admin_secret_key
        code = _call(local_cloud, "STS", LOCAL_ADMIN_ACCESS_KEY, other.admin_secret_key)[0]
        assert code == "SignatureDoesNotMatch"  # one cloud's secret does not open another
    finally:
        lifecycle.stop(tmp_path)


# --- Temporary credentials expire; a Lambda worker's are renewed before they do ---------------------------------

CREDENTIALS_TTL_S = 8
CREDS_FUNCTION = """
import os
import boto3

def handler(event, context):
    identity = boto3.client("sts").get_caller_identity()  # fails if the worker's credentials were refused
    return {name: os.environ[name] for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")} | {
        "Arn": identity["Arn"]}
"""


@pytest.fixture(scope="module")
def short_lived_cloud(tmp_path_factory) -> Iterator[CloudState]:
    """A local cloud whose Lambda workers get credentials that last CREDENTIALS_TTL_S seconds (simulated expiry)."""
    directory = tmp_path_factory.mktemp("short-lived-cloud")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_LAMBDA_CREDENTIALS_TTL, str(CREDENTIALS_TTL_S))
        state, started = lifecycle.start(region=REGION, directory=directory)
    assert started
    try:
        yield state
    finally:
        lifecycle.stop(directory)


@pytest.mark.local_cloud
def test_worker_credentials__renewed_before_expiry_and_the_expired_ones_refused(short_lived_cloud):
    state = short_lived_cloud
    admin = boto3.Session(LOCAL_ADMIN_ACCESS_KEY, state.admin_secret_key, region_name=REGION)
    iam, lam = (admin.client(s, endpoint_url=state.endpoint_url, config=NO_RETRY) for s in ("iam", "lambda"))
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = iam.create_role(RoleName="creds-fn-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    lam.create_function(FunctionName="creds", Runtime="python3.11", Role=role, Handler="app.handler", Timeout=2,
                        Code={"ZipFile": package({"app.py": CREDS_FUNCTION})})  # fmt: skip

    def invoke() -> dict[str, str]:
        resp = lam.invoke(FunctionName="creds", Payload=b"{}")
        body = json.loads(resp["Payload"].read())
        assert "FunctionError" not in resp, body
        return body

    first = invoke()
    assert invoke()["AWS_ACCESS_KEY_ID"] == first["AWS_ACCESS_KEY_ID"]  # a warm worker keeps its credentials
    old = (first["AWS_ACCESS_KEY_ID"], first["AWS_SECRET_ACCESS_KEY"], first["AWS_SESSION_TOKEN"])
    time.sleep(CREDENTIALS_TTL_S + 1)  # the first worker's credentials have expired now
    fresh = invoke()  # a new worker with fresh credentials answers: the call does not fail on the expiry
    assert fresh["AWS_ACCESS_KEY_ID"] != first["AWS_ACCESS_KEY_ID"] and ":assumed-role/creds-fn-role/" in fresh["Arn"]
    for name in CALLS:
        code, status, _ = _call(state, name, *old)
        assert (code, status) == EXPIRED_TOKEN[name], name


# --- The docs table is the code's -----------------------------------------------------------------------------------

_FAILURES = (Failure.MISSING, Failure.UNKNOWN_KEY, Failure.BAD_TOKEN, Failure.EXPIRED_TOKEN, Failure.SIGNATURE,
             Failure.SKEWED, Failure.INCOMPLETE)  # fmt: skip


def _rendered_table() -> list[str]:
    header = "| Service | " + " | ".join(f.value for f in _FAILURES) + " |"
    rows = [header, "| --- |" + " --- |" * len(_FAILURES)]
    for name, _, protocol in SERVICES:
        answers = [TABLE[protocol][f] for f in _FAILURES]
        cells = [f"{a.query_code or a.code} {a.status}" for a in answers]  # the code an SDK reports
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


def test_docs__the_refusal_table_is_the_codes():
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    rendered = _rendered_table()
    start = lines.index(rendered[0])
    assert lines[start : start + len(rendered)] == rendered


def test_expected_codes_here__are_the_codes_table():
    for name, _, protocol in SERVICES:
        for expected, failure in ((UNKNOWN_KEY, Failure.UNKNOWN_KEY), (WRONG_SIGNATURE, Failure.SIGNATURE),
                                  (SKEWED, Failure.SKEWED), (EXPIRED_TOKEN, Failure.EXPIRED_TOKEN),
                                  (BAD_TOKEN, Failure.BAD_TOKEN), (MISSING, Failure.MISSING)):  # fmt: skip
            answer = TABLE[protocol][failure]
            code = answer.query_code or answer.code
            assert (code, answer.status) == expected[name], (name, failure)
