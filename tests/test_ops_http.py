"""/healthz, /readyz and /metrics over real HTTP on an ephemeral loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from monitor.db import feeds as feed_rows
from monitor.db.engine import create_engine_for, make_session_factory
from monitor.domain import FeedOutcome, FeedPollResult, FeedSpec
from monitor.ops_http import OpsMetrics, OpsServer, start_ops_server

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class FakeTick:
    polled: tuple[FeedPollResult, ...]
    sent: tuple[()] = ()
    duration_s: float = 0.3


@dataclass
class Health:
    ok: bool = True

    def __call__(self) -> bool:
        return self.ok


def serve(engine: Engine, health: Health) -> tuple[OpsServer, OpsMetrics]:
    metrics = OpsMetrics(make_session_factory(engine), clock=lambda: NOW)
    server = start_ops_server("127.0.0.1", 0, healthy=health, engine=engine, metrics=metrics)
    return server, metrics


@pytest.fixture
def health() -> Health:
    return Health()


@pytest.fixture
def ops(engine: Engine, health: Health) -> Iterator[tuple[OpsServer, OpsMetrics]]:
    server, metrics = serve(engine, health)
    yield server, metrics
    server.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_healthz_follows_the_worker(ops: tuple[OpsServer, OpsMetrics], health: Health) -> None:
    server, _ = ops
    assert httpx.get(server.url("/healthz")).status_code == 200
    health.ok = False
    assert httpx.get(server.url("/healthz")).status_code == 503
    assert httpx.get(server.url("/nowhere")).status_code == 404


def test_readyz_is_200_when_the_database_answers(ops: tuple[OpsServer, OpsMetrics]) -> None:
    server, _ = ops
    response = httpx.get(server.url("/readyz"))
    assert (response.status_code, response.text) == (200, "ready\n")


def test_readyz_is_503_when_the_database_does_not(tmp_path: Path, health: Health) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'monitor.db'}")
    server, _ = serve(engine, health)
    try:
        assert httpx.get(server.url("/readyz")).status_code == 503
        # /metrics still answers, saying the database is down.
        text = httpx.get(server.url("/metrics")).text
        assert samples(text)[("monitor_database_up", ())] == 0
    finally:
        server.close()
        engine.dispose()


def test_metrics_count_feeds_polls_and_lease_lag(
    engine: Engine, ops: tuple[OpsServer, OpsMetrics]
) -> None:
    server, metrics = ops
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        overdue = feed_rows.add_feed(
            session, FeedSpec("https://a.example/feed"), source="cli", now=NOW - timedelta(90)
        )
        failing = feed_rows.add_feed(
            session, FeedSpec("https://b.example/feed"), source="cli", now=NOW
        )
        feed_rows.record_feed_failure(
            session,
            failing.id,
            now=NOW,
            next_check_at=NOW + timedelta(hours=1),
            error_code="http",
            error="HTTP 500",
        )
        feed_rows.add_feed(session, FeedSpec("https://c.example/feed"), source="cli", now=NOW)
    assert overdue.next_check_at == NOW - timedelta(90)
    metrics.observe_tick(
        FakeTick(
            polled=(
                FeedPollResult(url="u", name=None, outcome=FeedOutcome.OK),
                FeedPollResult(url="v", name=None, outcome=FeedOutcome.OK),
                FeedPollResult(url="w", name=None, outcome=FeedOutcome.ERROR, error="x"),
            )
        )
    )
    response = httpx.get(server.url("/metrics"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    seen = samples(response.text)
    assert seen[("monitor_database_up", ())] == 1
    assert seen[("monitor_feeds", ())] == 3
    assert seen[("monitor_feeds_due", ())] == 2
    assert seen[("monitor_feeds_failing", ())] == 1
    assert seen[("monitor_lease_lag_seconds", ())] == 90 * 86400
    assert seen[("monitor_articles", ())] == 0
    assert seen[("monitor_polls_total", (("outcome", "ok"),))] == 2
    assert seen[("monitor_polls_total", (("outcome", "error"),))] == 1
    assert seen[("monitor_polls_total", (("outcome", "not_modified"),))] == 0
    assert seen[("monitor_evidence", (("stance", "supports"),))] == 0
    assert seen[("monitor_deliveries", (("status", "pending"),))] == 0
    assert seen[("monitor_tick_duration_seconds_count", ())] == 1
    assert seen[("monitor_tick_duration_seconds_sum", ())] == pytest.approx(0.3)
