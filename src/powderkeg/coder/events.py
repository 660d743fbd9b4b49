"""The event coder: trigger patterns on the dependency parse, then actors, modality, dates,
casualties and taxonomy codes for each event.

Each event records the rule that coded it (``pattern:<lemma>...``, with ``+merged`` when two
triggers of one event were joined) and the file and line of that rule in ``extras``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from spacy.tokens import Doc, Span, Token

from powderkeg.coder import taxonomy
from powderkeg.coder.actors import ActorResolver, ArticleContext
from powderkeg.coder.confidence import NONE, ConfidenceModel
from powderkeg.coder.dictionaries import Dictionaries
from powderkeg.coder.finish import (
    STEPS,
    VIOLENT_CATEGORIES,
    Candidate,
    Step,
    finish,
    harmed,
    is_passive,
    motives,
)
from powderkeg.coder.lexicon import Condition, Lexicon, TriggerRule
from powderkeg.coder.roles import accusable, armed, better, distinct, political
from powderkeg.coder.trace import REJECTED, CandidateTrace, Decision, Dropped, Trace
from powderkeg.coder.verbs import VerbDictionary, VerbMatch

if TYPE_CHECKING:
    from powderkeg.coder.classifier import SentenceClassifier
    from powderkeg.geo import Geoparser
    from powderkeg.geo.resolve import PlaceMention
from powderkeg.model import Actor, Article, CodingTimeout, Event
from powderkeg.nlp import doc_text

# clauses that tell something else: relative clauses, coordinated and loose ones
_OTHER_CLAUSES = {"relcl", "parataxis", "conj"}
_FALLBACK_VIA = ("to", "into", "against", "on", "at", "for", "with", "from")
_MAJORITY_WORDS = {"majority", "dominated", "populated", "minority", "inhabited"}
# acts that, told by a party about someone else, accuse them; and the sectors of those who only report
_REPORTED_HOSTILE = frozenset({"ASSAULT", "COERCE"})
_REPORTING_SECTORS = frozenset({"MED"})
_ATTACHED_VIA = ("of", "by", "for", "to", "from", "against", "with", "on")


# gazetteer features whose country stands for the people there (not seas, continents or landmarks)
_PLACE_FEATURES = frozenset({"country", "admin1", "admin2", "city"})
# per-document state kept on the spaCy Doc: the geoparse, and the countries that guide it
_PLACES, _PLACE_HINT = "powderkeg.places", "powderkeg.place_hint"


@dataclass
class RuleChoice:
    """The rule that codes a word, the CAMEO code and match of a verb pattern, or why no rule does."""

    rule: TriggerRule | None = None
    cameo: str | None = None
    match: VerbMatch | None = None
    blocked: str | None = None  # a rule knows the word, but says it codes no event here


@dataclass
class Reading:
    """One document as the coder reads it: the per-document state the long-lived Coder does not keep."""

    doc: Doc
    article: Article
    ctx: ArticleContext
    hints: dict[int, set[str]] = field(default_factory=dict)  # ACLED context hints by sentence start
    events: list[Event] = field(default_factory=list)
    skipped_sentences: int = 0
    trace: Trace | None = None


def _countries(actors: list[Actor]) -> set[str]:
    return {a.country for a in actors if a.country}


def merge_mentions(events: list[Event]) -> list[Event]:
    """One article telling the same event twice ("Serbia made a request to KFOR ... Vucic said a
    request has been made") gives one event with two mentions: same category and date, sources
    from the same country, and targets that agree or are missing."""
    kept: list[Event] = []
    for event in events:
        twin = None
        if event.actual:
            for other in kept:
                if not other.actual or other.type != event.type or other.date != event.date:
                    continue
                if not _countries(other.source) & _countries(event.source):
                    continue
                theirs, ours = _countries(other.target), _countries(event.target)
                if theirs and ours and not theirs & ours:
                    continue
                twin = other
                break
        if twin is None:
            kept.append(event)
            continue
        twin.mentions += 1
        twin.target = twin.target or event.target
        # what a later mention tells more exactly ("the point was established") completes the event
        twin.mode = twin.mode or event.mode
        if twin.acled_subtype is None and event.acled_subtype is not None:
            twin.acled_type, twin.acled_subtype = event.acled_type, event.acled_subtype
        twin.extras.setdefault("mentions", []).append(
            {"sentence_start": event.sentence_start, "sentence_end": event.sentence_end, "rule": event.rule}
        )
    return kept


def category_is_violent(category: str) -> bool:
    return category in VIOLENT_CATEGORIES


def _condition_holds(tok: Token, cond: Condition, quantity: frozenset[str] = frozenset()) -> bool:
    if cond.kind == "neg":
        return any(c.dep_ == "neg" for c in tok.children)
    if cond.kind == "passive":
        return is_passive(tok)
    if cond.kind == "head":
        return tok.dep_ in ("nsubj", "nsubjpass") and tok.head.lemma_.lower() in cond.lemmas
    if cond.kind == "holds":
        return any(t.lemma_.lower() in cond.lemmas for phrase in _acted_on(tok) for t in _own_words(phrase))
    if cond.kind == "prep":
        for c in tok.children:
            if c.dep_ in ("prep", "agent") and c.lower_ == cond.dep:  # a passive's "by" is its agent
                objects = [o for o in c.children if o.dep_ in ("pobj", "pcomp")]
                # "of making false accusations": a gerund's object is what the preposition is about
                objects += [d for o in objects if o.dep_ == "pcomp" for d in o.children if d.dep_ == "dobj"]
                if "*" in cond.lemmas or any(o.lemma_.lower() in cond.lemmas for o in objects):
                    return True
        return False
    return any(
        c.dep_ == cond.dep
        and ("*" in cond.lemmas or c.lemma_.lower() in cond.lemmas or _counted(c, cond.lemmas, quantity))
        for c in tok.children
    )


def _acted_on(verb: Token) -> list[Token]:
    """The phrases naming what a verb acts on: its object or passive subject, a complement clause
    without "that" (where the parser often puts "found X believed to be ..."), or the noun its
    participle describes ("a stash of shells found in Mosul")."""
    phrases = [
        c
        for c in verb.children
        if c.dep_ in ("dobj", "nsubjpass", "attr", "oprd")
        or (c.dep_ == "ccomp" and not any(m.dep_ == "mark" for m in c.children))
    ]
    if verb.dep_ == "acl" and verb.tag_ == "VBN":
        phrases.append(verb.head)
    return phrases


def _own_words(phrase: Token) -> list[Token]:
    """A phrase's words without its relative clauses ("a commander who heads the explosives unit"
    names no explosives)."""
    clauses = {t.i for c in phrase.subtree if c.dep_ == "relcl" and c.i != phrase.i for t in c.subtree}
    return [t for t in phrase.subtree if t.i not in clauses]


def _counted(noun: Token, lemmas: frozenset[str], quantity: frozenset[str]) -> bool:
    """ "a large amount of ammunition", "a batch of weapons", "packages containing explosive
    devices", "mediation efforts": the thing counted, contained or named meets the condition."""
    if noun.lemma_.lower() not in quantity:
        return False
    held = [o for p in noun.children if p.dep_ == "prep" and p.lower_ in ("of", "with") for o in p.children]
    held += [o for v in noun.children if v.dep_ == "acl" and v.lemma_ in _HOLDING for o in v.children]
    if any(o.dep_ in ("pobj", "dobj") and o.lemma_.lower() in lemmas for o in held):
        return True
    return any(c.dep_ == "compound" and c.lemma_.lower() in lemmas for c in noun.children)  # "mediation efforts"


_HOLDING = {"contain", "carry", "hold", "pack", "load"}


def _is_relative(clause: Token) -> bool:
    """A clause opened by a relative word ("..., in which he cited ..."), whatever the parser
    attached it as."""
    words = [*clause.children, *(g for c in clause.children if c.dep_ == "prep" for g in c.children)]
    return any(w.tag_ in ("WDT", "WP", "WP$") and w.i < clause.i for w in words)


def _pos_of(tok: Token) -> str | None:
    if tok.pos_ == "VERB":
        return "VERB"
    if tok.pos_ == "NOUN":
        return "NOUN"
    return None


def _children(tok: Token, deps: Iterable[str]) -> list[Token]:
    wanted = set(deps)
    return [c for c in tok.children if c.dep_ in wanted]


def _prep_objects(tok: Token, preps: Iterable[str]) -> list[Token]:
    wanted = set(preps)
    out: list[Token] = []
    for prep in tok.children:
        if prep.dep_ in ("prep", "dative") and prep.lower_ in wanted:
            out.extend(o for o in prep.children if o.dep_ == "pobj")
    return out


class Coder:
    """Codes parsed articles into events. Create once; it is reused for every document."""

    def __init__(
        self,
        lexicon: Lexicon,
        dictionaries: Dictionaries,
        verbs: VerbDictionary | None = None,
        classifier: SentenceClassifier | None = None,
        classifier_threshold: float = 0.3,
        max_sentence_tokens: int = 200,
        geoparser: Geoparser | None = None,
        confidence_model: ConfidenceModel | None = None,
        gate_none_max: float = 0.9,
        gate_category_min: float = 0.05,
        gate_weak_min: float = 0.1,
    ) -> None:
        self.lex = lexicon
        self.geoparser = geoparser
        self.max_sentence_tokens = max_sentence_tokens
        self.dicts = dictionaries
        self.verbs = verbs
        self.classifier = classifier
        self.classifier_threshold = classifier_threshold
        self.steps: tuple[Step, ...] = STEPS  # the finishing steps, in order (powderkeg.coder.finish)
        self.confidence_model = confidence_model
        # the gate rejects a draft when it reads no event (NONE at least gate_none_max) and little
        # of the draft's category (under gate_category_min)
        self.gate_none_max = gate_none_max
        self.gate_category_min = gate_category_min
        # a verb's default code or the classifier's guess codes only where the gate gives its
        # category at least this probability ("verb defaults no longer code on their own")
        self.gate_weak_min = gate_weak_min
        self.verb_defaults = True  # code a dictionary verb by its block's default code when no pattern matched
        self.actors = ActorResolver(
            dictionaries,
            lexicon.kind("partitive") | set(lexicon.vague_numbers),
            place_index=self._token_places if geoparser is not None else None,
            international=lexicon.kind("international"),
            intergovernmental=lexicon.kind("intergovernmental"),
            installations=lexicon.kind("installation"),
        )

    # -- entry points -----------------------------------------------------------------------

    def code(self, doc: Doc, article: Article, deadline: float | None = None) -> list[Event]:
        """The events of a parsed article (see :meth:`read`)."""
        return self.read(doc, article, deadline).events

    def read(self, doc: Doc, article: Article, deadline: float | None = None, trace: Trace | None = None) -> Reading:
        """Code a parsed article: its events, and what else coding it found out.

        ``deadline`` (a ``time.monotonic()`` value): past it, :class:`CodingTimeout` is raised, so
        one pathological document cannot stall a batch. Run-on "sentences" longer than
        ``max_sentence_tokens`` (tables, lists, text without punctuation) are not coded;
        ``skipped_sentences`` counts them. With a ``trace``, every sentence's candidates and the
        finishing steps' decisions are recorded in it (``powderkeg explain``)."""
        ctx = ArticleContext(published=article.published)
        mentions = self.actors.country_mentions(doc, article.published)
        for counts in mentions.values():
            ctx.countries.update(counts)
        ctx.sentence_countries = {s.start: mentions.get(s.start, Counter()) for s in doc.sents}
        # the countries the dictionaries find in the document guide the geoparse, made once when first needed
        doc.user_data[_PLACE_HINT] = [c for c, _ in ctx.countries.most_common()]
        doc.user_data.pop(_PLACES, None)
        reading = Reading(doc=doc, article=article, ctx=ctx, trace=trace)
        sents = [s for s in doc.sents if s.text.strip()]
        for sent in sents:
            if deadline is not None and time.monotonic() > deadline:
                size = len(doc_text(doc))
                raise CodingTimeout(f"coding stopped at sentence {sent.start_char:,} of {size:,} characters")
            if len(sent) > self.max_sentence_tokens:
                reading.skipped_sentences += 1
                if trace is not None:
                    note = f"{len(sent)} tokens, over max_sentence_tokens ({self.max_sentence_tokens}): not coded"
                    trace.sentence(sent.text.strip(), sent.start_char, sent.end_char).note = note
                continue
            found = self.code_sentence(sent, reading)
            reading.events.extend(found)
            ctx.previous = [a for e in found for a in e.source] or ctx.previous
        self._code_demonstrations(reading.events, sents, reading.hints)
        if self.geoparser is not None and reading.events:
            self._locate(doc, reading.events)
        reading.events = merge_mentions(reading.events)
        return reading

    def _locate(self, doc: Doc, events: list[Event]) -> None:
        """Each event's place: the place its trigger's clause names, else its sentence's, else
        the article's focus (see :mod:`powderkeg.geo.locate`)."""
        assert self.geoparser is not None
        places = self._places(doc)
        focus = self.geoparser.focus(places)
        token_at = {t.idx: t.i for t in doc}
        for event in events:
            trigger_i = token_at.get(event.trigger_start) if event.trigger_start is not None else None
            if trigger_i is not None:
                event.location = self.geoparser.event_place(doc, trigger_i, places, focus)

    def _code_demonstrations(self, events: list[Event], sents: list[Span], hints: dict[int, set[str]]) -> None:
        """Read each ACLED-coded event's sentence and the sentences either side for what ACLED
        needs beyond the clause. An accident, a disaster or a crime ("none" hints) is no ACLED event
        unless an armed actor is named or it is a demonstration. A demonstration gets the sub-type
        of what happened at it (acled_demonstration.tsv): a protest whose next sentence tells of
        stones thrown at the police is a violent demonstration."""
        family = {subtype for _, _, subtype in self.lex.demonstration} | {"Peaceful protest"}
        index = {s.start_char: i for i, s in enumerate(sents)}

        def sentence_hints(j: int) -> set[str]:
            return self._sentence_hints(sents[j], hints) if 0 <= j < len(sents) else set()

        for event in events:
            if event.acled_subtype is None or event.sentence_start not in index:
                continue
            i = index[event.sentence_start]
            around = sentence_hints(i - 1) | sentence_hints(i) | sentence_hints(i + 1)
            if (event.acled_subtype in _DELIVERY_SUBTYPES and "cbrn" in sentence_hints(i + 1)) or (
                "cbrn" in sentence_hints(i - 1) and self._told_before(event, sents[i])
            ):
                # "rebels fired shells into the city. Residents suspect the shells contained gas";
                # "sarin was likely used in an attack on the village. The attack took place at dawn"
                event.acled_type, event.acled_subtype = "Explosions/Remote violence", "Chemical weapon"
                continue
            if event.mode == "obstruct":
                around = around | {"riot"}  # ACLED: blocking roads is a disruptive, violent demonstration
            if event.acled_subtype != "Mob violence":
                around = around - {"mob"}  # the clause named no mob (see finish.by_a_mob)
            mob = event.acled_subtype == "Mob violence"
            demonstration = event.acled_subtype in family and (event.type == "PROTEST" or "protest" in around)
            if not demonstration:
                # an accident, a disaster or a crime with no armed actor is no ACLED event (but a
                # demonstration in the rain or against fraud, or a lynching, is still one)
                named = [a for a in event.source + event.target if not a.assumed]
                if "none" in around and not mob and not armed(named, states=False):
                    event.acled_type = event.acled_subtype = None
                if event.acled_subtype not in family or mob:
                    continue  # a mob's killing away from any protest stays mob violence
            for hint, acled_type, subtype in self.lex.demonstration:
                if hint in around:
                    event.acled_type, event.acled_subtype = acled_type, subtype
                    break

    @staticmethod
    def _told_before(event: Event, sent: Span) -> bool:
        """Whether the event's trigger is a noun that refers back to an event the story has told
        ("the attack", "this strike"), so what the previous sentence says of it holds."""
        trigger = next((t for t in sent if t.idx == event.trigger_start), None)
        return (
            trigger is not None
            and trigger.pos_ == "NOUN"
            and any(c.dep_ == "det" and c.lower_ in ("the", "this", "that") for c in trigger.children)
        )

    def _sentence_hints(self, sent: Span, hints: dict[int, set[str]]) -> set[str]:
        """The ACLED context hints of a sentence's words (acled_context.tsv), once per sentence
        (``hints``: the document's, by sentence start)."""
        cached = hints.get(sent.start)
        if cached is not None:
            return cached
        # "demanded the release of demonstrators detained at a rally": what the words describing
        # people say happened to them is their story, not this event's
        described = {
            d.i for t in sent if t.dep_ == "acl" and t.tag_ == "VBN" and self._describes_people(t) for d in t.subtree
        }
        described |= motives(self.lex, sent) | harmed(self.lex, sent)
        # "captured a senior commander": people taken, no territory
        captive = self.lex.kind("captive")
        described |= {
            t.i
            for t in sent
            if t.pos_ == "VERB"
            and any(c.dep_ in ("dobj", "nsubjpass") and c.lemma_.lower() in captive for c in t.children)
        }
        # "to protest its plan for mass arrests": what is planned, demanded or threatened has not happened
        unreal = self.lex.kind("intention") | self.lex.kind("request") | self.lex.kind("threat")
        described |= {
            d.i
            for t in sent
            if t.pos_ == "NOUN" and self.lex.lemma(t) in unreal
            for c in t.children
            if c.dep_ == "prep"
            for d in c.subtree
        }
        words = [t for t in sent if not t.is_punct and t.i not in described]
        found = self.lex.contexts([self.lex.lemma(t) for t in words])
        if "none" in found and "none" not in self.lex.contexts([self.lex.lemma(t) for t in words if not t.ent_type_]):
            found.discard("none")  # "North Korea's Storm Corps" tells no storm
        hints[sent.start] = found
        return found

    def code_sentence(self, sent: Span, reading: Reading) -> list[Event]:
        """The events of one sentence of the document being read."""
        ctx, article = reading.ctx, reading.article
        told = reading.trace.sentence(sent.text.strip(), sent.start_char, sent.end_char) if reading.trace else None
        dropped = told.dropped if told is not None else None
        candidates = [c for tok in sent if (c := self._candidate(tok, ctx, dropped)) is not None]
        candidates += self._obligations(sent, ctx)
        candidates += self._allegations(sent, ctx)
        gate = self.classifier.predict(sent) if self.classifier is not None else []
        if told is not None:
            told.gate = gate[:5]
        probabilities = dict(gate)
        supported = any(probabilities.get(c.rule.category, 0.0) >= self.gate_weak_min for c in candidates)
        if gate and not supported and all(c.rule.origin == "verbs-default" for c in candidates):
            # nothing but verbs' default codes the gate does not read (or nothing at all): its own
            # reading may know better
            fallback = self._model_candidate(sent, ctx, gate)
            if fallback is not None and fallback.rule.category not in {c.rule.category for c in candidates}:
                candidates = [c for c in candidates if c.trigger.i != fallback.trigger.i] + [fallback]
        candidates = self._merge(candidates)
        # ACLED context hints are the sentence's, shared by all its events
        sentence_contexts = set(self._sentence_hints(sent, reading.hints)) if candidates else set()
        sentence_dates = [e for e in sent.ents if e.label_ in ("DATE", "TIME")] if candidates else []
        events: list[Event] = []
        seen: set[tuple[object, ...]] = set()

        def finished(cand: Candidate) -> Event | None:
            trace = None
            if told is not None:
                trace = CandidateTrace(
                    trigger=cand.trigger.text,
                    trigger_start=cand.trigger.idx,
                    category=cand.rule.category,
                    proposer=cand.rule.origin,
                    rule=cand.rule.name,
                    rule_file=cand.rule.source,
                )
                told.candidates.append(trace)
            return finish(self, cand, sent, ctx, article, sentence_contexts, sentence_dates, probabilities, trace)

        for cand in candidates:
            event = finished(cand)
            if event is None:
                continue
            key = (event.type, event.actual, tuple(a.code for a in event.source), tuple(a.code for a in event.target))
            if key not in seen:  # "agreed to provide aid" and "agreed" give one AGREE
                seen.add(key)
                events.append(event)
            elif told is not None:
                told.candidates[-1].decisions.append(
                    Decision("one_event_per_act", REJECTED, "the same event as an earlier word of the sentence")
                )
                told.candidates[-1].event = None
        for cand in self._reported_attacks(sent, events, ctx):
            event = finished(cand)
            if event is not None:
                events.append(event)
        return events

    # -- triggers ---------------------------------------------------------------------------

    def match_rule(self, tok: Token) -> TriggerRule | None:
        """The triggers.tsv rule that codes this token, if any."""
        row = self._trigger_row(tok)
        return None if row is None or row.blocks else row

    def _trigger_row(self, tok: Token) -> TriggerRule | None:
        """The most specific triggers.tsv row whose conditions hold here (it may be a blocking one)."""
        pos = _pos_of(tok)
        if pos is None:
            return None
        counted = self._counted_by(tok) if pos == "NOUN" else tok
        quantity = self.lex.kind("quantity")
        for rule in self.lex.rules_for(self.lex.lemma(tok), pos):
            # "a wave of strikes on rebel positions": the counting noun's prepositions are the event's
            if all(
                _condition_holds(tok, cond, quantity) or (cond.kind == "prep" and _condition_holds(counted, cond))
                for cond in rule.requires
            ):
                return rule
        return None

    def choose_rule(self, tok: Token) -> tuple[TriggerRule | None, str | None]:
        """The rule for a token, and the CAMEO code a verb pattern gave it (see :meth:`choose`)."""
        choice = self.choose(tok)
        return choice.rule, choice.cameo

    def choose(self, tok: Token) -> RuleChoice:
        """The rule for a token, the CAMEO code and match a verb pattern gave it, and, when a rule
        knows the word but codes nothing here, why.

        A row of triggers.tsv with conditions wins (a "-" row blocks coding); a null pattern ("---") of the CAMEO verb
        dictionary blocks coding; a bare triggers.tsv row wins over the dictionary (taking its CAMEO
        code when both agree on the category); then a matching dictionary pattern; then the
        dictionary's default code for the verb.
        """
        own = self._trigger_row(tok)
        if own is not None and own.blocks:
            return RuleChoice(blocked=f"a '-' row of {own.source} says this codes no event here")
        if own is not None and own.requires:
            return RuleChoice(own)
        found: VerbMatch | None = self.verbs.match(tok) if self.verbs is not None and tok.pos_ == "VERB" else None
        if found is None:
            return RuleChoice(own)
        if found.pattern is not None and found.code == "---":
            return RuleChoice(blocked=f"the CAMEO verb dictionary's null pattern ({found.pattern.source})")
        coded = self._rule_from_cameo(tok, found)
        agrees = coded is not None and (own is None or coded.category == own.category)
        if found.pattern is not None and agrees:
            return RuleChoice(own or coded, found.code, found)
        if own is not None:
            return RuleChoice(own, found.code if agrees else None, found if agrees else None)
        governors = (
            self.lex.kind("intention")
            | self.lex.kind("speech")
            | self.lex.kind("light")
            | self.lex.kind("frame")
            | self.lex.kind("mandate")
            | self.lex.kind("vague")
        )
        if coded is None:
            return RuleChoice()
        if not self.verb_defaults:
            return RuleChoice(blocked="verbs' default codes are off")
        if self.lex.lemma(tok) in governors:
            # a verb of saying, planning or trying, or a light verb, frames an event: it is not one
            # by its default code
            return RuleChoice(blocked="a verb of saying, planning or trying, or a light verb, is not coded by default")
        return RuleChoice(coded, found.code, found)

    def _obligations(self, sent: Span, ctx: ArticleContext) -> list[Candidate]:
        """ "X said Y must do Z" is X's demand on Y: a REQUEST by the speaker, the one who must act
        as its target (the act itself, if coded, stays unasserted)."""
        out: list[Candidate] = []
        speech = self.lex.kind("speech")
        for tok in sent:
            if tok.pos_ not in ("VERB", "AUX") or not any(  # "must withdraw", "must be ready to"
                c.dep_ == "aux" and c.lower_ in self.lex.kind("obligation") for c in tok.children
            ):
                continue
            speaker_verb = next((a for a in tok.ancestors if a.pos_ == "VERB" and self.lex.lemma(a) in speech), None)
            if speaker_verb is None:
                continue
            rule = self.lex.rule_for_cameo(
                self.lex.lemma(tok), "REQUEST", None, "lexicon.tsv:obligation", origin="grammar"
            )
            source = [a for h in self._subject(speaker_verb) for a in self.actors.resolve(h, ctx)]
            target = [a for h in _children(tok, ["nsubj"]) for a in self.actors.resolve(h, ctx)]
            if source and target:
                tokens = {t.i for t in tok.subtree}
                out.append(Candidate(speaker_verb, rule, speaker_verb, source, target, None, tokens))
        return out

    def _allegations(self, sent: Span, ctx: ArticleContext) -> list[Candidate]:
        """ "X claimed that Y had attacked Z" is X's ACCUSE of Y: a verb of allegation whose "that"
        clause tells of an act by someone else (the act itself stays coded, as reported)."""
        out: list[Candidate] = []
        for tok in sent:
            if tok.pos_ != "VERB" or self.lex.lemma(tok) not in self.lex.kind("allegation") or self._denied(tok):
                continue
            for clause in _children(tok, ["ccomp"]):
                if not any(self.match_rule(t) or (self.verbs and t.pos_ == "VERB" and self.verbs.match(t))
                           for t in clause.subtree):  # fmt: skip
                    continue  # the clause tells of no act
                source = [a for h in self._subject(tok) for a in self.actors.resolve(h, ctx)]
                target = [a for h in _children(clause, ["nsubj"]) for a in self.actors.resolve(h, ctx)]
                speakers = {a.country for a in source}
                if not source or not target or {a.country for a in target} <= speakers:
                    continue  # "the US claimed they had attacked": no one else is accused
                rule = self.lex.rule_for_cameo(
                    self.lex.lemma(tok), "ACCUSE", "allege", "lexicon.tsv:allegation", origin="grammar"
                )
                out.append(Candidate(tok, rule, tok, source, target, "allege", {t.i for t in tok.subtree}))
        return out

    def _reported_attacks(self, sent: Span, events: list[Event], ctx: ArticleContext) -> list[Candidate]:
        """ "Israel said a mortar was fired at it from Gaza" is also Israel's ACCUSE of the attackers:
        a party named by its name (a state, an organisation, an official) that tells of violence or
        coercion by someone else accuses them. Sources who only report ("police said", "witnesses
        said", news media, private people) accuse no one, and a party telling of its own side's acts
        accuses no one."""
        out: list[Candidate] = []
        # acts a pattern coded (a verb's default code or the classifier knows too little to accuse on)
        reported = [
            e
            for e in events
            if e.type in _REPORTED_HOSTILE
            and e.actual
            and e.source
            and e.provenance.get("proposer") in ("pattern", "verbs")
        ]
        if not reported:
            return out
        speech, allegation = self.lex.kind("speech"), self.lex.kind("allegation")
        for tok in sent:
            lemma = self.lex.lemma(tok)
            if tok.pos_ != "VERB" or lemma not in speech or lemma in allegation or self._denied(tok):
                continue
            speakers = [h for h in self._subject(tok) if h.pos_ == "PROPN"]
            source = [a for a in distinct([a for h in speakers for a in self.actors.resolve(h, ctx)])
                      if political(a, sent.doc) and a.sector not in _REPORTING_SECTORS]  # fmt: skip
            if not source:
                continue
            for clause in _children(tok, ["ccomp"]):
                # the acts the clause tells, not those of a relative clause in it ("must return
                # the helicopter that was captured by ...")
                told = {t.idx for t in clause.subtree if not _in_relative_clause(t, clause)}
                accused = distinct([
                    a for e in reported if e.trigger_start in told
                    for a in e.source if accusable(a, source)
                ])  # fmt: skip
                if accused:
                    rule = self.lex.rule_for_cameo(
                        lemma, "ACCUSE", "allege", "lexicon.tsv:speech (tells of an attack)", origin="grammar"
                    )
                    tokens = {t.i for t in clause.subtree} | {tok.i}
                    out.append(Candidate(tok, rule, tok, source, accused, "allege", tokens))
        return out

    def _model_candidate(self, sent: Span, ctx: ArticleContext, gate: list[tuple[str, float]]) -> Candidate | None:
        """When no pattern fired: the gate's category for the main verb's clause, if it is
        confident and reads an event at all, with the actors the dependency structure gives."""
        root = sent.root
        if root.pos_ != "VERB" or not gate:
            return None
        if (row := self._trigger_row(root)) is not None and row.blocks:
            return None  # the sentence's verb is known to code no event here
        category, probability = gate[0]
        if category == NONE or probability < self.classifier_threshold:
            return None
        rule = self.lex.rule_for_cameo(
            self.lex.lemma(root), category, None, f"plover_sentence.json (p={probability:.2f})", origin="model"
        )
        acting = root
        if self.lex.lemma(root) in self.lex.kind("speech"):
            # "X and Y have upgraded their ties, the news agency said": the told clause acts
            acting = next((c for c in root.children if c.dep_ == "ccomp" and c.pos_ in ("VERB", "AUX")), root)
        source_heads, target_heads, host = self._verb_roles(acting, rule)
        source = distinct([a for h in source_heads for a in self.actors.resolve(h, ctx)])
        target = distinct([a for h in target_heads for a in self._target_actors(h, rule, ctx)])
        if not source:
            return None
        tokens = {t.i for t in root.subtree}
        return Candidate(root, rule, host, source, target, None, tokens)

    def _rule_from_cameo(self, tok: Token, found: VerbMatch) -> TriggerRule | None:
        plover = taxonomy.plover_for_cameo(found.code)
        if plover is None:
            return None
        where = found.pattern.source if found.pattern else f"CAMEO.2.0.txt:{found.block}"
        origin = "verbs" if found.pattern else "verbs-default"
        return self.lex.rule_for_cameo(self.lex.lemma(tok), plover[0], plover[1], where, origin)

    def _candidate(self, tok: Token, ctx: ArticleContext, dropped: list[Dropped] | None = None) -> Candidate | None:
        """The draft event a rule proposes on a word, or None (with the reason in ``dropped``, when given)."""
        choice = self.choose(tok)
        rule, cameo = choice.rule, choice.cameo
        reason = choice.blocked
        if rule is not None and self._modifier_only(tok):
            reason = "the word only describes someone or something (a modifier or an agent's kind)"
        elif rule is not None and self._denied(tok):
            reason = "it lies in what a denial rejects"
        elif (
            rule is not None
            and tok.tag_ == "VBN"
            and tok.dep_ in ("acl", "amod")
            and any(c.dep_ == "agent" for c in tok.children)
            and taxonomy.quad(rule.category) in (1, 2)
        ):
            reason = "a standing tie that describes someone ('militants backed by Ankara')"
        if reason is not None or rule is None:
            if reason is not None and dropped is not None:
                dropped.append(Dropped(tok.text, tok.idx, reason))
            return None
        marked = choice.match if rule.origin == "verbs" else None
        if "subject_target" in rule.flags:
            source_heads, target_heads, host = self._speaker_roles(tok)
        elif rule.pos == "VERB":
            source_heads, target_heads, host = self._verb_roles(tok, rule)
        else:
            source_heads, target_heads, host = self._noun_roles(tok, rule)
        if marked is not None and not is_passive(tok):
            # a pattern that marks its actors ("$ * + ...") says where they are
            if marked.source_token is not None:
                source_heads = [marked.source_token]
            if marked.target_token is not None:
                target_heads = [marked.target_token]
        # a wire dateline ("COLUMBIA, Ky. (WBKO) -", "PRISTINA, March 11 -") says where the report was filed
        filed = dateline_end(tok.sent)
        source_heads, target_heads = _after_dateline(source_heads, filed), _after_dateline(target_heads, filed)
        source = distinct([a for h in source_heads for a in self.actors.resolve(h, ctx) if not _before(a, filed)])
        target = distinct([a for h in target_heads for a in self._target_actors(h, rule, ctx) if not _before(a, filed)])
        source_ids = {(a.start, a.text) for a in source}
        target = [a for a in target if (a.start, a.text) not in source_ids]
        if not target and len(source) > 1 and rule.pos == "VERB" and self.lex.lemma(tok) in self.lex.kind("reciprocal"):
            source, target = source[:1], source[1:]  # "Syrian forces and Kurdish fighters clashed"
        near = False
        if not target:
            target = self._nearest_target(tok, host, source_heads, ctx, self.lex.nearest_target.get(rule.category))
            target = [a for a in target if (a.start, a.text) not in source_ids]
            near = bool(target)
        tokens = {t.i for t in host.subtree} | {t.i for t in tok.subtree}
        cand = Candidate(tok, rule, host, source, target, rule.mode, tokens, cameo=cameo)
        cand.target_near = near
        cand.asserted = self._asserted_occurrence(tok)
        return cand

    def _denied(self, tok: Token) -> bool:
        """Whether ``tok`` lies in what a denial rejects ("denied allegations that it shelled the
        plant", "rejected the accusations"): a "-" row flagged ``denial`` blocks its governing verb, and
        the word is in that verb's object, not in a clause joined to it."""
        below = tok
        for verb in tok.ancestors:
            if below.dep_ not in ("dobj", "prep", "pobj", "pcomp", "acl", "ccomp"):
                return False
            if verb.pos_ == "VERB" and (row := self._trigger_row(verb)) is not None and "denial" in row.flags:
                return True
            below = verb
        return False

    def _names_agents(self, noun: Token) -> bool:
        """Whether a noun is an agent word of the dictionaries ("police", "demonstrators")."""
        return noun.pos_ == "NOUN" and self.actors.dicts.agents.match([noun.lower_], 0) is not None

    def _names_party(self, tok: Token) -> bool:
        """Whether a word names someone who can act: a name, a people or country, or an agent word."""
        return tok.pos_ == "PROPN" or tok.ent_type_ in ("NORP", "GPE", "ORG", "PERSON") or self._names_agents(tok)

    def _describes_people(self, participle: Token) -> bool:
        """Whether a participle describes people ("protesters arrested last week"): its head, or the
        word before it when the parser attached it higher up, is an agent word."""
        return self._names_agents(participle.head) or self._names_agents(participle.nbor(-1))

    def _modifier_only(self, tok: Token) -> bool:
        """A trigger word that only describes someone or something: the end of a hyphenated
        adjective ("a war-torn country", "rebel-held towns") or a noun naming a kind of agent
        ("riot police", "protest leaders")."""
        if tok.dep_ == "amod" and tok.i > 0 and tok.nbor(-1).text == "-":
            return True
        return tok.dep_ == "compound" and self._names_agents(tok.head)

    def _nearest_target(
        self, tok: Token, host: Token, source_heads: list[Token], ctx: ArticleContext, allowed: str | None = "place"
    ) -> list[Actor]:
        """When the grammar gives no target: the nearest actor the event's clause names outside its
        source ("demanded a U.N. military presence", "refused to deploy peacekeepers in Iraq"),
        else, where the category allows (category_roles.tsv), the nearest place it names, standing
        for the people there ("arrived in Amman")."""
        if allowed == "none":
            return []
        outside = {t.i for h in source_heads for t in h.subtree} | {tok.i, host.i}
        scope = {t.i: t for t in [*tok.subtree, *host.subtree]}
        for t in list(scope.values()):
            if t.i not in (tok.i, host.i) and (t.dep_ in _OTHER_CLAUSES or (t.dep_ == "advcl" and _is_relative(t))):
                outside |= {d.i for d in t.subtree}  # another clause's actors are not this event's
        scope_tokens = sorted(scope.values(), key=lambda t: abs(t.i - tok.i))
        heads = [
            t
            for t in scope_tokens
            if t.i not in outside
            and (
                (t.pos_ in ("NOUN", "PROPN") and t.dep_ not in ("compound", "flat"))
                or (t.dep_ == "amod" and self.actors.demonym(t))
            )
        ]
        for allow_place in (False, True) if allowed == "place" else (False,):
            for head in heads:
                if head.dep_ == "amod":
                    country = self.actors.demonym(head) if not allow_place else None
                    if country:
                        return [Actor(text=head.text, code=country, country=country, start=head.idx,
                                      end=head.idx + len(head))]  # fmt: skip
                    continue
                named = self.actors.resolve_one(head, ctx, allow_place=allow_place)
                if named is not None and named.country:  # placed by its own words, not by context
                    return self.actors.resolve(head, ctx, allow_place=allow_place)
        return []

    def _target_actors(self, head: Token, rule: TriggerRule, ctx: ArticleContext, depth: int = 0) -> list[Actor]:
        """The actors a target phrase names; when the phrase is a thing ("Turkey's efforts",
        "support from the Assembly"), the actors attached to it: its possessor or the objects of
        its prepositions."""
        actors = self.actors.resolve(head, ctx)
        if actors or depth > 1 or head.pos_ not in ("NOUN", "PROPN"):
            return actors or self.actors.resolve(head, ctx, allow_place=True)
        found = [a for h in self._owner_heads(head, rule) for a in self._target_actors(h, rule, ctx, depth + 1)]
        return found or self.actors.resolve(head, ctx, allow_place=True)

    def _subject(self, verb: Token, depth: int = 0) -> list[Token]:
        """Who does what ``verb`` says: its subject, a passive's agent, or a governing clause's subject."""
        if is_passive(verb):
            return [o for a in _children(verb, ["agent"]) for o in a.children if o.dep_ == "pobj"]
        subjects = _children(verb, ["nsubj"])
        if subjects:
            return subjects
        if depth > 3:
            return []
        if verb.dep_ in ("xcomp", "advcl", "conj", "pcomp", "acomp") and verb.head.i != verb.i:
            head = verb.head
            if verb.dep_ == "xcomp" and is_passive(head):
                # "Gollum was seen to break into ...": the passive subject does it
                return _children(head, ["nsubjpass"])
            if head.pos_ in ("VERB", "AUX"):
                return self._subject(head, depth + 1)
            if verb.dep_ == "pcomp" and head.lower_ in ("of", "for", "from") and head.head.pos_ == "VERB":
                # "accused Russia of shelling", "stopped the rebels from entering": the object does it
                named = [o for o in _children(head.head, ["dobj"]) if self._names_party(o)]
                if named:
                    return named
            if head.dep_ == "pcomp" or head.pos_ in ("ADP", "ADJ", "ADV"):
                # "X is about to restore ...", "X is ready to send ...": up through the adjective
                return self._subject(head.head, depth + 1) if head.head.i != head.i else []
        if verb.dep_ in ("relcl", "acl") and verb.head.pos_ in ("NOUN", "PROPN") and not is_passive(verb):
            thing = verb.head
            carrier = thing.head
            if thing.dep_ == "dobj" and carrier.pos_ == "VERB" and self.lex.lemma(carrier) in self.lex.kind("light"):
                # "X issued a statement condemning Y": the statement's author condemns
                return self._subject(carrier, depth + 1)
            return [thing]
        return []

    def _owner_heads(self, thing: Token, rule: TriggerRule) -> list[Token]:
        """Whose thing it is: "Turkey's efforts", "a U.N. Security Council resolution", "US
        mediation", "the withdrawal of Serbian forces", "an admission by Moscow"."""
        inner = _children(thing, ["poss", "compound"]) + _prep_objects(thing, (*rule.via, *_ATTACHED_VIA))
        inner += [m for m in _children(thing, ["amod"]) if self.actors.demonym(m)]
        # "Serb-majority towns" says who lives there, not whose they are
        return [t for t in inner if not any(w.lower_ in _MAJORITY_WORDS for w in t.subtree)]

    def _speaker_roles(self, verb: Token) -> tuple[list[Token], list[Token], Token]:
        """Criticism told as a fact about someone ("because KFOR is not doing its job"): the one
        criticised is the subject, the critic is whoever says it."""
        target = _children(verb, ["nsubj"])
        speech = self.lex.kind("speech")
        for anc in verb.ancestors:
            if anc.pos_ == "VERB" and self.lex.lemma(anc) in speech:
                return self._subject(anc), target, verb
        return [], target, verb

    def _verb_roles(self, verb: Token, rule: TriggerRule) -> tuple[list[Token], list[Token], Token]:
        source = self._subject(verb)
        target: list[Token] = []
        if is_passive(verb) and not source and "stative" in rule.flags:
            source = _children(verb, ["nsubjpass"])  # "Israel is opposed to French mediation"
        elif is_passive(verb):
            if rule.object_role == "target":
                target += _children(verb, ["nsubjpass"])
        elif rule.object_role == "target":
            target += _children(verb, ["dobj", "dative"])
        target += _prep_objects(verb, rule.via)
        if not target and rule.object_role == "theme":
            # "held a meeting with X", "lifted the curfew in Y": the object's own prepositions
            target += [o for obj in _children(verb, ["dobj"]) for o in _prep_objects(obj, rule.via)]
        if not target and rule.object_role == "theme":
            # "banned plates used by ethnic Serbs": those who use the thing acted on
            for obj in _children(verb, ["dobj", "nsubjpass"]):
                for clause in _children(obj, ["relcl", "acl"]):
                    target += [o for a in _children(clause, ["agent"]) for o in a.children if o.dep_ == "pobj"]
        if not target and rule.category == "MOBILIZE":
            # "mobilized army reservists for a possible war against Iraq": the forces are the
            # source's own; the one mobilized against is the target
            target += [o for p in _prep_objects(verb, ["for"]) for o in _prep_objects(p, ["against", "on", "with"])]
        elif not target and rule.object_role == "theme":
            # "demanded the removal of President X", "demanded a truce with Moslem forces"
            target += [o for obj in _children(verb, ["dobj"]) for o in self._owner_heads(obj, rule)]
        if not target and rule.category == "REQUEST":
            # "demanded that the US cancel ...": who is asked to act
            target += [s for comp in _children(verb, ["ccomp"]) for s in _children(comp, ["nsubj"])]
        if not target:
            # "threatened to deploy forces into Kosovo", "agreed to provide aid for Romania"
            for comp in _children(verb, ["xcomp", "ccomp"]):
                inner = self.match_rule(comp)
                if inner is None or inner.object_role == "target":
                    target += _children(comp, ["dobj", "dative"])
                target += _prep_objects(comp, _FALLBACK_VIA)
        return source, target, verb

    def _counted_by(self, noun: Token) -> Token:
        """The noun that stands in the clause for an event noun it counts: "a string of
        airstrikes" is carried out as the airstrikes would be."""
        head = noun.head
        counted = noun.dep_ == "pobj" and head.lower_ == "of" and head.head.pos_ == "NOUN"
        return head.head if counted and self.lex.lemma(head.head) in self.lex.kind("series") else noun

    def _entered(self, noun: Token) -> bool:
        """Whether an event noun is what its clause's subject starts or holds: "went on strike",
        "converged for a rally" (lexicon kinds ``enter`` and ``assemble``)."""
        prep = noun.head
        if noun.dep_ != "pobj" or prep.head.pos_ != "VERB":
            return False
        verb = self.lex.lemma(prep.head)
        return (prep.lower_ == "on" and verb in self.lex.kind("enter")) or (
            prep.lower_ in ("for", "during", "at") and verb in self.lex.kind("assemble")
        )

    def _noun_roles(self, noun: Token, rule: TriggerRule) -> tuple[list[Token], list[Token], Token]:
        source = _children(noun, ["poss"])
        source += [
            o for a in _children(noun, ["prep", "agent"]) if a.lower_ == "by" for o in a.children if o.dep_ == "pobj"
        ]
        target = _prep_objects(noun, rule.via)
        host = noun
        placed = self._counted_by(noun)
        if placed.dep_ == "compound" and placed.head.pos_ == "NOUN":
            placed = placed.head  # "undertook a mediation mission between X and Y": the mission carries it
        if placed is not noun:
            target += _prep_objects(placed, rule.via)
        governor = placed.head
        if self._entered(placed):
            host = governor.head  # "teachers went on strike", "crowds gathered for a rally": theirs
            return source or self._subject(host), target, host
        if placed.dep_ == "dobj" and governor.pos_ == "VERB" and self.lex.lemma(governor) in self.lex.kind("receive"):
            # "received assurances from the government": the giver does it, to the receiver
            givers = _prep_objects(governor, ["from"]) or [  # "a pledge of aid from Japan"
                o for t in placed.subtree if t.pos_ == "NOUN" for o in _prep_objects(t, ["from"])
            ]
            if givers:
                return source or givers, target or self._subject(governor), governor
        if placed.dep_ in ("dobj", "nsubjpass") and governor.pos_ == "VERB":
            lemma = self.lex.lemma(governor)
            carries = lemma in self.lex.kind("light") | self.lex.kind("support")
            embeds = lemma in self.lex.kind("intention") | self.lex.kind("request") | self.lex.kind("threat")
            if carries or embeds:
                host = governor
                if not source:
                    source = self._subject(governor)
                if carries:
                    target += _prep_objects(governor, rule.via or _FALLBACK_VIA)
        return source, target, host

    # -- merging ----------------------------------------------------------------------------

    def _merge(self, candidates: list[Candidate]) -> list[Candidate]:
        """Join triggers of one category when one sits inside the other's clause: "X was
        wounded when Y opened fire on Z" is one assault."""
        out: list[Candidate] = []
        for cand in sorted(candidates, key=lambda c: c.host.i):
            partner = next(
                (
                    o
                    for o in out
                    if o.rule.category == cand.rule.category
                    and (
                        cand.trigger.i in {t.i for t in o.host.subtree}
                        or o.trigger.i in {t.i for t in cand.host.subtree}
                    )
                ),
                None,
            )
            if partner is None:
                out.append(cand)
                continue
            partner.source = better(partner.source, cand.source)
            partner.target = better(partner.target, cand.target)
            partner.mode = partner.mode or cand.mode
            partner.tokens |= cand.tokens
            if _rule_rank(cand.rule) > _rule_rank(partner.rule):
                partner.rule = cand.rule
            partner.asserted = partner.asserted or cand.asserted
            if partner.trigger.i in {t.i for t in cand.host.subtree}:
                # the governing trigger carries the event's modality and date
                partner.trigger, partner.host = cand.trigger, cand.host
            partner.merged = True
        return out

    # -- finishing --------------------------------------------------------------------------

    def _places(self, doc: Doc) -> list[PlaceMention]:
        """The document's place mentions, geoparsed once (for actors and for event locations),
        with the countries the dictionaries find in it as the context."""
        assert self.geoparser is not None
        places = doc.user_data.get(_PLACES)
        if places is None:
            places = doc.user_data[_PLACES] = self.geoparser.places(doc, doc.user_data.get(_PLACE_HINT, []))
        return places

    def _token_places(self, doc: Doc) -> dict[int, str]:
        """The ISO3 country of each token of the place names the geoparser resolves in a document
        (towns, provinces, countries: not seas, regions or landmarks), for actors the dictionaries
        cannot place ("shelled the town of Avdiivka")."""
        out: dict[int, str] = {}
        for mention in self._places(doc):
            place = mention.place
            if place is None or not place.country or mention.feature not in _PLACE_FEATURES:
                continue
            for i in range(mention.token_start, mention.token_end):
                out[i] = place.country
        return out

    def where(self, trigger: Token, ctx: ArticleContext) -> str | None:
        """For an actor ACLED's conventions assume (the police, protesters, an unidentified armed
        group): the country of the place the event's words name ("arrested in Lebanon"), else the
        country the sentence, else the article, is about."""
        return self.actors.event_place_country(trigger, ctx) or self.actors.context_country_of(trigger, ctx)

    def _asserted_occurrence(self, trigger: Token) -> bool:
        """Whether an event with no actor is told as happening: a verb, a noun that is the subject
        or object of its clause ("a grenade attack killed ten"), or the scene of casualties ("were
        injured in a blast") - not a mention in passing ("a pause in the bombing")."""
        if trigger.pos_ == "NOUN":
            trigger = self._counted_by(trigger)
            if self._entered(trigger):
                return True
        if trigger.pos_ == "VERB" or trigger.dep_ in ("nsubj", "nsubjpass", "dobj", "ROOT", "attr"):
            return True
        if trigger.dep_ == "pobj" and trigger.head.lower_ in self.lex.kind("amid"):
            return True  # "police chased demonstrators during protests": the protests took place
        casualty_verbs = self.lex.casualty_words.get("killed", frozenset()) | self.lex.casualty_words.get(
            "injured", frozenset()
        )
        governor = trigger.head.head if trigger.dep_ == "pobj" else trigger.head
        return self.lex.lemma(governor) in casualty_verbs

# ACLED sub-types of a weapon's delivery, which a chemical payload makes a chemical weapon attack
_DELIVERY_SUBTYPES = frozenset(
    {"Shelling/artillery/missile attack", "Air/drone strike", "Remote explosive/landmine/IED"}
)

_DASHES = frozenset({"-", "--", "\u2013", "\u2014"})


def dateline_end(sent: Span) -> int:
    """The character offset where a leading wire dateline of the sentence ends ("COLUMBIA, Ky. (WBKO) -",
    "PRISTINA, March 11 -", "OKLAHOMA CITY (AP) \u2014"), or the sentence's start when it has none: a
    first word in capitals, then only names, numbers, commas, periods and a parenthesis, then a dash."""
    first = sent[0]
    if not (first.is_upper and first.is_alpha and len(first) > 2):
        return sent.start_char
    for tok in sent[1:15]:
        if tok.text in _DASHES:
            return tok.idx + len(tok)
        if not (tok.pos_ in ("PROPN", "NUM", "PUNCT") or tok.is_upper or tok.is_title):
            return sent.start_char
    return sent.start_char


def _after_dateline(heads: list[Token], filed: int) -> list[Token]:
    """Role heads with the dateline's place replaced by what the parser hung on it after the dash
    ("PRISTINA, March 11 - Serbian artillery shelled": the artillery shelled)."""
    out = []
    for head in heads:
        if head.idx >= filed:
            out.append(head)
        else:
            out.extend(c for c in head.children if c.dep_ in ("appos", "conj") and c.idx >= filed)
    return out


def _before(actor: Actor, offset: int) -> bool:
    """Whether the actor's words lie wholly before ``offset`` (in the dateline)."""
    if actor.start is None:
        return False
    end = actor.end if actor.end is not None else actor.start + len(actor.text)
    return end <= offset


def _in_relative_clause(tok: Token, clause: Token) -> bool:
    """Whether ``tok`` lies in a relative or participle clause below ``clause``."""
    while tok.i != clause.i and tok.head.i != tok.i:
        if tok.dep_ in ("relcl", "acl"):
            return True
        tok = tok.head
    return False


def _rule_rank(rule: TriggerRule) -> tuple[bool, int]:
    """Which of two merged triggers' rules codes the event: a pattern over a verb's default code,
    then the one with more conditions."""
    return rule.origin != "verbs-default", len(rule.requires)
