"""IAM for the workshop: the Lambda's execution role and the policies in policies/ (section 8.2, step 4)."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from . import naming
from .config import POLICIES_DIR
from .connect import Connection, current
from .errors import DeploymentError, PolicyError, ResourceConflict, ResourceNotFound

LAMBDA_TRUST_TEMPLATE = "trust-lambda"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def template_path(template: str | Path) -> Path:
    """policies/<template>.json for a bare name, else the path itself."""
    path = Path(template)
    if path.suffix != ".json" and path.parent == Path("."):
        path = POLICIES_DIR / f"{template}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in POLICIES_DIR.glob("*.json")))
        raise PolicyError(f"no policy template {str(template)!r}", resource=str(path), fix=f"use one of: {known}")
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
            f"policy template {path.name} has unfilled placeholders: {', '.join('${' + m + '}' for m in missing)}",
            resource=path.name,
            fix="pass a value for each, e.g. " + ", ".join(f"{m}='...'" for m in missing),
        )
    empty = sorted(k for k in placeholders(path) if not str(values[k]).strip())
    if empty:
        raise PolicyError(f"empty value for {', '.join(empty)}", resource=path.name, fix="pass a non-empty value")
    try:
        rendered = string.Template(text).substitute({k: str(v) for k, v in values.items()})
        document = json.loads(rendered)
    except (ValueError, KeyError) as exc:
        raise PolicyError(
            f"policy template {path.name} does not render to valid JSON: {exc}",
            resource=path.name,
            fix="fix the template (a value with a quote or backslash also breaks it)",
        ) from exc
    if not isinstance(document, dict) or document.get("Version") != "2012-10-17" or not document.get("Statement"):
        raise PolicyError(
            f"{path.name} is not an IAM policy document (Version 2012-10-17 and a Statement list)",
            resource=path.name,
            fix="start from one of the templates in policies/",
        )
    return document


def _role_name(role: str) -> str:
    return naming.role_name(role.rsplit("/", 1)[-1] if role.startswith("arn:") else role)


def _missing_role(role: str) -> ResourceNotFound:
    return ResourceNotFound(
        f"IAM role {role!r} does not exist",
        resource=f"role {role}",
        fix="create it with ensure_execution_role(), or check the name and the participant prefix",
    )


def ensure_execution_role(name: str | None = None, *, conn: Connection | None = None) -> str:
    """Create (or find) a role Lambda can assume; return its ARN.

    An existing role whose trust policy does not let lambda.amazonaws.com assume it is reported,
    not silently reused.
    """
    conn = conn or current()
    name = _role_name(name or conn.names.role)
    iam = conn.client("iam")
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchEntity":
            raise
        trust = render_policy(LAMBDA_TRUST_TEMPLATE, account_id=conn.account_id)
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            Description="Execution role of the inference Lambda (inference-metadata workshop)",
            Tags=[{"Key": k, "Value": v} for k, v in conn.tags.items()],
        )["Role"]
        try:
            iam.get_waiter("role_exists").wait(RoleName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        except WaiterError as werr:
            raise DeploymentError(
                f"role {name} was created but is not visible yet",
                resource=f"role {name}",
                fix="run the step again in a few seconds",
            ) from werr
        return role["Arn"]
    trust = role.get("AssumeRolePolicyDocument", {})
    if isinstance(trust, str):
        trust = json.loads(trust)
    if not _trusts_lambda(trust):
        raise ResourceConflict(
            f"role {name!r} exists but Lambda may not assume it (its trust policy does not name lambda.amazonaws.com)",
            resource=f"role {name}",
            fix="use another role name (a participant prefix), or add lambda.amazonaws.com to its trust policy",
        )
    return role["Arn"]


def _trusts_lambda(trust: dict[str, Any]) -> bool:
    statements = trust.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        services = st.get("Principal", {}).get("Service", [])
        services = [services] if isinstance(services, str) else services
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if st.get("Effect") == "Allow" and "lambda.amazonaws.com" in services and "sts:AssumeRole" in actions:
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
    role = _role_name(role or conn.names.role)
    document = render_policy(template, **(default_values(conn) | values))
    try:
        conn.client("iam").put_role_policy(
            RoleName=role, PolicyName=policy_name(template, conn), PolicyDocument=json.dumps(document)
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchEntity":
            raise _missing_role(role) from exc
        raise
    return document


def detach_policy(
    role: str | None = None, template: str | Path = "metadata-write", *, conn: Connection | None = None
) -> bool:
    """Remove the inline policy put by attach_policy; False when it was not there."""
    conn = conn or current()
    role = _role_name(role or conn.names.role)
    try:
        conn.client("iam").delete_role_policy(RoleName=role, PolicyName=policy_name(template, conn))
        return True
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "NoSuchEntity":
            if not _role_exists(conn, role):
                raise _missing_role(role) from exc
            return False
        raise


def _role_exists(conn: Connection, role: str) -> bool:
    try:
        conn.client("iam").get_role(RoleName=role)
        return True
    except ClientError:
        return False


def role_policies(role: str | None = None, *, conn: Connection | None = None) -> dict[str, dict[str, Any]]:
    """Every inline policy document on the role, by name."""
    conn = conn or current()
    role = _role_name(role or conn.names.role)
    iam = conn.client("iam")
    try:
        names = [
            n for page in iam.get_paginator("list_role_policies").paginate(RoleName=role) for n in page["PolicyNames"]
        ]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchEntity":
            raise _missing_role(role) from exc
        raise
    out = {}
    for n in names:
        doc = iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]
        out[n] = json.loads(doc) if isinstance(doc, str) else doc
    return out


def delete_role(name: str | None = None, *, conn: Connection | None = None) -> bool:
    """Delete the role and its inline policies; False when it did not exist."""
    conn = conn or current()
    name = _role_name(name or conn.names.role)
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
