"""Shared fixtures, each written once: moto in-process, the local cloud, lambda_function.py and its context.

The folders say what a test needs: tests/unit/ (moto in-process, the quick loop), tests/local_cloud/ (a real local
cloud process), tests/notebooks/ (the workshop notebooks); each folder's conftest.py marks its tests. Helpers that
tests import live beside this file: lambda_context.py, seed_table.py, iam_policy_documents.py, events/.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from types import ModuleType

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from tests.lambda_context import FakeLambdaContext
from workshop_lib import waiting
from workshop_lib.config import ENV_STATE_DIR, LAMBDA_SOURCE, LOCAL_ACCOUNT_ID, ResourceNames
from workshop_lib.connect import Connection, connect, use
from workshop_lib.local import CloudState, lifecycle

REGION = "us-east-1"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no endpoint override, so nothing can reach a real account."""
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "WORKSHOP_TARGET",
                "WORKSHOP_PREFIX"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture(scope="session")
def service_models() -> botocore.loaders.Loader:
    """botocore's loader of service models, shared by the sessions of every test (models are parsed once)."""
    return botocore.loaders.create_loader()


@pytest.fixture
def moto_conn(
    aws_env: None, service_models: botocore.loaders.Loader, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Connection]:
    """A Connection whose clients talk to moto in-process (unit tests: no server, no workers), fresh for each test.

    Waits (rate-limit pacing, polls) take no real time: moto in-process has no timing to wait for.
    """
    monkeypatch.setattr(waiting, "clock", waiting.InstantClock())
    with mock_aws():
        core = botocore.session.get_session()
        core.register_component("data_loader", service_models)
        conn = Connection(
            target="aws",
            region=REGION,
            account_id=LOCAL_ACCOUNT_ID,
            identity_arn=f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:user/moto",
            session=boto3.Session(botocore_session=core, region_name=REGION),
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


@pytest.fixture(scope="module")
def lf() -> ModuleType:
    """lambda_function.py as Lambda loads it: a top-level module from the deployment package's root.

    Loaded once per test module, like a warm execution environment (its clients and session are kept).
    """
    spec = importlib.util.spec_from_file_location("lambda_function", LAMBDA_SOURCE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["lambda_function"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def context() -> FakeLambdaContext:
    """A fake Lambda context with a request id of its own, as the Python runtime passes it to the handler."""
    return FakeLambdaContext()


@pytest.fixture(scope="module")
def support(lf: ModuleType) -> ModuleType:
    """inference_support, the module the handler imported beside it (its clients, its log writer, its constants)."""
    return sys.modules["inference_support"]
# AWS's timing in the local cloud (docs/aws-timing.md): a second cloud, started with the timing model on.
TIMED_CLOUD_SCALE = 0.1  # every delay at a tenth: IAM's 2-8 s become 0.2-0.8 s


@pytest.fixture(scope="session")
def timed_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudState]:
    """A local cloud keeping AWS's timing at a tenth of its delays, with a fixed seed, in a state folder of its own;
    started the way `python -m workshop_lib up` starts one, from the environment."""
    from tests.local_cloud.core.timed_cloud import running_timed_cloud

    with running_timed_cloud(tmp_path_factory.mktemp("timed-cloud-state"), TIMED_CLOUD_SCALE) as state:
        yield state
