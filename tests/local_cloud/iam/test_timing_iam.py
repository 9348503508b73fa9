"""IAM's eventual consistency on a local cloud with AWS's timing (workshop_lib/local/iam/propagation.py): a role's
policy change reaches its callers only after a delay, additions and removals alike; a new role cannot be passed to
Lambda or SageMaker at once. Observed through boto3 only, before and after each delay (timing_observation.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.local_cloud.core.timed_cloud import NO_RETRY, admin_clients
from tests.local_cloud.core.timing_observation import observe, observe_from_the_start, settle
from workshop_lib.deploy import package
from workshop_lib.local import CloudState
from workshop_lib.local.awslambda.role_check import ROLE_NOT_ASSUMABLE
from workshop_lib.local.iam.propagation import NEW_ROLE, POLICY_CHANGE
from workshop_lib.local.sagemaker.role_check import role_not_assumable

pytestmark = pytest.mark.local_cloud
REGION = "us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com", "sagemaker.amazonaws.com"]},
         "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"},
    ],
}  # fmt: skip


class Account:
    """The timed cloud through the local admin's credentials, and a table the roles write to."""

    def __init__(self, cloud: CloudState) -> None:
        self.endpoint = cloud.endpoint_url
        self.client = admin_clients(cloud)
        self.scale = cloud.timing.scale
        self.iam = self.client("iam")
        self.table = f"timing-iam-{uuid.uuid4().hex[:8]}"
        self.client("dynamodb").create_table(
            TableName=self.table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.table_arn = f"arn:aws:dynamodb:{REGION}:123456789012:table/{self.table}"

    def role(self) -> tuple[str, str]:
        name = f"timing-role-{uuid.uuid4().hex[:10]}"
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        return name, arn

    def as_role(self, arn: str) -> Any:
        """A DynamoDB client acting as the role (AssumeRole with the admin's credentials)."""
        creds = self.client("sts").assume_role(RoleArn=arn, RoleSessionName="timing")["Credentials"]
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=REGION,
        )
        return session.client("dynamodb", endpoint_url=self.endpoint, config=NO_RETRY)

    def put_policy(self) -> str:
        return json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": self.table_arn}]}
        )  # fmt: skip


@pytest.fixture(scope="module")
def account(timed_cloud) -> Account:
    return Account(timed_cloud)


def _write(ddb: Any, table: str) -> str:
    """``allowed`` when the role's PutItem went through, else the error code."""
    try:
        ddb.put_item(TableName=table, Item={"id": {"S": uuid.uuid4().hex}})
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    return "allowed"


def _bounds(account: Account, delay: Any) -> dict[str, float]:
    return {"low": delay.low * account.scale, "high": delay.high * account.scale}


def test_put_role_policy__the_roles_callers_are_refused_until_the_new_permission_propagates(account):
    def scenario():
        name, arn = account.role()
        ddb = account.as_role(arn)
        assert _write(ddb, account.table) == "AccessDeniedException"  # no policy yet
        return observe(
            lambda: account.iam.put_role_policy(RoleName=name, PolicyName="write", PolicyDocument=account.put_policy()),
            lambda: _write(ddb, account.table),
            lambda outcome: outcome == "allowed",
            **_bounds(account, POLICY_CHANGE),
        )

    seen = observe_from_the_start(scenario)
    assert {p.value for p in seen.probes} == {"AccessDeniedException", "allowed"}


def test_delete_role_policy__a_removed_permission_still_allows_until_the_removal_propagates(account):
    def scenario():
        name, arn = account.role()
        account.iam.put_role_policy(RoleName=name, PolicyName="write", PolicyDocument=account.put_policy())
        ddb = account.as_role(arn)
        settle(lambda: _write(ddb, account.table), lambda outcome: outcome == "allowed")
        return observe(
            lambda: account.iam.delete_role_policy(RoleName=name, PolicyName="write"),
            lambda: _write(ddb, account.table),
            lambda outcome: outcome == "AccessDeniedException",
            **_bounds(account, POLICY_CHANGE),
        )

    seen = observe_from_the_start(scenario)
    assert seen.probes[0].value == "allowed"


def test_attach_and_detach_role_policy__a_managed_policy_takes_effect_and_leaves_after_the_delay(account):
    policy_arn = account.iam.create_policy(
        PolicyName=f"timing-write-{uuid.uuid4().hex[:8]}", PolicyDocument=account.put_policy()
    )["Policy"]["Arn"]

    def attach():
        name, arn = account.role()
        ddb = account.as_role(arn)
        seen = observe(
            lambda: account.iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn),
            lambda: _write(ddb, account.table),
            lambda outcome: outcome == "allowed",
            **_bounds(account, POLICY_CHANGE),
        )
        attached.append((name, ddb))
        return seen

    def detach():
        name, ddb = attached.pop()
        return observe(
            lambda: account.iam.detach_role_policy(RoleName=name, PolicyArn=policy_arn),
            lambda: _write(ddb, account.table),
            lambda outcome: outcome == "AccessDeniedException",
            **_bounds(account, POLICY_CHANGE),
        )

    attached: list[tuple[str, Any]] = []
    observe_from_the_start(attach)
    observe_from_the_start(detach)


def _refusal(call: Callable[[], object]) -> dict | None:
    """The error response of a call, None when it went through."""
    try:
        call()
    except ClientError as exc:
        return exc.response
    return None


def _new_roles_used_at_once(account: Account, use: Callable[[str], dict | None]) -> tuple[Any, list[tuple[str, dict]]]:
    """Create a role and pass it to a service (``use(arn)``: the refusal, None once accepted) right away, then again
    until it is accepted; returns the transition and every refusal with its role's ARN."""
    refusals: list[tuple[str, dict]] = []

    def attempt(arn: str) -> str:
        refusal = use(arn)
        if refusal is None:
            return "accepted"
        refusals.append((arn, refusal))
        return refusal["Error"]["Message"]

    def scenario():
        role: list[str] = []
        return observe(
            lambda: role.append(account.role()[1]),
            lambda: attempt(role[0]),
            lambda outcome: outcome == "accepted",
            **_bounds(account, NEW_ROLE),
        )

    return observe_from_the_start(scenario), refusals


def test_create_function__a_role_created_moments_ago_cannot_be_assumed_by_lambda_yet(account):
    lam = account.client("lambda")
    code = package({"app.py": "def handler(event, context):\n    return 1\n"})

    def create(arn: str) -> dict | None:
        name = f"timing-fn-{uuid.uuid4().hex[:10]}"
        return _refusal(lambda: lam.create_function(FunctionName=name, Runtime="python3.12", Role=arn,
                                                    Handler="app.handler", Code={"ZipFile": code}))  # fmt: skip

    _, refusals = _new_roles_used_at_once(account, create)
    refused = refusals[0][1]
    assert refused["Error"] == {"Code": "InvalidParameterValueException", "Message": ROLE_NOT_ASSUMABLE}
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert refused["Type"] == "User"


def test_update_function_configuration__a_new_role_is_refused_the_same_way(account):
    _, ready = account.role()
    lam = account.client("lambda")
    name = f"timing-fn-{uuid.uuid4().hex[:10]}"
    code = package({"app.py": "def handler(event, context):\n    return 1\n"})

    def create() -> object:
        return lam.create_function(FunctionName=name, Runtime="python3.12", Role=ready, Handler="app.handler",
                                   Code={"ZipFile": code})  # fmt: skip

    settle(lambda: _refusal(create), lambda refusal: refusal is None)  # the function's own role is new too
    lam.get_waiter("function_active_v2").wait(FunctionName=name)

    def update(arn: str) -> dict | None:
        return _refusal(lambda: lam.update_function_configuration(FunctionName=name, Role=arn))

    seen, refusals = _new_roles_used_at_once(account, update)
    assert seen.probes[0].value == ROLE_NOT_ASSUMABLE
    assert refusals[0][1]["Error"]["Code"] == "InvalidParameterValueException"


def test_create_model__a_role_created_moments_ago_cannot_be_assumed_by_sagemaker_yet(account):
    sagemaker = account.client("sagemaker")
    container = {"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sklearn:1.2-1",
                 "ModelDataUrl": "s3://nowhere/model.tar.gz"}  # fmt: skip

    def create(arn: str) -> dict | None:
        name = f"timing-model-{uuid.uuid4().hex[:10]}"
        return _refusal(lambda: sagemaker.create_model(ModelName=name, ExecutionRoleArn=arn,
                                                       PrimaryContainer=container))  # fmt: skip

    _, refusals = _new_roles_used_at_once(account, create)
    arn, refused = refusals[0]
    assert refused["Error"] == {"Code": "ValidationException", "Message": role_not_assumable(arn)}
    assert refused["Error"]["Message"] == (
        f"Could not assume role {arn}. Please ensure that the role exists and allows principal "
        "'sagemaker.amazonaws.com' to assume the role."
    )
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 400
