"""Where the local cloud is built: every service and guard, constructed with what it uses, in routing order.

Nothing finds anything at run time: a service that calls another gets it here as a constructor argument (API
Gateway gets the Lambda data plane it invokes), and every service that reads moto gets the one ``MotoBackends``.
A new emulated service is one more line in ``build_router`` (see docs/architecture.md).
"""

from __future__ import annotations

from ..apigateway.responses import ApiGatewayService
from ..awslambda.control_plane import LambdaCodeLocation
from ..awslambda.invoke import LambdaDataPlane
from ..awslambda.responses import LambdaInvokeApi
from ..iam.enforcement import IamEnforcement
from ..iam.simulation import IamSimulation
from ..sagemaker.responses import sagemaker_services
from .context import CloudContext
from .moto_seam import MotoBackends, MotoDispatcher
from .router import Router


def build_router(ctx: CloudContext) -> Router:
    """The router of a local cloud: guards first, then the services in the order they are asked, then moto."""
    backends = MotoBackends(ctx.account_id, ctx.region)
    moto = MotoDispatcher()
    lambda_plane = LambdaDataPlane(ctx, backends)
    services = [
        LambdaCodeLocation(ctx, backends, moto),
        IamSimulation(backends),
        LambdaInvokeApi(lambda_plane),
        ApiGatewayService(ctx, backends, moto, lambda_plane),
        *sagemaker_services(ctx, backends, moto),
    ]
    guards = [IamEnforcement(ctx, backends)]
    return Router(ctx, moto, services, guards)
