"""Deploy Lambda code, set its environment variables, and describe it (sections 7 and 8.2)."""

from __future__ import annotations

import base64
import difflib
import hashlib
import io
import urllib.request
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from . import naming, waiting
from .config import LAMBDA_SOURCE
from .connect import Connection, current
from .errors import DeploymentError, InvalidInput, ResourceNotFound, aws_code, aws_error
from .i18n import _

DEFAULT_RUNTIME = "python3.12"
DEFAULT_HANDLER = "lambda_function.lambda_handler"
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # every entry gets it, so equal sources give an equal CodeSha256

Sources = str | Path | Iterable[str | Path] | Mapping[str, str | bytes]


@dataclass(frozen=True)
class DeployResult:
    """What deploy_lambda did: the function, its new CodeSha256, and whether the code changed."""

    function_name: str
    function_arn: str
    code_sha256: str
    previous_code_sha256: str | None
    created: bool
    code_changed: bool
    configuration: dict[str, Any] = field(repr=False)

    @property
    def unchanged(self) -> bool:
        return not self.created and not self.code_changed


@dataclass(frozen=True)
class EnvUpdate:
    """Environment variables of a function before and after set_env_vars."""

    function_name: str
    before: dict[str, str]
    after: dict[str, str]


def inference_lambda_files(paths: Iterable[str | Path] = (LAMBDA_SOURCE,)) -> list[Path]:
    """The files of ``paths``, where the kit's lambda_function.py brings inference_support.py beside it.

    The inference Lambda's handler imports that module, so both go to the zip's root together: deployed
    alone, the handler would fail at import. Other files are kept as given.
    """
    handler = LAMBDA_SOURCE.resolve()
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        files.append(path)
        if path.is_file() and path.resolve() == handler:
            files.append(handler.with_name("inference_support.py"))
    return files


def package(sources: Sources) -> bytes:
    """Zip Lambda sources deterministically (same content, same bytes, same CodeSha256).

    ``sources`` is a file, a folder (its contents go to the zip's root), several of them, or a
    mapping of archive names to file contents. The kit's lambda_function.py is zipped with the
    module it imports (see inference_lambda_files).
    """
    entries: dict[str, bytes] = {}
    if isinstance(sources, Mapping):
        for arcname, content in sources.items():
            entries[arcname] = content.encode() if isinstance(content, str) else content
    else:
        paths = inference_lambda_files([sources] if isinstance(sources, str | Path) else sources)
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                for file in sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                    entries[file.relative_to(path).as_posix()] = file.read_bytes()
            elif path.is_file():
                entries[path.name] = path.read_bytes()
            else:
                raise InvalidInput(
                    _("source {value!r} does not exist").format(value=str(path)),
                    resource=str(path),
                    fix=_("check the path of the Lambda code"),
                )
    if not entries:
        raise InvalidInput(_("nothing to deploy: the sources are empty"), resource="sources")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname in sorted(entries):
            info = zipfile.ZipInfo(arcname, date_time=_FIXED_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, entries[arcname])
    return buf.getvalue()


def code_sha256(zip_bytes: bytes) -> str:
    """The CodeSha256 Lambda reports for a package: base64 of its SHA-256."""
    return base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()


def _function(conn: Connection, name: str) -> dict[str, Any] | None:
    try:
        return conn.client("lambda").get_function_configuration(FunctionName=name)
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            return None
        raise aws_error(exc, f"function {name}") from exc


def _not_found(name: str) -> ResourceNotFound:
    return ResourceNotFound(
        _("Lambda function {name!r} does not exist in this account and region").format(name=name),
        resource=f"function {name}",
        fix=_("deploy it first with deploy_lambda(), or check the name and the participant prefix"),
    )


def _role_arn(conn: Connection, role: str) -> str:
    role_name = naming.role_name_of(role)
    try:
        return conn.client("iam").get_role(RoleName=role_name)["Role"]["Arn"]
    except ClientError as exc:
        if aws_code(exc) == "NoSuchEntity":
            raise ResourceNotFound(
                _("IAM role {role_name!r} does not exist, so no function can run as it").format(role_name=role_name),
                resource=f"role {role_name}",
                fix=_("create it with ensure_execution_role() first"),
            ) from exc
        raise aws_error(exc, f"role {role_name}") from exc


LAMBDA_WAIT_S = 600.0  # Pending -> Active, InProgress -> Successful: seconds usually, minutes at worst
NEW_ROLE_WAIT_S = 120.0  # a new IAM role reaches Lambda within seconds


def _wait(conn: Connection, waiter: str, name: str) -> dict[str, Any]:
    """Poll the function's configuration until it is Active (``waiter`` "function_active_v2") or until its
    last update is done ("function_updated_v2"), as boto3's waiters of those names do; its configuration."""
    field_name, done = ("State", "Active") if waiter == "function_active_v2" else ("LastUpdateStatus", "Successful")

    def observe() -> dict[str, Any] | waiting.NotYet:
        cfg = _function(conn, name)
        if cfg is None:
            raise _not_found(name)
        status = cfg.get(field_name)
        if status == done:
            return cfg
        if status == "Failed":
            reason = cfg.get("LastUpdateStatusReason") or cfg.get("StateReason")
            raise DeploymentError(
                _(
                    "function {name!r} did not become ready: State={value}, LastUpdateStatus={value2}, reason={reason}"
                ).format(name=name, value=cfg.get("State"), value2=cfg.get("LastUpdateStatus"), reason=reason),
                resource=f"function {name}",
                fix=_("read the reason above; fix the code or configuration and deploy again"),
            )
        return waiting.NotYet(f"{field_name} {status}")

    return waiting.poll(
        observe,
        what=f"function {name} to be {done}",
        timeout=LAMBDA_WAIT_S,
        fix=_("look at the function in the Lambda console; deploy again"),
        rule=waiting.LAMBDA_UPDATE,
    )


def _create_function(conn: Connection, name: str, zip_bytes: bytes, settings: dict[str, Any]) -> None:
    """CreateFunction, made again while the role is too new for Lambda to assume it."""
    role = naming.role_name_of(settings["Role"])
    try:
        waiting.call_with_retry(
            lambda: conn.client("lambda").create_function(
                FunctionName=name,
                Code={"ZipFile": zip_bytes},
                Publish=False,
                Tags=conn.tags,
                Description="Inference Lambda of the inference-metadata workshop",
                **settings,
            ),
            what=f"role {role} to be usable by Lambda (a new role takes seconds)",
            timeout=NEW_ROLE_WAIT_S,
            fix=_("check that the role exists and trusts lambda.amazonaws.com (ensure_execution_role())"),
            rule=waiting.IAM_NEW_ROLE,
            # A new IAM role takes a few seconds to reach Lambda: "... cannot be assumed by Lambda." meanwhile.
            retry_if=waiting.refused_with("cannot be assumed", "the role cannot be assumed by Lambda yet"),
        )
    except ClientError as exc:
        raise aws_error(
            exc,
            f"function {name}",
            message=_("could not create function {name!r}: {exc}").format(name=name, exc=exc),
            fix=_("check the role, runtime and handler above"),
            kind=DeploymentError,
        ) from exc


def deploy_lambda(
    name: str | None = None,
    sources: Sources | None = None,
    role: str | None = None,
    *,
    handler: str = DEFAULT_HANDLER,
    runtime: str = DEFAULT_RUNTIME,
    timeout: int = 30,
    memory: int = 256,
    conn: Connection | None = None,
) -> DeployResult:
    """Create the function, or update its code and configuration; wait until it is ready.

    Defaults: the workshop's function name, lambda_function.py (with inference_support.py), and the
    workshop's role. An unchanged package is reported as unchanged (``result.unchanged``) and not
    uploaded again.
    """
    conn = conn or current()
    name = naming.function_name(name or conn.names.function)
    zip_bytes = package(sources if sources is not None else LAMBDA_SOURCE)
    new_sha = code_sha256(zip_bytes)
    role_arn = _role_arn(conn, role or conn.names.role)
    lam = conn.client("lambda")
    settings = {"Role": role_arn, "Handler": handler, "Runtime": runtime, "Timeout": timeout, "MemorySize": memory}
    existing = _function(conn, name)
    if existing is None:
        _create_function(conn, name, zip_bytes, settings)
        cfg = _wait(conn, "function_active_v2", name)
        return DeployResult(name, cfg["FunctionArn"], cfg["CodeSha256"], None, True, True, cfg)

    previous_sha = existing["CodeSha256"]
    code_changed = previous_sha != new_sha
    if code_changed:
        lam.update_function_code(FunctionName=name, ZipFile=zip_bytes)
        _wait(conn, "function_updated_v2", name)
    if any(existing.get(k) != v for k, v in settings.items()):
        lam.update_function_configuration(FunctionName=name, **settings)
    cfg = _wait(conn, "function_updated_v2", name)
    return DeployResult(name, cfg["FunctionArn"], cfg["CodeSha256"], previous_sha, False, code_changed, cfg)


def set_env_vars(name: str | None = None, *, conn: Connection | None = None, **variables: str) -> EnvUpdate:
    """Merge ``variables`` into the function's environment (others are kept), wait, return before/after."""
    conn = conn or current()
    name = naming.function_name(name or conn.names.function)
    if not variables:
        raise InvalidInput(
            _("no variables given"), resource=f"function {name}", fix="e.g. set_env_vars(ENDPOINT_NAME='...')"
        )
    clean = naming.env_vars(name, variables)
    existing = _function(conn, name)
    if existing is None:
        raise _not_found(name)
    before = dict(existing.get("Environment", {}).get("Variables", {}))
    after = before | clean
    size = naming.env_vars_size(after)
    if size > naming.ENV_VARS_MAX_BYTES:
        raise InvalidInput(
            _("the environment variables would take {size} bytes; Lambda allows {env_vars_max_bytes}").format(
                size=size, env_vars_max_bytes=naming.ENV_VARS_MAX_BYTES
            ),
            resource=f"function {name}",
            fix=_("keep large values elsewhere (S3, SSM Parameter Store) and pass their names"),
        )
    if after != before:
        _wait(conn, "function_updated_v2", name)  # an update in progress would refuse this one
        conn.client("lambda").update_function_configuration(FunctionName=name, Environment={"Variables": after})
        cfg = _wait(conn, "function_updated_v2", name)
        after = dict(cfg.get("Environment", {}).get("Variables", {}))
    return EnvUpdate(name, before, after)


def describe_function(name: str | None = None, *, conn: Connection | None = None) -> dict[str, Any]:
    """What the Lambda console's first page shows: runtime, handler, role, variables, code sha."""
    conn = conn or current()
    name = naming.function_name(name or conn.names.function)
    cfg = _function(conn, name)
    if cfg is None:
        raise _not_found(name)
    return {
        "FunctionName": cfg["FunctionName"],
        "Runtime": cfg.get("Runtime"),
        "Handler": cfg.get("Handler"),
        "Role": cfg.get("Role"),
        "Timeout": cfg.get("Timeout"),
        "MemorySize": cfg.get("MemorySize"),
        "Variables": dict(cfg.get("Environment", {}).get("Variables", {})),
        "LastModified": cfg.get("LastModified"),
        "CodeSha256": cfg.get("CodeSha256"),
        "State": cfg.get("State"),
        "LastUpdateStatus": cfg.get("LastUpdateStatus"),
    }


def deployed_code(name: str | None = None, *, conn: Connection | None = None) -> dict[str, str]:
    """The files of the deployed package (text files only), downloaded from GetFunction's Code.Location."""
    conn = conn or current()
    name = naming.function_name(name or conn.names.function)
    try:
        location = conn.client("lambda").get_function(FunctionName=name)["Code"]["Location"]
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            raise _not_found(name) from exc
        raise aws_error(exc, f"function {name}") from exc
    with urllib.request.urlopen(location, timeout=30) as resp:  # a presigned S3 URL, or the local cloud's
        data = resp.read()
    files: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            if not info.is_dir():
                try:
                    files[info.filename] = zf.read(info).decode("utf-8")
                except UnicodeDecodeError:
                    files[info.filename] = f"<binary, {info.file_size} bytes>"
    return files


def code_diff(name: str | None = None, source: str | Path = LAMBDA_SOURCE, *, conn: Connection | None = None) -> str:
    """A unified diff from the deployed lambda_function.py to the local ``source`` ('' when equal)."""
    source = Path(source)
    deployed = deployed_code(name, conn=conn).get(source.name, "")
    return "".join(
        difflib.unified_diff(
            deployed.splitlines(keepends=True),
            source.read_text(encoding="utf-8").splitlines(keepends=True),
            fromfile=f"deployed/{source.name}",
            tofile=f"local/{source.name}",
        )
    )


def delete_lambda(name: str | None = None, *, conn: Connection | None = None) -> bool:
    """Delete the function; False when it did not exist."""
    conn = conn or current()
    name = naming.function_name(name or conn.names.function)
    try:
        conn.client("lambda").delete_function(FunctionName=name)
        return True
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            return False
        raise aws_error(exc, f"function {name}") from exc
