"""Shared fixtures: moto in-process for unit tests, a real local cloud for end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from workshop_lib import waiting
from workshop_lib.config import ENV_STATE_DIR, LOCAL_ACCOUNT_ID, ResourceNames
from workshop_lib.connect import Connection, connect, use
from workshop_lib.local import lifecycle
from workshop_lib.local.state import CloudState

REGION = "us-east-1"
EVENTS_DIR = Path(__file__).parent / "events"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no endpoint override, so nothing can reach a real account."""
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "WORKSHOP_TARGET", "WORKSHOP_PREFIX"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def moto_conn(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Connection]:
    """A Connection whose clients talk to moto in-process (unit tests: no server, no workers).

    Waits (rate-limit pacing, polls) take no real time: moto in-process has no timing to wait for.
    """
    monkeypatch.setattr(waiting, "clock", waiting.InstantClock())
    with mock_aws():
        conn = Connection(
            target="aws",
            region=REGION,
            account_id=LOCAL_ACCOUNT_ID,
            identity_arn=f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:user/moto",
            session=boto3.Session(region_name=REGION),
            names=ResourceNames(),
        )
        with use(conn):
            yield conn


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudState]:
    """One local cloud (a real background process on 127.0.0.1) for the whole test session."""
    state_dir = tmp_path_factory.mktemp("cloud-state")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_STATE_DIR, str(state_dir))
        state, started = lifecycle.start(region=REGION, directory=state_dir)
        assert started
        try:
            yield state
        finally:
            lifecycle.stop(state_dir)


@pytest.fixture
def local_conn(local_cloud: CloudState, monkeypatch: pytest.MonkeyPatch) -> Iterator[Connection]:
    """A connection to the session's local cloud (the same code path notebooks use)."""
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "WORKSHOP_TARGET", "WORKSHOP_PREFIX"):
        monkeypatch.delenv(var, raising=False)
    with use(connect("local", REGION, make_current=False)) as conn:
        yield conn
