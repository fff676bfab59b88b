"""extract_article against the 20 real news pages with hand-made ground truth (shared/data/html)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.domain import ExtractedArticle
from monitor.extract import extract_article

_TOKEN = re.compile(r"\w+")


def token_f1(predicted: str, expected: str) -> float:
    """Token F1: lower-cased word tokens (split on whitespace and punctuation) as multisets."""
    got = Counter(_TOKEN.findall(predicted.lower()))
    want = Counter(_TOKEN.findall(expected.lower()))
    overlap = sum((got & want).values())
    if overlap == 0:
        return 0.0
    return 2 * overlap / (sum(got.values()) + sum(want.values()))


@pytest.mark.parametrize(
    ("predicted", "expected", "f1"),
    [
        ("a b c", "a b c", 1.0),
        ("A, b. C!", "a b c", 1.0),
        ("a a b", "a b b", 2 / 3),
        ("", "a", 0.0),
        ("x y", "a b", 0.0),
    ],
)
def test_token_f1(predicted: str, expected: str, f1: float) -> None:
    assert token_f1(predicted, expected) == pytest.approx(f1)


def _pages(shared_data: Path) -> list[Path]:
    pages = sorted((shared_data / "html").glob("*.html"))
    assert len(pages) == 20, "expected the 20 pages of the article-extraction benchmark"
    return pages


def _extract(page: Path) -> tuple[ExtractedArticle, str]:
    stem = page.name.removesuffix(".html")
    meta = json.loads(page.with_name(f"{stem}.groundtruth.json").read_text(encoding="utf-8"))
    truth = page.with_name(f"{stem}.groundtruth.txt").read_text(encoding="utf-8")
    return extract_article(page.read_bytes(), url=meta["url"]), truth


@pytest.fixture(scope="module")
def extracted(shared_data: Path) -> dict[str, tuple[ExtractedArticle, str]]:
    return {page.name[:2]: _extract(page) for page in _pages(shared_data)}


def test_mean_token_f1_against_ground_truth(
    extracted: dict[str, tuple[ExtractedArticle, str]],
) -> None:
    scores = {key: token_f1(article.text, truth) for key, (article, truth) in extracted.items()}
    mean = sum(scores.values()) / len(scores)
    worst = min(scores, key=scores.__getitem__)
    summary = f"mean token F1 {mean:.4f}; worst page {worst} at {scores[worst]:.4f}"
    print(summary)
    assert mean >= 0.95, summary
    assert all(score > 0.8 for score in scores.values()), scores


def test_every_page_has_text_title_date_and_site(
    extracted: dict[str, tuple[ExtractedArticle, str]],
) -> None:
    for key, (article, _truth) in extracted.items():
        assert article.has_text, key
        assert article.title, key
        assert article.site_name, key
        assert article.published is not None, key
        assert article.published.tzinfo is UTC, key
        assert datetime(2019, 11, 18, tzinfo=UTC) <= article.published, key
        assert article.published < datetime(2019, 11, 21, tzinfo=UTC), key


@pytest.mark.parametrize(
    ("key", "title_words", "language", "author", "published", "site_name"),
    [
        ("01", ("Taylor Swift", "AMA"), "en", None, datetime(2019, 11, 19, 9, 44, 9), "BBC News"),
        ("03", ("oil",), "en", "Rodrigo Campos", datetime(2019, 11, 19, 21, 57, 1), "Reuters"),
        # AP gives -05:00 in the page; published is converted to UTC.
        ("09", ("Sondland",), "en", "LISA MASCARO", datetime(2019, 11, 20, 10, 52, 20), None),
        ("05", ("Republicans", "Trump"), "en", "Jamelle Bouie", datetime(2019, 11, 19), None),
        ("14", ("Davis Cup",), "en", None, datetime(2019, 11, 19), "The Telegraph"),
        # No lang attribute and no language <meta> anywhere: unknown, not guessed.
        ("07", ("Investors",), None, "Jill Disis", datetime(2019, 11, 18), "CNN"),
    ],
)
def test_metadata(
    extracted: dict[str, tuple[ExtractedArticle, str]],
    key: str,
    title_words: tuple[str, ...],
    language: str | None,
    author: str | None,
    published: datetime,
    site_name: str | None,
) -> None:
    article, _truth = extracted[key]
    assert article.title is not None
    for word in title_words:
        assert word in article.title
    assert article.language == language
    if author is not None:
        assert article.author is not None
        assert author in article.author
    assert article.published == published.replace(tzinfo=UTC)
    if site_name is not None:
        assert article.site_name == site_name
