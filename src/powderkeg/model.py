"""The data powderkeg passes between stages, and the event JSON contract (v1).

Every type here is a plain dataclass with a ``to_dict`` that gives the JSON shape documented in
``docs/formats.md``. Stages import these types; they never import each other's internals.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

CONTRACT_VERSION = 1


class Status(StrEnum):
    """What happened to a document on its way in."""

    OK = "ok"  # text extracted, coded (possibly with zero events)
    EMPTY = "empty"  # nothing to read
    NOT_TEXT = "not_text"  # binary or undecodable content
    TOO_LARGE = "too_large"  # over the configured size limit
    NOT_ENGLISH = "not_english"  # language the coder does not handle
    NO_CONTENT = "no_content"  # a page with no extractable report text
    INVALID = "invalid"  # a malformed record (e.g. a broken JSONL line)
    ERROR = "error"  # an unexpected failure, with its message
    SKIPPED = "skipped"  # readable, but over a processing budget (e.g. the time to code one document)


class CodingTimeout(RuntimeError):
    """Coding a document took longer than its time budget (setting ``doc_time_budget``)."""


def content_id(text: str) -> str:
    """Stable id of a text: the same content always gets the same id."""
    return hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:16]


@dataclass
class Document:
    """A raw input as a source delivered it, before extraction."""

    origin: str  # file path, URL or "path:line"
    kind: str  # "html", "text" or "record"
    raw: str | bytes
    doc_id: str | None = None  # an id the source gave (a JSONL "id")
    title: str | None = None
    url: str | None = None
    published: str | None = None


@dataclass
class Article:
    """A report's text and metadata after extraction."""

    article_id: str
    origin: str
    text: str
    title: str | None = None
    url: str | None = None
    site: str | None = None
    author: str | None = None
    published: date | None = None
    language: str | None = "en"
    status: Status = Status.OK
    reason: str | None = None
    doc_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["published"] = self.published.isoformat() if self.published else None
        d["status"] = str(self.status)
        return d


@dataclass
class Actor:
    """One participant of an event, as written and as coded."""

    text: str
    code: str | None = None  # CAMEO-style code with ISO3 country, e.g. "SRBGOV", "XKXCVLSRB"
    country: str | None = None  # ISO 3166-1 alpha-3, "IGO" for organisations
    sector: str | None = None  # GOV, MIL, COP, CVL, JUD, REB, ...
    org: str | None = None  # organisation name for IGO/NGO actors (e.g. "NATO", "KFOR")
    ethnicity: str | None = None  # three-letter lower-case code, e.g. "srb"
    religion: str | None = None
    start: int | None = None  # character offsets in the article text
    end: int | None = None
    # not named in the text but filled in by a coding convention (ACLED's "unidentified armed
    # group" of the country for an attack nobody is named for, protesters, the police)
    assumed: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "text": self.text,
            "code": self.code,
            "country": self.country,
            "sector": self.sector,
            "org": self.org,
        }
        if self.ethnicity:
            d["ethnicity"] = self.ethnicity
        if self.religion:
            d["religion"] = self.religion
        if self.assumed:
            d["assumed"] = True
        return d


@dataclass
class Place:
    name: str
    country: str | None = None
    admin1: str | None = None
    lat: float | None = None
    lon: float | None = None
    precision: str | None = None  # "point", "city", "region", "country"
    geonameid: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Event:
    """One coded event: who did what to whom, when, where, from which sentence and rule."""

    type: str  # PLOVER category
    mode: str | None
    source: list[Actor]
    target: list[Actor]
    sentence: str
    sentence_start: int
    sentence_end: int
    rule: str
    confidence: float
    article_id: str = ""
    trigger: str = ""
    trigger_start: int | None = None  # character offsets of the trigger word in the article text
    trigger_end: int | None = None
    cameo: str | None = None
    quad: int | None = None
    intensity: float | None = None
    goldstein: float | None = None
    acled_type: str | None = None
    acled_subtype: str | None = None
    date: str | None = None
    date_precision: str | None = None
    location: Place | None = None
    fatalities: int | None = None
    injuries: int | None = None
    negated: bool = False
    hypothetical: bool = False
    historical: bool = False
    modality: str | None = None  # "request", "intention", "reported", ... when not a plain action
    mentions: int = 1
    sources: int = 1
    event_id: str = ""
    # where the event came from, as data: the proposing rule and its file line, what the finishing
    # steps changed, the gate's reading (see powderkeg.coder.finish.provenance)
    provenance: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def actual(self) -> bool:
        """True when the text reports the event as having happened."""
        return not (self.negated or self.hypothetical or self.historical)

    def assign_id(self) -> str:
        key = f"{self.article_id}|{self.sentence_start}|{self.type}|{self.trigger}|{self.rule}"
        self.event_id = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
        return self.event_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "mode": self.mode,
            "cameo": self.cameo,
            "quad": self.quad,
            "intensity": self.intensity,
            "goldstein": self.goldstein,
            "acled_type": self.acled_type,
            "acled_subtype": self.acled_subtype,
            "source": [a.to_dict() for a in self.source],
            "target": [a.to_dict() for a in self.target],
            "date": self.date,
            "date_precision": self.date_precision,
            "location": self.location.to_dict() if self.location else None,
            "fatalities": self.fatalities,
            "injuries": self.injuries,
            "negated": self.negated,
            "hypothetical": self.hypothetical,
            "historical": self.historical,
            "modality": self.modality,
            "sentence": self.sentence,
            "sentence_start": self.sentence_start,
            "sentence_end": self.sentence_end,
            "trigger": self.trigger,
            "trigger_start": self.trigger_start,
            "trigger_end": self.trigger_end,
            "article_id": self.article_id,
            "mentions": self.mentions,
            "sources": self.sources,
            "confidence": round(self.confidence, 3),
            "rule": self.rule,
            "provenance": self.provenance,
        }


def parse_date(value: object) -> date | None:
    """A date from an ISO string (date or datetime), or None when it is not one."""
    if value is None:
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
