"""What one InvokeEndpoint leaves in CloudWatch: an access-log line in the endpoint's log group and the
``AWS/SageMaker`` invocation metrics (``cloudwatch/service_metrics.py``).

The runtime service hands every InvokeEndpoint to ``EndpointMonitor.observe`` (its one call site), which times it
and, when the request reached the model, writes the line the SageMaker containers' nginx front end writes for
``POST /invocations`` (``/aws/sagemaker/Endpoints/<name>``, stream ``<variant>/local``, beside the lines the script
and its tracebacks write) and reports the metrics. A request refused before the model (an unknown endpoint, a body
too large) leaves neither, as on AWS.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from werkzeug.wrappers import Request, Response

from ..core.moto_seam import MotoBackends
from ..core.signing import region_of
from .exceptions import ModelError, log_group

log = logging.getLogger("workshop_lib.local.sagemaker")
_VARIANT_HEADER = "x-Amzn-Invoked-Production-Variant"


class EndpointMetricsSink(Protocol):
    """What CloudWatch is told (``cloudwatch/metrics_writer.MetricsWriter``)."""

    def endpoint_invocation(self, region: str, endpoint: str, variant: str, status: int, latency_us: float) -> None: ...


def access_line(status: int, size: int, when: datetime) -> str:
    """The nginx access-log line of the SageMaker containers for one ``POST /invocations``."""
    return f'10.32.0.2 - - [{when:%d/%b/%Y:%H:%M:%S} +0000] "POST /invocations HTTP/1.1" {status} {size} "-" "AHC/2.0"'


class EndpointMonitor:
    """Times each InvokeEndpoint and records its log line and metrics."""

    def __init__(self, backends: MotoBackends, default_region: str, metrics: EndpointMetricsSink | None) -> None:
        self.backends = backends
        self.default_region = default_region
        self.metrics = metrics
        self._lock = threading.Lock()

    def observe(self, request: Request, endpoint: str, invoke: Callable[[Request, str], Response]) -> Response:
        """``invoke(request, endpoint)``, recorded; its answer or its error, unchanged."""
        started = time.perf_counter()
        try:
            response = invoke(request, endpoint)
        except ModelError as error:
            self._record(request, endpoint, None, error.original_status, len(error.original_message), started)
            raise
        variant = response.headers.get(_VARIANT_HEADER)
        self._record(request, endpoint, variant, 200, response.content_length or 0, started)
        return response

    def _record(
        self, request: Request, endpoint: str, variant: str | None, status: int, size: int, started: float
    ) -> None:
        latency_us = (time.perf_counter() - started) * 1e6
        region = region_of(request, self.default_region)
        try:
            variant = variant or self._variant(endpoint, region)
            if self.metrics is not None:
                self.metrics.endpoint_invocation(region, endpoint, variant, status, latency_us)
            group, stream = log_group(endpoint), f"{variant}/local"
            logs = self.backends.logs(region)
            message = access_line(status, size, datetime.now(UTC))
            with self._lock:
                logs.ensure_stream(group, stream)
                logs.put_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": message}])
        except Exception as exc:  # noqa: BLE001 - monitoring must never break an invocation
            log.warning("could not record the invocation of %s: %r", endpoint, exc)

    def _variant(self, endpoint: str, region: str) -> str:
        record = self.backends.endpoint(endpoint, region)
        return self.backends.endpoint_model(record, region).variant if record else "AllTraffic"
