"""Toponym resolution: which place of the gazetteer each toponym means.

Every candidate of a toponym's name gets a score:

- a prior: log10(population) plus a feature bonus (countries and regions are mentioned far more
  often than their population alone suggests; so are national capitals);
- how the name matched (a place's own name or a curated alias beats a foreign alternate name);
- what the text says about the kind of place ("Homs province", "the village of X", a LOC entity);
- a qualifier right after it ("Paris, Texas"; "Tabqa in Raqqa"): candidates inside it win;
- the document's context, from a first context-free pass: the share of mentions in each country
  (plus the actors' countries and the demonyms), first-order divisions named elsewhere, and
  places within 100 km of other mentions.

Two context passes follow the prior-only one. A town named like the division it lies in ("Homs",
"Pristina") is taken as the town unless a designator says otherwise. "northern Kosovo" becomes a
region of Kosovo placed within the extent of its towns, with precision "region".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from powderkeg.geo.gazetteer import (
    FEATURE_BONUS,
    KIND_ALTERNATE,
    KIND_SHORTENED,
    Gazetteer,
    GazPlace,
    name_key,
)
from powderkeg.geo.toponyms import Toponym, load_relative_words
from powderkeg.model import Place

__all__ = ["PRECISION", "PlaceMention", "Resolver", "distance_km", "place_from"]

#: ACLED-style precision of each kind of place: "city" (a town: geo-precision 1), "district"
#: (part of a region, near a town: 2), "region" (a province or larger area: 3), "country".
PRECISION = {
    "city": "city",
    "admin2": "district",
    "admin1": "region",
    "region": "region",
    "water": "region",
    "land": "region",
    "landmark": "city",
    "country": "country",
    "continent": "continent",
}

KIND_PENALTY = {0: 0.0, 1: 0.0, KIND_ALTERNATE: 3.0, KIND_SHORTENED: 2.0}
CAPITAL_BONUS = 2.5
HINT_MATCH, HINT_MISMATCH = 3.0, -1.5
QUALIFIED_BONUS, UNQUALIFIED_PENALTY = 8.0, -1.0
COUNTRY_CONTEXT, ADMIN1_CONTEXT, NEARBY_CONTEXT = 4.0, 2.0, 1.5
TOWN_ADMIN1_CONTEXT = 1.5
NEARBY_KM = 100.0
#: A weak toponym (a small town's name where nothing says "place") stays only if a place the
#: document names for sure lies this close, or in the same first-order division.
SUPPORT_KM = 150.0
#: A weak toponym that is a town this large is supported by its country alone ("Kosice" in a
#: story that names Slovakia).
BIG_TOWN = 100_000
#: A town smaller than this, alone in its country while the story names this many places
#: elsewhere, is left unresolved (see ``Resolver._drop_strays``).
STRAY_POPULATION, STRAY_OTHERS = 20_000, 2
#: A town takes its division's name when it holds at least this share of the division's people.
SEAT_SHARE = 0.25


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(h)))


@dataclass
class PlaceMention:
    """A toponym (or demonym) of a document with the place it was resolved to."""

    text: str
    start: int
    end: int
    token_start: int
    token_end: int
    feature: str  # country, admin1, admin2, city, continent, region, water, land, contextual, demonym
    place: Place | None = None
    label: str = ""  # spaCy entity label, or GAZ
    confidence: float = 0.0
    embedded: bool = False  # inside an organisation's name ("Edmonton Police"): never an event's place
    area: Place | None = None  # the part of the place a direction word names: "northern Kosovo"
    gazetteer_place: GazPlace | None = field(default=None, repr=False)

    @property
    def is_demonym(self) -> bool:
        return self.feature == "demonym"

    def to_dict(self, iso2: dict[str, str] | None = None) -> dict[str, object]:
        """The ``powderkeg geoparse`` line format of one place."""
        place = self.place
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "name": place.name if place else None,
            "country": place.country if place else None,
            "admin1": place.admin1 if place else None,
            "lat": place.lat if place else None,
            "lon": place.lon if place else None,
            "geonameid": place.geonameid if place else None,
            "feature": self.feature,
        }


def place_from(
    gazetteer: Gazetteer,
    gaz: GazPlace,
    *,
    name: str | None = None,
    precision: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    keep_id: bool = True,
) -> Place:
    """A model :class:`Place` (ISO alpha-3 country, division name) from a gazetteer place."""
    admin1 = None
    if gaz.feature == "admin1":
        admin1 = gaz.name
    elif gaz.country and gaz.admin1:
        division = gazetteer.admin1(gaz.country, gaz.admin1)
        admin1 = division.name if division else None
    return Place(
        name=name or gaz.name,
        country=gazetteer.iso3.get(gaz.country or "", gaz.country) if gaz.country else None,
        admin1=admin1,
        lat=round(lat if lat is not None else gaz.lat, 5),
        lon=round(lon if lon is not None else gaz.lon, 5),
        precision=precision or PRECISION.get(gaz.feature, "region"),
        geonameid=gaz.geonameid if keep_id else None,
    )


@dataclass
class _Context:
    countries: dict[str, float] = field(default_factory=dict)  # ISO2 -> share
    admin1s: Counter[tuple[str, str]] = field(default_factory=Counter)
    points: list[tuple[int, float, float]] = field(default_factory=list)  # (mention index, lat, lon)


def _contains(outer: GazPlace, inner: GazPlace) -> bool:
    if outer.id == inner.id or not outer.country or outer.country != inner.country:
        return False
    if outer.feature == "country":
        return True
    if outer.feature == "admin1":
        return inner.admin1 == outer.admin1 and inner.feature != "admin1"
    if outer.feature == "admin2":
        return inner.admin1 == outer.admin1 and inner.admin2 == outer.admin2 and inner.feature == "city"
    return False


class Resolver:
    """Resolves the toponyms of one document at a time."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.relative_words = load_relative_words()
        self._last_confidence: list[float] = []

    def candidates(self, toponym: Toponym) -> list[tuple[GazPlace, int]]:
        seen: dict[int, tuple[GazPlace, int]] = {}
        # "Quebec City", "Suffolk City": a town's own name with "City" after it is still its own name
        town_named = toponym.keys[0].endswith(" city")
        for rank, key in enumerate(toponym.keys):
            for place, kind in self.gazetteer.lookup_key(key):
                if rank > 0 and kind < KIND_SHORTENED and not (town_named and place.feature == "city"):
                    kind = KIND_SHORTENED
                if place.id not in seen or kind < seen[place.id][1]:
                    seen[place.id] = (place, kind)
        return list(seen.values())

    def _base_score(self, toponym: Toponym, place: GazPlace, kind: int) -> float:
        score = math.log10(place.population + 1) + FEATURE_BONUS.get(place.feature, 0.0)
        score -= KIND_PENALTY.get(kind, 2.0)
        if place.capital and kind <= 1:
            score += CAPITAL_BONUS
        if toponym.hint == "admin":
            score += HINT_MATCH if place.feature in ("admin1", "admin2") else HINT_MISMATCH
        elif toponym.hint == "city":
            score += HINT_MATCH if place.feature == "city" else HINT_MISMATCH
        if toponym.label == "LOC" and place.feature in ("region", "water", "land", "continent"):
            score += 1.0
        if toponym.relative and place.feature in ("country", "admin1"):
            score += 1.0
        return score

    def resolve(
        self,
        toponyms: Sequence[Toponym],
        actor_countries: Iterable[str] = (),
    ) -> list[GazPlace | None]:
        """The chosen place of each toponym (None where the gazetteer knows no candidate).
        Demonyms are resolved to what they name and feed the country context."""
        candidates = [self.candidates(t) if not t.is_demonym else [] for t in toponyms]
        base = [[self._base_score(t, p, k) for p, k in cands] for t, cands in zip(toponyms, candidates, strict=True)]
        demonym_places = [self._demonym_place(t) if t.is_demonym else None for t in toponyms]
        actor_weights: Counter[str] = Counter()
        for code in actor_countries:
            iso2 = self.gazetteer.iso2.get(code, code if len(code) == 2 else "")
            if iso2:
                actor_weights[iso2] += 1.0

        self._last_confidence = [0.0] * len(toponyms)
        choice = self._choose(toponyms, candidates, base, None, range(len(toponyms)), [None] * len(toponyms))
        # then each name in the light of the others, one name at a time and the least sure first, so
        # that a sure name ("London", capital) sets the scene for an unsure one ("Edmonton") rather
        # than both flipping to each other's first guess
        groups: dict[str, list[int]] = {}
        for i, toponym in enumerate(toponyms):
            if not toponym.is_demonym and candidates[i]:
                groups.setdefault(toponym.keys[0], []).append(i)
        order = sorted(groups, key=lambda key: min(self._last_confidence[i] for i in groups[key]))
        for _ in range(2):
            for key in order:
                context = self._context(toponyms, choice, demonym_places, actor_weights, only=key)
                self._choose(toponyms, candidates, base, context, groups[key], choice)
        self._drop_unsupported(toponyms, choice, demonym_places)
        self._drop_strays(toponyms, choice, demonym_places, actor_weights)
        return [
            demonym_places[i] if t.is_demonym else choice[i][0] if choice[i] else None for i, t in enumerate(toponyms)
        ]

    @staticmethod
    def _drop_unsupported(
        toponyms: Sequence[Toponym],
        choice: list[tuple[GazPlace, float] | None],
        demonym_places: Sequence[GazPlace | None] = (),
    ) -> None:
        """A weak toponym ("the Allendale Woman's Club", a small town's name said without "in")
        keeps its place only near the places the document names for sure."""
        sure = [
            chosen[0]
            for toponym, chosen in zip(toponyms, choice, strict=True)
            if chosen is not None and not toponym.extras.get("weak")
        ]
        # countries the story names as countries: a big town of theirs needs no nearer support
        named_countries = {place.country for place in sure if place.feature == "country"}
        named_countries |= {
            place.country for place in demonym_places if place is not None and place.feature == "country"
        }
        for i, toponym in enumerate(toponyms):
            chosen = choice[i]
            if chosen is None or not toponym.extras.get("weak"):
                continue
            place = chosen[0]
            supported = any(
                (
                    other.feature in ("city", "admin2")
                    and distance_km(place.lat, place.lon, other.lat, other.lon) <= SUPPORT_KM
                )
                or (
                    other.feature in ("city", "admin2", "admin1")
                    and other.admin1 is not None
                    and (other.country, other.admin1) == (place.country, place.admin1)
                )
                for other in sure
            )
            if not supported and not toponym.extras.get("person_word"):
                supported = (
                    (place.feature == "city" and place.population >= BIG_TOWN and place.country in named_countries)
                    or (
                        # a country or state the story is in: "New Brunswick RCMP" near Fredericton
                        place.feature == "country" and any(o.country == place.country and o is not place for o in sure)
                    )
                    or (
                        place.feature == "admin1"
                        and any(
                            o.feature != "admin1" and (o.country, o.admin1) == (place.country, place.admin1)
                            for o in sure
                        )
                    )
                )
            if not supported:
                choice[i] = None

    @staticmethod
    def _drop_strays(
        toponyms: Sequence[Toponym],
        choice: list[tuple[GazPlace, float] | None],
        demonym_places: list[GazPlace | None],
        actor_weights: Counter[str],
    ) -> None:
        """A small town in a country nothing else of the story is in ("Bains" read as the French
        village in a story about Nassau) is more likely a place the gazetteer lacks: it is left
        unresolved, to be placed by the places around it."""
        countries: Counter[str] = Counter(actor_weights)
        names_in: dict[str, set[str]] = {}
        for toponym, chosen in zip(toponyms, choice, strict=True):
            if chosen is not None and not toponym.extras.get("weak") and chosen[0].country:
                names_in.setdefault(chosen[0].country, set()).add(toponym.keys[0])
        for place in demonym_places:
            if place is not None and place.country:
                countries[place.country] += 1
        others = sum(len(keys) for keys in names_in.values())
        for i, toponym in enumerate(toponyms):
            chosen = choice[i]
            if chosen is None or toponym.extras.get("weak"):
                continue
            place = chosen[0]
            if place.feature not in ("city", "admin2") or place.population >= STRAY_POPULATION or not place.country:
                continue
            own = names_in.get(place.country, set())
            if own == {toponym.keys[0]} and not countries[place.country] and others - 1 >= STRAY_OTHERS:
                choice[i] = None

    def confidences(self) -> list[float]:
        """How sure the last :meth:`resolve` was of each choice (0.5: a coin toss, 1: no rival)."""
        return list(self._last_confidence)

    def _demonym_place(self, toponym: Toponym) -> GazPlace | None:
        target = toponym.demonym_of or ""
        kind, _, value = target.partition(":")
        if kind == "country":
            return self.gazetteer.country(value)
        if kind == "admin1":
            cc, _, code = value.partition(".")
            return self.gazetteer.admin1(cc, code)
        if kind == "feature":
            found = [p for p, k in self.gazetteer.lookup_key(name_key(value)) if k <= 1]
            return found[0] if found else None
        return None

    def _context(
        self,
        toponyms: Sequence[Toponym],
        choice: list[tuple[GazPlace, float] | None],
        demonym_places: list[GazPlace | None],
        actor_weights: Counter[str],
        only: str | None = None,
    ) -> dict[str, _Context]:
        """What the other names of the document say, for each distinct name: a name repeated
        twenty times must not vouch for its own first guess ("London" in an Ontario story)."""
        by_name: dict[str, tuple[GazPlace, float]] = {}
        demonym_weights: Counter[str] = Counter()
        for i, chosen in enumerate(choice):
            if toponyms[i].extras.get("weak"):
                continue  # a weak toponym must earn its place from the others, not vouch for them
            if chosen is None:
                place = demonym_places[i]
                if place is not None and place.country:
                    demonym_weights[place.country] += 0.5
                continue
            key = toponyms[i].keys[0]
            if key not in by_name or chosen[1] > by_name[key][1]:
                by_name[key] = chosen
        contexts: dict[str, _Context] = {}
        owns = {only} if only is not None else {t.keys[0] for t in toponyms if not t.is_demonym}
        for own in owns:
            weights: Counter[str] = Counter(actor_weights)
            for country, weight in demonym_weights.items():
                weights[country] += min(weight, 1.5)
            context = _Context()
            for key, (place, confidence) in by_name.items():
                if key == own:
                    continue
                if place.country:
                    weights[place.country] += 0.5 + 0.5 * confidence
                if place.country and place.admin1 and place.feature in ("admin1", "admin2", "city"):
                    context.admin1s[(place.country, place.admin1)] += 1
                if place.feature in ("city", "admin2") and confidence > 0.3:
                    context.points.append((-1, place.lat, place.lon))
            total = sum(weights.values())
            if total:
                context.countries = {cc: w / total for cc, w in weights.items()}
            contexts[own] = context
        return contexts

    def _choose(
        self,
        toponyms: Sequence[Toponym],
        candidates: list[list[tuple[GazPlace, int]]],
        base: list[list[float]],
        context: dict[str, _Context] | None,
        indices: Iterable[int],
        chosen: list[tuple[GazPlace, float] | None],
    ) -> list[tuple[GazPlace, float] | None]:
        """Choose a place for the toponyms at ``indices``, updating ``chosen`` (and the confidences)."""
        if len(self._last_confidence) != len(toponyms):
            self._last_confidence = [0.0] * len(toponyms)
        confidences = self._last_confidence
        # qualifiers first ("Texas" before "Paris" in "Paris, Texas"), so they can be used
        order = sorted(indices, key=lambda i: toponyms[i].qualifier is not None)
        for i in order:
            cands = candidates[i]
            if not cands:
                continue
            toponym = toponyms[i]
            qualifier = None
            if toponym.qualifier is not None and chosen[toponym.qualifier] is not None:
                qualifier = chosen[toponym.qualifier][0]  # type: ignore[index]
            scores = []
            for (place, _kind), score in zip(cands, base[i], strict=True):
                if qualifier is not None:
                    score += QUALIFIED_BONUS if _contains(qualifier, place) else UNQUALIFIED_PENALTY
                if context is not None and toponym.keys[0] in context:
                    score += self._context_score(i, place, context[toponym.keys[0]])
                scores.append(score)
            scores = self._prefer_towns_over_their_divisions(toponym, cands, scores)
            best = max(range(len(cands)), key=scores.__getitem__)
            winner = cands[best][0]
            # the rival is the best candidate somewhere else (a town and its own district are one)
            rivals = [
                score
                for (place, _kind), score in zip(cands, scores, strict=True)
                if place.id != winner.id
                and (place.country != winner.country or distance_km(place.lat, place.lon, winner.lat, winner.lon) > 50)
            ]
            margin = scores[best] - max(rivals) if rivals else 5.0
            confidence = 1.0 / (1.0 + math.exp(-margin))
            chosen[i] = (winner, confidence)
            confidences[i] = confidence
        return chosen

    @staticmethod
    def _context_score(index: int, place: GazPlace, context: _Context) -> float:
        score = 0.0
        share = context.countries.get(place.country or "", 0.0)
        score += COUNTRY_CONTEXT * share * (0.5 if place.feature == "country" else 1.0)
        # other names in the same first-order division ("Atlanta" for "Georgia" the state)
        in_named_division = place.country and place.admin1 and context.admin1s.get((place.country, place.admin1), 0)
        if place.feature == "admin1" and in_named_division:
            score += ADMIN1_CONTEXT
        elif place.feature in ("city", "admin2") and in_named_division:
            # weaker for a town: a state holds hundreds of towns, so a small namesake in the state
            # of another name ("Boston" in New York state) must not beat a city fifty times larger
            score += TOWN_ADMIN1_CONTEXT
        if place.feature in ("city", "admin2"):
            for other, lat, lon in context.points:
                if other != index and distance_km(place.lat, place.lon, lat, lon) < NEARBY_KM:
                    score += NEARBY_CONTEXT
                    break
        return score

    @staticmethod
    def _prefer_towns_over_their_divisions(
        toponym: Toponym, cands: list[tuple[GazPlace, int]], scores: list[float]
    ) -> list[float]:
        if toponym.hint == "admin":
            return scores
        adjusted = list(scores)
        for a, (division, _) in enumerate(cands):
            if division.feature not in ("admin1", "admin2"):
                continue
            for t, (town, _) in enumerate(cands):
                if (
                    town.feature == "city"
                    and _contains(division, town)
                    and (division.feature == "admin2" or town.population >= SEAT_SHARE * max(division.population, 1))
                ):
                    adjusted[t] = max(adjusted[t], scores[a] + 0.01)
        return adjusted

    # -- places ---------------------------------------------------------------------------------

    def relative_place(self, toponym: Toponym, gaz: GazPlace) -> Place | None:
        """ "northern Kosovo": the part of the place's town extent the direction word names."""
        if not toponym.relative or gaz.feature not in ("country", "admin1"):
            return None
        fractions = self.relative_words.get(toponym.relative)
        extent = self.gazetteer.extent(gaz.id)
        if fractions is None or extent is None:
            return None
        lat, lon = extent.point(*fractions)
        precision = "region"
        return place_from(
            self.gazetteer,
            gaz,
            name=f"{toponym.relative} {gaz.name}",
            precision=precision,
            lat=lat,
            lon=lon,
            keep_id=False,
        )
