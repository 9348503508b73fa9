"""Tests against a real local cloud process on 127.0.0.1: every test in this folder is marked ``local_cloud``.

The session's cloud and connections are the ``local_cloud`` and ``local_conn`` fixtures of tests/conftest.py;
sub-folders hold the tests of one emulated service each (awslambda, apigateway, sagemaker, iam) or of the
cloud's core (server, lifecycle); the files at this level run workshop_lib's operations end to end.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.local_cloud)
