"""Finishing a draft event: an ordered list of small named steps, each of which keeps, changes or
rejects the draft with a reason.

A rule proposes a :class:`Candidate` (a trigger, its rule, the actors the grammar gives). The coder
turns it into a :class:`Draft` and runs :data:`STEPS` over it in order. A step reads and changes the
draft and returns ``None`` to let it go on, or a short reason to reject it; the reasons are what
``powderkeg explain`` shows and what the event's ``provenance`` records. The last step builds the
:class:`~powderkeg.model.Event`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from spacy.tokens import Doc, Span, Token

from powderkeg.coder import taxonomy
from powderkeg.coder.actors import ArticleContext
from powderkeg.coder.casualties import casualties
from powderkeg.coder.confidence import NONE, rule_key
from powderkeg.coder.confidence import features as confidence_features
from powderkeg.coder.dates import event_date
from powderkeg.coder.lexicon import Lexicon, TriggerRule
from powderkeg.coder.modality import Modality, modality
from powderkeg.coder.roles import actor_words, armed, political, role, state_sectors
from powderkeg.coder.trace import CHANGED, KEPT, REJECTED, CandidateTrace, Decision
from powderkeg.model import Actor, Article, Event

if TYPE_CHECKING:
    from powderkeg.coder.events import Coder

VERBAL_CATEGORIES = frozenset({"AGREE", "SUPPORT", "CONCEDE", "REQUEST", "ACCUSE", "REJECT", "THREATEN"})
VIOLENT_CATEGORIES = frozenset({"ASSAULT"})
# ASSAULT modes that name the act, not the weapon: a weapon word in the clause does not replace them
_ACT_MODES = frozenset({"abduct", "sexual", "torture"})
# ASSAULT modes a riot uses (None: no weapon named); demonstrators who fire missiles are no rioters
_RIOT_MEANS = frozenset({None, "primitive", "beat", "destroy"})
# what an event coded from a verb's default CAMEO code alone still counts as for ACLED: violence
# and agreements, where a weak reading is still more often right than wrong
_WEAK_EVIDENCE_ACLED = frozenset({"ASSAULT", "AGREE"})
# subordinators of a clause that happens at the same moment as its governing verb
MEANWHILE = frozenset({"as", "while", "when"})
# proposers that know the category at best: a verb's default CAMEO code and the sentence classifier
WEAK_ORIGINS = frozenset({"verbs-default", "model"})


@dataclass
class Candidate:
    """An event a rule proposed, before merging and finishing."""

    trigger: Token
    rule: TriggerRule
    host: Token  # the verb that carries the clause (the trigger itself, or a light verb)
    source: list[Actor]
    target: list[Actor]
    mode: str | None
    tokens: set[int] = field(default_factory=set)  # token indices of the event's clauses
    merged: bool = False
    cameo: str | None = None  # the CAMEO code a verb pattern gave, more specific than the category's
    target_near: bool = False  # the target is the nearest actor named, not a grammatical role
    asserted: bool = False  # one of its triggers is told as happening (see Coder._asserted_occurrence)


@dataclass
class Draft:
    """A candidate on its way to becoming an event: what the finishing steps read and change."""

    cand: Candidate
    sent: Span
    ctx: ArticleContext
    article: Article
    contexts: set[str]  # the sentence's ACLED context hints (acled_context.tsv)
    dates: list[Span]  # the sentence's DATE and TIME entities
    category: str
    mode: str | None
    source: list[Actor]
    target: list[Actor]
    mod: Modality = field(default_factory=Modality)
    negation_is_trigger: bool = False
    changes: list[str] = field(default_factory=list)  # category changes, shown in the rule name (">PROTEST")
    promoted: str | None = None
    day: date | None = None
    precision: str | None = None
    historical: bool = False
    fatalities: int | None = None
    injuries: int | None = None
    acled_type: str | None = None
    acled_subtype: str | None = None
    cameo: str | None = None
    goldstein: float | None = None
    quad: int | None = None
    intensity: float | None = None
    gate: dict[str, float] = field(default_factory=dict)  # the gate's probabilities for this sentence
    confidence: float = 0.0
    features: dict[str, float] = field(default_factory=dict)  # what the confidence model read
    event: Event | None = None
    notes: list[str] = field(default_factory=list)  # what the current step changed, for the trace

    @property
    def rule(self) -> TriggerRule:
        return self.cand.rule

    @property
    def weak(self) -> bool:
        """Proposed by a verb's default code or the sentence classifier, which know the category at best."""
        return self.rule.origin in WEAK_ORIGINS

    def note(self, text: str) -> None:
        self.notes.append(text)


Run = Callable[["Coder", Draft], str | None]


@dataclass(frozen=True)
class Step:
    name: str
    run: Run


# -- the steps, in order -------------------------------------------------------------------------


def _modality(coder: Coder, d: Draft) -> str | None:
    """Negated, hypothetical, intended or reported: the trigger's own markers and the words that
    govern it, and those of the light verb that carries it."""
    d.negation_is_trigger = any(c.kind == "neg" for c in d.rule.requires)
    d.mod = modality(d.cand.trigger, coder.lex, negation_is_trigger=d.negation_is_trigger)
    if d.cand.host.i != d.cand.trigger.i:
        combine(d.mod, modality(d.cand.host, coder.lex))
    if d.mod.label:
        d.note(d.mod.label)
    return None


def _source_not_in_target(coder: Coder, d: Draft) -> str | None:
    """ "Armenia and Azerbaijan signed a ceasefire": a party the target phrase names is not a source too."""
    if len(d.source) > 1 and d.target:
        taken = {(a.start, a.text) for a in d.target}
        kept = [a for a in d.source if (a.start, a.text) not in taken] or d.source
        if len(kept) != len(d.source):
            d.note("dropped sources the target names")
        d.source = kept
    return None


def _forces_move_themselves(coder: Coder, d: Draft) -> str | None:
    """ "Iraqi troops were deployed to Kirkuk": forces sent by nobody named move themselves."""
    trigger = d.cand.trigger
    if d.source or d.category != "MOBILIZE" or not is_passive(trigger):
        return None
    if any(c.dep_ == "agent" for c in trigger.children):
        return None
    moved = [c for c in trigger.children if c.dep_ == "nsubjpass"]
    d.source = [a for h in moved for a in coder.actors.resolve(h, d.ctx)]
    taken = {(a.start, a.text) for a in d.source}
    d.target = [a for a in d.target if (a.start, a.text) not in taken]
    if d.source:
        d.note("the forces moved are the source")
    return None


def _speaker_is_source(coder: Coder, d: Draft) -> str | None:
    """ "X said a request has been made": the speaker makes a verbal act nobody else is named for."""
    if not d.source and d.mod.speaker is not None and d.category in VERBAL_CATEGORIES:
        d.source = coder.actors.resolve(d.mod.speaker, d.ctx)
        if d.source:
            d.note("the speaker is the source")
    return None


def _assumed_protesters(coder: Coder, d: Draft) -> str | None:
    """ACLED's convention for a demonstration nobody is named for: protesters of the country where
    it happened."""
    if d.source or d.category != "PROTEST" or not d.cand.asserted:
        return None
    country = coder.where(d.cand.trigger, d.ctx)
    if country and country not in ("IGO", "NGO"):
        d.source = [Actor(text="protesters", code=f"{country}CVL", country=country, sector="CVL", assumed=True)]
        d.note(f"assumed protesters of {country}")
    return None


def _host_government(coder: Coder, d: Draft) -> str | None:
    """A rule flagged ``host_gov`` with no target acts on the source's own government."""
    if d.target or "host_gov" not in d.rule.flags or not d.source:
        return None
    country = next((a.country for a in d.source if a.country and a.country != "IGO"), None)
    if country:
        d.target = [Actor(text=f"{country} government", code=f"{country}GOV", country=country, sector="GOV")]
        d.note(f"target: the {country} government")
    return None


def _assumed_attacker(coder: Coder, d: Draft) -> str | None:
    """ACLED's convention for an attack nobody is named for: an unidentified armed group of the
    country where it happened; not for a verb's default code, and only where the clause names the
    weapon or the act (a shooting, a bomb, an abduction) and the sentence tells of no accident,
    disease or crime ("poisoned liquor killed seventeen", "died in the crash")."""
    if d.source or d.category not in VIOLENT_CATEGORIES or d.rule.origin == "verbs-default" or not d.cand.asserted:
        return None
    if "none" in d.contexts or not (d.cand.mode or mode_from_words(coder.lex, d.category, d.cand.tokens, d.sent.doc)):
        return None
    country = coder.where(d.cand.trigger, d.ctx)
    if country and country not in ("IGO", "NGO"):
        d.source = [Actor("unidentified armed group", f"{country}UAF", country, "UAF", assumed=True)]
        d.note(f"assumed an unidentified armed group of {country}")
    return None


def _assumed_police(coder: Coder, d: Draft) -> str | None:
    """A rule flagged ``police_source`` ("was arrested") with a target and no source: the police."""
    if d.source or "police_source" not in d.rule.flags or not d.target:
        return None
    country = coder.where(d.cand.trigger, d.ctx)
    if country and country not in ("IGO", "NGO"):
        d.source = [Actor(text="police", code=f"{country}COP", country=country, sector="COP", assumed=True)]
        d.note(f"assumed the police of {country}")
    return None


def _private_suspect(coder: Coder, d: Draft) -> str | None:
    """The one the state charges, arrests or sentences is a private person unless the text gives
    them a role: "Wang has been charged", "the man was arrested" (CVL of the country the event
    happened in, when the words give none), and a pronoun the context resolved to the police or a
    court ("he is charged", after a sentence about the police) does not charge itself."""
    if "state_act" not in d.rule.flags:
        return None
    fixed = []
    for actor in d.target:
        person = _names_a_person(actor, d.sent.doc)
        if person and (not actor.sector or (actor.text.lower() in _PRONOUNS and state_sectors(actor.sector))):
            country = actor.country or coder.where(d.cand.trigger, d.ctx)
            if country and country not in ("IGO", "NGO", "IMG", "MNC"):
                actor = replace(actor, code=f"{country}CVL", country=country, sector="CVL", org=None)
                d.note(f"'{actor.text}', charged or arrested by the state: a private person of {country}")
        fixed.append(actor)
    d.target = fixed
    return None


def _names_a_person(actor: Actor, doc: Doc) -> bool:
    """Whether an actor's words name a person: a personal pronoun, a person's name, or a people
    word of the agent dictionaries with no role (man, woman, suspect)."""
    if actor.text.lower() in _PRONOUNS:
        return True
    if actor.start is None:
        return False
    end = actor.end if actor.end is not None else actor.start + len(actor.text)
    span = doc.char_span(actor.start, end, alignment_mode="expand")
    if span is None:
        return False
    # a lone name the dictionaries do not know ("Wang has been charged") is most often a person's
    lone_name = len(span) == 1 and span.root.pos_ == "PROPN" and not actor.org and not actor.sector
    return span.root.ent_type_ == "PERSON" or span.root.lemma_.lower() in _PEOPLE or lone_name


_PEOPLE = frozenset({"man", "woman", "boy", "girl", "suspect", "teenager", "person", "people", "mother", "father"})
_PRONOUNS = frozenset({"he", "him", "she", "her", "they", "them"})


def _needs_actors(coder: Coder, d: Draft) -> str | None:
    bare = "bare_ok" in d.rule.flags and d.cand.asserted
    if bare:
        return None
    if not d.source and not ("no_source_ok" in d.rule.flags and d.target):
        return "no source actor named"
    if not d.source and not d.target:
        return "no actor named"
    return None


def _needs_political_actor(coder: Coder, d: Draft) -> str | None:
    """An event is an act between political actors (a state, an official, a force or armed group, a
    party, an organisation), or the state's own act whoever is named ("was charged", "was arrested"),
    or a protest (civilians protest). Acts among private people - ordinary crime, family, sport,
    business - are not political events."""
    if "state_act" in d.rule.flags or d.category == "PROTEST":
        return None
    doc = d.sent.doc
    if any(political(a, doc) for a in d.source + d.target):
        return None
    weapons = {d.cand.mode, mode_from_words(coder.lex, d.category, d.cand.tokens, doc)}
    if d.category in VIOLENT_CATEGORIES | {"COERCE"} and ("bare_ok" in d.rule.flags or _WAR_WEAPONS & weapons):
        return None  # a weapon of war used or found ("a roadside bomb exploded") is conflict whoever is named
    if d.category in VIOLENT_CATEGORIES and "none" not in d.contexts:
        fatalities, injuries = casualties([doc[i] for i in sorted(d.cand.tokens)], coder.lex)
        if (fatalities or 0) + (injuries or 0) >= _MASS_VIOLENCE:
            return None  # "gunmen killed five villagers": violence against many is no private quarrel
    return "no political actor: a state, official, force, armed group, party or organisation"


# people killed or hurt in one act from which violence counts whoever is named
_MASS_VIOLENCE = 3
# ASSAULT modes of weapons of war, not of everyday crime (firearms, knives and fists are both; a
# poison word is more often a crime or an accident than a chemical attack)
_WAR_WEAPONS = frozenset({"explosives", "suicide-attack", "aerial", "drone", "heavy-weapons"})


def _cooperation_needs_placed_actor(coder: Coder, d: Draft) -> str | None:
    """Cooperation between nobody in particular ("the tanks head back") tells an analyst nothing;
    violence by unplaced actors still matters (ACLED codes it)."""
    if taxonomy.quad(d.category) in (1, 2) and not any(a.country or a.org for a in d.source + d.target):
        return "cooperation between actors of no known country or organisation"
    return None


def _weak_rule_not_in_accident(coder: Coder, d: Draft) -> str | None:
    """ "died of the ailment", "took the train after the crash": an accident, disease or crime
    sentence holds no political act a weak rule could code."""
    if d.weak and "none" in d.contexts and not armed([a for a in d.source + d.target if not a.assumed], states=False):
        return "a verb's default code or the classifier in a sentence of accident, disease or crime"
    return None


def _weak_rule_needs_political_actor(coder: Coder, d: Draft) -> str | None:
    """A verb's default code for people of no political role ("the actress arrived in Paris") is
    everyday life, not a political event (material conflict stays: anyone can riot)."""
    if d.weak and taxonomy.quad(d.category) != 4 and not any(political(a, d.sent.doc) for a in d.source or d.target):
        return "a verb's default code or the classifier with no political actor"
    return None


def _cooperation_needs_political_actor(coder: Coder, d: Draft) -> str | None:
    """Cooperation among private people ("health workers visiting children at home") is no
    political event."""
    if taxonomy.quad(d.category) in (1, 2) and not any(political(a, d.sent.doc) for a in d.source + d.target):
        return "cooperation with no political actor"
    return None


def _riot(coder: Coder, d: Draft) -> str | None:
    """ "youths threw stones during demonstrations", "a protester demolished the building":
    violence by demonstrators, or unarmed people's stones at a protest, is a riot."""
    if d.category != "ASSAULT":
        return None
    cand = d.cand
    named_source = [a for a in d.source if not a.assumed]
    by_protesters = bool(actor_words(named_source) & coder.lex.hint_words("protest"))
    unarmed_means = (cand.mode or mode_from_words(coder.lex, d.category, cand.tokens, d.sent.doc)) in _RIOT_MEANS
    stones_at_protest = (
        cand.mode == "primitive" and d.contexts & {"protest", "riot"} and not armed(named_source, states=False)
    )
    if not ((by_protesters and unarmed_means) or stones_at_protest):
        return None
    d.category, d.mode = "PROTEST", "riot"
    cand.mode = "riot"
    cand.cameo = None  # the verb's own CAMEO code (destroy property) is no longer the event's
    d.changes.append(">PROTEST")
    d.contexts = d.contexts | {"riot"}  # ACLED: a violent demonstration
    if not named_source:
        country = coder.where(cand.trigger, d.ctx)
        named_source = [Actor("protesters", f"{country}CVL", country, "CVL", assumed=True)] if country else []
    d.source = named_source
    d.note("violence by demonstrators is a riot (PROTEST)")
    return None


def _purpose_of_protest_or_speech(coder: Coder, d: Draft) -> str | None:
    """ "staged a rally to demand reforms": the demand is made."""
    if d.mod.label == "purpose" and (d.category in VERBAL_CATEGORIES or d.category == "PROTEST"):
        d.mod.hypothetical, d.mod.label = False, None
        d.note("the purpose of a rally or statement is made")
    return None


def _promise_or_threat(coder: Coder, d: Draft) -> str | None:
    """PLOVER codes a stated future or intended act as a commitment: "will provide aid" is AGREE,
    "plans to impose restrictions" is THREATEN."""
    promoted = promise_or_threat(d.category, d.mod, d.negation_is_trigger)
    if promoted:
        d.changes.append(f">{promoted}")
        told = "refused" if promoted == "REJECT" else ("attempted" if "attempt" in d.mod.labels else d.mod.label)
        d.note(f"{d.category} told as {told}: {promoted}")
        d.category, d.mode, d.promoted = promoted, None, promoted
        d.cand.mode = None
        d.mod.hypothetical = False
    return None


def _mode(coder: Coder, d: Draft) -> str | None:
    """The PLOVER mode: the rule's, or the highest-ranked one a word of the clause names."""
    cand, lex = d.cand, coder.lex
    worded = mode_from_words(lex, d.category, cand.tokens, d.sent.doc)
    if worded is None and d.category == "ASSAULT" and cand.mode is None:
        # "the aerial bombardments left scores dead": the weapon is named outside the clause
        worded = mode_from_words(lex, d.category, {t.i for t in d.sent}, d.sent.doc)
    # a weapon word outranks an ASSAULT rule's mode, unless the mode names the act ("abducted
    # and shot dead" is an abduction whatever the weapon)
    weapon_first = d.category == "ASSAULT" and cand.mode not in _ACT_MODES
    mode = (worded or cand.mode) if weapon_first else (cand.mode or worded)
    try:
        d.mode = taxonomy.canonical_mode(d.category, mode)
    except ValueError:
        d.mode = None
    return None


def _date(coder: Coder, d: Draft) -> str | None:
    """The event's date (powderkeg.coder.dates.event_date); "publication" precision where the text gives none."""
    d.day, d.precision, d.historical = event_date(
        coder.lex, d.cand.trigger, d.cand.host, d.sent, d.dates, d.ctx.published
    )
    if not d.historical and in_past_war(coder.lex, d.cand.trigger):
        d.historical = True
    if d.historical:
        d.note("told as background")
    return None


def _casualties(coder: Coder, d: Draft) -> str | None:
    if d.category in VIOLENT_CATEGORIES:
        tokens = [d.sent.doc[i] for i in sorted(d.cand.tokens)]
        fatalities, injuries = casualties(tokens, coder.lex)
        d.fatalities, d.injuries = fatalities or 0, injuries or 0
    return None


def _codes(coder: Coder, d: Draft) -> str | None:
    """CAMEO, Goldstein, quad and intensity, and the ACLED type and sub-type."""
    contexts = set(d.contexts)
    if d.category == "ASSAULT" and (d.fatalities or d.injuries):
        contexts.discard("disrupted")  # a bomb that killed while being defused was not disrupted
    if "mob" in contexts and not by_a_mob(coder.lex, d.source, d.cand.trigger):
        contexts.discard("mob")  # vigilantes who only report, or fight beside an army, are no mob
    if d.category == "COERCE" and "protest" in contexts and not at_a_protest(coder.lex, d.target, d.cand.trigger):
        contexts.discard("protest")  # activists arrested before a rally: arrests, not an intervention
    rule_contexts = {flag.split("=", 1)[1] for flag in d.rule.flags if flag.startswith("acled=")}
    coding = taxonomy.code(
        d.category,
        d.mode,
        source_armed=armed(d.source),
        target_armed=armed(d.target, states=False),  # a place attacked stands for its people
        context=contexts - {"none"},
        source_role=role(d.source),
        target_role=role(d.target, states=False),
        preferred=rule_contexts,
    )
    d.acled_type, d.acled_subtype = coding.acled_type, coding.acled_subtype
    if d.rule.origin == "model" or (d.rule.origin == "verbs-default" and d.category not in _WEAK_EVIDENCE_ACLED):
        # the sentence classifier and a verb's default code know the category at best: too little
        # to assert ACLED's seizures, arrests or protests ("took samples", "pulled by police")
        d.acled_type = d.acled_subtype = None
    d.cameo, d.goldstein, d.quad, d.intensity = coding.cameo, coding.goldstein, coding.quad, coding.intensity
    if d.cand.cameo and not d.promoted:
        d.cameo, d.goldstein = d.cand.cameo, taxonomy.goldstein(d.cand.cameo)
    return None


def _gate_agrees(coder: Coder, d: Draft) -> str | None:
    """The rules and the learned gate must agree: a draft of a category the gate does not read in
    the sentence, where it reads no event at all, is rejected; a verb's default code or the
    classifier's own guess needs the gate to read its category best, or give it at least
    ``gate_weak_min``."""
    if not d.gate:
        return None
    p_none = d.gate.get(NONE, 0.0)
    p_category = max(d.gate.get(d.category, 0.0), d.gate.get(d.rule.category, 0.0))
    events = {k: v for k, v in d.gate.items() if k != NONE}
    best = max(events, key=events.__getitem__) if events else None
    if d.weak and best not in (d.category, d.rule.category) and p_category < coder.gate_weak_min:
        return (
            f"a verb's default code or the classifier for {d.category}, which the gate does not read here "
            f"({d.category} {p_category:.2f}, best {best})"
        )
    if p_none >= coder.gate_none_max and p_category < coder.gate_category_min:
        return f"the gate reads no event here (NONE {p_none:.2f}, {d.category} {p_category:.2f})"
    return None


def _confidence(coder: Coder, d: Draft) -> str | None:
    """A calibrated probability that the event is fully right (powderkeg.coder.confidence)."""
    if coder.confidence_model is not None and d.gate:
        d.features = confidence_features(d)
        d.confidence = coder.confidence_model.score(d.features, rule_key(d))
    else:
        d.confidence = heuristic_confidence(d)
    return None


def _event(coder: Coder, d: Draft) -> str | None:
    cand, rule = d.cand, d.rule
    rule_name = rule.name + ("+merged" if cand.merged else "") + ("+near" if cand.target_near else "")
    rule_name += "".join(d.changes)
    event = Event(
        type=d.category,
        mode=d.mode,
        source=d.source,
        target=d.target,
        sentence=d.sent.text.strip(),
        sentence_start=d.sent.start_char,
        sentence_end=d.sent.end_char,
        rule=rule_name,
        confidence=d.confidence,
        article_id=d.article.article_id,
        trigger=cand.trigger.text,
        trigger_start=cand.trigger.idx,
        trigger_end=cand.trigger.idx + len(cand.trigger),
        cameo=d.cameo,
        quad=d.quad,
        intensity=d.intensity,
        goldstein=d.goldstein,
        acled_type=d.acled_type,
        acled_subtype=d.acled_subtype,
        date=d.day.isoformat() if d.day else None,
        date_precision=d.precision,
        fatalities=d.fatalities,
        injuries=d.injuries,
        negated=d.mod.negated,
        hypothetical=d.mod.hypothetical,
        historical=d.historical,
        modality=d.mod.label,
        provenance=provenance(d),
        extras={"confidence_features": d.features, "rule_key": rule_key(d)} if d.features else {},
    )
    event.assign_id()
    d.event = event
    return None


STEPS: tuple[Step, ...] = (
    Step("modality", _modality),
    Step("source_not_in_target", _source_not_in_target),
    Step("forces_move_themselves", _forces_move_themselves),
    Step("speaker_is_source", _speaker_is_source),
    Step("assumed_protesters", _assumed_protesters),
    Step("host_government", _host_government),
    Step("assumed_attacker", _assumed_attacker),
    Step("assumed_police", _assumed_police),
    Step("private_suspect", _private_suspect),
    Step("needs_actors", _needs_actors),
    Step("needs_political_actor", _needs_political_actor),
    Step("cooperation_needs_placed_actor", _cooperation_needs_placed_actor),
    Step("weak_rule_not_in_accident", _weak_rule_not_in_accident),
    Step("weak_rule_needs_political_actor", _weak_rule_needs_political_actor),
    Step("cooperation_needs_political_actor", _cooperation_needs_political_actor),
    Step("riot", _riot),
    Step("purpose_of_protest_or_speech", _purpose_of_protest_or_speech),
    Step("promise_or_threat", _promise_or_threat),
    Step("gate_agrees", _gate_agrees),
    Step("mode", _mode),
    Step("date", _date),
    Step("casualties", _casualties),
    Step("codes", _codes),
    Step("confidence", _confidence),
    Step("event", _event),
)


def finish(
    coder: Coder,
    cand: Candidate,
    sent: Span,
    ctx: ArticleContext,
    article: Article,
    contexts: set[str],
    dates: list[Span],
    gate: dict[str, float] | None = None,
    trace: CandidateTrace | None = None,
) -> Event | None:
    """Run the finishing steps over one candidate: its event, or None when a step rejected it."""
    draft = Draft(
        cand=cand,
        sent=sent,
        ctx=ctx,
        article=article,
        contexts=set(contexts),
        dates=dates,
        category=cand.rule.category,
        mode=cand.mode,
        source=cand.source,
        target=cand.target,
        gate=gate or {},
    )
    for step in coder.steps:
        draft.notes = []
        reason = step.run(coder, draft)
        if trace is not None:
            if reason is not None:
                trace.decisions.append(Decision(step.name, REJECTED, reason))
            elif draft.notes:
                trace.decisions.append(Decision(step.name, CHANGED, "; ".join(draft.notes)))
            else:
                trace.decisions.append(Decision(step.name, KEPT))
        if reason is not None:
            return None
    if trace is not None:
        trace.event = draft.event
    return draft.event


def provenance(d: Draft) -> dict[str, Any]:
    """Where an event came from, as data: the proposing rule and its file line, and what the
    finishing steps changed."""
    out: dict[str, Any] = {
        "proposer": d.rule.origin,
        "rule": d.rule.name,
        "rule_file": d.rule.source,
        "trigger_category": d.rule.category,
    }
    if d.cand.cameo:
        out["cameo_pattern"] = d.cand.cameo
    if d.cand.merged:
        out["merged"] = True
    if d.cand.target_near:
        out["target"] = "nearest actor"
    if d.changes:
        out["changes"] = [c.lstrip(">") for c in d.changes]
    if d.gate:
        out["gate"] = {k: round(v, 3) for k, v in d.gate.items()}
    return out


# -- helpers the steps and the coder share -------------------------------------------------------


def is_passive(verb: Token) -> bool:
    return any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children)


def combine(mod: Modality, other: Modality) -> None:
    """Add the modality of the word that carries a trigger (a light verb) to the trigger's own."""
    mod.negated = mod.negated or other.negated
    if other.hypothetical:
        mod.hypothetical = True
        mod.label = other.label if mod.label in (None, "reported") else mod.label
    elif other.label and not mod.label:
        mod.label = other.label
    mod.speaker = mod.speaker or other.speaker


def promise_or_threat(category: str, mod: Modality, negation_is_trigger: bool = False) -> str | None:
    """The category a future, intended or refused act is coded as, or None to keep it as it is.

    PLOVER codes "will provide aid" as AGREE, "plans to impose a curfew" as THREATEN, and a
    cooperation refused ("failed to reach an agreement", "will not accept refugees") as REJECT.
    """
    cooperative = taxonomy.quad(category) in (1, 2)
    if "attempt" in mod.labels and cooperative and not mod.negated and category != "AGREE":
        return "AGREE"  # "seeking to deepen a partnership": an intent to cooperate
    if mod.negated and cooperative and mod.labels <= {"future", "intention", "reported"}:
        mod.negated = False
        return "REJECT"
    if negation_is_trigger and mod.label in ("future", "intention"):
        return "REJECT"  # "will not accept": a refusal announced
    if mod.label not in ("future", "intention") or mod.negated:
        return None
    if "ultimatum" in mod.labels and mod.labels <= {"future", "intention", "reported", "ultimatum"}:
        return "THREATEN"  # "will withdraw its force unless ...": whatever the act, a threat
    if not mod.labels <= {"future", "intention", "reported"}:
        return None  # "might want to", "if ... will": no commitment
    quad = taxonomy.quad(category)
    if quad in (1, 2):
        return "AGREE"
    if quad == 4:
        return "THREATEN"
    return None


def harmed(lex: Lexicon, tokens: Iterable[Token]) -> set[int]:
    """Tokens naming what a verb of damage hits ("destroying several helicopters", "targeting
    what officials said were chemical weapons facilities"): a target, not a weapon."""
    damaging = lex.kind("damage")
    return {
        d.i
        for t in tokens
        if t.pos_ in ("VERB", "ADP", "ADV", "PART") and lex.lemma(t) in damaging
        for c in t.children
        if c.dep_ in ("dobj", "nsubjpass", "ccomp")
        for d in c.subtree
    }


def motives(lex: Lexicon, tokens: Iterable[Token]) -> set[int]:
    """Tokens that tell an earlier event as the motive of this one ("in retaliation for a gas
    attack", "in response to the shelling"): its cause, not part of it."""
    motive = lex.kind("motive")
    return {
        d.i
        for t in tokens
        if t.pos_ == "NOUN" and lex.lemma(t) in motive
        for c in t.children
        if c.dep_ == "prep" and c.lower_ in ("for", "to", "against", "over")
        for d in c.subtree
    }


def mode_from_words(lex: Lexicon, category: str, token_ids: set[int], doc: Doc) -> str | None:
    """The highest-ranked mode (earliest row of modes.tsv) a word of the clause names."""
    table = lex.modes.get(category)
    if not table:
        return None
    # "anti-aircraft guns" are no aircraft; "destroying several helicopters" names a target, not a weapon
    tokens = [doc[i] for i in token_ids]
    victims = harmed(lex, tokens) | motives(lex, tokens)
    words = [
        doc[i]
        for i in token_ids
        if i not in victims and not (i >= 2 and doc[i - 1].text == "-" and doc[i - 2].lower_ == "anti")
    ]
    lemmas = {lex.lemma(t) for t in words} | {t.lower_ for t in words}
    return next((mode for word, mode in table.items() if word in lemmas), None)


def in_past_war(lex: Lexicon, trigger: Token) -> bool:
    """An event told as part of a named past war: "the Kosovo War, which resulted in ..."."""
    wars = lex.kind("war")
    return any(anc.lemma_.lower() in wars and anc.ent_type_ == "EVENT" for anc in trigger.ancestors)


def by_a_mob(lex: Lexicon, source: list[Actor], trigger: Token) -> bool:
    """Whether ACLED's mob violence applies: a word with the "mob" hint (acled_context.tsv) names
    the event's source, its subject or passive agent, or the act itself ("lynched")."""
    mob_words = lex.hint_words("mob")
    words = actor_words(source)
    doers = [t for c in trigger.children if c.dep_ == "nsubj" for t in c.subtree]
    doers += [t for c in trigger.subtree if c.dep_ == "agent" for t in c.subtree]
    words |= {lex.lemma(t) for t in [trigger, *doers]}
    return bool(words & mob_words)


def at_a_protest(lex: Lexicon, target: list[Actor], trigger: Token) -> bool:
    """Whether a coercive act is done to demonstrators or at a demonstration: a word with the
    "protest" hint names its target ("arrested 50 protesters") or follows "at" or "during"
    ("detained at the rally")."""
    protest_words = lex.hint_words("protest")
    words = actor_words(target)
    scenes = [p for p in trigger.children if p.dep_ == "prep" and p.lower_ in ("at", "during")]
    # "arrested 180 people as supporters staged sit-ins": a clause of the same moment
    scenes += [c for c in trigger.children if c.dep_ == "advcl" and opened_by(c, MEANWHILE)]
    words |= {lex.lemma(o) for scene in scenes for o in scene.subtree}
    return bool(words & protest_words)


def opened_by(clause: Token, words: frozenset[str]) -> bool:
    return any(c.dep_ == "mark" and c.lower_ in words for c in clause.children)


def heuristic_confidence(d: Draft) -> float:
    """A score from how well the event is anchored: named and placed actors, a rule with
    conditions, a verb rather than a bare noun, a proposer that knows more than the category."""
    cand = d.cand
    score = 0.5
    if d.source and any(a.country for a in d.source):
        score += 0.2
    if d.target and any(a.country for a in d.target):
        score += 0.15
    if cand.rule.requires:
        score += 0.05
    if cand.rule.pos == "NOUN" and cand.host.i == cand.trigger.i:
        score -= 0.1
    # the CAMEO verb dictionary is broader than powderkeg's own patterns, and a verb's default
    # code or the sentence classifier knows the category at best
    score -= _ORIGIN_DOUBT.get(cand.rule.origin, 0.0)
    return min(score, 0.95)


_ORIGIN_DOUBT = {"verbs": 0.05, "verbs-default": 0.1, "model": 0.1}
