"""RSS and Atom feeds: telling a feed from a page, reading its entries (feedparser), and reading
a list of feeds from a file.

A malformed feed is read as far as feedparser gets: the entries it recovered go on to be fetched,
and the feed gets a status and a reason saying what was wrong with it.
"""

from __future__ import annotations

import calendar
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urldefrag, urljoin
from xml.etree import ElementTree

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)
XML_TYPES = frozenset({"application/xml", "text/xml", "application/x-xml", "text/rss+xml", "text/atom+xml"})
_ROOT = re.compile(rb"<(rss|feed|rdf:RDF|RDF)[\s>]", re.IGNORECASE)
_PROLOG = re.compile(rb"^(\s|<\?xml[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>|<\?xml-stylesheet[^>]*\?>)*", re.DOTALL)


def looks_like_feed(content_type: str, body: bytes) -> bool:
    """Whether a response is a feed: by its content type, else by its first element (a
    ``<rss>``, ``<feed>`` or ``<rdf:RDF>`` root after the XML prolog)."""
    if content_type in FEED_TYPES:
        return True
    if content_type and content_type not in XML_TYPES and content_type != "text/plain" and "xml" not in content_type:
        if content_type in ("text/html", "application/xhtml+xml"):
            return _sniff(body)  # feeds served as text/html happen
        return False
    return _sniff(body)


def _sniff(body: bytes) -> bool:
    head = body[:4096].lstrip(b"\xef\xbb\xbf")
    prolog = _PROLOG.match(head)
    rest = head[prolog.end() if prolog else 0 :]
    return bool(_ROOT.match(rest))


@dataclass(frozen=True)
class Entry:
    url: str
    title: str | None = None
    published: str | None = None  # ISO date-time, UTC
    feed: str = ""  # the feed's URL


@dataclass
class ParsedFeed:
    url: str
    title: str | None = None
    entries: list[Entry] = field(default_factory=list)
    problem: str | None = None  # what was wrong with it, when something was
    usable: bool = True  # False: not a feed at all


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """The entries of a feed. Never raises: a malformed feed gives the entries feedparser could
    recover and a ``problem``; something that is no feed at all gives ``usable=False``."""
    import feedparser

    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    try:
        parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=False)
    except Exception as exc:  # feedparser is written not to raise; this is the last guard
        return ParsedFeed(url, problem=f"feed parser failed: {type(exc).__name__}: {exc}", usable=False)
    feed = ParsedFeed(url, title=_text(parsed.feed.get("title")))
    skipped = 0
    seen: set[str] = set()
    for item in parsed.entries:
        link = _entry_link(item, url)
        if not link or link in seen:
            skipped += not link
            continue
        seen.add(link)
        feed.entries.append(Entry(link, _text(item.get("title")), _published(item), url))
    problems: list[str] = []
    if parsed.bozo and not _benign(parsed.get("bozo_exception")):
        exc = parsed.get("bozo_exception")
        what = _first_line(exc) if exc is not None else "unknown error"
        if not parsed.get("version") and not feed.entries:
            feed.usable = False
            feed.problem = f"not a readable RSS/Atom feed: {what}"
            return feed
        problems.append(f"malformed feed ({what}); {len(feed.entries)} entries read anyway")
    elif not parsed.get("version") and not feed.entries:
        feed.usable = False
        feed.problem = "not an RSS/Atom feed"
        return feed
    if skipped:
        problems.append(f"{skipped} entries without a link skipped")
    feed.problem = "; ".join(problems) or None
    return feed


def _benign(exc: object) -> bool:
    """feedparser's bozo for an encoding label that did not match the bytes is not a broken feed."""
    import feedparser

    return isinstance(exc, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType)


def _entry_link(item: dict, base: str) -> str | None:
    link = item.get("link")
    if not link:
        for candidate in item.get("links", []) or []:
            if candidate.get("href") and candidate.get("rel", "alternate") == "alternate":
                link = candidate["href"]
                break
    if not link and str(item.get("id", "")).startswith(("http://", "https://")):
        link = item["id"]
    if not link:
        return None
    return urldefrag(urljoin(base, str(link).strip()))[0]


def _published(item: dict) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = item.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC).isoformat()
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _text(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None


def _first_line(exc: object) -> str:
    lines = str(exc).strip().splitlines()
    first = lines[0].replace("<unknown>:", "line ") if lines else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


# -- lists of feeds ------------------------------------------------------------------------------


_COMMENT = re.compile(r"(^|\s)#.*$")  # a '#' inside a URL is a fragment, not a comment


class FeedListError(ValueError):
    """A list of feeds that cannot be read."""


def read_feed_list(path: str | Path) -> list[str]:
    """Feed URLs from a file: one per line (blank lines and ``#`` comments ignored), or an OPML
    export of a feed reader (its ``xmlUrl`` attributes). Duplicates are dropped, order kept."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FeedListError(f"cannot read the feed list {path}: {exc.strerror or exc}") from exc
    text = raw.decode("utf-8", errors="replace")
    if text.lstrip().startswith("<"):
        try:
            root = ElementTree.fromstring(raw)
        except ElementTree.ParseError as exc:
            raise FeedListError(f"{path}: not a valid OPML file ({exc})") from exc
        urls = [o.attrib["xmlUrl"].strip() for o in root.iter("outline") if o.attrib.get("xmlUrl", "").strip()]
    else:
        urls = [_COMMENT.sub("", line).strip() for line in text.splitlines()]
        urls = [u for u in urls if u]
    return _unique(urls)


def _unique(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))
