"""Hostile input: random and adversarial text through extraction, the coder, dates and casualties.
Nothing raises; every document ends with a status."""

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powderkeg.coder.casualties import casualties
from powderkeg.coder.dates import resolve
from powderkeg.extract import extract
from powderkeg.model import Document, Status

PUBLISHED = date(2024, 3, 6)
DATE_WORDS = ["last", "next", "on", "Monday", "week", "month", "year", "ago", "days", "February", "31", "29",
              "0", "99999", "-1", "1e9", "2022", "back", "in", "early", "late", "the", "of", "yesterday", "night",
              "decade", "1990s", "century", "19", "2", "third", "March,", "2024-02-30", "99/99/9999"]  # fmt: skip
TOLL_WORDS = ["killed", "at", "least", "dozens", "hundreds", "of", "tens", "99999999999999999999", "-5", "1e9",
              "people", "were", "wounded", "injured", "dead", "no", "one", "two", "thousand", "million", "and",
              "civilians", "soldiers", "a", "half", "three-quarters", "NaN", "¾", "٣", "killing"]  # fmt: skip
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(DATE_WORDS), max_size=8).map(" ".join), ANY_TEXT))
def test_date_expressions_never_raise_and_give_a_real_date(expression):
    found = resolve(expression, PUBLISHED)
    if found is not None:
        day, precision = found[0], found[1]
        assert isinstance(day, date) and precision in ("day", "week", "month", "year", "decade", "century")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TOLL_WORDS), min_size=1, max_size=14).map(" ".join))
def test_casualty_counts_never_raise_and_are_never_negative(pipeline, text):
    doc = pipeline.nlp(text)
    fatalities, injuries = casualties(list(doc), pipeline.coder.lex)
    for count in (fatalities, injuries):
        assert count is None or (isinstance(count, int) and count >= 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ANY_TEXT)
def test_the_coder_takes_any_unicode(pipeline, text):
    coded = pipeline.code_text(text, published="2024-03-06")
    assert coded.article.status in (Status.OK, Status.EMPTY, Status.NOT_ENGLISH, Status.NOT_TEXT, Status.NO_CONTENT)
    for event in coded.events:
        assert 0 <= event.sentence_start < event.sentence_end <= len(coded.article.text)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=1, max_value=20000),
    st.sampled_from(["div", "table", "span", "script", "a", "p", "iframe", "svg", "b"]),
    st.text(max_size=60),
)
def test_deep_or_odd_html_never_raises(depth, tag, inner):
    opening = f'<{tag} x="{inner}">' * depth
    html = f"<html><body>{opening}Rebels attacked a base in Goma.{f'</{tag}>' * depth}"
    article = extract(Document("deep", "html", html.encode("utf-8", "replace")))
    assert article.status in (Status.OK, Status.NO_CONTENT, Status.EMPTY, Status.NOT_ENGLISH, Status.NOT_TEXT)
    assert article.status is Status.OK or article.reason
