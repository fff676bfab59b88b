"""When a feed is next due: interval, server hints and failure backoff. Pure arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta

# Never poll a feed more often than this, whatever the configuration or server hints say.
MIN_INTERVAL_S = 60.0
# A server's Retry-After is obeyed up to this; beyond it the value is taken as an error.
MAX_RETRY_AFTER_S = 30 * 86400.0


def next_after_success(
    now: datetime,
    *,
    interval_s: float,
    ttl_minutes: int | None = None,
    cache_max_age_s: float | None = None,
    max_interval_s: float = 86400.0,
) -> datetime:
    """Next check after a successful poll (new content, 304 or unchanged body).

    The feed's `<ttl>` and the response's Cache-Control max-age are floors: a publisher that
    asks us to come back later is obeyed, up to `max_interval_s`.
    """
    wait = max(interval_s, MIN_INTERVAL_S)
    if ttl_minutes is not None and ttl_minutes > 0:
        wait = max(wait, ttl_minutes * 60.0)
    if cache_max_age_s is not None and cache_max_age_s > 0:
        wait = max(wait, cache_max_age_s)
    return now + timedelta(seconds=min(wait, max(max_interval_s, interval_s)))


def next_after_failure(
    now: datetime,
    *,
    interval_s: float,
    consecutive_failures: int,
    retry_after_s: float | None = None,
    max_backoff_s: float = 86400.0,
) -> datetime:
    """Next check after a failed poll: exponential backoff from the interval, capped.

    `consecutive_failures` counts this failure (1 on the first). Retry-After is a floor even
    above the cap, so a server asking for an hour gets at least an hour. A feed is never
    stopped for good: at worst it is tried once every `max_backoff_s`.
    """
    base = max(interval_s, MIN_INTERVAL_S)
    exponent = min(max(consecutive_failures - 1, 0), 16)
    wait = min(base * (2**exponent), max(max_backoff_s, base))
    if retry_after_s is not None and retry_after_s > 0:
        wait = max(wait, min(retry_after_s, MAX_RETRY_AFTER_S))
    return now + timedelta(seconds=wait)
