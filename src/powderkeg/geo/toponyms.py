"""Toponym recognition: which spans of a parsed document name places.

Sources of mentions, in order of trust:

1. spaCy's GPE, LOC and FAC entities;
2. PERSON, ORG and NORP entities that are exactly the name of a country or first-order division
   ("Georgia" read as a person), or of a town right after a preposition of place ("in Zvecan");
3. capitalised proper-noun runs no entity covers that the gazetteer knows as a prominent place.

Demonyms ("Kosovar", "Serbian") are found too but kept apart: they tell an actor's nationality,
not where something happened. Direction words before a name ("northern Kosovo") and designators
("the village of X", "Homs province", "Orange County") are recorded as hints for resolution.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from powderkeg.coder.dictionaries import data_dir
from powderkeg.geo.gazetteer import Gazetteer, GazPlace, data_file, name_key, read_tsv
from powderkeg.nlp import doc_text

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = ["Demonyms", "Toponym", "ToponymFinder", "load_demonyms", "load_designators", "load_relative_words"]

PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
#: Entities whose names may hold a place ("Edmonton Police Service", "University of Texas").
EMBEDDING_LABELS = frozenset({"ORG", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})
#: Prepositions after which a capitalised name is most likely a place.
PLACE_PREPOSITIONS = frozenset(
    "in at near outside inside into to from across around toward towards through via off within "
    "between throughout beyond along".split()
)
_DETERMINERS = frozenset({"the", "a", "an"})
_NAME_PARTICLES = frozenset("al el ad ar as an ash at az e i ul ud".split())
_DIRECTIONS = frozenset({"west", "east", "north", "south", "western", "eastern", "northern", "southern", "central"})
_CAPITALISED_STOPWORDS = frozenset(
    "I The A An And Or But Mr Mrs Ms Dr President Minister King Queen Prince General Gen Col Sgt Rep Sen "
    "God Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July "
    "August September October November December".split()
)


@dataclass
class Toponym:
    """A span of the document that names a place (or, for a demonym, a people)."""

    start: int  # character offsets into the document text
    end: int
    text: str
    token_start: int  # token indices in the Doc, end exclusive
    token_end: int
    label: str  # the spaCy entity label that found it, or "GAZ" for a gazetteer match
    keys: tuple[str, ...]  # name keys to look up, best first
    hint: str | None = None  # "admin" or "city" when a designator says which
    relative: str | None = None  # a direction word before the name ("northern"), outside the span
    demonym_of: str | None = None  # for a demonym: aliases.tsv-style target, e.g. "country:RS"
    qualifier: int | None = None  # index of the toponym that qualifies this one ("Paris, Texas")
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def is_demonym(self) -> bool:
        return self.demonym_of is not None


# -- data -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def load_designators() -> dict[str, str]:
    return {row[0]: row[1] for row in read_tsv(data_file("designators.tsv"))}


@functools.lru_cache(maxsize=1)
def load_relative_words() -> dict[str, tuple[float, float]]:
    return {row[0]: (float(row[1]), float(row[2])) for row in read_tsv(data_file("relative.tsv"))}


@functools.lru_cache(maxsize=1)
def noun_classes() -> dict[str, str]:
    """Lemma -> "place", "event" or "actor": what a noun says about a name that modifies it
    (``data/geo/nouns.tsv``)."""
    return {row[0]: row[1] for row in read_tsv(data_file("nouns.tsv"))}


def _street(doc: Doc, end: int) -> bool:
    """Whether the name ending before token ``end`` is a street's ("Northumberland Avenue")."""
    while end > 0 and doc[end - 1].is_punct:
        end -= 1
    return end > 1 and doc[end - 1].lower_.rstrip(".") in _STREET_WORDS and doc[end - 1].text[:1].isupper()


@functools.lru_cache(maxsize=1)
def facility_words() -> frozenset[str]:
    """Last words of facility names: "Royal Street", "Carnegie Library" (``data/geo/facilities.tsv``)."""
    return frozenset(row[0] for row in read_tsv(data_file("facilities.tsv")))


#: Kinds of place that a name names on its own, without "in" or "the city of" around it.
_MAJOR_FEATURES = frozenset({"country", "admin1", "continent", "region", "water", "land", "landmark"})

#: Towns this large are known by their other spellings too ("Misrata", "Douma").
_BIG_TOWN = 100_000

#: A capitalised word before a hyphen and a lower-case word: "U.S.-led", "US-based".
_HYPHENATED_MODIFIER = re.compile(r"(?<![\w.-])([A-Z][\w.]*?)-(?=[a-z]+\b)")

#: Facility words that name a street: a street named after a place ("Pennsylvania Avenue",
#: "Atlantic Avenue", "Oxford Street") mostly lies elsewhere, so the place it begins with neither
#: places it nor counts as a mention.
_STREET_WORDS = frozenset("street st avenue ave road rd boulevard blvd lane drive highway motorway".split())

#: Facility words that are common surnames too: a PERSON entity ending in one is a person.
_SURNAME_WORDS = frozenset("hall park church lane temple chapel castle tower fort drive street inn".split())


@functools.lru_cache(maxsize=1)
def place_verbs() -> frozenset[str]:
    """Verbs whose object is usually a place (``data/geo/place_verbs.tsv``)."""
    return frozenset(row[0] for row in read_tsv(data_file("place_verbs.tsv")))


def _object_of_place_verb(span: Span) -> bool:
    """ "Rebels captured Knin": the object of a verb that takes places."""
    root = span.root
    return root.dep_ == "dobj" and root.head.lemma_.lower() in place_verbs()


def _possessive_place(doc: Doc, span: Span) -> bool:
    """ "Grozny's streets", "Baghdad's southern district": a name owning a place noun."""
    if span.end + 1 >= len(doc) or doc[span.end].tag_ != "POS":
        return False
    for token in doc[span.end + 1 : min(len(doc), span.end + 4)]:
        if token.pos_ == "NOUN":
            return noun_classes().get(token.lemma_.lower()) == "place"
    return False


class Demonyms:
    """Demonym -> what it refers to (country demonyms from ``data/countries.tsv``, others from
    ``data/geo/demonyms.tsv``)."""

    def __init__(self, targets: dict[str, str]) -> None:
        self.targets = targets
        self.max_words = max((len(k.split()) for k in targets), default=1)

    def target(self, text: str) -> str | None:
        return self.targets.get(name_key(text))

    @classmethod
    def read(cls, countries: Traversable | Path, extra: Traversable | Path, iso2_of: dict[str, str]) -> Demonyms:
        targets: dict[str, str] = {}
        for row in read_tsv(extra):
            targets[name_key(row[0])] = row[1]
        for row in read_tsv(countries):
            if len(row) < 4 or row[0] == "cameo":
                continue
            iso2 = iso2_of.get(row[1])
            if not iso2:
                continue
            for word in filter(None, (w.strip() for w in row[3].split(","))):
                targets.setdefault(name_key(word), f"country:{iso2}")
        return cls(targets)


def load_demonyms(gazetteer: Gazetteer) -> Demonyms:
    return Demonyms.read(data_dir() / "countries.tsv", data_file("demonyms.tsv"), gazetteer.iso2)


# -- recognition ------------------------------------------------------------------------------


class ToponymFinder:
    """Finds toponyms and demonyms in a spaCy Doc that has NER, POS tags and a parse."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        demonyms: Demonyms | None = None,
        min_town_population: int = 20_000,
        min_embedded_population: int = 50_000,
    ) -> None:
        self.gazetteer = gazetteer
        self.demonyms = demonyms or load_demonyms(gazetteer)
        self.designators = load_designators()
        self.relative_words = load_relative_words()
        self.min_town_population = min_town_population
        self.min_embedded_population = min_embedded_population

    # the public entry point ------------------------------------------------------------------

    def find(self, doc: Doc) -> list[Toponym]:
        found: list[Toponym] = []
        taken = [False] * len(doc)
        covered = 0
        for ent in doc.ents:
            if ent.start < covered:
                continue  # taken by the longer name before it ("Trinidad and Tobago")
            for part in self._split_at_commas(doc, ent):
                part = self._joined_name(doc, part)
                covered = max(covered, part.end)
                toponym = self._from_entity(doc, part)
                if toponym is None and part.label_ in ("NORP", "ORG", "PERSON", "GPE", "LOC"):
                    # "anti-Russian", "Austro-Hungarian", "Bosnian Serb": demonyms inside a name
                    for each in self._demonyms_in(doc, part.start, part.end):
                        found.append(each)
                        for i in range(each.token_start, each.token_end):
                            taken[i] = True
                    continue
                if toponym is None or self._direction_only(toponym.text):
                    continue
                inner: list[Toponym] = []
                if (
                    (part.label_ in PLACE_LABELS or toponym.label == "CONTEXT")
                    and toponym.token_end - toponym.token_start > 1
                    and self._unknown(toponym)
                    and not _street(doc, toponym.token_end)
                ):
                    # "Texas A&M University", "Vancouver Art Gallery": a name the gazetteer lacks that
                    # begins with one it has
                    inner = self._embedded(doc, doc[toponym.token_start : toponym.token_end], weak=False)
                    if not inner:
                        self._note_prefix(doc, toponym)
                for each in inner or [toponym]:
                    found.append(each)
                    for i in range(each.token_start, each.token_end):
                        taken[i] = True
        for ent in doc.ents:  # "Edmonton Police Service", "Nigerian Army": places inside names
            if (ent.label_ in EMBEDDING_LABELS or ent.label_ == "PERSON") and not taken[ent.start]:
                facility = self._facility(doc, ent)
                if ent.label_ != "PERSON":
                    inner = self._embedded(doc, ent, weak=facility is None)
                else:
                    inner = self._leading_place(doc, ent)
                if facility is not None and (
                    _street(doc, facility.token_end)
                    or not any(t.token_start == facility.token_start and not t.is_demonym for t in inner)
                ):
                    # "Royal Street", "Carnegie Library", "Russian Embassy": the whole name is the place
                    inner = [facility]
                for toponym in inner:
                    found.append(toponym)
                    for i in range(toponym.token_start, toponym.token_end):
                        taken[i] = True
        blocked = list(taken)
        for ent in doc.ents:  # names of people and organisations are no place mentions
            if ent.label_ in ("PERSON", "ORG", "NORP", "WORK_OF_ART", "EVENT", "LAW", "PRODUCT"):
                for i in range(ent.start, ent.end):
                    blocked[i] = True
        datelines = self._datelines(doc, taken)
        for toponym in datelines:
            for i in range(toponym.token_start, toponym.token_end):
                blocked[i] = True
        found.extend(datelines)
        found.extend(self._from_gazetteer(doc, blocked))
        found.extend(self._compound_modifiers(doc, found))
        found.extend(self._same_name_elsewhere(doc, found))
        found.sort(key=lambda t: t.start)
        self._short_forms(found)
        person_words = self._person_words(doc)
        for toponym in found:
            if toponym.extras.get("weak") and toponym.keys[0] in person_words:
                toponym.extras["person_word"] = True  # "Jackson" where the story names "Andrew Jackson"
        self._link_qualifiers(doc, found)
        return found

    # entities ---------------------------------------------------------------------------------

    def _joined_name(self, doc: Doc, part: Span) -> Span:
        """ "Trinidad and Tobago", "Bosnia and Herzegovina", "Turks and Caicos Islands": the parser
        often tags only the first half of a country's or division's name joined by "and" (or cuts
        "Baja California" in two); the whole name wins when the gazetteer has it as the own name
        or alias of a country or first-order division."""
        if part.end < len(doc) and doc[part.end].text[:1].isupper() and part.label_ in PLACE_LABELS:
            word = doc[part.end].lower_.rstrip(".")
            if (doc[part.end - 1].tag_ == "POS" and word in facility_words()) or word in _STREET_WORDS:
                # the parser cut a facility's name short: "St. Peter's | Basilica", "North State | Street"
                from spacy.tokens import Span

                return Span(doc, part.start, part.end + 1, label="FAC")
        if part.end >= len(doc):
            return part
        if doc[part.end].lower_ in ("and", "&"):
            first = part.end + 2
        elif part.label_ in PLACE_LABELS and doc[part.end].pos_ == "PROPN" and doc[part.end - 1].whitespace_ == " ":
            first = part.end + 1  # "Baja | California" tagged as two places
        else:
            return part
        for end in range(min(len(doc), part.end + 4), first - 1, -1):
            if not doc[end - 1].text[:1].isupper():
                continue
            best = self.gazetteer.best_named(doc[part.start : end].text)
            if best is not None and best[1] <= 1 and best[0].feature in ("country", "admin1"):
                from spacy.tokens import Span

                return Span(doc, part.start, end, label=part.label_)
        return part

    @staticmethod
    def _split_at_commas(doc: Doc, ent: Span) -> list[Span]:
        """ "Wainwright, Alta." tagged as one place (or as a person) is two: a town and its province."""
        if not any(t.text == "," for t in ent):
            return [ent]
        parts: list[Span] = []
        start = ent.start
        for token in ent:
            if token.text == ",":
                if token.i > start:
                    parts.append(doc[start : token.i])
                start = token.i + 1
        if start < ent.end:
            parts.append(doc[start : ent.end])
        for part in parts:
            part.label_ = ent.label_
        return parts

    def _direction_only(self, text: str) -> bool:
        """ "Western", "the West": a direction alone names no place the gazetteer could resolve."""
        key = name_key(text)
        return key in self.relative_words or key in _DIRECTIONS

    def _from_entity(self, doc: Doc, ent: Span) -> Toponym | None:
        start, end = ent.start, ent.end
        while start < end and doc[start].lower_ in _DETERMINERS:
            start += 1
        while end > start and (doc[end - 1].tag_ == "POS" or doc[end - 1].is_punct):
            end -= 1
        if start >= end:
            return None
        span = doc[start:end]
        label = ent.label_
        demonym = self.demonyms.target(span.text) if label in ("NORP", "GPE", "LOC", "ORG", "PERSON") else None
        if demonym is not None and not self._known_as_place(span.text):
            return self._toponym(span, label, demonym_of=demonym)
        if label in PLACE_LABELS:
            return self._place_toponym(doc, span, label)
        if label in ("PERSON", "ORG", "NORP", "PRODUCT", "WORK_OF_ART", "EVENT") and self._entity_is_place(
            doc, span, label
        ):
            return self._place_toponym(doc, span, "GPE")
        if label in ("PERSON", "ORG", "NORP") and self._weak_town(span):
            return self._weak(self._place_toponym(doc, span, "GPE"))
        if (
            label in ("PERSON", "ORG", "PRODUCT")
            and self._strict_place_context(doc, span)
            and self.gazetteer.best_named(span.text) is None
        ):
            return self._place_toponym(doc, span, "CONTEXT")  # "in Khanasir town": a place the gazetteer lacks
        return None

    def _strict_place_context(self, doc: Doc, span: Span) -> bool:
        """ "in X", "near X", "the village of X", "X district": a name no gazetteer knows is
        still a place."""
        before = doc[span.start - 1] if span.start > 0 else None
        after = doc[span.end] if span.end < len(doc) else None
        if _possessive_place(doc, span):
            return True
        if before is not None and before.lower_ in ("in", "at", "near", "outside", "inside") and before.dep_ == "prep":
            return not (after is not None and after.tag_ == "POS")
        if (
            before is not None
            and before.lower_ == "of"
            and span.start >= 2
            and doc[span.start - 2].lower_ in self.designators
        ):
            return True
        return after is not None and after.lower_ in self.designators and after.pos_ == "NOUN"

    def _known_as_place(self, text: str) -> bool:
        """A demonym that is also a country's or region's name ("Georgian" is not; "Jordan"
        would be)."""
        return any(p.feature in ("country", "admin1") and kind == 0 for p, kind in self.gazetteer.lookup(text))

    def _place_context(self, doc: Doc, span: Span) -> bool:
        """Words around a name that say it is a place: "in X", "the city of X", "X town",
        "X, Syria"."""
        before = doc[span.start - 1] if span.start > 0 else None
        after = doc[span.end] if span.end < len(doc) else None
        if before is not None and before.lower_ in PLACE_PREPOSITIONS or _possessive_place(doc, span):
            return True
        if _object_of_place_verb(span):
            return True
        if (
            before is not None
            and before.lower_ == "of"
            and span.start >= 2
            and doc[span.start - 2].lower_ in self.designators
        ):
            return True
        if after is not None and after.lower_ in self.designators and after.pos_ == "NOUN":
            return True
        if (
            after is not None
            and after.text == ","
            and span.end + 1 < len(doc)
            and doc[span.end + 1].ent_type_ in ("GPE", "LOC")
        ):
            return True
        # one of a list of places: "Mitrovica, Zvecan, Leposavic and Zubin Potok"
        root = span.root
        return root.dep_ == "conj" and root.head.ent_type_ in ("GPE", "LOC")

    def _entity_is_place(self, doc: Doc, span: Span, label: str) -> bool:
        best = self.gazetteer.best_named(span.text)
        if best is None:
            # "Governor of Sokoto State": a division's name with its designator is a place
            if len(span) > 1 and self.designators.get(span[-1].lower_) == "admin" and span[-1].text[:1].isupper():
                inner = self.gazetteer.best_named(span[:-1].text)
                return inner is not None and inner[1] <= 1 and inner[0].feature in ("admin1", "admin2")
            return False
        place, kind = best
        if place.feature in ("country", "admin1", "continent"):
            return kind <= 1  # an entity that is exactly a country or state name: "Georgia" tagged PERSON
        if self._acronym(span.text):
            return False
        towns = [p for p, k in self.gazetteer.lookup(span.text) if p.feature == "city" and k == 0]
        if not towns:
            return kind <= 2 and self._strict_place_context(doc, span)
        biggest = max(town.population for town in towns)
        if label != "PERSON" and biggest >= self.min_embedded_population:
            return True  # an organisation or product named exactly like a city is mostly the city
        if self._modifies_a_noun(doc, span) and biggest >= self.min_town_population:
            return True  # "the Cairns police", "the Winnipeg office"
        return self._strict_place_context(doc, span) or (self._place_context(doc, span) and biggest >= 1000)

    def _weak_town(self, span: Span, min_population: int = 1000) -> bool:
        """A name that is exactly a town's own name, but said where nothing else says "place": kept
        as a *weak* toponym, which stays only if the document's other places lie near it."""
        if self._acronym(span.text) or span.text in _CAPITALISED_STOPWORDS or not span.text[:1].isupper():
            return False
        best = self.gazetteer.best_named(span.text)
        if best is None or self.demonyms.target(span.text):
            return False
        place, kind = best
        if kind == 0 and place.feature in ("city", "admin2") and place.population >= min_population:
            return True
        # a city's other spelling ("Misrata" for Misratah), or a town named like a county
        return any(
            place.feature == "city"
            and (kind == 0 and place.population >= min_population or kind <= 2 and place.population >= _BIG_TOWN)
            for place, kind in self.gazetteer.lookup(span.text)
        )

    @staticmethod
    def _weak(toponym: Toponym | None) -> Toponym | None:
        if toponym is not None:
            toponym.extras["weak"] = True
        return toponym

    @staticmethod
    def _modifies_a_noun(doc: Doc, span: Span) -> bool:
        before = doc[span.start - 1] if span.start > 0 else None
        after = doc[span.end] if span.end < len(doc) else None
        return (
            before is not None
            and before.lower_ == "the"
            and after is not None
            and after.pos_ == "NOUN"
            and after.is_lower
        )

    def _place_toponym(self, doc: Doc, span: Span, label: str) -> Toponym | None:
        words = [t.lower_ for t in span]
        hint: str | None = None
        keys: list[str] = [name_key(span.text)]
        # "Homs province", "Orange County": also look up without the designator
        if len(words) > 1 and words[-1] in self.designators:
            hint = self.designators[words[-1]]
            keys.append(name_key(doc[span.start : span.end - 1].text))
        # "City of Montreal", "Province of Quebec"
        if len(words) > 2 and words[0] in self.designators and words[1] == "of":
            hint = self.designators[words[0]]
            keys.append(name_key(doc[span.start + 2 : span.end].text))
        # "the city of Nablus", "the village of Ashmi", "Nuwakot district"
        if span.start >= 2 and doc[span.start - 1].lower_ == "of" and doc[span.start - 2].lower_ in self.designators:
            hint = hint or self.designators[doc[span.start - 2].lower_]
        elif span.end < len(doc) and doc[span.end].lower_ in self.designators and doc[span.end].pos_ != "PROPN":
            hint = hint or self.designators[doc[span.end].lower_]
        relative = None
        if words[0] in self.relative_words and len(words) > 1 and span[0].is_lower:
            relative = words[0]  # the entity took the direction word in: "northern Kosovo"
            span = doc[span.start + 1 : span.end]
            keys = [name_key(span.text)] + keys[1:]
        elif span.start > 0 and doc[span.start - 1].lower_ in self.relative_words and doc[span.start - 1].is_lower:
            relative = doc[span.start - 1].lower_
        elif (
            span.start >= 3
            and doc[span.start - 1].lower_ == "of"
            and doc[span.start - 2].lower_ in self.relative_words
            and doc[span.start - 3].lower_ == "the"
        ):
            relative = doc[span.start - 2].lower_  # "the north of Syria"
        elif words[0] in self.relative_words or words[0] == "far":
            # "Northern Europe", "Far North Queensland", "South Florida": a name the gazetteer lacks
            # is the part of the place it names after the direction words
            cut = 0
            while cut < len(words) - 1 and (words[cut] in self.relative_words or words[cut] == "far"):
                cut += 1
            rest = name_key(doc[span.start + cut : span.end].text)
            if cut and words[cut - 1] != "far" and rest and not self.gazetteer.lookup_key(keys[0]):
                relative = words[cut - 1]
                keys = [rest] + keys[1:]
        if all(k == "" for k in keys):
            return None
        toponym = self._toponym(span, label, keys=tuple(dict.fromkeys(k for k in keys if k)))
        toponym.hint = hint
        toponym.relative = relative
        return toponym

    @staticmethod
    def _toponym(span: Span, label: str, keys: tuple[str, ...] | None = None, demonym_of: str | None = None) -> Toponym:
        return Toponym(
            start=span.start_char,
            end=span.end_char,
            text=span.text,
            token_start=span.start,
            token_end=span.end,
            label=label,
            keys=keys or (name_key(span.text),),
            demonym_of=demonym_of,
        )

    # places inside names -------------------------------------------------------------------

    @staticmethod
    def _acronym(text: str) -> bool:
        """ "NATO", "UNMIK": capitals that spell an organisation, not a town named Nato."""
        letters = text.replace(".", "")
        return letters.isupper() and len(letters) <= 6

    def _prominent(self, place_kind: tuple, min_population: int, text: str = "") -> bool:
        place, kind = place_kind
        if place.feature in _MAJOR_FEATURES:
            return kind <= 1
        if self._acronym(text):
            return False
        if place.feature in ("city", "admin2") and kind == 0 and place.population >= min_population:
            return True
        # the best match may be a division called by an alias ("Toronto" for the county of
        # Toronto) while a town of that very name is prominent too
        return bool(text) and self._prominent_town(text, min_population) is not None

    def _prominent_town(self, text: str, min_population: int) -> GazPlace | None:
        """A town (or district) whose own name is ``text``, with at least ``min_population``."""
        for place, kind in self.gazetteer.lookup(text):
            if kind == 0 and place.feature in ("city", "admin2") and place.population >= min_population:
                return place
        return None

    def _demonyms_in(self, doc: Doc, start: int, end: int) -> list[Toponym]:
        """Capitalised words of ``doc[start:end]`` that are demonyms, when the whole is not one."""
        if self.demonyms.target(doc[start:end].text):
            return []
        found: list[Toponym] = []
        i = start
        while i < end:
            for size in (2, 1):
                span = doc[i : i + size]
                if i + size > end or not all(t.text[:1].isupper() and t.is_alpha for t in span):
                    continue
                target = self.demonyms.target(span.text)
                if target is not None and not self._known_as_place(span.text):
                    found.append(self._toponym(span, "NORP", demonym_of=target))
                    i += size - 1
                    break
            i += 1
        return found

    @staticmethod
    def _short_forms(found: list[Toponym]) -> None:
        """ "Trinidad" in a story that names "Trinidad and Tobago": the short form of a joined name
        the story uses is that place (looked up by the whole name first)."""
        joined = {t.keys[0] for t in found if " and " in t.keys[0] and not t.is_demonym}
        if not joined:
            return
        for toponym in found:
            if toponym.is_demonym or " and " in toponym.keys[0]:
                continue
            whole = next((k for k in joined if k.startswith(toponym.keys[0] + " and ")), None)
            if whole is not None:
                toponym.keys = (whole, *toponym.keys)

    def _compound_modifiers(self, doc: Doc, found: list[Toponym]) -> list[Toponym]:
        """ "U.S.-led coalition", "US-based producer" (also where the parser put the name in a
        person's name): a country's or first-order division's name before a hyphen and a
        lower-case word is a place, whatever entity the token sits in."""
        covered = {i for t in found for i in range(t.token_start, t.token_end)}
        out: list[Toponym] = []
        for match in _HYPHENATED_MODIFIER.finditer(doc_text(doc)):
            span = doc.char_span(match.start(1), match.end(1), alignment_mode="expand")
            if span is None or span.start in covered:
                continue
            token, head = span[0], match.group(1)
            if token.idx != match.start(1):
                continue
            best = self.gazetteer.best_named(head)
            if best is None or best[1] > 1 or best[0].feature not in ("country", "admin1"):
                continue
            if self.demonyms.target(head) is not None:
                continue
            toponym = Toponym(
                start=token.idx,
                end=token.idx + len(head),
                text=head,
                token_start=token.i,
                token_end=token.i + 1,
                label="GPE",
                keys=(name_key(head),),
            )
            toponym.extras["embedded"] = True  # it says whose, not where
            out.append(toponym)
        return out

    def _unknown(self, toponym: Toponym) -> bool:
        return not any(self.gazetteer.lookup_key(key) for key in toponym.keys)

    def _note_prefix(self, doc: Doc, toponym: Toponym) -> None:
        """ "Cavan Town Hall": remember that the name begins with a town's name, so that it can be
        placed where that town is when the document names it. Not for streets: "Atlantic
        Avenue" is not in Atlantic County."""
        if _street(doc, toponym.token_end):
            return
        for size in (3, 2, 1):
            if toponym.token_end - toponym.token_start <= size:
                continue
            span = doc[toponym.token_start : toponym.token_start + size]
            if not span[-1].text[:1].isupper():
                continue
            best = self.gazetteer.best_named(span.text)
            if best is not None and best[1] == 0 and best[0].feature in ("city", "admin2", "admin1"):
                toponym.extras["prefix"] = name_key(span.text)
                return

    def _facility(self, doc: Doc, ent: Span) -> Toponym | None:
        """An entity named like a facility ("Royal Street", "Alder Hey Children's Hospital") the
        gazetteer does not know: a place of its own, placed by the towns named around it."""
        start, end = ent.start, ent.end
        while start < end and doc[start].lower_ in _DETERMINERS:
            start += 1
        while end > start and (doc[end - 1].tag_ == "POS" or doc[end - 1].is_punct):
            end -= 1
        if end - start < 2 or ent.label_ in ("LAW", "PRODUCT"):
            return None
        last = doc[end - 1].lower_.rstrip(".")
        if last not in facility_words() or (ent.label_ == "PERSON" and last in _SURNAME_WORDS):
            return None
        span = doc[start:end]
        if not span[0].text[:1].isupper() and not span[0].is_digit:
            return None
        if self.gazetteer.best_named(span.text) is not None:
            return None  # a name the gazetteer has goes the usual way
        toponym = self._toponym(span, "FACILITY")
        toponym.extras["facility"] = True
        self._note_prefix(doc, toponym)
        return toponym

    def _embedded(self, doc: Doc, ent: Span, weak: bool = True) -> list[Toponym]:
        """Toponyms and demonyms inside an organisation's (or event's, facility's) name: the
        longest runs of capitalised tokens the gazetteer knows as a prominent place. They are
        marked ``embedded``: the name refers to the organisation, so they never place an event."""
        found: list[Toponym] = []
        first = ent.start
        while first < ent.end and doc[first].lower_ in _DETERMINERS:
            first += 1  # "The Winnipeg Fire Paramedic Service"
        i = first
        while i < ent.end:
            match = None
            for j in range(min(ent.end, i + 4), i, -1):
                span = doc[i:j]
                if not span[0].text[:1].isupper() or not span[-1].text[:1].isupper():
                    continue
                if j - i == len(ent) and ent.label_ not in ("ORG",):
                    continue  # a whole FAC/EVENT name is handled as an entity, not as embedded
                if self._direction_only(span.text):
                    continue
                if j - i == 1 and (span[0].lower_ in facility_words() or span[0].lower_ in self.designators):
                    continue  # "University of California", "Fire Island": a common noun, not the town so named
                if j < ent.end and doc[j].tag_ == "POS" and doc[ent.end - 1].lower_.rstrip(".") in facility_words():
                    continue  # "St George's Chapel", "Alder Hey Children's Hospital": a patron, not a place
                demonym = self.demonyms.target(span.text)
                if demonym is not None:
                    if i == first and doc[ent.end - 1].lower_.rstrip(".") in facility_words():
                        break  # "French Quarter", "Frenchmen Street": a site, not a nationality
                    match = self._toponym(span, ent.label_, demonym_of=demonym)
                    break
                best = self.gazetteer.best_named(span.text)
                first_or_after_of = i == first or doc[i - 1].lower_ in ("of", "in")
                if (
                    best is not None
                    and (first_or_after_of or best[0].feature != "city")
                    and self._prominent(best, self.min_embedded_population, span.text)
                ):
                    match = self._place_toponym(doc, span, ent.label_)
                    break
                if weak and first_or_after_of and j - i < len(ent) and self._weak_town(span):
                    match = self._weak(self._place_toponym(doc, span, ent.label_))  # "Allendale Woman's Club"
                    break
            if match is not None:
                match.extras["embedded"] = True
                found.append(match)
                i = match.token_end
            else:
                i += 1
        return found

    def _leading_place(self, doc: Doc, ent: Span) -> list[Toponym]:
        """A "person" whose name begins with a country, state or big town is mostly a team or an
        organisation the parser misread ("Seattle Seahawks", "New Brunswick RCMP", "Abuja
        Chamber of Commerce"). The place is kept as an embedded, weak toponym: it stays only
        where the document's other places back it."""
        first = ent.start + (1 if doc[ent.start].lower_ in _DETERMINERS else 0)
        for size in (3, 2, 1):
            if ent.end - first <= size:
                continue
            span = doc[first : first + size]
            if not all(t.text[:1].isupper() for t in span) or self._acronym(span.text):
                continue
            if self.demonyms.target(span.text) or self._direction_only(span.text):
                return []
            best = self.gazetteer.best_named(span.text)
            if best is None:
                continue
            if not (
                best[0].feature in ("country", "admin1")
                and best[1] <= 1
                or self._prominent_town(span.text, _BIG_TOWN) is not None
            ):
                return []
            toponym = self._weak(self._place_toponym(doc, span, "PERSON"))
            if toponym is None:
                return []
            toponym.extras["embedded"] = True
            return [toponym]
        return []

    def _datelines(self, doc: Doc, taken: list[bool]) -> list[Toponym]:
        """ "TORONTO —", "SAN DIEGO (AP) --", "BOSTON (Reuters) -": a place in capitals opening a
        line or a sentence, followed by a dash, comma or bracket (or, opening a line, by the text).
        The parser's sentences often run across a dateline, so a line start or a full stop before
        it counts too; so does an entity the parser made of the capitals ("DURBAN" as an ORG)."""
        found: list[Toponym] = []
        n = len(doc)
        start = 0
        while start < n:
            token = doc[start]
            if not (token.is_upper and token.is_alpha) or taken[start]:
                start += 1
                continue
            before = doc[start - 1] if start else None
            line_start = before is None or "\n" in before.whitespace_ + before.text
            opens = line_start or token.is_sent_start or (before is not None and before.text in (".", "!", "?"))
            end = start
            while end < n and end - start < 4 and doc[end].is_upper and doc[end].is_alpha and not taken[end]:
                end += 1
            if not opens or end >= n:
                start = end
                continue
            follows = doc[end]
            if follows.text not in (",", "-", "—", "–", "--", "(", ":") and not (
                line_start and follows.is_title and follows.is_alpha
            ):
                start = end
                continue
            span = doc[start:end]
            best = self.gazetteer.best_named(span.text) if sum(len(t) for t in span) >= 4 else None  # not "UN"
            if best is not None and (self._prominent(best, 1000) or self._prominent_town(span.text, 1000)):
                found.append(self._toponym(span, "DATELINE"))
            start = end
        return found

    # gazetteer matches ----------------------------------------------------------------------

    @staticmethod
    def _name_like(token: Token) -> bool:
        return (
            token.pos_ in ("PROPN", "NOUN", "ADJ")
            and token.text[:1].isupper()
            and token.is_alpha
            and token.text not in _CAPITALISED_STOPWORDS
        )

    @staticmethod
    def _joined_particle(doc: Doc, i: int) -> bool:
        """A hyphen or a lower-case particle written into a name: "al-Tijara", "Mazar-e-Sharif"."""
        token = doc[i]
        if token.text == "-" and i > 0 and not doc[i - 1].whitespace_ and not token.whitespace_:
            return True
        return token.lower_ in _NAME_PARTICLES and not token.whitespace_ and i + 1 < len(doc) and doc[i + 1].text == "-"

    def _runs(self, doc: Doc, blocked: list[bool]) -> Iterable[tuple[int, int]]:
        """Runs of capitalised name-like tokens, hyphenated particles included, at most 6 long."""
        i = 0
        n = len(doc)
        while i < n:
            if blocked[i] or not (self._name_like(doc[i]) or self._joined_particle(doc, i) and doc[i].text != "-"):
                i += 1
                continue
            j = i
            while j < n and not blocked[j] and j - i < 6 and (self._name_like(doc[j]) or self._joined_particle(doc, j)):
                j += 1
            while j > i and (doc[j - 1].text == "-" or doc[j - 1].lower_ in _NAME_PARTICLES):
                j -= 1  # a run ends on a name, not on "al-"
            if j > i:
                yield i, j
            i = max(j, i + 1)

    def _from_gazetteer(self, doc: Doc, blocked: list[bool]) -> list[Toponym]:
        runs = list(self._runs(doc, blocked))
        keys = {name_key(doc[a:b].text) for a, b in runs}
        known = self.gazetteer.known_keys(keys)
        found: list[Toponym] = []
        for a, b in runs:
            span = doc[a:b]
            key = name_key(span.text)
            if key not in known:
                if b - a >= 2 and doc[b - 1].lower_ in facility_words() and any(t.pos_ == "PROPN" for t in span):
                    facility = self._toponym(span, "FACILITY")  # "Royal Street" the parser tagged nothing
                    facility.extras["facility"] = True
                    self._note_prefix(doc, facility)
                    found.append(facility)
                    continue
                target = self.demonyms.target(span.text)
                if target is not None and span[0].text[:1].isupper():
                    found.append(self._toponym(span, "NORP", demonym_of=target))  # "Salvadoran migrant"
                    continue
                inner = self._demonyms_in(doc, a, b)
                if inner:
                    found.extend(inner)  # "Syrian-Turkish border", "Danish wave energy developer"
                    continue
                if b - a >= 2:
                    run = doc[a:b]
                    run.label_ = "RUN"
                    inner = self._embedded(doc, run)
                    if inner:
                        found.extend(inner)  # "SME Mauritius Limited", "Slidell PD" the parser tagged nothing
                        continue
                if (
                    any(t.pos_ == "PROPN" for t in span)
                    and not doc[a].is_sent_start
                    and self._strict_place_context(doc, span)
                    and not self._direction_only(span.text)
                ):
                    toponym = self._place_toponym(doc, span, "CONTEXT")  # a place no gazetteer knows
                    if toponym is not None:
                        found.append(toponym)
                continue
            if self._direction_only(span.text):
                continue
            target = self.demonyms.target(span.text)
            if target is not None:
                if not self._known_as_place(span.text):
                    found.append(self._toponym(span, "NORP", demonym_of=target))
                continue
            best, kind = self.gazetteer.best_named_key(key)  # type: ignore[misc]
            major = best.feature in _MAJOR_FEATURES and kind <= 1
            if not major and not any(t.pos_ == "PROPN" for t in span):
                continue
            prominent = major or (best.feature == "city" and kind == 0 and best.population >= self.min_town_population)
            sentence_start = doc[a].is_sent_start
            if best.feature == "city" and self._acronym(span.text):
                continue
            in_context = kind == 0 and best.population >= 1000 and self._place_context(doc, span)
            # a small town, or a town's other spelling ("Leposavic" for Leposaviq), only where the
            # words around it say "place"
            respelled = kind <= 2 and self._strict_place_context(doc, span)
            weak = False
            if not (prominent or in_context or respelled) or (
                sentence_start and not (best.feature in ("country", "admin1", "continent") and kind <= 1)
            ):
                if not self._weak_town(span):
                    continue
                weak = True  # "Bellmore", "Innisfail": a small town, kept if the story is around it
            toponym = self._place_toponym(doc, span, "GAZ")
            if toponym is not None:
                found.append(self._weak(toponym) if weak else toponym)
        return found

    def _prominent_key(self, key: str) -> bool:
        """A name known well enough to be the same place wherever the document repeats it."""
        best = self.gazetteer.best_named_key(key)
        if best is None:
            return False
        if best[0].feature in _MAJOR_FEATURES:
            return best[1] <= 1
        return any(
            kind <= 1 and place.feature in ("city", "admin2") and place.population >= self.min_town_population
            for place, kind in self.gazetteer.lookup_key(key)
        )

    @staticmethod
    def _person_words(doc: Doc) -> set[str]:
        """Words of the document's multi-word person names: "Tyler Williams", "Adrian Beltre"."""
        return {name_key(t.text) for ent in doc.ents if ent.label_ == "PERSON" and len(ent) > 1 for t in ent}

    # one sense per discourse ------------------------------------------------------------------

    #: Labels of toponyms sure enough to name the same place wherever the name recurs.
    _SURE_LABELS = frozenset({"GPE", "LOC", "DATELINE"})

    def _same_name_elsewhere(self, doc: Doc, found: list[Toponym]) -> list[Toponym]:
        """A name the document uses for sure as a place names that place wherever it recurs, also
        where the parser read it as a person or organisation ("Douma's fall", "Ghouta was under
        siege") or as the first words of a longer name ("Toronto Transit Commission", "Abuja
        Chamber of Commerce"; those are marked ``embedded``). Weak toponyms of a sure name are
        sure too."""
        person_words = self._person_words(doc)
        sure: dict[str, Toponym] = {}
        for toponym in found:
            key = toponym.keys[0]
            if (
                toponym.label in self._SURE_LABELS
                and not toponym.is_demonym
                and not toponym.extras.get("weak")
                and not toponym.extras.get("embedded")
                and key
                and not (len(key.split()) == 1 and key in person_words)
                and not self._direction_only(toponym.text)
                and self._prominent_key(key)
            ):
                sure.setdefault(key, toponym)
        if not sure:
            return []
        for toponym in found:
            if toponym.extras.get("weak") and toponym.keys[0] in sure:
                del toponym.extras["weak"]
        longest = max(len(t.keys[0].split()) for t in sure.values())
        taken = [False] * len(doc)
        for toponym in found:
            for i in range(toponym.token_start, toponym.token_end):
                taken[i] = True
        entity_of: dict[int, Span] = {}
        for ent in doc.ents:
            for i in range(ent.start, ent.end):
                entity_of[i] = ent
        added: list[Toponym] = []
        i, n = 0, len(doc)
        while i < n:
            token = doc[i]
            if taken[i] or not token.text[:1].isupper() or token.text in _CAPITALISED_STOPWORDS:
                i += 1
                continue
            match = None
            for size in range(min(longest, n - i), 0, -1):
                if any(taken[i : i + size]) or not doc[i + size - 1].text[:1].isupper():
                    continue
                span = doc[i : i + size]
                if name_key(span.text) in sure:
                    match = span
                    break
            if match is None:
                i += 1
                continue
            ent = entity_of.get(i)
            if ent is not None and ent.label_ in (
                "DATE",
                "TIME",
                "MONEY",
                "CARDINAL",
                "ORDINAL",
                "QUANTITY",
                "PERCENT",
            ):
                i += 1
                continue
            inside = ent is not None and (ent.start < match.start or ent.end > match.end)
            if inside and ent is not None and ent.label_ == "PERSON":
                first = ent.start + (1 if doc[ent.start].lower_ in _DETERMINERS else 0)
                if match.start != first:
                    i += 1
                    continue  # "Andrew Jackson": a surname, not the town named Jackson
            model = sure[name_key(match.text)]
            toponym = self._toponym(match, model.label if model.label != "DATELINE" else "GPE", keys=model.keys)
            toponym.hint = model.hint
            if inside or (match.end < n and doc[match.end].text[:1].isupper() and doc[match.end].is_alpha):
                toponym.extras["embedded"] = True
            added.append(toponym)
            for k in range(match.start, match.end):
                taken[k] = True
            i = match.end
        return added

    # "Paris, Texas" -------------------------------------------------------------------------

    @staticmethod
    def _link_qualifiers(doc: Doc, toponyms: list[Toponym]) -> None:
        """Mark ``B`` as qualifying ``A`` in "A, B" (and "A in B" with B a larger unit)."""
        for index in range(len(toponyms) - 1):
            first, second = toponyms[index], toponyms[index + 1]
            if first.is_demonym or second.is_demonym:
                continue
            between = doc[first.token_end : second.token_start]
            if len(between) == 1 and between[0].text == "," or len(between) == 1 and between[0].lower_ == "in":
                first.qualifier = index + 1
