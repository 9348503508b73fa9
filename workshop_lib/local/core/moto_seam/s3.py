"""S3's internals: ``get_object`` (one backend per partition: "global")."""

from __future__ import annotations

from .base import BackendAccess


class S3Internals(BackendAccess):
    def s3_object(self, bucket: str, key: str) -> bytes | None:
        """An object's bytes, None when it does not exist; raises moto's NoSuchBucket and kin."""
        obj = self.backend("s3", "global").get_object(bucket, key)
        return None if obj is None else bytes(obj.value)
