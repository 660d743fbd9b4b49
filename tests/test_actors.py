"""Actors' countries and sectors, on sentences written for the tests: a place-named actor takes the
country of the place the article names (Lebanon, Indiana; Georgia the US state), institutions their
sector (a state legislature is LEG)."""

from __future__ import annotations

from powderkeg.coder.actors import ArticleContext
from powderkeg.extract import extract
from powderkeg.model import Actor, Document, Event


def events(pipeline, text: str, kind: str) -> list[Event]:
    coded = pipeline.code_text(text, published="2024-03-06").events
    return [e for e in coded if e.actual and e.type == kind]


def phrase(pipeline, text: str, head: str) -> tuple[str | None, str | None]:
    """Country and sector of the phrase headed by the first word ``head`` of a text, resolved the
    way the coder resolves it while it reads the text (whatever events it then codes)."""
    article = extract(Document(origin="<text>", kind="record", raw=text, published="2024-03-06"), pipeline.settings)
    doc = pipeline.nlp(article.text)
    reading = pipeline.coder.read(doc, article)
    [actor] = pipeline.coder.actors.resolve(next(t for t in doc if t.text == head), reading.ctx)
    return actor.country, actor.sector


def actors(found: list[Event], role: str = "source") -> list[Actor]:
    return [a for e in found for a in getattr(e, role)]


def codes(found: list[Event], role: str = "source") -> set[tuple[str | None, str | None]]:
    return {(a.country, a.sector) for a in actors(found, role)}


# -- a place's name stands for the country of the place the article names ----------------------


def test_the_police_of_lebanon_indiana_are_american(pipeline):
    text = (
        "LEBANON, Ind. — Officers from the Lebanon Police Department arrested a 31-year-old man on Friday. "
        "The arrest followed a two-week investigation in Boone County, Indiana."
    )
    [arrest] = events(pipeline, text, "COERCE")
    assert {a.country for a in arrest.source + arrest.target} == {"USA"}
    assert "COP" in {a.sector for a in arrest.source}


def test_a_lebanon_police_department_in_an_indiana_story_is_american(pipeline):
    text = (
        "The Lebanon Police Department arrested two men on Saturday after a chase on Interstate 65. "
        "Boone County deputies and officers from Zionsville helped stop the car near Whitestown, "
        "and the men were taken to the Boone County jail."
    )
    found = events(pipeline, text, "COERCE")
    assert codes(found) == {("USA", "COP")}


def test_lebanon_the_country_stays_lebanon(pipeline):
    text = (
        "BEIRUT — Lebanon's army arrested three men near the Syrian border on Monday. "
        "Lebanon accused Israel of violating its airspace."
    )
    assert codes(events(pipeline, text, "COERCE")) == {("LBN", "MIL")}
    accusation = events(pipeline, text, "ACCUSE")
    assert codes(accusation) == {("LBN", None)} and codes(accusation, "target") == {("ISR", None)}


def test_georgia_the_us_state_and_its_institutions(pipeline):
    text = (
        "The Georgia Bureau of Investigation arrested a former deputy in Macon on Monday. "
        "The deputy had been fired by the Bibb County Sheriff's Office in March, agents said in Atlanta."
    )
    [arrest] = events(pipeline, text, "COERCE")
    [source] = arrest.source
    assert (source.country, source.sector) == ("USA", "COP")
    assert source.text == "The Georgia Bureau of Investigation"


def test_georgia_the_country_in_an_international_story(pipeline):
    text = (
        "TBILISI — Georgia accused Russia of violating the ceasefire on Monday. "
        "The Georgian foreign ministry in Tbilisi summoned the Russian ambassador."
    )
    accusation = events(pipeline, text, "ACCUSE")
    assert codes(accusation) == {("GEO", None)} and codes(accusation, "target") == {("RUS", None)}


def test_athens_georgia_is_a_us_town(pipeline):
    text = (
        "Police in Athens, Georgia, arrested two students on Saturday after a fight downtown, the "
        "Athens-Clarke County Police Department said. The students were booked into the Clarke County jail."
    )
    [arrest] = events(pipeline, text, "COERCE")
    assert {a.country for a in arrest.source + arrest.target} == {"USA"}


def test_athens_in_european_news_is_the_greek_capital(pipeline):
    text = (
        "ATHENS — Greek police arrested 12 protesters in Athens on Sunday. "
        "Athens demanded an apology from Ankara on Monday."
    )
    assert codes(events(pipeline, text, "COERCE")) == {("GRC", "COP")}
    demand = events(pipeline, text, "REQUEST")
    assert codes(demand) == {("GRC", None)} and codes(demand, "target") == {("TUR", None)}


def test_berlin_new_hampshire_is_a_us_town(pipeline):
    text = (
        "BERLIN, N.H. — Berlin police arrested a man on Friday after a standoff on Main Street. "
        "Coos County deputies and New Hampshire State Police assisted."
    )
    found = events(pipeline, text, "COERCE")
    assert {a.country for a in actors(found) + actors(found, "target")} == {"USA"}
    assert ("USA", "COP") in codes(found)


def test_berlin_in_european_news_is_the_german_capital(pipeline):
    text = (
        "BERLIN — German police arrested three men in Berlin on Monday. "
        "Berlin accused Moscow of spying, and the foreign ministry expelled two Russian diplomats."
    )
    assert codes(events(pipeline, text, "COERCE")) == {("DEU", "COP")}
    accusation = events(pipeline, text, "ACCUSE")
    assert codes(accusation) == {("DEU", None)} and codes(accusation, "target") == {("RUS", None)}


def test_a_town_named_by_its_state_in_the_resolver(pipeline):
    """The resolver on a real parse: "Lebanon, Ohio" is in the USA, a list of capitals is not."""
    resolver = pipeline.coder.actors
    doc = pipeline.nlp("Residents of Lebanon, Ohio, and diplomats from Paris, London and Berlin met on Monday.")
    ctx = ArticleContext(published=None)
    found = {doc[m.start].text: m.country for m in resolver.matches(list(doc), None, ctx) if m.kind == "actor"}
    assert found["Lebanon"] == "USA"
    assert (found["Paris"], found["London"], found["Berlin"]) == ("FRA", "GBR", "DEU")


# -- institutions get their sector ---------------------------------------------------------------


def test_a_state_legislature_is_leg(pipeline):
    text = "The Georgia House of Representatives censured the governor on Tuesday."
    assert phrase(pipeline, text, "House") == ("USA", "LEG")
    assert phrase(pipeline, text, "governor") == ("USA", "GOV")
    text = "Ohio lawmakers met in Columbus on Monday. The state legislature censured the governor on Tuesday."
    assert phrase(pipeline, text, "legislature") == ("USA", "LEG")


def test_a_us_state_name_and_an_institution_is_that_states(pipeline):
    text = "The Indiana House censured a lawmaker from Indianapolis on Tuesday."
    assert phrase(pipeline, text, "House") == ("USA", "LEG")
    text = "The Georgia Senate censured a senator from Atlanta on Monday."
    assert phrase(pipeline, text, "Senate") == ("USA", "LEG")
    text = "Indiana State Police arrested a man from Lebanon, Indiana, on Tuesday."
    [arrest] = events(pipeline, text, "COERCE")
    assert codes([arrest]) == {("USA", "COP")} and codes([arrest], "target") == {("USA", "CVL")}


def test_an_attorney_general_is_jud(pipeline):
    text = "The Indiana attorney general sued the company on Monday."
    assert phrase(pipeline, text, "general") == ("USA", "JUD")
    text = "New York Attorney General Letitia James accused the landlord of fraud on Monday."
    assert phrase(pipeline, text, "James") == ("USA", "JUD")


def test_a_jury_and_a_district_attorney_are_jud(pipeline):
    text = "A district attorney in Houston charged the officer with assault on Monday."
    assert phrase(pipeline, text, "attorney") == ("USA", "JUD")
    text = "A jury in Houston convicted the officer of assault on Friday."
    assert phrase(pipeline, text, "jury") == ("USA", "JUD")


def test_a_sheriffs_office_is_cop(pipeline):
    text = "The Boone County Sheriff's Office arrested two men in Zionsville, Indiana, on Saturday."
    [arrest] = events(pipeline, text, "COERCE")
    [source] = arrest.source
    assert (source.country, source.sector) == ("USA", "COP")
    assert source.text == "The Boone County Sheriff's Office"


def test_troopers_are_police_not_soldiers(pipeline):
    text = "Georgia State Patrol troopers arrested a driver near Macon, Georgia, on Sunday."
    assert codes(events(pipeline, text, "COERCE")) == {("USA", "COP")}


def test_a_city_council_is_local_government(pipeline):
    text = "The Lebanon City Council in Lebanon, Indiana, condemned the shooting on Tuesday."
    assert phrase(pipeline, text, "Council") == ("USA", "GOV")


def test_lower_case_words_are_no_countries(pipeline):
    text = "Officers told us that four male suspects were arrested in Zionsville, Indiana, on Friday."
    resolver = pipeline.coder.actors
    doc = pipeline.nlp(text)
    found = [doc[m.start : m.end].text for m in resolver.matches(list(doc), None) if m.kind == "actor"]
    assert "us" not in found and "male" not in found
