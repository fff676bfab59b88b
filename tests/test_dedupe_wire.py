"""Near-duplicates on real news text: wire copies match, different stories do not."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from monitor.dedupe import fingerprint, hamming_distance, is_near_duplicate

ARTICLES = [
    "01_bbc_com_70cb2d5b",
    "02_bbc_com_c7e39ac4",
    "03_reuters_com_57d46c9d",
    "04_theguardian_com_5fa3154e",
    "05_nytimes_com_04a6711c",
    "06_nytimes_com_702d1da6",
    "07_cnn_com_d605bdef",
    "08_cnn_com_ef4e67b6",
    "09_hosted_ap_org_82b6d780",
    "10_hosted_ap_org_e7994d55",
    "11_aljazeera_com_42aad16b",
    "12_aljazeera_com_7916ecca",
    "13_news_sky_com_92101975",
    "14_telegraph_co_uk_88c328b6",
    "15_cbsnews_com_2c46804d",
    "16_nbcnews_com_7a457a4f",
    "17_rt_com_4a44ab3e",
    "18_sputniknews_com_1f765c48",
    "20_cnbc_com_374ac9a5",
]  # fmt: skip  (19_jpost is a 64-word stub, too short for a wire story)


def article(shared_data: Path, name: str) -> str:
    return (shared_data / "html" / f"{name}.groundtruth.txt").read_text(encoding="utf-8")


def wire_copy(text: str) -> str:
    """How a subscriber republishes a wire story: own headline, byline, furniture, two edits."""
    paragraphs = [p for p in text.splitlines() if p.strip()]
    body = "\n".join(paragraphs)
    middle = body.find(" the ", len(body) // 2)
    if middle > 0:
        body = body[:middle] + " a " + body[middle + len(" the ") :]
    quarter = body.find(" and ", len(body) // 4)
    if quarter > 0:
        body = body[:quarter] + " as well as " + body[quarter + len(" and ") :]
    return "\n".join(
        [
            "Our headline, rewritten by the subscriber's own desk",
            "By Jane Doe, Staff Reporter | Published 3 hours ago",
            body,
            "Sign up for our daily newsletter to get the latest headlines.",
            "Copyright 2019 The Associated Press. All rights reserved. This material may not be "
            "published, broadcast, rewritten or redistributed.",
        ]
    )


@pytest.mark.parametrize("name", ARTICLES)
def test_wire_copy_is_a_near_duplicate(shared_data: Path, name: str) -> None:
    original = article(shared_data, name)
    copy = wire_copy(original)
    assert copy != original
    assert is_near_duplicate(fingerprint(original), fingerprint(copy))


def test_different_articles_are_far_apart(shared_data: Path) -> None:
    prints = {name: fingerprint(article(shared_data, name)) for name in ARTICLES}
    distances = {
        (a, b): hamming_distance(prints[a], prints[b]) for a, b in itertools.combinations(prints, 2)
    }
    closest = min(distances, key=lambda pair: distances[pair])
    assert distances[closest] >= 16, closest
    assert not any(is_near_duplicate(prints[a], prints[b]) for a, b in distances)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("03_reuters_com_57d46c9d", "07_cnn_com_d605bdef"),  # markets and US-China trade talks
        ("06_nytimes_com_702d1da6", "07_cnn_com_d605bdef"),  # US-China trade deal
        ("04_theguardian_com_5fa3154e", "07_cnn_com_d605bdef"),  # Hong Kong
        ("09_hosted_ap_org_82b6d780", "08_cnn_com_ef4e67b6"),  # Trump administration, same week
    ],
)
def test_same_topic_articles_are_not_duplicates(shared_data: Path, a: str, b: str) -> None:
    assert not is_near_duplicate(
        fingerprint(article(shared_data, a)), fingerprint(article(shared_data, b))
    )


def test_a_story_quoting_one_paragraph_of_another_is_not_its_copy(shared_data: Path) -> None:
    story = article(shared_data, "10_hosted_ap_org_e7994d55")
    quoted = next(
        p for p in article(shared_data, "03_reuters_com_57d46c9d").splitlines() if len(p) > 150
    )
    mixed = story + "\n" + quoted
    assert is_near_duplicate(fingerprint(story), fingerprint(mixed))
    assert not is_near_duplicate(
        fingerprint(article(shared_data, "03_reuters_com_57d46c9d")), fingerprint(mixed)
    )
