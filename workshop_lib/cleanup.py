"""Clean-up (section 9): find and delete only what the kit created for this participant.

A resource is the kit's when it carries the tag ``workshop-kit=inference-metadata`` and its
``workshop-participant`` tag equals the connection's prefix (no such tag when there is no prefix).
Resources of other projects, and of other participants in a shared account, are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from .config import TAG_KIT, TAG_KIT_VALUE, TAG_PARTICIPANT
from .connect import Connection, current


@dataclass(frozen=True)
class KitResource:
    """One resource the kit created: its kind, name and how to delete it."""

    kind: str
    name: str
    delete: Callable[[], None] = field(compare=False)

    def __repr__(self) -> str:
        return f"KitResource({self.kind!r}, {self.name!r})"


def _ours(conn: Connection, tags: dict[str, str]) -> bool:
    return tags.get(TAG_KIT) == TAG_KIT_VALUE and tags.get(TAG_PARTICIPANT, "") == conn.prefix


def _tag_dict(tags: list[dict[str, str]] | dict[str, str] | None) -> dict[str, str]:
    if isinstance(tags, dict):
        return tags
    return {t["Key"]: t["Value"] for t in tags or []}


def _ignore_missing(call: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            call()
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in (
                "ResourceNotFoundException",
                "NoSuchEntity",
                "NoSuchBucket",
                "NotFoundException",
                "ValidationException",
            ):
                raise

    return run


def _apis(conn: Connection) -> Iterator[KitResource]:
    apigw = conn.client("apigateway")
    for page in apigw.get_paginator("get_rest_apis").paginate():
        for api in page["items"]:
            if _ours(conn, api.get("tags", {})):
                yield KitResource(
                    "API Gateway REST API",
                    f"{api['name']} ({api['id']})",
                    _ignore_missing(lambda i=api["id"]: apigw.delete_rest_api(restApiId=i)),
                )


def _functions(conn: Connection) -> Iterator[KitResource]:
    lam, logs = conn.client("lambda"), conn.client("logs")
    for page in lam.get_paginator("list_functions").paginate():
        for fn in page["Functions"]:
            if _ours(conn, lam.list_tags(Resource=fn["FunctionArn"]).get("Tags", {})):
                name = fn["FunctionName"]

                def delete(name: str = name) -> None:
                    _ignore_missing(lambda: lam.delete_function(FunctionName=name))()
                    _ignore_missing(lambda: logs.delete_log_group(logGroupName=f"/aws/lambda/{name}"))()

                yield KitResource("Lambda function (and its log group)", name, delete)


def _sagemaker(conn: Connection) -> Iterator[KitResource]:
    sm = conn.client("sagemaker")
    kinds = [
        ("SageMaker endpoint", "list_endpoints", "Endpoints", "EndpointName", "EndpointArn", "delete_endpoint"),
        (
            "SageMaker endpoint config",
            "list_endpoint_configs",
            "EndpointConfigs",
            "EndpointConfigName",
            "EndpointConfigArn",
            "delete_endpoint_config",
        ),
        ("SageMaker model", "list_models", "Models", "ModelName", "ModelArn", "delete_model"),
    ]
    for kind, lister, key, name_key, arn_key, deleter in kinds:
        for page in sm.get_paginator(lister).paginate():
            for res in page[key]:
                if _ours(conn, _tag_dict(sm.list_tags(ResourceArn=res[arn_key]).get("Tags"))):
                    yield KitResource(
                        kind,
                        res[name_key],
                        _ignore_missing(lambda d=deleter, k=name_key, n=res[name_key]: getattr(sm, d)(**{k: n})),
                    )


def _tables(conn: Connection) -> Iterator[KitResource]:
    ddb = conn.client("dynamodb")
    for page in ddb.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
            if _ours(conn, _tag_dict(ddb.list_tags_of_resource(ResourceArn=arn).get("Tags"))):
                yield KitResource("DynamoDB table", name, _ignore_missing(lambda n=name: ddb.delete_table(TableName=n)))


def _roles(conn: Connection) -> Iterator[KitResource]:
    from .iam import delete_role

    iam = conn.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if _ours(conn, _tag_dict(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags"))):
                yield KitResource(
                    "IAM role (and its policies)",
                    role["RoleName"],
                    lambda n=role["RoleName"]: delete_role(n, conn=conn) and None,
                )


def _buckets(conn: Connection) -> Iterator[KitResource]:
    s3 = conn.client("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        try:
            tags = _tag_dict(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
        except ClientError:
            continue  # no tags (NoSuchTagSet), or not ours to read
        if _ours(conn, tags):

            def delete(name: str = name) -> None:
                for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
                    objects = [
                        {"Key": o["Key"], "VersionId": o["VersionId"]}
                        for o in page.get("Versions", []) + page.get("DeleteMarkers", [])
                    ]
                    if objects:
                        s3.delete_objects(Bucket=name, Delete={"Objects": objects, "Quiet": True})
                s3.delete_bucket(Bucket=name)

            yield KitResource("S3 bucket (and its objects)", name, _ignore_missing(delete))


# In deletion order: what calls a resource goes before it (API -> Lambda -> endpoint -> ...).
_FINDERS = (_apis, _functions, _sagemaker, _tables, _roles, _buckets)


def kit_resources(conn: Connection | None = None) -> list[KitResource]:
    """Everything in the account and region that the kit created for this participant."""
    conn = conn or current()
    return [res for finder in _FINDERS for res in finder(conn)]


def cleanup(conn: Connection | None = None, *, dry_run: bool = False) -> list[KitResource]:
    """Delete every resource the kit created for this participant (none when ``dry_run``); return them."""
    conn = conn or current()
    found = kit_resources(conn)
    if not dry_run:
        for res in found:
            res.delete()
    return found
