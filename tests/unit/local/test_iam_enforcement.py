"""The IAM guard without a server: denial messages, real botocore requests mapped to IAM checks, the moto seam."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from tests.iam_policy_documents import TABLE_ARN
from tests.iam_policy_documents import allow as _allow
from tests.iam_policy_documents import policy_json as _policy
from workshop_lib.config import (
    KIT_ROOT,
)
from workshop_lib.local.core.moto_seam import MotoIdentities
from workshop_lib.local.core.policy import Decision
from workshop_lib.local.core.records import InvalidCredentials, Principal
from workshop_lib.local.core.signing import Credential, credential_of
from workshop_lib.local.iam.actions import Check, describe_call
from workshop_lib.local.iam.enforcement import denial_message, role_decision

REGION = "us-east-1"
DOCS = KIT_ROOT / "docs" / "iam-enforcement.md"
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})






# ------------------------------------------------------------------------------------------------
# Policy evaluation (the wildcard and evaluation tables are in test_policy_engine.py)
# ------------------------------------------------------------------------------------------------








def test_denial_message__matches_aws_wording_for_implicit_and_explicit_deny():
    who = "arn:aws:sts::123456789012:assumed-role/r/s"
    assert denial_message(who, "dynamodb:PutItem", TABLE_ARN, Decision.IMPLICIT_DENY) == (
        f"User: {who} is not authorized to perform: dynamodb:PutItem on resource: {TABLE_ARN} "
        "because no identity-based policy allows the dynamodb:PutItem action"
    )
    assert denial_message(who, "dynamodb:PutItem", TABLE_ARN, Decision.EXPLICIT_DENY) == (
        f"User: {who} is not authorized to perform: dynamodb:PutItem on resource: {TABLE_ARN} "
        "with an explicit deny in an identity-based policy"
    )
    assert denial_message(who, "cloudwatch:PutMetricData", "*", Decision.IMPLICIT_DENY) == (
        f"User: {who} is not authorized to perform: cloudwatch:PutMetricData "
        "because no identity-based policy allows the cloudwatch:PutMetricData action"
    )
    assert 'on resource: "arn:aws:s3:::b/k" because' in denial_message(
        who, "s3:GetObject", "arn:aws:s3:::b/k", Decision.IMPLICIT_DENY, quote=True
    )


# ------------------------------------------------------------------------------------------------
# Real botocore requests mapped to IAM checks, without a server
# ------------------------------------------------------------------------------------------------
class _Sent(Exception):
    def __init__(self, request: Any) -> None:
        self.request = request


def _request(service: str, operation: str, endpoint: str | None = "http://127.0.0.1:4566", **params: Any) -> Request:
    """The request botocore would send for an operation, as the local cloud's WSGI app receives it."""
    client = boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="ASIAEXAMPLEKEY",
        aws_secret_access_key="secret",
        aws_session_token="token",
        config=NO_RETRY,
    )

    def capture(request: Any, **_: Any) -> None:
        raise _Sent(request)

    client.meta.events.register("before-send", capture)
    with pytest.raises(_Sent) as sent:
        getattr(client, operation)(**params)
    prepared = sent.value.request
    url = urlsplit(prepared.url)
    body = prepared.body if isinstance(prepared.body, bytes) else (prepared.body or "").encode()
    builder = EnvironBuilder(
        path=url.path,
        query_string=url.query,
        method=prepared.method,
        headers={k: v.decode() if isinstance(v, bytes) else v for k, v in prepared.headers.items()},
        data=body,
        base_url=f"{url.scheme}://{url.netloc}",
    )
    return Request(builder.get_environ())


def _checks(request: Request) -> tuple[Check, ...] | None:
    credential = credential_of(request)
    assert credential is not None and credential.access_key == "ASIAEXAMPLEKEY"
    assert credential.session_token == "token"
    call = describe_call(request, request.get_data(), credential.service, REGION, "123456789012")
    return None if call is None else call.checks


T = "arn:aws:dynamodb:us-east-1:123456789012:table/"


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        (
            "dynamodb",
            "put_item",
            {"TableName": "InferenceMetadata", "Item": {"k": {"S": "1"}}},
            [("dynamodb:PutItem", T + "InferenceMetadata")],
        ),
        (
            "dynamodb",
            "query",
            {
                "TableName": "M",
                "IndexName": "modelName-timestamp-index",
                "KeyConditionExpression": "a = :a",
                "ExpressionAttributeValues": {":a": {"S": "x"}},
            },
            [("dynamodb:Query", T + "M/index/modelName-timestamp-index")],
        ),
        (
            "dynamodb",
            "batch_write_item",
            {
                "RequestItems": {
                    "A": [{"PutRequest": {"Item": {"k": {"S": "1"}}}}],
                    "B": [{"DeleteRequest": {"Key": {"k": {"S": "1"}}}}],
                }
            },
            [("dynamodb:BatchWriteItem", T + "A"), ("dynamodb:BatchWriteItem", T + "B")],
        ),
        (
            "dynamodb",
            "transact_write_items",
            {
                "TransactItems": [
                    {"Put": {"TableName": "A", "Item": {"k": {"S": "1"}}}},
                    {
                        "ConditionCheck": {
                            "TableName": "B",
                            "Key": {"k": {"S": "1"}},
                            "ConditionExpression": "attribute_exists(k)",
                        }
                    },
                    {"Delete": {"TableName": "C", "Key": {"k": {"S": "1"}}}},
                ]
            },
            [("dynamodb:PutItem", T + "A"), ("dynamodb:ConditionCheckItem", T + "B"), ("dynamodb:DeleteItem", T + "C")],
        ),
        ("dynamodb", "list_tables", {}, [("dynamodb:ListTables", T + "*")]),
        ("dynamodb", "describe_table", {"TableName": T + "ByArn"}, [("dynamodb:DescribeTable", T + "ByArn")]),
        (
            "sagemaker-runtime",
            "invoke_endpoint",
            {"EndpointName": "ML-Endpoint", "Body": b"{}"},
            [("sagemaker:InvokeEndpoint", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ml-endpoint")],
        ),
        (
            "sagemaker",
            "describe_endpoint",
            {"EndpointName": "ML-Endpoint"},
            [("sagemaker:DescribeEndpoint", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ml-endpoint")],
        ),
        (
            "logs",
            "create_log_group",
            {"logGroupName": "/aws/lambda/f"},
            [("logs:CreateLogGroup", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:")],
        ),
        (
            "logs",
            "put_log_events",
            {
                "logGroupName": "/aws/lambda/f",
                "logStreamName": "2026/01/01/[$LATEST]abc",
                "logEvents": [{"timestamp": 1, "message": "m"}],
            },
            [
                (
                    "logs:PutLogEvents",
                    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:2026/01/01/[$LATEST]abc",
                )
            ],
        ),
        (
            "logs",
            "filter_log_events",
            {"logGroupIdentifier": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:*"},
            [("logs:FilterLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:")],
        ),
        (
            "logs",
            "describe_log_groups",
            {},
            [("logs:DescribeLogGroups", "arn:aws:logs:us-east-1:123456789012:log-group::log-stream:")],
        ),
        (
            "cloudwatch",
            "put_metric_data",
            {"Namespace": "InferencePipeline", "MetricData": [{"MetricName": "Latency", "Value": 1.0}]},
            [("cloudwatch:PutMetricData", "*")],
        ),
        (
            "lambda",
            "invoke",
            {"FunctionName": "ml-inference-lambda"},
            [("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:ml-inference-lambda")],
        ),
        (
            "lambda",
            "invoke",
            {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f", "Qualifier": "live"},
            [("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:f:live")],
        ),
        (
            "s3",
            "get_object",
            {"Bucket": "artifacts", "Key": "model/model.tar.gz"},
            [("s3:GetObject", "arn:aws:s3:::artifacts/model/model.tar.gz")],
        ),
        (
            "s3",
            "list_objects_v2",
            {"Bucket": "artifacts", "Prefix": "model/"},
            [("s3:ListBucket", "arn:aws:s3:::artifacts")],
        ),
        (
            "s3",
            "copy_object",
            {"Bucket": "b", "Key": "to", "CopySource": "a/from"},
            [("s3:PutObject", "arn:aws:s3:::b/to"), ("s3:GetObject", "arn:aws:s3:::a/from")],
        ),
        (
            "s3",
            "delete_objects",
            {"Bucket": "b", "Delete": {"Objects": [{"Key": "x"}, {"Key": "y/z"}]}},
            [("s3:DeleteObject", "arn:aws:s3:::b/x"), ("s3:DeleteObject", "arn:aws:s3:::b/y/z")],
        ),
        ("s3", "list_buckets", {}, [("s3:ListAllMyBuckets", "*")]),
        (
            "sts",
            "assume_role",
            {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "sess"},
            [("sts:AssumeRole", "arn:aws:iam::123456789012:role/r")],
        ),
        ("iam", "list_roles", {}, [("iam:ListRoles", "*")]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_request_mapping__real_botocore_requests_give_the_action_and_arn_aws_evaluates(
    service, operation, params, expected
):
    assert _checks(_request(service, operation, **params)) == tuple(Check(a, r) for a, r in expected)


def test_request_mapping__s3_virtual_hosted_style_reads_the_bucket_from_the_host():
    # Nothing is sent: the request is captured before it leaves botocore.
    request = _request("s3", "get_object", endpoint=None, Bucket="artifacts", Key="k")  # AWS's own endpoint
    assert request.host.startswith("artifacts.s3.")
    assert _checks(request) == (Check("s3:GetObject", "arn:aws:s3:::artifacts/k"),)


def test_request_mapping__get_caller_identity_is_always_allowed():
    request = _request("sts", "get_caller_identity")
    credential = credential_of(request)
    call = describe_call(request, request.get_data(), credential.service, REGION, "123456789012")
    assert call is not None and call.always_allowed


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("apigateway", "get_rest_apis", {}),
        ("lambda", "list_versions_by_function", {"FunctionName": "f"}),
        ("s3", "get_bucket_website", {"Bucket": "b"}),
    ],
)
def test_request_mapping__calls_whose_action_cannot_be_named_are_unmapped(service, operation, params):
    assert _checks(_request(service, operation, **params)) is None


def test_credentials__unsigned_requests_carry_none_and_presigned_urls_are_read():
    assert credential_of(Request(EnvironBuilder(path="/restapis/x/prod/_user_request_/").get_environ())) is None
    s3 = boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:4566",
        aws_access_key_id="ASIAPRESIGNED",
        aws_secret_access_key="s",
        aws_session_token="tok",
        config=Config(signature_version="s3v4"),
    )
    url = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"}))
    credential = credential_of(Request(EnvironBuilder(path=url.path, query_string=url.query).get_environ()))
    assert credential == Credential("ASIAPRESIGNED", "tok", REGION, "s3")


# ------------------------------------------------------------------------------------------------
# The moto seam: the internals this module reads (fails clearly when moto changes them)
# ------------------------------------------------------------------------------------------------
def test_moto_seam__an_assumed_role_key_resolves_to_the_role_and_its_inline_and_managed_policies(moto_conn):
    iam, sts = moto_conn.client("iam"), moto_conn.client("sts")
    role = iam.create_role(RoleName="seam-role", Path="/service-role/", AssumeRolePolicyDocument=_policy([]))["Role"]
    inline = _policy([_allow("dynamodb:PutItem")])
    iam.put_role_policy(RoleName="seam-role", PolicyName="inline", PolicyDocument=inline)
    managed_v2 = _policy([_allow("dynamodb:GetItem")])
    arn = iam.create_policy(PolicyName="managed", PolicyDocument=_policy([_allow("dynamodb:Scan")]))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=managed_v2, SetAsDefault=True)
    iam.attach_role_policy(RoleName="seam-role", PolicyArn=arn)
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="seam-session")["Credentials"]

    identities = MotoIdentities(moto_conn.account_id)
    principal = identities.principal(creds["AccessKeyId"], creds["SessionToken"])
    assert principal == Principal(
        "role", "seam-role", f"arn:aws:sts::{moto_conn.account_id}:assumed-role/seam-role/seam-session"
    )
    assert [json.loads(d) for d in identities.documents(principal)] == [json.loads(inline), json.loads(managed_v2)]
    with pytest.raises(InvalidCredentials) as bad_token:
        identities.principal(creds["AccessKeyId"], "not-the-session-token")
    assert bad_token.value.reason == "bad-token"


def test_moto_seam__a_user_key_resolves_to_the_user_with_its_groups_policies_and_inactive_keys_fail(moto_conn):
    iam = moto_conn.client("iam")
    iam.create_user(UserName="seam-user")
    key = iam.create_access_key(UserName="seam-user")["AccessKey"]["AccessKeyId"]
    iam.put_user_policy(UserName="seam-user", PolicyName="own", PolicyDocument=_policy([_allow("dynamodb:PutItem")]))
    iam.create_group(GroupName="seam-group")
    iam.add_user_to_group(GroupName="seam-group", UserName="seam-user")
    group_doc = _policy([_allow("dynamodb:Query")])
    iam.put_group_policy(GroupName="seam-group", PolicyName="grp", PolicyDocument=group_doc)

    identities = MotoIdentities(moto_conn.account_id)
    principal = identities.principal(key, None)
    assert principal == Principal("user", "seam-user", f"arn:aws:iam::{moto_conn.account_id}:user/seam-user")
    assert json.loads(identities.documents(principal)[-1]) == json.loads(group_doc)
    iam.update_access_key(UserName="seam-user", AccessKeyId=key, Status="Inactive")
    with pytest.raises(InvalidCredentials):
        identities.principal(key, None)
    with pytest.raises(InvalidCredentials) as unknown:
        identities.principal("AKIANOSUCHKEY0000000", None)
    assert unknown.value.reason == "unknown-key"


def test_moto_seam__a_deleted_role_grants_nothing(moto_conn):
    iam = moto_conn.client("iam")
    iam.create_role(RoleName="gone", AssumeRolePolicyDocument=_policy([]))
    iam.delete_role(RoleName="gone")
    identities = MotoIdentities(moto_conn.account_id)
    assert identities.documents(Principal("role", "gone", "")) == []
    assert role_decision(moto_conn.account_id, "gone", "dynamodb:PutItem", TABLE_ARN) is Decision.IMPLICIT_DENY
