"""Configuration of the daemon (`monitor run`): [daemon]. Pure models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitor.settings_types import Duration, Section


class DaemonSettings(Section):
    tick: Duration = 5.0  # how often the worker looks for due feeds and deliveries
    max_feeds_per_tick: int = Field(default=50, ge=1, le=10_000)
    # A feed leased by a worker that died is polled by another after this long.
    feed_lease: Duration = 600.0
    # Health and Prometheus metrics (/healthz, /readyz, /metrics); port 0 turns them off.
    health_address: str = "127.0.0.1"
    health_port: int = Field(default=9464, ge=0, le=65535)
    # /healthz answers 503 when no tick has finished for 3 ticks plus this long.
    health_grace: Duration = 300.0
    log_format: Literal["text", "json"] = "text"
    # On SIGTERM, polls and sends in progress get this long to finish before they are abandoned.
    shutdown_grace: Duration = 30.0
