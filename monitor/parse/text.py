"""Feed text fields to safe plain text: tags stripped, control characters removed, capped. Pure."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

TITLE_MAX_CHARS = 1_000
SUMMARY_MAX_CHARS = 20_000
TRUNCATION_MARK = "…"

# Raw input beyond these lengths is cut before any HTML is parsed, so a 5 MB title costs little.
_RAW_TITLE_MAX = 20 * TITLE_MAX_CHARS
_RAW_SUMMARY_MAX = 10 * SUMMARY_MAX_CHARS

# C0/C1 controls except tab, newline and carriage return; also non-characters and bidi overrides
# that can disguise text in a digest.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_ANY_SPACE = re.compile(r"\s+")
# A complete tag, end tag or comment: "a<b" stays text, "<b>x</b>" does not.
_MARKUP = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|!--)")

# Elements whose content is never text a reader should see.
_HIDDEN = frozenset(
    {"script", "style", "template", "iframe", "object", "svg", "math", "noscript", "head", "select"}
)
# Elements that end a line of text.
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
        "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip


class _TextCollector(HTMLParser):
    """Collects the visible text of an HTML fragment; links, scripts and attributes vanish."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden[tag] = self._hidden.get(tag, 0) + 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            if self._hidden.get(tag):
                self._hidden[tag] -= 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not any(self._hidden.values()):
            self.parts.append(data)


def strip_controls(text: str) -> str:
    """`text` without NUL, other control characters, non-characters and bidi overrides."""
    return _CONTROL.sub("", text)


def looks_like_markup(text: str) -> bool:
    """True when `text` contains at least one complete HTML tag or comment."""
    return _MARKUP.search(text) is not None


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, one line per block (no blank lines), entities decoded."""
    collector = _TextCollector()
    collector.feed(strip_controls(html))
    collector.close()
    return "\n".join(line for line in tidy_text("".join(collector.parts)).split("\n") if line)


def tidy_text(text: str) -> str:
    """Controls removed, runs of spaces collapsed, at most one blank line between paragraphs."""
    text = strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = (_HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def one_line(text: str) -> str:
    """Controls removed and all whitespace (CR and LF included) folded to single spaces."""
    return _ANY_SPACE.sub(" ", strip_controls(text)).strip()


def truncate(text: str, limit: int, *, cut: bool = False) -> str:
    """`text` capped at `limit` characters, ending in "…" when shortened (or when `cut`)."""
    if len(text) <= limit and not cut:
        return text
    return text[: limit - len(TRUNCATION_MARK)].rstrip() + TRUNCATION_MARK


def clean_title(raw: str | None, *, is_html: bool = False) -> str:
    """A single-line plain-text title of at most TITLE_MAX_CHARS characters."""
    raw = raw or ""
    cut = len(raw) > _RAW_TITLE_MAX
    raw = unicodedata.normalize("NFC", raw[:_RAW_TITLE_MAX])
    text = html_to_text(raw) if is_html or looks_like_markup(raw) else raw
    return truncate(one_line(text), TITLE_MAX_CHARS, cut=cut)


def clean_summary(raw: str | None, *, is_html: bool = True) -> str:
    """Plain-text summary (paragraphs kept as lines) of at most SUMMARY_MAX_CHARS characters."""
    raw = raw or ""
    cut = len(raw) > _RAW_SUMMARY_MAX
    raw = unicodedata.normalize("NFC", raw[:_RAW_SUMMARY_MAX])
    text = html_to_text(raw) if is_html or looks_like_markup(raw) else tidy_text(raw)
    return truncate(text, SUMMARY_MAX_CHARS, cut=cut)


def clean_label(raw: str | None, limit: int = TITLE_MAX_CHARS) -> str | None:
    """A short single-line value (author, guid) or None when empty."""
    if not raw:
        return None
    text = truncate(one_line(raw[: 4 * limit]), limit, cut=len(raw) > 4 * limit)
    return text or None
