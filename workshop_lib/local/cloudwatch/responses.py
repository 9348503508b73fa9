"""The local cloud's CloudWatch: moto answers the API (PutMetricData, GetMetricData, GetMetricStatistics,
ListMetrics, alarms, dashboards); the kit adds what moto does not do.

- Metrics from logs and services (``metrics_writer.py``): EMF lines of Lambda functions (``emf.py``) and the
  ``AWS/Lambda`` and ``AWS/SageMaker`` metrics (``service_metrics.py``), visible to the API within a second.
- Alarm evaluation (``evaluator.py``, rules in ``evaluation.py``): state changes with their reasons and history, and
  the alarm's actions published to SNS (``notification.py``).
- DescribeAlarmHistory, which moto 5.2 lacks, answered from the evaluator's history (this module).

This service is also what the router closes: it stops the writer's and the evaluator's threads, and what it is
handed to close with them (the SNS deliveries).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Protocol

from werkzeug.wrappers import Request, Response

from ..core.json_body import json_params
from .evaluator import AlarmEvaluator
from .metrics_writer import MetricsWriter

JSON_TARGET_PREFIX = "GraniteServiceVersion20100801."
HISTORY_TARGET = JSON_TARGET_PREFIX + "DescribeAlarmHistory"


class Closable(Protocol):
    def close(self) -> None: ...


class MonitoringService:
    """Owns the metrics writer and the alarm evaluator; answers DescribeAlarmHistory."""

    def __init__(
        self, writer: MetricsWriter, evaluator: AlarmEvaluator | None = None, closing: Iterable[Closable] = ()
    ) -> None:
        self.writer = writer
        self.evaluator = evaluator
        self.closing = list(closing)

    def matches(self, request: Request) -> bool:
        return (
            self.evaluator is not None
            and request.method == "POST"
            and request.headers.get("X-Amz-Target") == HISTORY_TARGET
        )

    def handle(self, request: Request) -> Response:
        params = json_params(request)
        assert self.evaluator is not None  # matches() checked it
        body = self.evaluator.history.describe(params)
        resp = Response(json.dumps(body), content_type="application/x-amz-json-1.0")
        resp.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return resp

    def close(self) -> None:
        if self.evaluator is not None:
            self.evaluator.close()
        self.writer.close()
        for other in self.closing:
            other.close()
