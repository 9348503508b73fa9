"""connect(): target selection, names, prefixes, and clear errors for each misuse."""

from __future__ import annotations

import importlib

import pytest

import workshop_lib as wl
from workshop_lib.config import ResourceNames, kit_tags

connect_module = importlib.import_module("workshop_lib.connect")  # the module (the package exports the function)


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


def test_current__before_connect_says_to_connect(monkeypatch):
    monkeypatch.setattr(connect_module, "_current", None)
    with pytest.raises(wl.NotConnectedError, match=r"connect\(\)"):
        wl.current()


def test_resource_names__default_to_the_seeds_and_take_a_prefix():
    plain, alice = ResourceNames(), ResourceNames("alice")
    assert (plain.table, plain.function) == ("InferenceMetadata", "ml-inference-lambda")
    assert (alice.table, alice.function, alice.role) == (
        "alice-InferenceMetadata",
        "alice-ml-inference-lambda",
        "alice-ml-inference-lambda-role",
    )
    assert alice.bucket("123456789012", "us-east-1") == "alice-workshop-artifacts-123456789012-us-east-1"
    assert kit_tags("alice") == {"workshop-kit": "inference-metadata", "workshop-participant": "alice"}


def test_connect__an_existing_endpoint_replaces_the_kits_endpoint_name(monkeypatch):
    from workshop_lib.config import validate_endpoint_name

    assert ResourceNames("alice", "my-section6-endpoint").endpoint == "my-section6-endpoint"
    assert ResourceNames("alice").endpoint == "alice-ml-endpoint"
    assert validate_endpoint_name("Endpoint-1") == "Endpoint-1"
    with pytest.raises(wl.InvalidInput, match="not a SageMaker endpoint name"):
        wl.connect("local", endpoint="my_endpoint!")
