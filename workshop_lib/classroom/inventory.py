"""Everything the kit tagged in the account and region, whoever's: the proof that `class clear` left nothing.

Read-only. Regional resources come from the Resource Groups Tagging API (GetResources, filtered on the kit's
tag: functions, tables, SageMaker endpoints, configs and models, buckets, alarms, topics, ...); REST APIs from
API Gateway's own listing (their tags come with it); IAM roles, which are global and not in the Tagging API,
from IAM. Each resource carries its participant tag, so the class's leftovers are told from other people's.
Log groups carry no tag (Lambda creates them): those named after the class's functions are listed apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from ..config import TAG_KIT, TAG_KIT_VALUE, TAG_PARTICIPANT, ResourceNames, tag_dict
from ..connect import Connection
from ..errors import aws_code


@dataclass(frozen=True)
class Tagged:
    kind: str  # "lambda function", "dynamodb table", "apigateway restapi", "iam role", ...
    name: str
    participant: str  # its workshop-participant tag ("" for none)

    def __str__(self) -> str:
        return f"{self.kind} {self.name} (participant {self.participant or '(none)'})"


def _kind_and_name(arn: str) -> tuple[str, str]:
    """("sagemaker endpoint", "x") from arn:aws:sagemaker:us-east-1:123:endpoint/x; buckets have no type."""
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5]
    for separator in ("/", ":"):
        if separator in resource:
            kind, name = resource.split(separator, 1)
            return f"{service} {kind}", name
    return f"{service} {'bucket' if service == 's3' else 'resource'}", resource


def _tagging(conn: Connection) -> list[Tagged]:
    pages = conn.client("resourcegroupstaggingapi").get_paginator("get_resources")
    found = []
    for page in pages.paginate(TagFilters=[{"Key": TAG_KIT, "Values": [TAG_KIT_VALUE]}]):
        for mapping in page["ResourceTagMappingList"]:
            if mapping["ResourceARN"].split(":")[2] == "apigateway":
                continue  # listed by _apis (the Tagging API lists REST APIs on AWS, not on every emulator)
            kind, name = _kind_and_name(mapping["ResourceARN"])
            found.append(Tagged(kind, name, tag_dict(mapping.get("Tags")).get(TAG_PARTICIPANT, "")))
    return found


def _apis(conn: Connection) -> list[Tagged]:
    found = []
    for page in conn.client("apigateway").get_paginator("get_rest_apis").paginate():
        for api in page["items"]:
            tags = api.get("tags", {})
            if tags.get(TAG_KIT) == TAG_KIT_VALUE:
                name = f"{api['name']} ({api['id']})"
                found.append(Tagged("apigateway restapi", name, tags.get(TAG_PARTICIPANT, "")))
    return found


def _roles(conn: Connection) -> list[Tagged]:
    iam = conn.client("iam")
    found = []
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            try:
                tags = tag_dict(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags"))
            except ClientError as exc:
                if aws_code(exc) == "NoSuchEntity":
                    continue  # deleted while listed
                raise
            if tags.get(TAG_KIT) == TAG_KIT_VALUE:
                found.append(Tagged("iam role", role["RoleName"], tags.get(TAG_PARTICIPANT, "")))
    return found


def kit_tagged(conn: Connection) -> list[Tagged]:
    """Every resource carrying the kit's tag in the connection's account and region (and every such IAM role)."""
    return sorted(_tagging(conn) + _apis(conn) + _roles(conn), key=lambda t: (t.participant, t.kind, t.name))


def log_groups_of(conn: Connection, prefixes: list[str]) -> list[str]:
    """The log groups named after these prefixes' functions and endpoints (untagged: Lambda makes them)."""
    wanted = set()
    for prefix in prefixes:
        names = ResourceNames(prefix, region=conn.region)
        wanted |= {f"/aws/lambda/{names.function}", f"/aws/sagemaker/Endpoints/{names.endpoint}"}
    logs = conn.client("logs")
    found = []
    for root in ("/aws/lambda/", "/aws/sagemaker/Endpoints/"):
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=root):
            found += [g["logGroupName"] for g in page["logGroups"] if g["logGroupName"] in wanted]
    return sorted(found)
