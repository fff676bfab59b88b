"""The daemon's tick job, called directly: leases, polls once, sends, releases on cancel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, select

from monitor.app import Database, open_sender, open_services
from monitor.db import feeds as feed_rows
from monitor.db.engine import make_session_factory
from monitor.db.models import Delivery
from monitor.delivery import channels_from_settings, register_channels
from monitor.domain import FeedSpec
from monitor.settings import FetchSettings, Settings
from monitor.worker import TICK_JOB_ID, Worker, build_scheduler
from monitor.worker_settings import DaemonSettings
from tests.fixtures_http import LoopbackHTTPServer
from tests.pipeline_world import rss
from tests.webhook_receiver import WebhookReceiver

SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
START = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Rig:
    db: Database
    server: LoopbackHTTPServer
    clock: Clock
    settings: Settings
    hooks: list[WebhookReceiver] = field(default_factory=list)

    def add_feed(self, path: str, *, due_in: timedelta = timedelta(0)) -> int:
        self.server.route(path, body=rss([]), content_type="application/rss+xml")
        with self.db.sessions.begin() as session:
            state = feed_rows.add_feed(
                session, FeedSpec(self.server.url(path)), source="cli", now=self.clock.now
            )
            if due_in:
                feed_rows.record_feed_success(
                    session,
                    state.id,
                    now=self.clock.now,
                    next_check_at=self.clock.now + due_in,
                    etag=None,
                    last_modified=None,
                    body_sha256=None,
                    warning=None,
                )
        return state.id

    def next_check_at(self, feed_id: int) -> datetime:
        with self.db.sessions() as session:
            state = feed_rows.get_feed_by_id(session, feed_id)
        assert state is not None
        return state.next_check_at

    @asynccontextmanager
    async def worker(self, **daemon: Any) -> AsyncIterator[Worker]:
        settings = self.settings
        async with (
            open_services(settings, self.db, clock=self.clock) as services,
            open_sender(settings, self.db, clock=self.clock) as sender,
        ):
            yield Worker(
                services,
                sender,
                channels_from_settings(settings),
                DaemonSettings(**daemon),
            )


def make_settings(fetch: FetchSettings, **extra: Any) -> Settings:
    return Settings.model_validate(
        {
            "fetch": fetch.model_dump(),
            "parse": {"deadline": 10.0},
            "extract": {"deadline": 10.0, "workers": 1},
            **extra,
        }
    )


@pytest.fixture
def rig(
    engine: Engine, http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> Iterator[Rig]:
    db = Database(engine=engine, sessions=make_session_factory(engine))
    yield Rig(db, http_server, Clock(), make_settings(fetch_settings))


def run(coroutine_factory: Callable[[], Any]) -> Any:
    return asyncio.run(coroutine_factory())


def test_a_tick_polls_each_due_feed_once_and_leaves_the_rest(rig: Rig) -> None:
    due = [rig.add_feed(f"/due-{i}.xml") for i in range(3)]
    later = rig.add_feed("/later.xml", due_in=timedelta(minutes=5))

    async def go() -> int:
        async with rig.worker() as worker:
            return (await worker.tick()).leased

    assert run(go) == 3
    for i in range(3):
        assert len(rig.server.requests_to(f"/due-{i}.xml")) == 1
    assert rig.server.requests_to("/later.xml") == []
    assert all(rig.next_check_at(f) > START for f in due)
    assert rig.next_check_at(later) == START + timedelta(minutes=5)


def test_two_ticks_in_a_row_do_not_poll_a_feed_twice(rig: Rig) -> None:
    rig.add_feed("/a.xml")

    async def go() -> tuple[int, int]:
        async with rig.worker() as worker:
            first = await worker.tick()
            second = await worker.tick()
        return first.leased, second.leased

    assert run(go) == (1, 0)
    assert len(rig.server.requests_to("/a.xml")) == 1


def test_a_clock_that_jumps_forward_or_back_polls_each_feed_once(rig: Rig) -> None:
    """RELIABILITY 61: the schedule is UTC times in the database, so DST changes nothing; a
    step forward (a machine waking after two days) polls each feed once, and a step back
    delays polls, never repeats them."""
    feeds = [rig.add_feed(f"/f{i}.xml") for i in range(2)]

    async def go() -> list[int]:
        leased = []
        async with rig.worker() as worker:
            for now in (
                START,  # both due
                START + timedelta(days=2),  # woke after two days: both overdue, once each
                START + timedelta(days=2),  # the same instant again: nothing
                START + timedelta(days=2) - timedelta(hours=1),  # stepped back: nothing due
                START + timedelta(days=2, minutes=31),  # past the 30 min interval: once each
            ):
                rig.clock.now = now
                leased.append((await worker.tick()).leased)
        return leased

    assert run(go) == [2, 2, 0, 0, 2]
    for i, feed in enumerate(feeds):
        assert len(rig.server.requests_to(f"/f{i}.xml")) == 3
        assert rig.next_check_at(feed) == START + timedelta(days=2, minutes=61)


def test_a_feed_leased_by_another_worker_is_not_polled(rig: Rig) -> None:
    feed_id = rig.add_feed("/leased.xml")
    lease_until = START + timedelta(minutes=10)
    with rig.db.sessions.begin() as session:
        taken = feed_rows.lease_due_feeds(session, now=START, lease_until=lease_until)
    assert [f.id for f in taken] == [feed_id]

    async def go() -> int:
        async with rig.worker() as worker:
            return (await worker.tick()).leased

    assert run(go) == 0
    assert rig.server.requests_to("/leased.xml") == []
    # Once the lease runs out (the other worker died), the feed is polled again.
    rig.clock.now = lease_until
    assert run(go) == 1
    assert len(rig.server.requests_to("/leased.xml")) == 1


def test_max_feeds_per_tick_takes_the_most_overdue_first(rig: Rig) -> None:
    rig.add_feed("/new.xml")
    rig.clock.now = START - timedelta(hours=1)
    rig.add_feed("/old.xml")
    rig.clock.now = START

    async def go() -> int:
        async with rig.worker(max_feeds_per_tick=1) as worker:
            return (await worker.tick()).leased

    assert run(go) == 1
    assert len(rig.server.requests_to("/old.xml")) == 1
    assert rig.server.requests_to("/new.xml") == []


def test_the_tick_sends_due_deliveries(rig: Rig) -> None:
    with WebhookReceiver(SECRET) as receiver:
        hook = {
            "id": "hook",
            "type": "webhook",
            "url": receiver.url("/hook"),
            "secret": SECRET,
            "allow_private": True,
        }
        rig.settings = make_settings(
            rig.settings.fetch, channels=[hook], delivery={"feed_failing_after": 1}
        )
        with rig.db.sessions.begin() as session:
            register_channels(session, channels_from_settings(rig.settings), now=START)
        rig.add_feed("/gone.xml")
        rig.server.route("/gone.xml", status=404, body=b"no")

        async def go() -> int:
            async with rig.worker() as worker:
                report = await worker.tick()
                again = await worker.tick()
            assert again.sent == ()
            return len(report.sent)

        assert run(go) == 1
        assert len(receiver.requests) == 1
        assert receiver.requests[0].header("webhook-id") is not None
        assert b"gone.xml" in receiver.requests[0].body
    with rig.db.sessions() as session:
        assert list(session.scalars(select(Delivery.status))) == ["sent"]


def test_stopping_mid_poll_cancels_and_gives_the_feed_back(rig: Rig) -> None:
    feed_id = rig.add_feed("/slow.xml")
    rig.server.route("/slow.xml", body=rss([]), delay=5.0)

    async def go() -> tuple[bool, int]:
        async with rig.worker() as worker:
            tick = asyncio.create_task(worker.tick())
            while not rig.server.requests_to("/slow.xml"):
                await asyncio.sleep(0.01)
            clean = await worker.stop(0.05)
            assert tick.cancelled()
            late = await worker.tick()  # a stopping worker takes no new work
            return clean, late.leased

    assert run(go) == (False, 0)
    assert rig.next_check_at(feed_id) == START


def test_health_needs_a_tick_within_three_ticks_plus_grace(rig: Rig) -> None:
    now = [100.0]

    async def go() -> list[bool]:
        async with rig.worker() as base:
            worker = Worker(
                base.services,
                base.sender,
                [],
                DaemonSettings(tick=5, health_grace=10),
                monotonic=lambda: now[0],
            )
            seen = [worker.is_healthy()]
            now[0] += 25.0
            seen.append(worker.is_healthy())
            now[0] += 0.5
            seen.append(worker.is_healthy())
            await worker.tick()
            seen.append(worker.is_healthy())
            return seen

    assert run(go) == [True, True, False, True]


def test_the_scheduler_runs_one_coalesced_interval_job(rig: Rig) -> None:
    async def go() -> dict[str, Any]:
        async with rig.worker() as worker:
            scheduler = build_scheduler(worker, 5.0)
            scheduler.start(paused=True)
            job = scheduler.get_job(TICK_JOB_ID)
            scheduler.shutdown(wait=False)
            assert job is not None
            return {
                "trigger": isinstance(job.trigger, IntervalTrigger),
                "interval": job.trigger.interval,
                "coalesce": job.coalesce,
                "max_instances": job.max_instances,
                "misfire": job.misfire_grace_time,
            }

    assert run(go) == {
        "trigger": True,
        "interval": timedelta(seconds=5),
        "coalesce": True,
        "max_instances": 1,
        "misfire": None,
    }
