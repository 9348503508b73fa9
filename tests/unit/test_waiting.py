"""waiting.poll, the kit's one polling primitive: backoff with jitter, deadline, timeout message, progress, log."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from workshop_lib import waiting
from workshop_lib.config import ENV_WAIT_LOG
from workshop_lib.errors import WaitTimeout, WorkshopError


@pytest.fixture
def clock(monkeypatch) -> waiting.InstantClock:
    fake = waiting.InstantClock()
    monkeypatch.setattr(waiting, "clock", fake)
    return fake


def countdown(n: int, value: object = "done"):
    """An observation that is NotYet n times, then returns value."""
    seen = []

    def observe():
        seen.append(1)
        return value if len(seen) > n else waiting.NotYet(f"attempt {len(seen)}")

    return observe, seen


def throttling(retry_after: str | None = None, code: str = "ThrottlingException") -> ClientError:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    response = {"Error": {"Code": code, "Message": "Rate exceeded"}, "ResponseMetadata": {"HTTPHeaders": headers}}
    return ClientError(response, "FilterLogEvents")


def test_poll__returns_the_first_value_that_is_not_a_not_yet_without_sleeping(clock):
    observe, seen = countdown(0, value=0)
    assert waiting.poll(observe, what="x", timeout=10, fix="f") == 0  # a falsy value is a value too
    assert len(seen) == 1 and clock.slept == []


def test_poll__sleeps_growing_delays_with_jitter_up_to_the_cap(clock, monkeypatch):
    monkeypatch.setattr(waiting, "_random", __import__("random").Random(7))
    observe, seen = countdown(6)
    backoff = waiting.Backoff(first=1.0, factor=2.0, cap=4.0, jitter=0.25)
    assert waiting.poll(observe, what="x", timeout=100, fix="f", backoff=backoff) == "done"
    assert len(seen) == 7 and len(clock.slept) == 6
    for slept, nominal in zip(clock.slept, [1, 2, 4, 4, 4, 4], strict=True):
        assert nominal * 0.75 <= slept <= nominal * 1.25
    assert len(set(clock.slept)) == 6  # jittered: no two delays alike


def test_poll__a_retry_after_from_the_observation_replaces_the_backoff(clock):
    answers = [waiting.NotYet("throttled", retry_after=7.0), "ok"]
    assert waiting.poll(lambda: answers.pop(0), what="x", timeout=60, fix="f") == "ok"
    assert clock.slept == [7.0]


def test_poll__never_sleeps_past_the_deadline_and_looks_once_more_at_it(clock):
    observe, seen = countdown(100)
    with pytest.raises(WaitTimeout):
        waiting.poll(observe, what="x", timeout=5, fix="f", backoff=waiting.Backoff(first=3, factor=1, jitter=0))
    assert clock.slept == [3, 2] and len(seen) == 3 and clock.now == 5


def test_poll__timeout_names_what_how_long_the_last_state_and_the_fix(clock):
    observe, _ = countdown(1000)
    with pytest.raises(WaitTimeout) as err:
        waiting.poll(observe, what="table T to be ACTIVE", timeout=30, fix="look at the console")
    text = str(err.value)
    assert isinstance(err.value, WorkshopError)
    assert "table T to be ACTIVE" in text and "after 30 s" in text and "last seen: attempt" in text
    assert "look at the console" in text and err.value.waited == 30


def test_poll__exceptions_of_the_observation_are_not_retried(clock):
    def observe():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        waiting.poll(observe, what="x", timeout=10, fix="f")
    assert clock.slept == []


def test_poll__refuses_a_timeout_that_is_not_positive():
    with pytest.raises(ValueError, match="positive"):
        waiting.poll(lambda: 1, what="x", timeout=0, fix="f")


def test_poll__a_long_wait_shows_progress_on_stdout_not_stderr(clock, capsys):
    observe, _ = countdown(6)
    waiting.poll(observe, what="endpoint E to be InService", timeout=60, fix="f")
    out, err = capsys.readouterr()
    assert "waiting for endpoint E to be InService" in out and "of at most 60 s" in out
    assert err == ""


def test_poll__a_short_wait_shows_no_progress(clock, capsys):
    observe, _ = countdown(1)
    waiting.poll(observe, what="x", timeout=60, fix="f", backoff=waiting.Backoff(first=0.5))
    assert capsys.readouterr().out == ""


def test_poll__each_wait_goes_to_the_wait_log_when_it_is_set(clock, monkeypatch, tmp_path):
    log = tmp_path / "waits.jsonl"
    monkeypatch.setenv(ENV_WAIT_LOG, str(log))
    observe, _ = countdown(2)
    backoff = waiting.Backoff(first=1, factor=2, jitter=0)
    waiting.poll(observe, what="rows", timeout=60, fix="f", rule=waiting.GSI, backoff=backoff)
    with pytest.raises(WaitTimeout):
        waiting.poll(countdown(99)[0], what="never", timeout=3, fix="f", rule=waiting.LOG_DELIVERY)
    first, second = (json.loads(line) for line in log.read_text().splitlines())
    assert first == {"what": "rows", "rule": "dynamodb-gsi", "seconds": 3.0, "attempts": 3, "ok": True}
    assert (second["what"], second["rule"], second["ok"], second["seconds"]) == ("never", "logs-delivery", False, 3.0)


def test_poll__writes_no_log_without_the_variable(clock, monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_WAIT_LOG, raising=False)
    monkeypatch.chdir(tmp_path)
    waiting.poll(countdown(1)[0], what="x", timeout=10, fix="f")
    assert list(tmp_path.iterdir()) == []


def test_throttled__reads_aws_rate_limit_errors_and_their_retry_after():
    assert waiting.throttled(throttling("12")) == waiting.NotYet(
        "ThrottlingException (FilterLogEvents is rate-limited)", 12.0
    )
    assert waiting.throttled(throttling(None, "TooManyRequestsException")).retry_after is None
    assert waiting.throttled(throttling("x")).retry_after is None  # not a number: the backoff decides
    assert waiting.throttled(throttling(None, "AccessDeniedException")) is None
    assert waiting.throttled(ValueError("no")) is None


def test_call_with_retry__makes_a_rate_limited_call_again_and_raises_other_errors(clock):
    calls = []

    def call():
        calls.append(1)
        if len(calls) < 3:
            raise throttling("2")
        return "answer"

    assert waiting.call_with_retry(call, what="x", timeout=60, fix="f") == "answer"
    assert clock.slept == [2.0, 2.0]

    def denied():
        raise throttling(None, "AccessDeniedException")

    with pytest.raises(ClientError, match="AccessDenied"):
        waiting.call_with_retry(denied, what="x", timeout=60, fix="f")


def test_call_with_retry__gives_up_with_a_wait_timeout(clock):
    def call():
        raise throttling("5")

    with pytest.raises(WaitTimeout, match="rate-limited"):
        waiting.call_with_retry(call, what="a FilterLogEvents read", timeout=20, fix="f")


def test_pacer__spaces_calls_by_its_interval(clock):
    pacer = waiting.Pacer("DeleteRestApi", 30.0)
    pacer.wait_turn()
    assert clock.slept == []  # the first call goes at once
    clock.now += 10
    pacer.wait_turn()
    assert sum(clock.slept) == pytest.approx(20.0)  # the rest of the 30 s
    clock.now += 31
    slept = len(clock.slept)
    pacer.wait_turn()
    assert len(clock.slept) == slept  # long enough ago: at once


def test_backoff__delays_are_capped():
    delays = waiting.Backoff(first=1, factor=10, cap=3, jitter=0).delays()
    assert [next(delays) for _ in range(4)] == [1, 3, 3, 3]


def test_poll__a_wait_inside_a_wait_showing_its_bar_shows_none(clock, capsys, monkeypatch):
    import tqdm

    opened = []
    real = tqdm.tqdm
    monkeypatch.setattr(tqdm, "tqdm", lambda *a, **k: opened.append(k["desc"]) or real(*a, **k))

    def outer():
        if clock.now < 20:  # each outer attempt waits for an inner thing first
            waiting.poll(countdown(5)[0], what="the inner thing", timeout=60, fix="f")
            return waiting.NotYet("outer not yet")
        return "done"

    assert waiting.poll(outer, what="the outer thing", timeout=120, fix="f") == "done"
    # The first inner wait shows its bar (no other is open); once the outer one shows, inner ones show none.
    assert opened == ["waiting for the inner thing", "waiting for the outer thing"]
    assert "\x1b[A" not in capsys.readouterr().out
    assert waiting._bars_open == 0


def test_refused_with__makes_an_error_carrying_the_fragment_transient_and_rate_limits_too():
    transient = waiting.refused_with("cannot be assumed", "role not usable yet")
    role = ClientError({"Error": {"Code": "InvalidParameterValueException", "Message": "Cannot Be Assumed"}}, "Op")
    other = ClientError({"Error": {"Code": "InvalidParameterValueException", "Message": "bad runtime"}}, "Op")
    assert transient(role) == waiting.NotYet("role not usable yet")
    assert transient(other) is None
    assert transient(throttling("3")).retry_after == 3.0
