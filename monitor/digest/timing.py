"""When a channel's digest is due: schedules ("immediate", "hourly", "daily at HH:MM", cron). Pure.

Schedules are wall-clock times in the channel's time zone, computed with zone-aware arithmetic,
so a daily digest stays at 08:00 across DST changes and is sent once on the day the clock
repeats an hour. Instants are stored and compared in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_DAILY = re.compile(r"^daily at (\d{1,2}):(\d{2})$")
# Cron counts weekdays from Sunday (0 or 7); APScheduler from Monday (0). Names mean the same in
# both, so the day-of-week field is rewritten as names before APScheduler sees it.
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_PART = re.compile(r"^(\*|[a-z]{3}|\d)(?:-([a-z]{3}|\d))?(?:/(\d+))?$")


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed schedule: `cron` is None for "immediate" (due whenever there is news)."""

    text: str
    cron: str | None


def parse_schedule(text: str) -> Schedule:
    """Parse a schedule; a ValueError says what is wrong and what is accepted."""
    spec = " ".join(text.strip().lower().split())
    if spec == "immediate":
        return Schedule(text, None)
    if spec == "hourly":
        return Schedule(text, "0 * * * *")
    if m := _DAILY.match(spec):
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r}: no such time of day")
        return Schedule(text, f"{minute} {hour} * * *")
    if spec.startswith("cron:"):
        expression = spec.removeprefix("cron:").strip()
        try:
            _trigger(expression, "UTC")
        except ValueError as exc:
            raise ValueError(f"{text!r}: not a valid cron expression ({exc})") from None
        return Schedule(text, expression)
    raise ValueError(
        f"{text!r} is not a schedule: use 'immediate', 'hourly', 'daily at HH:MM' "
        "or 'cron: M H DOM MON DOW'"
    )


def _day_number(token: str) -> int:
    if token.isdigit():
        number = int(token)
        if number > 7:
            raise ValueError(f"day of week {number} is out of range (0-7, 0 and 7 are Sunday)")
        return number % 7
    if token not in _DAY_NAMES:
        raise ValueError(f"unknown day of week {token!r}")
    return _DAY_NAMES.index(token)


def _days_of_week(field: str) -> str:
    """A cron day-of-week field as a list of day names (APScheduler numbers days differently)."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        m = _DAY_PART.match(part)
        if not m:
            raise ValueError(f"cannot read day of week {part!r}")
        first, last, step = m.group(1), m.group(2), int(m.group(3) or 1)
        if step < 1:
            raise ValueError("a step must be at least 1")
        if first == "*":
            start, end = 0, 6
        else:
            start = _day_number(first)
            end = start if last is None and m.group(3) is None else 6
            if last is not None:
                end = 7 if last == "7" else _day_number(last)
                if end < start:
                    raise ValueError(f"day range {part!r} runs backwards")
        days.update(day % 7 for day in range(start, end + 1, step))
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def _trigger(cron: str, zone: str) -> CronTrigger:
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_days_of_week(weekday),
        timezone=ZoneInfo(zone),
    )


def next_slot(schedule: Schedule, zone: str, after: datetime) -> datetime | None:
    """The first scheduled instant strictly after `after` (UTC); None for "immediate"."""
    if schedule.cron is None:
        return None
    trigger = _trigger(schedule.cron, zone)
    # The trigger answers the first fire time at or after its `now`, rounded up to a second.
    fire: datetime | None = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    return None if fire is None else fire.astimezone(ZoneInfo("UTC"))


def is_due(schedule: Schedule, zone: str, last_digest_at: datetime, now: datetime) -> bool:
    """True when a digest may go out now: at once for "immediate", else once a scheduled
    instant has passed since the last digest (one digest however many slots were missed)."""
    slot = next_slot(schedule, zone, last_digest_at)
    return slot is None or slot <= now
