"""How long prepare and clear take for a class on a real account: a plan from AWS's quotas, not a measure.

API Gateway's account-wide control-plane quotas (api_quotas.LIMITS: CreateRestApi 1 per 3 s, CreateDeployment
1 per 5 s, DeleteRestApi 1 per 30 s) serialise one call per participant each, whatever the parallelism; the
rest of a participant's preparation (role, policies, function, table) runs in parallel. A SageMaker endpoint
takes minutes to be InService; with a shared endpoint the class waits for one, else the account needs an
instance quota of one per participant (and they are created in parallel).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..api_quotas import LIMITS

ENDPOINT_CREATE_S = 480.0  # CreateEndpoint to InService on AWS: "minutes"; about 8 for a small scikit-learn model
ENDPOINT_DELETE_S = 60.0  # DeleteEndpoint until it is gone
PARTICIPANT_WORK_S = 60.0  # one participant's role, policies, function, table, with IAM's propagation waits


@dataclass(frozen=True)
class Line:
    what: str
    seconds: float


@dataclass(frozen=True)
class Plan:
    """Planned durations of a class's prepare and clear, each as its lines and their (critical-path) total."""

    participants: int
    shared_endpoint: bool
    prepare: tuple[Line, ...]
    clear: tuple[Line, ...]

    @property
    def prepare_s(self) -> float:
        return sum(line.seconds for line in self.prepare)

    @property
    def clear_s(self) -> float:
        return sum(line.seconds for line in self.clear)

    def __str__(self) -> str:
        endpoints = "one shared endpoint" if self.shared_endpoint else f"{self.participants} endpoints"
        out = [f"planned on a real AWS account, {self.participants} participants, {endpoints}:"]
        for title, lines, total in (("prepare", self.prepare, self.prepare_s), ("clear", self.clear, self.clear_s)):
            out.append(f"  {title}: about {duration(total)}")
            out += [f"    {line.what}: {duration(line.seconds)}" for line in lines]
        return "\n".join(out)


def duration(seconds: float) -> str:
    """ "2 min 30 s", "45 s", "1 h 05 min"."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def plan(participants: int, *, shared_endpoint: bool = True) -> Plan:
    """The plan of a class of ``participants`` (the quotas' serial calls are its critical path)."""
    n = participants
    create_api, deployment = LIMITS["create_rest_api"], LIMITS["create_deployment"]
    delete_api = LIMITS["delete_rest_api"]
    slowest = max((create_api, deployment), key=lambda limit: limit[1])
    prepare = (
        Line(f"the endpoint{'' if shared_endpoint else 's'} InService (created in parallel)", ENDPOINT_CREATE_S),
        Line(f"{n} x {slowest[0]}, 1 per {slowest[1]:.0f} s per account (the other API calls overlap)", n * slowest[1]),
        Line("the last participant's role, policies, function and table", PARTICIPANT_WORK_S),
    )
    clear = (
        Line(f"{n} x {delete_api[0]}, 1 per {delete_api[1]:.0f} s per account", n * delete_api[1]),
        Line("the endpoint deleted (Deleting, then gone)", ENDPOINT_DELETE_S),
    )
    return Plan(n, shared_endpoint, prepare, clear)
