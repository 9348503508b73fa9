"""What the local cloud completes of moto's API Gateway control plane: deployments frozen as they are made, and
the ``binaryMediaTypes`` moto drops.

Each CreateDeployment call is seen here, and the API's resources, methods, integrations and binaryMediaTypes are
frozen at that moment, so a stage serves what was deployed: changes made afterwards are served only after the
next deployment, as on AWS. (A deployment created without going through this cloud's HTTP port, which the kit
never does, is frozen when it is first served.) CreateRestApi's ``binaryMediaTypes`` and UpdateRestApi's
``/binaryMediaTypes/{type}`` operations are recorded on moto's API; every other control-plane call is moto's.

With the timing model on (``core/timing.py``), a stage that CreateDeployment (with ``stageName``) just deployed
answers 500 ``{"message": "Internal server error"}`` for ``NEW_DEPLOYMENT`` (1 to 4 s) while the deployment
propagates. AWS documents no figure for this window; the answer is the shape API Gateway gives for an internal
failure (AWS re:Post Knowledge Center, "How can I troubleshoot 5xx errors for API Gateway?": 500 for "internal
service failures"). Not emulated: the same window after CreateStage or UpdateStage's deploymentId.
"""

from __future__ import annotations

import json
import logging
import re
import threading

from werkzeug.wrappers import Request, Response

from ..core.json_body import json_params, with_json_body
from ..core.moto_seam import MotoBackends, MotoDispatcher
from ..core.propagation import Deadlines
from ..core.records import StageRecord
from ..core.timing import Delay, Timing
from .models import FrozenDeployment, freeze

log = logging.getLogger("workshop_lib.local.apigateway")

CREATE_DEPLOYMENT = re.compile(r"^/restapis/([^/]+)/deployments/?$")
REST_APIS = re.compile(r"^/restapis/?$")
REST_API = re.compile(r"^/restapis/([^/]+)/?$")
_BINARY_PATH = "/binaryMediaTypes/"
NEW_DEPLOYMENT = Delay(1.0, 4.0, 'AWS re:Post Knowledge Center, "How can I troubleshoot 5xx errors for API Gateway?"')


def _stage_name(request: Request) -> str | None:
    """CreateDeployment's ``stageName``, None when it names no stage."""
    stage = json_params(request).get("stageName")
    return stage if isinstance(stage, str) and stage else None


class Deployments:
    """The frozen deployments of every REST API, and the control-plane calls that make them."""

    def __init__(self, backends: MotoBackends, moto: MotoDispatcher, timing: Timing | None = None) -> None:
        self.backends = backends
        self.moto = moto
        # (region, api, stage) deployed moments ago: the stage answers 5xx until then (timing model).
        self.settling: Deadlines[tuple[str, str, str]] = Deadlines(timing or Timing(), NEW_DEPLOYMENT)
        self._frozen: dict[tuple[str, str, str], FrozenDeployment] = {}  # (region, api, deployment)
        self._lock = threading.Lock()

    @staticmethod
    def matches(request: Request) -> bool:
        if request.method == "POST":
            return bool(CREATE_DEPLOYMENT.match(request.path) or REST_APIS.match(request.path))
        return request.method == "PATCH" and REST_API.match(request.path) is not None

    def handle(self, request: Request, region: str) -> Response:
        if match := CREATE_DEPLOYMENT.match(request.path):
            return self._create_deployment(request, match.group(1), region)
        if REST_APIS.match(request.path):
            return self._create_rest_api(request, region)
        match = REST_API.match(request.path)
        assert match is not None  # matches() checked it
        return self._update_rest_api(request, match.group(1), region)

    def deployment(self, region: str, api_id: str, stage: StageRecord) -> FrozenDeployment | None:
        """What a stage serves: its deployment as frozen (frozen now if it was made without this cloud)."""
        key = (region, api_id, stage.deployment_id)
        with self._lock:
            frozen = self._frozen.get(key)
            if frozen is None and stage.deployed:
                definition = self.backends.rest_api(api_id, region)
                if definition is not None:
                    frozen = self._frozen[key] = freeze(definition, stage.deployment_id)
            return frozen

    def _create_deployment(self, request: Request, api_id: str, region: str) -> Response:
        definition = self.backends.rest_api(api_id, region)  # what the API defines as the deployment is made
        resp = self.moto.answer(request)
        if definition is not None and resp.status_code in (200, 201):
            try:
                deployment_id = json.loads(resp.get_data())["id"]
            except (ValueError, KeyError, TypeError):
                log.warning("CreateDeployment answered without an id; its deployment is frozen when first served")
            else:
                with self._lock:
                    self._frozen[(region, api_id, deployment_id)] = freeze(definition, deployment_id)
        stage = _stage_name(request)
        if stage and resp.status_code in (200, 201):
            self.settling.start((region, api_id, stage))
        return resp

    def _create_rest_api(self, request: Request, region: str) -> Response:
        """CreateRestApi through moto, keeping the ``binaryMediaTypes`` moto ignores."""
        try:
            media_types = json.loads(request.get_data() or b"{}").get("binaryMediaTypes")
        except (ValueError, AttributeError):
            media_types = None
        resp = self.moto.answer(request)
        if not media_types or resp.status_code not in (200, 201):
            return resp
        doc = json.loads(resp.get_data())
        recorded = self.backends.set_binary_media_types(doc.get("id"), region, media_types)
        if recorded is not None:
            doc["binaryMediaTypes"] = recorded
        return with_json_body(resp, doc)

    def _update_rest_api(self, request: Request, api_id: str, region: str) -> Response:
        """UpdateRestApi: ``/binaryMediaTypes/{type}`` operations as AWS applies them, the rest by moto.

        AWS names the media type in the path (``image~1png``); moto would take it from ``value``.
        """
        try:
            body = json.loads(request.get_data() or b"{}")
            operations = list(body.get("patchOperations") or [])
        except (ValueError, AttributeError, TypeError):
            return self.moto.answer(request)
        mine = [op for op in operations if str(op.get("path", "")).startswith(_BINARY_PATH)]
        if not mine:
            return self.moto.answer(request)
        rest = json.dumps({**body, "patchOperations": [op for op in operations if op not in mine]}).encode()
        resp = self.moto.answer(request, rest)
        types = self.backends.binary_media_types(api_id, region)
        if resp.status_code != 200 or types is None:
            return resp
        for op in mine:
            named = op["path"][len(_BINARY_PATH) :].replace("~1", "/").replace("~0", "~")
            if op.get("op") == "add" and named not in types:
                types.append(named)
            elif op.get("op") == "remove" and named in types:
                types.remove(named)
            elif op.get("op") == "replace" and op.get("value"):
                types = [str(op["value"]) if t == named else t for t in types]
        recorded = self.backends.set_binary_media_types(api_id, region, types) or types
        return with_json_body(resp, {**json.loads(resp.get_data()), "binaryMediaTypes": recorded})
