"""The class's connections: one to the target, and from it each participant's and the shared endpoint's.

Every connection is made with connect() (the only code that knows the target) and Connection.with_prefix();
a participant's connection names the shared endpoint as its existing endpoint, so that prepare_for adopts it
(use_existing_endpoint) instead of deploying one, and the Lambda's ENDPOINT_NAME and invoke policy name it.
"""

from __future__ import annotations

import dataclasses

from ..config import CLASS_SHARED_PREFIX, ResourceNames
from ..connect import Connection, connect
from .roster import Roster


def shared_endpoint_name(region: str) -> str:
    """The name of the class's shared endpoint: the kit's endpoint name with the class's shared prefix."""
    return ResourceNames(CLASS_SHARED_PREFIX, region=region).endpoint


def class_connection(roster: Roster) -> Connection:
    """A connection to the class's target and region, naming the shared endpoint (if any); not made current."""
    conn = connect(roster.target, roster.region, make_current=False)
    names = dataclasses.replace(conn.names, prefix="", existing_endpoint=roster.shared_endpoint)
    return dataclasses.replace(conn, names=names)


def for_participant(base: Connection, name: str) -> Connection:
    """A participant's connection: their prefix, the class's shared endpoint."""
    return base.with_prefix(name)


def for_shared(base: Connection) -> Connection:
    """The connection that owns the shared endpoint: the class's shared prefix, the kit's own endpoint."""
    conn = base.with_prefix(CLASS_SHARED_PREFIX)
    return dataclasses.replace(conn, names=dataclasses.replace(conn.names, existing_endpoint=""))
