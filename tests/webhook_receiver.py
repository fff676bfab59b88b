"""A real loopback HTTP receiver for webhook tests: scripted replies, recorded, verified requests.

Runs ThreadingHTTPServer on 127.0.0.1 (ephemeral port). Each request takes the next `Reply` of
the script (the last one repeats); every request is recorded before the reply, with its
signature checked by the `standardwebhooks` reference package when the receiver has a secret.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Reply:
    """One scripted answer: status, extra headers, and a delay before answering (seconds)."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    body: bytes = b"ok"


def redirect(location: str, status: int = 301) -> Reply:
    return Reply(status, (("Location", location),))


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    verified: bool | None  # None: the receiver has no secret
    verify_error: str | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class WebhookReceiver:
    """Start with `with WebhookReceiver(secret, [Reply(500), Reply(200)]) as receiver:`."""

    secret: str | None = None
    script: list[Reply] = field(default_factory=lambda: [Reply()])
    requests: list[ReceivedRequest] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._served = 0
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a delayed reply
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _next_reply(self) -> Reply:
        with self._lock:
            reply = self.script[min(self._served, len(self.script) - 1)]
            self._served += 1
            return reply

    def _verify(self, body: bytes, headers: dict[str, str]) -> tuple[bool | None, str | None]:
        if self.secret is None:
            return None, None
        try:
            Webhook(self.secret).verify(body, headers)
        except (WebhookVerificationError, ValueError) as exc:
            return False, str(exc)
        return True, None

    def _record(self, handler: _Handler, body: bytes) -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        verified, error = self._verify(body, headers)
        request = ReceivedRequest(handler.command, handler.path, headers, body, verified, error)
        with self._lock:
            self.requests.append(request)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: WebhookReceiver

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.receiver._lock:
            self.receiver.connections += 1
        return True


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        receiver._record(self, body)
        reply = receiver._next_reply()
        if reply.delay and receiver._stopping.wait(reply.delay):
            return
        try:
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            pass  # the client gave up (timeout test)

    do_GET = do_POST
