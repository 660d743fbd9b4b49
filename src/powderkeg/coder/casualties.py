"""Fatalities and injuries near an event trigger, counted with ACLED's conservative conventions:
"at least N" is N, "dozens" 12, "hundreds" 100, a range takes its lower end, none reported is 0."""

from __future__ import annotations

import re

from spacy.tokens import Token

from powderkeg.coder.dates import NUMBER_WORDS_EXACT
from powderkeg.coder.lexicon import Lexicon

_NUMBER_WORDS = {**NUMBER_WORDS_EXACT, "hundred": 100}
_DIGITS = re.compile(r"^\d{1,3}(,\d{3})*$|^\d+$")


def number_value(token: Token, lex: Lexicon) -> int | None:
    """The number a token stands for: digits, number words or a vague quantity."""
    word = token.lower_
    if _DIGITS.match(word):
        return int(word.replace(",", ""))
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    if word in lex.vague_numbers:
        return lex.vague_numbers[word]
    return None


def count_of(noun: Token, lex: Lexicon) -> int | None:
    """The count a noun phrase gives ("at least one officer" -> 1, "dozens of people" -> 12)."""
    values = [number_value(c, lex) for c in noun.children if c.dep_ in ("nummod", "quantmod")]
    values = [v for v in values if v is not None]
    if values:
        return min(values)
    # "dozens of civilians": the quantity word heads the phrase
    if noun.dep_ == "pobj" and noun.head.lower_ == "of" and noun.head.head.lower_ in lex.vague_numbers:
        return lex.vague_numbers[noun.head.head.lower_]
    value = number_value(noun, lex)
    if value is not None:
        return value
    if noun.tag_ in ("NN", "NNP") and noun.pos_ in ("NOUN", "PROPN"):
        return 1  # a singular victim
    if noun.tag_ in ("NNS", "NNPS"):
        return None  # plural with no number: unknown
    return None


def casualties(clause_tokens: list[Token], lex: Lexicon) -> tuple[int | None, int | None]:
    """(fatalities, injuries) reported in these tokens (an event's clauses), None where not said."""
    killed = lex.casualty_words.get("killed", frozenset())
    injured = lex.casualty_words.get("injured", frozenset())
    dead_nouns = lex.casualty_words.get("dead", frozenset())
    hurt_nouns = lex.casualty_words.get("hurt", frozenset())
    fatalities: int | None = None
    injuries: int | None = None

    def add(current: int | None, value: int | None) -> int | None:
        if value is None:
            return current
        return value if current is None else current + value

    for tok in clause_tokens:
        lemma = tok.lemma_.lower()
        shot_dead = lemma == "shoot" and any(c.lower_ == "dead" for c in tok.children)
        if tok.pos_ == "VERB" and (lemma in killed | injured or shot_dead):
            victims = [c for c in tok.children if c.dep_ in ("nsubjpass", "dobj")]
            if lemma == "die":
                victims = [c for c in tok.children if c.dep_ == "nsubj"]
            dead = any(c.lower_ == "dead" and c.dep_ in ("oprd", "acomp", "advmod", "xcomp") for c in tok.children)
            for v in victims:
                n = count_of(v, lex)
                if lemma in killed or dead:  # "shot dead a boy"
                    fatalities = add(fatalities, n)
                else:
                    injuries = add(injuries, n)
        elif lemma in dead_nouns | hurt_nouns and tok.pos_ in ("NOUN", "ADJ"):
            values = [number_value(c, lex) for c in tok.children if c.dep_ in ("nummod", "quantmod")]
            if (tok.dep_ == "amod" or not values) and tok.head.pos_ == "NUM":
                values.append(number_value(tok.head, lex))  # "3 dead": the number heads "dead"
            value = min((v for v in values if v is not None), default=None)
            if lemma in dead_nouns:
                fatalities = add(fatalities, value)
            else:
                injuries = add(injuries, value)
    return fatalities, injuries
