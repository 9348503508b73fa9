"""The account's SageMaker quota for the endpoint's instance type: checked before deploying, named on refusal.

A new AWS account can have a quota of 0 instances of a type for endpoints ("ml.t2.medium for endpoint
usage" in Service Quotas): CreateEndpoint is then accepted, and the endpoint fails, or CreateEndpoint
answers ResourceLimitExceeded. ``check_endpoint_quota()`` reads the applied quota (Service Quotas
ListServiceQuotas, SageMaker) before deploying and refuses an instance type whose quota is 0, with the
fix; when the quota cannot be read (the identity may not call Service Quotas, the service does not
answer, the quota is not listed) the check is skipped without a word. ``quota_fix()`` is the hint
given with a ResourceLimitExceeded.
"""

from __future__ import annotations

import os

from botocore.exceptions import BotoCoreError, ClientError

from . import naming
from .config import DEFAULT_INSTANCE_TYPE, ENV_INSTANCE_TYPE
from .connect import Connection
from .errors import DeploymentError
from .i18n import _


def instance_type(value: str | None = None) -> str:
    """The endpoint's instance type: ``value``, else $WORKSHOP_INSTANCE_TYPE, else ml.t2.medium; checked."""
    return naming.instance_type((value or os.environ.get(ENV_INSTANCE_TYPE) or DEFAULT_INSTANCE_TYPE).strip())


def quota_name(instance: str) -> str:
    """The Service Quotas name of the endpoint quota for an instance type."""
    return f"{instance} for endpoint usage"


def quota_fix(instance: str, region: str) -> str:
    """What to do when the account may not run an endpoint on ``instance``."""
    return (
        f"in the Service Quotas console (region {region}), open Amazon SageMaker, find "
        f"'{quota_name(instance)}' and request an increase to 1 or more (it can take a day); or deploy on a "
        "type your account has a quota for: instance_type='ml.m5.large' in the parameters cell "
        "(or WORKSHOP_INSTANCE_TYPE)"
    )


def applied_quota(instance: str, conn: Connection) -> float | None:
    """The account's applied quota of ``instance`` for endpoints, or None when it cannot be read."""
    wanted = quota_name(instance)
    try:
        paginator = conn.client("service-quotas").get_paginator("list_service_quotas")
        for page in paginator.paginate(ServiceCode="sagemaker"):
            for quota in page.get("Quotas", []):
                if quota.get("QuotaName") == wanted and isinstance(quota.get("Value"), int | float):
                    return float(quota["Value"])
    except (ClientError, BotoCoreError, NotImplementedError):
        # Access denied, the service not answering here, or not emulated: the check is only a courtesy.
        return None
    return None


def check_endpoint_quota(instance: str, conn: Connection) -> float | None:
    """Refuse ``instance`` when the account's endpoint quota for it is 0; the quota (None when unreadable)."""
    quota = applied_quota(instance, conn)
    if quota is not None and quota < 1:
        raise DeploymentError(
            _(
                "this account's quota of {instance} instances for endpoints is {quota:g}, so the endpoint cannot start"
            ).format(instance=instance, quota=quota),
            resource=f"quota '{quota_name(instance)}'",
            fix=quota_fix(instance, conn.region),
        )
    return quota
