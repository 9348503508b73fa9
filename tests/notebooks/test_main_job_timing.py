"""The whole main job on a local cloud that keeps AWS's timing, and the learner's policy against every call it made.

The local cloud's timing model is switched on by variables read only by the local cloud, in the process
that starts it: this test sets them in the environment of the main job it starts, which starts its own
local cloud (in its own state folder) with them. The kit's code never reads them: it waits by observing.

Scale: CI runs the timing at ``TIME_SCALE`` (0.2: every delay of docs/aws-timing.md at a fifth, so IAM's
2-8 s become 0.4-1.6 s), which keeps this test near a minute on 2 cores; bench/workshop_run.py runs it at 1.0.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from workshop_lib.config import ENV_CALL_LOG, ENV_STATE_DIR, ENV_WAIT_LOG, KIT_ROOT, POLICIES_DIR
from workshop_lib.local.core.policy import Decision, evaluate

TIME_SCALE = "0.2"
TIMING = {"WORKSHOP_LOCAL_TIMING": "aws", "WORKSHOP_LOCAL_TIME_SCALE": TIME_SCALE, "WORKSHOP_LOCAL_SEED": "12"}
LEARNER_POLICY = POLICIES_DIR / "learner" / "learner.json"
ROW = re.compile(r"^(\d\d_\S+\.ipynb)\s+(ok|FAILED)\s+([\d.]+)$")


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def timing_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of `python -m workshop_lib workshop` with AWS's timing on, its waits and its AWS calls recorded."""
    folder = tmp_path_factory.mktemp("timing-main-job")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKSHOP_", "AWS_"))}
    env |= TIMING | {
        ENV_STATE_DIR: str(folder / "state"),
        ENV_WAIT_LOG: str(folder / "waits.jsonl"),
        ENV_CALL_LOG: str(folder / "calls.jsonl"),
        "WORKSHOP_PREFIX": f"tm{uuid.uuid4().hex[:6]}",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "workshop_lib", "workshop"],
        cwd=KIT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    rows = [m.groups() for line in proc.stdout.splitlines() if (m := ROW.match(line.strip()))]
    return {
        "proc": proc,
        "rows": rows,
        "waits": jsonl(folder / "waits.jsonl"),
        "calls": jsonl(folder / "calls.jsonl"),
        "region": "us-east-1",
        "account": "123456789012",
    }


@pytest.mark.notebooks
@pytest.mark.local_cloud
def test_main_job__every_notebook_passes_on_a_local_cloud_with_aws_timing(timing_run):
    proc = timing_run["proc"]
    assert proc.returncode == 0, f"main job failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-3000:]}"
    assert [name for name, _, _ in timing_run["rows"]] == sorted(
        p.name for p in (KIT_ROOT / "notebooks").glob("*.ipynb")
    )
    assert all(status == "ok" for _, status, _ in timing_run["rows"])
    # Every step that depends on a change waited through the polling primitive, and every wait ended well.
    rules = {w["rule"] for w in timing_run["waits"]}
    for rule in (
        "iam-policy+logs-delivery",  # 08.2a step 5 and 08.2b: a policy put / removed, proven by its effect
        "logs-delivery",  # log lines and replay
        "dynamodb-gsi",  # queries on the history index
        "dynamodb-table",  # table ACTIVE, and gone after the clean-up
        "sagemaker-endpoint-create",  # InService
        "sagemaker-endpoint-delete",  # gone after the clean-up
        "apigateway-stage",  # a fresh stage's first requests
        "lambda-update",  # Active / Successful
        "cloudwatch-metrics",  # 08.3: the EMF data points readable
        "cloudwatch-alarm-evaluation",  # 08.3: Inference-Error-Alarm in ALARM, then OK
        "sns-delivery",  # 08.3: its notifications in the check queue
    ):
        assert rule in rules, f"no wait for {rule}: {sorted(rules)}"
    assert all(w["ok"] for w in timing_run["waits"]), [w for w in timing_run["waits"] if not w["ok"]]


# --- The learner's policy: each call the main job made, as IAM authorizes it ---------------------------

_PREFIX = {"service-quotas": "servicequotas", "sagemaker-runtime": "sagemaker"}
_S3_ACTIONS = {
    "HeadBucket": ["s3:ListBucket"],
    "HeadObject": ["s3:GetObject"],
    "ListObjectVersions": ["s3:ListBucketVersions"],
    "ListBuckets": ["s3:ListAllMyBuckets"],
    "DeleteObjects": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
    "PutPublicAccessBlock": ["s3:PutBucketPublicAccessBlock"],
}
_TAGGED_ON_CREATE = {  # the kit passes Tags to these calls: AWS then also authorizes the tagging action
    ("dynamodb", "CreateTable"): "dynamodb:TagResource",
    ("lambda", "CreateFunction"): "lambda:TagResource",
    ("iam", "CreateRole"): "iam:TagRole",
    ("sagemaker", "CreateModel"): "sagemaker:AddTags",
    ("sagemaker", "CreateEndpointConfig"): "sagemaker:AddTags",
    ("sagemaker", "CreateEndpoint"): "sagemaker:AddTags",
    ("cloudwatch", "PutMetricAlarm"): "cloudwatch:TagResource",
    ("sns", "CreateTopic"): "sns:TagResource",
    ("sqs", "CreateQueue"): "sqs:TagQueue",
}
_APIGATEWAY = {  # operation -> (HTTP verb, path under arn:aws:apigateway:{region}::)
    "GetRestApis": ("GET", "/restapis"),
    "CreateRestApi": ("POST", "/restapis"),
    "GetResources": ("GET", "/restapis/{restApiId}/resources"),
    "CreateResource": ("POST", "/restapis/{restApiId}/resources/{parentId}"),
    "GetMethod": ("GET", "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}"),
    "PutMethod": ("PUT", "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}"),
    "PutIntegration": ("PUT", "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration"),
    "GetStage": ("GET", "/restapis/{restApiId}/stages/{stageName}"),
    "CreateDeployment": ("POST", "/restapis/{restApiId}/deployments"),
    "DeleteRestApi": ("DELETE", "/restapis/{restApiId}"),
}
_UNSCOPED = {  # actions AWS authorizes on "*" only
    "dynamodb:ListTables",
    "lambda:ListFunctions",
    "sagemaker:ListEndpoints",
    "sagemaker:ListEndpointConfigs",
    "sagemaker:ListModels",
    "iam:ListRoles",
    "s3:ListAllMyBuckets",
    "servicequotas:ListServiceQuotas",
    "logs:DescribeLogGroups",
    "cloudwatch:ListMetrics",
    "cloudwatch:GetMetricData",
    "cloudwatch:ListDashboards",
    "sqs:ListQueues",
}
_NAME_LISTS = {"AlarmNames": "AlarmName", "DashboardNames": "DashboardName"}  # one authorization per name


def _resource(service: str, action: str, p: dict[str, str], region: str, account: str) -> str:
    if action in _UNSCOPED:
        return "*"
    if service == "dynamodb":
        return p.get("ResourceArn") or f"arn:aws:dynamodb:{region}:{account}:table/{p['TableName']}" + (
            f"/index/{p['IndexName']}" if "IndexName" in p else ""
        )
    if service == "lambda":
        name = p.get("FunctionName") or p["Resource"]
        return name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
    if service == "iam":
        if "PolicySourceArn" in p:
            return p["PolicySourceArn"]
        if action == "iam:PassRole":
            return p["Role"] if "Role" in p else p["ExecutionRoleArn"]
        return f"arn:aws:iam::{account}:role/{p['RoleName']}"
    if service in ("sagemaker", "sagemaker-runtime"):
        if "ResourceArn" in p:
            return p["ResourceArn"]
        for key, kind in (
            ("EndpointName", "endpoint"),
            ("EndpointConfigName", "endpoint-config"),
            ("ModelName", "model"),
        ):
            if key in p:
                return f"arn:aws:sagemaker:{region}:{account}:{kind}/{p[key].lower()}"
    if service == "s3":
        return f"arn:aws:s3:::{p['Bucket']}" + (f"/{p['Key']}" if "Key" in p or action.endswith("Object") else "")
    if service == "logs":
        return f"arn:aws:logs:{region}:{account}:log-group:{p['logGroupName']}:*"
    if service == "cloudwatch":
        if "ResourceARN" in p:
            return p["ResourceARN"]
        if "AlarmName" in p:
            return f"arn:aws:cloudwatch:{region}:{account}:alarm:{p['AlarmName']}"
        if "DashboardName" in p:
            return f"arn:aws:cloudwatch::{account}:dashboard/{p['DashboardName']}"
    if service == "sns":
        arn = p.get("SubscriptionArn") or p.get("TopicArn") or p.get("ResourceArn")
        return arn or f"arn:aws:sns:{region}:{account}:{p['Name']}"
    if service == "sqs":
        name = p.get("QueueName") or p["QueueUrl"].rsplit("/", 1)[-1]
        return f"arn:aws:sqs:{region}:{account}:{name}"
    raise AssertionError(f"no resource mapping for {action} {p}: add it to this test (and to policies/learner/)")


def authorizations(call: dict[str, Any], region: str, account: str) -> list[tuple[str, str]]:
    """The (action, resource) pairs IAM checks for one recorded call of the kit."""
    service, op, p = call["service"], call["operation"], call["params"]
    if (service, op) == ("sts", "GetCallerIdentity"):
        return []  # needs no permission
    if service == "apigateway":
        verb, path = _APIGATEWAY[op]
        pairs = [(f"apigateway:{verb}", f"arn:aws:apigateway:{region}::{path.format(**p)}")]
        if op == "CreateRestApi":
            pairs.append(("apigateway:POST", f"arn:aws:apigateway:{region}::/tags/*"))
        return pairs
    for listed, single in _NAME_LISTS.items():
        if isinstance(p.get(listed), list):  # DescribeAlarms, DeleteAlarms, DeleteDashboards: each name is checked
            rest = {k: v for k, v in p.items() if k != listed}
            return [
                pair
                for name in p[listed]
                for pair in authorizations({**call, "params": {**rest, single: name}}, region, account)
            ]
    if service == "s3" and op == "DeleteObjects":
        return [(a, f"arn:aws:s3:::{p['Bucket']}/*") for a in _S3_ACTIONS[op]]
    actions = _S3_ACTIONS.get(op, [f"s3:{op}"]) if service == "s3" else [f"{_PREFIX.get(service, service)}:{op}"]
    if (service, op) in _TAGGED_ON_CREATE:
        actions.append(_TAGGED_ON_CREATE[(service, op)])
    if (service, op) in (("lambda", "CreateFunction"), ("sagemaker", "CreateModel")):
        actions.append("iam:PassRole")
    out = []
    for action in actions:
        res_service = "iam" if action == "iam:PassRole" else service
        out.append((action, _resource(res_service, action, p, region, account)))
    return out


def test_learner_policy__is_an_iam_document_without_wildcard_actions():
    doc = json.loads(LEARNER_POLICY.read_text(encoding="utf-8"))
    assert doc["Version"] == "2012-10-17"
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow" and "NotAction" not in st and "NotResource" not in st
        for action in st["Action"] if isinstance(st["Action"], list) else [st["Action"]]:
            assert "*" not in action, action
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if resources == ["*"]:
            assert set(st["Action"]) <= _UNSCOPED, "only the list calls AWS cannot scope may have Resource *"


def test_authorizations__map_calls_as_iam_authorizes_them():
    create = {"service": "lambda", "operation": "CreateFunction", "params": {"FunctionName": "f", "Role": "arn:r"}}
    assert authorizations(create, "eu-west-1", "1") == [
        ("lambda:CreateFunction", "arn:aws:lambda:eu-west-1:1:function:f"),
        ("lambda:TagResource", "arn:aws:lambda:eu-west-1:1:function:f"),
        ("iam:PassRole", "arn:r"),
    ]
    head = {"service": "s3", "operation": "HeadObject", "params": {"Bucket": "b", "Key": "k"}}
    assert authorizations(head, "eu-west-1", "1") == [("s3:GetObject", "arn:aws:s3:::b/k")]
    alarms = {"service": "cloudwatch", "operation": "DeleteAlarms", "params": {"AlarmNames": ["a", "b"]}}
    assert authorizations(alarms, "eu-west-1", "1") == [
        ("cloudwatch:DeleteAlarms", "arn:aws:cloudwatch:eu-west-1:1:alarm:a"),
        ("cloudwatch:DeleteAlarms", "arn:aws:cloudwatch:eu-west-1:1:alarm:b"),
    ]
    queue = {"service": "sqs", "operation": "CreateQueue", "params": {"QueueName": "inference-alarms-check"}}
    assert authorizations(queue, "eu-west-1", "1") == [
        ("sqs:CreateQueue", "arn:aws:sqs:eu-west-1:1:inference-alarms-check"),
        ("sqs:TagQueue", "arn:aws:sqs:eu-west-1:1:inference-alarms-check"),
    ]


@pytest.mark.notebooks
@pytest.mark.local_cloud
def test_learner_policy__allows_every_call_the_main_job_made(timing_run):
    """docs/learner-permissions.md lists these; policies/learner/learner.json grants them, and nothing the kit
    calls is missing from it. The calls are those the kit made as the learner (not the Lambda's own)."""
    assert timing_run["proc"].returncode == 0
    calls = timing_run["calls"]
    assert len(calls) > 100
    document = json.loads(LEARNER_POLICY.read_text(encoding="utf-8"))
    refused = set()
    for call in calls:
        for action, resource in authorizations(call, timing_run["region"], timing_run["account"]):
            if evaluate([document], action, resource) != Decision.ALLOW:
                refused.add((action, resource))
    assert not refused, "policies/learner/learner.json does not allow: " + ", ".join(sorted(map(str, refused)))
    documented = (KIT_ROOT / "docs" / "learner-permissions.md").read_text(encoding="utf-8")
    used = {a for call in calls for a, _ in authorizations(call, timing_run["region"], timing_run["account"])}
    missing = sorted(a for a in used if f"`{a}`" not in documented)
    assert not missing, f"docs/learner-permissions.md does not list {missing}"
