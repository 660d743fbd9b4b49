"""Right or silent: what the coder abstains from on ordinary news, and what it still codes. Each
sentence was written for the test."""

from __future__ import annotations

import pytest


def actual(pipeline, text: str, published: str = "2024-03-06"):
    return [e for e in pipeline.code_text(text, published=published).events if e.actual]


@pytest.mark.parametrize(
    "text",
    [
        "A man stabbed his neighbour during a dispute over a garden fence.",  # crime among private people
        "The boy was struck by glass when the window broke.",  # a passive strike is no walkout
        "The specific sites used vary between men and women.",  # "sites" is no sit-in
        "Seventeen people were killed by poisoned liquor in the slum.",  # no weapon: no attacker assumed
        "The striker hit an early three-pointer before the break.",  # sport
    ],
)
def test_ordinary_news_gives_no_event(pipeline, text):
    assert actual(pipeline, text) == [], [(e.type, e.rule) for e in actual(pipeline, text)]


def test_the_state_charging_or_sentencing_someone_is_an_event_with_no_source_needed(pipeline):
    [charge] = [e for e in actual(pipeline, "John Smith has been charged with attempted murder.") if e.type == "ACCUSE"]
    assert charge.source == [] and charge.target[0].text == "John Smith"
    [verdict] = [e for e in actual(pipeline, "A man has been found guilty of murder in Leeds.") if e.type == "SANCTION"]
    assert verdict.target[0].sector == "CVL"


def test_a_bomb_nobody_is_named_for_is_still_an_attack(pipeline):
    coded = actual(pipeline, "A roadside bomb killed three soldiers near Kandahar on Monday.")
    [attack] = [e for e in coded if e.type == "ASSAULT"]
    assert attack.source and attack.source[0].assumed and attack.source[0].sector == "UAF"


def test_a_wire_dateline_is_never_an_actor(pipeline):
    text = "PRISTINA, March 11 - Serbian forces shelled the village of Lipljan, officials said."
    coded = [e for e in actual(pipeline, text) if e.type == "ASSAULT"]
    assert coded and all("PRISTINA" not in a.text for e in coded for a in e.source + e.target)
    assert any(a.country == "SRB" for e in coded for a in e.source)


def test_every_event_carries_a_probability_and_its_provenance(pipeline):
    for event in pipeline.code_text("Serbian police arrested two Kosovo Albanians on Friday.").events:
        assert 0.0 <= event.confidence <= 1.0
        assert event.provenance["proposer"] in ("pattern", "verbs", "verbs-default", "model", "grammar")
        assert set(event.provenance["gate"]) and "NONE" in event.provenance["gate"]
        assert event.to_dict()["provenance"] == event.provenance
