"""The dashboard ``Inference-Monitoring-Dashboard`` (section 8.3, step 3): its body, PutDashboard, and a rendering.

The body is the kit's file dashboards/inference-monitoring.json (a ``string.Template``: ``${region}`` and
``${model_name}``, the Lambda's ModelName dimension): a LatencyMs graph over time and two numbers, SuccessCount and
ErrorCount, over the dashboard's time range. ``render_dashboard()`` reads the same body back (GetDashboard) and
makes each widget's GetMetricData query, so the notebook draws what the console would show: a line graph for a
``timeSeries`` widget, a big number for a ``singleValue`` widget (the statistic over the whole time range, as
``setPeriodToTimeRange`` asks).
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from .config import KIT_ROOT
from .connect import Connection, current
from .errors import InvalidInput, ResourceNotFound, aws_code, aws_error
from .i18n import _
from .metrics import metric_data, metric_query

DASHBOARD_FILE = KIT_ROOT / "dashboards" / "inference-monitoring.json"
_RANGE = re.compile(r"^-PT(?:(\d+)H)?(?:(\d+)M)?$")


def dashboard_body(conn: Connection | None = None, *, path: Path = DASHBOARD_FILE) -> dict[str, Any]:
    """The dashboard body for this participant: the kit's file with the region and ModelName filled in."""
    conn = conn or current()
    text = path.read_text(encoding="utf-8")
    try:
        rendered = string.Template(text).substitute(region=conn.region, model_name=conn.names.endpoint)
        return json.loads(rendered)
    except (KeyError, ValueError) as exc:
        raise InvalidInput(
            _("the dashboard file {file} does not render: {error}").format(file=path.name, error=exc),
            resource=str(path),
            fix=_("its only placeholders are {region} and {model_name}, and it must be JSON").format(
                region="${region}", model_name="${model_name}"
            ),
        ) from exc


def put_dashboard(conn: Connection | None = None) -> str:
    """PutDashboard with the kit's body; return the dashboard's name (CloudWatch answers validation messages)."""
    conn = conn or current()
    try:
        answer = conn.client("cloudwatch").put_dashboard(
            DashboardName=conn.names.dashboard, DashboardBody=json.dumps(dashboard_body(conn))
        )
    except ClientError as exc:
        raise aws_error(exc, f"dashboard {conn.names.dashboard}") from exc
    problems = answer.get("DashboardValidationMessages", [])
    if problems:
        raise InvalidInput(
            _("CloudWatch found problems in the dashboard body: {problems}").format(problems=problems),
            resource=conn.names.dashboard,
            fix=_("fix {file}").format(file=DASHBOARD_FILE.name),
        )
    return conn.names.dashboard


def get_dashboard(conn: Connection | None = None) -> dict[str, Any]:
    """The dashboard's body as CloudWatch keeps it (GetDashboard)."""
    conn = conn or current()
    try:
        answer = conn.client("cloudwatch").get_dashboard(DashboardName=conn.names.dashboard)
    except ClientError as exc:
        if aws_code(exc) in ("ResourceNotFound", "ResourceNotFoundException"):
            raise ResourceNotFound(
                _("dashboard {name} does not exist").format(name=conn.names.dashboard),
                resource=conn.names.dashboard,
                fix=_("run wl.put_dashboard()"),
            ) from exc
        raise aws_error(exc, f"dashboard {conn.names.dashboard}") from exc
    return json.loads(answer["DashboardBody"])


def time_range(body: dict[str, Any]) -> timedelta:
    """The dashboard's relative time range (its ``start``, e.g. -PT1H); three hours when it names none."""
    start = body.get("start", "-PT3H")
    match = _RANGE.match(start)
    if not match or not any(match.groups()):
        raise InvalidInput(
            _("dashboard start {start!r} is not a relative range").format(start=start),
            fix=_('e.g. "-PT1H" or "-PT15M"'),
        )
    hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(hours=hours, minutes=minutes)


@dataclass
class Widget:
    """One metric widget as the console draws it: its title, view, and the data its query returned."""

    title: str
    view: str  # "timeSeries" or "singleValue"
    stat: str
    series: pd.Series = field(repr=False)

    @property
    def value(self) -> float | None:
        """A singleValue widget's number (None: no data, the console shows "--")."""
        return None if self.series.empty else float(self.series.sum() if self.stat == "Sum" else self.series.iloc[-1])


def _query(widget: dict[str, Any], index: int, seconds: int) -> tuple[dict[str, Any], str]:
    props = widget["properties"]
    (metric,) = props["metrics"]  # the kit's widgets plot one metric each
    namespace, name, *pairs = metric
    dims = [{"Name": k, "Value": v} for k, v in zip(pairs[::2], pairs[1::2], strict=True)]
    period = props.get("period", 300)
    if props.get("setPeriodToTimeRange"):
        period = max(60, seconds // 60 * 60)  # one data point over the whole range
    query = metric_query(f"w{index}", name, stat=props["stat"], period=period, dimensions=dims, namespace=namespace)
    return query, props.get("title") or name


def render_dashboard(conn: Connection | None = None, *, end: datetime | None = None) -> DashboardView:
    """Read the dashboard back and make its widgets' GetMetricData queries over its time range."""
    conn = conn or current()
    body = get_dashboard(conn)
    span = time_range(body)
    end = end or datetime.now(UTC)
    metric_widgets = [w for w in body["widgets"] if w.get("type") == "metric"]
    queries, titles = [], []
    for i, widget in enumerate(metric_widgets):
        query, title = _query(widget, i, int(span.total_seconds()))
        queries.append(query)
        titles.append(title)
    data = metric_data(queries, end - span, end + timedelta(seconds=10), conn=conn)
    widgets = [
        Widget(title, w["properties"].get("view", "timeSeries"), w["properties"]["stat"], data[q["Id"]])
        for title, w, q in zip(titles, metric_widgets, queries, strict=True)
    ]
    return DashboardView(conn.names.dashboard, span, end, widgets)


@dataclass
class DashboardView:
    """The dashboard as the console shows it: ``figure()`` draws it with matplotlib; ``numbers`` are the big ones."""

    name: str
    span: timedelta
    end: datetime
    widgets: list[Widget]

    @property
    def numbers(self) -> dict[str, float | None]:
        return {w.title: w.value for w in self.widgets if w.view == "singleValue"}

    @property
    def graphs(self) -> dict[str, pd.Series]:
        return {w.title: w.series for w in self.widgets if w.view != "singleValue"}

    def figure(self) -> Any:
        """A matplotlib figure: each graph widget a line graph, each number widget a big number."""
        import matplotlib.dates as mdates
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(12, 3.6), layout="constrained")
        grid = fig.add_gridspec(1, 4)
        for i, (title, series) in enumerate(self.graphs.items()):
            ax = fig.add_subplot(grid[0, 2 * i : 2 * i + 2])
            if series.empty:
                ax.text(0.5, 0.5, _("no data points in this range"), ha="center", va="center", transform=ax.transAxes)
            else:
                ax.plot(series.index, series.values, marker="o", markersize=3)
                ax.set_ylim(bottom=0)
            ax.set_xlim(self.end - self.span, self.end)  # the dashboard's time range, as the console draws it
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=UTC))
            ax.set_title(title, loc="left")
            ax.set_xlabel(_("time (UTC)"))
        for j, (title, value) in enumerate(self.numbers.items()):
            ax = fig.add_subplot(grid[0, 2 + j])
            ax.axis("off")
            ax.set_title(title, loc="left")
            ax.text(0.5, 0.45, "--" if value is None else f"{value:g}", ha="center", va="center", fontsize=40)
        minutes = round(self.span.total_seconds() / 60)
        title = _("{name}: the last {minutes} minutes, until {end} UTC").format(
            name=self.name, minutes=minutes, end=f"{self.end:%H:%M:%S}"
        )
        fig.suptitle(title, x=0.01, ha="left")
        plt.close(fig)  # shown where the notebook displays it, not a second time at the cell's end
        return fig
