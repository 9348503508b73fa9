"""What the local cloud completes of moto's SageMaker control plane: endpoints deploy their model, and go through
AWS's in-between states when the timing model is on (``endpoint_states.py``; with it off every state's time is
zero).

- ``CreateEndpoint``: moto creates the endpoint, then its model is deployed (``models.py``: download, extraction,
  model_fn, as SageMaker does) before the answer. The endpoint is Creating until the timing model's time is over,
  then InService, or ``Failed`` with AWS's FailureReason when the model could not load (the details are in the
  endpoint's log group). A Failed endpoint stays Failed: DeleteEndpoint is the only call it accepts.
- ``UpdateEndpoint`` (missing from moto 5.2): the new config's model is deployed while the old one keeps serving,
  and the endpoint is Updating (``PendingDeploymentSummary`` names the new config) until the timing model's time is
  over. Then, on success, it switches to the new config and model; on failure it is InService on the old config
  with the FailureReason (AWS: a failed update leaves the endpoint serving its old configuration).
- ``DescribeEndpoint`` / ``ListEndpoints``: moto's answer with the state of the moment.
- ``DeleteEndpoint``: answers at once; the endpoint is Deleting (listed and describable, InvokeEndpoint refused)
  until it is gone, and its model is discarded.

boto3's ``endpoint_in_service`` and ``endpoint_deleted`` waiters work against these answers.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core.context import CloudContext
from ..core.json_body import json_params, with_json_body
from ..core.moto_seam import MotoBackends, MotoDispatcher
from ..core.signing import region_of, signed_service
from .endpoint_states import EndpointStates
from .exceptions import DeployFailed, ValidationException
from .models import ModelStore

_PREFIX = "SageMaker."
_OPERATIONS = ("CreateEndpoint", "UpdateEndpoint", "DescribeEndpoint", "ListEndpoints", "DeleteEndpoint")


def _answer(doc: dict[str, Any]) -> Response:
    resp = Response(json.dumps(doc), content_type="application/x-amz-json-1.1")
    resp.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return resp


class EndpointControlPlane:
    """Endpoint calls through moto, with the endpoint's model deployed or discarded and its in-between states."""

    def __init__(
        self,
        ctx: CloudContext,
        backends: MotoBackends,
        moto: MotoDispatcher,
        models: ModelStore,
        states: EndpointStates,
    ) -> None:
        self.ctx = ctx
        self.backends = backends
        self.moto = moto
        self.models = models
        self.states = states

    def matches(self, request: Request) -> bool:
        if request.method != "POST" or request.path != "/":
            return False
        if signed_service(request) not in (None, "sagemaker"):
            return False
        target = request.headers.get("X-Amz-Target", "")
        return target.startswith(_PREFIX) and target[len(_PREFIX) :] in _OPERATIONS

    def handle(self, request: Request) -> Response:
        operation = request.headers["X-Amz-Target"][len(_PREFIX) :]
        region = region_of(request, self.ctx.region)
        self.states.expire()  # updates and deletions whose time is over are complete before moto is read
        name = json_params(request).get("EndpointName")
        if operation == "UpdateEndpoint":
            return self._update(request, region)
        if operation == "DeleteEndpoint" and isinstance(name, str):
            return self._delete(request, region, name)
        resp = self.moto.answer(request)
        if resp.status_code != 200:
            return resp
        if operation == "CreateEndpoint":
            self._create(region, str(name))
            return resp
        doc = json.loads(resp.get_data())
        if operation == "DescribeEndpoint":
            self._complete(doc, region)
        else:
            for entry in doc.get("Endpoints", []):
                entry["EndpointStatus"] = self.states.status(region, entry["EndpointName"], entry["EndpointStatus"])
        return with_json_body(resp, doc)

    def close(self) -> None:
        pass

    def _create(self, region: str, name: str) -> None:
        """CreateEndpoint's outcome, shown once Creating is over: the model serving, or the endpoint Failed."""
        self.states.created(region, name)
        endpoint = self.backends.endpoint(name, region)
        if endpoint is None:
            return
        try:
            served = self.models.load(region, name, endpoint.config_name)
        except DeployFailed as exc:
            self.models.forget(region, name)
            self.backends.set_endpoint_status(name, region, "Failed", exc.reason)
            return
        self.models.put(region, name, served)

    def _complete(self, doc: dict[str, Any], region: str) -> None:
        """DescribeEndpoint's document with the state of the moment."""
        name = doc["EndpointName"]
        doc["EndpointStatus"] = self.states.status(region, name, doc["EndpointStatus"])
        new_config = self.states.new_config(region, name)
        if new_config is not None:
            doc["PendingDeploymentSummary"] = {"EndpointConfigName": new_config}

    def _update(self, request: Request, region: str) -> Response:
        params = json_params(request)
        name, config_name = params.get("EndpointName"), params.get("EndpointConfigName")
        if not isinstance(name, str) or not isinstance(config_name, str):
            raise ValidationException("UpdateEndpoint needs EndpointName and EndpointConfigName")
        arn = f"arn:aws:sagemaker:{region}:{self.ctx.account_id}"
        endpoint = self.backends.endpoint(name, region)
        if endpoint is None:
            raise ValidationException(f'Could not find endpoint "{arn}:endpoint/{name.lower()}".')
        if not self.backends.endpoint_config_exists(config_name, region):
            raise ValidationException(
                f'Could not find endpoint configuration "{arn}:endpoint-config/{config_name.lower()}".'
            )
        status = self.states.status(region, name, endpoint.status)
        if status == "Failed":
            raise ValidationException(
                f'Cannot update failed endpoint "{endpoint.arn}". '
                "DeleteEndpoint is the only operation that can be performed on a failed endpoint."
            )
        if status != "InService":
            raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        try:
            served = self.models.load(region, name, config_name)
        except DeployFailed as exc:  # the old config keeps serving; the reason shows once Updating is over
            reason = exc.reason
            self.states.update(
                region, name, config_name, lambda: self.backends.set_endpoint_status(name, region, "InService", reason)
            )
        else:
            self.models.stage(region, name, served)
            self.states.update(region, name, config_name, lambda: self._switch(region, name, config_name))
        return _answer({"EndpointArn": endpoint.arn})

    def _switch(self, region: str, name: str, config_name: str) -> None:
        """A successful update's end: the endpoint serves the new config and its model, without a FailureReason."""
        self.backends.update_endpoint(name, config_name, region)
        self.backends.set_endpoint_status(name, region, "InService", None)
        self.models.promote(region, name)

    def _delete(self, request: Request, region: str, name: str) -> Response:
        if self.backends.endpoint(name, region) is None:
            return self.moto.answer(request)  # moto's ValidationException: Could not find endpoint
        self.states.delete(region, name)
        self.models.forget(region, name)
        return _answer({})
