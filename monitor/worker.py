"""The daemon behind `monitor run`: a tick job on an APScheduler 3 interval trigger that leases due
feeds, polls them with the pipeline `monitor check` uses, and sends due digests. Database,
network and signals.

APScheduler is only the ticker (one job, in memory, coalesced, never two at once); the schedule
itself is data (`feeds.next_check_at`), so any number of workers can share a PostgreSQL database
and a restarted worker simply finds what is due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import update
from sqlalchemy.orm import Session

from monitor.app import Database, Services, open_sender, open_services
from monitor.db import feeds as feed_rows
from monitor.db.models import Feed
from monitor.delivery import Channel, Sender, SendResult, channels_from_settings, cut_due_digests
from monitor.domain import FeedOutcome, FeedPollResult
from monitor.fetch import Resolver
from monitor.ops_http import OpsMetrics, OpsServer, start_ops_server
from monitor.settings import Settings
from monitor.urls import redact_url
from monitor.watchlist import Watchlist
from monitor.worker_settings import DaemonSettings

log = logging.getLogger(__name__)

TICK_JOB_ID = "tick"
STALE_TICKS = 3  # /healthz fails when no tick finished for this many ticks (plus health_grace)


@dataclass(frozen=True)
class TickReport:
    """What one tick did."""

    leased: int
    polled: tuple[FeedPollResult, ...]
    sent: tuple[SendResult, ...]
    duration_s: float


def release_leases(
    session: Session, feed_ids: Sequence[int], *, lease_until: datetime, due_at: datetime
) -> None:
    """Give back feeds leased until `lease_until` whose poll never ran: due at `due_at` again.
    A feed whose poll recorded a result has another next_check_at and is left alone."""
    if feed_ids:
        session.execute(
            update(Feed)
            .where(Feed.id.in_(list(feed_ids)), Feed.next_check_at == lease_until)
            .values(next_check_at=due_at)
        )


class Worker:
    """The tick job and the state /healthz reads. One per process."""

    def __init__(
        self,
        services: Services,
        sender: Sender,
        channels: Sequence[Channel],
        daemon: DaemonSettings,
        *,
        on_tick: Callable[[TickReport], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = services
        self.sender = sender
        self.channels = list(channels)
        self.daemon = daemon
        self._on_tick = on_tick
        self._monotonic = monotonic
        self.started_at = monotonic()
        self.last_tick_finished_at: float | None = None  # monotonic
        self.stopping = False
        self._current: asyncio.Task[object] | None = None

    def is_healthy(self) -> bool:
        """True when a tick finished (or the worker started) within 3 ticks plus health_grace."""
        since = self.last_tick_finished_at or self.started_at
        limit = STALE_TICKS * self.daemon.tick + self.daemon.health_grace
        return self._monotonic() - since <= limit

    async def tick(self) -> TickReport:
        """Lease the due feeds, poll them, then cut and send what is due. Never raises for a
        failure it can log (a database that is down, a bug in one poll); the next tick retries."""
        if self.stopping:
            return TickReport(0, (), (), 0.0)
        self._current = asyncio.current_task()
        started = self._monotonic()
        try:
            leased, polled = await self._poll_due()
            sent = await self._send_due() if not self.stopping else []
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("tick failed")
            return TickReport(0, (), (), self._monotonic() - started)
        finally:
            self._current = None
        report = TickReport(leased, tuple(polled), tuple(sent), self._monotonic() - started)
        self.last_tick_finished_at = self._monotonic()
        self._log(report)
        if self._on_tick is not None:
            self._on_tick(report)
        return report

    async def _poll_due(self) -> tuple[int, list[FeedPollResult]]:
        # Imported here: the adaptive-schedule work changes the pipeline module meanwhile.
        from monitor.pipeline import poll_feeds

        now = self.services.clock()
        lease_until = now + timedelta(seconds=self.daemon.feed_lease)
        with self.services.sessions.begin() as session:
            feeds = feed_rows.lease_due_feeds(
                session, now=now, lease_until=lease_until, limit=self.daemon.max_feeds_per_tick
            )
        if not feeds:
            return 0, []
        done: set[str] = set()
        try:
            results = await poll_feeds(self.services, feeds, on_done=lambda r: done.add(r.url))
        except asyncio.CancelledError:
            unpolled = [feed for feed in feeds if feed.url not in done]
            with self.services.sessions.begin() as session:
                for feed in unpolled:
                    release_leases(
                        session, [feed.id], lease_until=lease_until, due_at=feed.next_check_at
                    )
            log.warning("tick cancelled", extra={"released": len(unpolled)})
            raise
        return len(feeds), results

    async def _send_due(self) -> list[SendResult]:
        if not self.channels:
            return []
        with self.services.sessions.begin() as session:
            cut_due_digests(
                session, self.services.settings, self.channels, now=self.services.clock()
            )
        return await self.sender.send_due()

    def _log(self, report: TickReport) -> None:
        for result in report.polled:
            if result.outcome is FeedOutcome.ERROR:
                log.warning(
                    "feed failed", extra={"feed": redact_url(result.url), "error": result.error}
                )
        level = logging.INFO if report.leased or report.sent else logging.DEBUG
        outcomes: dict[str, int] = {}
        for result in report.polled:
            outcomes[result.outcome.value] = outcomes.get(result.outcome.value, 0) + 1
        log.log(
            level,
            "tick",
            extra={
                "feeds": report.leased,
                **{f"feeds_{name}": n for name, n in sorted(outcomes.items())},
                "new_items": sum(r.new_items for r in report.polled),
                "sent": len(report.sent),
                "duration_s": round(report.duration_s, 3),
            },
        )

    async def stop(self, grace_s: float) -> bool:
        """Take no new work; give the tick in hand `grace_s` to finish, then cancel it (its
        unpolled feeds are released). True when nothing had to be cancelled."""
        self.stopping = True
        current = self._current
        if current is None or current.done():
            return True
        done, _ = await asyncio.wait({current}, timeout=grace_s)
        if done:
            return True
        current.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await current
        return False


def build_scheduler(worker: Worker, tick_s: float) -> AsyncIOScheduler:
    """An in-memory scheduler with one interval job (first run now); call `.start()`."""
    scheduler = AsyncIOScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": AsyncIOExecutor()},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            # A tick missed while the process was stopped or the machine asleep runs once,
            # however late (coalesced), instead of being dropped with a warning.
            "misfire_grace_time": None,
        },
        timezone=UTC,
        event_loop=asyncio.get_running_loop(),
    )
    scheduler.add_job(
        worker.tick,
        IntervalTrigger(seconds=tick_s, timezone=UTC),
        id=TICK_JOB_ID,
        name=TICK_JOB_ID,
        next_run_time=datetime.now(UTC),
    )
    return scheduler


async def run_daemon(
    settings: Settings,
    db: Database,
    *,
    watchlist: Watchlist | None = None,
    once: bool = False,
    resolver: Resolver | None = None,
) -> int:
    """Run until SIGTERM or SIGINT (or one tick with `once`); returns the exit code."""
    daemon = settings.daemon
    channels = channels_from_settings(settings)
    async with (
        open_services(settings, db, watchlist=watchlist, resolver=resolver) as services,
        open_sender(settings, db, resolver=resolver) as sender,
    ):
        metrics = OpsMetrics(db.sessions, clock=services.clock)
        worker = Worker(services, sender, channels, daemon, on_tick=metrics.observe_tick)
        if once:
            await worker.tick()
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        ops: OpsServer | None = None
        if daemon.health_port:
            ops = start_ops_server(
                daemon.health_address,
                daemon.health_port,
                healthy=worker.is_healthy,
                engine=db.engine,
                metrics=metrics,
            )
        scheduler = build_scheduler(worker, daemon.tick)
        scheduler.start()
        log.info(
            "started",
            extra={"tick_s": daemon.tick, "ops_port": ops.port if ops else 0, "pid": os.getpid()},
        )
        try:
            await stop.wait()
            log.info("stopping", extra={"grace_s": daemon.shutdown_grace})
            scheduler.pause()
            clean = await worker.stop(daemon.shutdown_grace)
            scheduler.shutdown(wait=False)
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
            if ops is not None:
                ops.close()
    log.info("stopped", extra={"clean": clean})
    return 0
