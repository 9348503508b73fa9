"""Import moto's backends for the workshop's services in the background, right after the cloud starts.

moto imports a service's code on its first request. For API Gateway that pulls in an OpenAPI
validator whose dependencies compile a grammar at import (seconds on a laptop), so a learner's first
``create_rest_api()`` would stall. Importing them while the learner reads the first notebook moves
that wait off the workshop's path; nothing else changes.
"""

from __future__ import annotations

import logging
import threading

from moto.backends import get_backend

WORKSHOP_SERVICES = ("apigateway", "lambda", "dynamodb", "sagemaker", "iam", "sts", "logs", "s3", "cloudwatch")
log = logging.getLogger("workshop_lib.local")


def _import_all() -> None:
    for service in WORKSHOP_SERVICES:
        try:
            get_backend(service)  # type: ignore[call-overload]
        except Exception as exc:  # noqa: BLE001 - a warm-up failure only means a slower first call
            log.warning("warm-up of moto's %s backend failed: %r", service, exc)


def start_warmup() -> threading.Thread:
    """Start importing the backends in a daemon thread; returns the thread."""
    thread = threading.Thread(target=_import_all, name="moto-warmup", daemon=True)
    thread.start()
    return thread
