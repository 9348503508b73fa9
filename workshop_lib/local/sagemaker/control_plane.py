"""What the local cloud completes of moto's SageMaker control plane: endpoints deploy their model.

- ``CreateEndpoint``: moto creates the endpoint (InService at once), then its model is deployed (``models.py``)
  before the answer: the endpoint is InService with the model loaded, or ``Failed`` with AWS's FailureReason
  (DescribeEndpoint shows it; the details are in the endpoint's log group). AWS answers at once and goes through
  ``Creating``; the local cloud reports the outcome at once instead.
- ``UpdateEndpoint`` (missing from moto 5.2): the new config's model is deployed while the old one keeps serving.
  Success switches the endpoint to the new config; failure keeps the old config serving, the endpoint InService,
  with the FailureReason (AWS: "the status is InService but update operation fails").
- ``DeleteEndpoint``: moto deletes the endpoint, and its model is discarded.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core.context import CloudContext
from ..core.moto_seam import MotoBackends, MotoDispatcher
from ..core.signing import region_of, signed_service
from .exceptions import DeployFailed, ValidationException
from .models import ModelStore

_CREATE, _UPDATE, _DELETE = "SageMaker.CreateEndpoint", "SageMaker.UpdateEndpoint", "SageMaker.DeleteEndpoint"


def _params(request: Request) -> dict[str, Any]:
    try:
        params = json.loads(request.get_data(cache=True) or b"{}")
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}


class SageMakerControlPlane:
    """CreateEndpoint, UpdateEndpoint and DeleteEndpoint, with the endpoint's model deployed or discarded."""

    def __init__(self, ctx: CloudContext, backends: MotoBackends, moto: MotoDispatcher, models: ModelStore) -> None:
        self.ctx = ctx
        self.backends = backends
        self.moto = moto
        self.models = models

    def matches(self, request: Request) -> bool:
        if request.method != "POST" or request.path != "/":
            return False
        if signed_service(request) not in (None, "sagemaker"):
            return False
        return request.headers.get("X-Amz-Target") in (_CREATE, _UPDATE, _DELETE)

    def handle(self, request: Request) -> Response:
        target = request.headers.get("X-Amz-Target")
        region = region_of(request, self.ctx.region)
        if target == _UPDATE:
            return self._update(request, region)
        resp = self.moto.answer(request)
        name = _params(request).get("EndpointName")
        if resp.status_code != 200 or not isinstance(name, str):
            return resp
        if target == _DELETE:
            self.models.forget(region, name)
            return resp
        endpoint = self.backends.endpoint(name, region)
        if endpoint is not None:
            self._deploy(region, name, endpoint.config_name)
        return resp

    def close(self) -> None:
        pass

    def _deploy(self, region: str, name: str, config_name: str) -> None:
        """CreateEndpoint's outcome: the model serving, or the endpoint Failed."""
        try:
            served = self.models.load(region, name, config_name)
        except DeployFailed as exc:
            self.models.forget(region, name)
            self.backends.set_endpoint_status(name, region, "Failed", exc.reason)
            return
        self.models.put(region, name, served)

    def _update(self, request: Request, region: str) -> Response:
        params = _params(request)
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
        if endpoint.status == "Failed":
            raise ValidationException(
                f'Cannot update failed endpoint "{endpoint.arn}". '
                "DeleteEndpoint is the only operation that can be performed on a failed endpoint."
            )
        if endpoint.status != "InService":
            raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        try:
            served = self.models.load(region, name, config_name)
        except DeployFailed as exc:  # the old config keeps serving
            self.backends.set_endpoint_status(name, region, "InService", exc.reason)
        else:
            self.backends.update_endpoint(name, config_name, region)
            self.backends.set_endpoint_status(name, region, "InService", None)
            self.models.put(region, name, served)
        resp = Response(json.dumps({"EndpointArn": endpoint.arn}), content_type="application/x-amz-json-1.1")
        resp.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return resp
