"""When to try a delivery again, and when to give up: schedules with jitter. Pure."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Standard Webhooks' schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
WEBHOOK_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
# Mail and chat: 1, 2, 4, 8 minutes, then every 15 minutes (RELIABILITY row 43).
MESSAGE_SCHEDULE: tuple[float, ...] = (60, 120, 240, 480, 900)
JITTER = 0.2  # each wait is drawn from +-20% around the scheduled one
MAX_RETRY_AFTER = 86400.0  # a receiver's Retry-After is honoured up to a day


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    schedule: tuple[float, ...]
    give_up_after: float  # seconds since the delivery was created

    @classmethod
    def for_channel(
        cls, channel_type: str, schedule: Sequence[float], give_up_after: float
    ) -> RetryPolicy:
        default = WEBHOOK_SCHEDULE if channel_type == "webhook" else MESSAGE_SCHEDULE
        return cls(tuple(schedule) or default, give_up_after)

    def next_attempt(
        self,
        *,
        failed_attempts: int,
        created_at: datetime,
        now: datetime,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> datetime | None:
        """When to try again after `failed_attempts` failures (1 after the first), or None when
        the next try would fall after `give_up_after`: the delivery is then dead."""
        index = min(max(failed_attempts, 1), len(self.schedule)) - 1
        wait = self.schedule[index] * (1 + JITTER * (2 * (rng or random).random() - 1))
        if retry_after is not None:
            wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
        at = now + timedelta(seconds=wait)
        if (at - created_at).total_seconds() > self.give_up_after:
            return None
        return at
