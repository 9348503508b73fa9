"""The timing model's core (docs/aws-timing.md), without a cloud: its settings from the environment, the draws, the
rate limiter and the two shapes of delayed state, with a fake clock."""

from __future__ import annotations

import pytest

from workshop_lib.errors import LocalCloudError
from workshop_lib.local import lifecycle
from workshop_lib.local.core.propagation import Deadlines, Propagation
from workshop_lib.local.core.rate_limits import RateLimiter, retry_after_header
from workshop_lib.local.core.timing import (
    ENV_LOCAL_SEED,
    ENV_LOCAL_TIME_SCALE,
    ENV_LOCAL_TIMING,
    Delay,
    RateLimit,
    Timing,
    TimingSettings,
    TimingSettingsError,
)

DELAY = Delay(2.0, 8.0, "a page")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _timing(scale: float = 1.0, seed: int | None = 3, mode: str = "aws") -> tuple[Timing, FakeClock]:
    clock = FakeClock()
    return Timing(TimingSettings(mode, scale, seed), clock), clock


# --- settings -------------------------------------------------------------------------------------------


def test_settings__off_by_default_with_scale_one_and_no_seed():
    assert TimingSettings.from_env({}) == TimingSettings("off", 1.0, None)
    assert not TimingSettings.from_env({}).enabled


def test_settings__read_from_the_three_variables():
    env = {ENV_LOCAL_TIMING: " AWS ", ENV_LOCAL_TIME_SCALE: "0.05", ENV_LOCAL_SEED: "7"}
    assert TimingSettings.from_env(env) == TimingSettings("aws", 0.05, 7)
    assert TimingSettings.from_env(env).summary() == "aws at scale 0.05 (seed 7)"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({ENV_LOCAL_TIMING: "fast"}, ENV_LOCAL_TIMING),
        ({ENV_LOCAL_TIME_SCALE: "fast"}, ENV_LOCAL_TIME_SCALE),
        ({ENV_LOCAL_TIME_SCALE: "0"}, ENV_LOCAL_TIME_SCALE),
        ({ENV_LOCAL_TIME_SCALE: "-1"}, ENV_LOCAL_TIME_SCALE),
        ({ENV_LOCAL_TIME_SCALE: "nan"}, ENV_LOCAL_TIME_SCALE),
        ({ENV_LOCAL_TIME_SCALE: "1e9"}, ENV_LOCAL_TIME_SCALE),
        ({ENV_LOCAL_SEED: "1.5"}, ENV_LOCAL_SEED),
    ],
)
def test_settings__a_bad_value_is_refused_with_the_variables_name(env, named):
    with pytest.raises(TimingSettingsError, match=named):
        TimingSettings.from_env({ENV_LOCAL_TIMING: "aws", **env})


def test_start__a_bad_scale_is_refused_before_any_process_starts(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_LOCAL_TIMING, "aws")
    monkeypatch.setenv(ENV_LOCAL_TIME_SCALE, "ten")
    with pytest.raises(LocalCloudError, match=f"{ENV_LOCAL_TIME_SCALE}='ten' is not usable") as err:
        lifecycle.start(region="us-east-1", directory=tmp_path)
    assert err.value.fix and "unset the variable" in err.value.fix
    assert not (tmp_path / lifecycle.LOG_FILE_NAME).exists()


# --- draws ----------------------------------------------------------------------------------------------


def test_draw__within_the_range_times_the_scale_and_not_always_the_same():
    timing, _ = _timing(scale=0.5)
    draws = [timing.draw(DELAY) for _ in range(200)]
    assert all(1.0 <= d <= 4.0 for d in draws)
    assert len(set(draws)) > 100


def test_draw__a_seed_gives_the_same_sequence_and_off_gives_zero():
    assert [_timing(seed=9)[0].draw(DELAY) for _ in range(3)] == [_timing(seed=9)[0].draw(DELAY) for _ in range(3)]
    first, second = _timing(seed=9)[0], _timing(seed=10)[0]
    assert [first.draw(DELAY) for _ in range(3)] != [second.draw(DELAY) for _ in range(3)]
    off, _ = _timing(mode="off")
    assert off.draw(DELAY) == 0.0 and not off.enabled


# --- rate limiter ---------------------------------------------------------------------------------------


def test_rate_limiter__n_calls_per_window_then_the_wait_until_a_slot_frees():
    timing, clock = _timing(scale=0.5)
    limiter = RateLimiter(timing, RateLimit(2, 4.0, "a page"))  # 2 per 2 s at this scale
    assert limiter.acquire() is None
    clock.now += 0.5
    assert limiter.acquire() is None
    assert limiter.acquire() == pytest.approx(1.5)  # the first call leaves the window 2 s after it was made
    clock.now += 1.5
    assert limiter.acquire() is None
    assert limiter.acquire() == pytest.approx(0.5)


def test_retry_after__whole_seconds_rounded_up_at_least_one():
    assert [retry_after_header(s) for s in (0.01, 1.0, 1.2, 29.5)] == ["1", "1", "2", "30"]


# --- delayed state --------------------------------------------------------------------------------------


def test_deadlines__a_key_is_in_its_state_until_its_end_then_on_end_runs_once():
    timing, clock = _timing()
    ended: list[str] = []
    deadlines: Deadlines[str] = Deadlines(timing, DELAY, on_end=ended.append)
    end = deadlines.start("a")
    assert 102.0 <= end <= 108.0 and deadlines.active("a") and not deadlines.active("b")
    clock.now = end - 0.001
    assert deadlines.until("a") == end and ended == []
    clock.now = end
    assert not deadlines.active("a") and ended == ["a"]
    assert deadlines.expire() == [] and ended == ["a"]


def test_deadlines__with_the_timing_off_nothing_is_ever_pending():
    timing, _ = _timing(mode="off")
    deadlines: Deadlines[str] = Deadlines(timing, DELAY)
    deadlines.start("a")
    assert not deadlines.active("a") and deadlines.pending() == {}


def test_propagation__readers_see_the_old_value_until_the_change_takes_effect():
    timing, clock = _timing()
    values: Propagation[str, str] = Propagation(timing, DELAY)
    assert values.seen("role") == (False, None)  # nothing propagating: read the source
    effective = values.change("role", "v1", "v2")
    assert values.seen("role") == (True, "v1")
    clock.now = effective
    assert values.seen("role") == (False, None)


def test_propagation__changes_in_a_row_take_effect_in_order_never_one_before_an_earlier_one():
    timing, clock = _timing()
    values: Propagation[str, str] = Propagation(timing, DELAY)
    first = values.change("role", "v1", "v2")
    clock.now += 1.0
    second = values.change("role", "ignored: v1 is what readers see", "v3")
    assert second >= first
    assert values.seen("role") == (True, "v1")
    clock.now = first
    assert values.seen("role") == ((True, "v2") if second > first else (False, None))
    clock.now = second
    assert values.seen("role") == (False, None)
