"""parse_feed on every real feed in the shared data: structure, identity and correct letters."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path

import pytest

from monitor.parse import parse_feed
from monitor.parse.text import TITLE_MAX_CHARS, looks_like_markup

FEEDS = "feeds"
URL = "https://example.org/feed.xml"
MOJIBAKE = re.compile("[\ufffd]|Ã[\x80-\xbf¡-¿]|Â[\xa0-\xbf]|â€")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# file -> (version, entries, feed title, a string some entry title must contain)
EXPECTED = {
    "01_bbc_radio4_inourtime.rss2.xml": ("rss20", 1, "In Our Time", "Marcus Aurelius"),
    "02_nbc_newyork.rss2.xml": ("rss20", 1, "NBC New York", "stabbing suspect"),
    "03_spiegel_update.rss2.xml": (
        "rss20", 1, "SPIEGEL Update – Die Nachrichten", "Lockdown-Verlängerung",
    ),
    "04_ilgiornale_cronache.rss2.xml": (
        "rss20", 1, "Il Giornale - Cronache", "In Italia è accusato",
    ),
    "05_ilmessaggero_mondo.rss2.xml": ("rss20", 1, "ilmessaggero.it - mondo", "cosa è successo"),
    "06_inovacaotecnologica_iso8859-1.rss2.xml": (
        "rss20", 1, "RSS Feed do Site Inovação Tecnológica", "Revolução nas telas",
    ),
    "07_nyt_wirecutter.rss2.xml": (
        "rss20", 1, "Wirecutter: Reviews for the Real World", "Board Game",
    ),
    "08_rockpapershotgun_feedburner.rss2.xml": (
        "rss20", 1, "Rock, Paper, Shotgun", "The Sunday Papers",
    ),
    "09_golem_iso8859-1.rdf.xml": ("rss10", 1, "Golem.de", "Glasfaserförderung"),
    "10_debian_news.rdf.xml": ("rss10", 1, "Debian News", "Debian 11"),
    "11_tjrs_iso8859-1.rss091.xml": (
        "rss091u", 1, "Tribunal de Justiça do Estado do Rio Grande do Sul", "Comitê completa",
    ),
    "12_newscred_mediarss.atom.xml": ("atom10", 1, "", "The Day Off: Tampa"),
    "13_youtube_pbs.atom.xml": ("atom10", 1, "PBS Space Time", "Quantum Entanglement"),
    "14_guardian_world.rss2.xml": ("rss20", 55, "The Guardian", "State of the Union"),
    "15_heise_developer.atom.xml": (
        "atom10", 15, "heise developer neueste Meldungen", "Bewerbungen für Vorträge",
    ),
    "16_heraldsun_iso8859-1.rss092.xml": ("rss092", 2, "RSS0.92 Example", "The First Item"),
    "17_uol_noticias.rss2.xml": ("rss", 15, "UOL Noticias", "simulações de 2º turno"),
    "18_jornaldenoticias_iso8859-1.rss2.xml": (
        "rss20", 40, "Jornal de Notícias - Últimas Notícias", "Mãe de utente é a nova presidente",
    ),
    "19_instant_article_content_encoded.rss2.xml": (
        "rss20", 1, "Instant Article Test", "My first Instant Article",
    ),
    "20_science_twis.rdf.xml": ("rss10", 69, "Science twis", "Food for fungi"),
}  # fmt: skip


def test_every_shared_feed_has_an_expectation(shared_data: Path) -> None:
    assert sorted(p.name for p in (shared_data / FEEDS).iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_feed_parses_to_clean_identified_entries(shared_data: Path, name: str) -> None:
    version, count, title, needle = EXPECTED[name]
    feed = parse_feed((shared_data / FEEDS / name).read_bytes(), url=URL)

    assert (feed.version, len(feed.entries), feed.total_entries) == (version, count, count)
    assert feed.title == title
    assert any(needle in entry.title for entry in feed.entries)
    assert len({entry.key for entry in feed.entries}) == len(feed.entries)
    assert all(
        entry.link and entry.link.startswith(("http://", "https://")) for entry in feed.entries
    )
    for entry in feed.entries:
        assert entry.title.strip() and len(entry.title) <= TITLE_MAX_CHARS
        assert "\n" not in entry.title
        for text in (entry.title, entry.summary, entry.author or ""):
            assert not MOJIBAKE.search(text), text
            assert not CONTROL.search(text), text
        assert not looks_like_markup(entry.summary)
        for moment in (entry.published, entry.updated):
            assert moment is None or moment.tzinfo == UTC


def test_xml_declaration_beats_a_generic_utf8_server_label(shared_data: Path) -> None:
    # The server says UTF-8 (a server-wide default); the document declares ISO-8859-1 and is.
    body = (shared_data / FEEDS / "18_jornaldenoticias_iso8859-1.rss2.xml").read_bytes()
    feed = parse_feed(body, url=URL, content_type="application/rss+xml", charset="utf-8")
    assert "Mãe de utente é a nova presidente da Raríssimas" in [e.title for e in feed.entries]
    assert feed.warning is None


def test_latin1_bytes_labelled_utf8_everywhere_fall_back_with_a_warning(shared_data: Path) -> None:
    body = (shared_data / FEEDS / "18_jornaldenoticias_iso8859-1.rss2.xml").read_bytes()
    body = body.replace(b'encoding="ISO-8859-1"', b'encoding="UTF-8"')
    feed = parse_feed(body, url=URL, content_type="application/rss+xml", charset="utf-8")
    assert "Mãe de utente é a nova presidente da Raríssimas" in [e.title for e in feed.entries]
    assert feed.warning == "document declared as utf-8, but parsed as cp1252"


def test_undeclared_latin1_feed_is_decoded_with_a_warning(shared_data: Path) -> None:
    feed = parse_feed((shared_data / FEEDS / "17_uol_noticias.rss2.xml").read_bytes(), url=URL)
    assert feed.warning == "no charset declared and the bytes are not UTF-8; parsed as cp1252"
    assert feed.entries[0].summary.startswith("Líder na pesquisa Ibope")


def test_declared_latin1_feed_decodes_without_warning(shared_data: Path) -> None:
    body = (shared_data / FEEDS / "11_tjrs_iso8859-1.rss091.xml").read_bytes()
    feed = parse_feed(body, url=URL, content_type="text/xml", charset="ISO-8859-1")
    assert feed.warning is None
    assert feed.entries[0].title.startswith(
        "13/08/2020 21:27 - Comitê completa 150 dias de atuação"
    )


def test_shared_feed_dates_and_links(shared_data: Path) -> None:
    feed = parse_feed((shared_data / FEEDS / "07_nyt_wirecutter.rss2.xml").read_bytes(), url=URL)
    (entry,) = feed.entries
    assert entry.key == "https://www.nytimes.com/wirecutter/?p=270973"
    # utm_* tracking parameters are dropped from the canonical link
    assert (
        entry.link == "https://www.nytimes.com/wirecutter/blog/how-to-teach-someone-a-board-game/"
    )
    assert entry.published is not None
    assert entry.published.isoformat() == "2022-09-20T11:00:17+00:00"
