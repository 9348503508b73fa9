"""Lambda's internals: ``get_function`` and a function's ``code_bytes``, ``code_sha_256``, ``code_digest``,
``policy.statements`` (and its configuration attributes), read into a ``StoredFunction``."""

from __future__ import annotations

from ..records import FunctionNotFound, StoredFunction
from .base import BackendAccess


class LambdaInternals(BackendAccess):
    def function(self, name: str, qualifier: str | None = None, region: str | None = None) -> StoredFunction:
        """A function by name, partial or full ARN; raises FunctionNotFound, or ValueError for a bad name."""
        try:
            fn = self.backend("lambda", region).get_function(name, qualifier)
        except Exception as exc:
            message = getattr(exc, "message", None) or str(exc)
            if getattr(exc, "error_type", "") == "ResourceNotFoundException" or "not found" in message.lower():
                raise FunctionNotFound(message) from exc
            raise ValueError(message) from exc
        return StoredFunction(
            name=fn.function_name,
            arn=fn.function_arn,
            version=str(fn.version),
            handler=fn.handler or "",
            runtime=fn.run_time or "",
            memory_mb=int(fn.memory_size or 128),
            timeout_s=float(fn.timeout or 3),
            environment=tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items())),
            role_arn=fn.role,
            code_sha256=fn.code_sha_256,
            code_digest=getattr(fn, "code_digest", "") or "",
            region=fn.region,
            account_id=fn.account_id,
            reserved_concurrency=fn.reserved_concurrency,
            layers=tuple(layer["Arn"] for layer in fn.layers or ()),
            package_type=getattr(fn, "package_type", "Zip") or "Zip",
            code=fn.code_bytes or b"",
            policy=tuple(dict(s) for s in getattr(fn.policy, "statements", None) or ()),
        )
