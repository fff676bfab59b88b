"""/healthz, /readyz and Prometheus /metrics for `monitor run`, served from a thread. Network and
database (short read-only queries per scrape).

- /healthz: 200 while ticks keep finishing, else 503 (the process is stuck: restart it);
- /readyz: 200 once the database answers `SELECT 1`, else 503;
- /metrics: the Prometheus text format; database counts are read at scrape time, counters of
  polls, sends and tick durations are kept by this process.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import DELIVERY_STATUSES, STANCES
from monitor.db.stats import store_counts
from monitor.delivery import SendResult
from monitor.domain import FeedOutcome, FeedPollResult
from monitor.notify.base import Verdict

log = logging.getLogger(__name__)

# The classic text format, which every Prometheus version scrapes (our metric names need nothing
# newer).
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TICK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class TickOutcome(Protocol):
    @property
    def polled(self) -> Sequence[FeedPollResult]: ...
    @property
    def sent(self) -> Sequence[SendResult]: ...
    @property
    def duration_s(self) -> float: ...


class _StoreCollector(Collector):
    """Gauges read from the database on every scrape."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("monitor_database_up", "1 when the counts below could be read")
        now = self._clock()
        try:
            with self._sessions() as session:
                counts = store_counts(session, now=now)
        except Exception as exc:  # a scrape must still answer when the database does not
            log.warning("metrics query failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        feeds = counts.feeds
        for name, doc, value in (
            ("monitor_feeds", "Active feeds", feeds.total),
            ("monitor_feeds_due", "Active feeds due now and not leased", feeds.due),
            ("monitor_feeds_failing", "Active feeds whose last poll failed", feeds.failing),
            ("monitor_articles", "Articles stored", counts.articles),
        ):
            yield GaugeMetricFamily(name, doc, value=value)
        lag = 0.0
        if feeds.oldest_due_at is not None:
            lag = max(0.0, (now - feeds.oldest_due_at).total_seconds())
        yield GaugeMetricFamily(
            "monitor_lease_lag_seconds", "How overdue the most overdue feed is", value=lag
        )
        evidence = GaugeMetricFamily(
            "monitor_evidence", "Evidence rows by stance", labels=["stance"]
        )
        for stance in sorted(set(STANCES) | set(counts.evidence_by_stance)):
            evidence.add_metric([stance], counts.evidence_by_stance.get(stance, 0))
        yield evidence
        deliveries = GaugeMetricFamily(
            "monitor_deliveries", "Deliveries by status", labels=["status"]
        )
        for status in sorted(set(DELIVERY_STATUSES) | set(counts.deliveries_by_status)):
            deliveries.add_metric([status], counts.deliveries_by_status.get(status, 0))
        yield deliveries


class OpsMetrics:
    """The registry /metrics exposes: store gauges plus this process's counters."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime]) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_StoreCollector(sessions, clock))
        self.polls = Counter(
            "monitor_polls",
            "Feed polls by this process, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in FeedOutcome:
            self.polls.labels(outcome.value)
        self.sends = Counter(
            "monitor_sends",
            "Delivery attempts by this process, by result",
            ["result"],
            registry=self.registry,
        )
        for result in ("sent", "retry", "dead"):
            self.sends.labels(result)
        self.tick_duration = Histogram(
            "monitor_tick_duration_seconds",
            "Wall time of one tick (lease, poll, send)",
            buckets=TICK_BUCKETS,
            registry=self.registry,
        )

    def observe_tick(self, report: TickOutcome) -> None:
        for result in report.polled:
            self.polls.labels(result.outcome.value).inc()
        for sent in report.sent:
            verdict = "dead" if sent.dead else sent.outcome.verdict.value
            self.sends.labels("sent" if sent.outcome.verdict is Verdict.SENT else verdict).inc()
        self.tick_duration.observe(report.duration_s)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1").scalar()
    except Exception as exc:
        log.warning("readiness check failed", extra={"error": f"{type(exc).__name__}: {exc}"})
        return False
    return True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    healthy: Callable[[], bool]
    ready: Callable[[], bool]
    metrics: OpsMetrics


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return None

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            ok = self.server.healthy()
            self._reply(200 if ok else 503, b"ok\n" if ok else b"stalled\n")
        elif path == "/readyz":
            ok = self.server.ready()
            self._reply(200 if ok else 503, b"ready\n" if ok else b"database unavailable\n")
        elif path == "/metrics":
            self._reply(200, self.server.metrics.exposition(), METRICS_CONTENT_TYPE)
        else:
            self._reply(404, b"not found\n")

    do_HEAD = do_GET

    def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class OpsServer:
    """The started server; `port` is the bound port (useful with port 0 in tests)."""

    def __init__(self, server: _Server) -> None:
        self._server = server
        self.address = str(server.server_address[0])
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, name="ops-http", kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()

    def url(self, path: str) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_ops_server(
    address: str,
    port: int,
    *,
    healthy: Callable[[], bool],
    engine: Engine,
    metrics: OpsMetrics,
) -> OpsServer:
    """Serve the three endpoints on address:port (0: any free port) from a daemon thread."""
    server = (_Server6 if ":" in address else _Server)((address, port), _Handler)
    server.healthy = healthy
    server.ready = lambda: database_answers(engine)
    server.metrics = metrics
    return OpsServer(server)
