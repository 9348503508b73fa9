"""In a class (api_quotas.paced_by_refusals) an operation is paced once the account refused it, at the Retry-After it
sent (AWS's interval at most); an account (or a local cloud) that refuses nothing is never paced: a class on the local
cloud goes at once. Outside a class, every call is paced at AWS's documented interval, as before."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from workshop_lib import api_quotas, waiting


@pytest.fixture
def clock(monkeypatch) -> waiting.InstantClock:
    """Instant time, no pacer learned yet, and the pacing of a class (learned from the account's refusals)."""
    fake = waiting.InstantClock()
    monkeypatch.setattr(waiting, "clock", fake)
    monkeypatch.setattr(api_quotas, "_pacers", {})
    with api_quotas.paced_by_refusals():
        yield fake


def too_many(retry_after: str | None) -> ClientError:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    response = {
        "Error": {"Code": "TooManyRequestsException", "Message": "Too Many Requests"},
        "ResponseMetadata": {"HTTPStatusCode": 429, "HTTPHeaders": headers},
    }
    return ClientError(response, "CreateDeployment")


class Events:
    """botocore's event hooks, as much as api_quotas uses: handlers registered once per unique id."""

    def __init__(self) -> None:
        self.handlers: dict[str, tuple[str, object]] = {}

    def register(self, event, handler, unique_id):
        self.handlers.setdefault(unique_id, (event, handler))

    def attempt_answered(self, status: int, headers: dict[str, str], operation: str) -> None:
        """What botocore emits after each attempt of a call ("needs-retry.<service>.<operation>")."""
        answer = SimpleNamespace(status_code=status, headers=headers)
        for event, handler in self.handlers.values():
            if f"needs-retry.apigateway.{operation}".startswith(event):
                handler(response=(answer, {}), operation=SimpleNamespace(name=operation), attempts=1)


@dataclass
class Gateway:
    """An API Gateway client whose create_deployment refuses the first ``refusals`` attempts (429)."""

    refusals: int = 0
    retry_after: str | None = "2"
    calls: list[float] = field(default_factory=list)
    meta: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(events=Events()))

    def create_deployment(self, **params):
        self.calls.append(waiting.clock.monotonic())
        if self.refusals:
            self.refusals -= 1
            headers = {"retry-after": self.retry_after} if self.retry_after is not None else {}
            self.meta.events.attempt_answered(429, headers, "CreateDeployment")
            raise too_many(self.retry_after)
        self.meta.events.attempt_answered(201, {}, "CreateDeployment")
        return {"id": "d1"}


@dataclass
class Conn:
    gateway: Gateway
    account_id: str = "123456789012"
    region: str = "us-east-1"
    endpoint_url: str | None = "http://127.0.0.1:1"

    def client(self, service):
        return self.gateway


def test_an_account_that_refuses_nothing_is_never_paced(clock):
    conn = Conn(Gateway())
    for _ in range(5):
        assert api_quotas.apigateway_call(conn, "create_deployment", what="x", restApiId="a") == {"id": "d1"}
    assert clock.slept == [] and api_quotas.pacer(conn, "create_deployment") is None


def test_after_a_refusal_the_operation_is_paced_at_the_retry_after_it_sent(clock):
    conn = Conn(Gateway(refusals=1, retry_after="2"))
    api_quotas.apigateway_call(conn, "create_deployment", what="x", restApiId="a")
    pacer = api_quotas.pacer(conn, "create_deployment")
    assert pacer is not None and pacer.interval == 2.0
    start = clock.now
    api_quotas.apigateway_call(conn, "create_deployment", what="x", restApiId="a")
    api_quotas.apigateway_call(conn, "create_deployment", what="x", restApiId="a")
    calls = conn.gateway.calls[-3:]
    assert calls[1] - calls[0] >= 2.0 and calls[2] - calls[1] >= 2.0 and clock.now > start
    other = Conn(Gateway(), account_id="210987654321")
    assert api_quotas.pacer(other, "create_deployment") is None  # another account: its own quota


def test_the_learned_interval_never_exceeds_aws_documented_one(clock):
    conn = Conn(Gateway(refusals=1, retry_after="60"))
    api_quotas.apigateway_call(conn, "create_deployment", what="x", restApiId="a")
    assert api_quotas.pacer(conn, "create_deployment").interval == 5.0  # CreateDeployment: 1 per 5 s
    no_header = Conn(Gateway(refusals=1, retry_after=None), account_id="111111111111")
    api_quotas.apigateway_call(no_header, "create_deployment", what="x", restApiId="a")
    assert api_quotas.pacer(no_header, "create_deployment").interval == 5.0


def test_a_refusal_botocore_retried_by_itself_still_paces_the_operation(clock):
    conn = Conn(Gateway())
    api_quotas.apigateway_call(conn, "create_deployment", what="x", restApiId="a")  # watches the client from now on
    conn.gateway.meta.events.attempt_answered(429, {"retry-after": "3"}, "CreateDeployment")  # then succeeded
    assert api_quotas.pacer(conn, "create_deployment").interval == 3.0
    assert api_quotas.pacer(conn, "create_rest_api") is None  # each operation has its own quota
    assert len(conn.gateway.meta.events.handlers) == 1  # watched once, however many calls


def test_a_refusal_other_than_a_rate_limit_is_raised_and_paces_nothing(clock):
    class Refusing(Gateway):
        def create_deployment(self, **params):
            raise ClientError({"Error": {"Code": "NotFoundException", "Message": "no API"}}, "CreateDeployment")

    conn = Conn(Refusing())
    with pytest.raises(ClientError, match="NotFoundException"):
        api_quotas.apigateway_call(conn, "create_deployment", what="x", restApiId="a")
    assert api_quotas.pacer(conn, "create_deployment") is None


def test_outside_a_class_calls_are_paced_at_aws_interval_from_the_start(monkeypatch):
    fake = waiting.InstantClock()
    monkeypatch.setattr(waiting, "clock", fake)
    monkeypatch.setitem(api_quotas.PACERS, "create_deployment", waiting.Pacer("CreateDeployment", 5.0))
    conn = Conn(Gateway())
    api_quotas.apigateway_call(conn, "create_deployment", what="x", restApiId="a")
    api_quotas.apigateway_call(conn, "create_deployment", what="x", restApiId="a")
    assert sum(fake.slept) == pytest.approx(5.0)  # never refused, paced all the same
