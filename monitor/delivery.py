"""Outbox to inboxes: cut due digests into deliveries, send them, record what happened. Database
and network (through the notifiers it is given).

Guarantees (issue 4, RELIABILITY rows 43-55):
- an event joins exactly one delivery per channel: the delivery row and the channel's cursor
  move in one transaction;
- a delivery is marked sent only after its channel accepted it; a worker killed between the two
  leaves a lease that runs out, and the delivery is sent again with the same id (at most one
  duplicate, which receivers can drop by that id);
- transient failures are retried on the channel's schedule with jitter, permanent ones are dead
  at once; one bad delivery never holds back the ones after it, but two failures in a row end
  the channel's turn (it is down: no point trying the rest now); when a failing channel works
  again its waiting deliveries are all made due, so they arrive in order.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from monitor.channels import ChannelSettings
from monitor.db import deliveries as delivery_rows
from monitor.db import outbox
from monitor.db.records import ChannelStateRecord, DeliveryRecord
from monitor.digest import build as digest_build
from monitor.digest.build import ChannelFilter
from monitor.digest.model import Digest
from monitor.digest.timing import Schedule, is_due, next_slot, parse_schedule
from monitor.notify.base import Attempt, Notifier, SendOutcome, Verdict
from monitor.notify.retry import RetryPolicy
from monitor.settings import Settings

log = logging.getLogger(__name__)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_SENDS_PER_PASS = 100  # per channel, so one pass always ends
FAILURES_TO_END_TURN = 2


def new_delivery_id(now: datetime) -> str:
    """A sortable unique id ("msg_" + ULID: 48-bit milliseconds, 80 random bits, Crockford)."""
    value = (int(now.timestamp() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "msg_" + "".join(reversed(chars))


@dataclass(frozen=True)
class Channel:
    """A configured channel, ready to use: its filter, schedule and retry policy."""

    settings: ChannelSettings
    filter: ChannelFilter
    schedule: Schedule
    zone: str
    policy: RetryPolicy

    @property
    def id(self) -> str:
        return self.settings.id


def channels_from_settings(settings: Settings) -> list[Channel]:
    return [
        Channel(
            settings=channel,
            filter=ChannelFilter(
                channel_id=channel.id,
                events=frozenset(channel.events),
                claims=frozenset(channel.claims),
                entities=frozenset(channel.entities),
                takes_notices=channel.type == "email",
            ),
            schedule=parse_schedule(channel.schedule),
            zone=channel.timezone or settings.delivery.timezone,
            policy=RetryPolicy.for_channel(channel.type, channel.retry, channel.give_up_after),
        )
        for channel in settings.channels
    ]


def register_channels(session: Session, channels: Sequence[Channel], *, now: datetime) -> None:
    """Give new channels their state, starting at the outbox's end: no history is sent."""
    for channel in channels:
        outbox.lock_channel(session, channel.id, now=now)


@dataclass(frozen=True)
class DigestPlan:
    """What a channel would be sent now (`due`), or at `next_at`."""

    channel: Channel
    digest: Digest
    due: bool
    next_at: datetime | None
    cursor: int  # the last outbox event the digest covers


def _plan(
    channel: Channel, state: ChannelStateRecord, session: Session, settings: Settings, now: datetime
) -> DigestPlan | None:
    events = outbox.events_after(session, state.cursor)
    if not events:
        return None
    digest = digest_build.build_digest(
        (event for event in events if channel.filter.wants(event)),
        delivery_id=new_delivery_id(now),
        channel_id=channel.id,
        now=now,
        max_claims=settings.delivery.max_claims_per_digest,
        max_evidence_per_claim=settings.delivery.max_evidence_per_claim,
    )
    return DigestPlan(
        channel=channel,
        digest=digest,
        due=is_due(channel.schedule, channel.zone, state.last_digest_at, now),
        next_at=next_slot(channel.schedule, channel.zone, state.last_digest_at),
        cursor=events[-1].id,
    )


def preview_digests(
    session: Session, settings: Settings, channels: Sequence[Channel], *, now: datetime
) -> list[DigestPlan]:
    """Every channel's next digest as it would be cut now, due or not; writes nothing."""
    states = outbox.channel_states(session)
    plans = []
    for channel in channels:
        state = states.get(channel.id)
        if state is None or state.disabled_at is not None:
            continue
        plan = _plan(channel, state, session, settings, now)
        if plan is not None and not plan.digest.is_empty:
            plans.append(plan)
    return plans


def cut_due_digests(
    session: Session, settings: Settings, channels: Sequence[Channel], *, now: datetime
) -> list[str]:
    """Turn each due channel's new events into one delivery; return the new delivery ids.

    Events a channel does not want move its cursor without a delivery; an empty digest is never
    sent. A disabled channel keeps its events until it is enabled again."""
    created: list[str] = []
    if not outbox.lock_out_event_writers(session):
        return created  # events are being written right now: the next tick cuts them
    for channel in channels:
        state = outbox.lock_channel(session, channel.id, now=now)
        if state.disabled_at is not None:
            continue
        plan = _plan(channel, state, session, settings, now)
        if plan is None or not plan.due:
            continue
        if plan.digest.is_empty:
            outbox.advance_cursor(session, channel.id, plan.cursor, digest_at=None)
            continue
        delivery_rows.add_delivery(
            session,
            plan.digest.delivery_id,
            channel.id,
            plan.digest.to_json(),
            event_count=plan.digest.event_count,
            now=now,
        )
        outbox.advance_cursor(session, channel.id, plan.cursor, digest_at=now)
        created.append(plan.digest.delivery_id)
    return created


@dataclass(frozen=True)
class SendResult:
    delivery_id: str
    channel_id: str
    attempt: int
    outcome: SendOutcome
    dead: bool  # dead now: permanently refused, or out of retries


@dataclass
class Sender:
    """Sends due deliveries through the notifiers; one per process, shared by every pass."""

    sessions: sessionmaker[Session]
    channels: Mapping[str, Channel]
    notifiers: Mapping[str, Notifier]
    clock: Callable[[], datetime]
    lease_s: float
    rng: random.Random

    def _now(self) -> datetime:
        return self.clock()

    async def send_due(self) -> list[SendResult]:
        """One pass: each channel sends its due deliveries, oldest first, channels in parallel."""
        results = await asyncio.gather(
            *(
                self._channel_pass(self.channels[channel_id])
                for channel_id in self.notifiers
                if channel_id in self.channels
            )
        )
        return [result for batch in results for result in batch]

    async def _channel_pass(self, channel: Channel) -> list[SendResult]:
        notifier = self.notifiers[channel.id]
        results: list[SendResult] = []
        failures_in_a_row = 0
        for _ in range(MAX_SENDS_PER_PASS):
            now = self._now()
            with self.sessions.begin() as session:
                state = outbox.lock_channel(session, channel.id, now=now)
                if state.disabled_at is not None:
                    break
                taken = delivery_rows.take_due(
                    session,
                    channel.id,
                    now=now,
                    lease_until=now + timedelta(seconds=self.lease_s),
                )
            if taken is None:
                break
            result = await self._attempt(channel, notifier, taken)
            results.append(result)
            if result.outcome.verdict is Verdict.RETRY:
                failures_in_a_row += 1
                if failures_in_a_row >= FAILURES_TO_END_TURN:
                    break
            else:
                failures_in_a_row = 0
            if result.outcome.disable_channel:
                break
        return results

    async def _attempt(
        self, channel: Channel, notifier: Notifier, taken: DeliveryRecord
    ) -> SendResult:
        started = time.monotonic()
        try:
            digest = Digest.from_json(taken.digest)
        except (KeyError, TypeError, ValueError) as exc:  # a poison row: it can never be sent
            outcome = SendOutcome.dead(f"cannot read the stored digest: {type(exc).__name__}")
        else:
            try:
                outcome = await notifier.send(Attempt(digest, taken.attempts, self._now()))
            except Exception as exc:  # a bug in a notifier must not stop the others
                log.exception("notifier %s failed on delivery %s", channel.id, taken.id)
                outcome = SendOutcome.retry(f"internal error: {type(exc).__name__}")
        log.info(
            "delivery %s channel=%s attempt=%d verdict=%s in %.2fs%s",
            taken.id,
            channel.id,
            taken.attempts,
            outcome.verdict.value,
            time.monotonic() - started,
            f" error={outcome.error}" if outcome.error else "",
        )
        with self.sessions.begin() as session:
            dead = record_outcome(session, channel, taken, outcome, now=self._now(), rng=self.rng)
        return SendResult(taken.id, channel.id, taken.attempts, outcome, dead)


def record_outcome(
    session: Session,
    channel: Channel,
    taken: DeliveryRecord,
    outcome: SendOutcome,
    *,
    now: datetime,
    rng: random.Random,
) -> bool:
    """Store what the channel said; True when the delivery is now dead."""
    if outcome.disable_channel:  # adds an event below: the events lock comes before the row lock
        outbox.share_event_writers_lock(session)
    state = outbox.lock_channel(session, channel.id, now=now)
    error = outcome.error or "failed"
    if outcome.verdict is Verdict.SENT:
        delivery_rows.mark_sent(session, taken.id, now=now, note=outcome.error)
        if state.failing_since is not None or state.last_error is not None:
            outbox.set_channel_health(session, channel.id, failing_since=None, last_error=None)
            delivery_rows.make_channel_due(session, channel.id, now=now)
        return False
    if outcome.verdict is Verdict.RETRY:
        at = channel.policy.next_attempt(
            failed_attempts=taken.attempts,
            created_at=taken.created_at,
            now=now,
            retry_after=outcome.retry_after,
            rng=rng,
        )
        outbox.set_channel_health(
            session, channel.id, failing_since=state.failing_since or now, last_error=error
        )
        if at is not None:
            delivery_rows.mark_retry(session, taken.id, now=now, next_attempt_at=at, error=error)
            return False
        error = f"{error} (gave up after {taken.attempts} attempts)"
    delivery_rows.mark_dead(session, taken.id, now=now, error=error)
    if outcome.verdict is Verdict.DEAD:
        outbox.set_channel_health(
            session, channel.id, failing_since=state.failing_since, last_error=error
        )
    if outcome.disable_channel:
        outbox.set_channel_disabled(session, channel.id, at=now, reason=error)
        outbox.add_event(
            session,
            digest_build.CHANNEL_DISABLED,
            digest_build.notice_payload(channel.id, error),
            now=now,
        )
    return True
