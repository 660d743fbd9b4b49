"""Event location: which of a document's places is where an event happened.

The place that belongs to the event is found on the dependency parse: from each place mention
of the trigger's sentence a path leads up to the trigger, and each step costs what it says about
the relation. A place of "in/at/near X" on the trigger, its object ("captured Knin"), "the
village of X" and "X's Y district" inside such a phrase are cheap; a place reached through another
clause, an origin ("a driver from Abidjan"), the event's own subject ("Serbia requested ...":
an actor, not a venue) or a possessor of a person are dear. The cheapest place under a threshold
wins (basis "syntax"); then a weaker link in the same sentence ("sentence"); then the places of the
sentences just before in the same paragraph ("context"); then the article's focus ("article").
Among places in one phrase with the trigger the most specific wins (a town before its region).
A line break ends a sentence even where the parser ran a headline into the first one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from powderkeg.geo.resolve import PlaceMention
from powderkeg.geo.toponyms import noun_classes
from powderkeg.model import Place
from powderkeg.nlp import doc_text

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

__all__ = ["EventLocation", "link_cost", "locate_event"]

#: Prepositions that put something at a place, and what a step through them costs.
LOCATIVE_PREPOSITIONS = frozenset(
    "in at near on inside outside across around throughout within into onto to toward towards through "
    "along off over under between beyond behind beside".split()
)
ORIGIN_PREPOSITIONS = frozenset({"from"})
EVENT_PREPOSITIONS = frozenset({"during", "amid", "amidst"})
CLAUSE_EDGES = frozenset({"relcl", "advcl", "ccomp", "xcomp", "acl", "csubj", "parataxis", "conj"})
SUBJECT_EDGES = frozenset({"nsubj", "agent", "csubjpass", "expl"})
#: How specific a kind of place is (lower: smaller). A name the gazetteer lacks, said in one phrase
#: with a known place, is mostly a part of it: "Baghdad's southern district of Saiydiah".
SPECIFICITY = {
    "contextual": -1,
    "landmark": -1,
    "city": 0,
    "admin2": 1,
    "admin1": 2,
    "region": 3,
    "land": 3,
    "water": 3,
    "country": 4,
    "continent": 5,
}

SYNTAX_MAX_COST = 4.5
#: Places this close to the trigger are in one phrase with it ("the cities of Palmyra and Quaryatayn in
#: the Homs province"): the most specific of them wins.
SAME_PHRASE_COST = 2.0
SENTENCE_MAX_COST = 8.0
CONTEXT_SENTENCES = 3
_FAR = 99.0


@dataclass
class EventLocation:
    """Where an event happened, which mention says so, and on what basis."""

    place: Place
    mention: PlaceMention | None
    basis: str  # "syntax", "sentence", "context" or "article"
    cost: float = 0.0


def _head(doc: Doc, mention: PlaceMention) -> Token:
    return doc[mention.token_start : mention.token_end].root


def _is_person_like(token: Token) -> bool:
    return token.ent_type_ in ("PERSON", "ORG", "NORP") or noun_classes().get(token.lemma_.lower()) == "actor"


def _step_cost(token: Token, trigger: Token, first: bool) -> float:
    """Cost of going from ``token`` up to its head (``first``: the step from the name itself)."""
    dep = token.dep_
    head = token.head
    if dep == "pobj":
        return 0.0  # the preposition's own step carries the cost
    if dep == "prep":
        word = token.lower_
        if word in ORIGIN_PREPOSITIONS:
            # "a cab driver from Abidjan": where someone comes from, not where things happen
            return 2.0 if head.i == trigger.i else (9.0 if _is_person_like(head) else 3.0)
        if word == "of":
            return 0.5
        if word in LOCATIVE_PREPOSITIONS:
            return 1.0
        if word in EVENT_PREPOSITIONS:
            return 1.5  # "killed during the shelling on Khanasir town": the frame of the event
        return 4.0  # against, for, by, with, after: not where
    if dep == "appos":
        return 0.5
    if dep in ("compound", "nmod", "amod", "poss"):
        # a name modifying a place noun is that place ("Aziziyah district", "Mecca's Al-Nur
        # hospital"); modifying anything else it says whose ("U.S. forces", "a Tampa woman",
        # "Syria's civil war")
        kind = noun_classes().get(head.lemma_.lower())
        if kind == "place" or head.ent_type_ in ("GPE", "LOC", "FAC"):
            return 0.5
        if kind == "event":
            return 1.5  # "the Helmand battle", "Syria's conflict": it happened there
        return 8.0 if kind == "actor" or _is_person_like(head) else 4.0
    if dep == "npadvmod":
        return 1.0
    if dep in ("dobj", "attr", "oprd", "dative", "nsubjpass"):
        return 1.5  # what was captured, patrolled, bombed: the place itself
    if dep in SUBJECT_EDGES:
        if not first:
            return 1.0  # a place inside the subject's phrase: "Dozens of Iraqis in Tikrit demonstrated"
        return 9.0  # who acted ("Serbia made a request", "Australia took the bronze"): an actor, not a venue
    if dep == "conj":
        return 0.5 if head.pos_ in ("PROPN", "NOUN") else 3.0
    if dep == "acl" and head.pos_ == "NOUN":
        return 2.0  # a participle describing a noun: "rocket shelling on X", "forces deployed to X"
    if dep in CLAUSE_EDGES:
        return 3.0
    return 2.0


def link_cost(doc: Doc, trigger_i: int, mention: PlaceMention) -> float:
    """How weakly a place mention hangs on the trigger in the parse (lower: more its place)."""
    trigger = doc[trigger_i]
    head = _head(doc, mention)
    if head.i == trigger.i or mention.token_start <= trigger.i < mention.token_end:
        return _FAR
    trigger_ancestors = {t.i: depth for depth, t in enumerate([trigger, *trigger.ancestors])}
    cost = 0.0
    token = head
    steps = 0
    while token.i not in trigger_ancestors:
        if token.head.i == token.i or steps > 40:
            return _FAR
        cost += _step_cost(token, trigger, steps == 0)
        token = token.head
        steps += 1
    # the trigger hangs below the meeting point ("went to X to protest"): each step up costs
    up = trigger_ancestors[token.i]
    if up:
        cost += 1.5 * up
        if trigger.dep_ in ("relcl", "acl") and up == 1:
            cost += 1.0
    return cost


def _best(
    doc: Doc, trigger_i: int, mentions: Sequence[PlaceMention], close_cost: float = SAME_PHRASE_COST
) -> tuple[float, PlaceMention] | None:
    """The cheapest mention; among those close to the trigger (cost within ``close_cost``) the most
    specific one: "the cities of Palmyra and Quaryatayn in the Homs province" -> Palmyra."""
    scored = []
    for mention in mentions:
        cost = link_cost(doc, trigger_i, mention)
        specificity = SPECIFICITY.get(mention.feature, 3)
        scored.append((cost, specificity, abs(mention.token_start - trigger_i), mention))
    if not scored:
        return None
    close = [s for s in scored if s[0] <= close_cost]
    if close:
        cost, _, _, mention = min(close, key=lambda s: (s[1], round(s[0] * 2) / 2, s[2]))
    else:
        cost, _, _, mention = min(scored, key=lambda s: (round(s[0] * 2) / 2, s[1], s[2]))
    return cost, mention


def _placeable(mention: PlaceMention) -> bool:
    return not mention.is_demonym and not mention.embedded


def _line_start(text: str, char: int) -> int:
    """Character offset where the line (for extracted text: the paragraph) holding ``char`` starts."""
    return text.rfind("\n", 0, char) + 1


def _where(mention: PlaceMention, others: Sequence[PlaceMention] = ()) -> Place:
    """The place a mention puts an event: the part of it a direction word names, if any; for a
    name the gazetteer lacks, the name with the point of the resolved place named with it ("the
    village of Tamthil in Homs province"), else the name alone."""
    if mention.area is not None:
        return mention.area
    if mention.place is not None:
        return mention.place
    for other in others:
        if other.place is not None and other is not mention:
            base = other.area or other.place
            return Place(
                name=mention.text,
                country=base.country,
                admin1=base.admin1,
                lat=base.lat,
                lon=base.lon,
                precision="district" if other.feature in ("city", "admin2") else base.precision,
            )
    return Place(name=mention.text)


def locate_event(
    doc: Doc,
    trigger_i: int,
    mentions: Sequence[PlaceMention],
    focus: Place | None = None,
    *,
    syntax_max_cost: float = SYNTAX_MAX_COST,
    sentence_max_cost: float = SENTENCE_MAX_COST,
) -> EventLocation | None:
    """The place of the event whose trigger is token ``trigger_i`` of ``doc``."""
    sentence = doc[trigger_i].sent
    placeable = [m for m in mentions if _placeable(m)]
    # a line break ends a sentence even where the parser ran a headline into it
    text = doc_text(doc)
    line_start = _line_start(text, doc[trigger_i].idx)
    line_end = text.find("\n", doc[trigger_i].idx)
    line_end = len(text) if line_end < 0 else line_end
    in_sentence = [
        m
        for m in placeable
        if sentence.start <= m.token_start < sentence.end and line_start <= m.start and m.end <= line_end
    ]
    best = _best(doc, trigger_i, in_sentence)
    if best is not None:
        cost, mention = best
        nearby = sorted(in_sentence, key=lambda m: link_cost(doc, mention.token_start, m) if m is not mention else _FAR)
        if cost <= syntax_max_cost:
            return EventLocation(_where(mention, nearby), mention, "syntax", cost)
        if cost <= sentence_max_cost:
            return EventLocation(_where(mention, nearby), mention, "sentence", cost)
    # the sentences just before on the same line (paragraph): the most recent one naming a place
    earlier = [m for m in placeable if m.place is not None and line_start <= m.start and m.end <= sentence.start_char]
    if earlier:
        sentence_starts = sorted({doc[m.token_start].sent.start for m in earlier}, reverse=True)
        between = sum(1 for s in doc.sents if sentence_starts[0] <= s.start < sentence.start)
        if between <= CONTEXT_SENTENCES:
            group = [m for m in earlier if doc[m.token_start].sent.start == sentence_starts[0]]
            chosen = min(group, key=lambda m: (SPECIFICITY.get(m.feature, 3) - (2 if m.area else 0), -m.start))
            return EventLocation(_where(chosen), chosen, "context")
    if focus is not None:
        return EventLocation(focus, None, "article")
    return None
