"""Fixtures of the local SageMaker tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from workshop_lib.connect import Connection, connect, use
from workshop_lib.local import CloudState

REGION = "us-east-1"


@pytest.fixture(scope="module")
def conn(local_cloud: CloudState) -> Iterator[Connection]:
    """One connection to the session's local cloud, with a participant prefix of the test module's own."""
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "WORKSHOP_TARGET", "WORKSHOP_PREFIX"):
            mp.delenv(var, raising=False)
        with use(connect("local", REGION, prefix=f"sm{uuid.uuid4().hex[:10]}", make_current=False)) as conn:
            yield conn
