"""An endpoint's in-between states, as AWS goes through them (timing model on, ``core/timing.py``).

moto makes an endpoint InService at once and deletes it at once. AWS takes minutes: CreateEndpoint leaves it
Creating until its instances serve, UpdateEndpoint Updating while the old configuration keeps serving (no
availability loss), DeleteEndpoint Deleting until it is gone. AWS sources: Amazon SageMaker API Reference,
"CreateEndpoint" ("When SageMaker receives the request, it sets the endpoint status to Creating. After it creates
the endpoint, it sets the status to InService"), "UpdateEndpoint" (traffic shifts to the new configuration's
instances, then the old ones are deleted; the endpoint is Updating meanwhile) and "DeleteEndpoint".

Locally the times are compressed stand-ins for AWS's minutes: Creating ``ENDPOINT_CREATION`` (20 to 40 s), Updating
``ENDPOINT_UPDATE`` (20 to 40 s, then the update's outcome takes effect: the switch to the new configuration, or
the failure reason), Deleting ``ENDPOINT_DELETION`` (5 to 15 s, then moto deletes it). With the timing off every
time is zero: the outcome is there when the call answers.

The states are shown over the status moto stores: the control plane (``control_plane.py``) has already deployed the
model when the call answers and stored ``InService`` or ``Failed``; Creating is shown until its time is over, then
the stored status. A Failed endpoint is never made InService by an update's end. Not emulated: OutOfService, and a
deletion that AWS would refuse while an endpoint is Creating (it is accepted and wins).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..core.moto_seam import MotoBackends
from ..core.propagation import Deadlines
from ..core.timing import Delay, Timing

_API = "Amazon SageMaker API Reference"
ENDPOINT_CREATION = Delay(20.0, 40.0, f'{_API}, "CreateEndpoint" (minutes on AWS; compressed here)')
ENDPOINT_UPDATE = Delay(20.0, 40.0, f'{_API}, "UpdateEndpoint" (minutes on AWS; compressed here)')
ENDPOINT_DELETION = Delay(5.0, 15.0, f'{_API}, "DeleteEndpoint"')
SERVING = ("InService", "Updating")  # InvokeEndpoint answers in these states
_Key = tuple[str, str]  # (region, endpoint name)
_Outcome = Callable[[], None]  # what an update does when its time is over


class EndpointStates:
    """Endpoints Creating, Updating (with their new configuration) or Deleting, and until when."""

    def __init__(self, timing: Timing, backends: MotoBackends) -> None:
        self.timing = timing
        self.backends = backends
        self._creating: Deadlines[_Key] = Deadlines(timing, ENDPOINT_CREATION)
        self._updating: Deadlines[_Key] = Deadlines(timing, ENDPOINT_UPDATE, on_end=self._switch)
        self._deleting: Deadlines[_Key] = Deadlines(timing, ENDPOINT_DELETION, on_end=self._delete)
        self._new_configs: dict[_Key, tuple[str, _Outcome]] = {}
        self._lock = threading.Lock()

    def status(self, region: str, name: str, stored: str) -> str:
        """The endpoint's status now, given the one moto stores."""
        key = (region, name)
        if self._deleting.active(key):
            return "Deleting"
        if self._creating.active(key):
            return "Creating"
        if self._updating.active(key):
            return "Updating"
        return stored

    def new_config(self, region: str, name: str) -> str | None:
        """The configuration an Updating endpoint is moving to, None when it is not updating."""
        key = (region, name)
        with self._lock:
            pending = self._new_configs.get(key) if self._updating.active(key) else None
        return pending[0] if pending is not None else None

    def created(self, region: str, name: str) -> None:
        self._creating.start((region, name))

    def update(self, region: str, name: str, config_name: str, outcome: _Outcome) -> None:
        """Start moving the endpoint to ``config_name``: ``outcome()`` (the switch, or the failure) runs when the
        Updating time is over, unless the endpoint is gone or Failed by then."""
        key = (region, name)
        with self._lock:
            self._new_configs[key] = (config_name, outcome)
        if self._updating.start(key) <= self.timing.now():
            self._switch(key)

    def delete(self, region: str, name: str) -> None:
        """Start deleting the endpoint: moto deletes it when the Deleting time is over (a second call changes
        nothing)."""
        key = (region, name)
        if self._deleting.active(key):
            return
        with self._lock:
            self._new_configs.pop(key, None)  # an update under way never completes on a deleting endpoint
        if self._deleting.start(key) <= self.timing.now():
            self._delete(key)

    def expire(self) -> None:
        """Complete every update and deletion whose time is over."""
        for deadlines in (self._creating, self._updating, self._deleting):
            deadlines.expire()

    def _switch(self, key: _Key) -> None:
        with self._lock:
            pending = self._new_configs.pop(key, None)
        region, name = key
        endpoint = self.backends.endpoint(name, region)
        if pending is not None and endpoint is not None and endpoint.status != "Failed":
            pending[1]()

    def _delete(self, key: _Key) -> None:
        with self._lock:
            self._new_configs.pop(key, None)
        region, name = key
        self.backends.delete_endpoint(name, region)
