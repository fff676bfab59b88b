"""Text fields: encodings (row 12), controls (13), caps (14), markup and injection (18-20)."""

from __future__ import annotations

import pytest

from monitor.domain import FeedEntry
from monitor.parse import parse_feed
from monitor.parse.text import SUMMARY_MAX_CHARS, TITLE_MAX_CHARS, html_to_text

URL = "https://news.example.com/feed.xml"


def rss_text(title: str, description: str = "", *, declaration: str = "") -> str:
    return (
        f"{declaration}<rss version='2.0'><channel><title>Feed</title><item><title>{title}</title>"
        f"<link>https://news.example.com/1</link><description>{description}</description>"
        "</item></channel></rss>"
    )


def only_entry(body: bytes, **kwargs: str) -> tuple[FeedEntry, str | None]:
    feed = parse_feed(body, url=URL, **kwargs)
    (entry,) = feed.entries
    return entry, feed.warning


GREEK = "Ειδήσεις: η Βουλή ψήφισε"
RUSSIAN = "Новости: Дума приняла закон"
JAPANESE = "日本語のニュース：国会が法案を可決"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom(codec: str) -> None:
    text = rss_text(GREEK, declaration=f'<?xml version="1.0" encoding="{codec}"?>')
    body = text.encode(codec) if codec != "utf-16-be" else b"\xfe\xff" + text.encode(codec)
    entry, warning = only_entry(body, charset="utf-8")  # the BOM wins over the header
    assert (entry.title, warning) == (GREEK, None)


def test_utf16_without_bom_is_recognised_by_its_byte_pattern() -> None:
    body = rss_text(GREEK, declaration='<?xml version="1.0" encoding="utf-16"?>').encode(
        "utf-16-le"
    )
    assert only_entry(body)[0].title == GREEK


def test_cp1252_mislabelled_as_utf8_decodes_with_a_warning() -> None:
    body = rss_text("“Quoted” — costs €5", declaration='<?xml version="1.0" encoding="utf-8"?>')
    entry, warning = only_entry(body.encode("cp1252"), charset="utf-8")
    assert entry.title == "“Quoted” — costs €5"
    assert warning == "document declared as utf-8, but parsed as cp1252"


@pytest.mark.parametrize(
    ("text", "codec", "declaration", "charset"),
    [
        (JAPANESE, "shift_jis", "Shift_JIS", None),
        (JAPANESE, "shift_jis", None, "Shift_JIS"),
        (JAPANESE, "euc_jp", "EUC-JP", None),
        (RUSSIAN, "cp1251", "windows-1251", None),
        (RUSSIAN, "cp1251", None, "windows-1251"),
        (RUSSIAN, "koi8_r", "KOI8-R", "koi8-r"),
        (RUSSIAN, "cp1251", "windows-1251", "iso-8859-1"),  # a server default vs the document
        ("Ça coûte 5 €", "cp1252", "ISO-8859-1", None),  # browsers read latin-1 as windows-1252
    ],
)
def test_legacy_encodings_from_declaration_or_header(
    text: str, codec: str, declaration: str | None, charset: str | None
) -> None:
    prolog = f'<?xml version="1.0" encoding="{declaration}"?>' if declaration else ""
    body = rss_text(text, text, declaration=prolog).encode(codec)
    entry, warning = only_entry(body, **({"charset": charset} if charset else {}))
    assert (entry.title, entry.summary, warning) == (text, text, None)


def test_utf8_body_wins_over_a_wrong_latin1_label() -> None:
    body = rss_text(GREEK, declaration='<?xml version="1.0" encoding="iso-8859-1"?>').encode()
    entry, _ = only_entry(body, charset="iso-8859-1")
    assert entry.title == GREEK


def test_unknown_charset_is_ignored_with_a_warning() -> None:
    entry, warning = only_entry(rss_text(GREEK).encode(), charset="x-no-such-charset")
    assert entry.title == GREEK
    assert warning == "unknown charset 'x-no-such-charset' in the HTTP header ignored"


def test_control_characters_and_nul_are_stripped_without_degrading_the_feed() -> None:
    body = rss_text("Bad\x00 title\x01\x1b[31m", "Summary\x00 with\x07 bell\x7f and\u202e bidi")
    entry, warning = only_entry(body.encode())
    assert entry.title == "Bad title[31m"
    assert entry.summary == "Summary with bell and bidi"
    assert warning is None


def test_five_megabyte_title_and_summary_are_capped_with_a_marker() -> None:
    huge = "word " * 1_000_000
    entry, _ = only_entry(rss_text(huge, huge).encode())
    assert len(entry.title) == TITLE_MAX_CHARS and entry.title.endswith("word…")
    assert len(entry.summary) <= SUMMARY_MAX_CHARS and entry.summary.endswith("…")
    assert entry.summary.startswith("word word")


def test_escaped_html_heavy_title_is_capped() -> None:
    huge = "&lt;b&gt;bold&lt;/b&gt; " * 200_000
    entry, _ = only_entry(rss_text(huge).encode())
    assert entry.title.startswith("bold bold") and entry.title.endswith("…")
    assert len(entry.title) <= TITLE_MAX_CHARS


ACTIVE = (
    "&lt;script&gt;alert(1)&lt;/script&gt;Hello &lt;img src=x onerror=alert(1)&gt;"
    '&lt;a href="javascript:alert(2)"&gt;world&lt;/a&gt;'
)


@pytest.mark.parametrize(
    "description",
    [
        '&lt;p&gt;Read &lt;a href="javascript:alert(1)"&gt;this&lt;/a&gt;'
        "&lt;script&gt;steal()&lt;/script&gt;&lt;style&gt;p{color:red}&lt;/style&gt;&lt;/p&gt;",
        "<![CDATA[<p>Read <a href='data:text/html,x' onclick='x()'>this</a><iframe srcdoc="
        "'<script>x()</script>'>frame text</iframe><form action='javascript:x'><input></form>"
        "</p>]]>",
    ],
    ids=["escaped", "cdata"],
)
def test_active_content_becomes_plain_text(description: str) -> None:
    entry, _ = only_entry(rss_text(ACTIVE, description).encode())
    assert entry.title == "Hello world"
    assert entry.summary == "Read this"
    for field in (entry.title, entry.summary):
        assert "<" not in field and "javascript" not in field and "alert" not in field


def test_crlf_in_titles_is_folded_to_one_line() -> None:
    entry, _ = only_entry(rss_text("Breaking&#13;&#10;Bcc: victim@example.com\r\n\tmore").encode())
    assert entry.title == "Breaking Bcc: victim@example.com more"


@pytest.mark.parametrize(
    "text", ["{{ 7*7 }}", "{% for x in y %}{{ x }}{% endfor %}", "${7*7} #{7*7}", "@everyone"]
)
def test_template_syntax_is_kept_literally(text: str) -> None:
    entry, _ = only_entry(rss_text(text, text).encode())
    assert (entry.title, entry.summary) == (text, text)


def test_plain_text_comparisons_are_not_mistaken_for_tags() -> None:
    entry, _ = only_entry(rss_text("Inflation &lt; 2% and rates &gt; 4%").encode())
    assert entry.title == "Inflation < 2% and rates > 4%"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two &amp; three</p>", "One\nTwo & three"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("<ul><li>x</li><li>y</li></ul>", "x\ny"),
        ("<div>  lots   of\tspace </div>", "lots of space"),
        ("<script>never closed", ""),
        ("before<svg><text>svg text</text></svg>after", "beforeafter"),
        ("<b>unclosed bold", "unclosed bold"),
        ("&#x1F600; &eacute; &nosuchentity;", "😀 é &nosuchentity;"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize("reference", ["&#xD800;", "&#0;", "&#x1B;", "&#99999999999;", "&#xFFFE;"])
def test_references_to_characters_xml_forbids_are_dropped(reference: str) -> None:
    # &#xD800; used to crash feedparser's loose parser with a UnicodeEncodeError.
    entry, warning = only_entry(rss_text(f"A{reference}B &#233;", f"x{reference}y").encode())
    assert (entry.title, entry.summary, warning) == ("AB é", "xy", None)
