"""Delivery through Apprise (Slack, Telegram, Matrix, ... URLs); optional dependency. Network.

Apprise is synchronous, so each send runs in a worker thread. It tells only whether a send
worked, not whether a failure is permanent, so every failure is RETRY and the channel's retry
schedule decides when to give up. Apprise URLs hold tokens in every part (``tgram://TOKEN/CHAT``),
so messages never contain the URL or any piece of it.

A digest quotes feed text, which anyone who writes an article controls. It is sent as plain
text (``body_format=TEXT``), so that Apprise escapes it for each destination's own format (a
Markdown link ``[x](javascript:...)`` arrives as literal brackets on Discord or Mattermost, tags
as literal text on HTML ones), and mentions in it are broken with a zero-width space
(`quiet_mentions`), so that an article's "@everyone" or Slack's "<!channel>" pings nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

from monitor.errors import ConfigError
from monitor.notify.base import Attempt, SendOutcome

INSTALL_HINT = "apprise channels need `pip install 'monitor[apprise]'`"
_MIN_SECRET_PART = 3  # shorter URL pieces are not scrubbed from messages (they are not tokens)
_MAX_ERROR = 300
_URL_IN_TEXT = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
# "@everyone", "@here", "@channel", "@name" (Discord, Mattermost, Rocket.Chat, Matrix, Teams) and
# Slack's "<!channel>", "<@U123>", "<#C123>"; the fullwidth at sign too, which some render as @.
_MENTION = re.compile(r"(?<=[@\uff20])(?=\w)|(?<=<)(?=[@!#])")
_ZERO_WIDTH_SPACE = "\u200b"


def _secret_parts(url: str) -> list[str]:
    """Every piece of an Apprise URL after the scheme, longest first."""
    _, _, rest = url.partition("://")
    pieces = [url, rest, *re.split(r"[/:@?&=#,+\s]+", rest)]
    pieces += [unquote(p) for p in pieces]
    return sorted({p for p in pieces if len(p) >= _MIN_SECRET_PART}, key=len, reverse=True)


def scrub(text: str, secrets: list[str]) -> str:
    """One line of `text` without the URL, any piece of it, or any other URL."""
    for piece in secrets:
        text = text.replace(piece, "…")
    text = _URL_IN_TEXT.sub("…", text)
    line = " ".join(text.split())
    return line if len(line) <= _MAX_ERROR else line[: _MAX_ERROR - 1] + "…"


def quiet_mentions(text: str) -> str:
    """`text` with a zero-width space after every mention sign: it reads the same and pings no
    one."""
    return _MENTION.sub(_ZERO_WIDTH_SPACE, text)


@contextlib.contextmanager
def _apprise_log_muted() -> Iterator[None]:
    """Drop apprise's log records for a moment: on a bad URL it logs the URL's path in clear."""
    apprise_logger = logging.getLogger("apprise")
    mute = logging.Filter(name="\x00 nothing matches")  # a Filter with a foreign name drops all
    apprise_logger.addFilter(mute)
    try:
        yield
    finally:
        apprise_logger.removeFilter(mute)


def _last_error_line(log_text: str) -> str | None:
    lines = [line.strip() for line in log_text.splitlines() if line.strip()]
    return lines[-1] if lines else None


class AppriseNotifier:
    """Sends digests to one Apprise URL (the `Notifier` protocol).

    `compose` turns an attempt into the (title, body) to send. Raises ConfigError when apprise
    is not installed or does not understand the URL (the message names the channel only).
    """

    def __init__(
        self, channel_id: str, url: str, compose: Callable[[Attempt], tuple[str, str]]
    ) -> None:
        self.channel_id = channel_id
        try:
            import apprise
        except ImportError:
            raise ConfigError(INSTALL_HINT) from None
        self._apprise: Any = apprise
        app = apprise.Apprise()
        with _apprise_log_muted():
            understood = app.add(url)
        if not understood:
            raise ConfigError(
                f"channel {channel_id!r}: apprise does not understand the url "
                "(see https://github.com/caronc/apprise/wiki for the supported ones)"
            )
        self._app = app
        self._compose = compose
        self._secret_parts = _secret_parts(url)

    def __repr__(self) -> str:
        return f"AppriseNotifier({self.channel_id!r})"

    def _notify(self, title: str, body: str) -> tuple[bool, str]:
        """Runs in a worker thread: (whether apprise reports success, its warning log text)."""
        # LogCapture hooks apprise's logger, so a concurrent send on another channel can add
        # lines here; they are scrubbed of this URL and of anything shaped like a URL.
        with self._apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            text = self._apprise.NotifyFormat.TEXT
            ok = bool(self._app.notify(title=title, body=body, body_format=text))
            return ok, str(captured.getvalue())

    async def send(self, attempt: Attempt) -> SendOutcome:
        title, body = (quiet_mentions(part) for part in self._compose(attempt))
        try:
            ok, log_text = await asyncio.to_thread(self._notify, title, body)
        except Exception as exc:  # a plugin bug must not take the delivery worker down
            reason = scrub(f"{type(exc).__name__}: {exc}", self._secret_parts)
            return SendOutcome.retry(f"apprise failed ({reason})")
        if ok:
            return SendOutcome.sent()
        line = _last_error_line(log_text)
        reason = "no reason given" if line is None else scrub(line, self._secret_parts)
        return SendOutcome.retry(f"apprise could not deliver ({reason})")

    async def aclose(self) -> None:
        return None
