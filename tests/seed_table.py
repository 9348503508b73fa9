"""The seed's InferenceMetadata table as the tests make and check it: its key, and its six attributes' types."""

from __future__ import annotations

import re
from typing import Any

TABLE = "InferenceMetadata"
SEED_TYPES = {
    "requestId": "S",
    "timestamp": "S",
    "modelName": "S",
    "inputData": "S",
    "prediction": "S",
    "latencyMs": "N",
}
ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")  # the item's timestamp: UTC, milliseconds


def create_seed_table(dynamodb: Any, name: str = TABLE) -> None:
    """Section 8.1's table: partition key requestId (S), on-demand capacity."""
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
