"""What every service of the local cloud shares: where it listens, its account and region, its scratch folder."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from ...config import LOCAL_HOST
from .settings import CloudSettings


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

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"
