"""The SageMaker control-plane calls the timing model completes (wired only when it is on): CreateEndpoint,
DescribeEndpoint, ListEndpoints and DeleteEndpoint, so an endpoint goes through Creating and Deleting as on AWS
(``endpoint_states.py``). UpdateEndpoint, which moto lacks, is answered by the runtime service (``responses.py``).

DescribeEndpoint answers the state of the moment (and, while Updating, ``PendingDeploymentSummary`` with the new
configuration's name); ListEndpoints the same per endpoint; DeleteEndpoint answers at once and leaves the endpoint
Deleting (still listed and describable, with its tags; InvokeEndpoint refused) until it is gone, after which
DescribeEndpoint answers ValidationException "Could not find endpoint" (moto's). boto3's ``endpoint_in_service``
and ``endpoint_deleted`` waiters work against these answers.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core.json_body import json_params, with_json_body
from ..core.moto_seam import MotoBackends, MotoDispatcher
from ..core.signing import region_of
from .endpoint_states import EndpointStates

_PREFIX = "SageMaker."
_OPERATIONS = ("CreateEndpoint", "DescribeEndpoint", "ListEndpoints", "DeleteEndpoint")


class EndpointControlPlane:
    """Endpoint calls through moto, with the endpoint's in-between states."""

    def __init__(
        self, backends: MotoBackends, moto: MotoDispatcher, states: EndpointStates, default_region: str
    ) -> None:
        self.backends = backends
        self.moto = moto
        self.states = states
        self.default_region = default_region

    def matches(self, request: Request) -> bool:
        target = request.headers.get("X-Amz-Target", "")
        return request.method == "POST" and target.startswith(_PREFIX) and target[len(_PREFIX) :] in _OPERATIONS

    def handle(self, request: Request) -> Response:
        operation = request.headers["X-Amz-Target"][len(_PREFIX) :]
        region = region_of(request, self.default_region)
        self.states.expire()
        name = json_params(request).get("EndpointName")
        if operation == "DeleteEndpoint" and isinstance(name, str):
            return self._delete(request, region, name)
        resp = self.moto.answer(request)
        if resp.status_code != 200:
            return resp
        if operation == "CreateEndpoint":
            self.states.created(region, str(name))
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

    def _complete(self, doc: dict[str, Any], region: str) -> None:
        """DescribeEndpoint's document with the state of the moment."""
        name = doc["EndpointName"]
        doc["EndpointStatus"] = self.states.status(region, name, doc["EndpointStatus"])
        new_config = self.states.new_config(region, name)
        if new_config is not None:
            doc["PendingDeploymentSummary"] = {"EndpointConfigName": new_config}

    def _delete(self, request: Request, region: str, name: str) -> Response:
        if self.backends.endpoint(name, region) is None:
            return self.moto.answer(request)  # moto's ValidationException: Could not find endpoint
        self.states.delete(region, name)
        resp = Response("{}", content_type="application/x-amz-json-1.1")
        resp.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return resp
