"""Web archives: WARC and ARC files, gzip'd or not (warcio), e.g. Common Crawl's news archives.

Only HTTP 200 responses with an HTML content type are documents; every other record is skipped
and counted by kind (requests, metadata, revisits, redirects and other non-200 answers, images,
scripts, ...). A document's origin is ``archive:offset`` (the record's byte offset, so it is
stable), its ``url`` the record's target URI. Its publication date is the page's own when
trafilatura finds one; otherwise the HTTP Last-Modified, or else the capture date (WARC-Date):
news archives are captured within hours of publication.

Reading never raises on bad input: a record too large becomes a ``too_large`` article, a damaged
archive a failed article saying after how many records it broke, and the records read before
that are kept.
"""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from powderkeg.config import Settings
from powderkeg.extract import extract, failed
from powderkeg.model import Article, Document, Status, parse_date

SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(SUFFIXES)


def read_archive(path: Path, settings: Settings, skipped: Counter[str] | None = None) -> Iterator[Article]:
    """The HTML pages of an archive as Articles, extracted; other records counted in ``skipped``."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    skipped = skipped if skipped is not None else Counter()
    origin = str(path)
    records = 0
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield failed(origin, Status.ERROR, f"cannot read file: {exc.strerror or exc}")
        return
    with handle:
        problem = _not_an_archive(handle)
        if problem:
            yield failed(origin, Status.INVALID, problem, problem)
            return
        iterator = ArchiveIterator(handle, arc2warc=True)
        try:
            for record in iterator:
                records += 1
                article = _document(record, iterator, origin, settings, skipped)
                if article is not None:
                    yield article
        except Exception as exc:  # warcio raises assorted errors on damaged input, not only ArchiveLoadFailed
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0].strip()
            if records == 0 and isinstance(exc, ArchiveLoadFailed | zlib.error | EOFError | ValueError):
                yield failed(origin, Status.INVALID, f"not a readable WARC/ARC archive: {first}", first)
            else:
                reason = f"archive damaged after {records} record(s): {type(exc).__name__}: {first}"
                yield failed(origin, Status.ERROR, reason, f"{records}:{first}")


def _not_an_archive(handle: BinaryIO) -> str | None:
    """A reason when the file does not start like a WARC (``WARC/``) or an ARC (``filedesc://``)
    file, plain or gzip'd; the handle is left at the start."""
    head = handle.read(2)
    handle.seek(0)
    try:
        if head == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=handle) as unzipped:
                head = unzipped.read(16)
        else:
            head = handle.read(16)
    except (OSError, EOFError, zlib.error) as exc:
        return f"not a readable WARC/ARC archive: {exc}"
    finally:
        handle.seek(0)
    if head.startswith((b"WARC/", b"filedesc:")):
        return None
    return f"not a WARC/ARC archive: it starts with {head[:16]!r}"


def _document(record: Any, iterator: Any, path: str, settings: Settings, skipped: Counter[str]) -> Article | None:
    from powderkeg.sources.web import HTML_TYPES, decode_html, http_date  # deferred: httpx costs 0.1 s to import

    rtype = getattr(record, "rec_type", None)
    if rtype != "response":
        skipped[f"{rtype or 'unknown'} records"] += 1
        return None
    http = record.http_headers
    if http is None:
        skipped["responses without HTTP headers"] += 1
        return None
    code = http.get_statuscode()
    if code != "200":
        skipped[f"HTTP {code} responses"] += 1
        return None
    content_type = http.get_header("content-type") or ""
    if content_type.split(";")[0].strip().lower() not in HTML_TYPES:
        skipped["non-HTML responses"] += 1
        return None
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI")
    body = record.content_stream().read(settings.max_bytes + 1)
    origin = f"{path}:{iterator.get_record_offset()}"  # only after the read: asking reads the record to its end
    if len(body) > settings.max_bytes:
        reason = f"page over the {settings.max_bytes / 1e6:g} MB limit (max_bytes)"
        article = failed(origin, Status.TOO_LARGE, reason, url or "")
        article.url = url
        return article
    document = Document(origin=origin, kind="html", raw=decode_html(body, content_type).text, url=url)
    try:
        article = extract(document, settings)
    except Exception as exc:  # extraction is written not to raise; this is the last guard
        return failed(origin, Status.ERROR, f"extraction failed: {type(exc).__name__}: {exc}", url or "")
    if article.status is Status.OK and article.published is None:
        captured = parse_date(headers.get_header("WARC-Date"))
        modified = parse_date(http_date(http.get_header("last-modified")))
        article.published = modified if modified and (captured is None or modified <= captured) else captured
    return article
