"""Global secondary indexes that catch up a moment after a write, as on AWS (timing model on).

AWS source: Amazon DynamoDB Developer Guide, "Using Global Secondary Indexes in DynamoDB", section "Synchronizing
data between tables and global secondary indexes": DynamoDB propagates writes to a global secondary index
asynchronously, so an index read can miss an item written moments ago (eventually consistent reads only).

Locally an item written (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems) to a table with global
secondary indexes is left out of Query and Scan with ``IndexName`` of one of them for ``INDEX_PROPAGATION`` (0.2 to
1 s); Count and ScannedCount leave it out too, also for ``Select=COUNT``. Base-table reads see it at once, as on AWS
(GetItem, and Query/Scan without IndexName; local secondary indexes are synchronous). To tell items apart the read is
asked of moto with the table's key attributes added to its projection, which are then removed from the answer.

Not emulated: an updated item is left out of the index for that time where AWS would show its previous version, and
a deleted item disappears from the index at once where AWS would still show it; index-only attributes of a PartiQL
write (ExecuteStatement) are not delayed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core.json_body import with_json_body
from ..core.moto_seam import MotoBackends, MotoDispatcher
from ..core.propagation import Deadlines
from ..core.records import TableSchema
from ..core.timing import Delay, Timing

INDEX_PROPAGATION = Delay(0.2, 1.0, 'Amazon DynamoDB Developer Guide, "Using Global Secondary Indexes in DynamoDB"')
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
_ItemKey = tuple[str, str, str]  # (region, table, the item's key as canonical JSON)
_TOP_LEVEL = re.compile(r"^\s*([^.\[\s]+)")


def item_key(schema: TableSchema, item: dict[str, Any]) -> str:
    """An item's primary key (from a full item or a Key map) as canonical JSON."""
    parts = [item.get(schema.hash_key)] + ([item.get(schema.range_key)] if schema.range_key else [])
    return json.dumps(parts, sort_keys=True)


def written_items(operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(table, item or key) of every item a successful write call wrote."""
    if operation == "PutItem":
        return [(params.get("TableName", ""), params.get("Item") or {})]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params.get("TableName", ""), params.get("Key") or {})]
    out: list[tuple[str, dict[str, Any]]] = []
    if operation == "BatchWriteItem":
        for table, requests in (params.get("RequestItems") or {}).items():
            for request in requests:
                put, delete = request.get("PutRequest") or {}, request.get("DeleteRequest") or {}
                out.append((table, put.get("Item") or delete.get("Key") or {}))
    elif operation == "TransactWriteItems":
        for entry in params.get("TransactItems") or []:
            for kind, field in (("Put", "Item"), ("Update", "Key"), ("Delete", "Key")):
                if kind in entry:
                    out.append((entry[kind].get("TableName", ""), entry[kind].get(field) or {}))
    return out


def _projected_names(params: dict[str, Any]) -> set[str] | None:
    """The top-level attributes a read asks for, None when it asks for all of them."""
    if params.get("AttributesToGet"):
        return set(params["AttributesToGet"])
    expression = params.get("ProjectionExpression")
    if not expression:
        return None
    names = params.get("ExpressionAttributeNames") or {}
    found = (_TOP_LEVEL.match(path) for path in expression.split(","))
    return {names.get(m.group(1), m.group(1)) for m in found if m}


def with_keys_projected(params: dict[str, Any], schema: TableSchema) -> tuple[dict[str, Any], set[str], bool]:
    """The read to ask moto, its items carrying the table's key attributes: (params, attributes added, count only)."""
    asked = dict(params)
    count_only = asked.get("Select") == "COUNT"
    if count_only:
        del asked["Select"]  # an index read's default: its projected attributes, which hold the table's keys
    keys = [schema.hash_key] + ([schema.range_key] if schema.range_key else [])
    wanted = _projected_names(asked)
    if wanted is None:
        return asked, set(), count_only
    added = {k for k in keys if k not in wanted}
    if asked.get("AttributesToGet"):
        asked["AttributesToGet"] = [*asked["AttributesToGet"], *sorted(added)]
    else:
        names = dict(asked.get("ExpressionAttributeNames") or {})
        placeholders = []
        for i, attribute in enumerate(sorted(added)):
            names[f"#timingkey{i}"] = attribute
            placeholders.append(f"#timingkey{i}")
        asked["ExpressionAttributeNames"] = names
        asked["ProjectionExpression"] = ", ".join([asked["ProjectionExpression"], *placeholders])
    return asked, added, count_only


class IndexLag:
    """Items written moments ago, left out of global secondary index reads."""

    def __init__(self, timing: Timing, backends: MotoBackends, moto: MotoDispatcher) -> None:
        self.backends = backends
        self.moto = moto
        self._recent: Deadlines[_ItemKey] = Deadlines(timing, INDEX_PROPAGATION)

    def written(self, operation: str, params: dict[str, Any], region: str) -> None:
        """Record the items a successful write call wrote to tables with global secondary indexes."""
        schemas: dict[str, TableSchema | None] = {}
        for table, item in written_items(operation, params):
            if table not in schemas:
                schemas[table] = self.backends.table_schema(table, region)
            schema = schemas[table]
            if schema is not None and schema.global_indexes:
                self._recent.start((region, schema.name, item_key(schema, item)))

    def read(self, request: Request, params: dict[str, Any], region: str) -> Response:
        """Query or Scan with IndexName: moto's answer without the items the index has not caught up with."""
        schema = self.backends.table_schema(str(params.get("TableName") or ""), region)
        if schema is None or params.get("IndexName") not in schema.global_indexes:
            return self.moto.answer(request)
        recent = {key for r, table, key in self._recent.pending() if r == region and table == schema.name}
        if not recent:
            return self.moto.answer(request)
        asked, added, count_only = with_keys_projected(params, schema)
        resp = self.moto.answer(request, json.dumps(asked).encode())
        if resp.status_code != 200:
            return resp
        doc = json.loads(resp.get_data())
        items = doc.get("Items") or []
        kept = [item for item in items if item_key(schema, item) not in recent]
        left_out = len(items) - len(kept)
        doc["Count"] = doc.get("Count", len(items)) - left_out
        doc["ScannedCount"] = max(0, doc.get("ScannedCount", len(items)) - left_out)
        if count_only:
            doc.pop("Items", None)
        else:
            doc["Items"] = [{k: v for k, v in item.items() if k not in added} for item in kept]
        return with_json_body(resp, doc)
