"""Unit tests: moto in-process or no AWS at all, never a local cloud process (``pytest tests/unit`` is the quick loop).

A unit test that asks for the local cloud belongs in tests/local_cloud/: collection stops and says so, so that the
quick loop stays quick and ``-m "not local_cloud"`` stays honest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent
CLOUD_FIXTURES = {"local_cloud", "local_conn"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    misplaced = [i.nodeid for i in items if HERE in i.path.parents and CLOUD_FIXTURES & set(i.fixturenames)]
    if misplaced:
        raise pytest.UsageError(
            "these unit tests use the local cloud; move them to tests/local_cloud/ (same file name is fine): "
            + ", ".join(misplaced)
        )
