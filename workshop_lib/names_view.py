"""The names the workshop creates, as 00_setup shows them: the real ones, hash suffixes included.

Most names are fixed (the seed's, with the participant prefix). Two are not known before section 6 runs:
the SageMaker model and endpoint config carry a 10-hex suffix, a SHA-256 of what they hold (the model: its
artifact's S3 URL, which contains the artifact's own content hash; the config: the model's name and the
instance type). Both are immutable on AWS, so a new artifact needs a new model and a new config, while the
same artifact gives the same names (running section 6 again changes nothing). Once the endpoint exists,
the table shows the names it really uses.
"""

from __future__ import annotations

from .connect import Connection, current
from .endpoint import describe_endpoint
from .errors import ResourceNotFound
from .i18n import _
from .tables import Table

COLUMNS = ("resource", "name", "made by", "note")  # in English; columns(): in the language in use


def columns() -> tuple[str, ...]:
    """The names table's column headings in the language in use."""
    return (_("resource"), _("name"), _("made by"), _("note"))


def created_names(conn: Connection | None = None) -> Table:
    """Every name the workshop's notebooks create on this target, with where each comes from."""
    conn = conn or current()
    n = conn.names
    model, config, (model_note, config_note) = _endpoint_parts(conn)
    own_endpoint = bool(n.existing_endpoint)
    iam_global = _("IAM names are global: the region is in the name")
    rows = [
        (_("SageMaker endpoint"), n.endpoint, _("your own (the endpoint parameter)") if own_endpoint else "06", ""),
        (_("SageMaker model"), model, "06", model_note),
        (_("SageMaker endpoint config"), config, "06", config_note),
        (_("SageMaker execution role"), n.sagemaker_role, "06", iam_global),
        (_("S3 bucket (model artifacts)"), conn.bucket, "06", _("bucket names are global: account and region in it")),
        (_("Lambda execution role"), n.role, "07", iam_global),
        (_("Lambda function"), n.function, "07", ""),
        (_("log group"), f"/aws/lambda/{n.function}", "07", _("made by Lambda at the function's first invocation")),
        (_("REST API (stage)"), f"{n.api} ({n.stage})", "07", _("API Gateway gives it an id too: see invoke_urls()")),
        (_("DynamoDB table"), n.table, "08_1", ""),
        (_("its index"), n.history_index, "08_1", _("history by model, newest first")),
    ]
    if own_endpoint:
        rows = [rows[0], *rows[3:]]
    title = _("the names on {target} ({region})").format(target=conn.target, region=conn.region)
    return Table.of(columns(), rows, title=title)


def _endpoint_parts(conn: Connection) -> tuple[str, str, tuple[str, str]]:
    """(model name, endpoint config name, their notes): the real names once the endpoint exists, else patterns."""
    n = conn.names
    try:
        info = describe_endpoint(conn=conn)
    except ResourceNotFound:
        info = None
    model_hash = _(
        "10 hex digits of the SHA-256 of the artifact's S3 URL (itself named by the artifact's content hash)"
    )
    config_hash = _("10 hex digits of the SHA-256 of the model's name and the instance type")
    if info is not None and info.model_name:
        now = _("the name the endpoint uses now; its suffix: {hash}")
        return info.model_name, info.config_name, (now.format(hash=model_hash), now.format(hash=config_hash))
    later = _("the name is known once section 6 built the model; <hash>: {hash}")
    notes = (later.format(hash=model_hash), later.format(hash=config_hash))
    return f"{n.model}-<hash>", f"{n.endpoint_config}-<hash>", notes
