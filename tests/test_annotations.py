"""The annotated-sentence format and how coded events are judged against it (benchmarks/precision.py)."""

from __future__ import annotations

import json

import pytest

from powderkeg.annotations import (
    AnnotationError,
    judge,
    load,
    parse_record,
    record_dict,
    role_error,
    score,
    sentence_hash,
    split_of,
)
from powderkeg.model import Actor, Event

# "Police arrested a 31-year-old man in Lebanon on Friday." at offset 100 of its document
SENTENCE = "Police arrested a 31-year-old man in Lebanon on Friday."
START = 100


def _record(**events) -> dict:
    base = {
        "corpus": "news",
        "doc": "local-1",
        "start": START,
        "end": START + len(SENTENCE),
        "sha1": sentence_hash(SENTENCE),
        "split": "dev",
        "annotator": "A1",
        "events": [],
    }
    base.update(events)
    return base


ARREST = {
    "category": "COERCE",
    "mode": "arrest",
    "source": [{"text": "Police", "start": START, "end": START + 6, "country": "USA", "sector": "COP"}],
    "target": [
        {"text": "a 31-year-old man", "start": START + 16, "end": START + 33, "country": "USA", "sector": "CVL"}
    ],
}


def _actor(text: str, code: str | None, sector: str | None = None, assumed: bool = False) -> Actor:
    at = SENTENCE.find(text)
    start = START + at if at >= 0 else None
    country = code[:3] if code else None
    return Actor(text, code, country, sector, start=start, end=start + len(text) if start is not None else None,
                 assumed=assumed)  # fmt: skip


def _event(category: str, source: list[Actor], target: list[Actor], **kw) -> Event:
    return Event(
        type=category,
        mode=None,
        source=source,
        target=target,
        sentence=SENTENCE,
        sentence_start=START,
        sentence_end=START + len(SENTENCE),
        rule="pattern:arrest",
        confidence=kw.pop("confidence", 0.9),
        trigger="arrested",
        trigger_start=START + 7,
        **kw,
    )


def test_a_record_round_trips_through_its_json_shape():
    sentence = parse_record(_record(events=[ARREST]), "x:1")
    again = parse_record(json.loads(json.dumps(record_dict(sentence))), "x:1")
    assert again == sentence
    assert sentence.category_label == "COERCE"


def test_a_malformed_record_names_where_it_is():
    with pytest.raises(AnnotationError, match="x.jsonl:7"):
        parse_record(_record(events=[{"category": "ARREST"}]), "x.jsonl:7")


def test_loading_a_file(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(_record(events=[ARREST])) + "\n\n" + json.dumps(_record()) + "\n")
    loaded = load(path)
    assert [s.category_label for s in loaded] == ["COERCE", "NONE"]


def test_splits_keep_a_document_on_one_side():
    assert split_of("news", "doc-7") == split_of("news", "doc-7")
    sides = {split_of("news", f"doc-{i}") for i in range(60)}
    assert sides == {"train", "dev"}


def test_an_event_with_right_category_and_actors_is_fully_right():
    sentence = parse_record(_record(events=[ARREST]), "x")
    event = _event("COERCE", [_actor("Police", "USACOP", "COP")], [_actor("a 31-year-old man", "USACVL", "CVL")])
    judged = judge(event, sentence)
    assert judged.right and judged.error is None


def test_the_wrong_country_of_a_same_name_town_is_an_error():
    sentence = parse_record(_record(events=[ARREST]), "x")
    event = _event("COERCE", [_actor("Police", "LBNCOP", "COP")], [_actor("a 31-year-old man", "USACVL", "CVL")])
    assert judge(event, sentence).error == "source country wrong"


def test_roles_reversed_are_named_as_such():
    sentence = parse_record(_record(events=[ARREST]), "x")
    event = _event("COERCE", [_actor("a 31-year-old man", "USACVL", "CVL")], [_actor("Police", "USACOP", "COP")])
    assert judge(event, sentence).error == "roles reversed"


def test_an_event_in_a_sentence_with_no_event_is_a_false_event():
    sentence = parse_record(_record(), "x")
    event = _event("COERCE", [_actor("Police", "USACOP", "COP")], [])
    judged = judge(event, sentence)
    assert not judged.right and judged.error.startswith("no event in the sentence")


def test_a_hypothetical_gold_event_makes_an_actual_one_wrong():
    sentence = parse_record(_record(events=[{**ARREST, "hypothetical": True}]), "x")
    event = _event("COERCE", [_actor("Police", "USACOP", "COP")], [_actor("a 31-year-old man", "USACVL", "CVL")])
    assert judge(event, sentence).error.startswith("no actual event")


def test_a_place_taken_as_target_where_gold_names_someone_else_is_the_wrong_phrase():
    sentence = parse_record(_record(events=[ARREST]), "x")
    event = _event("COERCE", [_actor("Police", "USACOP", "COP")], [_actor("Lebanon", "LBN")])
    assert judge(event, sentence).error == "target from the wrong phrase"


def test_an_assumed_actor_is_accepted_where_gold_names_no_one():
    charged = {"category": "ACCUSE", "source": [], "target": ARREST["target"]}
    sentence = parse_record(_record(events=[charged]), "x")
    assumed = [_actor("police", "USACOP", "COP", assumed=True)]
    assert role_error(assumed, []) is None
    assert judge(_event("ACCUSE", [], [_actor("a 31-year-old man", "USACVL", "CVL")]), sentence).right
    assert role_error([_actor("Lebanon", "LBN")], []) == "from the wrong phrase"


def test_score_counts_precision_recall_and_the_confidence_threshold():
    sentence = parse_record(_record(events=[ARREST]), "x")
    right = _event("COERCE", [_actor("Police", "USACOP", "COP")], [_actor("a 31-year-old man", "USACVL", "CVL")])
    wrong = _event("ASSAULT", [_actor("Police", "USACOP", "COP")], [], confidence=0.2)
    events = {("news", "local-1"): [right, wrong]}
    report = score([sentence], events)
    assert (report.predicted, report.precision, report.recall) == (2, 0.5, 1.0)
    strict = score([sentence], events, min_confidence=0.5)
    assert (strict.predicted, strict.precision) == (1, 1.0)
    assert report.errors()["wrong category for a real event"] == 1
