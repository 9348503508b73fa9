"""Clean-up (section 9): find and delete only what the kit created for this participant.

A resource is the kit's when it carries the tag ``workshop-kit=inference-metadata`` and its
``workshop-participant`` tag equals the connection's prefix (no such tag when there is no prefix).
Resources of other projects, and of other participants in a shared account, are never touched.

AWS's timing: a deleted endpoint is Deleting and a deleted table DELETING for a while, still listed
with their tags, so each deletion waits (waiting.poll) until its resource is gone; a resource that
vanishes while it is being listed is skipped; DeleteRestApi goes through API Gateway's rate limit
(api_quotas.py). Section 8.3's dashboard, alarms, SNS topic (with its subscriptions) and check queue are
found by this participant's names and the kit's tags (a dashboard, which carries no tags, by its exact name
and its metrics). The log groups that Lambda and SageMaker create for the kit's function and endpoint
are deleted with them, and found on their own when their function or endpoint is gone already: log
lines still on their way create a deleted group again, so cleanup() lists again until nothing is left.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from . import waiting
from .config import TAG_KIT, TAG_KIT_VALUE, TAG_PARTICIPANT, tag_dict
from .connect import Connection, current
from .errors import DENIED_CODES, aws_code, aws_error
from .i18n import _


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


# Gone already (deleted meanwhile); SageMaker says "not found" with ValidationException; CloudWatch dashboards
# ResourceNotFound, SNS NotFound, SQS QueueDoesNotExist (its JSON protocol) or AWS.SimpleQueueService.NonExistentQueue.
_GONE_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "NoSuchEntity",
        "NoSuchBucket",
        "NotFoundException",
        "ValidationException",
        "ResourceNotFound",
        "NotFound",
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
    }
)


def _tags_or_gone(read: Callable[[], Any]) -> Any:
    """``read()`` (a tag or describe call), or None when the resource vanished while it was being listed, or
    when this identity may not read it (another participant's or project's resource: not the kit's to delete)."""
    try:
        return read()
    except ClientError as exc:
        if aws_code(exc) in _GONE_CODES or aws_code(exc) in DENIED_CODES:
            return None
        raise


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
    from .api import delete_api_by_id

    apigw = conn.client("apigateway")
    for page in apigw.get_paginator("get_rest_apis").paginate():
        for api in page["items"]:
            if _ours(conn, api.get("tags", {})):
                name = f"{api['name']} ({api['id']})"
                delete = lambda i=api["id"], n=api["name"]: delete_api_by_id(conn, i, n)  # noqa: E731
                yield KitResource("API Gateway REST API", name, delete)


def _functions(conn: Connection) -> Iterator[KitResource]:
    lam, logs = conn.client("lambda"), conn.client("logs")
    for page in lam.get_paginator("list_functions").paginate():
        for fn in page["Functions"]:
            tags = _tags_or_gone(lambda f=fn: lam.list_tags(Resource=f["FunctionArn"]))
            if tags is not None and _ours(conn, tags.get("Tags", {})):
                name = fn["FunctionName"]

                def delete(name: str = name) -> None:
                    group = f"/aws/lambda/{name}"
                    _ignore_missing(lambda: lam.delete_function(FunctionName=name), f"function {name}")()
                    _ignore_missing(lambda: logs.delete_log_group(logGroupName=group), f"log group {group}")()

                yield KitResource("Lambda function (and its log group)", name, delete)


def _sagemaker(conn: Connection) -> Iterator[KitResource]:
    from .endpoint import delete_endpoint_log_group, wait_endpoint_gone

    sm = conn.client("sagemaker")

    def delete_endpoint(name: str) -> None:
        _ignore_missing(lambda: sm.delete_endpoint(EndpointName=name), f"SageMaker endpoint {name}")()
        wait_endpoint_gone(name, conn)  # Deleting, and still listed with its tags, for a while
        delete_endpoint_log_group(name, conn)

    kinds = [
        ("SageMaker endpoint (and its log group)", "list_endpoints", "Endpoints", "EndpointName", "EndpointArn", None),
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
                tags = _tags_or_gone(lambda r=res, a=arn_key: sm.list_tags(ResourceArn=r[a]))
                if tags is None or not _ours(conn, tag_dict(tags.get("Tags"))):
                    continue
                name = res[name_key]
                if deleter is None:
                    yield KitResource(kind, name, lambda n=name: delete_endpoint(n))
                    continue
                call = lambda d=deleter, k=name_key, n=name: getattr(sm, d)(**{k: n})  # noqa: E731
                yield KitResource(kind, name, _ignore_missing(call, f"{kind} {name}"))


def _tables(conn: Connection) -> Iterator[KitResource]:
    from .metadata import wait_table_gone

    ddb = conn.client("dynamodb")

    def delete(name: str) -> None:
        try:
            ddb.delete_table(TableName=name)
        except ClientError as exc:  # gone, or DELETING already (ResourceInUseException): wait for it below
            if aws_code(exc) not in ("ResourceNotFoundException", "ResourceInUseException"):
                raise aws_error(exc, f"table {name}") from exc
        wait_table_gone(conn, name)  # DELETING, and still listed with its tags, for a while

    for page in ddb.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            table = _tags_or_gone(lambda n=name: ddb.describe_table(TableName=n))
            tags = table and _tags_or_gone(
                lambda t=table: ddb.list_tags_of_resource(ResourceArn=t["Table"]["TableArn"])
            )
            if tags is not None and _ours(conn, tag_dict(tags.get("Tags"))):
                yield KitResource("DynamoDB table", name, lambda n=name: delete(n))


def _roles(conn: Connection) -> Iterator[KitResource]:
    from .iam import delete_role

    iam = conn.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            tags = _tags_or_gone(lambda r=role: iam.list_role_tags(RoleName=r["RoleName"]))
            if tags is not None and _ours(conn, tag_dict(tags.get("Tags"))):
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


def _orphan_log_groups(conn: Connection) -> Iterator[KitResource]:
    """The log groups of the kit's function and endpoint, when the function or endpoint itself is gone.

    Lambda and SageMaker create them (untagged) on first use; their names are the kit's names. The
    group of an endpoint the learner brought (``existing_endpoint``) is not the kit's.
    """
    logs = conn.client("logs")
    owners = {f"/aws/lambda/{conn.names.function}": ("lambda", conn.names.function)}
    if not conn.names.existing_endpoint:
        owners[f"/aws/sagemaker/Endpoints/{conn.names.endpoint}"] = ("sagemaker", conn.names.endpoint)
    for group, (service, owner) in owners.items():
        found = logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
        if not any(g["logGroupName"] == group for g in found) or _owner_exists(conn, service, owner):
            continue
        delete = _ignore_missing(lambda g=group: logs.delete_log_group(logGroupName=g), f"log group {group}")
        yield KitResource("CloudWatch log group", group, delete)


def _owner_exists(conn: Connection, service: str, name: str) -> bool:
    if service == "lambda":
        read = lambda: conn.client("lambda").get_function_configuration(FunctionName=name)  # noqa: E731
    else:
        read = lambda: conn.client("sagemaker").describe_endpoint(EndpointName=name)  # noqa: E731
    return _tags_or_gone(read) is not None


def _dashboards(conn: Connection) -> Iterator[KitResource]:
    """The participant's dashboard: CloudWatch dashboards carry no tags, so it is the kit's when its name is this
    participant's exactly and every metric it plots is InferencePipeline's for this participant's ModelName."""
    cw = conn.client("cloudwatch")
    name = conn.names.dashboard
    for page in cw.get_paginator("list_dashboards").paginate(DashboardNamePrefix=name):
        for entry in page["DashboardEntries"]:
            if entry["DashboardName"] != name:
                continue  # another participant's (alice-... starts with the unprefixed name only if ours is '')
            body = _tags_or_gone(lambda: cw.get_dashboard(DashboardName=name))
            if body is not None and _plots_only_ours(conn, body["DashboardBody"]):
                delete = _ignore_missing(lambda: cw.delete_dashboards(DashboardNames=[name]), f"dashboard {name}")
                yield KitResource("CloudWatch dashboard", name, delete)


def _plots_only_ours(conn: Connection, body: str) -> bool:
    from .metrics import DIMENSION, NAMESPACE

    try:
        widgets = json.loads(body).get("widgets", [])
        metrics = [m for w in widgets for m in w.get("properties", {}).get("metrics", [])]
    except (ValueError, AttributeError):
        return False
    wanted = [DIMENSION, conn.names.endpoint]
    return bool(metrics) and all(m[0] == NAMESPACE and list(m[2:4]) == wanted and len(m) == 4 for m in metrics)


def _alarms(conn: Connection) -> Iterator[KitResource]:
    from .alarms import alarm_names

    cw = conn.client("cloudwatch")
    for alarm in cw.describe_alarms(AlarmNames=alarm_names(conn))["MetricAlarms"]:
        tags = _tags_or_gone(lambda a=alarm: cw.list_tags_for_resource(ResourceARN=a["AlarmArn"]))
        if tags is not None and _ours(conn, tag_dict(tags.get("Tags"))):
            name = alarm["AlarmName"]
            delete = _ignore_missing(lambda n=name: cw.delete_alarms(AlarmNames=[n]), f"alarm {name}")
            yield KitResource("CloudWatch alarm", name, delete)


def _topics(conn: Connection) -> Iterator[KitResource]:
    from .notifications import topic_arn

    sns = conn.client("sns")
    arn = topic_arn(conn)
    tags = _tags_or_gone(lambda: sns.list_tags_for_resource(ResourceArn=arn))
    if tags is None or not _ours(conn, tag_dict(tags.get("Tags"))):
        return

    def delete() -> None:
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn):
            for sub in page["Subscriptions"]:
                if sub["SubscriptionArn"].startswith("arn:"):  # not "PendingConfirmation": those expire alone
                    _ignore_missing(lambda s=sub: sns.unsubscribe(SubscriptionArn=s["SubscriptionArn"]), "sub")()
        sns.delete_topic(TopicArn=arn)

    yield KitResource("SNS topic (and its subscriptions)", conn.names.alarm_topic, _ignore_missing(delete, arn))


def _queues(conn: Connection) -> Iterator[KitResource]:
    from .notifications import check_queue_name

    sqs = conn.client("sqs")
    name = check_queue_name(conn)
    for url in sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", []):
        if url.rsplit("/", 1)[-1] != name:
            continue
        tags = _tags_or_gone(lambda u=url: sqs.list_queue_tags(QueueUrl=u))
        if tags is not None and _ours(conn, tags.get("Tags", {})):
            yield KitResource("SQS queue", name, _ignore_missing(lambda u=url: sqs.delete_queue(QueueUrl=u), name))


# In deletion order: what calls a resource goes before it (alarms -> topic, API -> Lambda -> endpoint -> ...).
_FINDERS = (
    _dashboards,
    _alarms,
    _topics,
    _queues,
    _apis,
    _functions,
    _sagemaker,
    _tables,
    _roles,
    _buckets,
    _orphan_log_groups,
)


def kit_resources(conn: Connection | None = None) -> list[KitResource]:
    """Everything in the account and region that the kit created for this participant."""
    conn = conn or current()
    return [res for finder in _FINDERS for res in finder(conn)]


CLEANUP_WAIT_S = 600.0  # log lines still on their way can bring a deleted log group back for a while


def cleanup(conn: Connection | None = None, *, dry_run: bool = False) -> list[KitResource]:
    """Delete every resource the kit created for this participant (none when ``dry_run``); return them.

    Deletes, then lists again, until a listing finds nothing: the function's last log lines reach
    CloudWatch Logs a while after its last invocation and create its log group again if it was deleted
    meanwhile, so a later pass deletes that group again (waiting.poll, with backoff, up to CLEANUP_WAIT_S).
    """
    conn = conn or current()
    found = kit_resources(conn)
    if dry_run:
        return found
    deleted: list[KitResource] = []

    def delete_pass() -> list[KitResource] | waiting.NotYet:
        left = kit_resources(conn) if deleted else found
        if not left:
            return deleted
        for res in left:
            res.delete()
        deleted.extend(left)
        return waiting.NotYet(f"deleted {', '.join(r.name for r in left)}; listing again")

    return waiting.poll(
        delete_pass,
        what="every resource the kit created to be gone",
        timeout=CLEANUP_WAIT_S,
        fix=_("run wl.kit_resources() to see what comes back, and delete it in the console if it keeps coming back"),
        # The passes span the deletions' own waits, and then late log lines bringing a log group back.
        rule=f"{waiting.ENDPOINT_DELETE}+{waiting.TABLE_STATUS}+{waiting.LOG_DELIVERY}",
    )
