"""Fetcher limits: bounded memory on huge bodies and bombs, per-host politeness, global limit."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from monitor.domain import FetchResult, FetchStatus
from monitor.fetch import Fetcher, default_user_agent
from monitor.fetch.politeness import HostLimiter
from monitor.settings import FetchSettings
from tests.fixtures_http import FakeResolver, LoopbackHTTPServer

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024**2

# Runs in a fresh interpreter and reads VmHWM (the peak RSS of this address space). Not
# ru_maxrss: Linux carries that across fork+exec, so it would report pytest's own peak.
RSS_PROBE = """
import asyncio, json, sys
from monitor.fetch import Fetcher, default_user_agent
from monitor.settings import FetchSettings

def vm_hwm_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")

async def main():
    settings = FetchSettings(allow_private=("127.0.0.1/32",), feed_deadline=30)
    async with Fetcher(settings, user_agent=default_user_agent()) as fetcher:
        before = vm_hwm_kib()
        result = await fetcher.fetch_feed(sys.argv[1])
    peak = vm_hwm_kib()
    code = result.error.code.value if result.error else None
    message = result.error.message if result.error else None
    print(json.dumps({"code": code, "message": message, "before_kib": before, "peak_kib": peak}))

asyncio.run(main())
"""


def probe_peak_rss(url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.mark.parametrize(
    "behaviour",
    [
        {"size": 50_000_000},  # 50 MB without Content-Length
        {"gzip_bomb": True},  # 64 MiB of zeros in about 65 KB of gzip
    ],
    ids=["50MB-body", "gzip-bomb"],
)
def test_oversized_bodies_stop_at_the_cap_with_bounded_memory(
    http_server: LoopbackHTTPServer, behaviour: dict[str, Any]
) -> None:
    http_server.route("/feed", **behaviour)
    report = probe_peak_rss(http_server.url("/feed"))
    assert report["code"] == "too_large"
    assert report["message"] == "response too large (> 15 MiB)"
    assert report["peak_kib"] < 200 * 1024
    # What the fetch itself added: the 15 MiB cap plus chunks, not the 50-64 MiB on offer.
    assert report["peak_kib"] - report["before_kib"] < 40 * 1024


def test_host_limiter_spaces_starts_per_host() -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def go() -> None:
        limiter = HostLimiter(
            max_in_flight=10,
            per_host_in_flight=5,
            per_host_spacing=1.0,
            clock=lambda: 100.0,  # time stands still: every wait is what the spacing asks for
            sleep=record,
        )

        async def one(host: str) -> None:
            async with limiter.slot(host):
                await asyncio.sleep(0)

        await asyncio.gather(one("a.test"), one("a.test"), one("b.test"), one("a.test"))

    asyncio.run(go())
    assert sorted(waits) == [1.0, 2.0]  # a.test: 0, 1, 2; b.test is not held back


def test_host_limiter_forgets_idle_hosts() -> None:
    async def go() -> int:
        limiter = HostLimiter(max_in_flight=4, per_host_in_flight=1, per_host_spacing=0.001)
        for i in range(3000):
            async with limiter.slot(f"h{i}.test"):
                pass
        await asyncio.sleep(0.01)
        async with limiter.slot("last.test"):
            pass
        return limiter.tracked_hosts

    assert asyncio.run(go()) < 2100


def run_concurrently(
    settings: FetchSettings, urls: list[str], resolver: FakeResolver
) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with Fetcher(settings, user_agent=default_user_agent(), resolver=resolver) as f:
            return list(await asyncio.gather(*(f.fetch_feed(u) for u in urls)))

    return asyncio.run(go())


HOSTS = ("a.test", "b.test", "c.test", "d.test")


def test_per_host_limit_does_not_serialize_other_hosts(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/slow", body="<rss/>", delay=0.2)
    resolver = FakeResolver({h: ["127.0.0.1"] for h in HOSTS})
    urls = [http_server.url("/slow", host=h) for h in HOSTS[:2] for _ in range(5)]
    results = run_concurrently(fetch_settings, urls, resolver)
    assert all(r.status is FetchStatus.OK for r in results)
    assert http_server.peak_in_flight == {"a.test": 2, "b.test": 2}
    assert http_server.peak_total == 4  # both hosts at their limit at once


def test_global_limit(http_server: LoopbackHTTPServer, fetch_settings: FetchSettings) -> None:
    http_server.route("/slow", body="<rss/>", delay=0.2)
    resolver = FakeResolver({h: ["127.0.0.1"] for h in HOSTS})
    settings = fetch_settings.model_copy(update={"max_in_flight": 2})
    urls = [http_server.url("/slow", host=h) for h in HOSTS]
    results = run_concurrently(settings, urls, resolver)
    assert all(r.status is FetchStatus.OK for r in results)
    assert http_server.peak_total == 2


def test_per_host_spacing(http_server: LoopbackHTTPServer, fetch_settings: FetchSettings) -> None:
    http_server.route("/feed", body="<rss/>")
    resolver = FakeResolver({h: ["127.0.0.1"] for h in HOSTS})
    settings = fetch_settings.model_copy(update={"per_host_spacing": 0.2})
    urls = [http_server.url("/feed", host="a.test")] * 3 + [http_server.url("/feed", host="b.test")]
    results = run_concurrently(settings, urls, resolver)
    assert all(r.status is FetchStatus.OK for r in results)
    a_times = sorted(r.time for r in http_server.requests if r.host == "a.test")
    (b_time,) = [r.time for r in http_server.requests if r.host == "b.test"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(a_times)]
    assert len(gaps) == 2 and min(gaps) > 0.15  # lower bounds: requests cannot start earlier
    assert b_time < a_times[-1]  # b.test did not wait for a.test's spacing


def test_each_redirect_hop_counts_against_its_own_host(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/slow", body="<rss/>", delay=0.2)
    http_server.redirect("/go", http_server.url("/slow", host="b.test"))
    resolver = FakeResolver({h: ["127.0.0.1"] for h in HOSTS})
    settings = fetch_settings.model_copy(update={"per_host_in_flight": 1})
    urls = [http_server.url("/go", host=h) for h in ("a.test", "c.test", "d.test")]
    results = run_concurrently(settings, urls, resolver)
    assert all(r.status is FetchStatus.OK for r in results)
    assert http_server.peak_in_flight["b.test"] == 1
