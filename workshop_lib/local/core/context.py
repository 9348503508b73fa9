"""What every service of the local cloud shares: where it listens, its account and region, its scratch folder, and
the local admin's secret key (new at every start)."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ...config import LOCAL_HOST
from .settings import CloudSettings


def new_secret_key() -> str:
    """A secret access key as AWS hands them out: 40 random characters (``secrets``, 240 bits)."""
    return secrets.token_urlsafe(30)


@dataclass
class CloudContext:
    """The cloud's address, account, region, work folder and settings; set once, before any service is built."""

    port: int
    account_id: str
    region: str
    work_dir: Path
    host: str = LOCAL_HOST
    settings: CloudSettings = field(default_factory=CloudSettings)
    shutdown_event: threading.Event = field(default_factory=threading.Event)
    admin_secret_key: str = field(default_factory=lambda: new_secret_key(), repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"
