"""The gate: a linear sentence classifier for "no codable event" (NONE) and the 16 PLOVER categories.

:meth:`SentenceClassifier.predict` says, for one parsed sentence, how likely it holds no codable
event and each PLOVER category. The model is a multinomial logistic regression over tf-idf weighted
lemma features, trained by ``scripts/train_gate.py`` on the team's annotated sentences, synthetic
stories and codebook examples (see ``data/models/README.md``), and shipped as one JSON file:
vocabulary, idf weights, coefficients, intercepts, labels, and the feature settings it was trained
with.

Features come from the existing parse (a spaCy ``Span``; nothing is parsed again): lower-case
lemmas of content words (verbs, nouns, adjectives, adverbs), with proper nouns, numbers, named
places, people and dates dropped so that names never decide a category; ``^`` before the main
words (the parse's root, its conjuncts and clausal complements: ``^kill``); a verb and its particle
as one word (``step_down``); ``not_`` before a negated word; and lemma pairs, head-dependent by
default (``open>fire``, ``open>bus`` through "on") or adjacent content words (``open fire``).
:func:`features` is the one implementation the training script and the run-time coder share; the
settings it was trained with travel in the model file.

Prediction needs numpy only (no scikit-learn): a dot product over the rows of the features present.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Span, Token

__all__ = [
    "DEFAULT_MODEL",
    "FORMAT",
    "FeatureSettings",
    "ModelFileError",
    "SentenceClassifier",
    "default_model_path",
    "features",
    "load_default",
]

FORMAT = "powderkeg-plover-sentence/1"
DEFAULT_MODEL = "plover_sentence.json"

CONTENT_POS = frozenset({"VERB", "NOUN", "ADJ", "ADV"})
# Tokens inside these entities say who, where or when, not what happened: dropped so that the
# names in the training stories cannot become features.
NAME_ENTS = frozenset(
    {"PERSON", "NORP", "GPE", "LOC", "FAC", "DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"}
)
# spaCy's stop list minus words that carry an event ("call for", "take over", "show of force").
_KEEP = frozenset(
    "call give keep make made move put show take back down up off out front full serious together".split()
)
STOP = frozenset(w for w in STOP_WORDS if w not in _KEEP) | {"say"}
PARTICLES = frozenset({"down", "out", "off", "back", "away", "up"})
# entity kinds whose presence, not name, tells whether a sentence is about states, groups and people
_ENTITY_KINDS = frozenset({"GPE", "NORP", "ORG", "PERSON", "LOC", "FAC", "EVENT", "LAW", "DATE", "MONEY", "CARDINAL"})


class ModelFileError(ValueError):
    """The classifier file is missing, malformed or of another format; the message names the file."""


@dataclass(frozen=True)
class FeatureSettings:
    """How a sentence becomes features; stored in the model file so run time matches training."""

    bigrams: str = "dep"  # "none", "adjacent" (consecutive content lemmas), "dep" (head>dependent), "both"
    negation: bool = True  # "not_<lemma>" for a word with a negation dependent (or after "without")
    particles: bool = True  # "<verb>_<particle>" for phrasal verbs ("step_down", "crack_down")
    through_prep: bool = True  # dep pairs also link a verb or noun to its prepositional object ("fire>bus")
    root: str = "clause"  # "^<lemma>" for main words: "none", "root" (the parse's root), "clause" (also
    # the root's conjuncts and clausal complements: "said ... attacked", "agreed to cooperate")
    entities: bool = False  # "@GPE", "@NORP", ...: the kinds of named entity the sentence holds (not their names)

    def __post_init__(self) -> None:
        if self.bigrams not in ("none", "adjacent", "dep", "both"):
            raise ValueError(f"unknown bigrams setting {self.bigrams!r}")
        if self.root not in ("none", "root", "clause"):
            raise ValueError(f"unknown root setting {self.root!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSettings:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def _keep(tok: Token) -> bool:
    if tok.pos_ not in CONTENT_POS or tok.like_num or tok.ent_type_ in NAME_ENTS:
        return False
    lemma = tok.lemma_.lower()
    return len(lemma) > 1 and lemma not in STOP and any(c.isalpha() for c in lemma)


def _particle(verb: Token, child: Token) -> bool:
    """A verb particle: parsed as one ("cracked down"), or an adverb or preposition right after the verb
    that the parser did not mark ("stepped down", "pulled out of")."""
    if child.dep_ == "prt":
        return True
    return child.i == verb.i + 1 and child.dep_ in ("advmod", "prep") and child.lower_ in PARTICLES


def _negated(tok: Token) -> bool:
    if any(child.dep_ == "neg" for child in tok.children):
        return True
    # a noun governed by "without" ("left without an agreement") is negated too
    head = tok.head
    return head.i != tok.i and head.dep_ == "prep" and head.lower_ == "without" and tok.dep_ == "pobj"


def _governor(tok: Token, kept: Mapping[int, str], through_prep: bool) -> int | None:
    """The index of the kept word ``tok`` depends on, if any; with ``through_prep`` the object of a
    preposition pairs with the preposition's head ("fire on a bus": fire>bus)."""
    head = tok.head
    if head.i == tok.i:
        return None
    if through_prep and head.i not in kept and tok.dep_ == "pobj" and head.dep_ in ("prep", "agent", "prt"):
        head = head.head
    return head.i if head.i in kept and head.i != tok.i else None


def _main_words(span: Span, mode: str) -> set[int]:
    if mode == "none":
        return set()
    roots = [tok for tok in span if tok.head.i == tok.i or not span.start <= tok.head.i < span.end]
    main = {tok.i for tok in roots}
    if mode == "clause":
        main |= {c.i for tok in roots for c in tok.children if c.dep_ in ("conj", "ccomp", "xcomp")}
    return main


def features(span: Span, settings: FeatureSettings | None = None) -> list[str]:
    """The classifier's features of one sentence (or any span), in token order, repeats kept."""
    settings = settings or FeatureSettings()
    kept: list[Token] = [tok for tok in span if _keep(tok)]
    lemmas = {tok.i: tok.lemma_.lower() for tok in kept}
    main = _main_words(span, settings.root)
    out: list[str] = []
    for tok in kept:
        lemma = lemmas[tok.i]
        out.append(lemma)
        if settings.negation and _negated(tok):
            out.append("not_" + lemma)
        if tok.i in main:
            out.append("^" + lemma)
        if settings.particles and tok.pos_ == "VERB":
            out.extend(f"{lemma}_{child.lower_}" for child in tok.children if _particle(tok, child))
    if settings.entities:
        out.extend(f"@{label}" for label in sorted({e.label_ for e in span.ents} & _ENTITY_KINDS))
    if settings.bigrams in ("adjacent", "both"):
        out.extend(f"{lemmas[a.i]} {lemmas[b.i]}" for a, b in zip(kept, kept[1:], strict=False))
    if settings.bigrams in ("dep", "both"):
        for tok in kept:
            governor = _governor(tok, lemmas, settings.through_prep)
            if governor is not None:
                out.append(f"{lemmas[governor]}>{lemmas[tok.i]}")
    return out


@dataclass
class SentenceClassifier:
    """A trained multinomial logistic regression over tf-idf lemma features."""

    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray  # (n_features,)
    coef: np.ndarray  # (n_features, n_labels): one row per feature, so a sentence reads few rows
    intercept: np.ndarray  # (n_labels,)
    settings: FeatureSettings = field(default_factory=FeatureSettings)
    sublinear_tf: bool = True
    temperature: float = 1.0  # logits are divided by it: fitted so that probabilities match accuracy
    metadata: dict[str, Any] = field(default_factory=dict)

    # -- loading and saving -------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = "<dict>") -> SentenceClassifier:
        if data.get("format") != FORMAT:
            raise ModelFileError(f"{origin}: format is {data.get('format')!r}, expected {FORMAT!r}")
        try:
            labels = tuple(str(x) for x in data["labels"])
            words = [str(x) for x in data["vocabulary"]]
            idf = np.asarray(data["idf"], dtype=np.float32)
            coef = np.asarray(data["coef"], dtype=np.float32).reshape(len(words), len(labels))
            intercept = np.asarray(data["intercept"], dtype=np.float32)
            settings = FeatureSettings.from_dict(data.get("features", {}))
            temperature = float(data.get("temperature", 1.0))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{origin}: malformed classifier file: {exc}") from exc
        if idf.shape != (len(words),) or intercept.shape != (len(labels),):
            raise ModelFileError(f"{origin}: vocabulary, idf, coef and intercept sizes disagree")
        if not temperature > 0:
            raise ModelFileError(f"{origin}: temperature must be positive, not {temperature}")
        return cls(
            labels=labels,
            vocabulary={w: i for i, w in enumerate(words)},
            idf=idf,
            coef=coef,
            intercept=intercept,
            settings=settings,
            sublinear_tf=bool(data.get("sublinear_tf", True)),
            temperature=temperature,
            metadata=dict(data.get("metadata", {})),
        )

    @classmethod
    def load(cls, path: str | Path) -> SentenceClassifier:
        """Read a classifier written by :meth:`save` (or the training script)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{path}: cannot read classifier: {exc}") from exc
        return cls.from_dict(data, origin=str(path))

    def to_dict(self, digits: int = 4) -> dict[str, Any]:
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)

        def rounded(values: Iterable[float]) -> list[float]:
            return [round(float(v), digits) for v in values]

        return {
            "format": FORMAT,
            "labels": list(self.labels),
            "features": asdict(self.settings),
            "sublinear_tf": self.sublinear_tf,
            "temperature": round(float(self.temperature), digits),
            "metadata": self.metadata,
            "intercept": rounded(self.intercept),
            "vocabulary": words,
            "idf": rounded(self.idf),
            "coef": [rounded(row) for row in self.coef],
        }

    def save(self, path: str | Path, digits: int = 4) -> None:
        text = json.dumps(self.to_dict(digits), ensure_ascii=False, separators=(",", ":"))
        # one feature row per line keeps the file readable and its diffs small
        text = text.replace("],[", "],\n[")
        Path(path).write_text(text + "\n", encoding="utf-8")

    # -- prediction ---------------------------------------------------------------------------

    def features(self, span: Span) -> list[str]:
        """This model's features of a sentence (the settings it was trained with)."""
        return features(span, self.settings)

    def scores(self, feats: Sequence[str]) -> np.ndarray:
        """Probabilities per label (in ``labels`` order) for an already computed feature list."""
        counts = Counter(f for f in feats if f in self.vocabulary)
        logits = self.intercept.astype(np.float64)
        if counts:
            rows = np.fromiter((self.vocabulary[f] for f in counts), dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if self.sublinear_tf:
                tf = 1.0 + np.log(tf)
            weights = tf * self.idf[rows]
            norm = math.sqrt(float(weights @ weights))
            if norm > 0:
                logits = logits + (weights / norm) @ self.coef[rows]
        logits = logits / self.temperature
        logits -= logits.max()
        probs = np.exp(logits)
        return probs / probs.sum()

    def predict_features(self, feats: Sequence[str]) -> list[tuple[str, float]]:
        """Labels with probabilities, best first, for an already computed feature list."""
        probs = self.scores(feats)
        order = np.argsort(-probs, kind="stable")
        return [(self.labels[i], float(probs[i])) for i in order]

    def predict(self, span: Span) -> list[tuple[str, float]]:
        """The PLOVER categories with probabilities (summing to 1), best first, for a sentence.

        A sentence with no known feature gets the model's prior (its intercepts alone)."""
        return self.predict_features(self.features(span))


def default_model_path() -> Path:
    """Where the shipped model lives (``powderkeg/data/models/plover_sentence.json``)."""
    try:
        base = resources.files("powderkeg") / "data" / "models" / DEFAULT_MODEL
        if base.is_file():
            return Path(str(base))
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "data" / "models" / DEFAULT_MODEL


@lru_cache(maxsize=1)
def load_default() -> SentenceClassifier:
    """The shipped classifier, loaded once per process."""
    return SentenceClassifier.load(default_model_path())
