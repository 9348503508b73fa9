"""AssumeRole checks the role's trust policy and the caller's permission; GetSessionToken; iam:PassRole.

First the decision alone (``trust.assume_role_decision``, no server), then through boto3 against a real local
cloud: IAM users with access keys, roles with trust policies that name the user, trust the account, or require an
ExternalId; DurationSeconds limits; GetSessionToken's session acting as its user; and CreateFunction /
CreateModel refused without iam:PassRole on the role.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from workshop_lib.config import LOCAL_ADMIN_ACCESS_KEY
from workshop_lib.deploy import package
from workshop_lib.local import CloudState
from workshop_lib.local.core.policy import Decision
from workshop_lib.local.core.records import Principal, SigningKey
from workshop_lib.local.iam.trust import assume_role_decision, trust_context

REGION = "us-east-1"
ACCOUNT = "123456789012"
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})
UNVALIDATED = Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=False)  # as a raw call
ROLE = f"arn:aws:iam::{ACCOUNT}:role/target"
ALICE = SigningKey("AKIAALICE", "s", Principal("user", "alice", f"arn:aws:iam::{ACCOUNT}:user/alice"))
SESSION = SigningKey(
    "ASIASESSION", "s", Principal("role", "source", f"arn:aws:sts::{ACCOUNT}:assumed-role/source/s"), "token",
    role_arn=f"arn:aws:iam::{ACCOUNT}:role/source",
)  # fmt: skip
ALLOW_ASSUME = json.dumps({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE}]})
DENY_ASSUME = json.dumps({"Statement": [{"Effect": "Deny", "Action": "sts:*", "Resource": "*"}]})


def _trust(principal: Any, **extra: Any) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _decide(trust: str, caller: SigningKey = ALICE, documents: tuple[str, ...] = (), external_id: str | None = None):
    context = trust_context(caller, ACCOUNT, "s", external_id)
    return assume_role_decision(trust, caller, documents, ROLE, ACCOUNT, context)


@pytest.mark.parametrize(
    ("trust", "documents", "expected"),
    [
        (_trust({"AWS": ALICE.principal.arn}), (), Decision.ALLOW),  # named: no identity policy needed
        (_trust({"AWS": ALICE.principal.arn}), (DENY_ASSUME,), Decision.EXPLICIT_DENY),  # but a Deny wins
        (_trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), (), Decision.IMPLICIT_DENY),  # the account: needs both
        (_trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), (ALLOW_ASSUME,), Decision.ALLOW),
        (_trust({"AWS": ACCOUNT}), (ALLOW_ASSUME,), Decision.ALLOW),  # a bare account ID is the account's root
        (_trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"}), (ALLOW_ASSUME,), Decision.IMPLICIT_DENY),
        (_trust({"Service": "lambda.amazonaws.com"}), (ALLOW_ASSUME,), Decision.IMPLICIT_DENY),
        (_trust({"AWS": "arn:aws:iam::210987654321:root"}), (ALLOW_ASSUME,), Decision.IMPLICIT_DENY),
    ],
    ids=[
        "named",
        "named-but-denied",
        "account-no-policy",
        "account-and-policy",
        "account-id",
        "other-user",
        "service-only",
        "other-account",
    ],
)
def test_trust_decision__for_an_iam_user(trust, documents, expected):
    assert _decide(trust, documents=documents) is expected


def test_trust_decision__a_role_session_is_named_by_its_role_and_the_admin_is_an_account_principal():
    assert _decide(_trust({"AWS": SESSION.role_arn}), SESSION) is Decision.ALLOW
    admin = SigningKey(LOCAL_ADMIN_ACCESS_KEY, "s", Principal("admin", "admin", f"arn:aws:sts::{ACCOUNT}:user/moto"))
    assert _decide(_trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), admin) is Decision.ALLOW
    assert _decide(_trust({"Service": "lambda.amazonaws.com"}), admin) is Decision.IMPLICIT_DENY


def test_trust_decision__external_id_condition():
    trust = _trust({"AWS": ALICE.principal.arn}, Condition={"StringEquals": {"sts:ExternalId": "Unicorn-42"}})
    assert _decide(trust) is Decision.IMPLICIT_DENY
    assert _decide(trust, external_id="wrong") is Decision.IMPLICIT_DENY
    assert _decide(trust, external_id="Unicorn-42") is Decision.ALLOW


# --- End to end ----------------------------------------------------------------------------------------------------


@dataclass
class Account:
    """The local cloud as its admin, and a way to make users and roles."""

    state: CloudState

    def admin(self, service: str, config: Config = NO_RETRY) -> Any:
        session = boto3.Session(LOCAL_ADMIN_ACCESS_KEY, self.state.admin_secret_key, region_name=REGION)
        return session.client(service, endpoint_url=self.state.endpoint_url, config=config)

    def client(self, creds: dict[str, str], service: str, config: Config = NO_RETRY) -> Any:
        session = boto3.Session(
            creds["AccessKeyId"], creds["SecretAccessKey"], creds.get("SessionToken"), region_name=REGION
        )
        return session.client(service, endpoint_url=self.state.endpoint_url, config=config)

    def user(self, *statements: dict[str, Any]) -> tuple[str, dict[str, str]]:
        """A new IAM user with these inline statements, and an access key of it."""
        iam = self.admin("iam")
        name = f"u-{uuid.uuid4().hex[:8]}"
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        if statements:
            policy = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
        return arn, iam.create_access_key(UserName=name)["AccessKey"]

    def role(self, trust: str, *, max_session_s: int = 3600) -> str:
        name = f"r-{uuid.uuid4().hex[:8]}"
        iam = self.admin("iam")
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, MaxSessionDuration=max_session_s)["Role"][
            "Arn"
        ]


@pytest.fixture(scope="module")
def account(local_cloud: CloudState) -> Account:
    return Account(local_cloud)


def _error(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


@pytest.mark.local_cloud
def test_assume_role__a_trust_policy_naming_the_user_is_enough(account):
    user_arn, key = account.user()
    role = account.role(_trust({"AWS": user_arn}))
    creds = account.client(key, "sts").assume_role(RoleArn=role, RoleSessionName="named")["Credentials"]
    arn = account.client(creds, "sts").get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::{account.state.account_id}:assumed-role/{role.rsplit('/', 1)[1]}/named"


@pytest.mark.local_cloud
def test_assume_role__trusting_the_account_needs_the_callers_permission_too(account):
    role = account.role(_trust({"AWS": f"arn:aws:iam::{account.state.account_id}:root"}))
    user_arn, key = account.user()
    assert _error(lambda: account.client(key, "sts").assume_role(RoleArn=role, RoleSessionName="sess")) == (
        "AccessDenied", 403, f"User: {user_arn} is not authorized to perform: sts:AssumeRole on resource: {role}"
    )  # fmt: skip
    _, allowed = account.user({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role})
    assert account.client(allowed, "sts").assume_role(RoleArn=role, RoleSessionName="sess")["Credentials"]


@pytest.mark.local_cloud
def test_assume_role__the_admin_cannot_assume_a_role_only_lambda_may(account):
    role = account.role(_trust({"Service": "lambda.amazonaws.com"}))
    code, status, message = _error(lambda: account.admin("sts").assume_role(RoleArn=role, RoleSessionName="sess"))
    assert (code, status) == ("AccessDenied", 403) and message.endswith(f"sts:AssumeRole on resource: {role}")
    missing = role + "-missing"  # a role that does not exist: the same answer (AWS does not tell)
    assert _error(lambda: account.admin("sts").assume_role(RoleArn=missing, RoleSessionName="sess"))[:2] == (
        "AccessDenied", 403,
    )  # fmt: skip


@pytest.mark.local_cloud
def test_assume_role__external_id_as_the_trust_policy_requires(account):
    user_arn, key = account.user()
    condition = {"StringEquals": {"sts:ExternalId": "Unicorn-42"}}
    role = account.role(_trust({"AWS": user_arn}, Condition=condition))
    sts = account.client(key, "sts")
    assert _error(lambda: sts.assume_role(RoleArn=role, RoleSessionName="sess"))[:2] == ("AccessDenied", 403)
    assert _error(lambda: sts.assume_role(RoleArn=role, RoleSessionName="sess", ExternalId="Unicorn-41"))[0] == (
        "AccessDenied"
    )
    creds = sts.assume_role(RoleArn=role, RoleSessionName="sess", ExternalId="Unicorn-42")["Credentials"]
    assert ":assumed-role/" in account.client(creds, "sts").get_caller_identity()["Arn"]


@pytest.mark.local_cloud
def test_assume_role__duration_seconds_is_honoured_within_aws_limits(account):
    role = account.role(_trust({"AWS": account.state.account_id}), max_session_s=7200)
    sts = account.admin("sts", UNVALIDATED)  # botocore would refuse 899 before sending it
    code, status, message = _error(lambda: sts.assume_role(RoleArn=role, RoleSessionName="sess", DurationSeconds=899))
    assert (code, status) == ("ValidationError", 400) and "greater than or equal to 900" in message
    code, _, message = _error(lambda: sts.assume_role(RoleArn=role, RoleSessionName="sess", DurationSeconds=7201))
    assert (code, message) == ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")  # fmt: skip # noqa: E501
    before = time.time()
    creds = sts.assume_role(RoleArn=role, RoleSessionName="sess", DurationSeconds=900)["Credentials"]
    assert 880 <= creds["Expiration"].timestamp() - before <= 920
    chained = account.role(_trust({"AWS": role}), max_session_s=7200)  # trusts sessions of the first role
    code, _, message = _error(
        lambda: account.client(creds, "sts").assume_role(
            RoleArn=chained, RoleSessionName="chained", DurationSeconds=7200
        )
    )
    assert code == "ValidationError" and "1 hour session limit for roles assumed by role chaining" in message
    again = account.client(creds, "sts").assume_role(RoleArn=chained, RoleSessionName="chained")["Credentials"]
    assert account.client(again, "sts").get_caller_identity()["Arn"].endswith(f"{chained.rsplit('/', 1)[1]}/chained")


@pytest.mark.local_cloud
def test_get_session_token__acts_as_its_user_until_it_expires(account):
    table = f"t-{uuid.uuid4().hex[:8]}"
    account.admin("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table_arn = f"arn:aws:dynamodb:{REGION}:{account.state.account_id}:table/{table}"
    user_arn, key = account.user({"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": table_arn})
    sts = account.client(key, "sts", UNVALIDATED)
    assert _error(lambda: sts.get_session_token(DurationSeconds=899))[:2] == ("ValidationError", 400)
    before = time.time()
    session = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert session["AccessKeyId"].startswith("ASIA") and 880 <= session["Expiration"].timestamp() - before <= 920
    assert account.client(session, "sts").get_caller_identity()["Arn"] == user_arn
    ddb = account.client(session, "dynamodb")
    ddb.put_item(TableName=table, Item={"k": {"S": "v"}})
    code, status, message = _error(lambda: ddb.scan(TableName=table))
    assert (code, status) == ("AccessDeniedException", 400) and message.startswith(f"User: {user_arn} is not")
    assert _error(lambda: account.client(session, "sts").get_session_token())[:3] == (
        "AccessDenied", 403, "Cannot call GetSessionToken with session credentials",
    )  # fmt: skip
    without_token = {"AccessKeyId": session["AccessKeyId"], "SecretAccessKey": session["SecretAccessKey"]}
    assert _error(lambda: account.client(without_token, "dynamodb").list_tables())[:2] == (
        "UnrecognizedClientException", 400,
    )  # fmt: skip


LAMBDA_TRUST = _trust({"Service": "lambda.amazonaws.com"})


@pytest.mark.local_cloud
def test_pass_role__create_function_needs_iam_pass_role_on_the_role(account):
    role = account.role(LAMBDA_TRUST)
    create = {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"}
    user_arn, key = account.user(create)
    name = f"fn-{uuid.uuid4().hex[:8]}"
    code = {"ZipFile": package({"app.py": "def handler(e, c):\n    return 1\n"})}
    lam = account.client(key, "lambda")

    def deploy(client: Any) -> Any:
        return client.create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler="app.handler",
                                      Code=code)  # fmt: skip

    assert _error(lambda: deploy(lam)) == (
        "AccessDeniedException", 403,
        f"User: {user_arn} is not authorized to perform: iam:PassRole on resource: {role} because no "
        "identity-based policy allows the iam:PassRole action",
    )  # fmt: skip
    pass_to_ec2 = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
                   "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}  # fmt: skip
    _, ec2_only = account.user(create, pass_to_ec2)
    assert _error(lambda: deploy(account.client(ec2_only, "lambda")))[0] == "AccessDeniedException"
    pass_to_lambda = {**pass_to_ec2, "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}
    _, allowed = account.user(create, pass_to_lambda)
    assert deploy(account.client(allowed, "lambda"))["FunctionName"] == name


@pytest.mark.local_cloud
def test_pass_role__create_model_needs_iam_pass_role_on_the_role(account):
    role = account.role(_trust({"Service": "sagemaker.amazonaws.com"}))
    user_arn, key = account.user({"Effect": "Allow", "Action": "sagemaker:CreateModel", "Resource": "*"})
    container = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1", "ModelDataUrl": "s3://b/m.tar.gz"}
    model = f"m-{uuid.uuid4().hex[:8]}"
    sm = account.client(key, "sagemaker")
    code, status, message = _error(
        lambda: sm.create_model(ModelName=model, ExecutionRoleArn=role, PrimaryContainer=container)
    )
    assert (code, status) == ("AccessDeniedException", 400)
    assert message.startswith(f"User: {user_arn} is not authorized to perform: iam:PassRole on resource: {role}")
    # The admin passes every role (it is not checked by IAM enforcement).
    assert account.admin("sagemaker").create_model(ModelName=model, ExecutionRoleArn=role, PrimaryContainer=container)
