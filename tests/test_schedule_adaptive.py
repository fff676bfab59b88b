"""The adaptive interval: how often a feed is polled follows how often it publishes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.config_loader import load_config
from monitor.errors import ConfigError
from monitor.schedule import adaptive_interval_s
from monitor.settings import PollingSettings

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
FALLBACK_S = 30 * MINUTE
MIN_S, MAX_S = 10 * MINUTE, DAY


def every(step_s: float, count: int, *, newest_ago_s: float = 0.0) -> list[datetime]:
    """`count` times `step_s` apart, the newest `newest_ago_s` before NOW."""
    newest = NOW - timedelta(seconds=newest_ago_s)
    return [newest - timedelta(seconds=step_s * n) for n in range(count)]


def interval(
    times: list[datetime],
    *,
    fallback_s: float = FALLBACK_S,
    min_interval_s: float = MIN_S,
    max_interval_s: float = MAX_S,
) -> float:
    return adaptive_interval_s(
        NOW,
        times,
        fallback_s=fallback_s,
        min_interval_s=min_interval_s,
        max_interval_s=max_interval_s,
    )


@pytest.mark.parametrize(
    ("times", "expected_s"),
    [
        # A steady publisher is polled at half its gap, so new items wait half a gap at most.
        pytest.param(every(HOUR, 10, newest_ago_s=20 * MINUTE), 30 * MINUTE, id="hourly"),
        pytest.param(every(2 * HOUR, 6, newest_ago_s=MINUTE), HOUR, id="two-hourly"),
        pytest.param(every(DAY, 7, newest_ago_s=3 * HOUR), 12 * HOUR, id="daily"),
        # Faster than the floor, slower than the ceiling: clamped.
        pytest.param(every(2 * MINUTE, 10, newest_ago_s=MINUTE), MIN_S, id="burst-min-clamp"),
        pytest.param(every(7 * DAY, 5, newest_ago_s=3 * DAY), MAX_S, id="weekly-max-clamp"),
        # A feed that used to publish hourly but went silent ten days ago slows to the ceiling...
        pytest.param(every(HOUR, 10, newest_ago_s=10 * DAY), MAX_S, id="silent-for-days"),
        # ...and a quiet night slows an hourly feed only gently (gap = silence / 4 = 2 h).
        pytest.param(every(HOUR, 10, newest_ago_s=8 * HOUR), HOUR, id="quiet-night"),
        # Too little history: the configured interval, whatever the bounds.
        pytest.param([], FALLBACK_S, id="no-items"),
        pytest.param(every(DAY, 2), FALLBACK_S, id="two-items"),
        pytest.param([NOW - timedelta(hours=1)] * 5, FALLBACK_S, id="equal-times-count-once"),
        # Future dates say nothing about the rhythm: ignored.
        pytest.param(
            every(DAY, 2) + every(-MINUTE, 5, newest_ago_s=-HOUR), FALLBACK_S, id="future-only"
        ),
        pytest.param(
            every(DAY, 5, newest_ago_s=HOUR) + every(MINUTE, 9, newest_ago_s=-DAY),
            12 * HOUR,
            id="future-burst-ignored",
        ),
        # The median shrugs off one long pause.
        pytest.param(
            [*every(HOUR, 5), NOW - timedelta(days=30)], 30 * MINUTE, id="one-outlier-gap"
        ),
        # Only the newest twenty distinct times count: an old, slower rhythm is forgotten.
        pytest.param(
            every(HOUR, 21) + every(DAY, 50, newest_ago_s=2 * DAY),
            30 * MINUTE,
            id="old-history-forgotten",
        ),
    ],
)
def test_adaptive_interval(times: list[datetime], expected_s: float) -> None:
    assert interval(times) == pytest.approx(expected_s)


def test_order_and_time_zone_of_the_times_do_not_matter() -> None:
    times = every(2 * HOUR, 6, newest_ago_s=MINUTE)
    tokyo = timezone(timedelta(hours=9))
    shuffled = [t.astimezone(tokyo) for t in times[::2] + times[1::2]]
    assert interval(shuffled) == interval(times) == pytest.approx(HOUR)


def test_the_fallback_is_not_clamped() -> None:
    # A configured interval is the user's choice; the bounds only hold adaptation in.
    assert interval([], fallback_s=5 * MINUTE) == 5 * MINUTE
    assert interval([], fallback_s=2 * DAY) == 2 * DAY


@pytest.mark.parametrize(
    ("min_s", "max_s", "expected_s"),
    [
        (HOUR, DAY, HOUR),  # hourly publisher, floor raised to an hour
        (MINUTE, 15 * MINUTE, 15 * MINUTE),  # ceiling lowered below half the gap
        (HOUR, HOUR, HOUR),  # equal bounds pin the interval
    ],
)
def test_the_bounds_are_configurable(min_s: float, max_s: float, expected_s: float) -> None:
    times = every(HOUR, 10)
    assert interval(times, min_interval_s=min_s, max_interval_s=max_s) == expected_s


@pytest.mark.parametrize("sample_size", [0, 1, 2])
def test_a_sample_too_small_for_a_rhythm_falls_back(sample_size: int) -> None:
    times = every(HOUR, 10)
    assert adaptive_interval_s(
        NOW,
        times,
        fallback_s=FALLBACK_S,
        min_interval_s=MIN_S,
        max_interval_s=MAX_S,
        sample_size=sample_size,
    ) == (FALLBACK_S)


def test_polling_defaults_adapt_between_ten_minutes_and_a_day() -> None:
    polling = PollingSettings()
    assert (polling.adaptive, polling.min_interval, polling.max_interval) == (True, 600.0, DAY)


def test_bounds_the_wrong_way_round_are_refused_at_their_line(tmp_path: Path) -> None:
    path = tmp_path / "monitor.toml"
    path.write_text('[polling]\nmin_interval = "2h"\nmax_interval = "1h"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, cwd=tmp_path)
    assert str(caught.value) == (
        "monitor.toml:2: polling.min_interval: min_interval must not be longer than max_interval"
    )
