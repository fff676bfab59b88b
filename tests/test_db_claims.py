"""Watchlist and evidence storage on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from monitor.db import articles as article_rows
from monitor.db import claims as claim_rows
from monitor.db.records import NewArticle, NewEvidence, WatchedClaim, WatchedEntity

NOW = datetime(2026, 1, 1, tzinfo=UTC)
MUSK = WatchedEntity("musk", "Elon Musk", "person", ("Musk",))
PUTIN = WatchedEntity("putin", "Vladimir Putin", "person", ("Putin",))
C1 = WatchedClaim(
    "contact",
    "Musk has been in regular contact with Putin since late 2022",
    "fact",
    "WSJ",
    date(2024, 10, 24),
    ("musk", "putin"),
    (),
)
C4 = WatchedClaim(
    "one-call",
    "The Kremlin says there was only one call",
    "statement",
    None,
    None,
    ("putin",),
    ("contact",),
)


def article(session: Session, url: str, publisher: str) -> int:
    article_id, _ = article_rows.insert_article(
        session,
        NewArticle(
            url=url,
            title="T",
            author=None,
            publisher=publisher,
            site_name=None,
            language="en",
            published_at=None,
            fetched_at=NOW,
            text_status="ok",
            text="x",
            content_sha256=None,
            fingerprint=1,
            bands=(1, 0, 0, 0),
        ),
        cluster_id=None,
    )
    return article_id


def evidence(claim_id: str, article_id: int, stance: str = "supports") -> NewEvidence:
    return NewEvidence(
        claim_id=claim_id,
        article_id=article_id,
        stance=stance,
        confidence=0.8,
        quote="q",
        model_version="rules-v0",
        claim_text_sha256=claim_rows.claim_text_sha256(C1.text),
        backfill=False,
        judged_at=NOW,
    )


def test_sync_reports_new_and_changed_claims_and_deactivates_removed(session: Session) -> None:
    assert claim_rows.sync_watchlist(session, [MUSK, PUTIN], [C1, C4], now=NOW) == [
        "contact",
        "one-call",
    ]
    assert claim_rows.sync_watchlist(session, [MUSK, PUTIN], [C1, C4], now=NOW) == []
    a = article(session, "https://a.example/1", "a.example")
    assert claim_rows.insert_evidence(session, evidence("contact", a)) is not None

    reworded = WatchedClaim(
        C1.id,
        "Musk and Putin have talked since 2022",
        C1.kind,
        C1.source,
        C1.opened,
        C1.entities,
        C1.denies,
    )
    assert claim_rows.sync_watchlist(session, [MUSK, PUTIN], [reworded], now=NOW) == ["contact"]
    assert claim_rows.evidence_for(session, ["contact"]) == []  # stale judgements dropped
    claims = {c.id: c for c in claim_rows.list_claims(session, active_only=False)}
    assert claims["one-call"].active is False
    assert claims["contact"].denies == ()
    assert [c.id for c in claim_rows.list_claims(session)] == ["contact"]
    # Back in the config after a time out of it: needs a backfill, keeps its evidence.
    assert claim_rows.sync_watchlist(session, [MUSK, PUTIN], [reworded, C4], now=NOW) == [
        "one-call"
    ]


def test_evidence_is_unique_per_claim_and_article_and_joins_its_source(session: Session) -> None:
    claim_rows.sync_watchlist(session, [MUSK, PUTIN], [C1, C4], now=NOW)
    a = article(session, "https://a.example/1", "a.example")
    b = article(session, "https://b.example/2", "b.example")
    first = claim_rows.insert_evidence(session, evidence("contact", a))
    assert first is not None
    assert claim_rows.insert_evidence(session, evidence("contact", a, "refutes")) is None
    claim_rows.insert_evidence(session, evidence("contact", b, "reports"))
    records = claim_rows.evidence_for(session, ["contact"])
    assert [(r.publisher, r.stance) for r in records] == [
        ("a.example", "supports"),
        ("b.example", "reports"),
    ]
    assert records[0].url == "https://a.example/1"
    assert records[0].cluster_id != records[1].cluster_id


def test_mentions_status_and_events(session: Session) -> None:
    claim_rows.sync_watchlist(session, [MUSK, PUTIN], [C1], now=NOW)
    a = article(session, "https://a.example/1", "a.example")
    claim_rows.record_mentions(session, a, {"musk": 3, "putin": 1, "unknown": 2})
    claim_rows.record_mentions(session, a, {"musk": 3})  # idempotent
    assert claim_rows.mentioned_entities(session, [a]) == {a: ["musk", "putin"]}

    evidence_id = claim_rows.insert_evidence(session, evidence("contact", a))
    claim_rows.set_claim_status(session, "contact", "corroborated", now=NOW)
    claim_rows.insert_claim_event(
        session,
        claim_id="contact",
        kind="status_changed",
        old_status="open",
        new_status="corroborated",
        evidence_id=evidence_id,
        alert_worthy=True,
        now=NOW,
    )
    claim = claim_rows.get_claim(session, "contact")
    assert claim is not None and (claim.status, claim.status_changed_at) == ("corroborated", NOW)
    [event] = claim_rows.claim_events(session, "contact")
    assert (event.kind, event.old_status, event.new_status, event.alert_worthy) == (
        "status_changed",
        "open",
        "corroborated",
        True,
    )
