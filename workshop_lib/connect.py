"""connect(): choose the target (the local cloud or a real AWS account) and hand out boto3 clients.

Only this module knows the target. Every operation in workshop_lib makes the same boto3 calls on
both; the local target differs only in the endpoint URL and the credentials its clients use.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from . import naming
from .config import (
    DEFAULT_REGION,
    DEFAULT_TARGET,
    ENV_AWS_REGION,
    ENV_CALL_LOG,
    ENV_PREFIX,
    ENV_REGION,
    ENV_TARGET,
    ENV_WORKSHOP_ENDPOINT,
    ResourceNames,
    kit_tags,
)
from .errors import CredentialsError, InvalidInput, NotConnectedError
from .i18n import _

CLIENT_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=60)


@dataclass
class Connection:
    """A target, its identity, the workshop's resource names, and boto3 clients for it."""

    target: str
    region: str
    account_id: str
    identity_arn: str
    session: boto3.Session
    names: ResourceNames
    endpoint_url: str | None = None  # the local cloud's URL; None on the aws target
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def prefix(self) -> str:
        return self.names.prefix

    @property
    def tags(self) -> dict[str, str]:
        """Tags every resource the kit creates carries."""
        return kit_tags(self.prefix)

    @property
    def bucket(self) -> str:
        return self.names.bucket(self.account_id, self.region)

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` on this target (created once, then reused)."""
        with self._lock:
            if service not in self._clients:
                client = self.session.client(service, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)
                call_log = os.environ.get(ENV_CALL_LOG)
                if call_log:
                    client.meta.events.register("before-parameter-build", _CallRecorder(call_log))
                self._clients[service] = client
            return self._clients[service]

    def with_prefix(self, prefix: str) -> Connection:
        """The same target, identity, session and clients, with the resource names of another participant prefix.

        The existing endpoint named at connect() (if any) is kept. The new connection is not made current.
        """
        names = dataclasses.replace(self.names, prefix=naming.participant_prefix(prefix))
        return dataclasses.replace(self, names=names)

    def invoke_url(self, api_id: str, stage: str, path: str) -> str:
        """The URL a REST API's stage answers ``path`` on: execute-api on AWS, the local cloud's own form locally.

        ``https://{api}.execute-api.{region}.amazonaws.com/{stage}{path}`` on AWS, and
        ``{local cloud URL}/restapis/{api}/{stage}/_user_request_{path}`` on the local cloud.
        """
        if not path.startswith("/"):
            raise InvalidInput(
                _("the resource path {path!r} does not start with /").format(path=path),
                resource="path",
                fix="e.g. /inference",
            )
        if self.endpoint_url:
            return f"{self.endpoint_url}/restapis/{api_id}/{stage}/_user_request_{path}"
        return f"https://{api_id}.execute-api.{self.region}.amazonaws.com/{stage}{path}"

    def arn(self, service: str, resource: str) -> str:
        """An ARN in this account and region, e.g. arn("dynamodb", "table/InferenceMetadata")."""
        region = "" if service == "iam" else self.region
        return f"arn:aws:{service}:{region}:{self.account_id}:{resource}"

    def environment(self) -> dict[str, str]:
        """Standard AWS variables that point the AWS CLI or another SDK at this target."""
        env = {"AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region}
        if self.endpoint_url:
            creds = self.session.get_credentials().get_frozen_credentials()  # the local admin's, from the state file
            env |= {
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": creds.access_key,
                "AWS_SECRET_ACCESS_KEY": creds.secret_key,
            }
        return env

    def resource_names(self) -> dict[str, str]:
        """The name of every resource the workshop creates on this target."""
        n = self.names
        return {
            "table": n.table,
            "history index": n.history_index,
            "function": n.function,
            "role": n.role,
            "endpoint": n.endpoint,
            "endpoint config": n.endpoint_config,
            "model": n.model,
            "api": n.api,
            "stage": n.stage,
            "bucket": self.bucket,
            "log group": f"/aws/lambda/{n.function}",
        }

    def describe(self) -> dict[str, str]:
        """What a notebook shows about the connection."""
        return {
            "target": self.target,
            "region": self.region,
            "account": self.account_id,
            "identity": self.identity_arn,
            "prefix": self.prefix or "(none)",
            "endpoint": self.endpoint_url or f"AWS public endpoints in {self.region}",
        }


class _CallRecorder:
    """Appends each call a client makes (service, operation, its string and string-list parameters) to a file,
    as JSON lines.

    On when $WORKSHOP_CALL_LOG names a file: the test of policies/learner/ reads it to check that the
    learner's policy allows every call the workshop makes.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        names = {k: v for k, v in params.items() if _is_name(v)}
        line = {"service": model.service_model.service_name, "operation": model.name, "params": names}
        with self._lock, open(self.path, "a", encoding="utf-8") as log:
            log.write(json.dumps(line) + "\n")


def _is_name(value: Any) -> bool:
    """A string parameter, or a list of them (AlarmNames, DashboardNames): what names the resources a call is on."""
    if isinstance(value, list):
        return bool(value) and all(_is_name(v) for v in value)
    return isinstance(value, str) and len(value) < 2048


_current: Connection | None = None


def current() -> Connection:
    """The connection made by the last connect() call (or the one use() made current)."""
    if _current is None:
        raise NotConnectedError(
            _("not connected to a target yet"),
            fix=_('call workshop_lib.connect() first (target="local" by default, or target="aws")'),
        )
    return _current


@contextlib.contextmanager
def use(conn: Connection | None) -> Iterator[Connection | None]:
    """Make ``conn`` the current connection inside a ``with`` block; the previous one is current again after it.

    ``use(None)`` runs the block with no current connection. Connect without changing the current
    connection with ``connect(..., make_current=False)``, then ``with use(conn):``.
    """
    global _current
    if conn is not None and not isinstance(conn, Connection):
        raise InvalidInput(
            _("use() takes a Connection or None, not {type_name}").format(type_name=type(conn).__name__),
            resource="connection",
            fix="use(connect())",
        )
    previous, _current = _current, conn
    try:
        yield conn
    finally:
        _current = previous


def connect(
    target: str | None = None,
    region: str | None = None,
    prefix: str | None = None,
    *,
    endpoint: str | None = None,
    profile: str | None = None,
    make_current: bool = True,
) -> Connection:
    """Connect to the local cloud (starting it when needed) or to a real AWS account.

    Each argument left out or empty ("", what a notebook's parameters cell holds by default) comes from
    the environment: ``target`` from $WORKSHOP_TARGET, else "local"; ``region`` from $WORKSHOP_REGION,
    else on the aws target the boto3 session's region (AWS_REGION, AWS_DEFAULT_REGION, the profile's
    region), else us-east-1; ``prefix`` from $WORKSHOP_PREFIX, else none; ``endpoint`` from
    $WORKSHOP_ENDPOINT, else the kit's own. On the aws target the standard credential chain is used
    (environment, ``profile`` or $AWS_PROFILE, SSO, instance roles), and the identity is checked with
    STS GetCallerIdentity. ``endpoint`` names an existing SageMaker endpoint, for instance the one
    built in section 6, to use instead of the kit's own. The new connection becomes the current one
    (``current()``, what every operation uses without ``conn=``) unless ``make_current=False``.
    """
    global _current
    target = naming.target(target or os.environ.get(ENV_TARGET) or DEFAULT_TARGET)
    prefix = naming.participant_prefix(prefix or os.environ.get(ENV_PREFIX, ""))
    existing = naming.endpoint_name((endpoint or os.environ.get(ENV_WORKSHOP_ENDPOINT, "")).strip())
    region = region or os.environ.get(ENV_REGION) or None
    if region is not None:
        naming.region(region)
    if target == "local":
        conn = _connect_local(region, prefix, existing)
    else:
        conn = _connect_aws(region, prefix, existing, profile)
    if make_current:
        _current = conn
    return conn


def _connect_local(region: str | None, prefix: str, existing: str) -> Connection:
    from .local import lifecycle

    state, _ = lifecycle.start(region=region or DEFAULT_REGION)
    names = ResourceNames(prefix, existing, state.region)
    session = boto3.Session(
        aws_access_key_id=state.admin_access_key,
        aws_secret_access_key=state.admin_secret_key,  # new at every start of the local cloud
        region_name=state.region,
    )
    conn = Connection(
        target="local",
        region=state.region,
        account_id=state.account_id,
        identity_arn="",
        session=session,
        names=names,
        endpoint_url=state.endpoint_url,
    )
    conn.identity_arn = conn.client("sts").get_caller_identity()["Arn"]
    return conn


def _connect_aws(region: str | None, prefix: str, existing: str, profile: str | None) -> Connection:
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound as exc:
        raise CredentialsError(
            str(exc), resource=f"profile {profile}", fix=_("run `aws configure list-profiles` to see your profiles")
        ) from exc
    # The standard chain: AWS_REGION, then the session's own (AWS_DEFAULT_REGION, the profile's region).
    region = naming.region(region or os.environ.get(ENV_AWS_REGION) or session.region_name or DEFAULT_REGION)
    session = boto3.Session(profile_name=profile, region_name=region)
    names = ResourceNames(prefix, existing, region)
    if session.get_credentials() is None:
        raise CredentialsError(
            _("no AWS credentials found for the aws target"),
            resource="AWS credentials",
            fix=_(
                "run `aws configure` (or `aws sso login --profile NAME` and set AWS_PROFILE), or use "
                'target="local" to run on the local cloud'
            ),
        )
    try:
        identity = session.client("sts", config=CLIENT_CONFIG).get_caller_identity()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise CredentialsError(
            _("the AWS credentials in use were refused: {exc}").format(exc=exc),
            resource="AWS credentials",
            fix=_("refresh them (`aws sso login`, or new access keys), then connect again"),
        ) from exc
    return Connection(
        target="aws",
        region=region,
        account_id=identity["Account"],
        identity_arn=identity["Arn"],
        session=session,
        names=names,
        endpoint_url=None,  # botocore reads AWS_ENDPOINT_URL* itself
    )
