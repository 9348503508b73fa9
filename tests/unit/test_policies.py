"""The policy templates in policies/: they render, they are IAM documents, and they grant the least privilege."""

from __future__ import annotations

import json
import re
import string
from typing import Any

import pytest

from workshop_lib.config import LAMBDA_SOURCE, POLICIES_DIR

VALUES = {
    "region": "ap-southeast-1",
    "account_id": "210987654321",
    "table": "alice-InferenceMetadata",
    "endpoint": "Alice-ML-Endpoint".lower(),  # the caller lower-cases it, as AWS forms the ARN
    "function": "alice-ml-inference-lambda",
}
TEMPLATES = sorted(p.stem for p in POLICIES_DIR.glob("*.json"))
ROLE_POLICIES = ["invoke-endpoint", "logs", "metadata-write"]
LOG_GROUP_ARN = "arn:aws:logs:{region}:{account_id}:log-group:/aws/lambda/{function}".format(**VALUES)


def render(name: str) -> dict[str, Any]:
    text = (POLICIES_DIR / f"{name}.json").read_text(encoding="utf-8")
    return json.loads(string.Template(text).substitute(VALUES))


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_templates__are_the_four_the_kit_attaches_and_the_optional_put_metric_data():
    assert TEMPLATES == ["invoke-endpoint", "logs", "metadata-write", "put-metric-data", "trust-lambda"]


def test_put_metric_data_policy__allows_only_the_inference_pipeline_namespace():
    """PutMetricData has no resource-level permission: its resource is "*", and the namespace condition scopes it."""
    (statement,) = statements(render("put-metric-data"))
    assert as_list(statement["Action"]) == ["cloudwatch:PutMetricData"]
    assert statement["Resource"] == "*"
    assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": "InferencePipeline"}}


@pytest.mark.parametrize("name", TEMPLATES)
def test_template__is_valid_json_with_only_known_placeholders(name):
    text = (POLICIES_DIR / f"{name}.json").read_text(encoding="utf-8")
    json.loads(text)  # valid JSON before rendering too
    used = {m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(text)} - {None}
    assert used <= set(VALUES), used - set(VALUES)


@pytest.mark.parametrize("name", TEMPLATES)
def test_template__renders_into_an_iam_document(name):
    document = render(name)
    assert "$" not in json.dumps(document)
    assert document["Version"] == "2012-10-17"
    for statement in statements(document):
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement and "NotPrincipal" not in statement
        assert as_list(statement["Action"])


@pytest.mark.parametrize("name", TEMPLATES)
def test_template__has_no_wildcard_action(name):
    for statement in statements(render(name)):
        for action in as_list(statement["Action"]):
            assert "*" not in action and "?" not in action, action
            assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z]+", action), action


@pytest.mark.parametrize("name", ROLE_POLICIES)
def test_role_policy__has_no_star_resource_and_wildcards_only_where_aws_requires(name):
    for statement in statements(render(name)):
        for resource in as_list(statement["Resource"]):
            assert resource != "*"
            assert resource.startswith(f"arn:aws:{resource.split(':')[2]}:{VALUES['region']}:{VALUES['account_id']}:")
            if "*" in resource or "?" in resource:
                # CloudWatch Logs' documented log-group ARN form for IAM: the group itself and its streams.
                assert resource == f"{LOG_GROUP_ARN}:*", resource


def test_role_policies__grant_exactly_the_calls_the_function_and_lambda_make():
    granted = {
        (action, resource)
        for name in ROLE_POLICIES
        for statement in statements(render(name))
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    table = "arn:aws:dynamodb:{region}:{account_id}:table/{table}".format(**VALUES)
    endpoint = "arn:aws:sagemaker:{region}:{account_id}:endpoint/{endpoint}".format(**VALUES)
    assert granted == {
        ("dynamodb:PutItem", table),
        ("sagemaker:InvokeEndpoint", endpoint),
        ("logs:CreateLogGroup", LOG_GROUP_ARN),
        ("logs:CreateLogGroup", f"{LOG_GROUP_ARN}:*"),
        ("logs:CreateLogStream", f"{LOG_GROUP_ARN}:*"),
        ("logs:PutLogEvents", f"{LOG_GROUP_ARN}:*"),
    }
    assert endpoint == endpoint.lower()


def test_lambda_code__calls_only_what_the_policies_grant():
    """The seed's DescribeTable is not granted because the code never calls it: these are its only AWS calls."""
    source = LAMBDA_SOURCE.read_text(encoding="utf-8")
    calls = set(re.findall(r'client\("([a-z-]+)"\)\.([a-z_]+)\(', source))
    assert calls == {("sagemaker-runtime", "invoke_endpoint"), ("dynamodb", "put_item")}
    assert "describe_table" not in source


def test_trust_policy__lets_only_lambda_of_this_account_assume_the_role():
    (statement,) = statements(render("trust-lambda"))
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert as_list(statement["Action"]) == ["sts:AssumeRole"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": VALUES["account_id"]}}
    assert "Resource" not in statement  # a trust (resource-based) policy names no resource


def test_policies_readme__says_why_describe_table_is_not_granted():
    readme = (POLICIES_DIR / "README.md").read_text(encoding="utf-8")
    assert "DescribeTable" in readme
    for name in TEMPLATES:
        assert f"{name}.json" in readme
