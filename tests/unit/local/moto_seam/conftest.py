"""The moto seam's tests (workshop_lib/local/core/moto_seam/): one module per seam module, one test per moto internal.

Each test asserts that the internal still exists and behaves as the seam uses it, so a moto upgrade fails here with
a message naming the internal and the module to update, not somewhere inside a service. moto runs in-process
(``mock_aws``, the ``moto_conn`` fixture); the seam reads the same backends boto3 writes to.
"""

from __future__ import annotations

import pytest

from tests.unit.local.moto_seam.seam import REGION
from workshop_lib.local.core.moto_seam import MotoBackends


@pytest.fixture
def backends(moto_conn) -> MotoBackends:
    return MotoBackends(moto_conn.account_id, REGION)
