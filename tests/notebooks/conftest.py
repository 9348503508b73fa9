"""Tests of the workshop notebooks (notebooks/*.ipynb): every test in this folder is marked ``notebooks``.

test_template.py reads the committed files (fast, no kernel); the others run notebooks with papermill, and the
one that runs the whole workshop also needs the local cloud (it carries the ``local_cloud`` marker too).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.notebooks)
