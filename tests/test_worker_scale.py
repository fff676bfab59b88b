"""`monitor run` processes at scale and under kill -9 with a send in flight (issue 5; RELIABILITY
row 56): four workers on one PostgreSQL poll 500 loopback feeds once each and deliver every
event once; a worker killed mid-send is restarted and the webhook arrives, at most twice, under
one webhook-id."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from monitor.db import deliveries as delivery_rows
from monitor.db import outbox
from monitor.db.engine import make_session_factory
from monitor.delivery import channels_from_settings, cut_due_digests, register_channels
from monitor.digest import build as digest_build
from monitor.digest.model import Digest
from monitor.settings import Settings
from tests.fixtures_db import empty_tables
from tests.fixtures_http import LoopbackHTTPServer
from tests.pipeline_world import rss
from tests.test_worker_process import Daemon, daemons, sqlite_rows, wait_for, write_config
from tests.webhook_receiver import Reply, WebhookReceiver

__all__ = ["daemons"]  # the fixture, used by name

SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="


def with_hook(config: Path, hook_url: str) -> Path:
    """Add a failing-feed alert after one failure, a 1 s delivery lease and an immediate
    signed webhook channel to a `monitor run` config."""
    extra = (
        '\n[delivery]\nfeed_failing_after = 1\nlease = "1s"\n'
        f'[[channels]]\nid = "hook"\ntype = "webhook"\nurl = "{hook_url}"\n'
        f'secret = "{SECRET}"\nallow_private = true\nevents = ["feeds"]\n'
    )
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return config


def failing_feeds(server: LoopbackHTTPServer, count: int) -> list[str]:
    for i in range(count):
        server.route(f"/feed-{i}.xml", status=404, body=b"gone")
    return [server.url(f"/feed-{i}.xml") for i in range(count)]


def test_kill_9_while_a_webhook_is_in_flight_then_restart_delivers_it_under_one_id(
    tmp_path: Path,
    http_server: LoopbackHTTPServer,
    daemons: list[Daemon],
) -> None:
    database = tmp_path / "data" / "monitor.db"
    script = [Reply(200, delay=30.0), Reply(200)]  # the first reply never comes
    with WebhookReceiver(SECRET, script) as receiver:
        config = with_hook(
            write_config(tmp_path, failing_feeds(http_server, 1)), receiver.url("/hook")
        )
        first = Daemon(tmp_path, config, "first")
        daemons.append(first)
        wait_for(lambda: bool(receiver.requests), "the webhook in flight", [first])
        first.stop(signal.SIGKILL)
        status = "SELECT status, attempts FROM deliveries"
        assert sqlite_rows(database, status) == [("pending", 1)]

        second = Daemon(tmp_path, config, "second")
        daemons.append(second)
        wait_for(lambda: sqlite_rows(database, status) == [("sent", 2)], "the resend", [second])
        time.sleep(0.5)  # a few more ticks: nothing more may be sent
        assert second.stop() == 0
    first_try, resend = receiver.requests  # exactly one duplicate
    assert first_try.header("webhook-id") == resend.header("webhook-id")
    assert first_try.body == resend.body
    assert delivered_events(receiver) == Counter([(http_server.url("/feed-0.xml"), "failing")])
    assert len(http_server.requests_to("/feed-0.xml")) == 1
    assert sqlite_rows(database, "PRAGMA integrity_check") == [("ok",)]


def delivered_events(receiver: WebhookReceiver) -> Counter[tuple[str, str]]:
    """(feed URL, 'failing' or 'recovered') named by the receiver's requests, one count per
    distinct webhook-id."""
    seen: dict[str, bytes] = {}
    for request in receiver.requests:
        webhook_id = request.header("webhook-id")
        assert webhook_id is not None and request.verified is True
        seen.setdefault(webhook_id, request.body)
    named: Counter[tuple[str, str]] = Counter()
    for body in seen.values():
        for line in json.loads(body)["data"]["feeds"]:
            named[(line["url"], "failing" if line.get("error") else "recovered")] += 1
    return named


def test_an_event_committed_after_a_higher_id_is_still_delivered(
    migrated_postgres_engine: Engine,
) -> None:
    """PostgreSQL gives out ids at insert, so event N can commit after event N+1. A digest cut
    between the two commits must not move the channel's cursor past N for good."""
    engine = migrated_postgres_engine
    empty_tables(engine)
    sessions = make_session_factory(engine)
    settings = Settings.model_validate(
        {
            "channels": [
                {
                    "id": "hook",
                    "type": "webhook",
                    "url": "https://hooks.example/x",
                    "secret": SECRET,
                }
            ]
        }
    )
    channels = channels_from_settings(settings)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with sessions.begin() as session:
        register_channels(session, channels, now=now)

    def event(session: Session, name: str) -> int:
        payload = digest_build.feed_payload(f"https://{name}.example/feed", None, "gone", 1)
        return outbox.add_event(session, digest_build.FEED_FAILING, payload, now=now)

    def cut() -> None:
        with sessions.begin() as session:
            cut_due_digests(session, settings, channels, now=now)

    slow = sessions()
    slow.begin()
    low = event(slow, "slow")  # id N, not committed yet
    with sessions.begin() as session:
        high = event(session, "fast")  # id N + 1, committed first
    assert low < high
    cutter = threading.Thread(target=cut)
    cutter.start()
    cutter.join(timeout=0.5)  # a cut while the slow writer is open must not skip its event
    slow.commit()
    slow.close()
    cutter.join(timeout=10)
    assert not cutter.is_alive()
    cut()
    with sessions() as session:
        digests = [Digest.from_json(row.digest) for row in delivery_rows.list_deliveries(session)]
    feeds = sorted(line.url for digest in digests for line in digest.feeds)
    assert feeds == ["https://fast.example/feed", "https://slow.example/feed"]


@pytest.mark.postgres
@pytest.mark.slow
def test_four_workers_poll_500_feeds_once_per_interval_and_deliver_every_event_once(
    tmp_path: Path,
    http_server: LoopbackHTTPServer,
    daemons: list[Daemon],
    create_postgres_database: Callable[[str], str],
) -> None:
    feeds = 500
    url = create_postgres_database("scale")
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def query(statement: str) -> tuple[int, ...]:
        try:
            with psycopg.connect(libpq) as connection:
                row = connection.execute(statement).fetchone()
        except psycopg.errors.UndefinedTable:
            return ()
        assert row is not None
        return tuple(int(value) for value in row)

    def progress() -> tuple[int, ...]:
        """(feeds checked at least once, outbox events, events in sent deliveries)"""
        return query(
            "SELECT (SELECT count(*) FROM feeds WHERE last_checked_at IS NOT NULL),"
            " (SELECT count(*) FROM outbox_events),"
            " (SELECT coalesce(sum(event_count), 0) FROM deliveries WHERE status = 'sent')"
        )

    with WebhookReceiver(SECRET) as receiver:
        config = with_hook(
            write_config(
                tmp_path,
                failing_feeds(http_server, feeds),
                database_url=url,
                max_feeds_per_tick="25",
                log_format='"json"',
            ),
            receiver.url("/hook"),
        )
        for n in range(4):
            daemons.append(Daemon(tmp_path, config, f"worker-{n}"))
        # First interval: every feed fails once (one "failing" event each).
        last: list[tuple[int, ...]] = []

        def first_round() -> bool:
            last[:] = [progress()]
            return last[0] == (feeds, feeds, feeds)

        try:
            wait_for(first_round, "500 polls, 500 sent", daemons)
        except AssertionError:
            with psycopg.connect(libpq) as connection:
                rows = connection.execute(
                    "SELECT status, attempts, last_error FROM deliveries WHERE status <> 'sent'"
                ).fetchall()
            raise AssertionError(f"stuck at {last}; deliveries not sent: {rows}") from None
        time.sleep(1.0)  # several more ticks of every worker: nothing may be polled or sent again
        assert progress() == (feeds, feeds, feeds)
        assert len(http_server.requests) == feeds

        # Second interval: the feeds work again and are all due (the 60 s floor of an
        # interval, fast-forwarded): each is polled once more and raises one "recovered" event.
        for i in range(feeds):
            http_server.route(f"/feed-{i}.xml", body=rss([]), content_type="application/rss+xml")
        query("UPDATE feeds SET next_check_at = now() RETURNING 1")
        wait_for(
            lambda: (
                query("SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL") == (feeds,)
                and progress() == (feeds, 2 * feeds, 2 * feeds)
            ),
            "500 more polls, 500 more sent",
            daemons,
        )
        time.sleep(1.0)
        assert [daemon.stop() for daemon in daemons] == [0, 0, 0, 0]
        assert progress() == (feeds, 2 * feeds, 2 * feeds)

    per_feed = Counter(r.path for r in http_server.requests)
    assert {path: n for path, n in per_feed.items() if n != 2} == {}  # once per interval
    assert len(per_feed) == feeds
    ids = Counter(r.header("webhook-id") for r in receiver.requests)
    assert {webhook_id: n for webhook_id, n in ids.items() if n != 1} == {}  # no resends
    named = delivered_events(receiver)
    assert {event: n for event, n in named.items() if n != 1} == {}  # each event once
    assert len(named) == 2 * feeds
    with psycopg.connect(libpq) as connection:
        statuses = connection.execute("SELECT status, count(*) FROM deliveries GROUP BY 1")
        assert dict(statuses.fetchall()) == {"sent": len(ids)}
    leased = 0
    for daemon in daemons:
        events = [json.loads(line) for line in daemon.log.splitlines() if line.strip()]
        leased += sum(event.get("feeds", 0) for event in events if event["msg"] == "tick")
    assert leased == 2 * feeds  # each feed leased by exactly one worker, once per interval
