"""DeleteTable as AWS completes it: the table is DELETING for seconds, then gone (timing model on).

AWS source: Amazon DynamoDB API Reference, "DeleteTable": after a DeleteTable request the table is in the DELETING
state until DynamoDB completes the deletion; a DeleteTable of a table already DELETING returns no error; DynamoDB
"might continue to accept data read and write operations, such as GetItem and PutItem, on a table in the DELETING
state until the table deletion is complete".

Locally the table stays in moto for ``TABLE_DELETION`` (2 to 6 s) and:

- DeleteTable answers its TableDescription with TableStatus DELETING (a second DeleteTable: the same, no error);
- DescribeTable answers DELETING, ListTables still lists it, List*/Describe* calls answer as before;
- data-plane calls (GetItem, PutItem, Query, Scan, batch and transaction calls) answer 400
  ResourceNotFoundException "Requested resource not found": AWS *might* still accept them, so code must not count
  on either; the local cloud takes the answer that exposes such code;
- other changes of it (UpdateTable, TagResource, ...) answer 400 ResourceInUseException;
- then moto deletes it: DescribeTable answers ResourceNotFoundException, a table of that name can be created again.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core.json_body import with_json_body
from ..core.moto_seam import MotoBackends, MotoDispatcher
from ..core.propagation import Deadlines
from ..core.timing import Delay, Timing
from .exceptions import ResourceInUseException, ResourceNotFoundException

TARGET_PREFIX = "DynamoDB_20120810."
TABLE_DELETION = Delay(2.0, 6.0, 'Amazon DynamoDB API Reference, "DeleteTable"')
DATA_PLANE = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_TableKey = tuple[str, str]  # (region, table name)


def table_name(name_or_arn: Any) -> str | None:
    """The table a TableName or ResourceArn names (an ARN's ``table/NAME``, an index ARN's table too)."""
    if not isinstance(name_or_arn, str) or not name_or_arn:
        return None
    if name_or_arn.startswith("arn:"):
        return name_or_arn.split(":table/", 1)[-1].split("/", 1)[0]
    return name_or_arn


def tables_named(params: dict[str, Any]) -> set[str]:
    """Every table a request names: TableName, ResourceArn, RequestItems' keys, TransactItems' TableName."""
    names = {table_name(params.get("TableName")), table_name(params.get("ResourceArn"))}
    names.update(table_name(t) for t in params.get("RequestItems") or {})
    for item in params.get("TransactItems") or []:
        names.update(table_name(op.get("TableName")) for op in item.values() if isinstance(op, dict))
    return {name for name in names if name}


class DeletingTables:
    """Tables that DeleteTable was called on and that are not gone yet."""

    def __init__(self, timing: Timing, backends: MotoBackends, moto: MotoDispatcher) -> None:
        self.backends = backends
        self.moto = moto
        self._deleting: Deadlines[_TableKey] = Deadlines(timing, TABLE_DELETION, on_end=self._gone)

    def delete(self, request: Request, params: dict[str, Any], region: str) -> Response:
        """DeleteTable: the table becomes DELETING (moto answers the errors: no such table, deletion protection)."""
        schema = self.backends.table_schema(str(params.get("TableName") or ""), region)
        if schema is None or schema.deletion_protection:
            return self.moto.answer(request)
        key = (region, schema.name)
        if not self._deleting.active(key):
            self._deleting.start(key)
        described = self.moto.answer(
            request, json.dumps({"TableName": schema.name}).encode(), target=f"{TARGET_PREFIX}DescribeTable"
        )
        description = json.loads(described.get_data())["Table"]
        return with_json_body(described, {"TableDescription": {**description, "TableStatus": "DELETING"}})

    def refuse(self, operation: str, params: dict[str, Any], region: str) -> None:
        """Raise the answer for a call on a DELETING table; return for calls that may still see it."""
        if operation.startswith(("Describe", "List")) or operation in ("CreateTable", "DeleteTable"):
            return  # still described and listed; CreateTable of its name: moto's "Table already exists"
        deleting = {name for r, name in self._deleting.pending() if r == region}
        for name in sorted(tables_named(params) & deleting):
            if operation in DATA_PLANE:
                raise ResourceNotFoundException("Requested resource not found")
            raise ResourceInUseException(
                f"Attempt to change a resource which is still in use: Table is being deleted: {name}"
            )

    def describe(self, resp: Response, params: dict[str, Any], region: str) -> Response:
        """DescribeTable's answer, with TableStatus DELETING for a table being deleted."""
        name = table_name(params.get("TableName"))
        if resp.status_code != 200 or not self._deleting.active((region, name or "")):
            return resp
        doc = json.loads(resp.get_data())
        doc["Table"]["TableStatus"] = "DELETING"
        return with_json_body(resp, doc)

    def expire(self) -> None:
        """Delete from moto every table whose DELETING time is over."""
        self._deleting.expire()

    def _gone(self, key: _TableKey) -> None:
        region, name = key
        self.backends.delete_table(name, region)

