"""One feed entry's article: fetch its page, extract it in the worker pool, build the row to store.

Network and child-process work only; nothing is written here (the pipeline stores the results
of a whole poll in one transaction).
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from datetime import datetime

from monitor import dedupe
from monitor.app import Services
from monitor.db import NewArticle
from monitor.db import articles as article_rows
from monitor.domain import ExtractedArticle, FeedEntry, FetchErrorCode, FetchStatus, ItemOutcome
from monitor.extract import extract_article
from monitor.sandbox import SandboxError
from monitor.watchlist import ArticleFindings

# Article failures worth trying again on a later poll: the item is not marked as seen.
TRANSIENT_FETCH_ERRORS = frozenset(
    {FetchErrorCode.TIMEOUT, FetchErrorCode.CONNECTION, FetchErrorCode.DNS}
)


@dataclass(frozen=True, slots=True)
class ArticleWork:
    """What fetching one new entry produced, before anything is written."""

    entry: FeedEntry
    outcome: ItemOutcome
    article: NewArticle | None = None
    existing_article_id: int | None = None
    error: str | None = None
    retry_later: bool = False
    findings: ArticleFindings | None = None  # entities and claim judgements of new text


async def fetch_article(services: Services, entry: FeedEntry) -> ArticleWork:
    """Fetch and extract the page an entry links to (or find it already stored)."""
    if entry.link is None:
        return ArticleWork(entry, ItemOutcome.SKIPPED, error="entry has no http(s) link")
    with services.sessions() as session:
        existing = article_rows.find_article_id(session, entry.link)
    if existing is not None:
        return ArticleWork(entry, ItemOutcome.STORED, existing_article_id=existing)

    page = await services.fetcher.fetch_page(entry.link)
    if page.status is not FetchStatus.OK or page.body is None:
        code = page.error.code if page.error else None
        message = page.error.message if page.error else f"unexpected status {page.status}"
        skipped = code in {
            FetchErrorCode.BAD_CONTENT_TYPE,
            FetchErrorCode.BLOCKED_ADDRESS,
            FetchErrorCode.UNSUPPORTED_SCHEME,
            FetchErrorCode.INVALID_URL,
        }
        return ArticleWork(
            entry,
            ItemOutcome.SKIPPED if skipped else ItemOutcome.ERROR,
            error=message,
            retry_later=code in TRANSIENT_FETCH_ERRORS,
        )

    settings = services.settings.extract
    extract = functools.partial(
        extract_article,
        url=page.final_url,
        charset=page.charset,
        max_input_size=settings.max_input_size,
    )
    try:
        extracted: ExtractedArticle = await services.extract_pool.run(
            extract, page.body, deadline=settings.deadline
        )
    except SandboxError as exc:
        return ArticleWork(entry, ItemOutcome.ERROR, error=f"extraction failed: {exc}")
    article = _new_article(entry, extracted, services.clock())
    # The stance model is CPU work (ONNX releases the GIL): off the event loop, so other
    # feeds' requests keep moving while an article is judged.
    findings = (
        await asyncio.to_thread(services.watchlist.judge_article, article.text)
        if article.text
        else None
    )
    return ArticleWork(
        entry,
        ItemOutcome.STORED if extracted.has_text else ItemOutcome.NO_TEXT,
        article=article,
        findings=findings,
    )


def _new_article(entry: FeedEntry, extracted: ExtractedArticle, now: datetime) -> NewArticle:
    assert entry.link is not None
    text = extracted.text if extracted.has_text else ""
    fingerprint = dedupe.fingerprint(text)
    return NewArticle(
        url=entry.link,
        title=extracted.title or entry.title or None,
        author=extracted.author or entry.author,
        publisher=dedupe.publisher_of(entry.link, extracted.site_name),
        site_name=extracted.site_name,
        language=extracted.language,
        published_at=entry.published or extracted.published,
        fetched_at=now,
        text_status="ok" if text else "no_text",
        text=text,
        content_sha256=dedupe.content_hash(text),
        fingerprint=fingerprint,
        bands=dedupe.fingerprint_bands(fingerprint),
    )
