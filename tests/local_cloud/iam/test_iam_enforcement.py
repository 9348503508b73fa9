"""IAM enforcement end to end: a real local cloud, execution roles' temporary credentials, the docs table of cases."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from tests.iam_policy_documents import allow as _allow
from tests.iam_policy_documents import deny as _deny
from tests.iam_policy_documents import policy_json as _policy
from tests.iam_policy_documents import rendered_template as _render
from workshop_lib.config import (
    KIT_ROOT,
    LAMBDA_SOURCE,
    ResourceNames,
)
from workshop_lib.deploy import package
from workshop_lib.local import CloudState, lifecycle

REGION = "us-east-1"
DOCS = KIT_ROOT / "docs" / "iam-enforcement.md"
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})






# ------------------------------------------------------------------------------------------------
# End to end: a real local cloud, an execution role's temporary credentials
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Creds:
    """A set of credentials; clients for it come from one shared boto3 Session (models parsed once)."""

    access_key: str
    secret_key: str
    token: str | None = None


def _admin() -> Creds:
    """The local admin's credentials: its secret key is new at every start of the local cloud (the state file)."""
    state = lifecycle.status()
    assert state is not None, "the local cloud is not running"
    return Creds(state.admin_access_key, state.admin_secret_key)


@pytest.fixture(scope="module", autouse=True)
def _no_profile_or_endpoint_from_the_environment() -> Iterator[None]:
    """A learner's AWS_PROFILE or AWS_ENDPOINT_URL must not reach the clients of this module."""
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
            mp.delenv(var, raising=False)
        yield


@functools.lru_cache(maxsize=1)
def _boto() -> boto3.Session:
    return boto3.Session(region_name=REGION)


@functools.lru_cache(maxsize=256)
def _client(creds: Creds, service: str, endpoint_url: str) -> Any:
    return _boto().client(
        service,
        endpoint_url=endpoint_url,
        config=NO_RETRY,
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
        aws_session_token=creds.token,
    )


@dataclass
class World:
    """Resources shared by the end-to-end tests: the seed's role, assumed once, and two tables."""

    endpoint_url: str
    account: str
    names: ResourceNames
    other_table: str
    session_arn: str
    role: Creds

    def client(self, service: str, creds: Creds | None = None) -> Any:
        """A client with the seed role's credentials, or with ``creds``."""
        return _client(creds or self.role, service, self.endpoint_url)

    def admin(self, service: str) -> Any:
        return _client(_admin(), service, self.endpoint_url)

    def table_arn(self, table: str) -> str:
        return f"arn:aws:dynamodb:{REGION}:{self.account}:table/{table}"


def _create_table(ddb: Any, name: str, *, index: str | None = None) -> None:
    extra: dict[str, Any] = {}
    attributes = [{"AttributeName": "requestId", "AttributeType": "S"}]
    if index:
        attributes.append({"AttributeName": "modelName", "AttributeType": "S"})
        extra["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": "modelName", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
        AttributeDefinitions=attributes,
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


def _trusting_the_account(trust: str, account: str) -> str:
    """A trust policy that also trusts the account, so the admin may assume the role (AssumeRole checks trust)."""
    document = json.loads(trust)
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
    document["Statement"].append(statement)
    return json.dumps(document)


def _new_role(endpoint_url: str, account: str, name: str, policies: dict[str, str]) -> str:
    """A role trusted by lambda.amazonaws.com (policies/trust-lambda.json) and by the account (so the admin can
    assume it in these tests), with these inline policies."""
    iam = _client(_admin(), "iam", endpoint_url)
    trust = _trusting_the_account(_render("trust-lambda", account_id=account), account)
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    for policy_name, document in policies.items():
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=document)
    return arn


def _assume(endpoint_url: str, role_arn: str, session: str) -> Creds:
    """STS AssumeRole by the admin, as the Lambda service does for a function's execution role."""
    sts = _client(_admin(), "sts", endpoint_url)
    c = sts.assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


@pytest.fixture(scope="module")
def world(local_cloud: CloudState) -> World:
    """The seed's role (metadata-write + invoke-endpoint policies) assumed once, and two tables."""
    url, account = local_cloud.endpoint_url, local_cloud.account_id
    names = ResourceNames(prefix=f"iam{uuid.uuid4().hex[:6]}")
    ddb = _client(_admin(), "dynamodb", url)
    _create_table(ddb, names.table, index=names.history_index)
    other = f"{names.prefix}-OtherTable"
    _create_table(ddb, other)
    policies = {
        "InferenceMetadataWrite": _render("metadata-write", region=REGION, account_id=account, table=names.table),
        "InvokeSentimentEndpoint": _render(
            "invoke-endpoint", region=REGION, account_id=account, endpoint=names.endpoint
        ),
    }
    role_arn = _new_role(url, account, names.role, policies)
    role = _assume(url, role_arn, names.function)
    session_arn = f"arn:aws:sts::{account}:assumed-role/{names.role}/{names.function}"
    return World(url, account, names, other, session_arn, role)


@dataclass(frozen=True)
class Case:
    """One call made with the seed role's credentials, and what AWS would answer."""

    id: str
    call: str  # as the docs table shows it
    run: Callable[[World], Any]
    action: str | None = None  # the denied action; None when the call passes IAM
    resource: str | None = None  # the denied resource, {table}/{other}/{endpoint}... filled from the world
    code: str = "AccessDeniedException"
    status: int = 400
    identity: str = "seed role"

    @property
    def result(self) -> str:
        if self.action is None:
            return "allowed"
        on = f" on `{self.resource}`" if self.resource != "*" else ""
        return f"denied: {self.code} ({self.status}), `{self.action}`{on}"


def _item(request_id: str = "r-1") -> dict[str, Any]:
    return {"requestId": {"S": request_id}, "modelName": {"S": "ml-endpoint"}}


def _key() -> dict[str, Any]:
    return {"requestId": {"S": "r-1"}}


def _ddb(w: World) -> Any:
    return w.client("dynamodb")


TABLE = "arn:aws:dynamodb:{region}:{account}:table/{table}"
CALL_CASES = [
    Case(
        "put-item-own-table",
        "dynamodb PutItem on its table",
        lambda w: _ddb(w).put_item(TableName=w.names.table, Item=_item()),
    ),
    Case(
        "put-item-other-table",
        "dynamodb PutItem on another table",
        lambda w: _ddb(w).put_item(TableName=w.other_table, Item=_item()),
        "dynamodb:PutItem",
        "arn:aws:dynamodb:{region}:{account}:table/{other}",
    ),
    Case(
        "transact-put-own-table",
        "dynamodb TransactWriteItems, one Put on its table",
        lambda w: _ddb(w).transact_write_items(
            TransactItems=[{"Put": {"TableName": w.names.table, "Item": _item("r-2")}}]
        ),
    ),
    Case(
        "transact-put-other-table",
        "dynamodb TransactWriteItems, Puts on its table and another",
        lambda w: _ddb(w).transact_write_items(
            TransactItems=[
                {"Put": {"TableName": w.names.table, "Item": _item("r-3")}},
                {"Put": {"TableName": w.other_table, "Item": _item("r-3")}},
            ]
        ),
        "dynamodb:PutItem",
        "arn:aws:dynamodb:{region}:{account}:table/{other}",
    ),
    Case("scan", "dynamodb Scan on its table", lambda w: _ddb(w).scan(TableName=w.names.table), "dynamodb:Scan", TABLE),
    Case(
        "query",
        "dynamodb Query on its table",
        lambda w: _ddb(w).query(
            TableName=w.names.table,
            KeyConditionExpression="requestId = :r",
            ExpressionAttributeValues={":r": {"S": "r-1"}},
        ),
        "dynamodb:Query",
        TABLE,
    ),
    Case(
        "query-index",
        "dynamodb Query on its table's index",
        lambda w: _ddb(w).query(
            TableName=w.names.table,
            IndexName=w.names.history_index,
            KeyConditionExpression="modelName = :m",
            ExpressionAttributeValues={":m": {"S": "x"}},
        ),
        "dynamodb:Query",
        TABLE + "/index/{index}",
    ),
    Case(
        "get-item",
        "dynamodb GetItem on its table",
        lambda w: _ddb(w).get_item(TableName=w.names.table, Key=_key()),
        "dynamodb:GetItem",
        TABLE,
    ),
    Case(
        "update-item",
        "dynamodb UpdateItem on its table",
        lambda w: _ddb(w).update_item(
            TableName=w.names.table,
            Key=_key(),
            UpdateExpression="SET latencyMs = :l",
            ExpressionAttributeValues={":l": {"N": "1"}},
        ),
        "dynamodb:UpdateItem",
        TABLE,
    ),
    Case(
        "delete-item",
        "dynamodb DeleteItem on its table",
        lambda w: _ddb(w).delete_item(TableName=w.names.table, Key=_key()),
        "dynamodb:DeleteItem",
        TABLE,
    ),
    Case(
        "batch-write-own-table",
        "dynamodb BatchWriteItem on its table",
        lambda w: _ddb(w).batch_write_item(RequestItems={w.names.table: [{"PutRequest": {"Item": _item("r-4")}}]}),
        "dynamodb:BatchWriteItem",
        TABLE,
    ),
    Case(
        "describe-table",
        "dynamodb DescribeTable on its table (the seed's README also grants it; policies/metadata-write.json does not)",
        lambda w: _ddb(w).describe_table(TableName=w.names.table),
        "dynamodb:DescribeTable",
        TABLE,
    ),
    Case(
        "update-table",
        "dynamodb UpdateTable on its table",
        lambda w: _ddb(w).update_table(
            TableName=w.names.table,
            BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        ),
        "dynamodb:UpdateTable",
        TABLE,
    ),
    Case(
        "delete-table",
        "dynamodb DeleteTable on its table",
        lambda w: _ddb(w).delete_table(TableName=w.names.table),
        "dynamodb:DeleteTable",
        TABLE,
    ),
    Case(
        "list-tables",
        "dynamodb ListTables",
        lambda w: _ddb(w).list_tables(),
        "dynamodb:ListTables",
        "arn:aws:dynamodb:{region}:{account}:table/*",
    ),
    Case(
        "invoke-own-endpoint",
        "sagemaker-runtime InvokeEndpoint on its endpoint (IAM passes; the endpoint's own answer follows)",
        lambda w: w.client("sagemaker-runtime").invoke_endpoint(
            EndpointName=w.names.endpoint, Body=b"{}", ContentType="application/json"
        ),
    ),
    Case(
        "invoke-own-endpoint-mixed-case",
        "sagemaker-runtime InvokeEndpoint on its endpoint, name in upper case (ARNs are lower-case)",
        lambda w: w.client("sagemaker-runtime").invoke_endpoint(
            EndpointName=w.names.endpoint.upper(), Body=b"{}", ContentType="application/json"
        ),
    ),
    Case(
        "invoke-other-endpoint",
        "sagemaker-runtime InvokeEndpoint on another endpoint",
        lambda w: w.client("sagemaker-runtime").invoke_endpoint(
            EndpointName="Other-Endpoint", Body=b"{}", ContentType="application/json"
        ),
        "sagemaker:InvokeEndpoint",
        "arn:aws:sagemaker:{region}:{account}:endpoint/other-endpoint",
    ),
    Case(
        "put-metric-data",
        "cloudwatch PutMetricData",
        lambda w: w.client("cloudwatch").put_metric_data(
            Namespace="InferencePipeline", MetricData=[{"MetricName": "Latency", "Value": 1.0}]
        ),
        "cloudwatch:PutMetricData",
        "*",
        "AccessDenied",
        403,
    ),
    Case(
        "create-log-stream",
        "logs CreateLogStream in the function's log group",
        lambda w: w.client("logs").create_log_stream(logGroupName=f"/aws/lambda/{w.names.function}", logStreamName="s"),
        "logs:CreateLogStream",
        "arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{function}:log-stream:s",
    ),
    Case(
        "s3-get-object",
        "s3 GetObject",
        lambda w: w.client("s3").get_object(Bucket=w.names.bucket(w.account, REGION), Key="model/model.tar.gz"),
        "s3:GetObject",
        "arn:aws:s3:::{bucket}/model/model.tar.gz",
        "AccessDenied",
        403,
    ),
    Case(
        "lambda-invoke",
        "lambda Invoke of the function",
        lambda w: w.client("lambda").invoke(FunctionName=w.names.function, Payload=b"{}"),
        "lambda:InvokeFunction",
        "arn:aws:lambda:{region}:{account}:function:{function}",
        status=403,
    ),
    Case(
        "iam-list-roles",
        "iam ListRoles (named, resource not mapped: evaluated on *)",
        lambda w: w.client("iam").list_roles(),
        "iam:ListRoles",
        "*",
        "AccessDenied",
        403,
    ),
    Case("get-caller-identity", "sts GetCallerIdentity", lambda w: w.client("sts").get_caller_identity()),
]


def _expected_message(case: Case, w: World) -> str:
    values = {
        "region": REGION,
        "account": w.account,
        "table": w.names.table,
        "other": w.other_table,
        "index": w.names.history_index,
        "function": w.names.function,
        "bucket": w.names.bucket(w.account, REGION),
    }
    resource = (case.resource or "").format(**values)
    on = (
        ""
        if resource == "*"
        else (f' on resource: "{resource}"' if case.action.startswith("s3:") else f" on resource: {resource}")
    )
    return (
        f"User: {w.session_arn} is not authorized to perform: {case.action}{on} "
        f"because no identity-based policy allows the {case.action} action"
    )


@pytest.mark.local_cloud
@pytest.mark.parametrize("case", CALL_CASES, ids=lambda c: c.id)
def test_seed_role__each_call_is_allowed_or_denied_as_aws_would(world, case):
    if case.action is None:
        try:
            result = case.run(world)
        except botocore.exceptions.ClientError as exc:  # past IAM, the service may still refuse (no such endpoint)
            assert exc.response["Error"]["Code"] not in ("AccessDeniedException", "AccessDenied"), exc
        else:
            if case.id == "get-caller-identity":
                assert result["Arn"] == world.session_arn
        return
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        case.run(world)
    error, meta = denied.value.response["Error"], denied.value.response["ResponseMetadata"]
    assert (error["Code"], meta["HTTPStatusCode"]) == (case.code, case.status)
    assert error["Message"] == _expected_message(case, world)


@pytest.mark.local_cloud
def test_seed_role__the_allowed_put_item_really_wrote_the_item(world):
    world.client("dynamodb").put_item(TableName=world.names.table, Item=_item("written-by-role"))
    got = world.admin("dynamodb").get_item(TableName=world.names.table, Key={"requestId": {"S": "written-by-role"}})
    assert got["Item"]["modelName"] == {"S": "ml-endpoint"}


# Scenario cases: each test below names its row with _scenario("id").
SCENARIOS: dict[str, tuple[str, str, str]] = {
    "no-policy-put-item": (
        "role with no policy",
        "dynamodb PutItem on the table",
        "denied: AccessDeniedException (400), `dynamodb:PutItem` on `table/<table>`, AWS's exact message",
    ),
    "policy-reattached": (
        "role whose policy is removed, put back, removed",
        "dynamodb PutItem after each change",
        "denied, then allowed on the next call, then denied on the next call",
    ),
    "explicit-deny": (
        "role with `dynamodb:*` on `*` and a Deny of `dynamodb:PutItem` on the table",
        "dynamodb PutItem / GetItem on the table",
        'PutItem denied: AccessDeniedException (400), "... with an explicit deny in an identity-based policy"; '
        "GetItem allowed",
    ),
    "managed-policy": (
        "role with a customer managed policy attached, then a new default version, then detached",
        "dynamodb PutItem / Scan on the table",
        "allowed as the default version says, then denied once detached",
    ),
    "wildcard-policy": (
        "role with `DynamoDB:put*` on `table/<prefix>-*`",
        "dynamodb PutItem on three tables",
        "allowed on the two `<prefix>-...` tables, denied on the other",
    ),
    "logs-template": (
        "role with policies/logs.json for the function",
        "logs CreateLogStream, PutLogEvents, CreateLogGroup in the function's group; CreateLogStream in another",
        "allowed in the function's group (CreateLogGroup passes IAM, then ResourceAlreadyExistsException); "
        "denied: AccessDeniedException (400) in the other group",
    ),
    "logs-group-arn-without-star": (
        "role allowed `logs:CreateLogGroup` on `log-group:/aws/lambda/<function>-nostar` (no `:*`)",
        "logs CreateLogGroup of that group",
        "denied: AccessDeniedException (400) on `log-group:/aws/lambda/<function>-nostar:log-stream:`",
    ),
    "admin-passes": (
        "local admin key",
        "dynamodb Scan, ListTables, DeleteItem, UpdateTable; sagemaker-runtime InvokeEndpoint",
        "never refused by IAM enforcement",
    ),
    "unknown-key": (
        "access key unknown to the local cloud",
        "dynamodb ListTables, s3 ListBuckets, sts GetCallerIdentity",
        "UnrecognizedClientException (400), InvalidAccessKeyId (403), InvalidClientTokenId (403)",
    ),
    "wrong-session-token": (
        "assumed-role key sent with another session token",
        "dynamodb PutItem",
        "UnrecognizedClientException (400)",
    ),
    "iam-user-group-policy": (
        "IAM user whose group has the seed's policy; then its key deactivated",
        "dynamodb PutItem / Scan",
        "PutItem allowed, Scan denied naming `user/<name>`; inactive key: UnrecognizedClientException (400)",
    ),
    "lambda-write-denied": (
        "the inference Lambda (lambda_function.py, deployed as a zip) whose role has only invoke-endpoint",
        'lambda Invoke with `{"input": {"text": "Hello AI!"}}`; then the table policy attached, Invoke again',
        "first: no item, the function's log `/aws/lambda/<function>` has AccessDeniedException with AWS's "
        "message for `dynamodb:PutItem`; after attaching: the item is written",
    ),
    "unmapped-call": (
        "role with `*` on `*`",
        "apigateway GetRestApis (a REST call the local cloud cannot name)",
        "denied: AccessDeniedException (400), the message says the local cloud cannot tell the action",
    ),
}


def _scenario(case_id: str) -> tuple[str, str, str]:
    return SCENARIOS[case_id]


@pytest.fixture
def fresh_role(world) -> Iterator[Callable[..., tuple[str, Creds]]]:
    """Creates roles with given inline policies and returns (role name, assumed credentials); deletes them after."""
    created: list[str] = []
    iam = world.admin("iam")

    def make(policies: dict[str, str] | None = None) -> tuple[str, Creds]:
        name = f"iam-test-{uuid.uuid4().hex[:8]}"
        arn = _new_role(world.endpoint_url, world.account, name, policies or {})
        created.append(name)
        return name, _assume(world.endpoint_url, arn, "case")

    yield make
    for name in created:
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        iam.delete_role(RoleName=name)


def _error(call: Callable[[], Any]) -> tuple[str, int, str]:
    with pytest.raises(botocore.exceptions.ClientError) as failed:
        call()
    response = failed.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def _put(world: World, creds: Creds, table: str, request_id: str = "r-1") -> Any:
    return world.client("dynamodb", creds).put_item(TableName=table, Item=_item(request_id))


@pytest.mark.local_cloud
def test_without_the_policy__put_item_is_denied_with_aws_exact_message(world, fresh_role):
    _scenario("no-policy-put-item")
    name, creds = fresh_role()
    code, status, message = _error(lambda: _put(world, creds, world.names.table))
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (
        f"User: arn:aws:sts::{world.account}:assumed-role/{name}/case is not authorized to perform: "
        f"dynamodb:PutItem on resource: arn:aws:dynamodb:{REGION}:{world.account}:table/{world.names.table} "
        "because no identity-based policy allows the dynamodb:PutItem action"
    )


@pytest.mark.local_cloud
def test_reattaching_the_policy__takes_effect_on_the_next_call_both_ways(world, fresh_role):
    _scenario("policy-reattached")
    name, creds = fresh_role()
    iam = world.admin("iam")
    seed = _render("metadata-write", region=REGION, account_id=world.account, table=world.names.table)
    assert _error(lambda: _put(world, creds, world.names.table))[0] == "AccessDeniedException"
    iam.put_role_policy(RoleName=name, PolicyName="InferenceMetadataWrite", PolicyDocument=seed)
    _put(world, creds, world.names.table, "after-reattach")  # the same credentials, the next call
    iam.delete_role_policy(RoleName=name, PolicyName="InferenceMetadataWrite")
    assert _error(lambda: _put(world, creds, world.names.table))[0] == "AccessDeniedException"


@pytest.mark.local_cloud
def test_explicit_deny__beats_an_allow(world, fresh_role):
    _scenario("explicit-deny")
    table_arn = world.table_arn(world.names.table)
    name, creds = fresh_role(
        {
            "AllowAll": _policy([_allow("dynamodb:*", "*")]),
            "DenyWrites": _policy([_deny("dynamodb:PutItem", table_arn)]),
        }
    )
    code, status, message = _error(lambda: _put(world, creds, world.names.table))
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (
        f"User: arn:aws:sts::{world.account}:assumed-role/{name}/case is not authorized to perform: "
        f"dynamodb:PutItem on resource: {table_arn} with an explicit deny in an identity-based policy"
    )
    world.client("dynamodb", creds).get_item(TableName=world.names.table, Key=_key())


@pytest.mark.local_cloud
def test_managed_policy__attached_versioned_and_detached(world, fresh_role):
    _scenario("managed-policy")
    iam = world.admin("iam")
    name, creds = fresh_role()
    seed = _render("metadata-write", region=REGION, account_id=world.account, table=world.names.table)
    arn = iam.create_policy(PolicyName=f"{name}-managed", PolicyDocument=seed)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    _put(world, creds, world.names.table, "managed")
    ddb = world.client("dynamodb", creds)
    assert _error(lambda: ddb.scan(TableName=world.names.table))[0] == "AccessDeniedException"
    scan = _policy([_allow("dynamodb:Scan", world.table_arn(world.names.table))])
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=scan, SetAsDefault=True)
    ddb.scan(TableName=world.names.table)
    assert _error(lambda: _put(world, creds, world.names.table))[0] == "AccessDeniedException"
    iam.detach_role_policy(RoleName=name, PolicyArn=arn)
    assert _error(lambda: ddb.scan(TableName=world.names.table))[0] == "AccessDeniedException"
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=arn)


@pytest.mark.local_cloud
def test_wildcard_policy__matches_actions_case_insensitively_and_resources_by_pattern(world, fresh_role):
    _scenario("wildcard-policy")
    pattern = f"arn:aws:dynamodb:{REGION}:{world.account}:table/{world.names.prefix}-*"
    _, creds = fresh_role({"Wild": _policy([_allow("DynamoDB:put*", pattern)])})
    _put(world, creds, world.names.table, "wild")
    _put(world, creds, world.other_table, "wild")
    outside = f"x{world.names.prefix}-Elsewhere"
    assert _error(lambda: _put(world, creds, outside))[0] == "AccessDeniedException"


@pytest.mark.local_cloud
def test_logs_template__allows_the_functions_log_group_streams_and_events(world, fresh_role):
    _scenario("logs-template")
    function = world.names.function
    group = f"/aws/lambda/{function}"
    world.admin("logs").create_log_group(logGroupName=group)
    policy = _render("logs", region=REGION, account_id=world.account, function=function)
    _, creds = fresh_role({"FunctionLogs": policy})
    logs = world.client("logs", creds)
    logs.create_log_stream(logGroupName=group, logStreamName="2026/01/01/[$LATEST]abc")
    logs.put_log_events(
        logGroupName=group, logStreamName="2026/01/01/[$LATEST]abc", logEvents=[{"timestamp": 1, "message": "hi"}]
    )
    # Past IAM, CloudWatch Logs itself answers: the group is already there.
    assert _error(lambda: logs.create_log_group(logGroupName=group))[:2] == ("ResourceAlreadyExistsException", 400)
    other = f"/aws/lambda/{function}-other"
    code, _, message = _error(lambda: logs.create_log_stream(logGroupName=other, logStreamName="s"))
    assert code == "AccessDeniedException"
    assert f"on resource: arn:aws:logs:{REGION}:{world.account}:log-group:{other}:log-stream:s " in message


@pytest.mark.local_cloud
def test_log_group_arn_without_star__does_not_allow_create_log_group(world, fresh_role):
    _scenario("logs-group-arn-without-star")
    group = f"/aws/lambda/{world.names.function}-nostar"
    arn = f"arn:aws:logs:{REGION}:{world.account}:log-group:{group}"
    _, creds = fresh_role({"CreateGroup": _policy([_allow("logs:CreateLogGroup", arn)])})
    code, status, message = _error(lambda: world.client("logs", creds).create_log_group(logGroupName=group))
    assert (code, status) == ("AccessDeniedException", 400)
    assert f"logs:CreateLogGroup on resource: {arn}:log-stream: because no identity-based policy" in message


@pytest.mark.local_cloud
def test_admin__passes_everything(world, local_conn):
    _scenario("admin-passes")
    ddb = local_conn.client("dynamodb")  # the connection notebooks use
    ddb.scan(TableName=world.names.table)
    assert isinstance(ddb.list_tables()["TableNames"], list)
    ddb.describe_table(TableName=world.names.table)
    ddb.delete_item(TableName=world.names.table, Key={"requestId": {"S": "does-not-exist"}})
    ddb.update_table(TableName=world.other_table, BillingMode="PAY_PER_REQUEST")
    runtime = local_conn.client("sagemaker-runtime")
    try:
        runtime.invoke_endpoint(EndpointName="any-endpoint", Body=b"{}", ContentType="application/json")
    except botocore.exceptions.ClientError as exc:  # past IAM; the endpoint need not exist
        assert exc.response["Error"]["Code"] not in ("AccessDeniedException", "AccessDenied")


@pytest.mark.local_cloud
def test_unknown_key__is_refused_with_each_services_invalid_token_error(world):
    _scenario("unknown-key")
    stranger = Creds("AKIAUNKNOWNKEY000000", "x")
    invalid = "The security token included in the request is invalid."
    assert _error(lambda: world.client("dynamodb", stranger).list_tables()) == (
        "UnrecognizedClientException",
        400,
        invalid,
    )
    assert _error(lambda: world.client("s3", stranger).list_buckets()) == (
        "InvalidAccessKeyId",
        403,
        "The AWS Access Key Id you provided does not exist in our records.",
    )
    assert _error(lambda: world.client("sts", stranger).get_caller_identity()) == (
        "InvalidClientTokenId",
        403,
        invalid,
    )


@pytest.mark.local_cloud
def test_wrong_session_token__is_refused(world, fresh_role):
    _scenario("wrong-session-token")
    _, creds = fresh_role()
    forged = Creds(creds.access_key, creds.secret_key, "not-" + (creds.token or ""))
    assert _error(lambda: _put(world, forged, world.names.table))[:2] == ("UnrecognizedClientException", 400)


@pytest.mark.local_cloud
def test_iam_user__acts_with_its_groups_policies_until_its_key_is_deactivated(world):
    _scenario("iam-user-group-policy")
    iam = world.admin("iam")
    user, group = f"iam-user-{uuid.uuid4().hex[:6]}", f"iam-group-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    seed = _render("metadata-write", region=REGION, account_id=world.account, table=world.names.table)
    iam.put_group_policy(GroupName=group, PolicyName="seed", PolicyDocument=seed)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    creds = Creds(key["AccessKeyId"], key["SecretAccessKey"])
    _put(world, creds, world.names.table, "by-user")
    code, _, message = _error(lambda: world.client("dynamodb", creds).scan(TableName=world.names.table))
    assert code == "AccessDeniedException"
    assert message.startswith(
        f"User: arn:aws:iam::{world.account}:user/{user} is not authorized to perform: dynamodb:Scan"
    )
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert _error(lambda: _put(world, creds, world.names.table))[0] == "UnrecognizedClientException"


@pytest.mark.local_cloud
def test_unmapped_call__is_refused_with_a_message_that_says_why(world, fresh_role):
    _scenario("unmapped-call")
    _, creds = fresh_role({"Everything": _policy([_allow("*", "*")])})
    code, _, message = _error(lambda: world.client("apigateway", creds).get_rest_apis())
    assert code == "AccessDeniedException"
    assert "the local cloud cannot tell which IAM action and resource GET /restapis (apigateway) needs" in message
    # The same policy lets a mapped call through: the refusal above is about the mapping, not the policy.
    world.client("dynamodb", creds).list_tables()


def _log_text(logs: Any, group: str, needle: str, timeout: float = 15.0) -> str:
    """The function's log events as text, once ``needle`` is in them (or whatever is there at the deadline)."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=group)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        text = "".join(e["message"] for e in events)
        if needle in text:
            break
        time.sleep(0.1)
    return text


@pytest.mark.local_cloud
def test_inference_lambda__without_the_policy_its_write_is_denied_in_its_logs_until_the_policy_is_attached(
    world, local_conn
):
    _scenario("lambda-write-denied")
    account, iam = local_conn.account_id, local_conn.client("iam")
    function = f"{world.names.prefix}-fn-{uuid.uuid4().hex[:6]}"
    role = f"{function}-role"
    invoke_policy = _render("invoke-endpoint", region=REGION, account_id=account, endpoint=world.names.endpoint)
    role_arn = _new_role(local_conn.endpoint_url, account, role, {"Invoke": invoke_policy})
    lam, logs = local_conn.client("lambda"), local_conn.client("logs")
    try:
        lam.create_function(
            FunctionName=function,
            Runtime="python3.12",
            Role=role_arn,
            Handler="lambda_function.lambda_handler",
            Code={"ZipFile": package(LAMBDA_SOURCE)},
            Timeout=30,
            Environment={"Variables": {"ENDPOINT_NAME": world.names.endpoint, "DYNAMODB_TABLE": world.names.table}},
        )
        lam.get_waiter("function_active_v2").wait(FunctionName=function)
        event = json.dumps({"input": {"text": "Hello AI!"}}).encode()

        first = json.loads(lam.invoke(FunctionName=function, Payload=event)["Payload"].read())
        denial = (
            f"User: arn:aws:sts::{account}:assumed-role/{role}/{function} is not authorized to perform: "
            f"dynamodb:PutItem on resource: arn:aws:dynamodb:{REGION}:{account}:table/{world.names.table} "
            "because no identity-based policy allows the dynamodb:PutItem action"
        )
        text = _log_text(logs, f"/aws/lambda/{function}", denial)
        assert "AccessDeniedException" in text and denial in text, text[-3000:]
        first_id = json.loads(first["body"])["requestId"]
        ddb = local_conn.client("dynamodb")
        assert "Item" not in ddb.get_item(TableName=world.names.table, Key={"requestId": {"S": first_id}})

        # The troubleshooting box's fix: attach the table policy; the next invocation records its item.
        seed = _render("metadata-write", region=REGION, account_id=account, table=world.names.table)
        iam.put_role_policy(RoleName=role, PolicyName="InferenceMetadataWrite", PolicyDocument=seed)
        second = json.loads(lam.invoke(FunctionName=function, Payload=event)["Payload"].read())
        second_id = json.loads(second["body"])["requestId"]
        item = ddb.get_item(TableName=world.names.table, Key={"requestId": {"S": second_id}}).get("Item")
        assert item is not None and item["modelName"] == {"S": world.names.endpoint}
    finally:
        with contextlib.suppress(botocore.exceptions.ClientError):
            lam.delete_function(FunctionName=function)
        for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            iam.delete_role_policy(RoleName=role, PolicyName=policy)
        iam.delete_role(RoleName=role)


# ------------------------------------------------------------------------------------------------
# The docs table lists every case tried, with its result
# ------------------------------------------------------------------------------------------------
_SHOWN = {
    "region": "<region>",
    "account": "<account>",
    "table": "<table>",
    "other": "<other-table>",
    "index": "<index>",
    "function": "<function>",
    "bucket": "<bucket>",
}


def render_cases_table() -> str:
    """The cases table of docs/iam-enforcement.md, rendered from the cases above."""
    rows = ["| Case | Identity | Call | Result |", "| --- | --- | --- | --- |"]
    for case in CALL_CASES:
        rows.append(f"| `{case.id}` | {case.identity} | {case.call} | {case.result.format(**_SHOWN)} |")
    for case_id, (identity, call, result) in SCENARIOS.items():
        rows.append(f"| `{case_id}` | {identity} | {call} | {result} |")
    return "\n".join(rows)


def test_docs__the_table_lists_every_case_with_its_result():
    text = DOCS.read_text(encoding="utf-8")
    table = render_cases_table()
    assert table in text, "docs/iam-enforcement.md is out of date; replace its cases table with:\n\n" + table


def test_docs__every_scenario_row_is_exercised_by_a_test():
    source = Path(__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'^    _scenario\("([a-z0-9-]+)"\)$', source, re.MULTILINE))
    assert used == set(SCENARIOS), (
        f"rows without a test: {set(SCENARIOS) - used}; tests without a row: {used - set(SCENARIOS)}"
    )
