"""Response models of the board's JSON API; FastAPI documents them in /openapi.json. Pure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

StanceName = Literal["supports", "refutes", "reports", "unrelated"]


class ClaimOut(BaseModel):
    id: str
    text: str
    status: str = Field(description="open, corroborated, disputed or denied")
    supports: int = Field(description="independent supporting sources")
    refutes: int = Field(description="independent refuting sources")
    reports: int = Field(description="independent sources that report the claim")
    last_changed_at: datetime | None = Field(
        description="last status change or new independent source"
    )
    url: str = Field(description="this claim in the API")


class ClaimList(BaseModel):
    items: list[ClaimOut]
    next_cursor: str | None
    next: str | None = Field(description="the next page, or null on the last one")


class DayOut(BaseModel):
    day: date
    supports: int
    refutes: int
    reports: int


class ClaimEventOut(BaseModel):
    kind: str
    old_status: str | None
    new_status: str | None
    alert_worthy: bool
    at: datetime


class ClaimDetail(ClaimOut):
    source: str | None
    entities: list[str]
    denies: list[str]
    timeline: list[DayOut] = Field(description="stories (clusters collapsed) per day and stance")
    events: list[ClaimEventOut]
    evidence: str = Field(description="the claim's evidence in the API")


class EvidenceCopy(BaseModel):
    """Another article of the same story cluster, with the same stance."""

    publisher: str
    title: str | None
    url: str
    published_at: datetime | None
    first_seen_at: datetime


class EvidenceOut(BaseModel):
    id: int
    stance: StanceName
    confidence: float
    quote: str
    title: str | None
    publisher: str
    url: str
    published_at: datetime | None
    first_seen_at: datetime
    story_cluster: int
    via: str | None = Field(description="the linked claim this evidence was judged against")
    model_version: str
    copies: list[EvidenceCopy] = Field(description="the story's other articles")


class EvidencePage(BaseModel):
    claim_id: str
    total: int = Field(description="stories (clusters collapsed) matching the filters")
    items: list[EvidenceOut]
    next_cursor: str | None
    next: str | None


class EntityOut(BaseModel):
    id: str
    name: str
    kind: str
    aliases: list[str]
    article_count: int
    url: str


class EntityList(BaseModel):
    items: list[EntityOut]
    next_cursor: str | None
    next: str | None


class ArticleOut(BaseModel):
    id: int
    url: str
    title: str | None
    publisher: str
    published_at: datetime | None
    first_seen_at: datetime
    story_cluster: int
    mentions: int = Field(description="how often the article names the entity")


class ArticlePage(BaseModel):
    entity_id: str
    items: list[ArticleOut]
    next_cursor: str | None
    next: str | None


class FeedOut(BaseModel):
    id: int
    url: str = Field(description="credentials in the URL are replaced by ***")
    name: str | None
    source: str
    active: bool
    health: Literal["ok", "failing", "unchecked", "inactive"]
    consecutive_failures: int
    last_checked_at: datetime | None
    last_success_at: datetime | None
    next_check_at: datetime
    last_error_code: str | None
    last_error: str | None
    warning: str | None


class FeedList(BaseModel):
    items: list[FeedOut]
    next_cursor: str | None
    next: str | None
