"""Fatalities and injuries with ACLED's conservative conventions, on events coded from text."""

import pytest


def assault(pipeline, text):
    events = [e for e in pipeline.code_text(text, published="2024-03-06").events if e.type == "ASSAULT"]
    assert events, text
    return events[0]


@pytest.mark.parametrize(
    ("text", "fatalities", "injuries"),
    [
        ("Gunmen killed five villagers and wounded eight others in an attack on Monday.", 5, 8),
        ("At least 12 soldiers were killed when militants attacked a base.", 12, 0),
        ("Militants attacked a convoy, killing dozens of soldiers.", 12, 0),
        ("Rebels shelled the town, killing hundreds of civilians.", 100, 0),
        ("A roadside bomb wounded three police officers.", 0, 3),
        ("Soldiers shot dead a protester in the capital.", 1, 0),
        ("Rebels attacked an army post in the north on Tuesday.", 0, 0),
    ],
)
def test_counts(pipeline, text, fatalities, injuries):
    event = assault(pipeline, text)
    assert (event.fatalities, event.injuries) == (fatalities, injuries)


def test_non_violent_events_have_no_counts(pipeline):
    events = pipeline.code_text("The president met the prime minister in Paris.", published="2024-03-06").events
    assert events and all(e.fatalities is None and e.injuries is None for e in events)
