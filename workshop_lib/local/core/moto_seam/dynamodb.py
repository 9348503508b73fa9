"""DynamoDB's internals: ``get_table`` (a table's ``name``, ``hash_key_attr``, ``range_key_attr``,
``global_indexes``, ``deletion_protection_enabled``) and ``delete_table``."""

from __future__ import annotations

from ..records import TableSchema
from .base import BackendAccess


class DynamoDbInternals(BackendAccess):
    def table_schema(self, name: str, region: str) -> TableSchema | None:
        """A table's keys and global secondary indexes by name or ARN, None when there is no such table."""
        try:
            table = self.backend("dynamodb", region).get_table(name)
        except Exception:  # noqa: BLE001 - moto raises its own ResourceNotFoundException
            return None
        return TableSchema(
            name=table.name,
            hash_key=table.hash_key_attr,
            range_key=table.range_key_attr,
            global_indexes=tuple(index.name for index in table.global_indexes),
            deletion_protection=bool(table.deletion_protection_enabled),
        )

    def delete_table(self, name: str, region: str) -> bool:
        """Remove a table as DeleteTable completes; False when it was already gone."""
        try:
            self.backend("dynamodb", region).delete_table(name)
        except Exception:  # noqa: BLE001 - moto raises its own ResourceNotFoundException
            return False
        return True
