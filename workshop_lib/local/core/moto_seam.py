"""Every use of moto's internals, in one module: a moto upgrade that changes one fails here (and in
tests/test_moto_seam.py, one test per internal), not somewhere inside a service.

moto's public surface is its server and ``mock_aws``; the local cloud also reads and completes what moto stores,
through its in-process backends. This module turns what it reads into the kit's own records (``StoredFunction``,
``StageRecord``, ``ApiDefinition``, ...) so no service holds a moto object. Written and tested against moto
``MOTO_VERSIONS``; pyproject pins moto to that range.

Internals used: ``moto.backends.get_backend``; the server app ``DomainDispatcherApplication`` (its ``lock``,
``app_instances``, ``create_app``, ``get_backend_for_host``, ``infer_service_region_host``) and
``moto.core.request``'s preserved-header helpers; Lambda ``get_function`` and a function's ``code_bytes``,
``code_sha_256``, ``code_digest``, ``policy.statements``; STS ``assume_role`` and ``get_assumed_role_from_access_key``;
IAM's user, role, group and policy lookups; Logs ``ensure_log_group``, ``ensure_log_stream``, ``put_log_events``;
API Gateway ``apis`` (resources, methods, integrations, stages, deployments, ``binaryMediaTypes``), ``keys``,
``usage_plans``, ``usage_plan_keys``; SageMaker ``endpoints``, ``endpoint_configs``, ``_models``, ``delete_endpoint``
and an endpoint's ``_process_production_variants``, ``endpoint_status`` and ``failure_reason``; DynamoDB
``get_table`` (a table's ``name``, ``hash_key_attr``, ``range_key_attr``, ``global_indexes``,
``deletion_protection_enabled``) and ``delete_table``; S3 ``get_object``.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterable
from datetime import UTC
from typing import Any

from moto.backends import get_backend
from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    should_preserve_original_header_name,
)
from moto.core.utils import utcnow
from moto.iam.exceptions import NotFoundException
from moto.moto_server.werkzeug_app import DEFAULT_SERVICE_REGION, DomainDispatcherApplication, create_backend_app
from werkzeug.wrappers import Request, Response

from .records import (
    ApiDefinition,
    EndpointRecord,
    FunctionNotFound,
    IntegrationRecord,
    InvalidCredentials,
    MethodRecord,
    ModelRecord,
    Principal,
    ResourceRecord,
    RoleRecord,
    SigningKey,
    StageRecord,
    StoredFunction,
    TableSchema,
    TemporaryCredentials,
)

MOTO_VERSIONS = ">=5.2,<5.3"
WORKSHOP_SERVICES = ("apigateway", "lambda", "dynamodb", "sagemaker", "iam", "sts", "logs", "s3", "cloudwatch")
GLOBAL_SERVICES = ("iam", "sts")
log = logging.getLogger("workshop_lib.local")


# --- moto's server app ------------------------------------------------------------------------------------------


class MotoDispatcher(DomainDispatcherApplication):
    """moto's server app (one Flask app per moto backend), choosing the app of a request without a global lock.

    moto's ``DomainDispatcherApplication`` takes a process-wide lock on every request and, for a signed request,
    walks moto's package folder (a directory listing and an ``isdir`` per service) to map the host it infers from
    the signature to a backend. Which app a host maps to never changes, so once known it is remembered here, and
    the lock is taken only when a host is seen for the first time. Requests moto routes by path (``/moto-api``,
    instance metadata) go through moto's own lookup.
    """

    MAX_HOSTS = 512  # distinct service.region hosts remembered (a bound, not a working limit)

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._apps_by_host: dict[str, Any] = {}

    def get_application(self, environ: dict[str, Any]) -> Any:
        path_info = environ.get("PATH_INFO", "")
        if isinstance(path_info, bytes):
            path_info = path_info.decode("utf-8")
        if path_info.startswith(("/moto-api", "/latest/meta-data/", "/latest/api/")) or path_info == "/favicon.ico":
            return super().get_application(environ)
        host = self.infer_service_region_host(environ, path_info)
        if host is None:
            service, region = DEFAULT_SERVICE_REGION
            host = f"{service}.{region}.amazonaws.com"
        app = self._apps_by_host.get(host)
        if app is None:
            with self.lock:
                backend = self.get_backend_for_host(host)
                app = self.app_instances.get(backend, None)
                if app is None:
                    app = self.create_app(backend)
                    self.app_instances[backend] = app
            if len(self._apps_by_host) < self.MAX_HOSTS:
                self._apps_by_host[host] = app
        return app

    def answer(self, request: Request, body: bytes | None = None, *, target: str | None = None) -> Response:
        """moto's answer to ``request`` (with ``body`` instead of the request's own, and another JSON-protocol
        operation ``target`` such as ``DynamoDB_20120810.DescribeTable``, when given)."""
        data = request.get_data(cache=True) if body is None else body
        environ = dict(request.environ)
        if target is not None:
            environ["HTTP_X_AMZ_TARGET"] = target
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        return Response.from_app(self, environ, buffered=True)


def preserve_underscored_headers(environ: dict[str, Any], header_lines: list[tuple[str, str]]) -> None:
    """What moto's ``MotoRequestHandler.make_environ`` adds: S3 metadata headers with an underscore in their name
    (``x-amz-meta-my_key``), which WSGI servers drop, put back with their spelling recorded, unless a dashed
    header of the same WSGI name was sent too."""
    names: dict[str, str] = {}
    if any("_" in name for name, _ in header_lines):
        dashed = {environ_key_for_header(name) for name, _ in header_lines if "_" not in name}
        values: dict[str, list[str]] = {}
        for name, value in header_lines:
            if not should_preserve_original_header_name(name):
                continue
            key = environ_key_for_header(name)
            if key in dashed:
                continue  # never let an underscored header stand in for a dashed one
            names.setdefault(key, name)
            values.setdefault(key, []).append(value.replace("\r\n", ""))
        for key, key_values in values.items():
            environ[key] = ",".join(key_values)
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names


def start_warmup() -> threading.Thread:
    """Import moto's backends for the workshop's services in a daemon thread (API Gateway's takes seconds)."""

    def import_all() -> None:
        for service in WORKSHOP_SERVICES:
            try:
                get_backend(service)  # type: ignore[call-overload]
            except Exception as exc:  # noqa: BLE001 - a warm-up failure only means a slower first call
                log.warning("warm-up of moto's %s backend failed: %r", service, exc)

    thread = threading.Thread(target=import_all, name="moto-warmup", daemon=True)
    thread.start()
    return thread


def api_definition(api: Any) -> ApiDefinition:
    """The records of a moto RestAPI (resources, methods, integrations, binaryMediaTypes)."""
    resources = []
    for r in list(api.resources.values()):
        methods = []
        for verb, m in list(r.resource_methods.items()):
            integ = m.method_integration
            record = None
            if integ is not None:
                timeout = integ.timeout_in_millis
                record = IntegrationRecord(
                    type=str(integ.integration_type or "").upper(),
                    uri=integ.uri or "",
                    http_method=integ.http_method,
                    timeout_ms=int(timeout) if timeout not in (None, "") else None,
                    credentials=integ.credentials,
                )
            auth = (m.authorization_type or "NONE").upper()
            methods.append(MethodRecord(verb.upper(), auth, bool(m.api_key_required), record))
        resources.append(ResourceRecord(r.id, r.parent_id, r.path_part, tuple(methods)))
    return ApiDefinition(api.id, tuple(resources), tuple(str(t) for t in api.binaryMediaTypes or []))


# --- The backends -----------------------------------------------------------------------------------------------


class MotoLogs:
    """One region's CloudWatch Logs backend: create groups and streams, append events."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def ensure_stream(self, group: str, stream: str) -> None:
        self._backend.ensure_log_group(group)
        self._backend.ensure_log_stream(group, stream)

    def put_events(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        """Append events (``{"timestamp": ms, "message": text}``); raises when the group or stream is gone."""
        self._backend.put_log_events(group, stream, events)


class MotoBackends:
    """The local cloud's view of moto's in-process backends for its account."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self._logs: dict[str, MotoLogs] = {}
        self._logs_lock = threading.Lock()

    def backend(self, service: str, region: str | None = None) -> Any:
        backends = get_backend(service)  # type: ignore[call-overload]
        if service in GLOBAL_SERVICES:
            return backends[self.account_id]["global"]
        return backends[self.account_id][region or self.region]

    # Lambda
    def function(self, name: str, qualifier: str | None = None, region: str | None = None) -> StoredFunction:
        """A function by name, partial or full ARN; raises FunctionNotFound, or ValueError for a bad name."""
        try:
            fn = self.backend("lambda", region).get_function(name, qualifier)
        except Exception as exc:
            message = getattr(exc, "message", None) or str(exc)
            if getattr(exc, "error_type", "") == "ResourceNotFoundException" or "not found" in message.lower():
                raise FunctionNotFound(message) from exc
            raise ValueError(message) from exc
        return StoredFunction(
            name=fn.function_name,
            arn=fn.function_arn,
            version=str(fn.version),
            handler=fn.handler or "",
            runtime=fn.run_time or "",
            memory_mb=int(fn.memory_size or 128),
            timeout_s=float(fn.timeout or 3),
            environment=tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items())),
            role_arn=fn.role,
            code_sha256=fn.code_sha_256,
            code_digest=getattr(fn, "code_digest", "") or "",
            region=fn.region,
            account_id=fn.account_id,
            reserved_concurrency=fn.reserved_concurrency,
            layers=tuple(layer["Arn"] for layer in fn.layers or ()),
            package_type=getattr(fn, "package_type", "Zip") or "Zip",
            code=fn.code_bytes or b"",
            policy=tuple(dict(s) for s in getattr(fn.policy, "statements", None) or ()),
        )

    def assume_role(self, role_arn: str, session_name: str, duration_s: int, region: str) -> TemporaryCredentials:
        creds = self.backend("sts").assume_role(
            region_name=region,
            role_session_name=session_name,
            role_arn=role_arn,
            policy="",
            duration=duration_s,
            external_id="",
        )
        expiration = creds.expiration.replace(tzinfo=UTC).timestamp()  # moto keeps a naive UTC datetime
        return TemporaryCredentials(creds.access_key_id, creds.secret_access_key, creds.session_token, expiration)

    def logs(self, region: str | None = None) -> MotoLogs:
        region = region or self.region
        with self._logs_lock:
            if region not in self._logs:
                self._logs[region] = MotoLogs(self.backend("logs", region))
            return self._logs[region]

    # API Gateway
    def rest_api(self, api_id: str, region: str) -> ApiDefinition | None:
        api = self.backend("apigateway", region).apis.get(api_id)
        return api_definition(api) if api is not None else None

    def stage(self, api_id: str, stage: str, region: str) -> StageRecord | None:
        api = self.backend("apigateway", region).apis.get(api_id)
        found = api.stages.get(stage) if api is not None else None
        if found is None:
            return None
        return StageRecord(
            deployment_id=found.deployment_id,
            variables=dict(found.variables or {}),
            deployed=found.deployment_id in api.deployments,
            execute_api_disabled=bool(getattr(api, "disableExecuteApiEndpoint", False)),
        )

    def api_key_allows(self, value: str, api_id: str, stage: str, region: str) -> bool:
        """Whether an enabled API key of this value is in a usage plan that holds the API's stage."""
        backend = self.backend("apigateway", region)
        key = next((k for k in list(backend.keys.values()) if k.value == value and k.enabled), None)
        if key is None:
            return False
        for plan_id, plan_keys in list(backend.usage_plan_keys.items()):
            plan = backend.usage_plans.get(plan_id)
            if plan is None or key.id not in plan_keys:
                continue
            if any(s.get("apiId") == api_id and s.get("stage") == stage for s in plan.api_stages):
                return True
        return False

    def binary_media_types(self, api_id: str, region: str) -> list[str] | None:
        api = self.backend("apigateway", region).apis.get(api_id)
        return None if api is None else [t for t in api.binaryMediaTypes if t]

    def set_binary_media_types(self, api_id: str, region: str, media_types: Iterable[str]) -> list[str] | None:
        """Record an API's binaryMediaTypes (moto drops them); the list recorded, None when there is no API."""
        api = self.backend("apigateway", region).apis.get(api_id)
        if api is None:
            return None
        api.binaryMediaTypes = [str(t) for t in media_types]
        return list(api.binaryMediaTypes)

    # SageMaker
    def endpoint(self, name: str, region: str) -> EndpointRecord | None:
        try:
            endpoint = self.backend("sagemaker", region).endpoints.get(name)
        except KeyError:  # a region moto does not know has no endpoints
            return None
        if endpoint is None:
            return None
        version = (endpoint.arn, endpoint.creation_time, endpoint.last_modified_time, endpoint.endpoint_config_name)
        return EndpointRecord(endpoint.arn, endpoint.endpoint_status, endpoint.endpoint_config_name, version)

    def endpoint_model(self, endpoint: EndpointRecord, region: str) -> ModelRecord:
        """The model of an endpoint's first production variant; raises LookupError naming what is missing
        (``endpoint config NAME`` or ``model NAME``)."""
        return self.config_model(endpoint.config_name, region)

    def config_model(self, config_name: str, region: str) -> ModelRecord:
        """The model of an endpoint config's first production variant; raises LookupError as endpoint_model."""
        backend = self.backend("sagemaker", region)
        config = backend.endpoint_configs.get(config_name)
        if config is None or not config.production_variants:
            raise LookupError(f"endpoint config {config_name}")
        variant = config.production_variants[0]
        model = backend._models.get(variant["ModelName"])
        if model is None:
            raise LookupError(f"model {variant['ModelName']}")
        container = model.primary_container or (model.containers[0] if model.containers else {})
        return ModelRecord(
            name=model.model_name,
            variant=variant["VariantName"],
            model_data_url=container.get("ModelDataUrl") or "",
            environment=dict(container.get("Environment") or {}),
        )

    def endpoint_config_exists(self, name: str, region: str) -> bool:
        return self.backend("sagemaker", region).endpoint_configs.get(name) is not None

    def update_endpoint(self, name: str, config_name: str, region: str) -> None:
        """UpdateEndpoint as AWS completes it: the endpoint switches to the config (both must exist)."""
        backend = self.backend("sagemaker", region)
        endpoint, config = backend.endpoints[name], backend.endpoint_configs[config_name]
        endpoint.endpoint_config_name = config_name
        endpoint.production_variants = endpoint._process_production_variants(config.production_variants)
        endpoint.last_modified_time = utcnow()

    def set_endpoint_status(self, name: str, region: str, status: str, failure_reason: str | None) -> None:
        """Record an endpoint's status and FailureReason (DescribeEndpoint shows both; None drops the reason)."""
        endpoint = self.backend("sagemaker", region).endpoints[name]
        endpoint.endpoint_status = status
        endpoint.failure_reason = failure_reason
        endpoint.last_modified_time = utcnow()

    def delete_endpoint(self, name: str, region: str) -> bool:
        """Remove an endpoint as DeleteEndpoint completes; False when it was already gone."""
        try:
            self.backend("sagemaker", region).delete_endpoint(name)
        except Exception:  # noqa: BLE001 - moto raises its own ValidationError when it is gone
            return False
        return True

    # DynamoDB
    def table_schema(self, name: str, region: str) -> TableSchema | None:
        """A table's keys and global secondary indexes by name or ARN, None when there is no such table."""
        try:
            table = self.backend("dynamodb", region).get_table(name)
        except Exception:  # noqa: BLE001 - moto raises its own ResourceNotFoundException
            return None
        return TableSchema(
            name=table.name,
            hash_key=table.hash_key_attr,
            range_key=table.range_key_attr,
            global_indexes=tuple(index.name for index in table.global_indexes),
            deletion_protection=bool(table.deletion_protection_enabled),
        )

    def delete_table(self, name: str, region: str) -> bool:
        """Remove a table as DeleteTable completes; False when it was already gone."""
        try:
            self.backend("dynamodb", region).delete_table(name)
        except Exception:  # noqa: BLE001 - moto raises its own ResourceNotFoundException
            return False
        return True

    # S3
    def s3_object(self, bucket: str, key: str) -> bytes | None:
        """An object's bytes, None when it does not exist; raises moto's NoSuchBucket and kin."""
        obj = self.backend("s3", "global").get_object(bucket, key)
        return None if obj is None else bytes(obj.value)


# --- IAM and STS: who is calling, and their policies ------------------------------------------------------------


class MotoIdentities:
    """Looks up access keys and policies in moto's in-process IAM and STS backends.

    Used: STS ``get_assumed_role_from_access_key`` and the AssumedRole's ``role_arn``, ``session_name``,
    ``session_token``, ``arn``, ``secret_access_key``, ``expiration``; IAM ``get_user_from_access_key_id``,
    ``list_access_keys`` (``access_key_id``, ``secret_access_key``, ``status``), ``get_user(name).id``,
    ``get_role_by_arn`` (``arn``,
    ``name``, ``assume_role_policy_document``, ``max_session_duration``), ``list_role_policies``/``get_role_policy``,
    ``list_attached_role_policies``, ``get_policy_version(arn, default_version_id).document`` and the user and group
    equivalents, ``get_groups_for_user``.
    """

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    def _iam(self) -> Any:
        return get_backend("iam")[self.account_id]["global"]  # type: ignore[call-overload]

    def _sts(self) -> Any:
        return get_backend("sts")[self.account_id]["global"]  # type: ignore[call-overload]

    def principal(self, access_key: str, session_token: str | None) -> Principal:
        """The principal an access key belongs to; raises InvalidCredentials when it belongs to none."""
        assumed = self._sts().get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            if session_token != assumed.session_token:
                raise InvalidCredentials("bad-token")
            return Principal("role", assumed.role_arn.rsplit("/", 1)[-1], assumed.arn)
        iam = self._iam()
        user = iam.get_user_from_access_key_id(access_key)
        if user is None:
            raise InvalidCredentials("unknown-key")
        if session_token:
            raise InvalidCredentials("bad-token")  # a long-term key never carries a session token
        keys = [k for k in iam.list_access_keys(user.name) if k.access_key_id == access_key]
        if not keys or keys[0].status != "Active":
            raise InvalidCredentials("unknown-key")
        return Principal("user", user.name, user.arn)

    def signing_key(self, access_key: str) -> SigningKey | None:
        """An assumed role's or an IAM user's access key with its secret (and session token, expiry), else None."""
        assumed = self._sts().get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            role = Principal("role", assumed.role_arn.rsplit("/", 1)[-1], assumed.arn)
            expires = assumed.expiration.replace(tzinfo=UTC).timestamp()
            return SigningKey(access_key, assumed.secret_access_key, role, assumed.session_token, expires,
                              role_arn=assumed.role_arn)  # fmt: skip
        iam = self._iam()
        user = iam.get_user_from_access_key_id(access_key)
        if user is None:
            return None
        key = next((k for k in iam.list_access_keys(user.name) if k.access_key_id == access_key), None)
        if key is None:
            return None
        return SigningKey(access_key, key.secret_access_key, Principal("user", user.name, user.arn),
                          active=key.status == "Active")  # fmt: skip

    def user_id(self, name: str) -> str:
        """An IAM user's unique ID (``AIDA...``), empty when there is no such user."""
        try:
            return str(self._iam().get_user(name).id)
        except Exception:  # noqa: BLE001 - moto raises its own not-found type
            return ""

    def role(self, arn: str) -> RoleRecord | None:
        """A role of this account by ARN, None when there is none."""
        try:
            role = self._iam().get_role_by_arn(arn)
        except Exception:  # noqa: BLE001 - moto raises its own not-found type
            return None
        trust = role.assume_role_policy_document
        return RoleRecord(role.arn, role.name, trust if isinstance(trust, str) else "", int(role.max_session_duration))

    def exists(self, kind: str, name: str) -> bool:
        """Whether a role (kind "role") or user of this name exists."""
        iam = self._iam()
        try:
            iam.get_role(name) if kind == "role" else iam.get_user(name)
        except Exception:  # noqa: BLE001 - moto raises its own not-found type
            return False
        return True

    def documents(self, principal: Principal) -> list[str]:
        """The principal's policy documents, read fresh: inline and attached (and its groups' for a user)."""
        for _ in range(3):  # another request thread may change the backend while we read it
            try:
                return self._read_documents(principal)
            except RuntimeError:  # "dictionary changed size during iteration"
                continue
        return self._read_documents(principal)

    def _read_documents(self, principal: Principal) -> list[str]:
        iam = self._iam()
        docs: list[str] = []
        try:
            if principal.kind == "role":
                docs += [iam.get_role_policy(principal.name, n)[1] for n in iam.list_role_policies(principal.name)]
                docs += self._managed(iam, iam.list_attached_role_policies(principal.name)[0])
            else:
                name = principal.name
                docs += [iam.get_user_policy(name, n)["policy_document"] for n in list(iam.list_user_policies(name))]
                docs += self._managed(iam, iam.list_attached_user_policies(name)[0])
                for group in iam.get_groups_for_user(name):
                    docs += [
                        iam.get_group_policy(group.name, n)["policy_document"]
                        for n in iam.list_group_policies(group.name)
                    ]
                    docs += self._managed(iam, iam.list_attached_group_policies(group.name)[0])
        except NotFoundException:
            return []  # the role or user was deleted: its credentials grant nothing
        return docs

    @staticmethod
    def _managed(iam: Any, policies: Iterable[Any]) -> list[str]:
        return [iam.get_policy_version(p.arn, p.default_version_id).document for p in policies]
