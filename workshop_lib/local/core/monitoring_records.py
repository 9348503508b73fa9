"""The records the monitoring services (``cloudwatch/``, ``sns/``) read and write instead of moto's objects.

``moto_seam/cloudwatch.py`` and ``moto_seam/sns.py`` make and consume them;
plain data, so a service holding one holds nothing of moto's.
Times are epoch seconds (float, UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field

Dimensions = tuple[tuple[str, str], ...]  # (name, value) pairs, sorted by name


@dataclass(frozen=True)
class MetricPoint:
    """Data points of one metric to store: ``values[i]`` counted ``counts[i]`` times (PutMetricData's shape)."""

    namespace: str
    name: str
    dimensions: Dimensions
    values: tuple[float, ...]
    timestamp: float
    unit: str | None = None
    counts: tuple[float, ...] | None = None
    storage_resolution: int = 60  # 1: high resolution (per second); 60: standard (per minute)


@dataclass(frozen=True)
class StoredDatum:
    """One datum as CloudWatch stores it: a single value, or a statistic set (PutMetricData StatisticValues)."""

    timestamp: float
    sample_count: float
    total: float
    minimum: float
    maximum: float
    unit: str | None = None
    values: tuple[float, ...] = ()  # the raw values when known (percentiles need them)


@dataclass(frozen=True)
class AlarmRecord:
    """A metric alarm's configuration and state, as DescribeAlarms shows it."""

    name: str
    arn: str
    region: str
    namespace: str | None
    metric_name: str | None
    dimensions: Dimensions
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int | None
    threshold: float | None
    comparison_operator: str
    statistic: str | None
    extended_statistic: str | None
    unit: str | None
    treat_missing_data: str | None
    description: str | None
    actions_enabled: bool
    alarm_actions: tuple[str, ...]
    ok_actions: tuple[str, ...]
    insufficient_data_actions: tuple[str, ...]
    state_value: str
    state_reason: str
    state_updated: float
    configuration_updated: float
    has_metric_queries: bool = False  # a metric-math alarm (Metrics=[...]): not evaluated locally
    is_composite: bool = False


@dataclass(frozen=True)
class SnsDelivery:
    """One message for one subscription that the local cloud delivers itself (email, email-json, HTTP(S))."""

    protocol: str
    endpoint: str  # the email address or the URL
    subscription_arn: str
    topic_arn: str
    message_id: str
    subject: str | None
    message: str  # after MessageStructure=json picked this protocol's text
    notification: dict[str, object] = field(default_factory=dict)  # the JSON SNS posts to HTTP(S), email-json
