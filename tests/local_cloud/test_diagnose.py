"""diagnose() on the local cloud: each problem the seed's warning box names is found and explained."""

from __future__ import annotations

import uuid

import pytest

import workshop_lib as wl
from workshop_lib.connect import Connection
from workshop_lib.diagnose import diagnose

pytestmark = pytest.mark.local_cloud
HANDLER = "def lambda_handler(event, context):\n    return 1\n"


@pytest.fixture
def conn(local_conn) -> Connection:
    """A connection with its own participant prefix, so names do not collide with other tests."""
    return local_conn.with_prefix(f"dg{uuid.uuid4().hex[:6]}")


def _problems(d) -> dict[str, str]:
    return {p.name: p.fix for p in d.problems}


def test_simulate_principal_policy__answers_from_the_roles_policies(conn):
    role_arn = wl.ensure_execution_role(conn=conn)
    iam = conn.client("iam")
    table_arn = conn.arn("dynamodb", f"table/{conn.names.table}")

    def decision(action: str, resource: str) -> str:
        resp = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=[action], ResourceArns=[resource])
        return resp["EvaluationResults"][0]["EvalDecision"]

    assert decision("dynamodb:PutItem", table_arn) == "implicitDeny"
    wl.attach_policy(conn=conn)
    assert decision("dynamodb:PutItem", table_arn) == "allowed"
    assert decision("dynamodb:Scan", table_arn) == "implicitDeny"
    assert decision("dynamodb:PutItem", conn.arn("dynamodb", "table/Other")) == "implicitDeny"
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.simulate_principal_policy(PolicySourceArn=role_arn + "-gone", ActionNames=["s3:GetObject"])


def test_diagnose__names_each_problem_and_its_fix_then_passes(conn):
    wl.ensure_execution_role(conn=conn)
    wl.deploy_lambda(sources={"lambda_function.py": HANDLER}, conn=conn)
    first = diagnose(conn=conn)
    assert _problems(first) == {"environment variables": "set_env_vars(ENDPOINT_NAME=..., DYNAMODB_TABLE=...)"}

    wl.set_env_vars(ENDPOINT_NAME="no-such-endpoint", DYNAMODB_TABLE="NoSuchTable", conn=conn)
    second = _problems(diagnose(conn=conn))
    assert "create_metadata_table" in second["table"]
    assert "deploy the endpoint" in second["endpoint"]
    assert "metadata-write" in second["permission dynamodb:PutItem"]
    assert "invoke-endpoint" in second["permission sagemaker:InvokeEndpoint"]

    wl.create_metadata_table(conn=conn)
    wl.set_env_vars(DYNAMODB_TABLE=conn.names.table, conn=conn)
    wl.attach_policy(conn=conn)
    third = diagnose(conn=conn)
    assert {"table", "permission dynamodb:PutItem"}.isdisjoint(_problems(third))
    assert "PutItem" in str(third) and "allowed" in str(third)
    assert list(third.to_frame().columns) == ["check", "ok", "detail", "fix"]


def test_diagnose__unknown_function_says_to_deploy(conn):
    d = diagnose("no-such-function", conn=conn)
    assert not d.ok and "deploy_lambda" in d.problems[0].fix
