"""boto3 clients of a local cloud as the local admin, without botocore's retries (a test sees every answer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from workshop_lib.local import CloudState

NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


def admin_clients(cloud: CloudState) -> Callable[[str], Any]:
    """``client(service)`` for the cloud, with the credentials `python -m workshop_lib env` exports."""
    env = cloud.environment()
    session = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    return lambda service: session.client(service, endpoint_url=cloud.endpoint_url, config=NO_RETRY)
