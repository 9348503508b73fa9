"""Every name the kit uses, in one place: environment variables, defaults, tags, local credentials.

Validation of names and values (prefixes, regions, targets, AWS resource names) is in naming.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# --- Environment variables the kit reads -------------------------------------------------
ENV_TARGET = "WORKSHOP_TARGET"  # "local" (default) or "aws"
ENV_REGION = "WORKSHOP_REGION"  # overrides the region for both targets
ENV_PREFIX = "WORKSHOP_PREFIX"  # participant prefix, so several people can share an account
# An existing SageMaker endpoint to use instead of the kit's own (not the Lambda's ENDPOINT_NAME).
ENV_WORKSHOP_ENDPOINT = "WORKSHOP_ENDPOINT"
ENV_AWS_REGION = "AWS_REGION"  # AWS's own: the region, before AWS_DEFAULT_REGION (boto3 reads only the latter)
ENV_INSTANCE_TYPE = "WORKSHOP_INSTANCE_TYPE"  # the endpoint's instance type (default DEFAULT_INSTANCE_TYPE)
ENV_WAIT_LOG = "WORKSHOP_WAIT_LOG"  # a file each wait is appended to (what, AWS rule, seconds): for bench/
ENV_CALL_LOG = "WORKSHOP_CALL_LOG"  # a file each AWS call is appended to (service, operation, names): for tests/
ENV_STATE_DIR = "WORKSHOP_STATE_DIR"  # where the local cloud records its state (default .workshop/)
# Read by the local cloud's Lambda workers (workshop_lib/local/awslambda/):
ENV_LAMBDA_RUNTIME_CLIENT = "WORKSHOP_LAMBDA_RUNTIME_CLIENT"  # "kit" (default) or "awslambdaric" (Linux only)
ENV_LAMBDA_CONCURRENCY = "WORKSHOP_LAMBDA_CONCURRENCY"  # invocations per function at once (default 4)
ENV_LANG = "WORKSHOP_LANG"  # the workshop's language: "en" (default) or "vi"; see i18n.py
ENV_LAB_DIR = "WORKSHOP_LAB_DIR"  # the learner's working copy of the notebooks (default my-notebooks/)
ENV_LAMBDA_CREDENTIALS_TTL = "WORKSHOP_LAMBDA_CREDENTIALS_TTL"  # seconds a worker's role credentials last (6 h)

# --- Environment variables the inference Lambda reads (the seed's names) ------------------
LAMBDA_ENV_ENDPOINT = "ENDPOINT_NAME"
LAMBDA_ENV_TABLE = "DYNAMODB_TABLE"

# --- Defaults -----------------------------------------------------------------------------
TARGETS = ("local", "aws")
DEFAULT_TARGET = "local"
DEFAULT_REGION = "us-east-1"
DEFAULT_INSTANCE_TYPE = "ml.t2.medium"  # the smallest real-time instance the scikit-learn image runs on

KIT_ROOT = Path(__file__).resolve().parent.parent
POLICIES_DIR = KIT_ROOT / "policies"
NOTEBOOKS_DIR = KIT_ROOT / "notebooks"
LAMBDA_SOURCE = KIT_ROOT / "lambda_function.py"

# Tags carried by every resource the kit creates; cleanup deletes only what carries them.
TAG_KIT = "workshop-kit"
TAG_KIT_VALUE = "inference-metadata"
TAG_PARTICIPANT = "workshop-participant"

# --- The local cloud ----------------------------------------------------------------------
LOCAL_HOST = "127.0.0.1"
LOCAL_ACCOUNT_ID = "123456789012"  # moto's default account
# The local admin identity (the one notebooks use). Not a real AWS key: the local cloud only. Its secret key is
# new at every start of the local cloud and kept in the state file (`python -m workshop_lib env` prints it).
LOCAL_ADMIN_ACCESS_KEY = "AKIAWORKSHOPADMIN001"
STATE_FILE_NAME = "local-cloud.json"


def state_dir() -> Path:
    """Folder holding the local cloud's state file (git-ignored)."""
    return Path(os.environ.get(ENV_STATE_DIR) or KIT_ROOT / ".workshop")


def lab_dir(lang: str = "en") -> Path:
    """Folder of the learner's working copy of the notebooks, which `kit.py lab` opens (git-ignored).

    The English copy is my-notebooks/ (or $WORKSHOP_LAB_DIR); another language's is beside it, named with the
    language (my-notebooks-vi/), so that switching languages never touches the other copy.
    """
    base = Path(os.environ.get(ENV_LAB_DIR) or KIT_ROOT / "my-notebooks")
    return base if lang == "en" else base.with_name(f"{base.name}-{lang}")


@dataclass(frozen=True)
class ResourceNames:
    """The workshop's resource names; the defaults are the seed's, a prefix keeps participants apart."""

    prefix: str = ""
    existing_endpoint: str = ""  # the learner's own endpoint (section 6), used instead of the kit's
    # IAM roles and S3 buckets are global: their names carry the region, so a run in a second region
    # does not take over the first one's (the other resources are regional already).
    region: str = DEFAULT_REGION

    def _p(self, name: str) -> str:
        return f"{self.prefix}-{name}" if self.prefix else name

    @property
    def table(self) -> str:
        return self._p("InferenceMetadata")

    @property
    def history_index(self) -> str:
        return "modelName-timestamp-index"

    @property
    def function(self) -> str:
        return self._p("ml-inference-lambda")

    @property
    def role(self) -> str:
        return self._p(f"ml-inference-lambda-role-{self.region}")

    @property
    def endpoint(self) -> str:
        return self.existing_endpoint or self._p("ml-endpoint")

    @property
    def endpoint_config(self) -> str:
        return self._p("ml-endpoint-config")

    @property
    def model(self) -> str:
        return self._p("ml-sentiment-model")

    @property
    def sagemaker_role(self) -> str:
        return self._p(f"ml-sagemaker-execution-role-{self.region}")

    @property
    def api(self) -> str:
        return self._p("ml-inference-api")

    @property
    def stage(self) -> str:
        return "prod"

    @property
    def dashboard(self) -> str:
        return self._p("Inference-Monitoring-Dashboard")

    @property
    def high_latency_alarm(self) -> str:
        return self._p("High-Latency-Alarm")

    @property
    def error_alarm(self) -> str:
        return self._p("Inference-Error-Alarm")

    @property
    def alarm_topic(self) -> str:
        return self._p("inference-alarms")

    def bucket(self, account_id: str, region: str) -> str:
        return self._p(f"workshop-artifacts-{account_id}-{region}").lower()

    @property
    def policy_names(self) -> dict[str, str]:
        """Inline policy name on the role, per template."""
        return {
            "metadata-write": "InferenceMetadataWrite",
            "invoke-endpoint": "InvokeSentimentEndpoint",
            "logs": "FunctionLogs",
            "put-metric-data": "PublishInferenceMetrics",
        }


def kit_tags(prefix: str) -> dict[str, str]:
    """Tags every resource the kit creates carries."""
    tags = {TAG_KIT: TAG_KIT_VALUE}
    if prefix:
        tags[TAG_PARTICIPANT] = prefix
    return tags


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    """Tags in the ``[{"Key": ..., "Value": ...}]`` form IAM, S3, SageMaker and DynamoDB take."""
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def tag_dict(tags: list[dict[str, str]] | dict[str, str] | None) -> dict[str, str]:
    """Tags as a dict, from the Key/Value list form or a dict (Lambda and API Gateway answer with one)."""
    if isinstance(tags, dict):
        return tags
    return {t["Key"]: t["Value"] for t in tags or []}
