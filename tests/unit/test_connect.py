"""connect(): target selection, names, prefixes, and clear errors for each misuse."""

from __future__ import annotations

import dataclasses

import pytest

import workshop_lib as wl
from workshop_lib import naming
from workshop_lib.config import ResourceNames, kit_tags
from workshop_lib.connect import use


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ENDPOINT_URL",
        "WORKSHOP_TARGET",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_connect__aws_target_without_credentials_says_how_to_get_them(no_credentials):
    with pytest.raises(wl.CredentialsError) as err:
        wl.connect("aws", "eu-west-1")
    assert "no AWS credentials" in str(err.value)
    assert "aws configure" in str(err.value) and 'target="local"' in str(err.value)


def test_connect__unknown_profile_is_named(no_credentials):
    with pytest.raises(wl.CredentialsError, match="nobody"):
        wl.connect("aws", profile="nobody")


def test_connect__unknown_target_lists_the_valid_ones():
    with pytest.raises(wl.InvalidInput, match="local, aws"):
        wl.connect("azure")


@pytest.mark.parametrize("prefix", ["Alice", "1team", "a" * 17, "al ice", "al_ice"])
def test_connect__unusable_prefix_is_refused_before_anything_starts(prefix):
    with pytest.raises(wl.InvalidInput, match="participant prefix"):
        wl.connect("local", prefix=prefix)


def test_current__before_connect_says_to_connect():
    with use(None), pytest.raises(wl.NotConnectedError, match=r"connect\(\)"):
        wl.current()


def test_resource_names__default_to_the_seeds_and_take_a_prefix():
    plain, alice = ResourceNames(), ResourceNames("alice")
    assert (plain.table, plain.function) == ("InferenceMetadata", "ml-inference-lambda")
    assert (alice.table, alice.function, alice.role) == (
        "alice-InferenceMetadata",
        "alice-ml-inference-lambda",
        "alice-ml-inference-lambda-role-us-east-1",  # IAM is global: role names carry the region
    )
    assert alice.bucket("123456789012", "us-east-1") == "alice-workshop-artifacts-123456789012-us-east-1"
    assert kit_tags("alice") == {"workshop-kit": "inference-metadata", "workshop-participant": "alice"}


def test_connect__an_existing_endpoint_replaces_the_kits_endpoint_name(monkeypatch):
    assert ResourceNames("alice", "my-section6-endpoint").endpoint == "my-section6-endpoint"
    assert ResourceNames("alice").endpoint == "alice-ml-endpoint"
    assert naming.endpoint_name("Endpoint-1") == "Endpoint-1"
    with pytest.raises(wl.InvalidInput, match="not a SageMaker endpoint name"):
        wl.connect("local", endpoint="my_endpoint!")


@pytest.mark.parametrize("region", ["US-EAST-1", "us east 1", "useast1", "us-east-", ""])
def test_connect__an_unusable_region_is_refused_before_anything_starts(region, no_credentials):
    with pytest.raises(wl.InvalidInput, match="not an AWS region name") as err:
        wl.connect("aws", region=region or " ")
    assert "us-east-1" in err.value.fix


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-3", "us-gov-west-1", "ap-southeast-4", "eu-isoe-west-1"])
def test_region__accepts_aws_region_names(region):
    assert naming.region(region) == region


def test_target__is_lower_cased_and_checked():
    assert naming.target(" AWS ") == "aws"
    with pytest.raises(wl.InvalidInput, match="unknown target 'gcp'"):
        naming.target("gcp")


def test_with_prefix__names_another_participants_resources_on_the_same_session_and_clients(moto_conn):
    bob = moto_conn.with_prefix("bob")
    assert (bob.names.table, bob.names.function) == ("bob-InferenceMetadata", "bob-ml-inference-lambda")
    assert bob.tags == {"workshop-kit": "inference-metadata", "workshop-participant": "bob"}
    assert bob.session is moto_conn.session and bob.client("dynamodb") is moto_conn.client("dynamodb")
    assert (bob.target, bob.region, bob.account_id) == (moto_conn.target, moto_conn.region, moto_conn.account_id)
    assert moto_conn.names.table == "InferenceMetadata" and wl.current() is moto_conn  # neither changed nor current
    assert bob.with_prefix("").names.table == "InferenceMetadata"
    with pytest.raises(wl.InvalidInput, match="participant prefix 'Bob'"):
        moto_conn.with_prefix("Bob")


def test_use__makes_a_connection_current_inside_the_block_only(moto_conn):
    bob = moto_conn.with_prefix("bob")
    with use(bob) as inside:
        assert inside is bob and wl.current() is bob
        with use(None), pytest.raises(wl.NotConnectedError):
            wl.current()
        assert wl.current() is bob
    assert wl.current() is moto_conn
    with pytest.raises(RuntimeError), use(bob):
        raise RuntimeError("the block failed")
    assert wl.current() is moto_conn  # restored after an exception too
    with pytest.raises(wl.InvalidInput, match="takes a Connection"), use("bob"):
        pass


def test_connect__make_current_false_leaves_the_current_connection(moto_conn):
    other = wl.connect("aws", "us-east-1", prefix="carol", make_current=False)
    assert other.names.prefix == "carol" and other.identity_arn.startswith("arn:aws:")
    assert wl.current() is moto_conn
    made = wl.connect("aws", "us-east-1", prefix="dave")
    assert wl.current() is made


def test_invoke_url__has_the_execute_api_form_on_aws_and_the_local_clouds_form_locally(moto_conn):
    assert moto_conn.invoke_url("abc123", "prod", "/inference") == (
        "https://abc123.execute-api.us-east-1.amazonaws.com/prod/inference"
    )
    local = dataclasses.replace(moto_conn, target="local", endpoint_url="http://127.0.0.1:4566")
    assert local.invoke_url("abc123", "prod", "/inference") == (
        "http://127.0.0.1:4566/restapis/abc123/prod/_user_request_/inference"
    )
    with pytest.raises(wl.InvalidInput, match="does not start with /"):
        moto_conn.invoke_url("abc123", "prod", "inference")
