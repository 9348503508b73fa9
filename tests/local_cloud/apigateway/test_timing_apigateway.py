"""API Gateway on a local cloud with AWS's timing: a stage answers 5xx for a moment after a new deployment
(workshop_lib/local/apigateway/control_plane.py), a function's new or removed permission reaches the stage only after
a delay (workshop_lib/local/awslambda/permissions.py), and CreateRestApi, DeleteRestApi and CreateDeployment are
rate-limited per account (workshop_lib/local/apigateway/quotas.py). Through boto3 and plain HTTP only."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError

from tests.local_cloud.core.timed_cloud import admin_clients
from tests.local_cloud.core.timing_observation import observe, observe_from_the_start, settle
from workshop_lib.deploy import package
from workshop_lib.local.apigateway.control_plane import NEW_DEPLOYMENT
from workshop_lib.local.apigateway.quotas import CREATE_DEPLOYMENT, CREATE_REST_API, DELETE_REST_API
from workshop_lib.local.awslambda.permissions import PERMISSION_CHANGE

pytestmark = pytest.mark.local_cloud
REGION = "us-east-1"
ACCOUNT = "123456789012"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
SOURCE = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'served'}\n"
INTERNAL_ERROR = (500, {"message": "Internal server error"})
T = TypeVar("T")


def paced(call: Callable[[], T]) -> T:
    """A control-plane call, made again while the account's rate limit refuses it (set-up steps only)."""
    while True:
        try:
            return call()
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TooManyRequestsException":
                raise
            time.sleep(0.05)


class Gateway:
    """A REST API whose POST /{path} methods invoke functions, on the timed cloud."""

    def __init__(self, cloud: Any) -> None:
        client = admin_clients(cloud)
        self.endpoint = cloud.endpoint_url
        self.scale = cloud.timing.scale
        self.apigw, self.lam = client("apigateway"), client("lambda")
        suffix = uuid.uuid4().hex[:8]
        self.role = client("iam").create_role(
            RoleName=f"timing-apigw-{suffix}", AssumeRolePolicyDocument=json.dumps(TRUST)
        )["Role"]["Arn"]
        self.api_id = paced(lambda: self.apigw.create_rest_api(name=f"timing-apigw-{suffix}"))["id"]
        self.root = self.apigw.get_resources(restApiId=self.api_id)["items"][0]["id"]

    def function(self) -> str:
        name = f"timing-apigw-{uuid.uuid4().hex[:8]}"
        code = package({"app.py": SOURCE})

        def create() -> bool:
            try:
                self.lam.create_function(FunctionName=name, Runtime="python3.12", Role=self.role,
                                         Handler="app.handler", Code={"ZipFile": code})  # fmt: skip
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "InvalidParameterValueException"  # the role is new
                return False
            return True

        settle(create, bool)
        return self.lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]

    def route(self, path: str, function_arn: str) -> None:
        resource = self.apigw.create_resource(restApiId=self.api_id, parentId=self.root, pathPart=path)["id"]
        self.apigw.put_method(restApiId=self.api_id, resourceId=resource, httpMethod="POST", authorizationType="NONE")
        self.apigw.put_integration(
            restApiId=self.api_id, resourceId=resource, httpMethod="POST", type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        )  # fmt: skip

    def allow(self, function_arn: str, statement: str) -> None:
        self.lam.add_permission(
            FunctionName=function_arn,
            StatementId=statement,
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{self.api_id}/*",
        )

    def deploy(self) -> None:
        self.apigw.create_deployment(restApiId=self.api_id, stageName="prod")

    def request(self, path: str) -> tuple[int, Any]:
        url = f"{self.endpoint}/restapis/{self.api_id}/prod/_user_request_/{path}"
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST"), timeout=30) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def bounds(self, delay: Any) -> dict[str, float]:
        return {"low": delay.low * self.scale, "high": delay.high * self.scale}


@pytest.fixture(scope="module")
def gateway(timed_cloud) -> Gateway:
    gateway = Gateway(timed_cloud)
    served, unpermitted = gateway.function(), gateway.function()
    gateway.route("served", served)
    gateway.route("unpermitted", unpermitted)
    gateway.allow(served, "apigateway-served")
    gateway.unpermitted = unpermitted  # type: ignore[attr-defined]
    paced(gateway.deploy)
    settle(lambda: gateway.request("served"), lambda answer: answer == (200, "served"))
    return gateway


def test_create_deployment__the_stage_answers_500_for_a_moment_then_serves_the_new_deployment(gateway):
    def scenario():
        time.sleep(CREATE_DEPLOYMENT.per_seconds * gateway.scale)  # the account may deploy again: no pacing below
        return observe(
            gateway.deploy,
            lambda: gateway.request("served"),
            lambda answer: answer == (200, "served"),
            **gateway.bounds(NEW_DEPLOYMENT),
        )

    seen = observe_from_the_start(scenario)
    assert all(p.value == INTERNAL_ERROR for p in seen.probes[:-1])


def _permission_change(gateway: Gateway, *, add: bool) -> Any:
    """Add a permission to a function that had none (or remove the only one it had), once the stage answers
    for the state before, and observe the stage until it answers for the state after; leaves no permission."""
    function = gateway.unpermitted  # type: ignore[attr-defined]
    statement = f"apigateway-{uuid.uuid4().hex[:8]}"
    before, after = (INTERNAL_ERROR, (200, "served")) if add else ((200, "served"), INTERNAL_ERROR)
    if not add:
        gateway.allow(function, statement)
    settle(lambda: gateway.request("unpermitted"), lambda answer: answer == before)
    if add:
        change = lambda: gateway.allow(function, statement)  # noqa: E731
    else:
        change = lambda: gateway.lam.remove_permission(FunctionName=function, StatementId=statement)  # noqa: E731
    probe = lambda: gateway.request("unpermitted")  # noqa: E731
    seen = observe(change, probe, lambda answer: answer == after, **gateway.bounds(PERMISSION_CHANGE))
    if add:
        gateway.lam.remove_permission(FunctionName=function, StatementId=statement)
    return seen


def test_add_permission__the_stage_answers_500_until_the_new_permission_propagates(gateway):
    seen = observe_from_the_start(lambda: _permission_change(gateway, add=True))
    assert seen.probes[0].value == INTERNAL_ERROR  # "Invalid permissions on Lambda function": the old decision


def test_remove_permission__the_stage_still_serves_until_the_removal_propagates(gateway):
    seen = observe_from_the_start(lambda: _permission_change(gateway, add=False))
    assert seen.probes[0].value == (200, "served")


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Make the calls at the same moment (threads behind a barrier); each gives ``ok`` or its error response. Calls
    made one after the other could arrive further apart than a scaled window: moto takes its time to answer."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            calls[i]()
            outcomes[i] = "ok"
        except ClientError as exc:
            outcomes[i] = exc.response

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _one_throttled(outcomes: list[Any]) -> dict:
    """The one refusal among calls made at once, the other having gone through."""
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    return next(o for o in outcomes if o != "ok")


def _assert_too_many_requests(response: dict, retry_after: str) -> None:
    assert response["Error"]["Code"] == "TooManyRequestsException"
    assert response["Error"]["Message"] == "Too Many Requests"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == retry_after


def test_create_rest_api__of_two_calls_at_once_one_is_throttled_with_retry_after(gateway, timed_cloud):
    time.sleep(CREATE_REST_API.per_seconds * gateway.scale)  # earlier calls out of the window
    clients = [admin_clients(timed_cloud)("apigateway") for _ in range(2)]
    outcomes = _at_once([lambda c=c: c.create_rest_api(name="timing-pair") for c in clients])
    _assert_too_many_requests(_one_throttled(outcomes), "1")  # 0.3 s at this scale, in whole seconds rounded up
    time.sleep(CREATE_REST_API.per_seconds * gateway.scale)
    assert gateway.apigw.create_rest_api(name="timing-after")["name"] == "timing-after"


def test_create_deployment__of_two_calls_at_once_one_is_throttled(gateway, timed_cloud):
    time.sleep(CREATE_DEPLOYMENT.per_seconds * gateway.scale)
    clients = [admin_clients(timed_cloud)("apigateway") for _ in range(2)]
    calls = [lambda c=c: c.create_deployment(restApiId=gateway.api_id, stageName="prod") for c in clients]
    _assert_too_many_requests(_one_throttled(_at_once(calls)), "1")
    settle(lambda: gateway.request("served"), lambda answer: answer == (200, "served"))


def test_delete_rest_api__a_second_call_within_thirty_seconds_is_throttled_until_retry_after(gateway):
    ids = [paced(lambda: gateway.apigw.create_rest_api(name="timing-doomed"))["id"] for _ in range(2)]
    paced(lambda: gateway.apigw.delete_rest_api(restApiId=ids[0]))
    response = _throttled(lambda: gateway.apigw.delete_rest_api(restApiId=ids[1]))
    window = DELETE_REST_API.per_seconds * gateway.scale  # 3 s at this scale: longer than a call takes
    _assert_too_many_requests(response, str(int(window)))
    time.sleep(int(response["ResponseMetadata"]["HTTPHeaders"]["retry-after"]))
    gateway.apigw.delete_rest_api(restApiId=ids[1])
    remaining = {api["id"] for api in gateway.apigw.get_rest_apis()["items"]}
    assert not set(ids) & remaining


def _throttled(call: Callable[[], Any]) -> dict:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response
