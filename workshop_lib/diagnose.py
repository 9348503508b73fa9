"""diagnose(): the seed's troubleshooting box as one call.

"If nothing is written, check the Lambda's IAM permissions, check the table name and the
environment variables, and read the function's CloudWatch Logs": each of those is a check here,
made with the same AWS APIs on both targets (IAM SimulatePrincipalPolicy for the permissions).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from .config import LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE
from .connect import Connection, current

LOG_ERROR_MARKERS = ("ERROR", "AccessDenied", "Traceback", "Task timed out", "Runtime.", "not authorized")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass
class Diagnosis:
    """The checks, in the order the troubleshooting box gives them."""

    function: str
    checks: list[Check] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"check": c.name, "ok": "yes" if c.ok else "NO", "detail": c.detail, "fix": c.fix} for c in self.checks]
        )

    def __str__(self) -> str:
        lines = [
            f"diagnosis of {self.function}: {'all checks pass' if self.ok else f'{len(self.problems)} problem(s)'}"
        ]
        for c in self.checks:
            lines.append(
                f"  [{'ok' if c.ok else 'NO'}] {c.name}: {c.detail}" + (f"\n       -> {c.fix}" if c.fix else "")
            )
        if self.log_errors:
            lines.append("  recent error lines in the function's logs:")
            lines += [f"    {line}" for line in self.log_errors[-10:]]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return f"<p><b>{self.function}</b>: {'all checks pass' if self.ok else 'problems found'}</p>" + (
            self.to_frame().to_html(index=False)
        )


def diagnose(function: str | None = None, *, since_minutes: float = 15, conn: Connection | None = None) -> Diagnosis:
    """Check the function's variables, table, endpoint, permissions and recent log errors."""
    conn = conn or current()
    function = function or conn.names.function
    result = Diagnosis(function)
    add = result.checks.append
    try:
        cfg = conn.client("lambda").get_function_configuration(FunctionName=function)
    except ClientError as exc:
        add(
            Check(
                "function",
                False,
                f"{function} does not exist ({exc.response['Error']['Code']})",
                "deploy it: deploy_lambda()",
            )
        )
        return result
    add(Check("function", True, f"{function}: {cfg.get('Runtime')}, state {cfg.get('State')}"))
    variables = cfg.get("Environment", {}).get("Variables", {})
    table, endpoint = variables.get(LAMBDA_ENV_TABLE), variables.get(LAMBDA_ENV_ENDPOINT)
    missing = [v for v in (LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE) if not variables.get(v)]
    add(
        Check(
            "environment variables",
            not missing,
            f"missing: {', '.join(missing)}"
            if missing
            else f"{LAMBDA_ENV_ENDPOINT}={endpoint}, {LAMBDA_ENV_TABLE}={table}",
            f"set_env_vars({', '.join(f'{m}=...' for m in missing)})" if missing else "",
        )
    )
    if table:
        add(_check_table(conn, table))
    if endpoint:
        add(_check_endpoint(conn, endpoint))
    role_arn = cfg["Role"]
    if table:
        add(
            _check_permission(
                conn,
                role_arn,
                "dynamodb:PutItem",
                conn.arn("dynamodb", f"table/{table}"),
                "attach_policy(template='metadata-write')",
            )
        )
    if endpoint:
        add(
            _check_permission(
                conn,
                role_arn,
                "sagemaker:InvokeEndpoint",
                conn.arn("sagemaker", f"endpoint/{endpoint.lower()}"),
                "attach_policy(template='invoke-endpoint')",
            )
        )
    result.log_errors = _log_errors(conn, function, since_minutes)
    add(
        Check(
            "recent log errors",
            not result.log_errors,
            f"{len(result.log_errors)} error line(s) in the last {since_minutes:g} min"
            if result.log_errors
            else f"none in the last {since_minutes:g} min",
            "read them below (or recent_log_lines()) and fix what they name" if result.log_errors else "",
        )
    )
    return result


def _check_table(conn: Connection, table: str) -> Check:
    try:
        status = conn.client("dynamodb").describe_table(TableName=table)["Table"]["TableStatus"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return Check(
                "table",
                False,
                f"{LAMBDA_ENV_TABLE}={table}, but no such table exists",
                f"set_env_vars({LAMBDA_ENV_TABLE}={conn.names.table!r}) or create_metadata_table()",
            )
        raise
    return Check("table", status == "ACTIVE", f"{table}: {status}", "" if status == "ACTIVE" else "wait for ACTIVE")


def _check_endpoint(conn: Connection, endpoint: str) -> Check:
    try:
        status = conn.client("sagemaker").describe_endpoint(EndpointName=endpoint)["EndpointStatus"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ValidationException":
            return Check(
                "endpoint",
                False,
                f"{LAMBDA_ENV_ENDPOINT}={endpoint}, but no such endpoint exists",
                f"set_env_vars({LAMBDA_ENV_ENDPOINT}={conn.names.endpoint!r}) or deploy the endpoint",
            )
        raise
    return Check(
        "endpoint",
        status == "InService",
        f"{endpoint}: {status}",
        "" if status == "InService" else "wait until it is InService",
    )


def _check_permission(conn: Connection, role_arn: str, action: str, resource: str, fix: str) -> Check:
    resp: dict[str, Any] = conn.client("iam").simulate_principal_policy(
        PolicySourceArn=role_arn, ActionNames=[action], ResourceArns=[resource]
    )
    decision = resp["EvaluationResults"][0]["EvalDecision"]
    ok = decision == "allowed"
    return Check(
        f"permission {action}", ok, f"{decision} on {resource} for {role_arn.rsplit('/', 1)[-1]}", "" if ok else fix
    )


def _log_errors(conn: Connection, function: str, since_minutes: float) -> list[str]:
    logs = conn.client("logs")
    start = int((time.time() - since_minutes * 60) * 1000)
    lines: list[str] = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(
            logGroupName=f"/aws/lambda/{function}", startTime=start, PaginationConfig={"MaxItems": 2000}
        ):
            lines += [
                e["message"].rstrip() for e in page["events"] if any(m in e["message"] for m in LOG_ERROR_MARKERS)
            ]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    return lines
