"""What every module of the seam shares: the moto versions it is written for, the workshop's services, and the one
way to reach a backend (``moto.backends.get_backend``, by account and region; IAM and STS are global)."""

from __future__ import annotations

import logging
from typing import Any

from moto.backends import get_backend

MOTO_VERSIONS = ">=5.2,<5.3"
WORKSHOP_SERVICES = ("apigateway", "lambda", "dynamodb", "sagemaker", "iam", "sts", "logs", "s3", "cloudwatch")
GLOBAL_SERVICES = ("iam", "sts")
log = logging.getLogger("workshop_lib.local")


class BackendAccess:
    """One account's moto backends; every service's internals (the other modules) build on it."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region

    def backend(self, service: str, region: str | None = None) -> Any:
        backends = get_backend(service)  # type: ignore[call-overload]
        if service in GLOBAL_SERVICES:
            return backends[self.account_id]["global"]
        return backends[self.account_id][region or self.region]
