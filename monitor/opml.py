"""OPML import and export of the feed list. Pure: bytes in, specs out, and back."""

from __future__ import annotations

from collections.abc import Iterable
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException

from monitor.domain import FeedSpec
from monitor.errors import MonitorError
from monitor.urls import UnsafeURLError, check_url


class OPMLError(MonitorError):
    """The file is not usable OPML."""


def read_opml(data: bytes) -> tuple[list[FeedSpec], list[str]]:
    """Feeds listed in an OPML document (nested outlines included) and warnings for skipped ones.

    Entities and DTDs are refused (defusedxml), so an OPML file cannot read local files or
    expand into gigabytes.
    """
    try:
        root = SafeElementTree.fromstring(data)
    except DefusedXmlException as exc:
        raise OPMLError(f"OPML refused: {exc}") from None
    except SafeElementTree.ParseError as exc:
        raise OPMLError(f"not valid OPML: {exc}") from None
    if root.tag.lower() != "opml":
        raise OPMLError(f"not OPML: root element is <{root.tag}>")
    specs: list[FeedSpec] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if not url:
            continue  # a folder
        name = outline.get("title") or outline.get("text") or None
        try:
            url = check_url(url)
        except UnsafeURLError as exc:
            warnings.append(f"skipped {url!r}: {exc}")
            continue
        if url in seen:
            continue
        seen.add(url)
        specs.append(FeedSpec(url=url, name=name))
    return specs, warnings


def write_opml(feeds: Iterable[FeedSpec], *, title: str = "monitor feeds") -> bytes:
    """An OPML 2.0 document listing `feeds`."""
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    body = SubElement(root, "body")
    for feed in feeds:
        attrs = {"type": "rss", "xmlUrl": feed.url, "text": feed.name or feed.url}
        if feed.name:
            attrs["title"] = feed.name
        SubElement(body, "outline", attrs)
    document: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return document
