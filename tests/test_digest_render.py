"""Digest subjects, text and HTML bodies, including hostile feed content."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from monitor.digest.model import (
    ClaimSection,
    Counts,
    Digest,
    EvidenceLine,
    FeedHealthLine,
    Notice,
    StatusChange,
)
from monitor.digest.render import (
    QUOTE_MAX,
    SUBJECT_MAX,
    TITLE_MAX,
    clean,
    clip,
    link_url,
    render_html,
    render_subject,
    render_text,
)

T = datetime(2024, 10, 25, 12, 0, tzinfo=UTC)
MUSK = "Elon Musk has been in regular contact with Vladimir Putin since late 2022"


def evidence(**changes: object) -> EvidenceLine:
    line = EvidenceLine(
        stance="supports",
        confidence=0.873,
        quote="Musk has been in regular contact with Putin since late 2022.",
        publisher="The Wall Street Journal",
        title="Elon Musk's secret conversations with Vladimir Putin",
        url="https://www.wsj.com/world/russia/musk-putin",
        published_at=datetime(2024, 10, 24, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
        first_seen_at=T,
    )
    return replace(line, **changes)  # type: ignore[arg-type]


def claim(**changes: object) -> ClaimSection:
    section = ClaimSection(
        claim_id="musk-putin",
        text=MUSK,
        status="corroborated",
        counts=Counts(supports=2, refutes=1, reports=4),
        changes=(StatusChange("open", "corroborated", T),),
        evidence=(evidence(),),
    )
    return replace(section, **changes)  # type: ignore[arg-type]


def digest(**changes: object) -> Digest:
    return replace(Digest("msg_01JBDELIVERY", "mail", T), **changes)  # type: ignore[arg-type]


def feed(state: str = "failing", **changes: object) -> FeedHealthLine:
    line = FeedHealthLine("https://feeds.example.org/rss", "Example", state, "HTTP 503", 4, T)
    return replace(line, **changes)  # type: ignore[arg-type]


def notice(text: str = 'channel "hook" disabled') -> Notice:
    return Notice("channel_disabled", text, T)


FULL = digest(
    claims=(
        claim(
            evidence=(
                evidence(),
                evidence(
                    stance="refutes",
                    confidence=0.61,
                    quote="Peskov said there was only one call.",
                    publisher="TASS",
                    title=None,
                    url="https://tass.com/politics/1",
                    published_at=None,
                    via="kremlin-one-call",
                ),
            ),
            omitted_evidence=3,
        ),
    ),
    omitted_claims=2,
    feeds=(feed(), feed("recovered", url="https://ok.example.net/feed", name=None, error=None)),
    notices=(notice(),),
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            digest(claims=(claim(),)),
            'monitor: "Elon Musk has been in regular cont…" now corroborated',
        ),
        (
            digest(claims=(claim(changes=(), evidence=(evidence(), evidence())),)),
            'monitor: 2 new sources on "Elon Musk has been in regular cont…"',
        ),
        (
            digest(claims=(claim(changes=(), evidence=(), omitted_evidence=1),)),
            'monitor: 1 new source on "Elon Musk has been in regular cont…"',
        ),
        (
            digest(claims=(claim(text="Short claim", changes=(), evidence=()),)),
            'monitor: "Short claim" updated',
        ),
        (
            digest(
                claims=(
                    claim(),
                    claim(changes=(), evidence=(evidence(stance="refutes"),)),
                    claim(changes=(), evidence=(evidence(),)),
                )
            ),
            "monitor: 3 claims updated (1 corroborated, 1 new refutation)",
        ),
        (
            digest(claims=(claim(changes=()),), omitted_claims=4),
            "monitor: 5 claims updated",
        ),
        (digest(omitted_claims=1), "monitor: 1 claim updated"),
        (digest(feeds=(feed(), feed())), "monitor: 2 feeds failing"),
        (
            digest(feeds=(feed(), feed("recovered"))),
            "monitor: 1 feed failing, 1 feed recovered",
        ),
        (digest(notices=(notice(),)), 'monitor: channel "hook" disabled'),
        (digest(notices=(notice(), notice())), "monitor: 2 notices"),
        (
            digest(claims=(claim(),), feeds=(feed(),)),
            'monitor: "Elon Musk has been in regular cont…" now corroborated; 1 feed failing',
        ),
        (digest(), "monitor: no news"),
    ],
)
def test_subject_says_what_changed(value: Digest, expected: str) -> None:
    assert render_subject(value) == expected


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "Claim\r\nBcc: victim@example.org",
    "\u202eevil\u202c text \u2066x\u2069",
    "x" * 100_000,
    "tab\there\x00nul\x1b[31m\x7f\x85\u2028",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_subject_is_one_bounded_line_of_printable_text(text: str) -> None:
    subjects = [
        render_subject(digest(claims=(claim(text=text),))),
        render_subject(digest(claims=(claim(text=text, changes=(StatusChange("a", text, T),)),))),
        render_subject(digest(notices=(notice(text),))),
        render_subject(digest(feeds=(feed(state=text),))),
    ]
    for subject in subjects:
        assert len(subject) <= SUBJECT_MAX
        assert subject.isprintable()
        assert not any(ch in subject for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2069")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\r\nb", "a b"),
        ("\u202eabc\u202c", "abc"),
        ("\x00\x07x\x1b", "x"),
        (None, ""),
        ("  many   spaces\t\t", "many spaces"),
    ],
)
def test_clean(value: str | None, expected: str) -> None:
    assert clean(value) == expected


def test_clip_marks_a_cut_with_an_ellipsis() -> None:
    assert clip("abcdef", 10) == "abcdef"
    assert clip("abcdef", 4) == "abc…"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("HTTP://example.org/", "HTTP://example.org/"),
        ("javascript:alert(1)", ""),
        (" JavaScript:alert(1)", ""),
        ("java\tscript:alert(1)", ""),
        ("data:text/html,<script>", ""),
        ("vbscript:msgbox", ""),
        ("//example.org/x", ""),
        ("https://", ""),
        ("http://[::1", ""),
        ("https://example.org/" + "a" * 5000, ""),
    ],
)
def test_only_http_urls_become_links(url: str, expected: str) -> None:
    assert link_url(url) == expected


def _expected_fields(value: Digest) -> list[str]:
    return [
        MUSK, "corroborated", "2 supports", "1 refutes", "4 reports", "open",
        "Musk has been in regular contact with Putin since late 2022.", "The Wall Street Journal",
        "Elon Musk", "secret conversations with Vladimir Putin",
        "https://www.wsj.com/world/russia/musk-putin",
        "2024-10-25",  # published 23:30 at UTC-5 is the 25th in UTC
        "0.87", "refutes", "Peskov said there was only one call.", "TASS",
        "first seen 2024-10-25", "kremlin-one-call", "0.61", "https://tass.com/politics/1",
        "3 more pieces of evidence", "2 more claims",
        "Feed health", "Example", "https://feeds.example.org/rss", "HTTP 503", "4 failures",
        "recovered", "https://ok.example.net/feed",
        "channel", "hook", "disabled", value.delivery_id, "sent by monitor",
    ]  # fmt: skip


@pytest.mark.parametrize("render", [render_text, render_html])
def test_bodies_carry_every_field(render: object) -> None:
    body = render(FULL)  # type: ignore[operator]
    for field in _expected_fields(FULL):
        assert field in body, field


def test_text_body_shows_status_changes_and_dates() -> None:
    text = render_text(FULL)
    assert "open -> corroborated (2024-10-25)" in text
    assert "published 2024-10-25" in text
    assert "<" not in text.replace("<script", "")  # no markup in the text part


@pytest.mark.parametrize("render", [render_text, render_html])
@pytest.mark.parametrize(
    ("published", "shown"),
    [
        (datetime(2099, 1, 1, tzinfo=UTC), "first seen 2024-10-25"),
        (datetime(2024, 10, 26, 6, 0), "published 2024-10-26"),  # naive, a few hours ahead
        (datetime(2024, 10, 27, 0, 0, tzinfo=UTC), "first seen 2024-10-25"),
        (datetime(1970, 1, 1, tzinfo=UTC), "published 1970-01-01"),
    ],
)
def test_a_date_after_the_article_was_first_seen_is_not_shown(
    render: object, published: datetime, shown: str
) -> None:
    """RELIABILITY 10: a feed's future date (2099) is shown as when the article was first seen;
    the payload keeps it as given."""
    value = digest(claims=(claim(evidence=(evidence(published_at=published),)),))
    body = render(value)  # type: ignore[operator]
    assert shown in body and ("2099" in body) is False
    payload = value.to_json()["claims"][0]["evidence"][0]
    assert payload["published_at"].startswith(published.isoformat()[:10])


class _Page(HTMLParser):
    """Collects tags, attributes and text of a rendered page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, name, value) for name, value in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


SAFE_TAGS = {
    "html", "head", "meta", "title", "body", "div", "h1", "h2", "p", "strong", "span", "ul",
    "li", "blockquote", "a",
}  # fmt: skip


def test_html_is_a_plain_email_page() -> None:
    html = render_html(FULL)
    page = _parse(html)
    assert set(page.tags) <= SAFE_TAGS
    assert ("html", "lang", "en") in page.attrs
    assert ("meta", "charset", "utf-8") in page.attrs
    hrefs = [value for tag, name, value in page.attrs if name == "href"]
    assert hrefs == [
        "https://www.wsj.com/world/russia/musk-putin",
        "https://tass.com/politics/1",
    ]
    assert not any(name == "src" for _, name, _ in page.attrs)


def _hostile_digest(text: str, url: str = "javascript:alert(1)") -> Digest:
    line = evidence(quote=text, title=text, publisher=text, url=url, via=text)
    section = claim(text=text, evidence=(line,), status=text)
    return digest(
        claims=(section,),
        feeds=(feed(name=text, error=text, url=text),),
        notices=(Notice(text, text, T),),
    )


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        " javascript:x",
        "x",
        "https://example.org/" + "a" * 100_000,
        'https://example.org/"><script>alert(1)</script>',
    ],
)
def test_hostile_values_stay_inert_in_html(text: str, url: str) -> None:
    html = render_html(_hostile_digest(text, url))
    page = _parse(html)
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert set(page.tags) <= SAFE_TAGS
    for _, name, value in page.attrs:
        assert not name.startswith("on")
        if name == "href":
            assert value is not None
            assert value.startswith(("http://", "https://"))
    assert "javascript:" not in " ".join(str(v) for _, n, v in page.attrs if n == "href")
    assert not any(ch in html for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert not any(ch in html for ch in "\x00\x1b\x7f\x85\r")
    assert "Bcc: victim" not in html.replace("Claim Bcc: victim", "")
    assert len(html) < 20_000


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_values_are_cleaned_in_text(text: str) -> None:
    body = render_text(_hostile_digest(text))
    assert len(body) < 20_000
    assert "\r" not in body
    assert "\nBcc:" not in body
    assert not any(ch in body for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert all(ch.isprintable() or ch == "\n" for ch in body)
    if "<script>" in text:
        assert "<script>alert(1)</script>" in body  # shown, not interpreted


def test_hostile_html_is_escaped_not_dropped() -> None:
    html = render_html(_hostile_digest('"><img src=x onerror=alert(1)>'))
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    text = "".join(_parse(html).text)
    assert '"><img src=x onerror=alert(1)>' in text


def test_long_quote_and_title_are_truncated() -> None:
    quote, title = "q" * 100_000, "t" * 100_000
    value = digest(claims=(claim(evidence=(evidence(quote=quote, title=title),)),))
    for body in (render_text(value), render_html(value)):
        assert "q" * (QUOTE_MAX - 1) + "…" in body
        assert "q" * QUOTE_MAX not in body
        assert "t" * (TITLE_MAX - 1) + "…" in body
        assert "t" * TITLE_MAX not in body
        assert len(body) < 10_000


@pytest.mark.parametrize("text", ["{{ 7*7 }}", "{% for x in range(3) %}x{% endfor %}", "{# c #}"])
def test_template_syntax_in_values_is_literal(text: str) -> None:
    value = digest(claims=(claim(text=text, evidence=(evidence(quote=text, title=text),)),))
    assert text in render_text(value)
    assert "49" not in render_text(value)
    assert text in "".join(_parse(render_html(value)).text)


@pytest.mark.parametrize(
    ("value", "present", "absent"),
    [
        (digest(feeds=(feed(),)), ["Feed health", "HTTP 503", "4 failures"], ["Claim", "Notices"]),
        (
            digest(feeds=(feed(error=None, failures=1),)),
            ["unknown error", "1 failure "],
            ["Notices"],
        ),
        (digest(notices=(notice(),)), ["Notices", "channel_disabled"], ["Feed health", "Claim"]),
        (digest(), ["sent by monitor", "msg_01JBDELIVERY"], ["Feed health", "Notices"]),
    ],
)
def test_digests_without_claims(value: Digest, present: list[str], absent: list[str]) -> None:
    text, html = render_text(value), render_html(value)
    for needle in present:
        assert needle in text
        assert needle in html.replace("&#34;", '"')
    for needle in absent:
        assert needle not in text
        assert needle not in html
