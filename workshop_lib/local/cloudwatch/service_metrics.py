"""The metrics AWS services publish by themselves, as data points: ``AWS/Lambda`` per function and ``AWS/SageMaker``
per endpoint variant (names, units and dimensions of AWS's "Monitoring Lambda functions using CloudWatch metrics"
and "Amazon SageMaker AI metrics in Amazon CloudWatch"). Pure functions: the writer stores what they return.

Lambda, per invocation, dimension ``FunctionName``: ``Invocations`` (Count, 1), ``Errors`` (Count, 1 when the function
returned an error, else 0), ``Duration`` (Milliseconds, the REPORT line's duration); a throttled call publishes only
``Throttles`` (Count, 1), as AWS does not count it as an invocation.

SageMaker, per InvokeEndpoint that reached the model, dimensions ``EndpointName`` and ``VariantName``:
``Invocations`` (Count, 1), ``Invocation4XXErrors`` and ``Invocation5XXErrors`` (Count, 1 or 0 by the model's
answer), ``ModelLatency`` (Microseconds). Locally the model runs inside the cloud process, so the runtime's own
overhead cannot be told apart from the model's time: ``ModelLatency`` is the whole invocation as the runtime saw it,
and ``OverheadLatency`` is not published (a number the local cloud cannot measure would be made up).
"""

from __future__ import annotations

from ..core.monitoring_records import MetricPoint

LAMBDA_NAMESPACE = "AWS/Lambda"
SAGEMAKER_NAMESPACE = "AWS/SageMaker"


def lambda_invocation(function: str, outcome: str, duration_ms: float | None, now: float) -> list[MetricPoint]:
    """The data points of one Invoke of ``function``: ``outcome`` is "ok", "error" or "throttled"."""
    if outcome not in ("ok", "error", "throttled"):
        raise ValueError(f"a Lambda invocation's outcome is ok, error or throttled, not {outcome!r}")
    dims = (("FunctionName", function),)

    def point(name: str, value: float, unit: str) -> MetricPoint:
        return MetricPoint(LAMBDA_NAMESPACE, name, dims, (value,), now, unit)

    if outcome == "throttled":
        return [point("Throttles", 1.0, "Count")]
    points = [point("Invocations", 1.0, "Count"), point("Errors", float(outcome == "error"), "Count")]
    if duration_ms is not None:
        points.append(point("Duration", float(duration_ms), "Milliseconds"))
    return points


def endpoint_invocation(endpoint: str, variant: str, status: int, latency_us: float, now: float) -> list[MetricPoint]:
    """The data points of one InvokeEndpoint that reached the model, which answered HTTP ``status``."""
    dims = tuple(sorted((("EndpointName", endpoint), ("VariantName", variant))))

    def point(name: str, value: float, unit: str) -> MetricPoint:
        return MetricPoint(SAGEMAKER_NAMESPACE, name, dims, (value,), now, unit)

    return [
        point("Invocations", 1.0, "Count"),
        point("Invocation4XXErrors", float(400 <= status < 500), "Count"),
        point("Invocation5XXErrors", float(status >= 500), "Count"),
        point("ModelLatency", float(latency_us), "Microseconds"),
    ]
