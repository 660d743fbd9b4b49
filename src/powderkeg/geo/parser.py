"""The geoparser: recognition, resolution and event location behind one object.

    >>> from powderkeg.geo import Geoparser
    >>> geo = Geoparser()
    >>> found = geo.parse_text("Clashes broke out in Zvecan, in northern Kosovo.")
    >>> [(m.text, m.place.country, m.area and m.area.name) for m in found]
    [('Zvecan', 'XKX', None), ('Kosovo', 'XKX', 'northern Kosovo')]

The pipeline parses each article once (with NER) and hands the Doc to :meth:`Geoparser.places`.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from powderkeg.geo.gazetteer import Gazetteer, GazPlace, default_gazetteer
from powderkeg.geo.locate import EventLocation, locate_event
from powderkeg.geo.resolve import PlaceMention, Resolver, distance_km, place_from
from powderkeg.geo.toponyms import Toponym, ToponymFinder
from powderkeg.model import Place

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = ["Geoparser", "geoparse_jsonl", "geoparse_records"]

#: How far back (in characters) an unresolved name borrows the place of a resolved one.
_CONTEXT_CHARS = 600
#: Anchors this close to another place of the document agree with it.
_COHERENT_KM = 250.0
_CONTEXT_PRECISION = {"city": "district", "admin2": "district", "admin1": "region"}


class Geoparser:
    """Finds the places of parsed documents and the place of each event.

    ``gazetteer``: an open :class:`Gazetteer` (default: the cached index, built on first use).
    ``nlp``: a spaCy pipeline with NER, only needed for :meth:`parse_text`.
    ``unresolved``: place names the gazetteer lacks (streets, buildings, villages) where the
    nearest resolved place before them is, with feature ``contextual``; names that stay unplaced
    are returned with ``place`` None either way.
    """

    def __init__(
        self, gazetteer: Gazetteer | None = None, *, nlp: Language | None = None, unresolved: bool = True
    ) -> None:
        self.gazetteer = gazetteer or default_gazetteer()
        self._nlp = nlp
        self.unresolved = unresolved
        self.finder = ToponymFinder(self.gazetteer)
        self.resolver = Resolver(self.gazetteer)

    @cached_property
    def nlp(self) -> Language:
        if self._nlp is None:
            from powderkeg.config import load_settings
            from powderkeg.nlp import load_model

            self._nlp = load_model(load_settings().spacy_model)
        return self._nlp

    # -- places -----------------------------------------------------------------------------

    def mentions(self, doc: Doc, actor_countries: Iterable[str] | None = None) -> list[PlaceMention]:
        """Every toponym and demonym of the document, resolved, in text order."""
        toponyms = self.finder.find(doc)
        resolved = self.resolver.resolve(toponyms, actor_countries or ())
        confidences = self.resolver.confidences()
        mentions: list[PlaceMention] = []
        of_toponym: dict[int, PlaceMention] = {}
        for index, (toponym, gaz, confidence) in enumerate(zip(toponyms, resolved, confidences, strict=True)):
            if gaz is None and toponym.extras.get("weak"):
                continue  # a small town's name the document's places do not back
            mention = self._mention(toponym, gaz, confidence)
            if mention is not None:
                mentions.append(mention)
                of_toponym[index] = mention
        if self.unresolved:
            self._place_from_context(mentions, toponyms, of_toponym)
        return mentions

    def places(
        self, doc: Doc, actor_countries: Iterable[str] | None = None, *, demonyms: bool = False
    ) -> list[PlaceMention]:
        """The place mentions of a parsed document. Demonyms ("Serbian") name an actor's
        nationality, not a place, and are left out unless ``demonyms`` is true."""
        found = self.mentions(doc, actor_countries)
        return found if demonyms else [m for m in found if not m.is_demonym]

    def parse_text(self, text: str, *, demonyms: bool = False) -> list[PlaceMention]:
        """Parse ``text`` with the spaCy model and return its place mentions."""
        return self.places(self.nlp(text), demonyms=demonyms)

    def _mention(self, toponym: Toponym, gaz: GazPlace | None, confidence: float) -> PlaceMention | None:
        mention = PlaceMention(
            text=toponym.text,
            start=toponym.start,
            end=toponym.end,
            token_start=toponym.token_start,
            token_end=toponym.token_end,
            feature="demonym" if toponym.is_demonym else "contextual",
            label=toponym.label,
            confidence=round(confidence, 3),
            embedded=bool(toponym.extras.get("embedded")),
        )
        if gaz is None:
            return mention if not toponym.is_demonym else None
        mention.gazetteer_place = gaz
        if toponym.is_demonym:
            mention.place = place_from(self.gazetteer, gaz)
            return mention
        mention.place, mention.feature = place_from(self.gazetteer, gaz), gaz.feature
        mention.area = self.resolver.relative_place(toponym, gaz)
        return mention

    def _place_from_context(
        self,
        mentions: list[PlaceMention],
        toponyms: Sequence[Toponym] = (),
        of_toponym: dict[int, PlaceMention] | None = None,
    ) -> None:
        """Give a name the gazetteer lacks a place: the one of the place right after it ("Loyola
        University in Los Angeles", "Oulton Park, Cheshire"), else of the town its name begins with
        where the document names that town ("Cavan Town Hall"), else of the nearest resolved town or
        region before it (else after it) within a few sentences ("Royal Street" in a New Orleans story)."""
        of_toponym = of_toponym or {}
        anchors = [
            m
            for m in mentions
            if m.place is not None and not m.is_demonym and not m.embedded and m.feature in ("city", "admin2", "admin1")
        ]
        coherent = _coherent(anchors, mentions)
        if coherent:
            anchors = coherent
        by_key: dict[str, list[PlaceMention]] = {}
        for index, mention in of_toponym.items():
            if mention.place is not None and not mention.is_demonym and mention.feature != "contextual":
                by_key.setdefault(toponyms[index].keys[0], []).append(mention)
        toponym_of = {id(m): toponyms[i] for i, m in of_toponym.items()}
        for mention in mentions:
            if mention.place is not None or mention.is_demonym:
                continue
            toponym = toponym_of.get(id(mention))
            anchor = None
            if toponym is not None and toponym.qualifier is not None:
                qualifier = of_toponym.get(toponym.qualifier)
                if qualifier is not None and qualifier.place is not None and not qualifier.is_demonym:
                    anchor = qualifier
            if anchor is None and toponym is not None and toponym.extras.get("prefix") in by_key:
                same = by_key[toponym.extras["prefix"]]  # type: ignore[index]
                anchor = min(same, key=lambda m: abs(m.start - mention.start))
            if anchor is None:
                before = [a for a in anchors if a.end <= mention.start and mention.start - a.end <= _CONTEXT_CHARS]
                after = [a for a in anchors if a.start >= mention.end and a.start - mention.end <= _CONTEXT_CHARS // 3]
                anchor = before[-1] if before else (after[0] if after else None)
            if anchor is None and anchors and toponym is not None and _named_like_a_site(toponym):
                # nothing close by: the document's own town, the one it names most often
                counts = Counter(a.text for a in anchors if a.feature != "admin1") or Counter(a.text for a in anchors)
                main = max(counts, key=lambda text: (counts[text], -next(a.start for a in anchors if a.text == text)))
                anchor = next(a for a in anchors if a.text == main)
            if anchor is None or anchor.place is None:
                continue
            base = anchor.place
            mention.place = Place(
                name=mention.text,
                country=base.country,
                admin1=base.admin1,
                lat=base.lat,
                lon=base.lon,
                precision=_CONTEXT_PRECISION.get(anchor.feature, "region"),
                geonameid=None,
            )
            mention.confidence = round(anchor.confidence * 0.5, 3)

    # -- article focus and events -----------------------------------------------------------

    def focus(self, mentions: Sequence[PlaceMention]) -> Place | None:
        """The country the article is mostly about (most toponyms; demonyms count half)."""
        weights: Counter[str] = Counter()
        first: dict[str, int] = {}
        for mention in mentions:
            if mention.place is None or not mention.place.country:
                continue
            code = mention.place.country
            weights[code] += 0.5 if mention.is_demonym or mention.embedded else 1.0
            first.setdefault(code, mention.start)
        if not weights:
            return None
        code = max(weights, key=lambda c: (weights[c], -first[c]))
        country = self.gazetteer.country(code)
        return place_from(self.gazetteer, country) if country else None

    def locate(
        self, doc: Doc, trigger_i: int, places: Sequence[PlaceMention], focus: Place | None = None
    ) -> EventLocation | None:
        """Where the event with trigger token ``trigger_i`` happened, with the mention and basis."""
        return locate_event(doc, trigger_i, places, focus if focus is not None else self.focus(places))

    def event_place(
        self, doc: Doc, trigger_i: int, places: Sequence[PlaceMention], focus: Place | None = None
    ) -> Place | None:
        """The place of the event with trigger token ``trigger_i`` (see :mod:`powderkeg.geo.locate`)."""
        found = self.locate(doc, trigger_i, places, focus)
        return found.place if found else None


def _named_like_a_site(toponym: Toponym) -> bool:
    """A name that says it is a site ("Royal Street", "Assiniboine Avenue", "the Pilanesburg
    Mountains"): worth placing in the document's own town even with no town close by."""
    return bool(toponym.extras.get("facility")) or toponym.label in ("FAC", "LOC", "FACILITY")


def _coherent(anchors: Sequence[PlaceMention], mentions: Sequence[PlaceMention]) -> list[PlaceMention]:
    """The anchors that agree best with the document's other places: those backed by the most
    other names (a name within a few hundred km, or in the same first-order division). A town far
    from the rest of the story ("Washington Square" read as the one in Pennsylvania in a New
    Orleans story) should not place the streets and buildings around it, even where a second
    misread name ("Franklin" County, Pennsylvania) happens to lie next to it."""
    others = [m for m in mentions if m.place is not None and not m.is_demonym and m.feature != "contextual"]
    support: dict[int, int] = {}
    for anchor in anchors:
        place = anchor.place
        assert place is not None
        backers = set()
        for other in others:
            if other.text == anchor.text or other.place is None:
                continue
            near = other.feature in ("city", "admin2", "landmark") and (
                distance_km(place.lat, place.lon, other.place.lat, other.place.lon) <= _COHERENT_KM
            )
            same_division = (
                other.feature in ("admin1", "city", "admin2")
                and place.admin1 is not None
                and (other.place.country, other.place.admin1) == (place.country, place.admin1)
            )
            if near or same_division:
                backers.add(other.text)
        support[id(anchor)] = len(backers)
    best = max(support.values(), default=0)
    if best == 0:
        return []
    floor = min(best, 2)  # backed by two names, or by as many as the best-backed anchor
    return [a for a in anchors if support[id(a)] >= floor]


def geoparse_records(
    records: Iterable[dict[str, Any]],
    geoparser: Geoparser | None = None,
    *,
    demonyms: bool = False,
    batch_size: int = 16,
) -> Iterator[dict[str, Any]]:
    """``{"id", "text"}`` records in, ``{"id", "places": [...]}`` out, in input order. A record
    without text gives an empty list and an ``error``."""
    geo = geoparser or Geoparser()
    nlp = geo.nlp
    batch: list[dict[str, Any]] = []

    def flush() -> Iterator[dict[str, Any]]:
        texts = [r["text"] if isinstance(r.get("text"), str) else "" for r in batch]
        for record, doc in zip(batch, nlp.pipe(texts), strict=True):
            out: dict[str, Any] = {"id": record.get("id"), "places": []}
            if not isinstance(record.get("text"), str):
                out["error"] = "no text"
            else:
                out["places"] = [m.to_dict() for m in geo.places(doc, demonyms=demonyms)]
            yield out
        batch.clear()

    for record in records:
        batch.append(record)
        if len(batch) >= batch_size:
            yield from flush()
    if batch:
        yield from flush()


def _read_jsonl(handle: TextIO) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            print(f"powderkeg: line {number}: not JSON ({exc.msg}); skipped", file=sys.stderr)
            yield {"id": None, "text": None}
            continue
        yield record if isinstance(record, dict) else {"id": None, "text": None}


def geoparse_jsonl(
    in_path: str | Path,
    out_path: str | Path | None = None,
    *,
    geoparser: Geoparser | None = None,
    demonyms: bool = False,
) -> int:
    """Geoparse a JSONL file of ``{"id", "text"}`` records into one line per input record,
    ``{"id", "places": [{"text","start","end","name","country","admin1","lat","lon","geonameid",
    "feature"}]}`` (to ``out_path``, or stdout). Returns the number of records written."""
    count = 0
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(Path(in_path).open(encoding="utf-8"))
        sink: TextIO = stack.enter_context(Path(out_path).open("w", encoding="utf-8")) if out_path else sys.stdout
        for result in geoparse_records(_read_jsonl(source), geoparser, demonyms=demonyms):
            sink.write(json.dumps(result, ensure_ascii=False) + "\n")
            count += 1
    return count
