"""The local cloud's CloudWatch: moto answers the API (PutMetricData, GetMetricData, GetMetricStatistics,
ListMetrics, alarms, dashboards); the kit adds what moto does not do.

- Metrics from logs and services (``metrics_writer.py``): EMF lines of Lambda functions (``emf.py``) and the
  ``AWS/Lambda`` and ``AWS/SageMaker`` metrics (``service_metrics.py``), visible to the API within a second.
- Alarm evaluation (``evaluator.py``, rules in ``evaluation.py``): state changes with their reasons and history, and
  the alarm's actions published to SNS (``notification.py``).
- DescribeAlarmHistory, which moto 5.2 lacks, answered from the evaluator's history (this module); PutMetricAlarm
  completed after moto's answer: the new alarm is INSUFFICIENT_DATA (moto's is OK) before the call returns.
- GetMetricData (MetricStat queries) and GetMetricStatistics with CloudWatch's exact metric matching
  (``metric_queries.py``: moto matches dimensions loosely). CloudWatch's JSON protocol only (what boto3 speaks);
  a query-protocol call (older SDKs and the AWS CLI v1) is moto's.

This service is also what the router closes: it stops the writer's and the evaluator's threads, and what it is
handed to close with them (the SNS deliveries).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Protocol

from werkzeug.wrappers import Request, Response

from ..core.json_body import json_params
from ..core.moto_seam import MotoCloudWatch, MotoDispatcher
from ..core.signing import region_of
from . import metric_queries
from .evaluator import AlarmEvaluator
from .metrics_writer import MetricsWriter

JSON_TARGET_PREFIX = "GraniteServiceVersion20100801."


class Closable(Protocol):
    def close(self) -> None: ...


class MonitoringService:
    """Owns the metrics writer and the alarm evaluator; answers DescribeAlarmHistory, and GetMetricData and
    GetMetricStatistics with CloudWatch's exact metric matching (``metric_queries.py``)."""

    def __init__(
        self,
        writer: MetricsWriter,
        evaluator: AlarmEvaluator,
        cloudwatch: Callable[[str], MotoCloudWatch],
        moto: MotoDispatcher,
        default_region: str,
        closing: Iterable[Closable] = (),
    ) -> None:
        self.moto = moto
        self.writer = writer
        self.evaluator = evaluator
        self.cloudwatch = cloudwatch
        self.default_region = default_region
        self.closing = list(closing)

    def matches(self, request: Request) -> bool:
        target = request.headers.get("X-Amz-Target", "")
        if request.method != "POST" or not target.startswith(JSON_TARGET_PREFIX):
            return False
        operation = target[len(JSON_TARGET_PREFIX) :]
        if operation in ("DescribeAlarmHistory", "PutMetricAlarm"):
            return True
        if operation == "GetMetricData":
            return metric_queries.claims_metric_data(json_params(request))
        if operation == "GetMetricStatistics":
            return metric_queries.claims_statistics(json_params(request))
        return False

    def handle(self, request: Request) -> Response:
        params = json_params(request)
        operation = request.headers["X-Amz-Target"][len(JSON_TARGET_PREFIX) :]
        region = region_of(request, self.default_region)
        if operation == "PutMetricAlarm":  # moto stores it (in OK); the new alarm starts as AWS starts it
            answer = self.moto.answer(request)
            if answer.status_code == 200:
                self.evaluator.evaluate_region(region, time.time(), settle_only=True)
            return answer
        read = self.cloudwatch(region).data
        if operation == "GetMetricData":
            body = metric_queries.get_metric_data(read, params)
        elif operation == "GetMetricStatistics":
            body = metric_queries.get_metric_statistics(read, params)
        else:
            body = self.evaluator.history.describe(params)
        resp = Response(json.dumps(body), content_type="application/x-amz-json-1.0")
        resp.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return resp

    def close(self) -> None:
        self.evaluator.close()
        self.writer.close()
        for other in self.closing:
            other.close()
