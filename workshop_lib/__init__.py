"""workshop_lib: every step of the inference-metadata workshop as one tested function call.

import workshop_lib as wl
conn = wl.connect()                 # the local cloud (default) or connect("aws")
wl.create_metadata_table()
wl.deploy_lambda()
wl.query_inferences(model="ml-endpoint", since=timedelta(hours=1))
"""

from .alarms import alarm_states, create_alarms, wait_for_alarm_state
from .api import ApiInfo, TestResponse, create_rest_api, curl_command, delete_rest_api, invoke_url, send_test_request
from .artifact_check import ArtifactCheckFailed, ArtifactReport, check_artifact
from .cleanup import KitResource, cleanup, kit_resources
from .connect import Connection, connect, current
from .dashboard import DashboardView, dashboard_body, put_dashboard, render_dashboard
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
from .diff_view import DiffView
from .endpoint import EndpointInfo, delete_endpoint, describe_endpoint, use_existing_endpoint
from .endpoint import deploy as deploy_endpoint
from .endpoint import invoke as invoke_endpoint
from .endpoint_logs import endpoint_log_lines
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
from .i18n import language, set_language
from .iam import attach_policy, delete_role, detach_policy, ensure_execution_role, render_policy, role_policies
from .log_view import LogLines
from .logs import recent_log_lines, request_log_lines
from .metadata import (
    SEED_COLUMNS,
    create_metadata_table,
    delete_metadata_table,
    describe_table,
    inference_record,
    query_inferences,
)
from .metrics import custom_metrics, emf_metrics, metric_series, wait_for_data_points
from .names_view import created_names
from .notebook import record
from .notebook_messages import check, say
from .notebook_prerequisites import Preparation, Prerequisites, check_prerequisites, prepare_for, prerequisites
from .notifications import (
    AlarmEmail,
    Notification,
    alarm_email,
    create_alarm_topic,
    inbox,
    queue_notifications,
    subscribe_check_queue,
    subscribe_email,
    subscriptions,
    wait_for_email,
)
from .recording import Observed, send_until_recorded, send_until_refused
from .replay import ReplayReport, replay_unrecorded
from .request_burst import Burst, send_until_answered
from .url_forms import InvokeUrls, invoke_urls

__all__ = [
    "SEED_COLUMNS",
    "AlarmEmail",
    "ApiInfo",
    "ArtifactCheckFailed",
    "ArtifactReport",
    "Burst",
    "Connection",
    "CredentialsError",
    "DashboardView",
    "DeployResult",
    "DeploymentError",
    "Diagnosis",
    "DiffView",
    "EndpointInfo",
    "EnvUpdate",
    "InvalidInput",
    "InvokeUrls",
    "KitResource",
    "LocalCloudError",
    "LogLines",
    "NotConnectedError",
    "Notification",
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
    "alarm_email",
    "alarm_states",
    "attach_policy",
    "check",
    "check_artifact",
    "check_prerequisites",
    "cleanup",
    "code_diff",
    "connect",
    "create_alarm_topic",
    "create_alarms",
    "create_metadata_table",
    "create_rest_api",
    "created_names",
    "curl_command",
    "current",
    "custom_metrics",
    "dashboard_body",
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
    "emf_metrics",
    "endpoint_log_lines",
    "ensure_execution_role",
    "inbox",
    "inference_record",
    "invoke_endpoint",
    "invoke_url",
    "invoke_urls",
    "kit_resources",
    "language",
    "metric_series",
    "package",
    "prepare_for",
    "prerequisites",
    "put_dashboard",
    "query_inferences",
    "queue_notifications",
    "recent_log_lines",
    "record",
    "render_dashboard",
    "render_policy",
    "replay_unrecorded",
    "request_log_lines",
    "role_policies",
    "say",
    "send_test_request",
    "send_until_answered",
    "send_until_recorded",
    "send_until_refused",
    "set_env_vars",
    "set_language",
    "subscribe_check_queue",
    "subscribe_email",
    "subscriptions",
    "train_model",
    "use_existing_endpoint",
    "wait_for_alarm_state",
    "wait_for_data_points",
    "wait_for_email",
]


def __getattr__(name: str) -> object:
    """train_model is imported on first use: scikit-learn is slow to import and most callers never train."""
    if name == "train_model":
        from .model.training import train

        return train
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
