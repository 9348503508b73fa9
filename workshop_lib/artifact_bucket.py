"""The kit's S3 bucket for model artifacts (section 6): create it private and tagged, upload model.tar.gz.

An artifact is stored at ``models/{model}/{sha256[:16]}/model.tar.gz`` with its SHA-256 in the
object's metadata, so the same artifact is uploaded once.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from botocore.exceptions import ClientError

from .config import tag_dict, tag_list
from .connect import Connection, current
from .errors import InvalidInput, ResourceConflict, aws_code, aws_error
from .i18n import _
from .model.artifact import ARTIFACT_NAME, CODE_DIR, ENTRY_POINT, sha256_of


def ensure_bucket(conn: Connection | None = None) -> str:
    """Create the kit's artifact bucket (private, tagged) unless it exists; return its name."""
    conn = conn or current()
    s3, bucket = conn.client("s3"), conn.bucket
    try:
        s3.head_bucket(Bucket=bucket)
        exists = True
    except ClientError as exc:
        if aws_code(exc) in ("403", "AccessDenied", "Forbidden"):
            raise ResourceConflict(
                _(
                    "the bucket exists but this identity may not use it (another account owns the name, or a "
                    "policy denies it)"
                ),
                resource=f"bucket {bucket}",
                fix=_("set a participant prefix (WORKSHOP_PREFIX) so the kit uses another bucket name"),
            ) from exc
        if aws_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
            raise aws_error(exc, f"bucket {bucket}") from exc
        exists = False
    if not exists:
        where = {} if conn.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": conn.region}}
        try:
            s3.create_bucket(Bucket=bucket, **where)
        except ClientError as exc:
            if aws_code(exc) == "BucketAlreadyExists":
                raise ResourceConflict(
                    _("another AWS account already owns this bucket name"),
                    resource=f"bucket {bucket}",
                    fix=_("set a participant prefix (WORKSHOP_PREFIX) so the kit uses another bucket name"),
                ) from exc
            if aws_code(exc) != "BucketAlreadyOwnedByYou":
                raise aws_error(exc, f"bucket {bucket}") from exc
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    try:
        tags = tag_dict(s3.get_bucket_tagging(Bucket=bucket)["TagSet"])
    except ClientError as exc:
        if aws_code(exc) != "NoSuchTagSet":
            raise aws_error(exc, f"bucket {bucket}") from exc
        tags = {}
    if any(tags.get(k) != v for k, v in conn.tags.items()):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(tags | conn.tags)})
    return bucket


def _check_artifact(path: Path) -> None:
    script = f"{CODE_DIR}/{ENTRY_POINT}"
    try:
        with tarfile.open(path, "r:gz") as tar:
            names = set(tar.getnames())
    except (tarfile.TarError, OSError) as exc:
        raise InvalidInput(
            _("not a readable tar.gz: {exc}").format(exc=exc),
            resource=str(path),
            fix=_("build it with workshop_lib.model.build_artifact()"),
        ) from exc
    if script not in names:
        raise InvalidInput(
            _("the artifact has no {script}, which the scikit-learn container runs (it holds {value})").format(
                script=script, value=sorted(names)
            ),
            resource=str(path),
            fix=_("build it with workshop_lib.model.build_artifact()"),
        )


def upload_artifact(artifact: Path | str, conn: Connection | None = None) -> str:
    """Upload model.tar.gz to the kit's bucket (once per content); return its s3:// URL."""
    conn = conn or current()
    path = Path(artifact)
    if not path.is_file():
        raise InvalidInput(
            _("the model artifact does not exist"), resource=str(path), fix="run `python -m workshop_lib.model`"
        )
    _check_artifact(path)
    digest = sha256_of(path)
    bucket = ensure_bucket(conn)
    key = f"models/{conn.names.model}/{digest[:16]}/{ARTIFACT_NAME}"
    s3 = conn.client("s3")
    try:
        if s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get("sha256") == digest:
            return f"s3://{bucket}/{key}"
    except ClientError as exc:
        if aws_code(exc) not in ("404", "NoSuchKey", "NotFound"):
            raise aws_error(exc, f"s3://{bucket}/{key}") from exc
    try:
        s3.put_object(
            Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType="application/gzip", Metadata={"sha256": digest}
        )
    except ClientError as exc:
        raise aws_error(exc, f"s3://{bucket}/{key}") from exc
    return f"s3://{bucket}/{key}"
