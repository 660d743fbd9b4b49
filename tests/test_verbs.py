"""Tests for powderkeg.coder.verbs (fictional patterns in fixtures/verbs/test.verbs.txt)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from spacy.language import Language
from spacy.tokens import Token

from powderkeg.coder.verbs import (
    NULL_CODE,
    Marker,
    Phrase,
    PrepPhrase,
    VerbDictionary,
    VerbMatch,
    default_verb_source,
    load_default,
)
from powderkeg.nlp import load_model

FIX = Path(__file__).parent / "fixtures" / "verbs"
VALIDATE = Path("/work/shared/dictionaries/petrarch-validate/PETR.Validate.verbs.txt")


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_model()


@pytest.fixture(scope="module")
def verbs() -> VerbDictionary:
    return VerbDictionary.load([FIX / "test.verbs.txt"])


def verb_of(nlp: Language, text: str, word: str) -> Token:
    doc = nlp(text)
    return next(t for t in doc if t.lower_ == word)


def match(nlp: Language, verbs: VerbDictionary, text: str, word: str) -> VerbMatch | None:
    return verbs.match(verb_of(nlp, text, word))


def texts(result: VerbMatch) -> list[str]:
    return [t.lower_ for t in result.tokens]


# --------------------------------------------------------------------------- reading


def test_counts_and_skipped_patterns(verbs: VerbDictionary) -> None:
    s = verbs.stats
    assert s.blocks == 7
    assert s.synsets == 3
    assert s.patterns == 19
    assert s.loaded == 17
    assert s.skipped == 2
    assert s.skipped_reasons == {"unbalanced parentheses": 1, "undefined synonym set": 1}
    assert s.null_patterns == 5  # [---] only; [:110] is counted as reverse-only
    assert s.reverse_only == 1
    assert s.paired == 2
    assert s.transformations == 1
    assert any("&NOSUCHSET" in p for p in s.problems)


def test_lemmas_forms_and_multiword_keys(verbs: VerbDictionary) -> None:
    assert verbs.lemmas == frozenset(
        {"storm", "shell", "march", "trudge", "smite", "frobnicate", "wipe", "eradicate", "ponder", "rumble"}
    )
    assert verbs.forms["smote"] == "smite"
    assert verbs.forms["wiped"] == "wipe"  # a multi-word verb's forms map its head verb
    assert "wipe" in verbs and "WIPE" in verbs and "wipe out" not in verbs


def test_pattern_fields(verbs: VerbDictionary) -> None:
    by_text = {p.text: p for p in verbs.patterns}
    p = by_text["* CONVOY (FROM ^) (TO +)"]
    assert p.verb == "trudge" and p.block == "JOURNEY"
    assert p.code == "061" and p.reverse_code is None
    assert p.specificity == 3  # convoy, from, to
    assert p.has_markers and p.markers == "^+"
    assert p.source.startswith("test.verbs.txt:")
    assert p.before == ()
    assert isinstance(p.after[0], Phrase) and isinstance(p.after[1], PrepPhrase)
    assert p.after[1].inner == (Marker("^"),)

    paired = by_text["* (TO &GUESTS)"]
    assert (paired.code, paired.reverse_code) == ("042", "043")
    reverse = by_text["* (PAST +)"]
    assert (reverse.code, reverse.reverse_code) == (NULL_CODE, "110")
    assert by_text["* PINATA"].null and not by_text["* PINATA"].has_markers
    assert by_text["* (WITH {WATER BALLOONS})"].verb is None  # comment names no verb: whole block
    assert by_text["* VILLAGE"].verb == "wipe out"  # "# WIPED_OUT" names the multi-word verb


def test_parse_string_and_pickle() -> None:
    text = "&PET\n+CAT\n\n---  PAT   [041]  ---\nPAT {PATS PATTED PATTING}\n- * &PET [042] # PAT\n"
    d = VerbDictionary.parse(text, "inline.verbs")
    assert d.lemmas == {"pat"}
    (p,) = d.patterns
    assert p.source == "inline.verbs:6" and p.code == "042" and p.specificity == 1
    again = pickle.loads(pickle.dumps(d))
    assert again.lemmas == d.lemmas and again.patterns[0].text == "* &PET"


# --------------------------------------------------------------------------- matching


def test_not_in_dictionary(nlp: Language, verbs: VerbDictionary) -> None:
    assert match(nlp, verbs, "Officials said the talks failed.", "said") is None


def test_block_default_code(nlp: Language, verbs: VerbDictionary) -> None:
    result = match(nlp, verbs, "Rebels stormed the town.", "stormed")
    assert result is not None
    assert result.code == "190" and result.pattern is None and result.tokens == []
    assert result.verb == "storm" and result.block == "STORM"


def test_block_without_code_gives_none(nlp: Language, verbs: VerbDictionary) -> None:
    assert match(nlp, verbs, "They pondered.", "pondered") is None
    result = match(nlp, verbs, "They pondered about the pinata.", "pondered")
    assert result is not None and result.code == "012"


def test_object_word(nlp: Language, verbs: VerbDictionary) -> None:
    result = match(nlp, verbs, "Rebels stormed the checkpoint.", "stormed")
    assert result is not None and result.code == "191"
    assert result.pattern is not None and result.pattern.text == "* CHECKPOINT"
    assert texts(result) == ["checkpoint"]


def test_subject_word(nlp: Language, verbs: VerbDictionary) -> None:
    result = match(nlp, verbs, "Children stormed the town.", "stormed")
    assert result is not None and result.code == NULL_CODE
    assert texts(result) == ["children"]


def test_phrase(nlp: Language, verbs: VerbDictionary) -> None:
    result = match(nlp, verbs, "Rebels stormed the police station.", "stormed")
    assert result is not None and result.code == "193"
    assert texts(result) == ["police", "station"]


def test_synonym_set_in_prepositional_phrase(nlp: Language, verbs: VerbDictionary) -> None:
    result = match(nlp, verbs, "The army shelled the camp with mortars.", "shelled")
    assert result is not None and result.code == "194"
    assert texts(result) == ["with", "mortars"]
    # a multi-word member
    result = match(nlp, verbs, "The army shelled the camp with artillery shells.", "shelled")
    assert result is not None and result.code == "194"
    assert texts(result) == ["with", "artillery", "shells"]
    # a set that contains another set (&FESTIVE holds &GUESTS_)
    result = match(nlp, verbs, "The mayor stormed the cake at the children.", "stormed")
    assert result is not None and result.code == "192"


def test_prepositional_phrase_needs_its_object_inside(nlp: Language, verbs: VerbDictionary) -> None:
    # "mortars" is the direct object, not inside "with ...": the (WITH &WEAPONRY) pattern fails
    result = match(nlp, verbs, "The army shelled the mortars with rockets.", "shelled")
    assert result is not None and result.code == "190" and result.pattern is None


def test_pattern_applies_to_the_verb_named_in_its_comment(nlp: Language, verbs: VerbDictionary) -> None:
    # (WITH &WEAPONRY) is written for SHELL only, so STORM keeps its default
    result = match(nlp, verbs, "Rebels stormed the camp with mortars.", "stormed")
    assert result is not None and result.code == "190" and result.pattern is None


def test_null_code_blocks(nlp: Language, verbs: VerbDictionary) -> None:
    result = match(nlp, verbs, "Teenagers stormed the pinata.", "stormed")
    assert result is not None
    assert result.code == NULL_CODE and result.null and result.pattern is not None
    # the more specific null pattern beats (AT &FESTIVE) [192]
    result = match(nlp, verbs, "Teenagers stormed the pinata at the party.", "stormed")
    assert result is not None and result.code == NULL_CODE
    assert result.pattern is not None and result.pattern.specificity == 3
    # without the pinata, (AT &FESTIVE) codes
    result = match(nlp, verbs, "Teenagers stormed the cake at the party.", "stormed")
    assert result is not None and result.code == "192"


def test_ties_go_to_the_earlier_pattern(nlp: Language, verbs: VerbDictionary) -> None:
    # {POLICE STATION} and (AT &FESTIVE) both need two words; (AT &FESTIVE) comes first
    result = match(nlp, verbs, "Rebels stormed the police station at the party.", "stormed")
    assert result is not None and result.code == "192"


def test_embedded_clause_with_its_own_subject_is_not_searched(nlp: Language, verbs: VerbDictionary) -> None:
    result = match(nlp, verbs, "Rebels stormed the base because teenagers had burned the pinata.", "stormed")
    assert result is not None and result.code == "190"


def test_irregular_form(nlp: Language, verbs: VerbDictionary) -> None:
    result = match(nlp, verbs, "The king smote the rebels.", "smote")
    assert result is not None and result.code == "180" and result.verb == "smite"
    # spaCy does not know this verb; the form listed in {} maps it to the dictionary lemma
    token = verb_of(nlp, "The wizard frobnocked the castle.", "frobnocked")
    assert token.lemma_.lower() not in verbs.lemmas
    result = verbs.match(token)
    assert result is not None and result.code == "180" and result.verb == "frobnicate"


def test_multiword_verb_with_particle(nlp: Language, verbs: VerbDictionary) -> None:
    result = match(nlp, verbs, "The militia wiped out the village.", "wiped")
    assert result is not None and result.code == "196" and result.verb == "wipe out"
    assert texts(result) == ["out", "village"]
    result = match(nlp, verbs, "The militia wiped out the garrison.", "wiped")
    assert result is not None and result.code == "195" and result.pattern is None  # the verb's own code
    assert texts(result) == ["out"]
    # particle after the object
    result = match(nlp, verbs, "The militia wiped the village out.", "wiped")
    assert result is not None and result.verb == "wipe out"
    # without the particle "wipe" is not a verb of the dictionary
    assert match(nlp, verbs, "The militia wiped the table.", "wiped") is None


def test_markers(nlp: Language, verbs: VerbDictionary) -> None:
    result = match(nlp, verbs, "Protesters marched on the capital.", "marched")
    assert result is not None and result.code == "155"
    assert result.pattern is not None and result.pattern.has_markers
    assert result.source_token is not None and result.source_token.text == "Protesters"
    assert result.target_token is not None and result.target_token.text == "capital"
    assert texts(result) == ["on"]  # markers are not words

    result = match(nlp, verbs, "Refugees trudged a convoy from Homs to Aleppo.", "trudged")
    assert result is not None and result.code == "061"
    assert result.source_token is None  # ^ skips "Homs"
    assert result.target_token is not None and result.target_token.text == "Aleppo"

    result = match(nlp, verbs, "Serbs and Croats marched jointly.", "marched")
    assert result is not None and (result.code, result.reverse_code) == ("030", "030")
    assert result.source_token is not None and result.target_token is not None
    assert result.source_token.i == result.target_token.i == 0  # % : the compound is both


def test_paired_and_reverse_codes(nlp: Language, verbs: VerbDictionary) -> None:
    result = match(nlp, verbs, "The mayor marched to the children.", "marched")
    assert result is not None and (result.code, result.reverse_code) == ("042", "043")
    result = match(nlp, verbs, "Soldiers marched past the palace.", "marched")
    assert result is not None and (result.code, result.reverse_code) == (NULL_CODE, "110")
    assert result.target_token is not None and result.target_token.text == "palace"


def test_documents_in_turn(nlp: Language, verbs: VerbDictionary) -> None:
    first = nlp("Rebels stormed the checkpoint.")
    second = nlp("Rebels stormed the police station.")
    for doc, code in ((first, "191"), (second, "193"), (first, "191")):
        result = verbs.match(next(t for t in doc if t.lower_ == "stormed"))
        assert result is not None and result.code == code


# --------------------------------------------------------------------------- shipped dictionary


def test_shipped_dictionary_loads() -> None:
    assert default_verb_source().is_file()
    d = load_default()
    assert d is load_default()
    s = d.stats
    assert s.blocks == 397 and s.verbs == 1817 and s.patterns == 4668
    assert s.loaded == 4664 and s.skipped == 4
    assert {"attack", "accuse", "carry", "say"} <= d.lemmas


def test_shipped_dictionary_codes(nlp: Language) -> None:
    d = load_default()
    result = match(nlp, d, "Rebels attacked the town.", "attacked")
    assert result is not None and result.code.startswith("19")
    result = match(nlp, d, "The government accused the rebels of war crimes.", "accused")
    assert result is not None and result.code.startswith("11")
    result = match(nlp, d, "The army carried out an attack on the village.", "carried")
    assert result is not None and result.verb == "carry out" and result.code.startswith("19")


@pytest.mark.skipif(not VALIDATE.is_file(), reason="PETRARCH validation dictionary not present")
def test_petrarch_validation_dictionary_reads() -> None:
    d = VerbDictionary.load([VALIDATE])
    assert d.stats.loaded >= 470 and d.stats.skipped <= 2
    assert "abandon" in d.lemmas and "rst" in d.lemmas  # "KLM_NOP_+RST": RST is the verb


def test_a_pattern_word_two_prepositional_phrases_down_is_not_the_verbs(pipeline):
    coded = pipeline.code_text(
        "The Egyptian foreign minister made his remarks in Cairo at the start of a regional trip.",
        published="2024-03-06",
    )
    assert not any(e.cameo == "036" for e in coded.events)
    trip = pipeline.code_text("The Egyptian foreign minister made a trip to Jordan.", published="2024-03-06")
    assert any(e.cameo == "036" for e in trip.events)
