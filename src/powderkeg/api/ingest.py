"""``POST /api/ingest``: one page or text through the pipeline into the server's database.

The same path as ``powderkeg ingest`` for one JSONL record: extraction, coding, then the article,
its sentences and events in one transaction. Already-stored content changes nothing. Ingests are
serialised (one writer, one spaCy pipeline); reads go on meanwhile. Every event is stored; the
answer lists those shown at ``min_confidence``, as the rest of the API does.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from powderkeg.api.db import Database
from powderkeg.extract import extract, failed
from powderkeg.model import Article, Document, Status
from powderkeg.pipeline import IngestReport, Pipeline
from powderkeg.store import Store, confidence_sql


@dataclass
class IngestResult:
    article_id: str
    status: str
    reason: str | None
    stored: bool
    events: list[str] = field(default_factory=list)


def token_matches(given: str | None, expected: str) -> bool:
    """Compare a presented token with the configured one in constant time; no token configured
    never matches."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def document(
    text: str | None,
    html: str | None,
    doc_id: str | None = None,
    title: str | None = None,
    url: str | None = None,
    published: str | None = None,
) -> Document:
    """The Document a posted record stands for (as a JSONL record: ``html`` is a page to extract)."""
    body, kind = (html, "html") if html is not None else (text or "", "record")
    origin = "api:" + (doc_id or url or "post")
    return Document(origin=origin, kind=kind, raw=body, doc_id=doc_id, title=title, url=url, published=published)


def ingest(db: Database, pipeline: Pipeline, doc: Document, min_confidence: float = 0.0) -> IngestResult:
    try:
        article = extract(doc, pipeline.settings)
    except Exception as exc:  # extraction is written not to raise; this is the last guard
        article = failed(doc.origin, Status.ERROR, f"extraction failed: {type(exc).__name__}: {exc}")
    with db.writing() as store:
        if store.known([article.article_id]):
            return _stored(store, article, min_confidence)
        coded = next(pipeline.code_articles([article]))
        report = IngestReport()
        # what `powderkeg ingest` does with each coded article: store it (merging reports of events
        # already stored) and give it its story
        with pipeline.recorder(store, report) as recorder:
            recorder.add(coded)
        return IngestResult(
            article_id=coded.article.article_id,
            status=str(coded.article.status),
            reason=coded.article.reason,
            stored=report.unchanged == 0,
            events=_shown_event_ids(store, coded.article.article_id, min_confidence),
        )


def _stored(store: Store, article: Article, min_confidence: float) -> IngestResult:
    row = store.con.execute("SELECT status, reason FROM articles WHERE article_id = ?", [article.article_id]).fetchone()
    status, reason = row if row else (str(article.status), article.reason)
    events = _shown_event_ids(store, article.article_id, min_confidence)
    return IngestResult(article.article_id, status, reason, stored=False, events=events)


def _shown_event_ids(store: Store, article_id: str, min_confidence: float) -> list[str]:
    """The ids of an article's stored events shown at ``min_confidence``, in text order."""
    shown, params = confidence_sql(min_confidence, mentions=True)
    rows = store.con.execute(
        f"SELECT e.event_id FROM events e WHERE e.article_id = ? AND {shown} ORDER BY e.sentence_start, e.event_id",
        [article_id, *params],
    )
    return [r[0] for r in rows.fetchall()]
