"""workshop_lib: every step of the inference-metadata workshop as one tested function call.

import workshop_lib as wl
conn = wl.connect()                 # the local cloud (default) or connect("aws")
wl.create_metadata_table()
wl.deploy_lambda()
wl.query_inferences(model="ml-endpoint", since=timedelta(hours=1))
"""

from .api import ApiInfo, TestResponse, create_rest_api, curl_command, delete_rest_api, invoke_url, send_test_request
from .artifact_check import ArtifactCheckFailed, ArtifactReport, check_artifact
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
from .endpoint import EndpointInfo, delete_endpoint, describe_endpoint, use_existing_endpoint
from .endpoint import deploy as deploy_endpoint
from .endpoint import invoke as invoke_endpoint
from .errors import (
    CredentialsError,
    DeploymentError,
    InvalidInput,
    LocalCloudError,
    NotConnectedError,
    PolicyError,
    ResourceConflict,
    ResourceNotFound,
    StepFailed,
    WaitTimeout,
    WorkshopError,
)
from .iam import attach_policy, delete_role, detach_policy, ensure_execution_role, render_policy, role_policies
from .logs import recent_log_lines, request_log_lines
from .metadata import (
    SEED_COLUMNS,
    create_metadata_table,
    delete_metadata_table,
    describe_table,
    inference_record,
    query_inferences,
)
from .notebook import check, record
from .notebook_prerequisites import Preparation, Prerequisites, check_prerequisites, prepare_for, prerequisites
from .recording import Observed, send_until_recorded, send_until_refused
from .replay import ReplayReport, replay_unrecorded

__all__ = [
    "SEED_COLUMNS",
    "ApiInfo",
    "ArtifactCheckFailed",
    "ArtifactReport",
    "Connection",
    "CredentialsError",
    "DeployResult",
    "DeploymentError",
    "Diagnosis",
    "EndpointInfo",
    "EnvUpdate",
    "InvalidInput",
    "KitResource",
    "LocalCloudError",
    "NotConnectedError",
    "Observed",
    "PolicyError",
    "Preparation",
    "Prerequisites",
    "ReplayReport",
    "ResourceConflict",
    "ResourceNotFound",
    "StepFailed",
    "TestResponse",
    "WaitTimeout",
    "WorkshopError",
    "attach_policy",
    "check",
    "check_artifact",
    "check_prerequisites",
    "cleanup",
    "code_diff",
    "connect",
    "create_metadata_table",
    "create_rest_api",
    "curl_command",
    "current",
    "delete_endpoint",
    "delete_lambda",
    "delete_metadata_table",
    "delete_rest_api",
    "delete_role",
    "deploy_endpoint",
    "deploy_lambda",
    "deployed_code",
    "describe_endpoint",
    "describe_function",
    "describe_table",
    "detach_policy",
    "diagnose",
    "ensure_execution_role",
    "inference_record",
    "invoke_endpoint",
    "invoke_url",
    "kit_resources",
    "package",
    "prepare_for",
    "prerequisites",
    "query_inferences",
    "recent_log_lines",
    "record",
    "render_policy",
    "replay_unrecorded",
    "request_log_lines",
    "role_policies",
    "send_test_request",
    "send_until_recorded",
    "send_until_refused",
    "set_env_vars",
    "train_model",
    "use_existing_endpoint",
]


def __getattr__(name: str) -> object:
    """train_model is imported on first use: scikit-learn is slow to import and most callers never train."""
    if name == "train_model":
        from .model.training import train

        return train
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
