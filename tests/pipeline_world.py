"""Helpers for pipeline and CLI tests: feeds and article pages served on loopback, and a runner.

`NewsSite` serves RSS feeds and article pages from a `LoopbackHTTPServer` under made-up host
names (`wire-a.test`, ...) that a `FakeResolver` maps to 127.0.0.1, so publishers differ while
every byte stays on loopback.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from monitor.app import Database, Services
from monitor.db import FeedState
from monitor.db import feeds as feed_rows
from monitor.db.engine import make_session_factory
from monitor.domain import FeedPollResult, FeedSpec
from monitor.fetch import Fetcher
from monitor.pipeline import poll_feeds
from monitor.sandbox import Sandbox
from monitor.settings import ExtractSettings, FetchSettings, ParseSettings, Settings
from monitor.stance import RuleStance, StanceModel
from monitor.watchlist import Watchlist
from tests.fixtures_http import FakeResolver, LoopbackHTTPServer

HOSTS = ("news.test", "wire-a.test", "wire-b.test", "other.test")

PARAGRAPHS = (
    "Elon Musk has been in regular contact with Russian President Vladimir Putin since late "
    "2022, according to current and former officials quoted by The Wall Street Journal, in "
    "conversations that touched on business, personal matters and geopolitical tensions.",
    "One of the requests relayed during those talks concerned the Starlink satellite network: "
    "Putin reportedly asked Musk not to activate the service over Taiwan as a favour to the "
    "Chinese leader Xi Jinping, a request that officials described as highly unusual.",
    "The contacts also included Sergei Kiriyenko, the first deputy chief of staff in the "
    "Kremlin, according to the people familiar with the matter, who said the discussions had "
    "continued into this year despite the war in Ukraine.",
    "Kremlin spokesman Dmitry Peskov said on Friday that there had been only one phone call "
    "between the two men, and that it had been about space and future technologies.",
)

OTHER_STORY = (
    "Tesla reported quarterly deliveries below analyst expectations on Wednesday, as price "
    "cuts in China failed to lift demand for its ageing line-up of electric cars.",
    "The company said production at its Berlin factory had recovered after a fire at a nearby "
    "power pylon, and that it still expected volume growth this year, although executives "
    "declined to give a number when pressed by analysts on the earnings call.",
    "Shares fell four per cent in early trading in New York before recovering some of the "
    "losses later in the session, leaving the stock down for the year so far.",
)


def article_page(title: str, paragraphs: Sequence[str], *, byline: str = "Staff") -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{html.escape(title)}</h1><p class='byline'>By {html.escape(byline)}</p>"
        f"{body}</article><footer>Copyright</footer></body></html>"
    )


@dataclass(frozen=True)
class Item:
    title: str
    link: str
    guid: str | None = None
    pub_date: str = "Thu, 24 Oct 2024 10:00:00 GMT"


def rss(items: Sequence[Item], *, title: str = "Test feed") -> bytes:
    entries = "".join(
        "<item>"
        f"<title>{html.escape(i.title)}</title><link>{html.escape(i.link)}</link>"
        + (f"<guid>{html.escape(i.guid)}</guid>" if i.guid else "")
        + f"<pubDate>{i.pub_date}</pubDate></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>http://news.test/</link>"
        f"{entries}</channel></rss>"
    ).encode()


def loopback_settings(fetch: FetchSettings, **parse: object) -> Settings:
    return Settings(
        fetch=fetch,
        parse=ParseSettings(deadline=10.0, **parse),  # type: ignore[arg-type]
        extract=ExtractSettings(deadline=10.0, workers=1),
    )


@dataclass
class World:
    """A loopback news world: a server, a resolver, settings, a database and worker pools."""

    server: LoopbackHTTPServer
    settings: Settings
    engine: Engine
    pool: Sandbox
    clock_now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, 12, tzinfo=UTC))
    # The pipeline's mechanics (source counting, status, alerts, backfill, delivery) are tested
    # with the rule model, whose verdicts on tests/stories.py are fixed by its rules; a retrained
    # encoder must not change what these tests check. The shipped encoder is tested end to end
    # in tests/test_stance_encoder.py (model=None: the product's default).
    model: StanceModel | None = field(default_factory=RuleStance)

    @property
    def watchlist(self) -> Watchlist:
        return Watchlist.from_settings(self.settings, model=self.model)

    @property
    def resolver(self) -> FakeResolver:
        return FakeResolver({host: ["127.0.0.1"] for host in HOSTS})

    @property
    def db(self) -> Database:
        return Database(engine=self.engine, sessions=make_session_factory(self.engine))

    def url(self, path: str, host: str = "news.test") -> str:
        return self.server.url(path, host=host)

    def add_feed(self, path: str, host: str = "news.test") -> FeedState:
        with self.db.sessions.begin() as session:
            return feed_rows.add_feed(
                session, FeedSpec(self.url(path, host)), source="cli", now=self.clock_now
            )

    def feed(self, feed_id: int) -> FeedState:
        with self.db.sessions() as session:
            state = feed_rows.get_feed_by_id(session, feed_id)
        assert state is not None
        return state

    def poll(self, *feeds: FeedState) -> list[FeedPollResult]:
        """Poll the feeds (re-read from the database first) through the real pipeline."""
        current = [self.feed(f.id) for f in feeds]

        async def run() -> list[FeedPollResult]:
            user_agent = "monitor-test/1"
            async with Fetcher(
                self.settings.fetch, user_agent=user_agent, resolver=self.resolver
            ) as fetcher:
                services = Services(
                    settings=self.settings,
                    sessions=self.db.sessions,
                    fetcher=fetcher,
                    parse_pool=self.pool,
                    extract_pool=self.pool,
                    clock=lambda: self.clock_now,
                    watchlist=self.watchlist,
                )
                return await poll_feeds(services, current)

        return asyncio.run(run())
