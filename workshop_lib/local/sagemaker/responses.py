"""The local SageMaker runtime: InvokeEndpoint serves the model the endpoint really points to.

``POST /endpoints/{name}/invocations`` (SigV4 service "sagemaker") is answered here, not by moto
(whose runtime returns canned strings for any name). For an endpoint that exists and is InService
in moto's SageMaker backend, the service follows endpoint -> endpoint config -> first production
variant -> model -> ``PrimaryContainer.ModelDataUrl``, reads that model.tar.gz from moto's S3,
extracts it under the cloud's work dir, imports the script named by ``SAGEMAKER_PROGRAM`` from
``code/`` and calls it the way the SageMaker scikit-learn container (1.2-1, Flask worker) does:
``model_fn(model_dir)`` once, then ``input_fn(body, content_type)``, ``predict_fn(data, model)`` and
``output_fn(prediction, accept)`` per request. The loaded model is reused until the endpoint is
recreated or updated to another endpoint config (like AWS, a running endpoint keeps serving the
model it was deployed with even if the S3 object is overwritten later).

Errors are AWS's: ValidationError (400) "Endpoint {name} of account {account} not found." for an
unknown or not-InService endpoint; ModelError (424) with OriginalStatusCode, OriginalMessage and
LogStreamArn when the model answers 4xx/5xx (an exception in the script gives the container's 500
HTML page, its traceback goes to the endpoint's CloudWatch log group
``/aws/sagemaker/Endpoints/{name}``); HTTP 413 "HTTP content length exceeded 6291456 bytes." for
a body over InvokeEndpoint's 6 MB limit (the wording of AWS's answer as reported when the limit was
5 MB; the current text is not documented). Success carries the script's Content-Type and
``x-Amzn-Invoked-Production-Variant``. A request without Content-Type reaches the script as
application/json, the container's default (what AWS forwards in that case is not documented).

moto 5.2 has no UpdateEndpoint; this service completes it on moto's backend (``SageMaker.UpdateEndpoint``):
the endpoint switches to the new config at once and stays InService. With the timing model on
(``endpoint_states.py``) it is Updating for a while first, serving the old config meanwhile, and InvokeEndpoint
refuses an endpoint that is Creating or Deleting with the not-found answer above.

What is not emulated: the container itself (no Docker; the script runs inside the cloud process
with this machine's Python and packages, where the container has Python 3.9, scikit-learn 1.2.1 and
numpy 1.x; ``code/requirements.txt`` is not installed), the model's
``Environment`` variables in ``os.environ`` (only SAGEMAKER_PROGRAM / SAGEMAKER_SUBMIT_DIRECTORY /
SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT are read), instance types and counts, traffic splitting
between several variants (the first variant serves), TargetVariant / TargetModel / inference
components, async and streaming invocations, serverless endpoints, autoscaling, data capture,
the 60-second model timeout, and (timing model off) the Creating/Updating/Deleting states: moto makes
endpoints InService at once.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from ..core.context import CloudContext
from ..core.moto_seam import MotoBackends
from ..core.signing import region_of, signed_service
from ..core.timing import Timing
from .container import server_error, transform
from .endpoint_states import SERVING, EndpointStates
from .exceptions import (
    MAX_BODY_BYTES,
    ModelError,
    ModelLoadError,
    PayloadTooLarge,
    ValidationError,
    ValidationException,
    log_group,
)
from .models import ModelStore
from .monitoring import EndpointMonitor

log = logging.getLogger("workshop_lib.local.sagemaker")

_INVOKE_PATH = re.compile(r"^/endpoints/([^/]+)/invocations$")
_UPDATE_TARGET = "SageMaker.UpdateEndpoint"


class SageMakerRuntimeService:
    """InvokeEndpoint (and the missing UpdateEndpoint) over moto's SageMaker and S3 backends."""

    def __init__(
        self,
        ctx: CloudContext,
        backends: MotoBackends,
        states: EndpointStates | None = None,
        monitor: EndpointMonitor | None = None,
    ) -> None:
        self.ctx = ctx
        self.monitor = monitor or EndpointMonitor(backends, ctx.region, None)  # CloudWatch: log line, metrics
        self.backends = backends
        self.states = states or EndpointStates(Timing(), backends)  # no in-between states unless the timing is on
        self.models = ModelStore(backends, ctx.work_dir / "sagemaker", self._log)
        self._log_lock = threading.Lock()

    def matches(self, request: Request) -> bool:
        if request.method != "POST":
            return False
        service = signed_service(request)
        if service is not None and service != "sagemaker":
            return False
        if _INVOKE_PATH.match(request.path):
            return True
        return request.path == "/" and request.headers.get("X-Amz-Target") == _UPDATE_TARGET

    def handle(self, request: Request) -> Response:
        if request.headers.get("X-Amz-Target") == _UPDATE_TARGET:
            return self._update_endpoint(request)
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
            self.models.forget(region, name)
            raise ValidationError(f"Endpoint {name} of account {self.ctx.account_id} not found.")
        try:
            served = self.models.serving(region, name, endpoint)
        except ModelLoadError as exc:
            self._log(region, name, "AllTraffic", str(exc))
            outcome = server_error()
        else:
            outcome = transform(served, request, body, lambda text: self._log(region, name, served.variant, text))
        if outcome.status >= 400:
            raise ModelError(
                outcome.status, outcome.body, region=region, endpoint=name, account_id=self.ctx.account_id
            )
        resp = Response(outcome.body, status=200, content_type=outcome.content_type)
        resp.headers["x-Amzn-Invoked-Production-Variant"] = served.variant
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

    # --- UpdateEndpoint (missing from moto 5.2) -----------------------------------------------
    def _update_endpoint(self, request: Request) -> Response:
        try:
            params = json.loads(request.get_data(cache=True) or b"{}")
            name, config_name = params["EndpointName"], params["EndpointConfigName"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValidationException(f"UpdateEndpoint needs EndpointName and EndpointConfigName: {exc}") from None
        region = region_of(request, self.ctx.region)
        arn = f"arn:aws:sagemaker:{region}:{self.ctx.account_id}"
        self.states.expire()
        endpoint = self.backends.endpoint(name, region)
        if endpoint is None:
            raise ValidationException(f'Could not find endpoint "{arn}:endpoint/{name.lower()}".')
        if not self.backends.endpoint_config_exists(config_name, region):
            raise ValidationException(
                f'Could not find endpoint configuration "{arn}:endpoint-config/{config_name.lower()}".'
            )
        if self.states.status(region, name, endpoint.status) != "InService":
            raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        self.states.update(region, name, config_name)
        resp = Response(json.dumps({"EndpointArn": endpoint.arn}), content_type="application/x-amz-json-1.1")
        resp.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return resp
