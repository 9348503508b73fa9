"""diagnose(): the seed's troubleshooting box as one call.

"If nothing is written, check the Lambda's IAM permissions, check the table name and the
environment variables, and read the function's CloudWatch Logs": each of those is a check here,
made with the same AWS APIs on both targets (IAM SimulatePrincipalPolicy for the permissions).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from .config import LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE
from .connect import Connection, current
from .errors import aws_code, aws_error
from .logs import filter_events

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
    try:
        cfg = conn.client("lambda").get_function_configuration(FunctionName=function)
    except ClientError as exc:
        result.checks.append(
            Check("function", False, f"{function} does not exist ({aws_code(exc)})", "deploy it: deploy_lambda()")
        )
        return result
    result.checks.append(Check("function", True, f"{function}: {cfg.get('Runtime')}, state {cfg.get('State')}"))
    variables = cfg.get("Environment", {}).get("Variables", {})
    table, endpoint = variables.get(LAMBDA_ENV_TABLE), variables.get(LAMBDA_ENV_ENDPOINT)
    result.checks.append(_check_variables(variables))
    if table:
        result.checks.append(_check_table(conn, table))
    if endpoint:
        result.checks.append(_check_endpoint(conn, endpoint))
    if table:
        table_arn = conn.arn("dynamodb", f"table/{table}")
        fix = "attach_policy(template='metadata-write')"
        result.checks.append(_check_permission(conn, cfg["Role"], "dynamodb:PutItem", table_arn, fix))
    if endpoint:
        endpoint_arn = conn.arn("sagemaker", f"endpoint/{endpoint.lower()}")
        fix = "attach_policy(template='invoke-endpoint')"
        result.checks.append(_check_permission(conn, cfg["Role"], "sagemaker:InvokeEndpoint", endpoint_arn, fix))
    result.log_errors = _log_errors(conn, function, since_minutes)
    result.checks.append(_check_log_errors(result.log_errors, since_minutes))
    return result


def _check_variables(variables: dict[str, str]) -> Check:
    missing = [v for v in (LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE) if not variables.get(v)]
    if missing:
        return Check(
            "environment variables",
            False,
            f"missing: {', '.join(missing)}",
            f"set_env_vars({', '.join(f'{m}=...' for m in missing)})",
        )
    found = f"{LAMBDA_ENV_ENDPOINT}={variables[LAMBDA_ENV_ENDPOINT]}, {LAMBDA_ENV_TABLE}={variables[LAMBDA_ENV_TABLE]}"
    return Check("environment variables", True, found)


def _check_log_errors(log_errors: list[str], since_minutes: float) -> Check:
    if not log_errors:
        return Check("recent log errors", True, f"none in the last {since_minutes:g} min")
    return Check(
        "recent log errors",
        False,
        f"{len(log_errors)} error line(s) in the last {since_minutes:g} min",
        "read them below (or recent_log_lines()) and fix what they name",
    )


def _check_status(
    check: str, variable: str, value: str, read_status: Callable[[], str], missing_code: str, ready: str, fix: str
) -> Check:
    """A resource named by a function variable: it exists (``missing_code`` says it does not) and is ``ready``."""
    try:
        status = read_status()
    except ClientError as exc:
        if aws_code(exc) != missing_code:
            raise aws_error(exc, f"{check} {value}") from exc
        return Check(check, False, f"{variable}={value}, but no such {check} exists", fix)
    ok = status == ready
    return Check(check, ok, f"{value}: {status}", "" if ok else f"wait until it is {ready}")


def _check_table(conn: Connection, table: str) -> Check:
    ddb = conn.client("dynamodb")
    return _check_status(
        "table",
        LAMBDA_ENV_TABLE,
        table,
        lambda: ddb.describe_table(TableName=table)["Table"]["TableStatus"],
        "ResourceNotFoundException",
        "ACTIVE",
        f"set_env_vars({LAMBDA_ENV_TABLE}={conn.names.table!r}) or create_metadata_table()",
    )


def _check_endpoint(conn: Connection, endpoint: str) -> Check:
    sm = conn.client("sagemaker")
    return _check_status(
        "endpoint",
        LAMBDA_ENV_ENDPOINT,
        endpoint,
        lambda: sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"],
        "ValidationException",
        "InService",
        f"set_env_vars({LAMBDA_ENV_ENDPOINT}={conn.names.endpoint!r}) or deploy the endpoint",
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
    start = int((time.time() - since_minutes * 60) * 1000)
    lines: list[str] = []
    try:
        events = filter_events(
            conn, f"/aws/lambda/{function}", startTime=start, PaginationConfig={"MaxItems": 2000}
        )  # a read refused by FilterLogEvents' rate limit is made again
        lines += [e["message"].rstrip() for e in events if any(m in e["message"] for m in LOG_ERROR_MARKERS)]
    except ClientError as exc:
        if aws_code(exc) != "ResourceNotFoundException":
            raise aws_error(exc, f"log group /aws/lambda/{function}") from exc
    return lines
