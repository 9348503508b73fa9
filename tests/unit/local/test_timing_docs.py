"""docs/aws-timing.md stays in step with the code: each rule's row names the range its constants hold, the module
that implements it, its test file, and the AWS source the module cites."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workshop_lib.config import KIT_ROOT
from workshop_lib.local.apigateway.control_plane import NEW_DEPLOYMENT
from workshop_lib.local.apigateway.quotas import CREATE_DEPLOYMENT, CREATE_REST_API, DELETE_REST_API
from workshop_lib.local.awslambda.logs import LOG_DELIVERY
from workshop_lib.local.awslambda.permissions import PERMISSION_CHANGE
from workshop_lib.local.cloudwatch.evaluator import ALARM_EVALUATION
from workshop_lib.local.core.timing import Delay, RateLimit
from workshop_lib.local.dynamodb.indexes import INDEX_PROPAGATION
from workshop_lib.local.dynamodb.tables import TABLE_DELETION
from workshop_lib.local.iam.propagation import NEW_ROLE, POLICY_CHANGE
from workshop_lib.local.logs.quotas import FILTER_LOG_EVENTS
from workshop_lib.local.sagemaker.endpoint_states import ENDPOINT_CREATION, ENDPOINT_DELETION, ENDPOINT_UPDATE

DOC = KIT_ROOT / "docs" / "aws-timing.md"
RULES = {  # rule -> (its constants, the module that holds them, the test that shows it)
    "iam-policy": ([POLICY_CHANGE], "iam/propagation.py", "iam/test_timing_iam.py"),
    "iam-new-role": ([NEW_ROLE], "iam/propagation.py", "iam/test_timing_iam.py"),
    "logs-delivery": ([LOG_DELIVERY], "awslambda/logs.py", "logs/test_timing_logs.py"),
    "logs-throttle": ([FILTER_LOG_EVENTS], "logs/quotas.py", "logs/test_timing_logs.py"),
    "dynamodb-gsi": ([INDEX_PROPAGATION], "dynamodb/indexes.py", "dynamodb/test_timing_dynamodb.py"),
    "dynamodb-table": ([TABLE_DELETION], "dynamodb/tables.py", "dynamodb/test_timing_dynamodb.py"),
    "sagemaker-endpoint-create": (
        [ENDPOINT_CREATION, ENDPOINT_UPDATE],
        "sagemaker/endpoint_states.py",
        "sagemaker/test_timing_endpoints.py",
    ),
    "sagemaker-endpoint-delete": (
        [ENDPOINT_DELETION],
        "sagemaker/endpoint_states.py",
        "sagemaker/test_timing_endpoints.py",
    ),
    "apigateway-stage": (
        [NEW_DEPLOYMENT, PERMISSION_CHANGE],
        "apigateway/control_plane.py",
        "apigateway/test_timing_apigateway.py",
    ),
    "cloudwatch-alarm-evaluation": (
        [ALARM_EVALUATION],
        "cloudwatch/evaluator.py",
        "cloudwatch/test_timing_alarms.py",
    ),
    "apigateway-quota": (
        [CREATE_REST_API, DELETE_REST_API, CREATE_DEPLOYMENT],
        "apigateway/quotas.py",
        "apigateway/test_timing_apigateway.py",
    ),
}


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `([a-z0-9-]+)` \|", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
    return rows


def _figure(value: float) -> str:
    return f"{value:g}"


def _range(constant: Delay | RateLimit) -> list[str]:
    """What the range cell must say: ``2-8 s``; ``5 per`` and ``1 s`` for a rate limit."""
    if isinstance(constant, RateLimit):
        return [f"{constant.requests} per", f"{_figure(constant.per_seconds)} s"]
    return [f"{_figure(constant.low)}-{_figure(constant.high)} s"]


def test_docs__every_rule_has_one_row_and_no_row_names_an_unknown_rule():
    assert sorted(_rows()) == sorted(RULES)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_docs__a_rules_row_holds_its_range_module_test_source_and_a_cell_for_the_kit(rule):
    constants, module, test = RULES[rule]
    cells = _rows()[rule]
    assert len(cells) == 7, cells
    _, _, range_cell, source_cell, module_cell, test_cell, _kit_cell = cells
    for constant in constants:
        assert all(text in range_cell for text in _range(constant)), (constant, range_cell)
        title = re.search(r'"([^"]+)"', constant.source)
        assert title is not None and title.group(1) in source_cell, (constant.source, source_cell)
    assert f"`{module}" in module_cell
    assert Path("tests/local_cloud", test).as_posix() in test_cell
    assert (KIT_ROOT / "workshop_lib" / "local" / module).is_file()
    assert (KIT_ROOT / "tests" / "local_cloud" / test).is_file()
