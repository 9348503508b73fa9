"""Cloud-wide settings: read once from the environment where the cloud is built, then passed to every service.

Only the server process reads them (``CloudSettings.from_env``); services get them as a constructor argument and
never read the environment themselves, so a test can build a cloud with any settings. Issue #12's timing model
(``WORKSHOP_LOCAL_TIMING``) belongs here as one more field, read by the services that apply it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ...config import ENV_LAMBDA_CONCURRENCY, ENV_LAMBDA_CREDENTIALS_TTL, ENV_LAMBDA_RUNTIME_CLIENT

RUNTIME_CLIENTS = ("kit", "awslambdaric")
DEFAULT_CONCURRENCY = 4
DEFAULT_CREDENTIALS_TTL_S = 6 * 3600


class SettingsError(ValueError):
    """An environment variable of the local cloud holds a value it cannot use."""


@dataclass(frozen=True)
class CloudSettings:
    """What the local cloud may be told from outside, with its defaults."""

    lambda_runtime_client: str = "kit"  # the runtime client Lambda workers run: "kit" or "awslambdaric"
    lambda_concurrency: int = DEFAULT_CONCURRENCY  # invocations of one function at once
    # How long a Lambda worker's role credentials last; a short one simulates their expiry (tests).
    lambda_credentials_ttl_s: int = DEFAULT_CREDENTIALS_TTL_S

    def __post_init__(self) -> None:
        if self.lambda_runtime_client not in RUNTIME_CLIENTS:
            raise SettingsError(
                f"{ENV_LAMBDA_RUNTIME_CLIENT}={self.lambda_runtime_client!r} is not a runtime client: "
                f"use one of {', '.join(RUNTIME_CLIENTS)}"
            )
        if self.lambda_concurrency < 1:
            raise SettingsError(f"concurrency must be at least 1, not {self.lambda_concurrency}")
        if self.lambda_credentials_ttl_s < 1:
            raise SettingsError(f"credentials must last at least 1 s, not {self.lambda_credentials_ttl_s}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CloudSettings:
        """The settings the environment gives (``os.environ`` unless another mapping is passed)."""
        env = os.environ if environ is None else environ
        client = (env.get(ENV_LAMBDA_RUNTIME_CLIENT) or "kit").strip().lower()
        raw = env.get(ENV_LAMBDA_CONCURRENCY) or str(DEFAULT_CONCURRENCY)
        try:
            concurrency = int(raw)
        except ValueError:
            concurrency = 0
        if concurrency < 1:
            raise SettingsError(
                f"{ENV_LAMBDA_CONCURRENCY}={raw!r} is not usable: give a whole number of workers, at least 1"
            )
        raw_ttl = env.get(ENV_LAMBDA_CREDENTIALS_TTL) or str(DEFAULT_CREDENTIALS_TTL_S)
        if not raw_ttl.strip().isdigit() or int(raw_ttl) < 1:
            raise SettingsError(
                f"{ENV_LAMBDA_CREDENTIALS_TTL}={raw_ttl!r} is not usable: give a whole number of seconds, at least 1"
            )
        return cls(client, concurrency, int(raw_ttl))
