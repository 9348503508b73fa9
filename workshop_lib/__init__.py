"""workshop_lib: every step of the inference-metadata workshop as one tested function call.

    import workshop_lib as wl
    conn = wl.connect()                 # the local cloud (default) or connect("aws")
    wl.create_metadata_table()
    wl.deploy_lambda()
    wl.query_inferences(model="ml-endpoint", since=timedelta(hours=1))
"""

from .cleanup import KitResource, cleanup, kit_resources
from .connect import Connection, connect, current
from .deploy import (
    DeployResult,
    EnvUpdate,
    code_diff,
    delete_lambda,
    deploy_lambda,
    deployed_code,
    describe_function,
    package,
    set_env_vars,
)
from .diagnose import Diagnosis, diagnose
from .errors import (
    CredentialsError,
    DeploymentError,
    InvalidInput,
    LocalCloudError,
    NotConnectedError,
    PolicyError,
    ResourceConflict,
    ResourceNotFound,
    WorkshopError,
)
from .iam import attach_policy, delete_role, detach_policy, ensure_execution_role, render_policy, role_policies
from .metadata import SEED_COLUMNS, create_metadata_table, delete_metadata_table, describe_table, query_inferences
from .notebook import StepFailed, check, record

__all__ = [
    "SEED_COLUMNS",
    "Connection",
    "CredentialsError",
    "DeployResult",
    "DeploymentError",
    "Diagnosis",
    "EnvUpdate",
    "InvalidInput",
    "KitResource",
    "LocalCloudError",
    "NotConnectedError",
    "PolicyError",
    "ResourceConflict",
    "ResourceNotFound",
    "StepFailed",
    "WorkshopError",
    "attach_policy",
    "check",
    "cleanup",
    "code_diff",
    "connect",
    "create_metadata_table",
    "current",
    "delete_lambda",
    "delete_metadata_table",
    "delete_role",
    "deploy_lambda",
    "deployed_code",
    "describe_function",
    "describe_table",
    "detach_policy",
    "diagnose",
    "ensure_execution_role",
    "kit_resources",
    "package",
    "query_inferences",
    "record",
    "render_policy",
    "role_policies",
    "set_env_vars",
]
