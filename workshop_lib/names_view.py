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
from .tables import Table

COLUMNS = ("resource", "name", "made by", "note")
_MODEL_HASH = "10 hex digits of the SHA-256 of the artifact's S3 URL (itself named by the artifact's content hash)"
_CONFIG_HASH = "10 hex digits of the SHA-256 of the model's name and the instance type"


def created_names(conn: Connection | None = None) -> Table:
    """Every name the workshop's notebooks create on this target, with where each comes from."""
    conn = conn or current()
    n = conn.names
    model, config, (model_note, config_note) = _endpoint_parts(conn)
    own_endpoint = bool(n.existing_endpoint)
    rows = [
        ("SageMaker endpoint", n.endpoint, "your own (the endpoint parameter)" if own_endpoint else "06", ""),
        ("SageMaker model", model, "06", model_note),
        ("SageMaker endpoint config", config, "06", config_note),
        ("SageMaker execution role", n.sagemaker_role, "06", "IAM names are global: the region is in the name"),
        ("S3 bucket (model artifacts)", conn.bucket, "06", "bucket names are global: account and region in it"),
        ("Lambda execution role", n.role, "07", "IAM names are global: the region is in the name"),
        ("Lambda function", n.function, "07", ""),
        ("log group", f"/aws/lambda/{n.function}", "07", "made by Lambda at the function's first invocation"),
        ("REST API (stage)", f"{n.api} ({n.stage})", "07", "API Gateway gives it an id too: see invoke_urls()"),
        ("DynamoDB table", n.table, "08_1", ""),
        ("its index", n.history_index, "08_1", "history by model, newest first"),
    ]
    if own_endpoint:
        rows = [rows[0], *rows[3:]]
    return Table.of(COLUMNS, rows, title=f"the names on {conn.target} ({conn.region})")


def _endpoint_parts(conn: Connection) -> tuple[str, str, tuple[str, str]]:
    """(model name, endpoint config name, their notes): the real names once the endpoint exists, else patterns."""
    n = conn.names
    try:
        info = describe_endpoint(conn=conn)
    except ResourceNotFound:
        info = None
    if info is not None and info.model_name:
        now = "the name the endpoint uses now; its suffix: "
        return info.model_name, info.config_name, (now + _MODEL_HASH, now + _CONFIG_HASH)
    later = "the name is known once section 6 built the model; <hash>: "
    return f"{n.model}-<hash>", f"{n.endpoint_config}-<hash>", (later + _MODEL_HASH, later + _CONFIG_HASH)
