"""Tests of the evidence stage: independent sources, linked claims, status rules and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.evidence import (
    EMPTY_VIEW,
    ClaimEventKind,
    ClaimStatus,
    EvidenceItem,
    SourceCounts,
    count_sources,
    derive_status,
    diff_events,
    effective_evidence,
    view_claim,
)
from monitor.stance.types import Stance

S, R, P, U = Stance.SUPPORTS, Stance.REFUTES, Stance.REPORTS, Stance.UNRELATED
T0 = datetime(2024, 10, 25, 12, 0, tzinfo=UTC)


def item(
    article_id: int,
    publisher: str,
    stance: Stance,
    cluster_id: int | None = None,
    *,
    claim_id: str = "C1",
    minutes: int | None = None,
) -> EvidenceItem:
    seen = T0 + timedelta(minutes=article_id if minutes is None else minutes)
    return EvidenceItem(
        claim_id=claim_id,
        article_id=article_id,
        cluster_id=cluster_id,
        publisher=publisher,
        stance=stance,
        confidence=0.9,
        quote=f"sentence from article {article_id}",
        published_at=seen - timedelta(hours=1),
        first_seen_at=seen,
    )


WIRE_COPIES = [item(i, f"site{i}.com", S, cluster_id=7) for i in range(1, 6)]

COUNT_CASES = [
    ("nothing", [], None, SourceCounts()),
    ("wire copies in one cluster from five publishers", WIRE_COPIES, None, SourceCounts(1)),
    ("same publisher twice", [item(1, "bbc.co.uk", S), item(2, "bbc.co.uk", S, 3)], None,
     SourceCounts(1)),
    ("publisher case does not matter", [item(1, "BBC.co.uk", S), item(2, "bbc.co.uk", S)], None,
     SourceCounts(1)),
    ("two publishers, two stories", [item(1, "bbc.co.uk", S, 1), item(2, "cnn.com", S, 2)], None,
     SourceCounts(2)),
    ("two stories without clusters", [item(1, "bbc.co.uk", S), item(2, "cnn.com", S)], None,
     SourceCounts(2)),
    (
        "wire story plus two outlets' own reporting",
        [item(1, "bbc.co.uk", S, 7), item(2, "cnn.com", S, 7), item(3, "bbc.co.uk", S, 8),
         item(4, "cnn.com", S, 9)],
        None,
        SourceCounts(2),
    ),
    (
        "chain of shared publishers matches fully",
        [item(1, "a.com", S, 1), item(2, "a.com", S, 2), item(3, "b.com", S, 2),
         item(4, "b.com", S, 3), item(5, "c.com", S, 3)],
        None,
        SourceCounts(3),
    ),
    ("stances counted apart", [item(1, "a.com", S), item(2, "a.com", R), item(3, "a.com", P)],
     None, SourceCounts(1, 1, 1)),
    ("unrelated is ignored", [item(1, "a.com", U), item(2, "b.com", U)], None, SourceCounts()),
    ("origin does not support itself", [item(1, "wsj.com", S, 4)], "wsj.com", SourceCounts()),
    ("copies of the origin's story do not support", [item(1, "wsj.com", S, 4),
     item(2, "marketwatch.com", S, 4), item(3, "cnn.com", S, 5)], "wsj.com", SourceCounts(1)),
    ("origin's retraction still refutes", [item(1, "wsj.com", R)], "wsj.com", SourceCounts(0, 1)),
    ("origin match ignores case", [item(1, "WSJ.com", S)], "wsj.com", SourceCounts()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("items", "origin", "expected"),
    [case[1:] for case in COUNT_CASES],
    ids=[case[0] for case in COUNT_CASES],
)
def test_count_sources(
    items: list[EvidenceItem], origin: str | None, expected: SourceCounts
) -> None:
    assert count_sources(items, origin_publisher=origin) == expected
    assert count_sources(reversed(items), origin_publisher=origin) == expected


def test_count_sources_handles_long_chains() -> None:
    # Each publisher carries two clusters, so searches run deeper than Python's recursion limit.
    items = [item(2 * i, f"p{i}.com", S, i) for i in range(1200)]
    items += [item(2 * i + 1, f"p{i}.com", S, i + 1) for i in range(1200)]
    assert count_sources(items) == SourceCounts(1200)


def _brute_force_sources(items: list[EvidenceItem]) -> int:
    """The most items that share no cluster and no publisher, by trying every subset."""
    best = 0
    for mask in range(1 << len(items)):
        chosen = [e for n, e in enumerate(items) if mask >> n & 1]
        clusters = [e.cluster_id if e.cluster_id is not None else -e.article_id for e in chosen]
        publishers = [e.publisher for e in chosen]
        if len(set(clusters)) == len(chosen) == len(set(publishers)):
            best = max(best, len(chosen))
    return best


@given(st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from([None, 1, 2, 3])), max_size=9))
def test_count_sources_is_the_largest_independent_set(pairs: list[tuple[str, int | None]]) -> None:
    items = [item(n + 1, f"{p}.com", S, cluster) for n, (p, cluster) in enumerate(pairs)]
    assert count_sources(items).supports == _brute_force_sources(items)


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.sampled_from([None, 1, 2, 3])), max_size=12))
def test_streamed_news_gives_one_event_per_independent_source(
    pairs: list[tuple[str, int | None]],
) -> None:
    view, events = EMPTY_VIEW, 0
    for n, (p, cluster) in enumerate(pairs):
        new_view = view_claim([*view.evidence, item(n + 1, f"{p}.com", S, cluster)])
        events += sum(e.evidence is not None for e in diff_events("C1", view, new_view))
        view = new_view
    assert events == view.counts.supports


STATUS_CASES = [
    (SourceCounts(), 2, ClaimStatus.OPEN),
    (SourceCounts(reports=9), 2, ClaimStatus.OPEN),
    (SourceCounts(1), 2, ClaimStatus.OPEN),
    (SourceCounts(2), 2, ClaimStatus.CORROBORATED),
    (SourceCounts(1), 1, ClaimStatus.CORROBORATED),
    (SourceCounts(2), 3, ClaimStatus.OPEN),
    (SourceCounts(0, 1), 2, ClaimStatus.DENIED),
    (SourceCounts(0, 3, 5), 2, ClaimStatus.DENIED),
    (SourceCounts(1, 1), 2, ClaimStatus.DISPUTED),
    (SourceCounts(5, 1), 2, ClaimStatus.DISPUTED),
]


@pytest.mark.parametrize(("counts", "corroborate_at", "expected"), STATUS_CASES)
def test_derive_status(counts: SourceCounts, corroborate_at: int, expected: ClaimStatus) -> None:
    assert derive_status(counts, corroborate_at=corroborate_at) is expected


def test_derive_status_rejects_a_threshold_below_one() -> None:
    with pytest.raises(ValueError, match="corroborate_at"):
        derive_status(SourceCounts(), corroborate_at=0)


# C4 "the Kremlin says there was only one call" denies C1 "regular contact since late 2022".
LINK_CASES = [
    ("C4 support refutes C1", "C1", {"C4": ("C1",)}, [("C4", S)], [(R, "C4")]),
    ("link works from the denied side", "C4", {"C4": ("C1",)}, [("C1", S)], [(R, "C1")]),
    ("C4 refutation supports C1", "C1", {"C4": ("C1",)}, [("C4", R)], [(S, "C4")]),
    ("reports of C4 are not evidence on C1", "C1", {"C4": ("C1",)}, [("C4", P), ("C4", U)], []),
    ("own items kept as they are", "C1", {"C4": ("C1",)}, [("C1", P), ("C1", S)],
     [(P, None), (S, None)]),
    ("unlinked claims ignored", "C1", {"C4": ("C1",)}, [("C2", S)], []),
    ("one hop only", "C1", {"C4": ("C1",), "C5": ("C4",)}, [("C5", S)], []),
    ("a claim cannot deny itself", "C1", {"C1": ("C1",)}, [("C1", S)], [(S, None)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("claim", "denies", "given", "expected"),
    [case[1:] for case in LINK_CASES],
    ids=[case[0] for case in LINK_CASES],
)
def test_effective_evidence(
    claim: str,
    denies: dict[str, tuple[str, ...]],
    given: list[tuple[str, Stance]],
    expected: list[tuple[Stance, str | None]],
) -> None:
    by_claim: dict[str, list[EvidenceItem]] = {}
    for n, (claim_id, stance) in enumerate(given):
        by_claim.setdefault(claim_id, []).append(item(n, "a.com", stance, claim_id=claim_id))
    result = effective_evidence(claim, by_claim, denies)
    assert [(e.stance, e.via) for e in result] == expected
    assert all(e.claim_id == claim for e in result)


def test_peskov_article_denies_regular_contact() -> None:
    peskov = item(1, "reuters.com", S, 3, claim_id="C4")
    evidence = effective_evidence("C1", {"C4": [peskov]}, {"C4": ("C1",)})
    assert view_claim(evidence).status is ClaimStatus.DENIED


def test_same_article_judged_for_both_linked_claims_counts_once() -> None:
    direct = item(1, "reuters.com", R, 3, claim_id="C1")
    linked = item(1, "reuters.com", S, 3, claim_id="C4")
    evidence = effective_evidence("C1", {"C1": [direct], "C4": [linked]}, {"C4": ("C1",)})
    assert count_sources(evidence) == SourceCounts(0, 1)


TRANSITIONS = [
    ("open to corroborated", [item(1, "a.com", S)], [item(2, "b.com", S)],
     ClaimStatus.OPEN, ClaimStatus.CORROBORATED),
    ("open to denied", [item(1, "a.com", S)], [item(2, "b.com", R)],
     ClaimStatus.OPEN, ClaimStatus.DISPUTED),
    ("nothing to denied", [], [item(2, "b.com", R)], ClaimStatus.OPEN, ClaimStatus.DENIED),
    ("corroborated to disputed", [item(1, "a.com", S), item(2, "b.com", S)],
     [item(3, "c.com", R)], ClaimStatus.CORROBORATED, ClaimStatus.DISPUTED),
    ("denied to disputed", [item(1, "a.com", R)], [item(2, "b.com", S)],
     ClaimStatus.DENIED, ClaimStatus.DISPUTED),
]  # fmt: skip


@pytest.mark.parametrize(
    ("before_items", "new_items", "old", "new"),
    [case[1:] for case in TRANSITIONS],
    ids=[case[0] for case in TRANSITIONS],
)
def test_each_status_transition_is_one_alert_worthy_event(
    before_items: list[EvidenceItem],
    new_items: list[EvidenceItem],
    old: ClaimStatus,
    new: ClaimStatus,
) -> None:
    before = view_claim(before_items)
    after = view_claim(before_items + new_items)
    assert (before.status, after.status) == (old, new)
    events = diff_events("C1", before, after)
    changes = [e for e in events if e.kind is ClaimEventKind.STATUS_CHANGED]
    assert [(e.old_status, e.new_status, e.evidence) for e in changes] == [(old, new, None)]
    assert events[0] is changes[0]
    assert all(e.alert_worthy and not e.backfill for e in events)


EVENT_CASES = [
    ("first support", [], [item(1, "a.com", S)], [(ClaimEventKind.NEW_SUPPORTING_SOURCE, 1)]),
    ("first refutation", [], [item(1, "a.com", R)], [(ClaimEventKind.NEW_REFUTING_SOURCE, 1)]),
    ("five wire copies arrive together", [], WIRE_COPIES,
     [(ClaimEventKind.NEW_SUPPORTING_SOURCE, 1)]),
    ("another wire copy later", WIRE_COPIES[:1], WIRE_COPIES[1:], []),
    ("same publisher again", [item(1, "a.com", S, 1)], [item(2, "a.com", S, 2)], []),
    ("new publisher, new story", [item(1, "a.com", S, 1)], [item(2, "b.com", S, 2)],
     [(ClaimEventKind.NEW_SUPPORTING_SOURCE, 2)]),
    ("reports never alert", [], [item(1, "a.com", P), item(2, "b.com", P)], []),
    ("unrelated is nothing", [], [item(1, "a.com", U)], []),
    ("origin's own article is no new source", [], [item(1, "wsj.com", S)], []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("before_items", "new_items", "expected"),
    [case[1:] for case in EVENT_CASES],
    ids=[case[0] for case in EVENT_CASES],
)
def test_source_events(
    before_items: list[EvidenceItem],
    new_items: list[EvidenceItem],
    expected: list[tuple[ClaimEventKind, int]],
) -> None:
    before = view_claim(before_items, origin_publisher="wsj.com", corroborate_at=9)
    after = view_claim(before_items + new_items, origin_publisher="wsj.com", corroborate_at=9)
    events = diff_events("C1", before, after)
    got = [(e.kind, e.evidence.article_id) for e in events if e.evidence is not None]
    assert got == expected
    assert all(e.alert_worthy for e in events)
    assert diff_events("C1", after, after) == []


def test_events_follow_arrival_order_not_list_order() -> None:
    late, early = item(1, "a.com", S, minutes=50), item(2, "b.com", S, minutes=5)
    events = diff_events("C1", EMPTY_VIEW, view_claim([late, early]))
    sources = [e.evidence.article_id for e in events if e.evidence is not None]
    assert sources == [2, 1]
    assert events[0].kind is ClaimEventKind.STATUS_CHANGED


def test_news_arriving_one_article_at_a_time_gives_one_event_per_source() -> None:
    stream = [
        *WIRE_COPIES,
        item(10, "site1.com", S, 8),
        item(11, "x.com", S, 8),
        item(12, "y.com", R),
    ]
    view, kinds = EMPTY_VIEW, []
    for arriving in stream:
        new_view = view_claim([*view.evidence, arriving])
        kinds += [e.kind for e in diff_events("C1", view, new_view) if e.evidence is not None]
        view = new_view
    assert kinds == [
        ClaimEventKind.NEW_SUPPORTING_SOURCE,  # the wire story
        ClaimEventKind.NEW_SUPPORTING_SOURCE,  # site1.com's own story; x.com's copy adds none
        ClaimEventKind.NEW_REFUTING_SOURCE,
    ]


@pytest.mark.parametrize(("alert_on_backfill", "alert_worthy"), [(False, False), (True, True)])
def test_backfill_events_alert_only_when_asked(alert_on_backfill: bool, alert_worthy: bool) -> None:
    old_news = [item(1, "a.com", S), item(2, "b.com", S)]
    events = diff_events(
        "C1", EMPTY_VIEW, view_claim(old_news), backfill=True, alert_on_backfill=alert_on_backfill
    )
    assert [e.kind for e in events] == [
        ClaimEventKind.STATUS_CHANGED,
        ClaimEventKind.NEW_SUPPORTING_SOURCE,
        ClaimEventKind.NEW_SUPPORTING_SOURCE,
    ]
    assert all(e.backfill and e.alert_worthy is alert_worthy for e in events)
    assert [e.evidence.published_at for e in events if e.evidence] == [
        i.published_at for i in old_news
    ]
