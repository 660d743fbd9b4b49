"""The report the project started from (tests/fixtures/seed, our copy of ../shared/seed): the
events it must give, and what must not become an actual event."""

from pathlib import Path

import pytest

from powderkeg.extract import extract
from powderkeg.model import Document, Event

SEED = Path(__file__).parent / "fixtures" / "seed"


def coded(pipeline, name: str) -> list[Event]:
    kind = "html" if name.endswith(".html") else "text"
    article = extract(Document(name, kind, (SEED / name).read_bytes()))
    result = next(pipeline.code_articles([article]))
    assert result.article.status.value == "ok"
    return result.events


def countries(actors) -> set[str]:
    return {a.country for a in actors if a.country}


def find(events: list[Event], sentence_start: str, category: str) -> Event:
    matches = [e for e in events if e.sentence.startswith(sentence_start) and e.type == category and e.actual]
    assert matches, f"no actual {category} event in the sentence starting {sentence_start!r}: " + repr(
        [(e.type, e.sentence[:40]) for e in events]
    )
    return matches[0]


@pytest.fixture(scope="module", params=["seed-article.html", "seed-article.txt"])
def seed_events(request, pipeline) -> tuple[str, list[Event]]:
    return request.param, coded(pipeline, request.param)


def test_event_1_serbia_requests_kfor(seed_events):
    _, events = seed_events
    e = find(events, "Serbia has formally made a request", "REQUEST")
    assert countries(e.source) == {"SRB"}
    assert countries(e.target) == {"IGO"}
    assert "NAT" in (e.target[0].code or "")


def test_event_5_serb_officials_resign_in_protest(seed_events):
    _, events = seed_events
    e = find(events, "To protest attempts", "PROTEST")
    assert countries(e.source) == {"XKX"}
    assert {a.ethnicity for a in e.source} == {"srb"}
    assert {a.sector for a in e.source} >= {"COP", "JUD"}
    assert countries(e.target) == {"XKX"}


def test_event_6_kosovo_deploys_police_north(seed_events):
    name, events = seed_events
    e = find(events, "Last week, Albanian-Kosovar officials", "MOBILIZE")
    assert e.mode == "police"
    assert countries(e.source) == {"XKX"}
    assert countries(e.target) == {"XKX"}
    if name.endswith(".html"):
        assert (e.date, e.date_precision) == ("2022-12-05", "week")


def test_event_7_locals_fire_on_police(seed_events):
    name, events = seed_events
    e = find(events, "At least one Kosovar police officer", "ASSAULT")
    assert e.mode == "firearms"
    assert countries(e.source) == {"XKX"} and e.source[0].ethnicity == "srb"
    assert countries(e.target) == {"XKX"} and e.target[0].sector == "COP"
    assert e.injuries is not None and e.injuries >= 1
    assert e.fatalities == 0
    if name.endswith(".html"):
        assert (e.date, e.date_precision) == ("2022-12-15", "day")


def test_event_8_brnabic_threatens_deployment(seed_events):
    _, events = seed_events
    e = find(events, "In response, Serbian Prime Minister Ana Brnabic", "THREATEN")
    assert countries(e.source) == {"SRB"}
    assert "XKX" in countries(e.target)
    deploy = [x for x in events if x.sentence == e.sentence and x.type == "MOBILIZE"]
    assert all(not x.actual for x in deploy), "a threatened deployment is not a deployment"


def test_nothing_from_page_furniture(seed_events):
    _, events = seed_events
    furniture = ("Kenyan", "Haiti", "Israeli", "Bilohorivka", "Central African", "Editor-In-Chief", "Sponsor")
    for e in events:
        assert not any(word in e.sentence for word in furniture), e.sentence


def test_background_is_not_an_actual_event(seed_events):
    _, events = seed_events
    for e in events:
        if "2008" in e.sentence or "Kosovo War" in e.sentence:
            assert not e.actual, (e.type, e.sentence)


def test_historical_event_keeps_its_own_date(pipeline):
    events = coded(pipeline, "seed-article.html")
    past = [e for e in events if "2008" in e.sentence]
    assert past and all(e.historical and e.date == "2008-01-01" and e.date_precision == "year" for e in past)


def test_considered_and_likely_are_not_actual(seed_events):
    _, events = seed_events
    for e in events:
        if e.sentence.startswith(("Vucic said that the request would likely", "Likewise, Vucic considered")):
            assert not e.actual, (e.type, e.sentence)


def test_every_event_says_where_it_came_from(seed_events):
    _, events = seed_events
    for e in events:
        assert e.rule.startswith(("pattern:", "verbs:", "verbs-default:"))
        assert e.provenance["rule_file"].startswith(("triggers.tsv:", "CAMEO.2.0.txt:"))
        assert 0 < e.confidence <= 1
        assert e.sentence_start < e.sentence_end


def test_event_2_is_a_second_mention_of_event_1(seed_events):
    _, events = seed_events
    e = find(events, "Serbia has formally made a request", "REQUEST")
    assert e.mentions == 2
    assert not [
        x for x in events if x.sentence.startswith("Speaking with Serbian") and x.type == "REQUEST" and x.actual
    ]


def test_event_3_kosovo_restricts_serb_plates(seed_events):
    _, events = seed_events
    e = find(events, "In recent years, Kosovo", "COERCE")
    assert countries(e.source) == {"XKX"}
    assert countries(e.target) == {"XKX"} and e.target[0].ethnicity == "srb"


def test_event_9_brnabic_accuses_kfor(seed_events):
    _, events = seed_events
    e = find(events, "In response, Serbian Prime Minister Ana Brnabic", "ACCUSE")
    assert countries(e.source) == {"SRB"}
    assert countries(e.target) == {"IGO"}


def test_events_1_6_and_7_are_placed(seed_events):
    _, events = seed_events
    request = find(events, "Serbia has formally made a request", "REQUEST")
    assert request.location is not None and request.location.country == "XKX"
    for start, category in (("Last week, Albanian-Kosovar officials", "MOBILIZE"),
                            ("At least one Kosovar police officer", "ASSAULT")):  # fmt: skip
        place = find(events, start, category).location
        assert place is not None, f"{category} has no location"
        assert (place.name, place.country, place.precision) == ("northern Kosovo", "XKX", "region")
