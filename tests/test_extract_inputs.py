"""extract_article on generated pages: encodings, truncation, empty and hostile pages, metadata."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.extract import extract_article

URL = "https://news.example/2024/03/05/story"
SENTENCE = "The committee published its final report on the river crossing on Tuesday. "
BODY = f"<p>{SENTENCE * 4}</p><p>{SENTENCE * 4}</p>"


def page(body: str = BODY, *, head: str = "", html_attrs: str = "", title: str = "A story") -> str:
    return (
        f"<!DOCTYPE html><html{html_attrs}><head><title>{title}</title>{head}</head>"
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright</footer></body></html>"
    )


def extract(html: str | bytes, **kwargs: Any) -> Any:
    data = html.encode("utf-8") if isinstance(html, str) else html
    return extract_article(data, url=kwargs.pop("url", URL), **kwargs)


def test_plain_article() -> None:
    article = extract(page(title="Bridge report published"))
    assert article.has_text
    assert "river crossing" in article.text
    assert "Home" not in article.text
    assert "Copyright" not in article.text
    assert article.title == "Bridge report published"


# --- encodings ------------------------------------------------------------------------------

CYRILLIC = "Правительство опубликовало окончательный доклад о мосте через реку во вторник. "


def cyrillic_page(head: str) -> str:
    return page(f"<p>{CYRILLIC * 4}</p><p>{CYRILLIC * 4}</p>", head=head, title="Доклад о мосте")


@pytest.mark.parametrize(
    ("head", "charset"),
    [
        ('<meta charset="windows-1251">', None),
        ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">', None),
        ("<meta charset=cp1251>", None),
        # The Content-Type header wins over a wrong <meta>.
        ('<meta charset="iso-8859-1">', "windows-1251"),
        # An unusable header label falls back to the <meta>.
        ('<meta charset="windows-1251">', "no-such-charset"),
    ],
)
def test_windows_1251(head: str, charset: str | None) -> None:
    data = cyrillic_page(head).encode("windows-1251")
    article = extract(data, charset=charset)
    assert "окончательный доклад" in article.text
    assert article.title == "Доклад о мосте"
    assert "\ufffd" not in article.text


def test_xml_declaration_does_not_override_the_chosen_charset() -> None:
    html = '<?xml version="1.0" encoding="windows-1251"?>\n' + cyrillic_page(
        '<meta charset="windows-1251">'
    )
    article = extract(html.encode("windows-1251"))
    assert "окончательный доклад" in article.text


def test_byte_order_mark_wins() -> None:
    data = "\ufeff".encode() + cyrillic_page("").encode("utf-8")
    assert "окончательный доклад" in extract(data, charset="windows-1251").text
    utf16 = cyrillic_page('<meta charset="utf-8">').encode("utf-16")  # with its BOM
    assert "окончательный доклад" in extract(utf16).text


def test_undeclared_defaults_to_utf8_with_replacement() -> None:
    data = page(f"<p>{SENTENCE * 4} caf\xe9 \xff</p><p>{SENTENCE * 4}</p>").encode("latin-1")
    article = extract(data)
    assert "caf\ufffd" in article.text


def test_latin1_label_decodes_as_windows_1252() -> None:
    html = page(f"<p>{SENTENCE * 4} \x93quoted\x94</p><p>{SENTENCE * 4}</p>")
    article = extract(html.encode("latin-1"), charset="ISO-8859-1")
    assert "\u201cquoted\u201d" in article.text


@pytest.mark.parametrize("label", ["utf-7", "zlib", "base64", "rot13"])
def test_unsafe_or_non_text_labels_are_ignored(label: str) -> None:
    html = page(
        f"<p>{SENTENCE * 4} +AGEAYgBj-</p><p>{SENTENCE * 4}</p>", head=f"<meta charset={label}>"
    )
    article = extract(html)
    assert "+AGEAYgBj-" in article.text  # read as UTF-8, not decoded as UTF-7


# --- size cap -------------------------------------------------------------------------------


def test_input_is_truncated_at_the_cap() -> None:
    early = "<p>" + SENTENCE * 40 + "</p>"
    late = "<p>" + "The hidden tail sentence must not be read. " * 40 + "</p>"
    html = page(early + "<div>" + "<span>padding</span>" * 2000 + "</div>" + late)
    cap = html.index("The hidden tail")
    article = extract(html, max_input_size=cap)
    assert "river crossing" in article.text
    assert "hidden tail" not in article.text
    assert "hidden tail" in extract(html).text


def test_truncation_cuts_at_a_tag_boundary() -> None:
    html = page(f"<p>{SENTENCE * 10}</p><p>Closing words</p>").encode()
    cap = html.index(b"Closing") + 3  # mid-word, inside the last paragraph's text
    article = extract_article(html, url=URL, max_input_size=cap)
    assert "river crossing" in article.text
    assert "Clo" not in article.text


# --- no text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   ",
        b"\x00\x01\x02\xff\xfe binary",
        b'{"json": "document"}',
        page("<p>Short.</p>", title="Only a title").encode(),
        b"<html><head><title>Menu</title></head><body><nav><a href='/a'>A</a> "
        b"<a href='/b'>B</a></nav></body></html>",
    ],
)
def test_no_article_text_is_not_an_error(data: bytes) -> None:
    article = extract(data)
    assert article.text == ""
    assert not article.has_text


def test_a_short_article_counts() -> None:
    article = extract(
        page("<p>Police closed the bridge after the river rose two metres overnight.</p>")
    )
    assert article.has_text


def test_metadata_is_kept_when_there_is_no_text() -> None:
    article = extract(page("<p>Short.</p>", title="Only a title", html_attrs=' lang="de"'))
    assert article.text == ""
    assert article.title == "Only a title"
    assert article.language == "de"


# --- hostile HTML ---------------------------------------------------------------------------

HOSTILE = f"""<!DOCTYPE html><html lang="en"><head><title>Hostile <script>alert('TITLESCRIPT')
</script>page</title><style>body {{ background: url(javascript:alert('STYLE1')) }}</style>
<script>alert('SCRIPT1'); document.write('<p>WRITTEN</p>')</script></head>
<body><article><h1>Hostile page</h1><p>{SENTENCE * 5}</p>
<p>Click <a href="javascript:alert('JSLINK')">here</a> now.
<img src=x onerror="alert('ONERROR')"></p>
<script type="text/javascript">var leak = 'SCRIPT2';</script>
<iframe srcdoc="<p>SRCDOC</p>" src="javascript:alert('IFRAME')">IFRAMETEXT</iframe>
<noscript><img src="https://t.example/pixel?NOSCRIPT"></noscript>
<style>p {{ color: red }} STYLE2</style>
<svg><script>alert('SVGSCRIPT')</script></svg>
<template><p>TEMPLATETEXT</p></template>
<object data="javascript:alert('OBJECT')">OBJECTTEXT</object>
<form action="javascript:alert('FORM')"><input value="INPUTVAL"><button onclick="alert('BUTTON')">
</button></form>
<p onclick="alert('ONCLICK')" style="background:url(javascript:alert('INLINE'))">{SENTENCE * 3}</p>
<p>Escaped markup is data: &lt;b&gt;bold&lt;/b&gt; stays as text.</p>
</article></body></html>"""


def test_hostile_html_leaks_no_code() -> None:
    article = extract(HOSTILE)
    assert "river crossing" in article.text
    assert "Escaped markup is data: <b>bold</b> stays as text." in article.text
    everything = " ".join(str(v) for v in (article.text, article.title, article.author))
    for marker in (
        "alert", "javascript", "SCRIPT", "STYLE", "WRITTEN", "SRCDOC", "IFRAME", "NOSCRIPT",
        "TEMPLATETEXT", "OBJECT", "INPUTVAL", "onerror", "onclick", "document.write", "{",
    ):  # fmt: skip
        assert marker not in everything, marker


def test_control_characters_are_removed() -> None:
    html = page(
        f"<p>{SENTENCE * 4}\x00\x07 bell\x1b[31m</p><p>{SENTENCE * 4}</p>", title="A\x0bB\x07"
    )
    article = extract(html)
    assert "bell" in article.text
    for text in (article.text, article.title):
        assert not any(ord(c) < 32 and c not in "\n\t" for c in text), repr(text)


# --- language and dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html_attrs", "head", "language"),
    [
        (' lang="en"', "", "en"),
        (' lang="en-US"', "", "en"),
        (" lang=EN_gb", "", "en"),
        (' xml:lang="fr-CA"', "", "fr"),
        (' data-lang="de" lang="ru"', "", "ru"),
        ("", '<meta http-equiv="content-language" content="nl">', "nl"),
        ("", '<meta property="og:locale" content="pt_BR">', "pt"),
        ("", '<meta name="language" content="es, en">', "es"),
        (' lang="eng"', "", None),  # not ISO 639-1
        (' lang=""', "", None),
        (' lang="x-klingon"', "", None),
        ("", "", None),
        ("", '<meta property="og:type" content="article">', None),
    ],
)
def test_language(html_attrs: str, head: str, language: str | None) -> None:
    assert extract(page(head=head, html_attrs=html_attrs)).language == language


@pytest.mark.parametrize(
    ("value", "published"),
    [
        ("2024-03-05T10:30:00+02:00", datetime(2024, 3, 5, 8, 30, tzinfo=UTC)),
        ("2024-03-05T10:30:00Z", datetime(2024, 3, 5, 10, 30, tzinfo=UTC)),
        ("2024-03-05T23:30:00-05:00", datetime(2024, 3, 6, 4, 30, tzinfo=UTC)),
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        # No clock here: a future date is kept as given (the pipeline never orders by it).
        ("2099-01-01T00:00:00+00:00", datetime(2099, 1, 1, tzinfo=UTC)),
        ("yesterday-ish", None),
    ],
)
def test_published(value: str, published: datetime | None) -> None:
    head = f'<meta property="article:published_time" content="{value}">'
    article = extract(page(head=head), url="https://news.example/story")
    assert article.published == published


def test_author_and_site_name() -> None:
    head = '<meta name="author" content="Jane Doe"><meta property="og:site_name" content="Daily">'
    article = extract(page(head=head))
    assert article.author == "Jane Doe"
    assert article.site_name == "Daily"


# --- never fetches --------------------------------------------------------------------------

_AUDITED = ("socket.", "urllib.", "http.", "open", "os.listdir", "subprocess.", "os.system")
_recording: list[list[tuple[str, tuple[Any, ...]]]] = []
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _recording and event.startswith(_AUDITED):
        _recording[-1].append((event, args))


@contextmanager
def recorded_io() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Every socket, URL, file and process event raised while the block runs (audit hooks)."""
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)  # cannot be removed; records only inside this block
        _hook_installed = True
    events: list[tuple[str, tuple[Any, ...]]] = []
    _recording.append(events)
    try:
        yield events
    finally:
        _recording.pop()


def test_never_fetches_urls_or_reads_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SENTINEL-4d1f")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    remote = f"http://127.0.0.1:{port}"
    html = f"""<!DOCTYPE html SYSTEM "{remote}/doctype.dtd" [
<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY web SYSTEM "{remote}/entity">]>
<html lang="en"><head><title>Lures</title><base href="{remote}/">
<link rel="canonical" href="{remote}/canonical"><link rel="stylesheet" href="file://{secret}">
<meta http-equiv="refresh" content="0; url={remote}/refresh"><script src="{remote}/x.js"></script>
</head><body><article><p>{SENTENCE * 4} &xxe; &web;</p><p>{SENTENCE * 4}</p>
<img src="file://{secret}"><iframe src="{remote}/frame"></iframe></article></body></html>"""
    try:
        extract(html, url=f"{remote}/article")  # warm-up: trafilatura imports lazily
        with recorded_io() as events:
            article = extract(html, url=f"{remote}/article")
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected, not even from C code (libxml2)
    finally:
        listener.close()
    assert events == []
    assert "river crossing" in article.text
    assert "SENTINEL" not in article.text
