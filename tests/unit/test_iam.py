"""Execution role and policy templates: rendering, attaching, detaching, and every misuse."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from botocore.stub import Stubber

import workshop_lib as wl
from workshop_lib.iam import placeholders, trusts_service


def test_render_policy__fills_the_seeds_table_policy():
    doc = wl.render_policy("metadata-write", region="eu-west-1", account_id="111122223333", table="InferenceMetadata")
    statement = doc["Statement"][0]
    assert statement["Action"] == ["dynamodb:PutItem"]
    assert statement["Resource"] == "arn:aws:dynamodb:eu-west-1:111122223333:table/InferenceMetadata"


def test_render_policy__unfilled_placeholder_is_named_with_the_fix():
    with pytest.raises(wl.PolicyError) as err:
        wl.render_policy("metadata-write", region="eu-west-1", table="InferenceMetadata")
    assert "${account_id}" in str(err.value) and "account_id='...'" in str(err.value)


def test_render_policy__a_template_that_is_not_json_is_refused(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"Version": "2012-10-17", "Statement": [ ${table} ]}')
    with pytest.raises(wl.PolicyError, match="valid JSON"):
        wl.render_policy(bad, table="InferenceMetadata")


def test_render_policy__a_value_that_breaks_the_json_is_refused():
    with pytest.raises(wl.PolicyError, match="valid JSON"):
        wl.render_policy("metadata-write", region="eu-west-1", account_id="1", table='x"y')


def test_render_policy__unknown_template_lists_the_known_ones():
    with pytest.raises(wl.PolicyError, match="metadata-write"):
        wl.render_policy("no-such-template")


def test_placeholders__of_every_template_are_the_documented_ones():
    allowed = {"region", "account_id", "table", "endpoint", "function", "role", "bucket"}
    from workshop_lib.config import POLICIES_DIR

    for path in POLICIES_DIR.glob("*.json"):
        assert placeholders(path) <= allowed, path.name


def test_ensure_execution_role__creates_a_lambda_role_once(moto_conn):
    arn = wl.ensure_execution_role()
    assert arn == wl.ensure_execution_role()
    role = moto_conn.client("iam").get_role(RoleName=moto_conn.names.role)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert {"Key": "workshop-kit", "Value": "inference-metadata"} in role["Tags"]


def test_ensure_execution_role__a_role_lambda_cannot_assume_is_reported(moto_conn):
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}],
    }
    moto_conn.client("iam").create_role(RoleName="ec2-role", AssumeRolePolicyDocument=json.dumps(trust))
    with pytest.raises(wl.ResourceConflict, match=r"lambda\.amazonaws\.com"):
        wl.ensure_execution_role("ec2-role")


def test_attach_policy__puts_the_rendered_document_and_replaces_it_on_a_second_call(moto_conn):
    wl.ensure_execution_role()
    doc = wl.attach_policy()
    assert doc["Statement"][0]["Resource"] == "arn:aws:dynamodb:us-east-1:123456789012:table/InferenceMetadata"
    wl.attach_policy(table="OtherTable")
    policies = wl.role_policies()
    assert list(policies) == ["InferenceMetadataWrite"]
    assert policies["InferenceMetadataWrite"]["Statement"][0]["Resource"].endswith(":table/OtherTable")


def test_attach_policy__endpoint_arn_is_lower_case_as_aws_forms_it(moto_conn):
    wl.ensure_execution_role()
    doc = wl.attach_policy(template="invoke-endpoint", endpoint="ML-Endpoint".lower())
    assert doc["Statement"][0]["Resource"] == "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ml-endpoint"


def test_attach_policy__missing_role_says_to_create_it(moto_conn):
    with pytest.raises(wl.ResourceNotFound, match="ensure_execution_role"):
        wl.attach_policy("ghost-role")


def test_detach_policy__removes_it_and_reports_when_it_was_not_there(moto_conn):
    wl.ensure_execution_role()
    wl.attach_policy()
    assert wl.detach_policy() is True
    assert wl.role_policies() == {}
    assert wl.detach_policy() is False
    with pytest.raises(wl.ResourceNotFound):
        wl.detach_policy("ghost-role")


def test_delete_role__removes_its_policies_too(moto_conn):
    wl.ensure_execution_role()
    wl.attach_policy()
    assert wl.delete_role() is True
    assert wl.delete_role() is False


def test_delete_role__a_refused_get_role_is_reported_not_taken_for_a_missing_role(moto_conn):
    with Stubber(moto_conn.client("iam")) as stub:
        stub.add_client_error("get_role", "AccessDenied", "not authorized to perform iam:GetRole", 403)
        with pytest.raises(wl.DeploymentError, match="GetRole failed: AccessDenied") as err:
            wl.delete_role()
    assert err.value.aws_code == "AccessDenied"


def test_trusts_service__reads_the_documents_iam_returns_and_needs_assume_role():
    def trust(service, action="sts:AssumeRole", effect="Allow"):
        return {
            "Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Principal": {"Service": service}, "Action": action}],
        }

    assert trusts_service(trust("lambda.amazonaws.com"), "lambda.amazonaws.com")
    assert trusts_service(quote(json.dumps(trust(["sagemaker.amazonaws.com"]))), "sagemaker.amazonaws.com")
    assert trusts_service(trust("sagemaker.amazonaws.com", ["sts:*"]), "sagemaker.amazonaws.com")
    assert not trusts_service(trust("sagemaker.amazonaws.com"), "lambda.amazonaws.com")
    assert not trusts_service(trust("lambda.amazonaws.com", "sts:TagSession"), "lambda.amazonaws.com")
    assert not trusts_service(trust("lambda.amazonaws.com", effect="Deny"), "lambda.amazonaws.com")
    assert not trusts_service(
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*"}}, "lambda.amazonaws.com"
    )
