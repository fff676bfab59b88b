"""The outbox and deliveries on SQLite and PostgreSQL: cutting digests, leases, outcomes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from monitor.db import deliveries as delivery_rows
from monitor.db import outbox
from monitor.delivery import (
    Channel,
    Sender,
    channels_from_settings,
    cut_due_digests,
    new_delivery_id,
    preview_digests,
    record_outcome,
    register_channels,
)
from monitor.digest import build as digest_build
from monitor.digest.model import Counts, Digest
from monitor.notify.base import Attempt, SendOutcome, Verdict
from monitor.settings import Settings

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="


def settings(*channels: dict[str, Any]) -> Settings:
    return Settings.model_validate(
        {
            "entities": [{"id": "musk", "name": "Elon Musk"}, {"id": "putin", "name": "Putin"}],
            "claims": [
                {"id": "contact", "text": "Musk and Putin talk", "entities": ["musk", "putin"]},
                {"id": "tesla", "text": "Tesla sales fall", "entities": ["musk"]},
            ],
            "channels": list(channels),
        }
    )


def email(cid: str = "desk", **extra: Any) -> dict[str, Any]:
    return {"id": cid, "type": "email", "to": ["desk@example.org"], **extra}


def hook(cid: str = "hook", **extra: Any) -> dict[str, Any]:
    return {"id": cid, "type": "webhook", "url": "https://hooks.example.org/x", "secret": SECRET}


def claim_event(session: Session, claim_id: str, stance: str, *, at: datetime) -> int:
    snapshot = digest_build.claim_snapshot(
        claim_id, f"text of {claim_id}", "open", Counts(1, 0, 0), ["musk", "putin"]
    )
    line = digest_build.EvidenceLine(
        stance=stance,
        confidence=0.9,
        quote="They talk.",
        publisher="example.org",
        title="A story",
        url="https://example.org/a",
        published_at=at,
        first_seen_at=at,
    )
    return outbox.add_event(
        session,
        digest_build.EVIDENCE,
        digest_build.evidence_payload(snapshot, line),
        now=at,
        claim_id=claim_id,
        entity_ids=["musk", "putin"] if claim_id == "contact" else ["musk"],
    )


def cut(factory: sessionmaker[Session], s: Settings, now: datetime) -> list[str]:
    with factory.begin() as session:
        return cut_due_digests(session, s, channels_from_settings(s), now=now)


def registered(factory: sessionmaker[Session], s: Settings, now: datetime = T0) -> None:
    with factory.begin() as session:
        register_channels(session, channels_from_settings(s), now=now)


def test_a_new_channel_starts_at_the_end_of_the_outbox(
    session_factory: sessionmaker[Session],
) -> None:
    s = settings(email())
    with session_factory.begin() as session:
        claim_event(session, "contact", "supports", at=T0)
    registered(session_factory, s)
    assert cut(session_factory, s, T0) == []  # history is not sent to a new channel
    with session_factory.begin() as session:
        claim_event(session, "contact", "refutes", at=T0)
    [delivery_id] = cut(session_factory, s, T0 + timedelta(seconds=1))
    with session_factory() as session:
        delivery = delivery_rows.get_delivery(session, delivery_id)
    assert delivery is not None and delivery.status == "pending" and delivery.event_count == 1
    digest = Digest.from_json(delivery.digest)
    assert [e.stance for c in digest.claims for e in c.evidence] == ["refutes"]


def test_each_event_joins_exactly_one_delivery_per_channel(
    session_factory: sessionmaker[Session],
) -> None:
    s = settings(email("a"), email("b"))
    registered(session_factory, s)
    with session_factory.begin() as session:
        for _ in range(3):
            claim_event(session, "contact", "supports", at=T0)
    first = cut(session_factory, s, T0)
    assert len(first) == 2
    assert cut(session_factory, s, T0 + timedelta(minutes=1)) == []  # nothing new
    with session_factory() as session:
        counts = [d.event_count for d in delivery_rows.list_deliveries(session)]
    assert counts == [3, 3]


@pytest.mark.parametrize(
    ("channel", "delivered"),
    [
        (email(claims=["tesla"]), False),
        (email(claims=["contact"]), True),
        (email(entities=["putin"]), True),
        (email(events=["refutes", "status"]), False),
        (email(events=["supports"]), True),
    ],
)
def test_channel_filters_choose_events(
    session_factory: sessionmaker[Session], channel: dict[str, Any], delivered: bool
) -> None:
    s = settings(channel)
    registered(session_factory, s)
    with session_factory.begin() as session:
        last = claim_event(session, "contact", "supports", at=T0)
    assert bool(cut(session_factory, s, T0)) is delivered
    with session_factory() as session:
        state = outbox.channel_states(session)["desk"]
    assert state.cursor == last  # unwanted events are passed over, not kept for ever


def test_a_daily_channel_waits_for_its_time_then_sends_one_digest(
    session_factory: sessionmaker[Session],
) -> None:
    s = settings(email(schedule="daily at 08:00", timezone="Europe/Berlin"))
    registered(session_factory, s, T0)  # 09:30 UTC = 10:30 in Berlin
    with session_factory.begin() as session:
        claim_event(session, "contact", "supports", at=T0)
        claim_event(session, "tesla", "supports", at=T0)
    with session_factory() as session:
        [plan] = preview_digests(session, s, channels_from_settings(s), now=T0)
    assert not plan.due and plan.next_at == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
    assert cut(session_factory, s, datetime(2026, 3, 3, 6, 59, tzinfo=UTC)) == []
    # Two days late (the machine was off): still one digest with everything.
    [delivery_id] = cut(session_factory, s, datetime(2026, 3, 5, 12, 0, tzinfo=UTC))
    with session_factory() as session:
        delivery = delivery_rows.get_delivery(session, delivery_id)
    assert delivery is not None
    assert [c.claim_id for c in Digest.from_json(delivery.digest).claims] == ["contact", "tesla"]


def test_a_lease_keeps_a_delivery_from_a_second_worker_until_it_runs_out(
    session_factory: sessionmaker[Session],
) -> None:
    s = settings(email())
    registered(session_factory, s)
    with session_factory.begin() as session:
        claim_event(session, "contact", "supports", at=T0)
    [delivery_id] = cut(session_factory, s, T0)
    lease = T0 + timedelta(minutes=5)
    with session_factory.begin() as session:
        taken = delivery_rows.take_due(session, "desk", now=T0, lease_until=lease)
    assert taken is not None and (taken.id, taken.attempts) == (delivery_id, 1)
    with session_factory.begin() as session:  # the first worker is still sending
        assert delivery_rows.take_due(session, "desk", now=T0, lease_until=lease) is None
    later = lease + timedelta(seconds=1)  # ...or was killed: the lease runs out
    with session_factory.begin() as session:
        again = delivery_rows.take_due(session, "desk", now=later, lease_until=later)
    assert again is not None and (again.id, again.attempts) == (delivery_id, 2)


def _taken(factory: sessionmaker[Session], s: Settings, now: datetime = T0) -> Any:
    registered(factory, s)
    with factory.begin() as session:
        claim_event(session, "contact", "supports", at=now)
    cut(factory, s, now)
    with factory.begin() as session:
        return delivery_rows.take_due(session, s.channels[0].id, now=now, lease_until=now)


def test_retry_then_give_up_after_the_schedule(session_factory: sessionmaker[Session]) -> None:
    s = settings(email(retry=["1m"], give_up_after="3m"))
    [channel] = channels_from_settings(s)
    taken = _taken(session_factory, s)
    now, rng = T0, random.Random(1)
    outcome = SendOutcome.retry("SMTP 127.0.0.1:25: connection refused")
    for _ in range(2):
        with session_factory.begin() as session:
            assert not record_outcome(session, channel, taken, outcome, now=now, rng=rng)
            delivery = delivery_rows.get_delivery(session, taken.id)
        assert delivery is not None and delivery.status == "pending"
        assert timedelta(seconds=47) <= delivery.next_attempt_at - now <= timedelta(seconds=73)
        now = delivery.next_attempt_at
    with session_factory.begin() as session:
        assert record_outcome(session, channel, taken, outcome, now=now, rng=rng)
        delivery = delivery_rows.get_delivery(session, taken.id)
        state = outbox.channel_states(session)["desk"]
    assert delivery is not None and delivery.status == "dead"
    assert delivery.last_error is not None and "gave up after" in delivery.last_error
    assert state.failing_since == T0  # "degraded since" the first failure


def test_retry_after_is_honoured(session_factory: sessionmaker[Session]) -> None:
    s = settings(hook())
    [channel] = channels_from_settings(s)
    taken = _taken(session_factory, s)
    outcome = SendOutcome.retry("HTTP 429", retry_after=3600)
    with session_factory.begin() as session:
        record_outcome(session, channel, taken, outcome, now=T0, rng=random.Random(1))
        delivery = delivery_rows.get_delivery(session, taken.id)
    assert delivery is not None and delivery.next_attempt_at >= T0 + timedelta(hours=1)


def test_gone_disables_the_channel_and_tells_email_channels(
    session_factory: sessionmaker[Session],
) -> None:
    s = settings(hook(), email())
    hook_channel = channels_from_settings(s)[0]
    taken = _taken(session_factory, s)
    cut(session_factory, s, T0)
    outcome = SendOutcome.dead("webhook https://hooks.example.org: HTTP 410", disable_channel=True)
    with session_factory.begin() as session:
        record_outcome(session, hook_channel, taken, outcome, now=T0, rng=random.Random(1))
    with session_factory() as session:
        state = outbox.channel_states(session)["hook"]
    assert state.disabled_at == T0 and "410" in (state.disabled_reason or "")
    with session_factory.begin() as session:
        claim_event(session, "contact", "refutes", at=T0)
    created = cut(session_factory, s, T0 + timedelta(seconds=1))
    with session_factory() as session:
        [notice_digest] = [
            Digest.from_json(d.digest)
            for d in delivery_rows.list_deliveries(session, channel_id="desk")
            if d.id in created
        ]
        hook_pending = delivery_rows.list_deliveries(
            session, channel_id="hook", statuses=("pending",)
        )
    assert [n.kind for n in notice_digest.notices] == ["channel_disabled"]
    assert "deliveries enable hook" in notice_digest.notices[0].text
    assert hook_pending == []  # a disabled channel gets no new deliveries...
    with session_factory.begin() as session:
        assert outbox.set_channel_disabled(session, "hook", at=None, reason=None)
    assert cut(session_factory, s, T0 + timedelta(seconds=2))  # ...and keeps its events


class ScriptedNotifier:
    """Answers each send with the next outcome of its script and records the attempts."""

    def __init__(self, channel_id: str, script: Sequence[SendOutcome]) -> None:
        self.channel_id = channel_id
        self.script = list(script)
        self.attempts: list[Attempt] = []

    async def send(self, attempt: Attempt) -> SendOutcome:
        self.attempts.append(attempt)
        return self.script.pop(0)

    async def aclose(self) -> None:
        return None


def sender(
    factory: sessionmaker[Session],
    channels: list[Channel],
    notifier: ScriptedNotifier,
    now: datetime,
) -> Sender:
    return Sender(
        sessions=factory,
        channels={c.id: c for c in channels},
        notifiers={notifier.channel_id: notifier},
        clock=lambda: now,
        lease_s=300,
        rng=random.Random(1),
    )


def three_deliveries(factory: sessionmaker[Session], s: Settings) -> list[str]:
    registered(factory, s)
    ids = []
    for n in range(3):
        with factory.begin() as session:
            claim_event(session, "contact", "supports", at=T0)
        ids += cut(factory, s, T0 + timedelta(seconds=n))
    return ids


def test_a_poison_delivery_does_not_hold_back_the_next(
    session_factory: sessionmaker[Session],
) -> None:
    s = settings(email())
    ids = three_deliveries(session_factory, s)
    script = [SendOutcome.dead("550 rejected"), SendOutcome.sent(), SendOutcome.sent()]
    notifier = ScriptedNotifier("desk", script)
    results = asyncio.run(
        sender(
            session_factory, channels_from_settings(s), notifier, T0 + timedelta(minutes=1)
        ).send_due()
    )
    assert [(r.delivery_id, r.outcome.verdict) for r in results] == [
        (ids[0], Verdict.DEAD),
        (ids[1], Verdict.SENT),
        (ids[2], Verdict.SENT),
    ]


def test_two_failures_in_a_row_end_the_channels_turn_and_recovery_sends_in_order(
    session_factory: sessionmaker[Session],
) -> None:
    s = settings(email())
    ids = three_deliveries(session_factory, s)
    channels = channels_from_settings(s)
    down = ScriptedNotifier("desk", [SendOutcome.retry("refused")] * 2)
    now = T0 + timedelta(minutes=1)
    results = asyncio.run(sender(session_factory, channels, down, now).send_due())
    assert [r.delivery_id for r in results] == ids[:2]  # the third was not tried: channel down
    later = now + timedelta(hours=1)
    up = ScriptedNotifier("desk", [SendOutcome.sent()] * 3)
    asyncio.run(sender(session_factory, channels, up, later).send_due())
    assert [a.digest.delivery_id for a in up.attempts] == ids  # all, in order, once
    assert [a.attempt for a in up.attempts] == [2, 2, 1]
    with session_factory() as session:
        assert {d.status for d in delivery_rows.list_deliveries(session)} == {"sent"}
        assert outbox.channel_states(session)["desk"].failing_since is None


def test_retry_by_hand_puts_a_dead_delivery_back(session_factory: sessionmaker[Session]) -> None:
    s = settings(email())
    [channel] = channels_from_settings(s)
    taken = _taken(session_factory, s)
    with session_factory.begin() as session:
        record_outcome(
            session, channel, taken, SendOutcome.dead("550"), now=T0, rng=random.Random()
        )
        assert delivery_rows.retry_by_hand(session, taken.id, now=T0)
        assert not delivery_rows.retry_by_hand(session, "msg_nosuch", now=T0)
        delivery = delivery_rows.get_delivery(session, taken.id)
    assert delivery is not None and (delivery.status, delivery.attempts) == ("pending", 0)


def test_delivery_ids_are_unique_sortable_and_fit_the_column() -> None:
    ids = [new_delivery_id(T0 + timedelta(milliseconds=n)) for n in range(200)]
    assert len(set(ids)) == 200 and ids == sorted(ids)
    assert all(i.startswith("msg_") and len(i) == 30 for i in ids)


def test_ten_thousand_events_make_one_short_digest(session_factory: sessionmaker[Session]) -> None:
    """RELIABILITY row 55: a flood of alerts is one message that says what it left out."""
    s = settings(email())
    registered(session_factory, s)
    with session_factory.begin() as session:
        for n in range(10_000):
            claim_event(session, ("contact", "tesla")[n % 2], "supports", at=T0)
    [delivery_id] = cut(session_factory, s, T0)
    with session_factory() as session:
        delivery = delivery_rows.get_delivery(session, delivery_id)
    assert delivery is not None and delivery.event_count == 10_000
    digest = Digest.from_json(delivery.digest)
    assert [len(c.evidence) for c in digest.claims] == [10, 10]  # max_evidence_per_claim
    assert [c.omitted_evidence for c in digest.claims] == [4_990, 4_990]


def test_a_digest_that_cannot_be_read_is_dead_and_the_next_is_sent(
    session_factory: sessionmaker[Session],
) -> None:
    """RELIABILITY row 54: a poison row is dead after one try and blocks nothing."""
    s = settings(email())
    ids = three_deliveries(session_factory, s)
    with session_factory.begin() as session:
        session.execute(
            delivery_rows._DELIVERIES.update()
            .where(delivery_rows._DELIVERIES.c.id == ids[0])
            .values(digest={"version": 1})
        )
    notifier = ScriptedNotifier("desk", [SendOutcome.sent()] * 2)
    now = T0 + timedelta(minutes=1)
    results = asyncio.run(
        sender(session_factory, channels_from_settings(s), notifier, now).send_due()
    )
    assert [(r.delivery_id, r.dead) for r in results] == [
        (ids[0], True),
        (ids[1], False),
        (ids[2], False),
    ]
    assert "cannot read the stored digest" in (results[0].outcome.error or "")
