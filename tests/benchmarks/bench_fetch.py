"""Benchmark: Fetcher throughput and CPU cost against a 200 ms loopback server. Network (loopback).

Run: .venv/bin/python -m tests.benchmarks.bench_fetch [--polls 500] [--variant sharded]

100 feeds on 100 distinct host names (all resolved to 127.0.0.1 by an injected resolver, so
per-host limits do not serialize them), 100 requests in flight. The server runs in a child
process (asyncio, HTTP/1.1 keep-alive), answers every request after 200 ms, so the ideal is
100 / 0.2 s = 500 polls/s. Two workloads: (a) every poll is a 304, (b) every poll returns a new
50-item, ~30 KB RSS body. CPU is this process's CPU time (the server's is not counted).

Variants:
  raw-httpx-one-client      the starting point: a bare httpx.AsyncClient (keep-alive for 100
                            connections), 100 in flight to one origin; no Fetcher (304 only)
  one-client-keepalive-100  Fetcher with a single httpx client that keeps every connection
  one-client-keepalive-20   Fetcher with a single client and httpx's default keep-alive (20)
  sharded                   what Fetcher does: hosts sharded over several small pools

Findings behind the design (see monitor/fetch/transport.py and body.py):
- httpcore 1.0.9's pool scans all its connections, and for each idle one all of them again,
  on every request start and end: O(connections^2) per request once many are idle. Small
  pools (hosts sharded over several clients) keep that cheap.
- Closing an unread response makes httpcore drop the connection: a bodiless 304 cost a new
  TCP connection per poll until the Fetcher drained small bodies before closing.
- Without the `sniffio` package httpcore runs a failing `import sniffio` (a sys.path scan)
  several times per request; installing it saves CPU per poll (compare the CPU column).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import multiprocessing
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from monitor.fetch import Fetcher, default_user_agent, transport
from monitor.settings import FetchSettings
from tests.fixtures_http import FakeResolver

LATENCY_S = 0.2
FEEDS = 100
IN_FLIGHT = 100
IDEAL = IN_FLIGHT / LATENCY_S
ETAG = '"v1"'
VARIANTS = [
    "raw-httpx-one-client",
    "one-client-keepalive-100",
    "one-client-keepalive-20",
    "sharded",
]


def rss_body(items: int = 50) -> bytes:
    entries = "".join(
        f"<item><title>Story number {i} about something that happened</title>"
        f"<link>https://news.example/2024/05/01/story-{i}</link>"
        f"<guid isPermaLink='false'>urn:story:{i}</guid>"
        f"<pubDate>Wed, 01 May 2024 12:{i % 60:02d}:00 GMT</pubDate>"
        f"<description>{'A paragraph of summary text for the story. ' * 10}</description></item>"
        for i in range(items)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Bench</title><link>https://news.example/</link>{entries}</channel></rss>"
    ).encode()


def serve(port: int, ready: Any) -> None:
    """The child process: a keep-alive HTTP/1.1 server with fixed latency."""
    body = rss_body()
    full = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: " + ETAG.encode()
        + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip
    not_modified = b"HTTP/1.1 304 Not Modified\r\nETag: " + ETAG.encode() + b"\r\n\r\n"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(LATENCY_S)
                conditional = b"if-none-match: " + ETAG.encode() in head.lower()
                writer.write(not_modified if conditional else full)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def pool_variant(name: str) -> Iterator[None]:
    """Temporarily change how the Fetcher builds its pools (module constants in transport)."""
    saved = (transport.MAX_SHARDS, transport.KEEPALIVE_PER_SHARD)
    if name == "one-client-keepalive-100":
        transport.MAX_SHARDS, transport.KEEPALIVE_PER_SHARD = 1, IN_FLIGHT
    elif name == "one-client-keepalive-20":
        transport.MAX_SHARDS, transport.KEEPALIVE_PER_SHARD = 1, 20
    try:
        yield
    finally:
        transport.MAX_SHARDS, transport.KEEPALIVE_PER_SHARD = saved


async def measure(port: int, polls: int, conditional: bool) -> tuple[float, float, int]:
    hosts = [f"feed{i}.test" for i in range(FEEDS)]
    resolver = FakeResolver({h: ["127.0.0.1"] for h in hosts})
    settings = FetchSettings(
        allow_private=("127.0.0.1/32",),
        max_in_flight=IN_FLIGHT,
        per_host_in_flight=2,
        per_host_spacing=0.001,
    )
    urls = [f"http://{h}:{port}/feed.xml" for h in hosts]
    etag = ETAG if conditional else None
    async with Fetcher(settings, user_agent=default_user_agent(), resolver=resolver) as fetcher:
        await asyncio.gather(*(fetcher.fetch_feed(u, etag=etag) for u in urls))  # warm up
        wall, cpu = time.perf_counter(), time.process_time()
        # Every poll submitted at once: the Fetcher's own limit keeps IN_FLIGHT in flight.
        batch = [urls[i % FEEDS] for i in range(polls)]
        results = await asyncio.gather(*(fetcher.fetch_feed(u, etag=etag) for u in batch))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    failures = sum(r.error is not None for r in results)
    return polls / wall, cpu / polls * 1000, failures


async def measure_raw_httpx(port: int, polls: int) -> tuple[float, float, int]:
    """A bare httpx client, 100 in flight to one origin, conditional GETs (all 304)."""
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    url = f"http://127.0.0.1:{port}/feed.xml"
    gate = asyncio.Semaphore(IN_FLIGHT)
    failures = 0

    async with httpx.AsyncClient(trust_env=False, limits=limits) as client:

        async def poll() -> None:
            nonlocal failures
            async with gate:
                response = await client.get(url, headers={"If-None-Match": ETAG})
                failures += response.status_code != 304

        await asyncio.gather(*(poll() for _ in range(IN_FLIGHT)))  # warm up
        failures = 0
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(poll() for _ in range(polls)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return polls / wall, cpu / polls * 1000, failures


def report(variant: str, label: str, figures: tuple[float, float, int]) -> None:
    rate, cpu_ms, failures = figures
    flag = f"  ({failures} failed)" if failures else ""
    print(f"{variant:<26} {label:<11} {rate:>8.0f} {rate / IDEAL:>8.0%} {cpu_ms:>12.2f}{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--polls", type=int, default=1500, help="polls per measurement")
    parser.add_argument("--variant", action="append", choices=VARIANTS)
    args = parser.parse_args()
    variants = args.variant or VARIANTS

    port = free_port()
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(10):
            raise SystemExit("the benchmark server did not start")
        note = "installed" if importlib.util.find_spec("sniffio") else "not installed"
        print(f"ideal {IDEAL:.0f} polls/s ({IN_FLIGHT} in flight, {LATENCY_S * 1000:.0f} ms); "
              f"sniffio {note}")  # fmt: skip
        print(
            f"{'variant':<26} {'workload':<11} {'polls/s':>8} {'of ideal':>9} {'CPU ms/poll':>12}"
        )
        for variant in variants:
            if variant == "raw-httpx-one-client":
                # Slow by nature: fewer polls keep the run short.
                report(variant, "304", asyncio.run(measure_raw_httpx(port, min(args.polls, 500))))
                continue
            with pool_variant(variant):
                for label, conditional in (("304", True), ("200 ~30 KB", False)):
                    report(variant, label, asyncio.run(measure(port, args.polls, conditional)))
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
