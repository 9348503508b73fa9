"""IAM for the workshop: the Lambda's execution role and the policies in policies/ (section 8.2, step 4)."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError, WaiterError

from . import naming
from .config import POLICIES_DIR, tag_list
from .connect import Connection, current
from .errors import DeploymentError, PolicyError, ResourceConflict, ResourceNotFound, aws_code, aws_error
from .i18n import _

LAMBDA_TRUST_TEMPLATE = "trust-lambda"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def template_path(template: str | Path) -> Path:
    """policies/<template>.json for a bare name, else the path itself."""
    path = Path(template)
    if path.suffix != ".json" and path.parent == Path("."):
        path = POLICIES_DIR / f"{template}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in POLICIES_DIR.glob("*.json")))
        raise PolicyError(
            _("no policy template {value!r}").format(value=str(template)),
            resource=str(path),
            fix=_("use one of: {known}").format(known=known),
        )
    return path


def placeholders(template: str | Path) -> set[str]:
    """The ${names} a template needs."""
    text = template_path(template).read_text(encoding="utf-8")
    return {a or b for a, b in _PLACEHOLDER.findall(text)}


def default_values(conn: Connection) -> dict[str, str]:
    """Placeholder values from the connection: region, account_id, table, endpoint (lower-case), function."""
    return {
        "region": conn.region,
        "account_id": conn.account_id,
        "table": conn.names.table,
        "endpoint": conn.names.endpoint.lower(),  # AWS lower-cases endpoint names in ARNs
        "function": conn.names.function,
        "role": conn.names.role,
        "bucket": conn.bucket,
    }


def render_policy(template: str | Path, **values: str) -> dict[str, Any]:
    """Fill a policy template; refuse unfilled placeholders and anything that is not an IAM document."""
    path = template_path(template)
    text = path.read_text(encoding="utf-8")
    missing = sorted(placeholders(path) - values.keys())
    if missing:
        raise PolicyError(
            _("policy template {name} has unfilled placeholders: {value}").format(
                name=path.name, value=", ".join("${" + m + "}" for m in missing)
            ),
            resource=path.name,
            fix="pass a value for each, e.g. " + ", ".join(f"{m}='...'" for m in missing),
        )
    empty = sorted(k for k in placeholders(path) if not str(values[k]).strip())
    if empty:
        raise PolicyError(
            _("empty value for {empty}").format(empty=", ".join(empty)),
            resource=path.name,
            fix=_("pass a non-empty value"),
        )
    try:
        rendered = string.Template(text).substitute({k: str(v) for k, v in values.items()})
        document = json.loads(rendered)
    except (ValueError, KeyError) as exc:
        raise PolicyError(
            _("policy template {name} does not render to valid JSON: {exc}").format(name=path.name, exc=exc),
            resource=path.name,
            fix=_("fix the template (a value with a quote or backslash also breaks it)"),
        ) from exc
    if not isinstance(document, dict) or document.get("Version") != "2012-10-17" or not document.get("Statement"):
        raise PolicyError(
            _("{name} is not an IAM policy document (Version 2012-10-17 and a Statement list)").format(name=path.name),
            resource=path.name,
            fix=_("start from one of the templates in policies/"),
        )
    return document


def _missing_role(role: str) -> ResourceNotFound:
    return ResourceNotFound(
        _("IAM role {role!r} does not exist").format(role=role),
        resource=f"role {role}",
        fix=_("create it with ensure_execution_role(), or check the name and the participant prefix"),
    )


def ensure_execution_role(name: str | None = None, *, conn: Connection | None = None) -> str:
    """Create (or find) a role Lambda can assume; return its ARN.

    An existing role whose trust policy does not let lambda.amazonaws.com assume it is reported,
    not silently reused.
    """
    conn = conn or current()
    name = naming.role_name_of(name or conn.names.role)
    trust = render_policy(LAMBDA_TRUST_TEMPLATE, account_id=conn.account_id)
    description = "Execution role of the inference Lambda (inference-metadata workshop)"
    return ensure_role(conn, name, "lambda.amazonaws.com", trust, description)


def ensure_role(conn: Connection, name: str, service: str, trust: dict[str, Any], description: str) -> str:
    """Create role ``name`` with the trust policy ``trust`` and the kit's tags, or check the existing one; its ARN.

    An existing role whose trust policy does not let ``service`` (e.g. lambda.amazonaws.com) assume
    it is reported, not silently reused.
    """
    iam = conn.client("iam")
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except ClientError as exc:
        if aws_code(exc) != "NoSuchEntity":
            raise aws_error(exc, f"role {name}") from exc
        return _create_role(conn, name, trust, description)
    if not trusts_service(role.get("AssumeRolePolicyDocument", {}), service):
        raise ResourceConflict(
            _(
                "role {name!r} exists but does not trust {service} (its trust policy does not let {service} assume it)"
            ).format(name=name, service=service),
            resource=f"role {name}",
            fix=_(
                "use another role name (connect with a participant prefix), or add {service} to its trust policy"
            ).format(service=service),
        )
    return str(role["Arn"])


def _create_role(conn: Connection, name: str, trust: dict[str, Any], description: str) -> str:
    iam = conn.client("iam")
    try:
        role = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Description=description, Tags=tag_list(conn.tags)
        )["Role"]
        iam.get_waiter("role_exists").wait(RoleName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    except ClientError as exc:
        raise aws_error(exc, f"role {name}") from exc
    except WaiterError as exc:
        raise DeploymentError(
            _("role {name} was created but is not visible yet").format(name=name),
            resource=f"role {name}",
            fix=_("run the step again in a few seconds"),
        ) from exc
    return str(role["Arn"])


_ASSUME_ACTIONS = frozenset({"sts:AssumeRole", "sts:*", "*"})


def trusts_service(document: dict[str, Any] | str, service: str) -> bool:
    """Whether a role's trust policy lets ``service`` (e.g. sagemaker.amazonaws.com) assume the role."""
    if isinstance(document, str):  # IAM returns it URL-encoded; boto3 usually decodes it already
        document = json.loads(unquote(document))
    statements = document.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal")
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        actions = st.get("Action", [])
        actions = {actions} if isinstance(actions, str) else set(actions)
        if st.get("Effect") == "Allow" and service in services and actions & _ASSUME_ACTIONS:
            return True
    return False


def policy_name(template: str | Path, conn: Connection | None = None) -> str:
    stem = Path(template).stem
    names = (conn or current()).names.policy_names
    return names.get(stem, stem)


def attach_policy(
    role: str | None = None, template: str | Path = "metadata-write", *, conn: Connection | None = None, **values: str
) -> dict[str, Any]:
    """Render ``template`` and put it on the role as an inline policy (replacing the same-named one).

    Placeholder values default to the workshop's (region, account_id, table, endpoint, function);
    keyword arguments override them. Returns the rendered document.
    """
    conn = conn or current()
    role = naming.role_name_of(role or conn.names.role)
    document = render_policy(template, **(default_values(conn) | values))
    try:
        conn.client("iam").put_role_policy(
            RoleName=role, PolicyName=policy_name(template, conn), PolicyDocument=json.dumps(document)
        )
    except ClientError as exc:
        if aws_code(exc) == "NoSuchEntity":
            raise _missing_role(role) from exc
        raise aws_error(exc, f"role {role}") from exc
    return document


def detach_policy(
    role: str | None = None, template: str | Path = "metadata-write", *, conn: Connection | None = None
) -> bool:
    """Remove the inline policy put by attach_policy; False when it was not there."""
    conn = conn or current()
    role = naming.role_name_of(role or conn.names.role)
    try:
        conn.client("iam").delete_role_policy(RoleName=role, PolicyName=policy_name(template, conn))
        return True
    except ClientError as exc:
        if aws_code(exc) == "NoSuchEntity":
            if not _role_exists(conn, role):
                raise _missing_role(role) from exc
            return False
        raise aws_error(exc, f"role {role}") from exc


def _role_exists(conn: Connection, role: str) -> bool:
    try:
        conn.client("iam").get_role(RoleName=role)
        return True
    except ClientError as exc:
        if aws_code(exc) == "NoSuchEntity":
            return False
        raise aws_error(exc, f"role {role}") from exc


def role_policies(role: str | None = None, *, conn: Connection | None = None) -> dict[str, dict[str, Any]]:
    """Every inline policy document on the role, by name."""
    conn = conn or current()
    role = naming.role_name_of(role or conn.names.role)
    iam = conn.client("iam")
    try:
        names = [
            n for page in iam.get_paginator("list_role_policies").paginate(RoleName=role) for n in page["PolicyNames"]
        ]
    except ClientError as exc:
        if aws_code(exc) == "NoSuchEntity":
            raise _missing_role(role) from exc
        raise aws_error(exc, f"role {role}") from exc
    out = {}
    for n in names:
        doc = iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]
        out[n] = json.loads(doc) if isinstance(doc, str) else doc
    return out


def delete_role(name: str | None = None, *, conn: Connection | None = None) -> bool:
    """Delete the role and its inline policies; False when it did not exist."""
    conn = conn or current()
    name = naming.role_name_of(name or conn.names.role)
    iam = conn.client("iam")
    if not _role_exists(conn, name):
        return False
    for policy in role_policies(name, conn=conn):
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        for att in page["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=att["PolicyArn"])
    iam.delete_role(RoleName=name)
    return True
