"""The DynamoDB calls the timing model completes (``core/timing.py``): wired in front of moto only when it is on.

Every DynamoDB call goes through ``DynamoDbTiming.handle``: tables whose DELETING time is over are deleted first;
a call on a DELETING table gets its answer (``tables.py``); DeleteTable starts the DELETING time; Query and Scan with
IndexName leave out items the index has not caught up with (``indexes.py``); everything else is moto's answer, with
DescribeTable's status completed and successful writes recorded for the indexes.
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ..core.json_body import json_params
from ..core.moto_seam import MotoBackends, MotoDispatcher
from ..core.signing import region_of
from ..core.timing import Timing
from .indexes import WRITES, IndexLag
from .tables import TARGET_PREFIX, DeletingTables


class DynamoDbTiming:
    """DynamoDB with AWS's timing: DELETING tables, and global secondary indexes that lag behind writes."""

    def __init__(self, timing: Timing, backends: MotoBackends, moto: MotoDispatcher, default_region: str) -> None:
        self.moto = moto
        self.default_region = default_region
        self.tables = DeletingTables(timing, backends, moto)
        self.indexes = IndexLag(timing, backends, moto)

    def matches(self, request: Request) -> bool:
        return request.method == "POST" and request.headers.get("X-Amz-Target", "").startswith(TARGET_PREFIX)

    def handle(self, request: Request) -> Response:
        operation = request.headers["X-Amz-Target"][len(TARGET_PREFIX) :]
        params = json_params(request)
        region = region_of(request, self.default_region)
        self.tables.expire()
        self.tables.refuse(operation, params, region)
        if operation == "DeleteTable":
            return self.tables.delete(request, params, region)
        if operation in ("Query", "Scan") and params.get("IndexName"):
            return self.indexes.read(request, params, region)
        resp = self.moto.answer(request)
        if operation == "DescribeTable":
            return self.tables.describe(resp, params, region)
        if operation in WRITES and resp.status_code == 200:
            self.indexes.written(operation, params, region)
        return resp

    def close(self) -> None:
        pass
