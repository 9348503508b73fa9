"""The local cloud: everything that exists only because there is no AWS account here.

One process on 127.0.0.1: moto's server for the control planes, DynamoDB, S3, IAM, STS, Logs and CloudWatch,
behind a router that sends Lambda Invoke, SageMaker InvokeEndpoint and API Gateway stage requests to the kit's
own services, after the IAM guard. ``core/`` is the server, router, wiring, settings, moto seam, policy engine
and lifecycle; ``awslambda/``, ``apigateway/``, ``sagemaker/`` and ``iam/`` are one package per emulated service.

Public: ``lifecycle`` (start, stop, status), ``cli`` (``python -m workshop_lib up|down|status|env``) and
``CloudState`` (what a running cloud recorded about itself).
"""

from .core import cli, lifecycle
from .core.state import CloudState

__all__ = ["CloudState", "cli", "lifecycle"]
