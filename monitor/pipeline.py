"""The one orchestrator: poll a feed, fetch and extract its new articles, store them.

`monitor check` and the daemon both call `poll_feed`. Network and child-process work happens
first; then everything a poll learned is written in one transaction per feed. Expected
failures (a feed that is down, a page that will not extract) are recorded and returned as
results; only bugs raise.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from monitor import dedupe, feed_health
from monitor.app import Services
from monitor.article_work import ArticleWork, fetch_article
from monitor.claim_updates import NewEvidenceRef, record_findings, update_claims
from monitor.db import FeedState, publishing
from monitor.db import articles as article_rows
from monitor.db import feeds as feed_rows
from monitor.db import items as item_rows
from monitor.domain import (
    ArticleSummary,
    EvidenceSummary,
    FeedEntry,
    FeedOutcome,
    FeedPollResult,
    FetchResult,
    FetchStatus,
    ParsedFeed,
)
from monitor.errors import FeedError
from monitor.parse import parse_feed
from monitor.sandbox import SandboxError
from monitor.schedule import (
    RHYTHM_SAMPLE,
    adaptive_interval_s,
    next_after_failure,
    next_after_success,
)
from monitor.urls import redact_url

log = logging.getLogger(__name__)

# Near-duplicates are looked for among articles fetched in this window.
CLUSTER_WINDOW = timedelta(days=7)

FeedBodySource = Callable[[FeedState], Awaitable[FetchResult]]


async def poll_feed(
    services: Services, feed: FeedState, *, body_source: FeedBodySource | None = None
) -> FeedPollResult:
    """Poll one feed now and store what is new. Never raises for feed or article failures."""
    fetched = await (body_source or _http_source(services))(feed)
    now = services.clock()
    if fetched.status is FetchStatus.ERROR:
        assert fetched.error is not None
        return _record_failure(
            services,
            feed,
            now,
            fetched.error.code.value,
            fetched.error.message,
            retry_after_s=fetched.retry_after_s,
        )
    if fetched.status is FetchStatus.NOT_MODIFIED:
        _record_success(services, feed, now, fetched, body_sha256=feed.body_sha256, parsed=None)
        return FeedPollResult(url=feed.url, name=feed.name, outcome=FeedOutcome.NOT_MODIFIED)

    body = fetched.body or b""
    body_sha256 = hashlib.sha256(body).hexdigest()
    if feed.body_sha256 == body_sha256:
        _record_success(services, feed, now, fetched, body_sha256=body_sha256, parsed=None)
        return FeedPollResult(url=feed.url, name=feed.name, outcome=FeedOutcome.UNCHANGED)

    settings = services.settings.parse
    parse = functools.partial(
        parse_feed,
        url=fetched.final_url,
        content_type=fetched.content_type,
        charset=fetched.charset,
        max_items=settings.items_per_poll,
        strip_dtd=feed.url in settings.strip_dtd,
    )
    try:
        parsed: ParsedFeed = await services.parse_pool.run(parse, body, deadline=settings.deadline)
    except (FeedError, SandboxError) as exc:
        return _record_failure(services, feed, now, "parse", str(exc))
    if parsed.total_entries > settings.items_per_poll:
        log.info(
            "feed truncated url=%s entries=%d kept=%d (the newest; [parse] items_per_poll)",
            redact_url(feed.url),
            parsed.total_entries,
            settings.items_per_poll,
        )

    new_entries = _new_entries(services, feed, parsed)
    work = await asyncio.gather(*(fetch_article(services, e) for e in new_entries))
    summaries, evidence = _store(services, feed, fetched, body_sha256, parsed, work)
    outcome = FeedOutcome.DEGRADED if parsed.warning else FeedOutcome.OK
    return FeedPollResult(
        url=feed.url,
        name=feed.name,
        outcome=outcome,
        new_items=len(summaries),
        warning=parsed.warning,
        articles=tuple(summaries),
        evidence=tuple(evidence),
    )


def _http_source(services: Services) -> FeedBodySource:
    async def fetch(feed: FeedState) -> FetchResult:
        return await services.fetcher.fetch_feed(
            feed.url, etag=feed.etag, last_modified=feed.last_modified
        )

    return fetch


def _new_entries(services: Services, feed: FeedState, parsed: ParsedFeed) -> list[FeedEntry]:
    with services.sessions() as session:
        known = item_rows.known_item_keys(session, feed.id, [e.key for e in parsed.entries])
    return [e for e in parsed.entries if e.key not in known]


def _store(
    services: Services,
    feed: FeedState,
    fetched: FetchResult,
    body_sha256: str,
    parsed: ParsedFeed,
    work: Sequence[ArticleWork],
) -> tuple[list[ArticleSummary], list[EvidenceSummary]]:
    """Write the whole poll in one transaction: articles, their evidence, claim status and
    events, items, and the feed's new state."""
    now = services.clock()
    summaries: list[ArticleSummary] = []
    evidence: list[EvidenceSummary] = []
    new_evidence: list[NewEvidenceRef] = []
    with services.sessions.begin() as session:
        for done in work:
            if done.retry_later:
                summaries.append(_summary(done, None))
                continue
            article_id, cluster_id = done.existing_article_id, None
            if done.article is not None:
                cluster_id = None
                if done.article.text_status == "ok":
                    cluster_id = article_rows.find_cluster_for(
                        session,
                        done.article.fingerprint,
                        done.article.bands,
                        max_distance=dedupe.NEAR_DUPLICATE_MAX_DISTANCE,
                        since=now - CLUSTER_WINDOW,
                    )
                article_id, cluster_id = article_rows.insert_article(
                    session, done.article, cluster_id=cluster_id
                )
                if done.findings is not None:
                    stored = record_findings(
                        session, services.watchlist, article_id, done.findings, now=now
                    )
                    new_evidence += stored
                    evidence += _evidence_summaries(done, {claim for _, claim in stored})
            inserted = item_rows.insert_item(
                session,
                feed.id,
                key=done.entry.key,
                guid=done.entry.guid,
                link=done.entry.link,
                title=done.entry.title,
                published_at=done.entry.published,
                now=now,
                outcome=done.outcome.value,
                error=done.error,
                article_id=article_id,
            )
            if inserted:
                summaries.append(_summary(done, cluster_id))
        # A feed's first successful poll is its backlog: stored and counted, but, like a
        # backfill, it raises no alerts unless [evidence] alert_on_backfill says so.
        initial_import = feed.last_success_at is None
        update_claims(session, services.watchlist, new_evidence, now=now, backfill=initial_import)
        # Articles to retry: forget the validators so the next poll re-reads the feed instead
        # of getting a 304 (or a byte-identical body) and never coming back to them.
        retry = any(done.retry_later for done in work)
        feed_rows.record_feed_success(
            session,
            feed.id,
            now=now,
            next_check_at=_next_success(services, session, feed, now, fetched, parsed),
            etag=None if retry else fetched.etag,
            last_modified=None if retry else fetched.last_modified,
            body_sha256=None if retry else body_sha256,
            warning=parsed.warning,
        )
        threshold = services.settings.delivery.feed_failing_after
        feed_health.note_success(session, feed, threshold=threshold, now=now)
    return summaries, evidence


def _evidence_summaries(done: ArticleWork, claim_ids: set[str]) -> list[EvidenceSummary]:
    assert done.findings is not None and done.article is not None
    return [
        EvidenceSummary(
            claim_id=claim_id,
            article_url=done.article.url,
            stance=judgement.stance.value,
            confidence=judgement.confidence,
            quote=judgement.quote,
        )
        for claim_id, judgement in done.findings.judgements
        if claim_id in claim_ids
    ]


def _summary(done: ArticleWork, cluster_id: int | None) -> ArticleSummary:
    article = done.article
    url = done.entry.link or ""
    return ArticleSummary(
        url=url,
        title=(article.title if article else None) or done.entry.title or None,
        publisher=article.publisher if article else dedupe.publisher_of(url) if url else "",
        published=(article.published_at if article else None) or done.entry.published,
        outcome=done.outcome,
        cluster_id=cluster_id,
        entities=tuple(sorted(done.findings.mentions)) if done.findings else (),
        error=done.error,
    )


def _interval_s(services: Services, session: Session, feed: FeedState, now: datetime) -> float:
    """The feed's normal interval: its own if it has one, else (when [polling] adaptive) one
    that follows how often its items appear, else the [polling] default."""
    polling = services.settings.polling
    if feed.interval_s:
        return float(feed.interval_s)
    if not polling.adaptive:
        return float(polling.interval)
    return adaptive_interval_s(
        now,
        publishing.recent_publish_times(session, feed.id, RHYTHM_SAMPLE),
        fallback_s=polling.interval,
        min_interval_s=polling.min_interval,
        max_interval_s=polling.max_interval,
    )


def _next_success(
    services: Services,
    session: Session,
    feed: FeedState,
    now: datetime,
    fetched: FetchResult,
    parsed: ParsedFeed | None,
) -> datetime:
    return next_after_success(
        now,
        interval_s=_interval_s(services, session, feed, now),
        ttl_minutes=parsed.ttl_minutes if parsed else None,
        cache_max_age_s=fetched.cache_max_age_s,
        max_interval_s=services.settings.polling.max_interval,
    )


def _record_success(
    services: Services,
    feed: FeedState,
    now: datetime,
    fetched: FetchResult,
    *,
    body_sha256: str | None,
    parsed: ParsedFeed | None,
) -> None:
    with services.sessions.begin() as session:
        feed_rows.record_feed_success(
            session,
            feed.id,
            now=now,
            next_check_at=_next_success(services, session, feed, now, fetched, parsed),
            etag=fetched.etag or feed.etag,
            last_modified=fetched.last_modified or feed.last_modified,
            body_sha256=body_sha256,
            warning=feed.warning,
        )
        threshold = services.settings.delivery.feed_failing_after
        feed_health.note_success(session, feed, threshold=threshold, now=now)


def _record_failure(
    services: Services,
    feed: FeedState,
    now: datetime,
    code: str,
    message: str,
    *,
    retry_after_s: float | None = None,
) -> FeedPollResult:
    log.info("feed failed url=%s code=%s error=%s", redact_url(feed.url), code, message)
    with services.sessions.begin() as session:
        feed_rows.record_feed_failure(
            session,
            feed.id,
            now=now,
            next_check_at=next_after_failure(
                now,
                interval_s=_interval_s(services, session, feed, now),
                consecutive_failures=feed.consecutive_failures + 1,
                retry_after_s=retry_after_s,
                max_backoff_s=services.settings.polling.max_backoff,
            ),
            error_code=code,
            error=message,
        )
        threshold = services.settings.delivery.feed_failing_after
        feed_health.note_failure(session, feed, message, threshold=threshold, now=now)
    return FeedPollResult(url=feed.url, name=feed.name, outcome=FeedOutcome.ERROR, error=message)


async def poll_feeds(
    services: Services,
    feeds: Sequence[FeedState],
    *,
    body_sources: dict[int, FeedBodySource] | None = None,
    on_done: Callable[[FeedPollResult], None] | None = None,
) -> list[FeedPollResult]:
    """Poll several feeds concurrently (the fetcher enforces the limits); results in input order.

    One feed's failure never stops the others: an unexpected bug in one poll is logged, recorded
    on that feed, and reported as its error.
    """
    sources = body_sources or {}

    async def one(feed: FeedState) -> FeedPollResult:
        try:
            result = await poll_feed(services, feed, body_source=sources.get(feed.id))
        except Exception as exc:
            log.exception("internal error while polling %s", redact_url(feed.url))
            message = f"internal error: {type(exc).__name__}: {exc}"
            result = _record_failure(services, feed, services.clock(), "internal", message)
        if on_done is not None:
            on_done(result)
        return result

    return list(await asyncio.gather(*(one(feed) for feed in feeds)))
