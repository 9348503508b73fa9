"""diagnose(): the seed's troubleshooting box as one call.

"If nothing is written, check the Lambda's IAM permissions, check the table name and the
environment variables, and read the function's CloudWatch Logs": each of those is a check here,
made with the same AWS APIs on both targets (IAM SimulatePrincipalPolicy for the permissions).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from .config import LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE
from .connect import Connection, current
from .errors import InvalidInput, aws_code, aws_error
from .i18n import _
from .log_view import LogLines, LogRow
from .log_view import columns as log_columns
from .logs import filter_events
from .tables import Table

MARKS = {True: "\N{CHECK MARK}", False: "\N{BALLOT X}"}
LOG_ERROR_MARKERS = ("ERROR", "AccessDenied", "Traceback", "Task timed out", "Runtime.", "not authorized")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass
class Diagnosis:
    """The checks, in the order the troubleshooting box gives them, and the error lines found in the logs.

    ``log_errors`` are the error lines that count (since ``errors_since`` when given, else the whole window);
    ``old_errors`` the ones logged before ``errors_since``: reported, not counted as a problem.
    """

    function: str
    checks: list[Check] = field(default_factory=list)
    log_errors: LogLines = field(default_factory=LogLines)
    old_errors: LogLines = field(default_factory=LogLines)
    errors_since: datetime | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def summary(self) -> str:
        """One line: how many checks passed, and which failed."""
        if self.ok:
            return _("{function}: all {count} checks pass").format(function=self.function, count=len(self.checks))
        return _("{function}: {failed} of {count} checks fail ({names})").format(
            function=self.function,
            failed=len(self.problems),
            count=len(self.checks),
            names=", ".join(c.name for c in self.problems),
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"check": c.name, "ok": MARKS[c.ok], "detail": c.detail, "fix": c.fix} for c in self.checks]
        )

    def checks_table(self) -> Table:
        rows = [(MARKS[c.ok], c.name, c.detail, c.fix) for c in self.checks]
        tones = ["ok" if c.ok else "bad" for c in self.checks]
        return Table.of(
            ("", _("check"), _("what was found"), _("fix")),
            rows,
            title=_("diagnose(): {summary}").format(summary=self.summary),
            tones=tones,
        )

    def errors_table(self) -> Table | None:
        """The error lines that count, each once; None when there are none."""
        rows = [r.cells() for r in _distinct(self.log_errors.rows())]
        if not rows:
            return None
        if self.errors_since:
            title = _("error lines in the function's logs since {moment}: {count}").format(
                moment=clock_of(self.errors_since), count=len(rows)
            )
        else:
            title = _("error lines in the function's logs: {count}").format(count=len(rows))
        return Table.of(log_columns(), rows, title=title, tones=["bad"] * len(rows), marked=1)

    def old_errors_table(self) -> Table | None:
        """The error lines logged before ``errors_since``, each once (reported, not counted); None when none."""
        rows = [r.cells() for r in _distinct(self.old_errors.rows())]
        if not rows:
            return None
        title = _("older error lines (before {moment}), not counted: {count}").format(
            moment=clock_of(self.errors_since), count=len(rows)
        )
        return Table.of(log_columns(), rows, title=title, tones=["old"] * len(rows))

    def __str__(self) -> str:
        tables = [self.checks_table(), self.errors_table(), self.old_errors_table()]
        return "\n\n".join(str(t) for t in tables if t is not None)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        errors, old = self.errors_table(), self.old_errors_table()
        out = self.checks_table()._repr_html_() + (errors._repr_html_() if errors else "")
        if old:  # folded: they were shown when they happened
            body = replace(old, title="")._repr_html_()
            out += f"<details><summary>{html.escape(old.title)}</summary>{body}</details>"
        return out


def _distinct(rows: list[LogRow]) -> list[LogRow]:
    """Each (requestId, message, details) once: a line read twice (overlapping windows) shows once."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for row in rows:
        key = (row.request_id, row.message, row.details)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def clock_of(moment: datetime | None) -> str:
    """A moment as HH:MM:SS UTC (how the error tables name it)."""
    return moment.astimezone(UTC).strftime("%H:%M:%S UTC") if moment else ""


def diagnose(
    function: str | None = None,
    *,
    since_minutes: float = 15,
    errors_since: datetime | None = None,
    conn: Connection | None = None,
) -> Diagnosis:
    """Check the function's variables, table, endpoint, permissions and recent log errors.

    The logs are read for the last ``since_minutes``. With ``errors_since`` (an aware datetime, e.g. the
    moment a problem was repaired), only error lines logged from then on fail the check; older ones are
    reported as old. Shown in a notebook, the diagnosis is a table of checks (✓/✗, what was found, the fix),
    then the error lines, each once.
    """
    if since_minutes <= 0:
        raise InvalidInput(
            _("since_minutes must be positive, not {since_minutes}").format(since_minutes=since_minutes),
            fix=_("for example since_minutes=15"),
        )
    if errors_since is not None and errors_since.tzinfo is None:
        raise InvalidInput(
            _("errors_since has no time zone: {errors_since}").format(errors_since=errors_since),
            fix=_("use datetime.now(timezone.utc) or another aware time"),
        )
    conn = conn or current()
    function = function or conn.names.function
    result = Diagnosis(function, errors_since=errors_since)
    try:
        cfg = conn.client("lambda").get_function_configuration(FunctionName=function)
    except ClientError as exc:
        found = _("{function} does not exist ({code})").format(function=function, code=aws_code(exc))
        result.checks.append(Check(_("function"), False, found, _("deploy it: deploy_lambda()")))
        return result
    found = _("{function}: {runtime}, state {state}").format(
        function=function, runtime=cfg.get("Runtime"), state=cfg.get("State")
    )
    result.checks.append(Check(_("function"), True, found))
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
    result.log_errors, result.old_errors = _split(_log_errors(conn, function, since_minutes), errors_since)
    result.checks.append(_check_log_errors(result, since_minutes))
    return result


def _check_variables(variables: dict[str, str]) -> Check:
    missing = [v for v in (LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE) if not variables.get(v)]
    if missing:
        return Check(
            _("environment variables"),
            False,
            _("missing: {names}").format(names=", ".join(missing)),
            f"set_env_vars({', '.join(f'{m}=...' for m in missing)})",
        )
    found = f"{LAMBDA_ENV_ENDPOINT}={variables[LAMBDA_ENV_ENDPOINT]}, {LAMBDA_ENV_TABLE}={variables[LAMBDA_ENV_TABLE]}"
    return Check(_("environment variables"), True, found)


def _check_log_errors(result: Diagnosis, since_minutes: float) -> Check:
    if result.errors_since:
        window = _("since {moment}").format(moment=clock_of(result.errors_since))
    else:
        window = _("in the last {minutes:g} min").format(minutes=since_minutes)
    old = ""
    if result.old_errors:
        old = _("; {count} older line(s), logged before it, shown below as old").format(count=len(result.old_errors))
    name = _("recent log errors")
    if not result.log_errors:
        return Check(name, True, _("no error line {window}{old}").format(window=window, old=old))
    return Check(
        name,
        False,
        _("{count} error line(s) {window}{old}").format(count=len(result.log_errors), window=window, old=old),
        _("read them below (or recent_log_lines()) and fix what they name"),
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
        return Check(
            check,
            False,
            _("{variable}={value}, but no such {check} exists").format(variable=variable, value=value, check=check),
            fix,
        )
    ok = status == ready
    return Check(check, ok, f"{value}: {status}", "" if ok else _("wait until it is {ready}").format(ready=ready))


def _check_table(conn: Connection, table: str) -> Check:
    ddb = conn.client("dynamodb")
    return _check_status(
        _("table"),
        LAMBDA_ENV_TABLE,
        table,
        lambda: ddb.describe_table(TableName=table)["Table"]["TableStatus"],
        "ResourceNotFoundException",
        "ACTIVE",
        _("{call} or create_metadata_table()").format(call=f"set_env_vars({LAMBDA_ENV_TABLE}={conn.names.table!r})"),
    )


def _check_endpoint(conn: Connection, endpoint: str) -> Check:
    sm = conn.client("sagemaker")
    return _check_status(
        _("endpoint"),
        LAMBDA_ENV_ENDPOINT,
        endpoint,
        lambda: sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"],
        "ValidationException",
        "InService",
        _("{call} or deploy the endpoint").format(call=f"set_env_vars({LAMBDA_ENV_ENDPOINT}={conn.names.endpoint!r})"),
    )


def _check_permission(conn: Connection, role_arn: str, action: str, resource: str, fix: str) -> Check:
    resp: dict[str, Any] = conn.client("iam").simulate_principal_policy(
        PolicySourceArn=role_arn, ActionNames=[action], ResourceArns=[resource]
    )
    decision = resp["EvaluationResults"][0]["EvalDecision"]
    ok = decision == "allowed"
    found = _("{decision} on {resource} for {role}").format(
        decision=decision, resource=resource, role=role_arn.rsplit("/", 1)[-1]
    )
    return Check(_("permission {action}").format(action=action), ok, found, "" if ok else fix)


def _split(errors: LogLines, since: datetime | None) -> tuple[LogLines, LogLines]:
    """(the lines logged from ``since`` on, the older ones); every line is new when ``since`` is None."""
    cut = since.timestamp() * 1000 if since else None
    new = [(line, at) for line, at in zip(errors, errors.times, strict=True) if cut is None or (at or 0) >= cut]
    old = [(line, at) for line, at in zip(errors, errors.times, strict=True) if cut is not None and (at or 0) < cut]
    return LogLines([x for x, _t in new], [t for _x, t in new]), LogLines([x for x, _t in old], [t for _x, t in old])


def _log_errors(conn: Connection, function: str, since_minutes: float) -> LogLines:
    """The error lines of the window, oldest first, with their timestamps."""
    start = int((time.time() - since_minutes * 60) * 1000)
    try:
        events = filter_events(
            conn, f"/aws/lambda/{function}", startTime=start, PaginationConfig={"MaxItems": 2000}
        )  # a read refused by FilterLogEvents' rate limit is made again
    except ClientError as exc:
        if aws_code(exc) != "ResourceNotFoundException":
            raise aws_error(exc, f"log group /aws/lambda/{function}") from exc
        return LogLines()
    errors = [e for e in events if any(m in e["message"] for m in LOG_ERROR_MARKERS)]
    errors.sort(key=lambda e: e["timestamp"])
    return LogLines([e["message"].rstrip().replace("\r", "\n") for e in errors], [e["timestamp"] for e in errors])
