"""What each notebook needs from the earlier ones: check it, name what is missing, build it on request.

A learner may open any notebook first, for instance 08_2a (the seed's own step). Its first cell after
``connect`` calls ``check_prerequisites("08_2a")``: a table of what the notebook needs (the endpoint, the
role and its policies, the function, the API, the table, ...), which notebook makes each piece, and
whether it is there. When something is missing it shows the one line that builds it,
``prepare_for("08_2a")``, which runs the earlier notebooks' own workshop_lib calls, in their order, for
the missing pieces only (so it is idempotent: a second call builds nothing).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from botocore.exceptions import ClientError

from . import api, deploy, endpoint, iam, metadata
from .config import KIT_ROOT, LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE, LAMBDA_SOURCE
from .connect import Connection, current
from .errors import InvalidInput, ResourceNotFound, WorkshopError
from .notebook import StepFailed, check

SECTION7_SOURCES = KIT_ROOT / "lambda_section7"


@dataclass(frozen=True)
class Piece:
    """One thing an earlier notebook makes: how to see it is there, and that notebook's calls to make it."""

    key: str
    notebook: str  # the notebook that makes it
    describe: Callable[[Connection], str]  # what it is, with the connection's names
    probe: Callable[[Connection], str | None]  # None when it is there, else why it is not
    calls: Callable[[Connection], str]  # the notebook's line(s), as shown to the learner
    build: Callable[[Connection], object]  # the same calls, made


@dataclass(frozen=True)
class Status:
    piece: Piece
    what: str
    missing: str | None  # None: it is there

    @property
    def ok(self) -> bool:
        return self.missing is None


# --- probes: None when the piece is there ----------------------------------------------------------------


def _endpoint(conn: Connection) -> str | None:
    try:
        info = endpoint.describe_endpoint(conn=conn)
    except ResourceNotFound:
        return "does not exist"
    return None if info.in_service else f"exists but is {info.status}, not InService"


def _role(conn: Connection) -> str | None:
    try:
        conn.client("iam").get_role(RoleName=conn.names.role)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchEntity":
            return "does not exist"
        raise
    return None


def _policy(template: str) -> Callable[[Connection], str | None]:
    def probe(conn: Connection) -> str | None:
        if _role(conn) is not None:
            return "the role does not exist"
        name = iam.policy_name(template, conn)
        found = iam.role_policies(conn=conn).get(name)
        if found is None:
            return f"the role has no policy {name}"
        wanted = iam.render_policy(template, **iam.default_values(conn))
        return None if found == wanted else f"the role's {name} is not policies/{template}.json for these names"

    return probe


def _configuration(conn: Connection) -> dict | None:
    try:
        return conn.client("lambda").get_function_configuration(FunctionName=conn.names.function)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise


def _function(conn: Connection) -> str | None:
    return None if _configuration(conn) is not None else "does not exist"


def _sha(sources: object) -> str:
    return deploy.code_sha256(deploy.package(sources))  # type: ignore[arg-type]


def _section7_code(conn: Connection) -> str | None:
    cfg = _configuration(conn)
    if cfg is None:
        return "the function does not exist"
    if cfg["CodeSha256"] == _sha(SECTION7_SOURCES):
        return None
    if cfg["CodeSha256"] == _sha(LAMBDA_SOURCE):
        return "it runs lambda_function.py already (08_2a was run): step 2 would have nothing to replace"
    return "it runs other code than lambda_section7/"


def _new_code(conn: Connection) -> str | None:
    cfg = _configuration(conn)
    if cfg is None:
        return "the function does not exist"
    return None if cfg["CodeSha256"] == _sha(LAMBDA_SOURCE) else "it runs other code than lambda_function.py"


def _variables(*names: str) -> Callable[[Connection], str | None]:
    def probe(conn: Connection) -> str | None:
        cfg = _configuration(conn)
        if cfg is None:
            return "the function does not exist"
        have = cfg.get("Environment", {}).get("Variables", {})
        wanted = _wanted_variables(conn, names)
        wrong = [f"{k}={have.get(k)!r}" for k, v in wanted.items() if have.get(k) != v]
        return None if not wrong else "has " + ", ".join(wrong)

    return probe


def _wanted_variables(conn: Connection, names: tuple[str, ...]) -> dict[str, str]:
    values = {LAMBDA_ENV_ENDPOINT: conn.names.endpoint, LAMBDA_ENV_TABLE: conn.names.table}
    return {n: values[n] for n in names}


def _api(conn: Connection) -> str | None:
    try:
        api.invoke_url(conn)
    except ResourceNotFound as exc:
        return exc.message.replace(f"REST API {conn.names.api!r} ", "")
    return None


def _table(conn: Connection) -> str | None:
    table = metadata.describe_table(conn)
    if table is None:
        return "does not exist"
    indexes = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])}
    return None if conn.names.history_index in indexes else f"has no index {conn.names.history_index}"


# --- builds: the earlier notebooks' own calls ------------------------------------------------------------


def _build_endpoint(conn: Connection) -> object:
    existing = conn.names.existing_endpoint
    return endpoint.use_existing_endpoint(existing, conn=conn) if existing else endpoint.deploy(conn=conn)


def _endpoint_calls(conn: Connection) -> str:
    existing = conn.names.existing_endpoint
    return f"wl.use_existing_endpoint({existing!r})" if existing else "wl.deploy_endpoint()"


def _set_variables(*names: str) -> Callable[[Connection], object]:
    return lambda conn: deploy.set_env_vars(conn=conn, **_wanted_variables(conn, names))


def _variables_calls(*names: str) -> Callable[[Connection], str]:
    attr = {LAMBDA_ENV_ENDPOINT: "conn.names.endpoint", LAMBDA_ENV_TABLE: "conn.names.table"}
    return lambda conn: "wl.set_env_vars(" + ", ".join(f"{n}={attr[n]}" for n in names) + ")"


NB06, NB07, NB08_1, NB08_2A = (
    "06_model_endpoint",
    "07_inference_lambda_and_api",
    "08_1_metadata_table",
    "08_2a_update_lambda",
)

# Every piece, in the order the notebooks make them: prepare_for builds the missing ones in this order.
PIECES: tuple[Piece, ...] = (
    Piece(
        "endpoint",
        NB06,
        lambda c: f"SageMaker endpoint {c.names.endpoint}, InService",
        _endpoint,
        _endpoint_calls,
        _build_endpoint,
    ),
    Piece(
        "role",
        NB07,
        lambda c: f"execution role {c.names.role}",
        _role,
        lambda c: "wl.ensure_execution_role()",
        lambda c: iam.ensure_execution_role(conn=c),
    ),
    Piece(
        "invoke-endpoint policy",
        NB07,
        lambda c: f"the role may invoke the endpoint ({iam.policy_name('invoke-endpoint', c)})",
        _policy("invoke-endpoint"),
        lambda c: 'wl.attach_policy(template="invoke-endpoint")',
        lambda c: iam.attach_policy(template="invoke-endpoint", conn=c),
    ),
    Piece(
        "logs policy",
        NB07,
        lambda c: f"the role may write the function's logs ({iam.policy_name('logs', c)})",
        _policy("logs"),
        lambda c: 'wl.attach_policy(template="logs")',
        lambda c: iam.attach_policy(template="logs", conn=c),
    ),
    Piece(
        "function",
        NB07,
        lambda c: f"Lambda function {c.names.function}",
        _function,
        lambda c: 'wl.deploy_lambda(sources="../lambda_section7")',
        lambda c: deploy.deploy_lambda(sources=SECTION7_SOURCES, conn=c),
    ),
    Piece(
        "section 7 code",
        NB07,
        lambda c: "the function runs section 7's code (08_2a replaces it)",
        _section7_code,
        lambda c: 'wl.deploy_lambda(sources="../lambda_section7")',
        lambda c: deploy.deploy_lambda(sources=SECTION7_SOURCES, conn=c),
    ),
    Piece(
        "ENDPOINT_NAME",
        NB07,
        lambda c: f"the function's {LAMBDA_ENV_ENDPOINT} is {c.names.endpoint}",
        _variables(LAMBDA_ENV_ENDPOINT),
        _variables_calls(LAMBDA_ENV_ENDPOINT),
        _set_variables(LAMBDA_ENV_ENDPOINT),
    ),
    Piece(
        "api",
        NB07,
        lambda c: f"REST API {c.names.api}, POST /inference deployed to {c.names.stage}",
        _api,
        lambda c: "wl.create_rest_api()",
        lambda c: api.create_rest_api(conn=c),
    ),
    Piece(
        "table",
        NB08_1,
        lambda c: f"DynamoDB table {c.names.table} with index {c.names.history_index}",
        _table,
        lambda c: "wl.create_metadata_table()",
        lambda c: metadata.create_metadata_table(conn=c),
    ),
    Piece(
        "new code",
        NB08_2A,
        lambda c: "the function runs lambda_function.py (step 2)",
        _new_code,
        lambda c: 'wl.deploy_lambda(sources="../lambda_function.py")',
        lambda c: deploy.deploy_lambda(sources=LAMBDA_SOURCE, conn=c),
    ),
    Piece(
        "DYNAMODB_TABLE",
        NB08_2A,
        lambda c: f"the function's {LAMBDA_ENV_ENDPOINT} and {LAMBDA_ENV_TABLE} are set (step 3)",
        _variables(LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE),
        _variables_calls(LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE),
        _set_variables(LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE),
    ),
    Piece(
        "metadata-write policy",
        NB08_2A,
        lambda c: f"the role may write the table ({iam.policy_name('metadata-write', c)}, step 4)",
        _policy("metadata-write"),
        lambda c: 'wl.attach_policy(template="metadata-write")',
        lambda c: iam.attach_policy(template="metadata-write", conn=c),
    ),
)

_SECTION7 = ("endpoint", "role", "invoke-endpoint policy", "logs policy", "function", "ENDPOINT_NAME", "api")
# What each notebook needs before its first step (read from the notebooks' cells).
NEEDS: dict[str, tuple[str, ...]] = {
    "00_setup": (),
    NB06: (),
    NB07: ("endpoint",),
    NB08_1: (),
    NB08_2A: (*_SECTION7, "section 7 code", "table"),
    "08_2b_troubleshooting": (*_SECTION7, "table", "new code", "DYNAMODB_TABLE", "metadata-write policy"),
    "09_cleanup": (),
}


def notebook_name(notebook: str) -> str:
    """The full name of a workshop notebook from its number ("08_2a"), its name, or its file name."""
    key = notebook.strip().removesuffix(".ipynb").replace("\\", "/").rsplit("/", 1)[-1]
    matches = [n for n in NEEDS if n == key or n.startswith(f"{key}_")]
    if len(matches) != 1:
        raise InvalidInput(
            f"no workshop notebook {notebook!r}" if not matches else f"{notebook!r} names several notebooks",
            resource="notebook",
            fix="use a notebook's number or name: " + ", ".join(f'"{_short(n)}"' for n in NEEDS),
        )
    return matches[0]


def _short(name: str) -> str:
    parts = name.split("_")
    return "_".join(parts[:2]) if parts[0] == "08" else parts[0]  # "08_2a", "08_1", "06"


def short_name(notebook: str) -> str:
    """The short name: "08_2a" for 08_2a_update_lambda, "06" for 06_model_endpoint: what prepare_for is called with."""
    return _short(notebook_name(notebook))


@dataclass
class Prerequisites:
    """What a notebook needs, each piece with the notebook that makes it and whether it is there."""

    notebook: str
    statuses: list[Status] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.statuses)

    @property
    def missing(self) -> list[Status]:
        return [s for s in self.statuses if not s.ok]

    @property
    def notebooks_to_run(self) -> list[str]:
        """The earlier notebooks that make the missing pieces, in workshop order."""
        return sorted({s.piece.notebook for s in self.missing})

    @property
    def prepare_line(self) -> str:
        return f'wl.prepare_for("{short_name(self.notebook)}")'

    def advice(self) -> str:
        """What to do when something is missing ('' when nothing is)."""
        if self.ok:
            return ""
        runs = ", ".join(self.notebooks_to_run)
        return f"run {runs} first, or build what is missing with their own steps in one call:  {self.prepare_line}"

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {"needed": s.what, "made by": s.piece.notebook, "status": "✔ there" if s.ok else f"✘ missing: {s.missing}"}
            for s in self.statuses
        ]
        return pd.DataFrame(rows, columns=["needed", "made by", "status"])

    def __str__(self) -> str:
        if not self.statuses:
            return f"{self.notebook} needs nothing from the earlier notebooks"
        head = f"{self.notebook} needs {len(self.statuses)} pieces; " + (
            "all are there" if self.ok else f"{len(self.missing)} missing"
        )
        lines = [head] + [
            f"  {'✔' if s.ok else '✘'} {s.what} [{s.piece.notebook}]" + (f": {s.missing}" if s.missing else "")
            for s in self.statuses
        ]
        if not self.ok:
            lines.append(f"  -> {self.advice()}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if not self.statuses:
            return f"<p>{html.escape(str(self))}</p>"
        table = self.to_frame().to_html(index=False, escape=True)
        if self.ok:
            return f"<p><b>{html.escape(self.notebook)}</b>: everything it needs is there</p>{table}"
        runs = html.escape(", ".join(self.notebooks_to_run))
        return (
            f"<p><b>{html.escape(self.notebook)}</b>: {len(self.missing)} of {len(self.statuses)} pieces are "
            f"missing</p>{table}<p>Run <b>{runs}</b> first, or build what is missing with their own steps "
            f"in one call:</p><pre>{html.escape(self.prepare_line)}</pre>"
        )


def prerequisites(notebook: str, *, conn: Connection | None = None) -> Prerequisites:
    """What ``notebook`` needs from the earlier ones, and whether each piece is there (nothing is changed)."""
    conn = conn or current()
    name = notebook_name(notebook)
    wanted = set(NEEDS[name])
    statuses = [Status(p, p.describe(conn), _probe(p, conn)) for p in PIECES if p.key in wanted]
    return Prerequisites(name, statuses)


def _probe(piece: Piece, conn: Connection) -> str | None:
    try:
        return piece.probe(conn)
    except ClientError as exc:  # e.g. AccessDenied on a real account: say so rather than fail the check
        return f"could not check ({exc.response['Error']['Code']}: {exc.response['Error'].get('Message', '')})"


def check_prerequisites(notebook: str, *, conn: Connection | None = None) -> Prerequisites:
    """The notebook's first check: show what it needs; raise StepFailed naming what is missing and the fix."""
    from IPython.display import display

    report = prerequisites(notebook, conn=conn)
    if not report.ok:
        display(report)
        raise StepFailed(
            f"CHECK FAILED: {report.notebook} needs {len(report.missing)} pieces that are missing (the table above): "
            + ", ".join(s.piece.key for s in report.missing),
            fix=report.advice(),
        )
    if report.statuses:
        display(report)
    check(True, str(report).splitlines()[0])
    return report


@dataclass(frozen=True)
class Step:
    notebook: str
    call: str
    seconds: float


@dataclass
class Preparation:
    """What prepare_for did: the calls it made (none when everything was there), and the final check."""

    notebook: str
    steps: list[Step]
    after: Prerequisites

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"notebook": s.notebook, "call": s.call, "seconds": round(s.seconds, 2)} for s in self.steps],
            columns=["notebook", "call", "seconds"],
        )

    def __str__(self) -> str:
        done = "\n".join(f"  {s.notebook}: {s.call} ({s.seconds:.1f} s)" for s in self.steps)
        return f"prepared {self.notebook}: " + (f"{len(self.steps)} calls\n{done}" if self.steps else "nothing to do")

    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(self.notebook)}</b>: " + (
            f"{len(self.steps)} calls made</p>" if self.steps else "nothing was missing, nothing was done</p>"
        )
        return head + (self.to_frame().to_html(index=False) if self.steps else "")


def prepare_for(notebook: str, *, conn: Connection | None = None, verbose: bool = True) -> Preparation:
    """Build what ``notebook`` needs and is missing, with the earlier notebooks' calls in their order.

    Pieces that are there are left as they are, so calling it again does nothing. On the aws target
    this creates billable resources (above all the SageMaker endpoint, which takes minutes).
    """
    conn = conn or current()
    name = notebook_name(notebook)
    wanted = set(NEEDS[name])
    steps: list[Step] = []
    for piece in PIECES:
        if piece.key not in wanted or _probe(piece, conn) is None:
            continue
        call = piece.calls(conn)
        if verbose:
            print(f"{piece.notebook}: {call}", flush=True)  # noqa: T201 - progress the learner watches
        start = time.perf_counter()
        try:
            piece.build(conn)
        except WorkshopError as exc:
            raise type(exc)(
                f"preparing {name}: {piece.notebook}'s {call} failed: {exc.message}", resource=exc.resource, fix=exc.fix
            ) from exc
        steps.append(Step(piece.notebook, call, time.perf_counter() - start))
    after = prerequisites(name, conn=conn)
    check(after.ok, f"everything {name} needs is there", str(after))
    return Preparation(name, steps, after)
