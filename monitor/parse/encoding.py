"""Feed bytes to UTF-8 XML: BOM, HTTP charset and XML declaration resolved as a browser would. Pure.

Order: a byte-order mark (or UTF-16/32 byte pattern) wins; then a body that is valid UTF-8 and
holds non-ASCII bytes is UTF-8 (legacy bytes almost never form valid UTF-8, while wrong charset
labels are common); then the HTTP charset, then the XML declaration (the declaration wins over a
generic server default such as ISO-8859-1), then UTF-8. Labels map as in the WHATWG Encoding
Standard (ISO-8859-1 and US-ASCII decode as windows-1252, Shift_JIS as cp932, GB2312 as GB18030).
When the chosen charset cannot decode the bytes, the next candidate is used and a warning says so.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from monitor.parse.text import strip_controls

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PATTERNS = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
    (b"Lo\xa7\x94", "cp037"),  # "<?xm" in EBCDIC
)
# WHATWG label mapping for the legacy encodings where Python's codec is narrower than browsers'.
_BROWSER_EQUIVALENT = {
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
}
# Labels servers send by default, weaker evidence than the document's own declaration.
_GENERIC = frozenset({"cp1252", "utf-8"})
_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_DECLARATION_TEXT = re.compile(r"^\s*<\?xml[^>]*?\?>")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9A-Fa-f]{1,16})|([0-9]{1,16}));")
UTF8_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'


@dataclass(frozen=True, slots=True)
class DecodedXml:
    data: bytes  # UTF-8, starting with UTF8_DECLARATION, XML-invalid characters removed
    encoding: str  # the codec actually used
    warning: str | None  # set when a label was unknown or did not fit the bytes


def codec_name(label: str | None) -> str | None:
    """Python codec for a charset label, mapped to its browser equivalent; None when unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return _BROWSER_EQUIVALENT.get(name, name)


def sniff_unicode(body: bytes) -> tuple[str, int] | None:
    """(codec, bytes to skip) from a byte-order mark or a UTF-16/32 byte pattern, else None."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            if name == "utf-16-le" and body[2:4] == b"\x00\x00":
                continue  # that was a UTF-32 LE BOM, handled above
            return name, len(bom)
    for pattern, name in _PATTERNS:
        if body.startswith(pattern):
            return name, 0
    return None


def declared_encoding(body: bytes) -> str | None:
    """The encoding label in the XML declaration of an ASCII-compatible body, if any."""
    match = _DECLARATION.match(body[:1024])
    return match.group(1).decode("ascii") if match else None


def decode_xml(body: bytes, http_charset: str | None) -> DecodedXml:
    """Decode `body` and re-encode it as UTF-8 with a matching XML declaration."""
    notes: list[str] = []
    candidates: list[str] = []
    sniffed = sniff_unicode(body)
    if sniffed is not None:
        candidates.append(sniffed[0])
        body = body[sniffed[1] :]
    http = codec_name(http_charset)
    if http_charset and http is None:
        notes.append(f"unknown charset {http_charset[:40]!r} in the HTTP header ignored")
    declared_label = declared_encoding(body) if sniffed is None else None
    declared = codec_name(declared_label)
    if declared_label and declared is None:
        notes.append(f"unknown charset {declared_label!r} in the XML declaration ignored")
    if _is_utf8_with_non_ascii(body):
        candidates.append("utf-8")
    if http and declared and http != declared and http in _GENERIC:
        candidates += [declared, http]
    candidates += [name for name in (http, declared) if name]
    labelled = candidates[0] if candidates else "utf-8"
    text, used = _decode_first(body, [*candidates, "utf-8", "cp1252", "latin-1"])
    if not candidates and used != "utf-8":
        notes.append(f"no charset declared and the bytes are not UTF-8; parsed as {used}")
    elif candidates and used != labelled:
        notes.append(f"document declared as {labelled}, but parsed as {used}")
    text = _DECLARATION_TEXT.sub("", text.lstrip("\ufeff \t\r\n"), count=1)
    text = _CHARACTER_REFERENCE.sub(_drop_invalid_reference, _XML_INVALID.sub("", text))
    data = (UTF8_DECLARATION + text).encode("utf-8", "replace")
    return DecodedXml(data=data, encoding=used, warning="; ".join(notes) or None)


def decode_text(body: bytes, charset: str | None) -> str:
    """Best-effort text of a non-XML body (JSON, HTML sniffing); never raises."""
    sniffed = sniff_unicode(body)
    if sniffed is not None:
        body = body[sniffed[1] :]
    names = [sniffed[0]] if sniffed else []
    names += [name for name in ("utf-8", codec_name(charset)) if name]
    return strip_controls(_decode_first(body, [*names, "cp1252", "latin-1"])[0])


def _drop_invalid_reference(match: re.Match[str]) -> str:
    """Keep `&#...;` only when it names a character XML allows (feedparser crashes on some)."""
    hexadecimal, decimal = match.groups()
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    allowed = (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
    return match.group(0) if allowed else ""


def _is_utf8_with_non_ascii(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_first(body: bytes, names: list[str]) -> tuple[str, str]:
    for name in dict.fromkeys(names):
        try:
            return body.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("latin-1"), "latin-1"  # unreachable: latin-1 decodes every byte
