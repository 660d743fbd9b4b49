"""Request and response bodies of the HTTP API: what the OpenAPI schema documents.

Events are the contract of ``docs/formats.md`` (v1); fields a later version adds pass through
(``extra="allow"``), so the API never drops what the coder stored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ActorOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    text: str | None = None
    code: str | None = None
    country: str | None = None
    sector: str | None = None
    org: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    assumed: bool | None = None


class PlaceOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str | None = None
    country: str | None = None
    admin1: str | None = None
    lat: float | None = None
    lon: float | None = None
    precision: str | None = None
    geonameid: int | None = None


class EventOut(BaseModel):
    """One coded event (the event JSON contract v1)."""

    model_config = ConfigDict(extra="allow")

    event_id: str
    type: str
    mode: str | None = None
    cameo: str | None = None
    quad: int | None = None
    intensity: float | None = None
    goldstein: float | None = None
    acled_type: str | None = None
    acled_subtype: str | None = None
    source: list[ActorOut] = Field(default_factory=list)
    target: list[ActorOut] = Field(default_factory=list)
    date: str | None = None
    date_precision: str | None = None
    location: PlaceOut | None = None
    fatalities: int | None = None
    injuries: int | None = None
    negated: bool = False
    hypothetical: bool = False
    historical: bool = False
    modality: str | None = None
    sentence: str
    sentence_start: int | None = None
    sentence_end: int | None = None
    trigger: str | None = None
    article_id: str
    mentions: int | None = None
    sources: int | None = None
    confidence: float | None = None
    rule: str | None = None


class EventPage(BaseModel):
    total: int = Field(description="How many events match the filters")
    limit: int
    offset: int
    events: list[EventOut]


class Point(BaseModel):
    event_id: str
    date: str | None
    lat: float
    lon: float
    type: str
    quad: int | None
    location_name: str | None


class Points(BaseModel):
    total: int = Field(description="How many matching events have coordinates")
    truncated: bool = Field(description="True when only the newest of them are listed")
    points: list[Point]


class ArticleMeta(BaseModel):
    article_id: str
    title: str | None = None
    url: str | None = None
    site: str | None = None
    author: str | None = None
    published: str | None = None
    status: str
    origin: str


class SentenceOut(BaseModel):
    idx: int
    start: int
    end: int
    text: str
    event: bool | None = Field(None, description="The sentence holds the event (in an event's context)")


class Mention(BaseModel):
    event_id: str
    article_id: str
    title: str | None = None
    url: str | None = None
    site: str | None = None
    published: str | None = None
    sentence: str | None = None
    sentence_start: int | None = None
    sentence_end: int | None = None


class EventDetail(BaseModel):
    event: EventOut
    article: ArticleMeta | None = Field(description="The article the event was coded from")
    mentions: list[Mention] = Field(
        description="Every report of the real-world event: the canonical one first, then the reports of other"
        " articles merged into it"
    )
    sentences: list[SentenceOut] = Field(description="The event's sentence and its neighbours")


class ArticleEvent(BaseModel):
    event_id: str
    type: str
    mode: str | None = None
    date: str | None = None
    sentence_start: int | None = None
    sentence_end: int | None = None


class ArticleOut(ArticleMeta):
    doc_id: str | None = None
    language: str | None = None
    reason: str | None = None
    text: str | None = Field(None, description="The extracted text, untrusted: show it as text, never as HTML")
    n_events: int | None = Field(None, description="How many of its events are shown (those in events)")
    ingested_at: str | None = None
    sentences: list[SentenceOut]
    events: list[ArticleEvent] = Field(description="Its events shown at min_confidence, in text order")


class SeriesOut(BaseModel):
    dyad: str
    directed: bool
    by: str
    rows: list[dict[str, Any]] = Field(
        description="One row per day or week: period, events, counts per quad class and PLOVER category, scores"
    )


class AlertsOut(BaseModel):
    alerts: list[dict[str, Any]] = Field(description="Stored alerts, newest window first")


class MetaOut(BaseModel):
    plover_types: list[str]
    acled_types: list[str]
    events: int = Field(description="Real-world events shown at min_confidence (reports merged into one count once)")
    located_events: int
    articles: int
    first_date: str | None
    last_date: str | None
    min_confidence: float = Field(
        description="The confidence threshold these counts applied: the request's, else the server's setting"
    )
    ingest: bool = Field(description="POST /api/ingest is enabled on this server")


class Health(BaseModel):
    status: str
    schema_version: int
    read_only: bool


class _DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, max_length=200, description="Your id for the document")
    title: str | None = Field(None, max_length=2000)
    url: str | None = Field(None, max_length=4000)
    published: str | None = Field(None, max_length=40, description="ISO date or date-time")


class TextIn(_DocumentIn):
    """A plain report text with optional metadata, as a JSONL record."""

    text: str = Field(description="Plain report text")


class HtmlIn(_DocumentIn):
    """A web page with optional metadata; its main text is extracted."""

    html: str = Field(description="The page's HTML")


class IngestOut(BaseModel):
    article_id: str
    status: str = Field(description="ok, empty, not_text, too_large, not_english, no_content, invalid or error")
    reason: str | None = None
    stored: bool = Field(description="False when the same content was already stored (nothing changed)")
    events: list[str] = Field(description="Ids of the article's events shown at min_confidence")


class Problem(BaseModel):
    detail: str
