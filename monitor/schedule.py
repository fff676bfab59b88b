"""When a feed is next due: its publishing rhythm, server hints and failure backoff. Pure."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable
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


# How many of a feed's newest distinct publish times the adaptive interval looks at.
RHYTHM_SAMPLE = 20
# With fewer distinct publish times than this, a feed has no rhythm yet: its configured
# interval is used.
MIN_RHYTHM_TIMES = 3
# A feed quiet for longer than its usual gap slows down: its gap is taken to be at least the
# silence so far divided by this.
SILENCE_DIVISOR = 4.0


def adaptive_interval_s(
    now: datetime,
    publish_times: Iterable[datetime],
    *,
    fallback_s: float,
    min_interval_s: float,
    max_interval_s: float,
    sample_size: int = RHYTHM_SAMPLE,
) -> float:
    """Seconds between polls that follow how often a feed publishes.

    `publish_times` are its items' publish (or first-seen) times, in any order. Times after
    `now` are ignored (a publisher's clock or a typo, not a schedule); equal times count once.
    The feed's gap is the median gap between its newest `sample_size` distinct times, but at
    least the silence since the newest one over SILENCE_DIVISOR, so a feed that went quiet is
    asked less often. The interval is half that gap, so new items are picked up promptly,
    clamped to [min_interval_s, max_interval_s]. With fewer than MIN_RHYTHM_TIMES distinct
    times the answer is `fallback_s`, unclamped.
    """
    past = sorted({t for t in publish_times if t <= now}, reverse=True)[: max(sample_size, 0)]
    if len(past) < MIN_RHYTHM_TIMES:
        return fallback_s
    gaps = [(newer - older).total_seconds() for newer, older in itertools.pairwise(past)]
    silence_s = (now - past[0]).total_seconds()
    gap_s = max(statistics.median(gaps), silence_s / SILENCE_DIVISOR)
    return min(max(gap_s / 2.0, min_interval_s), max(max_interval_s, min_interval_s))
