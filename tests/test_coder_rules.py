"""Coding rules a user relies on, each on a sentence written for the test."""


def events(pipeline, text):
    return [e for e in pipeline.code_text(text, published="2024-03-06").events if e.actual]


def test_a_stated_obligation_is_a_demand(pipeline):
    [event] = [
        e
        for e in events(pipeline, "Germany said on Monday that Russia must withdraw its troops.")
        if e.type == "REQUEST"
    ]
    assert {a.country for a in event.source} == {"DEU"}
    assert {a.country for a in event.target} == {"RUS"}
    assert event.rule.startswith("grammar:")


def test_a_promise_is_agree_and_a_plan_to_use_force_is_threaten(pipeline):
    promise = events(pipeline, "Japan will provide emergency aid to Nepal, the foreign ministry said.")
    assert any(e.type == "AGREE" for e in promise)
    plan = events(pipeline, "The army plans to impose a curfew on the city of Goma.")
    assert any(e.type == "THREATEN" for e in plan)


def test_failed_talks_are_a_rejection_not_an_agreement(pipeline):
    coded = events(pipeline, "Israel and Syria failed to reach an agreement on water rights on Monday.")
    assert not any(e.type == "AGREE" for e in coded)
    assert any(e.type == "REJECT" for e in coded)
    refused = events(pipeline, "Jordan said it will not accept any more refugees from Syria.")
    assert any(e.type == "REJECT" for e in refused)


def test_weapons_found_is_disrupted_weapons_use(pipeline):
    coded = events(pipeline, "Police found a cache of grenades and ammunition near the border town of Mandera.")
    assert any(e.acled_subtype == "Disrupted weapons use" for e in coded)


def test_unnamed_attackers_are_an_unidentified_armed_group(pipeline):
    coded = events(pipeline, "A bomb exploded at a market in Maiduguri, Nigeria, killing four people.")
    attack = next(e for e in coded if e.type == "ASSAULT")
    assert attack.fatalities == 4
    assert attack.source and attack.source[0].sector == "UAF" and attack.source[0].country == "NGA"
