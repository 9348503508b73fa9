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

from .config import TAG_KIT, TAG_KIT_VALUE, TAG_PARTICIPANT, tag_dict
from .connect import Connection, current
from .errors import aws_code, aws_error


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


# Gone already (deleted meanwhile); SageMaker says "not found" with ValidationException.
_GONE_CODES = frozenset(
    {"ResourceNotFoundException", "NoSuchEntity", "NoSuchBucket", "NotFoundException", "ValidationException"}
)


def _ignore_missing(call: Callable[[], Any], resource: str) -> Callable[[], None]:
    """``call`` as a deletion that is done when the resource is gone already."""

    def run() -> None:
        try:
            call()
        except ClientError as exc:
            if aws_code(exc) not in _GONE_CODES:
                raise aws_error(exc, resource) from exc

    return run


def _apis(conn: Connection) -> Iterator[KitResource]:
    apigw = conn.client("apigateway")
    for page in apigw.get_paginator("get_rest_apis").paginate():
        for api in page["items"]:
            if _ours(conn, api.get("tags", {})):
                name = f"{api['name']} ({api['id']})"
                yield KitResource(
                    "API Gateway REST API",
                    name,
                    _ignore_missing(lambda i=api["id"]: apigw.delete_rest_api(restApiId=i), f"REST API {name}"),
                )


def _functions(conn: Connection) -> Iterator[KitResource]:
    lam, logs = conn.client("lambda"), conn.client("logs")
    for page in lam.get_paginator("list_functions").paginate():
        for fn in page["Functions"]:
            if _ours(conn, lam.list_tags(Resource=fn["FunctionArn"]).get("Tags", {})):
                name = fn["FunctionName"]

                def delete(name: str = name) -> None:
                    group = f"/aws/lambda/{name}"
                    _ignore_missing(lambda: lam.delete_function(FunctionName=name), f"function {name}")()
                    _ignore_missing(lambda: logs.delete_log_group(logGroupName=group), f"log group {group}")()

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
                if _ours(conn, tag_dict(sm.list_tags(ResourceArn=res[arn_key]).get("Tags"))):
                    name = res[name_key]
                    yield KitResource(
                        kind,
                        name,
                        _ignore_missing(
                            lambda d=deleter, k=name_key, n=name: getattr(sm, d)(**{k: n}), f"{kind} {name}"
                        ),
                    )


def _tables(conn: Connection) -> Iterator[KitResource]:
    ddb = conn.client("dynamodb")
    for page in ddb.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
            if _ours(conn, tag_dict(ddb.list_tags_of_resource(ResourceArn=arn).get("Tags"))):
                delete = _ignore_missing(lambda n=name: ddb.delete_table(TableName=n), f"table {name}")
                yield KitResource("DynamoDB table", name, delete)


def _roles(conn: Connection) -> Iterator[KitResource]:
    from .iam import delete_role

    iam = conn.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if _ours(conn, tag_dict(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags"))):
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
            tags = tag_dict(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
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

            yield KitResource("S3 bucket (and its objects)", name, _ignore_missing(delete, f"bucket {name}"))


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
