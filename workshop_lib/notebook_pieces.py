"""What the workshop notebooks make, piece by piece: how to see each is there, and the notebook's calls that make it.

Each Piece names the notebook that makes it, a probe (None when the piece is there, else why it is not),
and the same workshop_lib calls that notebook makes, shown as its cell shows them. PIECES is in the order
the notebooks make them; notebook_prerequisites uses it to check a notebook's needs and to build them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import ClientError

from . import api, deploy, endpoint, iam, metadata
from .config import KIT_ROOT, LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE, LAMBDA_SOURCE
from .connect import Connection
from .errors import ResourceNotFound
from .i18n import _

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


# --- probes: None when the piece is there ----------------------------------------------------------------


def _endpoint(conn: Connection) -> str | None:
    try:
        info = endpoint.describe_endpoint(conn=conn)
    except ResourceNotFound:
        return _("does not exist")
    return None if info.in_service else _("exists but is {status}, not InService").format(status=info.status)


def _role(conn: Connection) -> str | None:
    try:
        conn.client("iam").get_role(RoleName=conn.names.role)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchEntity":
            return _("does not exist")
        raise
    return None


def _policy(template: str) -> Callable[[Connection], str | None]:
    def probe(conn: Connection) -> str | None:
        if _role(conn) is not None:
            return _("the role does not exist")
        name = iam.policy_name(template, conn)
        found = iam.role_policies(conn=conn).get(name)
        if found is None:
            return _("the role has no policy {name}").format(name=name)
        wanted = iam.render_policy(template, **iam.default_values(conn))
        if found == wanted:
            return None
        return _("the role's {name} is not policies/{template}.json for these names").format(
            name=name, template=template
        )

    return probe


def _configuration(conn: Connection) -> dict | None:
    try:
        return conn.client("lambda").get_function_configuration(FunctionName=conn.names.function)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise


def _function(conn: Connection) -> str | None:
    return None if _configuration(conn) is not None else _("does not exist")


def _sha(sources: object) -> str:
    return deploy.code_sha256(deploy.package(sources))  # type: ignore[arg-type]


def _section7_code(conn: Connection) -> str | None:
    cfg = _configuration(conn)
    if cfg is None:
        return _("the function does not exist")
    if cfg["CodeSha256"] == _sha(SECTION7_SOURCES):
        return None
    if cfg["CodeSha256"] == _sha(LAMBDA_SOURCE):
        return _("it runs lambda_function.py already (08_2a was run): step 2 would have nothing to replace")
    return _("it runs other code than lambda_section7/")


def _new_code(conn: Connection) -> str | None:
    cfg = _configuration(conn)
    if cfg is None:
        return _("the function does not exist")
    return None if cfg["CodeSha256"] == _sha(LAMBDA_SOURCE) else _("it runs other code than lambda_function.py")


def _variables(*names: str) -> Callable[[Connection], str | None]:
    def probe(conn: Connection) -> str | None:
        cfg = _configuration(conn)
        if cfg is None:
            return _("the function does not exist")
        have = cfg.get("Environment", {}).get("Variables", {})
        wanted = _wanted_variables(conn, names)
        wrong = [f"{k}={have.get(k)!r}" for k, v in wanted.items() if have.get(k) != v]
        return None if not wrong else _("has {values}").format(values=", ".join(wrong))

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
        return _("does not exist")
    indexes = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])}
    if conn.names.history_index in indexes:
        return None
    return _("has no index {index}").format(index=conn.names.history_index)


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
        lambda c: _("SageMaker endpoint {endpoint}, InService").format(endpoint=c.names.endpoint),
        _endpoint,
        _endpoint_calls,
        _build_endpoint,
    ),
    Piece(
        "role",
        NB07,
        lambda c: _("execution role {role}").format(role=c.names.role),
        _role,
        lambda c: "wl.ensure_execution_role()",
        lambda c: iam.ensure_execution_role(conn=c),
    ),
    Piece(
        "invoke-endpoint policy",
        NB07,
        lambda c: _("the role may invoke the endpoint ({policy})").format(policy=iam.policy_name("invoke-endpoint", c)),
        _policy("invoke-endpoint"),
        lambda c: 'wl.attach_policy(template="invoke-endpoint")',
        lambda c: iam.attach_policy(template="invoke-endpoint", conn=c),
    ),
    Piece(
        "logs policy",
        NB07,
        lambda c: _("the role may write the function's logs ({policy})").format(policy=iam.policy_name("logs", c)),
        _policy("logs"),
        lambda c: 'wl.attach_policy(template="logs")',
        lambda c: iam.attach_policy(template="logs", conn=c),
    ),
    Piece(
        "function",
        NB07,
        lambda c: _("Lambda function {function}").format(function=c.names.function),
        _function,
        lambda c: 'wl.deploy_lambda(sources="../lambda_section7")',
        lambda c: deploy.deploy_lambda(sources=SECTION7_SOURCES, conn=c),
    ),
    Piece(
        "section 7 code",
        NB07,
        lambda c: _("the function runs section 7's code (08_2a replaces it)"),
        _section7_code,
        lambda c: 'wl.deploy_lambda(sources="../lambda_section7")',
        lambda c: deploy.deploy_lambda(sources=SECTION7_SOURCES, conn=c),
    ),
    Piece(
        "ENDPOINT_NAME",
        NB07,
        lambda c: _("the function's {variable} is {value}").format(
            variable=LAMBDA_ENV_ENDPOINT, value=c.names.endpoint
        ),
        _variables(LAMBDA_ENV_ENDPOINT),
        _variables_calls(LAMBDA_ENV_ENDPOINT),
        _set_variables(LAMBDA_ENV_ENDPOINT),
    ),
    Piece(
        "api",
        NB07,
        lambda c: _("REST API {api}, POST /inference deployed to {stage}").format(api=c.names.api, stage=c.names.stage),
        _api,
        lambda c: "wl.create_rest_api()",
        lambda c: api.create_rest_api(conn=c),
    ),
    Piece(
        "table",
        NB08_1,
        lambda c: _("DynamoDB table {table} with index {index}").format(
            table=c.names.table, index=c.names.history_index
        ),
        _table,
        lambda c: "wl.create_metadata_table()",
        lambda c: metadata.create_metadata_table(conn=c),
    ),
    Piece(
        "new code",
        NB08_2A,
        lambda c: _("the function runs lambda_function.py (step 2)"),
        _new_code,
        lambda c: 'wl.deploy_lambda(sources="../lambda_function.py")',
        lambda c: deploy.deploy_lambda(sources=LAMBDA_SOURCE, conn=c),
    ),
    Piece(
        "DYNAMODB_TABLE",
        NB08_2A,
        lambda c: _("the function's {endpoint} and {table} are set (step 3)").format(
            endpoint=LAMBDA_ENV_ENDPOINT, table=LAMBDA_ENV_TABLE
        ),
        _variables(LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE),
        _variables_calls(LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE),
        _set_variables(LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE),
    ),
    Piece(
        "metadata-write policy",
        NB08_2A,
        lambda c: _("the role may write the table ({policy}, step 4)").format(
            policy=iam.policy_name("metadata-write", c)
        ),
        _policy("metadata-write"),
        lambda c: 'wl.attach_policy(template="metadata-write")',
        lambda c: iam.attach_policy(template="metadata-write", conn=c),
    ),
)
