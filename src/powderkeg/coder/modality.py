"""Whether a coded event is asserted as having happened.

Negated ("did not attack"), hypothetical (modals, "if", future, "likely"), intended or planned
("considered deploying"), requested ("urged X to withdraw"), threatened ("threatened to deploy")
and reported ("said that ...", still actual) events are told apart from the trigger's own
auxiliaries and from the verbs, adjectives and nouns that govern it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Token

from powderkeg.coder.lexicon import Lexicon

# dependencies through which a governing word's meaning reaches an embedded event
_EMBEDDING = {"xcomp", "ccomp", "dobj", "pobj", "pcomp", "acl", "prep", "csubj", "nsubjpass", "attr", "oprd"}


@dataclass
class Modality:
    negated: bool = False
    hypothetical: bool = False
    # why it is not plain fact: "future" (will, would), "intention" (plans to, is ready to), "purpose"
    # ("deployed police to provide security"), "request", "threat", "conditional" (if, could,
    # likely), "pending" (before it happens), or "reported" (said that ..., still actual)
    label: str | None = None
    speaker: Token | None = None  # subject of a governing speech verb
    labels: set[str] = field(default_factory=set)  # every reason found, not only the first

    def mark(self, label: str) -> None:
        self.labels.add(label)
        if label != "reported":
            self.hypothetical = True
        if self.label is None or self.label == "reported":
            self.label = label


def _own_markers(tok: Token, lex: Lexicon, mod: Modality, negation_is_trigger: bool) -> None:
    for child in tok.children:
        lemma = child.lemma_.lower()
        negation = child.dep_ == "neg" or (child.dep_ == "det" and lemma == "no" and tok.pos_ == "NOUN")
        hedged = child.dep_ == "advmod" and lemma in lex.kind("hedge")
        conditional = child.dep_ in ("mark", "advmod") and lemma in lex.kind("conditional")
        if negation and not negation_is_trigger:
            mod.negated = True
        elif child.dep_ in ("aux", "auxpass") and lemma in lex.kind("modal"):
            mod.mark("conditional")
        elif child.dep_ in ("aux", "auxpass") and lemma in lex.kind("future"):
            mod.mark("future")
        elif hedged or conditional:
            mod.mark("conditional")
        elif child.dep_ == "mark" and lemma in lex.kind("ahead") and tok.tag_ in ("VBZ", "VBP"):
            mod.mark("pending")  # "before the president arrives": not yet, and promised by nobody
        elif child.dep_ in ("amod", "compound") and lemma in lex.kind("intention") and tok.pos_ == "NOUN":
            mod.mark("intention")  # "planned attack", "considered deployment"


def _purpose_clause(tok: Token) -> bool:
    """An infinitive adverbial clause: "(deployed police) to provide security"."""
    return tok.dep_ == "advcl" and any(c.dep_ == "aux" and c.lower_ == "to" for c in tok.children)


def _finite_past(verb: Token) -> bool:
    """A finite verb in a past tense: "used", "had used", "has been found"."""
    if verb.tag_ == "VBD":
        return True
    return verb.tag_ == "VBN" and any(c.dep_ in ("aux", "auxpass") and c.lemma_ == "have" for c in verb.children)


def modality(trigger: Token, lex: Lexicon, negation_is_trigger: bool = False) -> Modality:
    """The modality of the event whose trigger is ``trigger``."""
    mod = Modality()
    _own_markers(trigger, lex, mod, negation_is_trigger)
    current = trigger
    while (current.dep_ in _EMBEDDING or _purpose_clause(current)) and current.head.i != current.i:
        governor = current.head
        if current.i != trigger.i and _purpose_clause(current):
            mod.mark("purpose")  # "willing to send material to help defend X": an aim of the act above
        lemma = lex.lemma(governor)
        if lemma in lex.kind("light") and current.dep_ in ("ccomp", "xcomp"):
            # "made a request to KFOR that its forces be deployed" (the parser hangs the clause on
            # the light verb): the noun it carries governs the clause
            carried = next((c for c in governor.children if c.dep_ == "dobj"), None)
            lemma = lex.lemma(carried) if carried is not None else lemma
        if lemma in lex.kind("speech") and governor.pos_ == "VERB":
            mod.mark("reported")
            mod.speaker = next((c for c in governor.children if c.dep_ == "nsubj"), None)
            for child in governor.children:
                if child.dep_ == "neg":
                    mod.mark("conditional")  # "denied that", "did not say that": not asserted
            break
        if lemma in lex.kind("mandate") and current.dep_ in ("prep", "xcomp"):
            mod.mark("purpose")  # "tasked with fighting Daesh": an aim, not a deed
        if lemma in lex.kind("attempt") and current.dep_ == "xcomp":
            mod.labels.add("attempt")  # "seeking to deepen ties": an intent if it is cooperation
        if lemma in lex.kind("negator") and current.dep_ == "xcomp":
            mod.negated = True  # "failed to reach an agreement"
        if lemma in lex.kind("wish") and any(c.dep_ == "nsubj" for c in current.children):
            mod.mark("request")  # "Germany wants Serbia to recognise Kosovo": asked of another
        elif (
            lemma in lex.kind("intention")
            and not (lemma in lex.kind("finding") and current.dep_ == "ccomp" and _finite_past(current))
            and not (lemma in lex.kind("adjectival") and governor.pos_ != "ADJ")
        ):
            mod.mark("intention")
        elif lemma in lex.kind("request") and governor.i != trigger.i and current.dep_ != "dobj":
            mod.mark("request")
        elif lemma in lex.kind("threat") and current.dep_ != "dobj":
            mod.mark("threat")
        elif lemma in lex.kind("request") and current.dep_ == "dobj" and governor.pos_ == "VERB":
            mod.mark("request")  # "called for an attack"
        # a governor that is itself unasserted makes what it embeds unasserted
        for child in governor.children:
            clemma = child.lemma_.lower()
            modal = child.dep_ in ("aux", "auxpass") and clemma in lex.kind("modal") | lex.kind("future")
            if modal or (child.dep_ in ("mark", "advmod") and clemma in lex.kind("conditional")):
                mod.mark("conditional")
        current = governor
    # "will withdraw its force unless ...": an act made to depend on what the other side does
    if any(
        c.dep_ == "advcl" and any(m.dep_ == "mark" and m.lower_ in lex.kind("ultimatum") for m in c.children)
        for c in trigger.children
    ):
        mod.labels.add("ultimatum")
    # a purpose clause: "deployed police to provide security" tells an aim, not a deed
    if _purpose_clause(trigger):
        # ... unless the verb it hangs from is one of intent, which the parser misread: "have sworn
        # to fight" is a vow
        mod.mark("intention" if lex.lemma(trigger.head) in lex.kind("intention") else "purpose")
    if "purpose" in mod.labels and mod.labels & {"intention", "future"}:
        # the aim of a promised or planned act is promised too: "will send troops to keep the peace"
        mod.labels.discard("purpose")
        if mod.label == "purpose":
            mod.label = "intention" if "intention" in mod.labels else "future"
    # a conditional clause anywhere above: "if X attacks, Y will respond"
    if trigger.dep_ == "advcl" and any(
        c.dep_ in ("mark", "advmod") and c.lemma_.lower() in lex.kind("conditional") for c in trigger.children
    ):
        mod.mark("conditional")
    return mod
