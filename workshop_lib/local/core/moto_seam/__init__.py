"""Every use of moto's internals, in one package: a moto upgrade that changes one fails here (and in
tests/unit/local/moto_seam/, one test per internal), not somewhere inside a service.

moto's public surface is its server and ``mock_aws``; the local cloud also reads and completes what moto stores,
through its in-process backends. This package turns what it reads into the kit's own records (``StoredFunction``,
``StageRecord``, ``ApiDefinition``, ...) so no service holds a moto object. Written and tested against moto
``MOTO_VERSIONS``; pyproject pins moto to that range.

One module per service's internals, each listing the internals it uses in its docstring and tested by
tests/unit/local/moto_seam/test_seam_<module>.py: ``server.py`` (moto's server app), ``awslambda.py``, ``iam.py``
(IAM and STS), ``logs.py``, ``apigateway.py``, ``sagemaker.py``, ``dynamodb.py``, ``s3.py``,
``cloudwatch.py`` and ``sns.py`` (the monitoring services); ``base.py`` reaches a
backend (``moto.backends.get_backend``). ``MotoBackends`` is the services' one view of them all.
"""

from __future__ import annotations

from .apigateway import ApiGatewayInternals, api_definition
from .awslambda import LambdaInternals
from .base import GLOBAL_SERVICES, MOTO_VERSIONS, WORKSHOP_SERVICES
from .cloudwatch import MotoCloudWatch, cloudwatch_backend, cloudwatch_regions
from .dynamodb import DynamoDbInternals
from .iam import MotoIdentities, StsInternals
from .logs import LogsInternals, MotoLogs
from .s3 import S3Internals
from .sagemaker import SageMakerInternals
from .server import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    MotoDispatcher,
    environ_key_for_header,
    preserve_underscored_headers,
    start_warmup,
)
from .sns import MotoSns, install_sns_delivery

__all__ = [
    "GLOBAL_SERVICES",
    "MOTO_VERSIONS",
    "PRESERVED_HEADER_NAMES_ENVIRON_KEY",
    "WORKSHOP_SERVICES",
    "MotoBackends",
    "MotoCloudWatch",
    "MotoDispatcher",
    "MotoIdentities",
    "MotoLogs",
    "MotoSns",
    "api_definition",
    "cloudwatch_backend",
    "cloudwatch_regions",
    "environ_key_for_header",
    "install_sns_delivery",
    "preserve_underscored_headers",
    "start_warmup",
]


class MotoBackends(
    LambdaInternals,
    StsInternals,
    LogsInternals,
    ApiGatewayInternals,
    SageMakerInternals,
    DynamoDbInternals,
    S3Internals,
):
    """The local cloud's view of moto's in-process backends for its account (``MotoBackends(account_id, region)``)."""
