"""SageMaker endpoints on a local cloud with AWS's timing (workshop_lib/local/sagemaker/endpoint_states.py):
Creating before InService (or Failed, when the model does not load), Updating while the old configuration keeps
serving (then the new one, or the old one with the FailureReason when the new model does not load), Deleting before
gone; InvokeEndpoint refused while no configuration serves; boto3's waiters work against it. Through boto3 only."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.local_cloud.core.timed_cloud import admin_clients
from tests.local_cloud.core.timing_observation import observe, observe_from_the_start, settle
from workshop_lib.local.sagemaker.endpoint_states import ENDPOINT_CREATION, ENDPOINT_DELETION, ENDPOINT_UPDATE

pytestmark = pytest.mark.local_cloud
ACCOUNT = "123456789012"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
FAST_WAITER = {"Delay": 0.2, "MaxAttempts": 300}
TAGS = [{"Key": "workshop-kit", "Value": "inference-metadata"}]


PING_FAILURE = (
    "The primary container for production variant AllTraffic did not pass the ping health check. "
    "Please check CloudWatch logs for this endpoint."
)


def _artifact(answer: str) -> bytes:
    """A model.tar.gz whose script answers ``answer`` to every request (whose model_fn raises for "broken")."""
    loads = "raise RuntimeError('no model here')" if answer == "broken" else "return 'model'"
    script = (
        "import json\n"
        f"def model_fn(model_dir):\n    {loads}\n"
        "def input_fn(body, content_type):\n    return json.loads(body)\n"
        f"def predict_fn(data, model):\n    return {answer!r}\n"
        "def output_fn(prediction, accept):\n    return json.dumps(prediction), 'application/json'\n"
    ).encode()
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(script)
        tar.addfile(info, io.BytesIO(script))
    return data.getvalue()


class Endpoints:
    """Three endpoint configurations on the timed cloud: their models answer "v1" and "v2", or do not load
    ("broken")."""

    def __init__(self, cloud: Any) -> None:
        client = admin_clients(cloud)
        self.scale = cloud.timing.scale
        self.sm, self.runtime = client("sagemaker"), client("sagemaker-runtime")
        suffix = uuid.uuid4().hex[:8]
        bucket = f"timing-sm-{suffix}"
        client("s3").create_bucket(Bucket=bucket)
        role = client("iam").create_role(RoleName=f"timing-sm-{suffix}", AssumeRolePolicyDocument=json.dumps(TRUST))
        self.configs = {}
        for version in ("v1", "v2", "broken"):
            client("s3").put_object(Bucket=bucket, Key=f"{version}/model.tar.gz", Body=_artifact(version))
            model = f"timing-model-{version}-{suffix}"
            container = {"Image": IMAGE, "ModelDataUrl": f"s3://{bucket}/{version}/model.tar.gz",
                         "Environment": {"SAGEMAKER_PROGRAM": "inference.py",
                                         "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}}  # fmt: skip
            settle(lambda m=model, c=container: self._model(m, role["Role"]["Arn"], c), bool)  # a new role: wait
            self.configs[version] = f"timing-config-{version}-{suffix}"
            variant = {"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1,
                       "InstanceType": "ml.t2.medium"}  # fmt: skip
            self.sm.create_endpoint_config(EndpointConfigName=self.configs[version], ProductionVariants=[variant])

    def _model(self, name: str, role: str, container: dict) -> bool:
        try:
            self.sm.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer=container)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ValidationException"
            return False
        return True

    def bounds(self, delay: Any) -> dict[str, float]:
        return {"low": delay.low * self.scale, "high": delay.high * self.scale}

    def invoke(self, name: str) -> str:
        """The model's answer, or the refusal's code and message."""
        try:
            resp = self.runtime.invoke_endpoint(EndpointName=name, ContentType="application/json", Body="{}")
        except ClientError as exc:
            return f"{exc.response['Error']['Code']}: {exc.response['Error']['Message']}"
        return json.loads(resp["Body"].read())

    def status(self, name: str) -> str:
        try:
            return self.sm.describe_endpoint(EndpointName=name)["EndpointStatus"]
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    def listed(self, name: str) -> str | None:
        return next((e["EndpointStatus"] for e in self.sm.list_endpoints()["Endpoints"] if e["EndpointName"] == name),
                    None)  # fmt: skip

    def in_service(self, version: str = "v1") -> str:
        name = f"timing-ep-{uuid.uuid4().hex[:8]}"
        self.sm.create_endpoint(EndpointName=name, EndpointConfigName=self.configs[version], Tags=TAGS)
        self.sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST_WAITER)
        return name


@pytest.fixture(scope="module")
def endpoints(timed_cloud) -> Endpoints:
    return Endpoints(timed_cloud)


def _not_found(name: str) -> str:
    return f"ValidationError: Endpoint {name} of account {ACCOUNT} not found."


def test_create_endpoint__creating_and_refusing_invocations_until_in_service(endpoints):
    def scenario():
        name = f"timing-ep-{uuid.uuid4().hex[:8]}"
        seen = observe(
            lambda: endpoints.sm.create_endpoint(EndpointName=name, EndpointConfigName=endpoints.configs["v1"]),
            lambda: (endpoints.invoke(name), endpoints.listed(name), endpoints.status(name)),  # the status last
            lambda seen: seen[2] == "InService",
            **endpoints.bounds(ENDPOINT_CREATION),
            interval=0.2,
        )
        return seen, name

    runs: list[str] = []

    def run():
        seen, name = scenario()
        runs.append(name)
        return seen

    seen = observe_from_the_start(run)
    name = runs[-1]
    assert seen.probes[0].value == (_not_found(name), "Creating", "Creating")
    for probe in seen.probes:
        if probe.value[2] == "Creating":  # described Creating after the invocation: the invocation met it so
            assert probe.value[0] == _not_found(name)
    assert endpoints.invoke(name) == "v1" and endpoints.listed(name) == "InService"


def test_create_endpoint__boto3s_endpoint_in_service_waiter_waits_through_creating(endpoints):
    name = f"timing-ep-{uuid.uuid4().hex[:8]}"
    endpoints.sm.create_endpoint(EndpointName=name, EndpointConfigName=endpoints.configs["v1"])
    assert endpoints.status(name) == "Creating"
    endpoints.sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST_WAITER)
    assert endpoints.status(name) == "InService" and endpoints.invoke(name) == "v1"


def test_update_endpoint__updating_while_the_old_configuration_serves_then_the_new_one(endpoints):
    name = endpoints.in_service("v1")
    described: list[dict] = []

    def probe() -> tuple[str, str]:
        answer = endpoints.invoke(name)
        description = endpoints.sm.describe_endpoint(EndpointName=name)
        described.append(description)
        return answer, description["EndpointStatus"]

    seen = observe(
        lambda: endpoints.sm.update_endpoint(EndpointName=name, EndpointConfigName=endpoints.configs["v2"]),
        probe,
        lambda seen: seen == ("v2", "InService"),
        **endpoints.bounds(ENDPOINT_UPDATE),
        interval=0.2,
    )
    assert seen.saw_old_first  # the lower bound (2 s at this scale) is far longer than one probe
    assert seen.probes[0].value == ("v1", "Updating")
    for value in (p.value for p in seen.probes):
        assert value in {("v1", "Updating"), ("v1", "InService"), ("v2", "InService")}  # the old config, then the new
    assert described[0]["PendingDeploymentSummary"]["EndpointConfigName"] == endpoints.configs["v2"]
    assert described[0]["EndpointConfigName"] == endpoints.configs["v1"]
    assert described[-1]["EndpointConfigName"] == endpoints.configs["v2"]
    assert "PendingDeploymentSummary" not in described[-1]


def test_update_endpoint__an_endpoint_still_updating_cannot_be_updated_again(endpoints):
    name = endpoints.in_service("v1")
    endpoints.sm.update_endpoint(EndpointName=name, EndpointConfigName=endpoints.configs["v2"])
    with pytest.raises(ClientError) as err:
        endpoints.sm.update_endpoint(EndpointName=name, EndpointConfigName=endpoints.configs["v1"])
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{name}"
    assert err.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": f'Cannot update in-progress endpoint "{arn}".',
    }


def test_delete_endpoint__deleting_still_listed_and_refusing_invocations_then_gone(endpoints):
    name = endpoints.in_service("v1")
    seen = observe(
        lambda: endpoints.sm.delete_endpoint(EndpointName=name),
        lambda: (endpoints.invoke(name), endpoints.listed(name), endpoints.status(name)),
        lambda seen: seen[2] == "ValidationException",
        **endpoints.bounds(ENDPOINT_DELETION),
        interval=0.1,
    )
    assert seen.saw_old_first and seen.probes[0].value == (_not_found(name), "Deleting", "Deleting")
    for probe in seen.probes:
        if probe.value[2] == "Deleting":
            assert probe.value[0] == _not_found(name)
    assert endpoints.listed(name) is None


def test_delete_endpoint__boto3s_endpoint_deleted_waiter_waits_through_deleting(endpoints):
    name = endpoints.in_service("v1")
    endpoints.sm.delete_endpoint(EndpointName=name)
    assert endpoints.status(name) == "Deleting"
    tags = endpoints.sm.list_tags(ResourceArn=f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{name}")
    assert tags["Tags"] == TAGS  # the clean-up can still read its tags while it is Deleting
    endpoints.sm.get_waiter("endpoint_deleted").wait(EndpointName=name, WaiterConfig=FAST_WAITER)
    assert endpoints.status(name) == "ValidationException"


def test_create_endpoint__a_model_that_does_not_load_is_creating_then_failed_with_the_failure_reason(endpoints):
    name = f"timing-ep-{uuid.uuid4().hex[:8]}"
    seen = observe(
        lambda: endpoints.sm.create_endpoint(EndpointName=name, EndpointConfigName=endpoints.configs["broken"]),
        lambda: (endpoints.invoke(name), endpoints.status(name)),
        lambda seen: seen[1] == "Failed",
        **endpoints.bounds(ENDPOINT_CREATION),
        interval=0.2,
    )
    assert seen.saw_old_first  # the lower bound (2 s at this scale) is far longer than one probe
    assert {p.value for p in seen.probes} <= {(_not_found(name), "Creating"), (_not_found(name), "Failed")}
    described = endpoints.sm.describe_endpoint(EndpointName=name)
    assert (described["EndpointStatus"], described["FailureReason"]) == ("Failed", PING_FAILURE)
    with pytest.raises(WaiterError, match="Failed"):  # Failed is the waiter's failure state
        endpoints.sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST_WAITER)
    with pytest.raises(ClientError) as err:
        endpoints.sm.update_endpoint(EndpointName=name, EndpointConfigName=endpoints.configs["v1"])
    assert err.value.response["Error"]["Message"].startswith("Cannot update failed endpoint")
    endpoints.sm.delete_endpoint(EndpointName=name)
    assert endpoints.status(name) == "Deleting"  # a Failed endpoint is deleted as any other


def test_update_endpoint__a_model_that_does_not_load_is_updating_then_in_service_on_the_old_configuration(endpoints):
    name = endpoints.in_service("v1")
    described: list[dict] = []

    def probe() -> tuple[str, str, str | None]:
        answer = endpoints.invoke(name)
        description = endpoints.sm.describe_endpoint(EndpointName=name)
        described.append(description)
        return answer, description["EndpointStatus"], description.get("FailureReason")

    seen = observe(
        lambda: endpoints.sm.update_endpoint(EndpointName=name, EndpointConfigName=endpoints.configs["broken"]),
        probe,
        lambda seen: seen[1] == "InService",
        **endpoints.bounds(ENDPOINT_UPDATE),
        interval=0.2,
    )
    assert seen.saw_old_first and seen.probes[0].value == ("v1", "Updating", None)
    assert {p.value for p in seen.probes} <= {("v1", "Updating", None), ("v1", "InService", PING_FAILURE)}
    assert seen.probes[-1].value == ("v1", "InService", PING_FAILURE)  # the old model serves on, with the reason
    assert described[0]["PendingDeploymentSummary"]["EndpointConfigName"] == endpoints.configs["broken"]
    assert described[-1]["EndpointConfigName"] == endpoints.configs["v1"]
    assert "PendingDeploymentSummary" not in described[-1]
