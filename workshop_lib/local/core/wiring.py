"""Where the local cloud is built: every service and guard, constructed with what it uses, in routing order.

Nothing finds anything at run time: a service that calls another gets it here as a constructor argument (API
Gateway gets the Lambda data plane it invokes), and every service that reads moto gets the one ``MotoBackends``.
A new emulated service is one more line in ``build_router`` (see docs/architecture.md).

AWS's timing (``timing.py``, docs/aws-timing.md): the one ``Timing`` is handed to every package that applies a
rule. The services and guards that exist only for the timing model are wired only when it is on, so with it off
the cloud is what it was without it.
"""

from __future__ import annotations

import functools

from ..apigateway.quotas import ApiGatewayQuotas
from ..apigateway.responses import ApiGatewayService
from ..awslambda.control_plane import LambdaCodeLocation
from ..awslambda.invoke import LambdaDataPlane
from ..awslambda.permissions import PermissionChanges
from ..awslambda.responses import LambdaInvokeApi
from ..awslambda.role_check import FunctionRoleCheck
from ..cloudwatch.evaluator import AlarmEvaluator, evaluation_interval
from ..cloudwatch.metrics_writer import MetricsWriter
from ..cloudwatch.responses import MonitoringService
from ..dynamodb.responses import DynamoDbTiming
from ..iam.authentication import Authentication
from ..iam.credentials import CredentialStore
from ..iam.enforcement import IamEnforcement
from ..iam.propagation import NewRoles, RolePolicies
from ..iam.role_changes import RoleChanges
from ..iam.simulation import IamSimulation
from ..iam.sts import StsService
from ..logs.quotas import LogsQuotas
from ..sagemaker.monitoring import EndpointMonitor
from ..sagemaker.responses import sagemaker_services
from ..sagemaker.role_check import ModelRoleCheck
from ..sns.deliveries import INBOX_ADMIN_PATH, SnsDeliveries
from .context import CloudContext
from .moto_seam import (
    MotoBackends,
    MotoDispatcher,
    MotoIdentities,
    MotoSns,
    cloudwatch_backend,
    cloudwatch_regions,
)
from .router import Guard, Router, Service
from .timing import Timing


def build_router(ctx: CloudContext, timing: Timing | None = None) -> Router:
    """The router of a local cloud: guards first, then the services in the order they are asked, then moto."""
    timing = timing or Timing()
    backends = MotoBackends(ctx.account_id, ctx.region)
    moto = MotoDispatcher()
    cloudwatch = functools.partial(cloudwatch_backend, ctx.account_id)  # region -> its backend
    metrics = MetricsWriter(cloudwatch)
    deliveries = SnsDeliveries()
    evaluator = AlarmEvaluator(
        ctx.account_id,
        lambda: cloudwatch_regions(ctx.account_id),
        cloudwatch,
        MotoSns(ctx.account_id),
        evaluation_interval(timing.enabled, timing.scale),
    )
    lambda_plane = LambdaDataPlane(ctx, backends, timing, metrics)
    identities = MotoIdentities(ctx.account_id)
    credentials = CredentialStore(ctx.account_id, ctx.admin_secret_key, identities)
    role_policies = RolePolicies(timing, identities)
    services: list[Service] = [
        LambdaCodeLocation(ctx, backends, moto),
        IamSimulation(backends),
        StsService(credentials, identities, moto),
        LambdaInvokeApi(lambda_plane),
        ApiGatewayService(ctx, backends, moto, lambda_plane, timing),
        *sagemaker_services(ctx, backends, moto, timing, EndpointMonitor(backends, ctx.region, metrics)),
        MonitoringService(metrics, evaluator, cloudwatch, moto, ctx.region, closing=[deliveries]),
    ]
    guards: list[Guard] = [Authentication(credentials), IamEnforcement(ctx, backends, role_policies)]
    if timing.enabled:
        new_roles = NewRoles(timing)
        services += [
            RoleChanges(role_policies, new_roles, moto),
            PermissionChanges(ctx, backends, moto, lambda_plane.policies),
            DynamoDbTiming(timing, backends, moto, ctx.region),
        ]
        guards += [
            FunctionRoleCheck(new_roles.assumable),
            ModelRoleCheck(new_roles.assumable),
            LogsQuotas(timing, ctx.region),
            ApiGatewayQuotas(timing, ctx.region),
        ]
    admin = {INBOX_ADMIN_PATH: deliveries.inbox.admin}
    return Router(ctx, moto, services, guards, timing.settings, admin)
