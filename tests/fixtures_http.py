"""A loopback HTTP server with a route table and fault behaviours, for fetch and pipeline tests.

`LoopbackHTTPServer` is a stdlib ThreadingHTTPServer bound to 127.0.0.1 (or another loopback
address) on a free port, served from a daemon thread; the `http_server` fixture starts one per
test and stops it at teardown. Tests fill its route table at run time::

    def test_feed(http_server):
        http_server.route("/feed.xml", body=RSS, content_type="application/rss+xml", etag='"v1"')
        url = http_server.url("/feed.xml")            # http://127.0.0.1:<port>/feed.xml
        ...
        assert http_server.requests[-1].headers["if-none-match"] == '"v1"'

`route(path, ...)` keywords (all optional; see `Route`):

- ``status``, ``body`` (bytes or str), ``content_type``, ``headers`` (extra header pairs);
- ``etag`` / ``last_modified``: sent with the response, and a request whose If-None-Match
  (or If-Modified-Since) matches gets ``304 Not Modified``;
- ``retry_after``: a Retry-After header (use with status 429 or 503);
- ``location``: a Location header (``redirect(path, to)`` is the short form);
- ``gzip``: compress the body and say ``Content-Encoding: gzip``; ``content_encoding`` sends
  that header value as given (the body is not touched);
- ``gzip_bomb``: a gzip body of 64 MiB of zeros (about 65 KB on the wire, built once);
- ``delay``: seconds to wait before sending the status line (slow headers);
- ``trickle``: send the body at this many bytes per second;
- ``endless``: repeat the body (or filler) for ever, without Content-Length;
- ``size``: send this many filler bytes as the body, without Content-Length;
- ``content_length``: the Content-Length to declare instead of the real one (huge, or more
  than is sent: the connection is then closed early, a truncated body);
- ``reset_after``: send this many bytes of the body, then reset the connection (TCP RST, by
  closing the socket with a zero linger time);
- ``handler``: a function (RecordedRequest) -> Route, for behaviour decided per request.

Helpers: ``redirect(path, to, status=302)``, ``redirect_chain(prefix, hops, final)``,
``url(path, host=None)`` (another host name, for tests with an injected resolver),
``requests`` (every request: method, path, headers with lower-case names, monotonic time,
host), ``requests_to(path)``, and ``peak_in_flight`` (most requests served at once, by Host
header) and ``peak_total`` (all hosts together), ``connections`` (TCP connections accepted),
``wait_idle()`` (until no request is being served). Responses are HTTP/1.0, so every request
arrives on a new connection, unless ``LoopbackHTTPServer(keep_alive=True)`` (HTTP/1.1,
connections reused). ``LoopbackHTTPServer(bind="127.0.0.2")`` listens elsewhere on
loopback; ``LoopbackHTTPServer(tls=context)`` serves HTTPS and records the SNI names asked for
in ``server_names``.

`FakeResolver` answers host names from a table (never the network), for `Fetcher(resolver=...)`.

The `fetch_settings` fixture gives FetchSettings for loopback tests: 127.0.0.1 allowed, 2 s
timeouts and deadlines, no per-host spacing.
"""

from __future__ import annotations

import functools
import gzip
import itertools
import socket
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitor.settings import FetchSettings

FILLER = b"x" * 65536
_BOMB_SIZE = 64 * 1024**2


@functools.cache
def gzip_bomb() -> bytes:
    """64 MiB of zeros, gzip-compressed (about 65 KB); built on first use, then cached."""
    engine = zlib.compressobj(9, zlib.DEFLATED, 31, 9, zlib.Z_RLE)
    block = bytes(1024**2)
    parts = [engine.compress(block) for _ in range(_BOMB_SIZE // len(block))]
    parts.append(engine.flush())
    return b"".join(parts)


@dataclass
class Route:
    status: int = 200
    body: bytes | str = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    retry_after: str | None = None
    location: str | None = None
    gzip: bool = False
    content_encoding: str | None = None
    gzip_bomb: bool = False
    delay: float = 0.0
    trickle: float | None = None
    endless: bool = False
    size: int | None = None
    content_length: int | None = None
    reset_after: int | None = None
    handler: Callable[[RecordedRequest], Route] | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; the last value when a header repeats
    time: float  # time.monotonic() when the request line was read
    host: str  # the Host header without the port

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class LoopbackHTTPServer:
    """One threaded HTTP server on a loopback address; see the module docstring."""

    def __init__(
        self,
        bind: str = "127.0.0.1",
        *,
        tls: ssl.SSLContext | None = None,
        keep_alive: bool = False,
    ) -> None:
        self.bind = bind
        self.scheme = "https" if tls else "http"
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self.peak_in_flight: dict[str, int] = {}
        self.peak_total = 0
        self.connections = 0
        self.server_names: list[str | None] = []
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.stopping = threading.Event()
        self._server = _Server((bind, 0), _KeepAliveHandler if keep_alive else _Handler)
        self._server.owner = self
        if tls is not None:
            tls.sni_callback = self._note_server_name
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def start(self) -> LoopbackHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        shown = host or (f"[{self.bind}]" if ":" in self.bind else self.bind)
        return f"{self.scheme}://{shown}:{self.port}{path}"

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being served; False if that did not happen in time."""
        with self._idle:
            return self._idle.wait_for(lambda: not any(self._in_flight.values()), timeout)

    def _note_server_name(self, sock: object, name: str | None, context: object) -> None:
        self.server_names.append(name)

    def route(self, path: str, **behaviour: object) -> Route:
        route = Route(**behaviour)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    def redirect(self, path: str, to: str, status: int = 302) -> Route:
        return self.route(path, status=status, location=to)

    def redirect_chain(self, prefix: str, hops: int, final: str, status: int = 302) -> str:
        """`hops` redirects prefix/0 -> prefix/1 -> ... -> `final`; returns the first path."""
        paths = [f"{prefix}/{i}" for i in range(hops)] + [final]
        for here, there in itertools.pairwise(paths):
            self.redirect(here, there, status)
        return paths[0]

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def _enter(self, host: str) -> None:
        with self._lock:
            now = self._in_flight.get(host, 0) + 1
            self._in_flight[host] = now
            self.peak_in_flight[host] = max(self.peak_in_flight.get(host, 0), now)
            self.peak_total = max(self.peak_total, sum(self._in_flight.values()))

    def _leave(self, host: str) -> None:
        with self._lock:
            self._in_flight[host] -= 1
            self._idle.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256
    owner: LoopbackHTTPServer

    def verify_request(self, request: object, client_address: object) -> bool:
        with self.owner._lock:
            self.owner.connections += 1
        return True


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    _finish: Callable[[], None] | None = None

    def log_message(self, format: str, *args: object) -> None:
        return None

    def do_GET(self) -> None:
        owner = self.server.owner
        headers = {name.lower(): value for name, value in self.headers.items()}
        host = headers.get("host", "").rsplit(":", 1)[0].strip("[]")
        record = RecordedRequest(self.command, self.path, headers, time.monotonic(), host)
        owner.requests.append(record)
        owner._enter(host)
        self._finish = functools.partial(owner._leave, host)
        try:
            route = owner.routes.get(self.path.split("?", 1)[0])
            if route is not None and route.handler is not None:
                route = route.handler(record)
            if route is None:
                route = Route(status=404, body=b"not found", content_type="text/plain")
            self._respond(route, record)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away, as fetch tests often make it do
        finally:
            self._finished()

    def _finished(self) -> None:
        """Count the request as served (once); called before its last bytes go out, so that
        a client that has the whole response never finds it still counted in flight."""
        finish, self._finish = self._finish, None
        if finish is not None:
            finish()

    do_HEAD = do_GET

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; False when it is stopping."""
        return not self.server.owner.stopping.wait(seconds)

    def _respond(self, route: Route, record: RecordedRequest) -> None:
        if route.delay and not self._sleep(route.delay):
            return
        body = route.body.encode() if isinstance(route.body, str) else route.body
        if route.gzip_bomb:
            body = gzip_bomb()
        elif route.gzip:
            body = gzip.compress(body)
        status = route.status
        inm, ims = record.header("if-none-match"), record.header("if-modified-since")
        if (route.etag and inm and route.etag in [t.strip() for t in inm.split(",")]) or (
            route.last_modified and ims == route.last_modified
        ):
            status, body = 304, b""
        streamed = route.endless or route.size is not None
        self.send_response(status)
        pairs = list(route.headers)
        if route.content_type and status != 304:
            pairs.append(("Content-Type", route.content_type))
        for name, value in (
            ("ETag", route.etag),
            ("Last-Modified", route.last_modified),
            ("Retry-After", route.retry_after),
            ("Location", route.location),
        ):
            if value is not None:
                pairs.append((name, value))
        if route.gzip or route.gzip_bomb:
            pairs.append(("Content-Encoding", "gzip"))
        if route.content_encoding is not None:
            pairs.append(("Content-Encoding", route.content_encoding))
        if route.content_length is not None:
            pairs.append(("Content-Length", str(route.content_length)))
        elif not streamed:
            pairs.append(("Content-Length", str(len(body))))
        for name, value in pairs:
            self.send_header(name, value)
        if streamed and self.protocol_version != "HTTP/1.0":
            self.send_header("Connection", "close")  # the body ends when the connection does
            self.close_connection = True
        if not (streamed or route.trickle):
            self._finished()
        self.end_headers()
        if self.command == "HEAD" or status == 304:
            return
        if route.reset_after is not None:
            self.wfile.write(body[: route.reset_after])
            self.wfile.flush()
            self._reset()
            return
        for chunk in self._body_chunks(route, body):
            if route.trickle:
                for i in range(len(chunk)):
                    self.wfile.write(chunk[i : i + 1])
                    self.wfile.flush()
                    if not self._sleep(1.0 / route.trickle):
                        return
            else:
                self.wfile.write(chunk)
            if self.server.owner.stopping.is_set():
                return
        self.wfile.flush()

    def _reset(self) -> None:
        """Abort the connection: with a zero linger time, close sends RST instead of FIN."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    @staticmethod
    def _body_chunks(route: Route, body: bytes) -> Iterator[bytes]:
        if route.size is not None:
            left = route.size
            while left > 0:
                yield FILLER[:left]
                left -= len(FILLER)
        elif route.endless:
            while True:
                yield body or FILLER
        elif body:
            yield body


class _KeepAliveHandler(_Handler):
    protocol_version = "HTTP/1.1"


class FakeResolver:
    """A resolver for `Fetcher(resolver=...)` that answers from a table, never the network.

    ``FakeResolver({"a.test": ["127.0.0.1"]})`` gives the same answer every time;
    ``FakeResolver({"a.test": [["127.0.0.1"], ["10.0.0.1"]]})`` gives the answers in turn and
    then repeats the last (DNS rebinding). Unknown names fail like NXDOMAIN. ``calls`` lists
    the names asked for.
    """

    def __init__(self, answers: dict[str, list[str] | list[list[str]]]) -> None:
        self._answers = answers
        self._served: dict[str, int] = {}
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self._answers.get(host)
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if answer and isinstance(answer[0], list):
            turn = self._served.get(host, 0)
            self._served[host] = turn + 1
            return list(answer[min(turn, len(answer) - 1)])
        return [str(a) for a in answer]


@pytest.fixture
def http_server() -> Iterator[LoopbackHTTPServer]:
    """A started LoopbackHTTPServer on 127.0.0.1, stopped after the test."""
    server = LoopbackHTTPServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fetch_settings() -> FetchSettings:
    """FetchSettings for loopback tests: 127.0.0.1 allowed, short timeouts, no spacing."""
    return FetchSettings(
        allow_private=("127.0.0.1/32",),
        connect_timeout=2.0,
        read_timeout=2.0,
        feed_deadline=2.0,
        page_deadline=2.0,
        per_host_spacing=0,
    )
