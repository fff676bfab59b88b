"""Schedule arithmetic: intervals, server hints as floors, failure backoff."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.schedule import MIN_INTERVAL_S, next_after_failure, next_after_success

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "expected_s"),
    [
        ({"interval_s": 1800}, 1800),
        ({"interval_s": 5}, MIN_INTERVAL_S),  # never more often than the floor
        ({"interval_s": 1800, "ttl_minutes": 60}, 3600),  # <ttl> is a floor
        ({"interval_s": 7200, "ttl_minutes": 60}, 7200),  # ...not a ceiling
        ({"interval_s": 1800, "cache_max_age_s": 5400}, 5400),
        ({"interval_s": 1800, "ttl_minutes": 100_000, "max_interval_s": 86400}, 86400),
        ({"interval_s": 1800, "ttl_minutes": 0}, 1800),
    ],
)
def test_next_after_success(kwargs: dict[str, Any], expected_s: float) -> None:
    assert next_after_success(NOW, **kwargs) == NOW + timedelta(seconds=expected_s)


@pytest.mark.parametrize(
    ("failures", "retry_after", "expected_s"),
    [
        (1, None, 600),
        (2, None, 1200),
        (3, None, 2400),
        (10, None, 3600),  # capped at max_backoff
        (500, None, 3600),  # huge counts do not overflow
        (1, 7200, 7200),  # Retry-After is a floor, even above the cap
        (3, 60, 2400),  # ...and never shortens the backoff
        (1, 1e30, 30 * 86400),  # an absurd Retry-After is clamped, not an overflow
    ],
)
def test_next_after_failure(failures: int, retry_after: float | None, expected_s: float) -> None:
    got = next_after_failure(
        NOW,
        interval_s=600,
        consecutive_failures=failures,
        retry_after_s=retry_after,
        max_backoff_s=3600,
    )
    assert got == NOW + timedelta(seconds=expected_s)
