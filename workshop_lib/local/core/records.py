"""The records the local cloud's services read instead of moto's objects (``moto_seam/`` makes them).

Plain data: a service that holds one of these holds nothing of moto's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class FunctionNotFound(LookupError):
    """moto has no such function (or version); the message is moto's."""


@dataclass(frozen=True)
class StoredFunction:
    """A Lambda function as stored: what a worker is built from. Equal when code and configuration are."""

    name: str
    arn: str
    version: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: float
    environment: tuple[tuple[str, str], ...]
    role_arn: str
    code_sha256: str
    code_digest: str
    region: str
    account_id: str
    reserved_concurrency: int | None = None
    layers: tuple[str, ...] = ()
    package_type: str = "Zip"
    code: bytes = field(default=b"", repr=False, compare=False)
    policy: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)  # resource policy statements


@dataclass(frozen=True)
class TemporaryCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float = 0.0  # seconds since the epoch


@dataclass(frozen=True)
class IntegrationRecord:
    type: str
    uri: str
    http_method: str | None
    timeout_ms: int | None
    credentials: str | None


@dataclass(frozen=True)
class MethodRecord:
    http_method: str
    authorization_type: str
    api_key_required: bool
    integration: IntegrationRecord | None


@dataclass(frozen=True)
class ResourceRecord:
    resource_id: str
    parent_id: str | None
    path_part: str
    methods: tuple[MethodRecord, ...]


@dataclass(frozen=True)
class ApiDefinition:
    """What a REST API defines now (what a deployment freezes)."""

    api_id: str
    resources: tuple[ResourceRecord, ...]
    binary_media_types: tuple[str, ...]


@dataclass(frozen=True)
class StageRecord:
    deployment_id: str
    variables: dict[str, str]
    deployed: bool  # the stage's deployment exists
    execute_api_disabled: bool


@dataclass(frozen=True)
class EndpointRecord:
    arn: str
    status: str
    config_name: str
    version: tuple[Any, ...]  # changes when the endpoint is recreated or updated


@dataclass(frozen=True)
class ModelRecord:
    name: str
    variant: str
    model_data_url: str
    environment: dict[str, str]


@dataclass(frozen=True)
class TableSchema:
    """A DynamoDB table's keys and indexes, as the timing model needs them."""

    name: str
    hash_key: str
    range_key: str | None
    global_indexes: tuple[str, ...]
    deletion_protection: bool


@dataclass(frozen=True)
class Principal:
    """The identity behind an access key: an assumed role, an IAM user, or the local admin."""

    kind: str  # "role", "user" or "admin"
    name: str  # role name or user name
    arn: str  # the ARN AWS names in its messages (assumed-role session ARN, or user ARN)


class InvalidCredentials(Exception):
    """The access key is not known, not active, or the session token is not the key's own."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "unknown-key" or "bad-token"


@dataclass(frozen=True)
class SigningKey:
    """An access key as the local cloud knows it: its secret, whose it is, and for temporary credentials their
    session token and expiry."""

    access_key: str
    secret_key: str = field(repr=False)
    principal: Principal
    session_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None  # seconds since the epoch; None: long-term key
    active: bool = True
    role_arn: str | None = None  # an assumed role's ARN (its session's ARN is principal.arn)


@dataclass(frozen=True)
class RoleRecord:
    """What AssumeRole reads of a role: its ARN, name, trust policy and longest session."""

    arn: str
    name: str
    trust_policy: str
    max_session_duration_s: int
