"""The board's guard: read-only methods, an optional bearer token, strict response headers.

A plain ASGI middleware (no I/O of its own). Only GET and HEAD are served (405 otherwise). When
a token is configured every request must carry it: `Authorization: Bearer <token>`, or the
HttpOnly cookie that `?token=<token>` sets once (the browser is then redirected to the same
address without the token, so it stays out of history and logs). Tokens are compared with
`hmac.compare_digest`. Every response gets a Content-Security-Policy that allows no script and
no other origin, plus nosniff, no-referrer and no framing.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.requests import cookie_parser
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "monitor_board_token"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
_READ_METHODS = ("GET", "HEAD")


def same_token(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class BoardGuard:
    """Wraps the board app; `token` None means no token is asked for."""

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                headers.setdefault("cache-control", "no-store")
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)

        refused = self._refusal(scope)
        if refused is not None:
            await refused(scope, receive, send_guarded)
            return
        if head:
            scope = {**scope, "method": "GET"}
        await self.app(scope, receive, send_guarded)

    def _refusal(self, scope: Scope) -> Response | None:
        """The response that stops this request, or None to let it through."""
        if scope["method"] not in _READ_METHODS:
            return PlainTextResponse(
                "The board is read-only.\n", status_code=405, headers={"Allow": "GET, HEAD"}
            )
        if self.token is None:
            return None
        headers = Headers(scope=scope)
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and same_token(credentials.strip(), self.token):
            return None
        cookie = cookie_parser(headers.get("cookie", "")).get(COOKIE)
        if cookie is not None and same_token(cookie, self.token):
            return None
        query = QueryParams(scope.get("query_string", b"").decode("latin-1"))
        offered = query.get("token")
        if offered is not None and same_token(offered, self.token):
            rest = urlencode([(k, v) for k, v in query.multi_items() if k != "token"])
            target = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
            redirect = RedirectResponse(target, status_code=303)
            redirect.set_cookie(COOKIE, self.token, httponly=True, samesite="strict", path="/")
            return redirect
        return PlainTextResponse(
            "A token is required: send 'Authorization: Bearer <token>' or open ?token=<token>.\n",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="monitor board"'},
        )
