"""The one policy engine of the local cloud (workshop_lib/local/core/policy.py), table by table.

Wildcards in actions and resources, identity-policy evaluation (what the IAM guard and SimulatePrincipalPolicy
decide), and the Lambda resource-policy check (principal, action and conditions: what API Gateway's invocations
are decided by). No server, no moto.
"""

from __future__ import annotations

import json
import string
from typing import Any

import pytest

from workshop_lib.config import POLICIES_DIR
from workshop_lib.local.awslambda.invoke import function_policy_allows
from workshop_lib.local.core.policy import (
    Decision,
    PolicyRequest,
    action_matches,
    conditions_hold,
    decide,
    evaluate,
    resource_matches,
)

TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/InferenceMetadata"


def _policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _render(template: str, **values: str) -> str:
    return string.Template((POLICIES_DIR / f"{template}.json").read_text()).substitute(values)


def _allow(action: Any, resource: Any = TABLE_ARN, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _deny(action: Any, resource: Any = TABLE_ARN, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# --- Identity-based policies: wildcards and evaluation ------------------------------------------------------------

@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("dynamodb:PutItem", "dynamodb:PutItem", True),
        ("DynamoDB:putitem", "dynamodb:PutItem", True),  # actions are case-insensitive
        ("dynamodb:Put*", "dynamodb:PutItem", True),
        ("dynamodb:*", "dynamodb:Scan", True),
        ("*", "sagemaker:InvokeEndpoint", True),
        ("dynamodb:?utItem", "dynamodb:PutItem", True),
        ("dynamodb:Put?", "dynamodb:PutItem", False),  # ? is exactly one character
        ("dynamodb:Put*", "dynamodb:BatchWriteItem", False),
        ("dynamodb:PutItem", "dynamodb:PutItems", False),  # whole-string match, not a prefix
        ("s3:Get*", "dynamodb:GetItem", False),
    ],
)
def test_action_patterns__wildcards_and_case(pattern, action, matches):
    assert action_matches(pattern, action) is matches


@pytest.mark.parametrize(
    ("pattern", "resource", "matches"),
    [
        (TABLE_ARN, TABLE_ARN, True),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/Inference*", TABLE_ARN, True),
        ("arn:aws:dynamodb:*:*:table/*", TABLE_ARN, True),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/InferenceMetadat?", TABLE_ARN, True),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/inferencemetadata", TABLE_ARN, False),  # case-sensitive
        (TABLE_ARN, TABLE_ARN + "/index/modelName-timestamp-index", False),  # the table ARN does not cover indexes
        (TABLE_ARN + "/index/*", TABLE_ARN + "/index/modelName-timestamp-index", True),
        ("*", TABLE_ARN, True),
        (
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:*",
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:s",
            True,
        ),
        (
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f",
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:",
            False,
        ),
        ("arn:aws:dynamodb:*:*:table/*", "*", False),  # a scoped pattern never matches the resource "*"
    ],
)
def test_resource_patterns__wildcards_and_case(pattern, resource, matches):
    assert resource_matches(pattern, resource) is matches


def test_evaluate__nothing_attached_is_an_implicit_deny():
    assert evaluate([], "dynamodb:PutItem", TABLE_ARN) is Decision.IMPLICIT_DENY


def test_evaluate__the_seeds_policy_allows_put_item_on_its_table_only():
    seed = _render("metadata-write", region="us-east-1", account_id="123456789012", table="InferenceMetadata")
    assert evaluate([seed], "dynamodb:PutItem", TABLE_ARN) is Decision.ALLOW
    assert (
        evaluate([seed], "dynamodb:PutItem", TABLE_ARN.replace("InferenceMetadata", "Other")) is Decision.IMPLICIT_DENY
    )
    assert evaluate([seed], "dynamodb:Scan", TABLE_ARN) is Decision.IMPLICIT_DENY
    assert evaluate([seed], "dynamodb:DescribeTable", TABLE_ARN) is Decision.IMPLICIT_DENY


def test_evaluate__an_explicit_deny_beats_an_allow_in_any_policy():
    documents = [_policy([_allow("dynamodb:*", "*")]), {"Statement": _deny("dynamodb:PutItem")}]
    assert evaluate(documents, "dynamodb:PutItem", TABLE_ARN) is Decision.EXPLICIT_DENY
    assert evaluate(documents, "dynamodb:GetItem", TABLE_ARN) is Decision.ALLOW


def test_evaluate__not_action_and_not_resource_invert_the_match():
    not_action = _policy([{"Effect": "Allow", "NotAction": ["dynamodb:Delete*", "dynamodb:Scan"], "Resource": "*"}])
    assert evaluate([not_action], "dynamodb:PutItem", TABLE_ARN) is Decision.ALLOW
    assert evaluate([not_action], "dynamodb:DeleteItem", TABLE_ARN) is Decision.IMPLICIT_DENY
    not_resource = _policy([{"Effect": "Deny", "Action": "dynamodb:*", "NotResource": TABLE_ARN}, _allow("*", "*")])
    assert evaluate([not_resource], "dynamodb:PutItem", TABLE_ARN) is Decision.ALLOW
    assert evaluate([not_resource], "dynamodb:PutItem", TABLE_ARN + "2") is Decision.EXPLICIT_DENY


def test_evaluate__a_statement_with_a_condition_never_applies():
    condition = {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    assert evaluate([_policy([_allow("dynamodb:PutItem", Condition=condition)])], "dynamodb:PutItem", TABLE_ARN) is (
        Decision.IMPLICIT_DENY
    )
    both = _policy([_allow("dynamodb:PutItem"), _deny("dynamodb:PutItem", Condition=condition)])
    assert evaluate([both], "dynamodb:PutItem", TABLE_ARN) is Decision.ALLOW


def test_evaluate__single_statement_objects_and_string_lists_are_read():
    document = {"Version": "2012-10-17", "Statement": _allow(["dynamodb:GetItem", "dynamodb:PutItem"], [TABLE_ARN])}
    assert evaluate([document], "dynamodb:PutItem", TABLE_ARN) is Decision.ALLOW


def test_evaluate__unreadable_documents_and_unknown_effects_grant_nothing():
    documents = [
        "{not json",
        _policy([{"Effect": "allow", "Action": "*", "Resource": "*"}]),
        _policy([{"Effect": "Allow"}]),
    ]
    assert evaluate(documents, "dynamodb:PutItem", TABLE_ARN) is Decision.IMPLICIT_DENY


# --- Conditions -------------------------------------------------------------------------------------------------
CONTEXT = {"aws:sourcearn": "arn:aws:execute-api:us-east-1:123456789012:api1/prod/POST/inference"}


@pytest.mark.parametrize(
    ("conditions", "holds"),
    [
        ({}, True),
        ({"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:api1/*"}}, True),
        ({"ArnLike": {"aws:sourcearn": "arn:aws:execute-api:*:*:api1/*/GET/*"}}, False),
        ({"StringLike": {"aws:SourceArn": ["nope", "*/POST/inferenc?"]}}, True),  # any listed value may match
        ({"ArnEquals": {"aws:SourceArn": CONTEXT["aws:sourcearn"]}}, True),
        ({"StringEquals": {"aws:SourceArn": CONTEXT["aws:sourcearn"].upper()}}, False),  # case-sensitive
        ({"StringEqualsIgnoreCase": {"aws:SourceArn": CONTEXT["aws:sourcearn"].upper()}}, True),
        ({"StringEquals": {"aws:SourceAccount": "123456789012"}}, False),  # a key the context lacks never holds
        ({"NumericLessThan": {"aws:SourceArn": "1"}}, False),  # an operator not evaluated never holds
        ({"ArnLike": {"aws:SourceArn": "arn:*"}, "StringEquals": {"aws:SourceArn": "other"}}, False),  # all must hold
    ],
)
def test_conditions_hold__operators_keys_and_values(conditions, holds):
    assert conditions_hold(conditions, CONTEXT) is holds


def test_decide__an_identity_statement_with_a_condition_applies_when_its_context_key_matches():
    region_only = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    conditional = _policy([_allow("dynamodb:PutItem", Condition=region_only)])
    asked = PolicyRequest("dynamodb:PutItem", TABLE_ARN, context={"aws:requestedregion": "eu-west-1"})
    assert decide([conditional], asked) is Decision.ALLOW
    assert evaluate([conditional], "dynamodb:PutItem", TABLE_ARN) is Decision.IMPLICIT_DENY  # no context: never


# --- Resource policies: the Lambda function policy API Gateway's invocations are decided by ----------------------
SOURCE = "arn:aws:execute-api:us-east-1:123456789012:api1/prod/POST/inference"


def _statement(source_pattern=None, principal=None, effect="Allow", action="lambda:InvokeFunction"):
    st = {"Effect": effect, "Action": action, "Principal": principal or {"Service": "apigateway.amazonaws.com"}}
    if source_pattern:
        st["Condition"] = {"ArnLike": {"AWS:SourceArn": source_pattern}}
    return st


@pytest.mark.parametrize(
    ("statements", "allowed"),
    [
        ([], False),
        ([_statement("arn:aws:execute-api:us-east-1:123456789012:api1/*/POST/inference")], True),
        ([_statement("arn:aws:execute-api:us-east-1:123456789012:api1/*")], True),
        ([_statement("arn:aws:execute-api:us-east-1:123456789012:api1/*/GET/inference")], False),
        ([_statement("arn:aws:execute-api:us-east-1:123456789012:other/*")], False),
        ([_statement(principal={"Service": "events.amazonaws.com"})], False),
        ([_statement(action="lambda:*")], True),
        ([_statement(), _statement(effect="Deny")], False),
        ([_statement(principal="*")], True),
        ([_statement(principal={"AWS": "*"})], True),
        ([_statement(action="lambda:GetFunction")], False),
        ([{**_statement(), "Condition": {"StringEquals": {"AWS:SourceAccount": "123456789012"}}}], True),
        ([{**_statement(), "Condition": {"StringEquals": {"AWS:SourceAccount": "210987654321"}}}], False),
    ],
)
def test_policy_allows_apigateway__principal_action_and_source_arn(statements, allowed):
    allows = function_policy_allows(statements, "apigateway.amazonaws.com", SOURCE, "123456789012")
    assert allows is allowed
