"""The local SageMaker runtime: InvokeEndpoint serves the model the endpoint really points to.

``POST /endpoints/{name}/invocations`` (SigV4 service "sagemaker") is answered here, not by moto (whose runtime
returns canned strings for any name). The endpoint's model was deployed when the endpoint was created or updated
(``control_plane.py``, ``models.py``); each request runs through it as the SageMaker scikit-learn container runs it
(workshop_lib/model/container: input_fn -> predict_fn -> output_fn, or transform_fn, and the container's worker's
answer). While an endpoint is Updating (timing model on, ``endpoint_states.py``) its old model serves.

Errors are AWS's: ValidationError (400) "Endpoint {name} of account {account} not found." for an unknown endpoint
or one that does not serve (Creating, Deleting, Failed); ModelError (424) with OriginalStatusCode, OriginalMessage
and LogStreamArn when the model answers 4xx/5xx (an exception in the script gives the container's 500 page, its
traceback goes to the endpoint's CloudWatch log group ``/aws/sagemaker/Endpoints/{name}``); HTTP 413 "HTTP content
length exceeded 6291456 bytes." for a body over InvokeEndpoint's 6 MB limit (the wording of AWS's answer as
reported when the limit was 5 MB; the current text is not documented). Success carries the script's Content-Type
and ``x-Amzn-Invoked-Production-Variant``. A request without Content-Type reaches the script as application/json,
the container's default (what AWS forwards in that case is not documented).

What is not emulated: the container itself (no Docker: the script runs in the cloud's process with this machine's
Python and packages, nothing is pip-installed, model_fn runs once instead of once per worker; see
workshop_lib/model/container/script.py), the model's ``Environment`` variables in ``os.environ`` (only
SAGEMAKER_PROGRAM / SAGEMAKER_SUBMIT_DIRECTORY / SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT are read), instance types
and counts, traffic splitting between several variants (the first variant serves), TargetVariant / TargetModel /
inference components, async and streaming invocations, serverless endpoints, autoscaling, data capture, and the
60-second model timeout. With the timing model off, the Creating / Updating / Deleting states take no time: the
outcome of CreateEndpoint / UpdateEndpoint / DeleteEndpoint is there when the call answers.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from ...model.container import Outcome, invoke
from ...model.container.responses import server_error
from ..core.context import CloudContext
from ..core.moto_seam import MotoBackends, MotoDispatcher
from ..core.signing import region_of, signed_service
from ..core.timing import Timing
from .control_plane import EndpointControlPlane
from .endpoint_states import SERVING, EndpointStates
from .exceptions import MAX_BODY_BYTES, ModelError, PayloadTooLarge, ValidationError, log_group
from .models import ModelStore
from .monitoring import EndpointMonitor

log = logging.getLogger("workshop_lib.local.sagemaker")

_INVOKE_PATH = re.compile(r"^/endpoints/([^/]+)/invocations$")


def sagemaker_services(
    ctx: CloudContext,
    backends: MotoBackends,
    moto: MotoDispatcher,
    timing: Timing,
    monitor: EndpointMonitor | None = None,
) -> list[EndpointControlPlane | SageMakerRuntimeService]:
    """The control plane and the runtime, sharing the endpoints' deployed models and in-between states (``monitor``:
    what each InvokeEndpoint leaves in CloudWatch)."""
    states = EndpointStates(timing, backends)
    runtime = SageMakerRuntimeService(ctx, backends, states, monitor)
    return [EndpointControlPlane(ctx, backends, moto, runtime.models, states), runtime]


class SageMakerRuntimeService:
    """InvokeEndpoint over the endpoints' deployed models."""

    def __init__(
        self, ctx: CloudContext, backends: MotoBackends, states: EndpointStates, monitor: EndpointMonitor | None = None
    ) -> None:
        self.ctx = ctx
        self.monitor = monitor or EndpointMonitor(backends, ctx.region, None)  # CloudWatch: log line, metrics
        self.backends = backends
        self.states = states
        self.models = ModelStore(backends, ctx.work_dir / "sagemaker", self._log)
        self._log_lock = threading.Lock()

    def matches(self, request: Request) -> bool:
        if request.method != "POST":
            return False
        service = signed_service(request)
        if service is not None and service != "sagemaker":
            return False
        return bool(_INVOKE_PATH.match(request.path))

    def handle(self, request: Request) -> Response:
        match = _INVOKE_PATH.match(request.path)
        assert match is not None  # matches() checked it
        return self.monitor.observe(request, unquote(match.group(1)), self._invoke)

    def close(self) -> None:
        self.models.close()

    def _invoke(self, request: Request, name: str) -> Response:
        body = request.get_data(cache=True)
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge()
        region = region_of(request, self.ctx.region)
        self.states.expire()  # updates and deletions whose time is over are complete before moto is read
        endpoint = self.backends.endpoint(name, region)
        if endpoint is None or self.states.status(region, name, endpoint.status) not in SERVING:
            raise ValidationError(f"Endpoint {name} of account {self.ctx.account_id} not found.")
        served = self.models.serving(region, name)  # while Updating, the old model: the new one serves once promoted
        variant = served.variant if served is not None else "AllTraffic"
        if served is None:  # not deployed through the control plane (moto's backend written directly)
            self._log(region, name, variant, f"no model is deployed for endpoint config {endpoint.config_name}")
            outcome: Outcome = server_error()
        else:
            outcome = invoke(
                served.loaded,
                body,
                request.headers.get("Content-Type"),
                request.headers.get("Accept"),
                lambda text: self._log(region, name, variant, text),
            )
        if outcome.status >= 400:
            raise ModelError(outcome.status, outcome.body, region=region, endpoint=name, account_id=self.ctx.account_id)
        resp = Response(outcome.body, status=200, content_type=outcome.content_type)
        resp.headers["x-Amzn-Invoked-Production-Variant"] = variant
        resp.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return resp

    def _log(self, region: str, name: str, variant: str, message: str) -> None:
        """Append a line to the endpoint's CloudWatch log group (as the container's stdout would)."""
        group, stream = log_group(name), f"{variant}/local"
        log.info("%s %s", group, message.splitlines()[0] if message else "")
        try:
            logs = self.backends.logs(region)
            with self._log_lock:
                logs.ensure_stream(group, stream)
                logs.put_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": message}])
        except Exception as exc:  # noqa: BLE001 - logging must never break an invocation
            log.warning("could not write to %s: %r", group, exc)
