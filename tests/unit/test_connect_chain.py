"""connect() on a real account: the region from the standard chain, empty parameters from WORKSHOP_*, regional names."""

from __future__ import annotations

import json

import pytest
from moto import mock_aws

import workshop_lib as wl
from workshop_lib.config import ENV_CALL_LOG, ResourceNames


@pytest.fixture
def account(aws_env, monkeypatch):
    for var in ("AWS_REGION", "WORKSHOP_REGION", "WORKSHOP_ENDPOINT", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(var, raising=False)
    with mock_aws():
        yield monkeypatch


def test_connect__aws_region_comes_from_aws_default_region(account):
    account.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    conn = wl.connect("aws", make_current=False)
    assert conn.region == "eu-west-2"
    assert conn.names.role == "ml-inference-lambda-role-eu-west-2"


def test_connect__aws_region_is_aws_region_before_aws_default_region(account):
    account.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    account.setenv("AWS_REGION", "ap-south-1")
    assert wl.connect("aws", "", make_current=False).region == "ap-south-1"


def test_connect__aws_region_comes_from_the_profile(account, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile class]\nregion = sa-east-1\naws_access_key_id = x\naws_secret_access_key = y\n")
    account.delenv("AWS_DEFAULT_REGION")
    account.setenv("AWS_CONFIG_FILE", str(config))
    assert wl.connect("aws", profile="class", make_current=False).region == "sa-east-1"


def test_connect__workshop_region_wins_over_the_session(account):
    account.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    account.setenv("WORKSHOP_REGION", "eu-central-1")
    assert wl.connect("aws", "", make_current=False).region == "eu-central-1"
    assert wl.connect("aws", "us-west-2", make_current=False).region == "us-west-2"  # an explicit one wins


def test_connect__empty_parameters_come_from_the_workshop_variables(account):
    """The notebooks' parameters cell holds "" by default: WORKSHOP_* must not be overridden by it."""
    account.setenv("WORKSHOP_TARGET", "aws")
    account.setenv("WORKSHOP_PREFIX", "alice")
    account.setenv("WORKSHOP_ENDPOINT", "my-endpoint")
    conn = wl.connect("", "", "", endpoint="", make_current=False)
    assert (conn.target, conn.prefix, conn.names.endpoint) == ("aws", "alice", "my-endpoint")
    assert conn.names.table == "alice-InferenceMetadata"
    assert wl.connect("", "", "bob", make_current=False).prefix == "bob"


def test_resource_names__global_names_carry_the_region_the_regional_ones_do_not():
    east, west = ResourceNames("alice", region="us-east-1"), ResourceNames("alice", region="eu-west-1")
    assert east.role != west.role and east.sagemaker_role != west.sagemaker_role
    assert east.bucket("1", "us-east-1") != west.bucket("1", "eu-west-1")
    assert (east.table, east.function, east.api, east.endpoint) == (west.table, west.function, west.api, west.endpoint)
    longest = ResourceNames("a" * 16, region="ap-southeast-1")
    assert max(len(longest.role), len(longest.sagemaker_role)) <= 64  # IAM's limit on role names


def test_with_prefix__keeps_the_region_of_the_names(account):
    account.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    conn = wl.connect("aws", make_current=False).with_prefix("bob")
    assert conn.names.role == "bob-ml-inference-lambda-role-eu-west-3"


def test_call_log__records_each_call_when_the_variable_names_a_file(account, tmp_path):
    log = tmp_path / "calls.jsonl"
    account.setenv(ENV_CALL_LOG, str(log))
    conn = wl.connect("aws", "us-east-1", make_current=False)
    conn.client("dynamodb").list_tables()
    conn.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/x")
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"service": "dynamodb", "operation": "ListTables", "params": {}} in calls
    assert {
        "service": "logs",
        "operation": "DescribeLogGroups",
        "params": {"logGroupNamePrefix": "/aws/lambda/x"},
    } in calls


def test_call_log__records_lists_of_names_too(account, tmp_path):
    log = tmp_path / "calls.jsonl"
    account.setenv(ENV_CALL_LOG, str(log))
    conn = wl.connect("aws", "us-east-1", make_current=False)
    conn.client("cloudwatch").describe_alarms(AlarmNames=["High-Latency-Alarm", "Inference-Error-Alarm"])
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert {
        "service": "cloudwatch",
        "operation": "DescribeAlarms",
        "params": {"AlarmNames": ["High-Latency-Alarm", "Inference-Error-Alarm"]},
    } in calls
