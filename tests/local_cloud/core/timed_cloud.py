"""A local cloud started with AWS's timing on, as `python -m workshop_lib up` starts one (from the environment),
and boto3 clients of it as the local admin, without botocore's retries (a test sees every answer)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from workshop_lib.local import CloudState, lifecycle

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})  # one attempt, no retry
REGION = "us-east-1"
SEED = "12"


@contextlib.contextmanager
def running_timed_cloud(state_dir: Path, scale: float) -> Iterator[CloudState]:
    """A cloud in ``state_dir`` with WORKSHOP_LOCAL_TIMING=aws at ``scale``, seeded; stopped on the way out."""
    timing = {"WORKSHOP_LOCAL_TIMING": "aws", "WORKSHOP_LOCAL_TIME_SCALE": str(scale), "WORKSHOP_LOCAL_SEED": SEED}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in timing.items():
            mp.setenv(name, value)
        state, started = lifecycle.start(region=REGION, directory=state_dir)
    assert started
    try:
        yield state
    finally:
        lifecycle.stop(state_dir)


def admin_clients(cloud: CloudState) -> Callable[[str], Any]:
    """``client(service)`` for the cloud, with the credentials `python -m workshop_lib env` exports."""
    env = cloud.environment()
    session = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    return lambda service: session.client(service, endpoint_url=cloud.endpoint_url, config=NO_RETRY)
