"""Coded articles as Arrow tables, and back.

The columns are the store's (``powderkeg.store``): articles with their status, sentences, and
events with the contract's scalar fields as columns, the actors as lists of structs, and the whole
event contract as ``json``. Events are written partitioned by their date (``date=YYYY-MM-DD``
folders, the Hive convention), so the event date is in the folder name, not in the files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa

from powderkeg.model import Actor, Article, Event, Place, Status, parse_date
from powderkeg.pipeline import Coded
from powderkeg.store import SentenceSpan

ACTOR = pa.struct(
    [
        ("text", pa.string()),
        ("code", pa.string()),
        ("country", pa.string()),
        ("sector", pa.string()),
        ("org", pa.string()),
        ("ethnicity", pa.string()),
        ("religion", pa.string()),
        ("assumed", pa.bool_()),
    ]
)
PLACE = pa.struct(
    [
        ("name", pa.string()),
        ("country", pa.string()),
        ("admin1", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("precision", pa.string()),
        ("geonameid", pa.int64()),
    ]
)
ARTICLES = pa.schema(
    [
        ("article_id", pa.string()),
        ("origin", pa.string()),
        ("doc_id", pa.string()),
        ("title", pa.string()),
        ("url", pa.string()),
        ("site", pa.string()),
        ("author", pa.string()),
        ("published", pa.date32()),
        ("language", pa.string()),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("text", pa.string()),
        ("n_events", pa.int32()),
    ]
)
SENTENCES = pa.schema(
    [
        ("article_id", pa.string()),
        ("idx", pa.int32()),
        ("start_char", pa.int32()),
        ("end_char", pa.int32()),
        ("text", pa.string()),
    ]
)
EVENTS = pa.schema(
    [
        ("event_id", pa.string()),
        ("article_id", pa.string()),
        ("type", pa.string()),
        ("mode", pa.string()),
        ("cameo", pa.string()),
        ("quad", pa.int32()),
        ("intensity", pa.float64()),
        ("goldstein", pa.float64()),
        ("acled_type", pa.string()),
        ("acled_subtype", pa.string()),
        ("source_country", pa.string()),
        ("target_country", pa.string()),
        ("date_precision", pa.string()),
        ("location_name", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("fatalities", pa.int32()),
        ("injuries", pa.int32()),
        ("negated", pa.bool_()),
        ("hypothetical", pa.bool_()),
        ("historical", pa.bool_()),
        ("modality", pa.string()),
        ("sentence", pa.string()),
        ("sentence_start", pa.int32()),
        ("sentence_end", pa.int32()),
        ("trigger", pa.string()),
        ("rule", pa.string()),
        ("confidence", pa.float64()),
        ("mentions", pa.int32()),
        ("sources", pa.int32()),
        ("source", pa.list_(ACTOR)),
        ("target", pa.list_(ACTOR)),
        ("location", PLACE),
        ("json", pa.string()),
    ]
)
NO_DATE = "__HIVE_DEFAULT_PARTITION__"  # the Hive name for a null partition value; DuckDB reads it as NULL


def _actor(a: Actor) -> dict[str, Any]:
    return {
        "text": a.text,
        "code": a.code,
        "country": a.country,
        "sector": a.sector,
        "org": a.org,
        "ethnicity": a.ethnicity,
        "religion": a.religion,
        "assumed": a.assumed,
    }


def _place(p: Place | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {name: getattr(p, name, None) for name in PLACE.names}


def article_row(article: Article, n_events: int) -> dict[str, Any]:
    return {
        "article_id": article.article_id,
        "origin": article.origin,
        "doc_id": article.doc_id,
        "title": article.title,
        "url": article.url,
        "site": article.site,
        "author": article.author,
        "published": article.published,
        "language": article.language,
        "status": str(article.status),
        "reason": article.reason,
        "text": article.text,
        "n_events": n_events,
    }


def event_row(event: Event) -> dict[str, Any]:
    """The store's event columns (``Store._insert_event``), the actors and place as structs, the contract as JSON."""
    loc = event.location
    return {
        "event_id": event.event_id,
        "article_id": event.article_id,
        "type": event.type,
        "mode": event.mode,
        "cameo": event.cameo,
        "quad": event.quad,
        "intensity": event.intensity,
        "goldstein": event.goldstein,
        "acled_type": event.acled_type,
        "acled_subtype": event.acled_subtype,
        "source_country": next((a.country for a in event.source if a.country), None),
        "target_country": next((a.country for a in event.target if a.country), None),
        "date_precision": event.date_precision,
        "location_name": loc.name if loc else None,
        "lat": loc.lat if loc else None,
        "lon": loc.lon if loc else None,
        "fatalities": event.fatalities,
        "injuries": event.injuries,
        "negated": event.negated,
        "hypothetical": event.hypothetical,
        "historical": event.historical,
        "modality": event.modality,
        "sentence": event.sentence,
        "sentence_start": event.sentence_start,
        "sentence_end": event.sentence_end,
        "trigger": event.trigger,
        "rule": event.rule,
        "confidence": event.confidence,  # unrounded, as the store keeps it; the JSON has 3 decimals
        "mentions": event.mentions,
        "sources": event.sources,
        "source": [_actor(a) for a in event.source],
        "target": [_actor(a) for a in event.target],
        "location": _place(loc),
        "json": json.dumps(event.to_dict(), ensure_ascii=False),
    }


def partition(event: Event) -> str:
    """The event's date folder: ``date=YYYY-MM-DD``, or the Hive null partition when it has no date."""
    day = parse_date(event.date)
    return f"date={day.isoformat() if day else NO_DATE}"


@dataclass
class ShardTables:
    """One shard's coded output, in input order."""

    articles: pa.Table
    sentences: pa.Table
    events: dict[str, pa.Table]  # by partition folder, e.g. "date=2024-05-07"
    statuses: dict[str, int] = field(default_factory=dict)
    documents: int = 0  # documents read, including repeats of an article already in the shard
    repeated: int = 0  # documents whose text an earlier document of the shard already had
    skipped: dict[str, int] = field(default_factory=dict)  # archive records that are no documents, by kind

    @property
    def n_events(self) -> int:
        return sum(t.num_rows for t in self.events.values())


def tables(coded: Iterable[Coded]) -> tuple[pa.Table, pa.Table, dict[str, pa.Table], dict[str, int]]:
    """Articles, sentences and events (by date partition) of coded articles, and counts by status."""
    articles: list[dict[str, Any]] = []
    sentences: list[dict[str, Any]] = []
    events: dict[str, list[dict[str, Any]]] = {}
    statuses: dict[str, int] = {}
    for item in coded:
        article = item.article
        status = str(article.status)
        statuses[status] = statuses.get(status, 0) + 1
        articles.append(article_row(article, len(item.events)))
        sentences.extend(
            {"article_id": article.article_id, "idx": s.idx, "start_char": s.start, "end_char": s.end, "text": s.text}
            for s in item.sentences
        )
        for event in item.events:
            events.setdefault(partition(event), []).append(event_row(event))
    return (
        pa.Table.from_pylist(articles, schema=ARTICLES),
        pa.Table.from_pylist(sentences, schema=SENTENCES),
        {key: pa.Table.from_pylist(rows, schema=EVENTS) for key, rows in sorted(events.items())},
        statuses,
    )


# -- back to model objects (powderkeg load) -----------------------------------------------------


def article_from_row(row: dict[str, Any]) -> Article:
    published = row["published"]
    return Article(
        article_id=row["article_id"],
        origin=row["origin"],
        text=row["text"] or "",
        title=row["title"],
        url=row["url"],
        site=row["site"],
        author=row["author"],
        published=published if isinstance(published, date) or published is None else parse_date(published),
        language=row["language"],
        status=Status(row["status"]),
        reason=row["reason"],
        doc_id=row["doc_id"],
    )


def sentence_from_row(row: dict[str, Any]) -> SentenceSpan:
    return SentenceSpan(row["idx"], row["start_char"], row["end_char"], row["text"])


def _actor_from_dict(d: dict[str, Any]) -> Actor:
    known = set(Actor.__dataclass_fields__)
    actor = Actor(**{k: v for k, v in d.items() if k in known})
    actor.text = actor.text or ""
    return actor


def event_from_row(row: dict[str, Any]) -> Event:
    """An Event from its contract JSON (with the unrounded confidence of its column): every field
    of the contract that is a field of :class:`Event` survives the round trip, including fields
    added to the contract after this was written."""
    d = json.loads(row["json"])
    known = set(Event.__dataclass_fields__)
    values = {k: v for k, v in d.items() if k in known}
    values["source"] = [_actor_from_dict(a) for a in d.get("source") or []]
    values["target"] = [_actor_from_dict(a) for a in d.get("target") or []]
    loc = d.get("location")
    place_fields = set(Place.__dataclass_fields__)
    values["location"] = Place(**{k: v for k, v in loc.items() if k in place_fields}) if loc else None
    if row.get("confidence") is not None:
        values["confidence"] = row["confidence"]
    return Event(**values)
