"""Tests for powderkeg.coder.classifier: the shipped PLOVER sentence classifier and its features."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
from spacy.language import Language
from spacy.tokens import Span

from powderkeg.coder.classifier import (
    FeatureSettings,
    ModelFileError,
    SentenceClassifier,
    default_model_path,
    features,
    load_default,
)
from powderkeg.nlp import load_model

PLOVER = {
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
}  # fmt: skip
GATE = PLOVER | {"NONE"}  # the gate's labels: the 16 categories and NONE, no codable event


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_model()


@pytest.fixture(scope="module")
def clf() -> SentenceClassifier:
    return load_default()


def sent(nlp: Language, text: str) -> Span:
    return next(iter(nlp(text).sents))


def test_shipped_model_loads(clf: SentenceClassifier) -> None:
    assert set(clf.labels) == GATE
    assert len(clf.vocabulary) == clf.coef.shape[0] == clf.idf.shape[0]
    assert clf.coef.shape[1] == len(clf.labels) == clf.intercept.shape[0]
    assert clf.temperature > 0
    assert clf.metadata["training_data"]["annotated_train_sentences"] > 0
    assert set(clf.metadata["gate"]) >= {"none_max", "category_min", "weak_min"}
    assert default_model_path().stat().st_size < 4_000_000
    assert load_default() is clf  # cached


def test_probabilities_sum_to_one_and_are_sorted(nlp: Language, clf: SentenceClassifier) -> None:
    for text in (
        "The foreign minister criticised the decision to close the border.",
        "Officials said the talks would resume next week.",
        "It rained.",
    ):
        ranked = clf.predict(sent(nlp, text))
        assert {label for label, _ in ranked} == GATE
        probs = [p for _, p in ranked]
        assert math.isclose(sum(probs), 1.0, abs_tol=1e-6)
        assert probs == sorted(probs, reverse=True)
        assert all(0.0 <= p <= 1.0 for p in probs)


def test_sentence_without_known_features_gets_the_prior(nlp: Language, clf: SentenceClassifier) -> None:
    doc = nlp("Paris, 12 March 2021.")
    assert [f for f in clf.features(doc[:]) if not f.startswith("@")] == []  # only the kinds of name it holds
    assert features(doc[:], FeatureSettings()) == []
    doc = nlp("Oh, yes.")
    assert clf.features(doc[:]) == []
    ranked = clf.predict(doc[:])
    assert math.isclose(sum(p for _, p in ranked), 1.0, abs_tol=1e-6)
    assert ranked == clf.predict_features([]) == clf.predict_features(["no-such-feature-xyz"])


def test_everyday_sentences_are_none(nlp: Language, clf: SentenceClassifier) -> None:
    for text in ("Preheat the oven and stir in two cups of flour.", "The weather was fine all weekend."):
        assert clf.predict(sent(nlp, text))[0][0] == "NONE"


def test_entity_kinds_are_features_not_names(nlp: Language) -> None:
    feats = features(sent(nlp, "Serbian police arrested two men in Belgrade."), FeatureSettings(entities=True))
    assert "@NORP" in feats and "@GPE" in feats and "belgrade" not in feats


def test_violent_sentence_is_assault(nlp: Language, clf: SentenceClassifier) -> None:
    assert clf.predict(sent(nlp, "Gunmen opened fire on a bus, killing five passengers."))[0][0] == "ASSAULT"


def test_protest_sentence_is_protest(nlp: Language, clf: SentenceClassifier) -> None:
    text = "Thousands of protesters marched through the capital, demanding the resignation of the government."
    assert clf.predict(sent(nlp, text))[0][0] == "PROTEST"


def test_agreement_sentence_is_agree_or_cooperate(nlp: Language, clf: SentenceClassifier) -> None:
    text = "The two governments agreed to expand cooperation on trade and energy."
    assert clf.predict(sent(nlp, text))[0][0] in ("AGREE", "COOPERATE")


def test_features_drop_proper_nouns_numbers_and_dates(nlp: Language) -> None:
    span = sent(nlp, "Vladimir Putin met Emmanuel Macron in Paris on Monday and discussed 3 new proposals.")
    feats = features(span)
    flat = " ".join(feats)
    for name in ("vladimir", "putin", "emmanuel", "macron", "paris", "monday", "3"):
        assert name not in flat.split() and name not in flat.replace(">", " ").split()
    assert "meet" in feats and "discuss" in feats and "proposal" in feats
    assert not any(tok.pos_ == "PROPN" and tok.lemma_.lower() in feats for tok in span)


def test_features_mark_negation_particles_and_pairs(nlp: Language) -> None:
    feats = features(sent(nlp, "The rebels did not attack the town."))
    assert "attack" in feats and "not_attack" in feats
    feats = features(sent(nlp, "The prime minister stepped down after the vote."))
    assert "step_down" in feats
    feats = features(sent(nlp, "Gunmen opened fire on a bus."), FeatureSettings(bigrams="dep"))
    assert "open>fire" in feats
    feats = features(sent(nlp, "Gunmen opened fire on a bus."), FeatureSettings(bigrams="adjacent"))
    assert "open fire" in feats
    feats = features(sent(nlp, "Gunmen opened fire on a bus."), FeatureSettings(bigrams="none", negation=False))
    assert all(" " not in f and ">" not in f for f in feats)


def test_classifier_uses_its_own_feature_settings(nlp: Language, clf: SentenceClassifier) -> None:
    span = sent(nlp, "Police fired tear gas at the crowd.")
    assert clf.features(span) == features(span, clf.settings)
    assert clf.predict(span) == clf.predict_features(clf.features(span))


def test_save_and_load_round_trip(tmp_path: Path, nlp: Language, clf: SentenceClassifier) -> None:
    path = tmp_path / "model.json"
    clf.save(path)
    again = SentenceClassifier.load(path)
    assert again.labels == clf.labels and again.settings == clf.settings
    span = sent(nlp, "Soldiers were deployed along the border.")
    for (a, p), (b, q) in zip(clf.predict(span), again.predict(span), strict=True):
        assert a == b and math.isclose(p, q, abs_tol=1e-4)


def test_bad_model_files_are_reported(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(ModelFileError, match="missing.json"):
        SentenceClassifier.load(missing)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"format": "something-else"}), encoding="utf-8")
    with pytest.raises(ModelFileError, match="format"):
        SentenceClassifier.load(wrong)
    broken = tmp_path / "broken.json"
    data = {"format": "powderkeg-plover-sentence/1", "labels": ["A", "B"], "vocabulary": ["x"], "idf": [1.0, 2.0]}
    broken.write_text(json.dumps({**data, "coef": [[0.0, 0.0]], "intercept": [0.0, 0.0]}), encoding="utf-8")
    with pytest.raises(ModelFileError, match="disagree"):
        SentenceClassifier.load(broken)


def test_prediction_is_fast(nlp: Language, clf: SentenceClassifier) -> None:
    spans = [sent(nlp, "Gunmen opened fire on a bus, killing five passengers near the northern border town.")] * 2000
    started = time.perf_counter()
    for span in spans:
        clf.predict(span)
    per_sentence = (time.perf_counter() - started) / len(spans)
    assert per_sentence < 0.002  # typically ~0.1 ms; loose bound for slow CI machines
