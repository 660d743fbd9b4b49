from datetime import date

import pytest

from powderkeg.coder.dates import is_historical, long_ago, resolve

SATURDAY = date(2022, 12, 17)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("last Thursday night", (date(2022, 12, 15), "day")),
        ("on Monday", (date(2022, 12, 12), "day")),
        ("Saturday", (date(2022, 12, 17), "day")),
        ("last Saturday", (date(2022, 12, 10), "day")),
        ("yesterday", (date(2022, 12, 16), "day")),
        ("last night", (date(2022, 12, 16), "day")),
        ("today", (date(2022, 12, 17), "day")),
        ("last week", (date(2022, 12, 5), "week")),
        ("this week", (date(2022, 12, 12), "week")),
        ("three days ago", (date(2022, 12, 14), "day")),
        ("two weeks ago", (date(2022, 12, 3), "week")),
        ("last month", (date(2022, 11, 1), "month")),
        ("last year", (date(2021, 1, 1), "year")),
        ("on 23 February 2022", (date(2022, 2, 23), "day")),
        ("February 23, 2022", (date(2022, 2, 23), "day")),
        ("December 15", (date(2022, 12, 15), "day")),
        ("December 28", (date(2021, 12, 28), "day")),  # in the future for the report: last year's
        ("in March", (date(2022, 3, 1), "month")),
        ("in March 2021", (date(2021, 3, 1), "month")),
        ("back in 2008", (date(2008, 1, 1), "year")),
        ("2022-11-30", (date(2022, 11, 30), "day")),
    ],
)
def test_resolve_against_publication(text, expected):
    assert resolve(text, SATURDAY) == expected


def test_relative_dates_need_a_publication_date():
    assert resolve("last Thursday", None) is None
    assert resolve("on 23 February 2022", None) == (date(2022, 2, 23), "day")
    assert resolve("in 2008", None) == (date(2008, 1, 1), "year")


def test_unresolvable_expressions():
    assert resolve("in recent years", SATURDAY) is None
    assert resolve("for two decades", SATURDAY) is None
    assert resolve("31 February 2022", SATURDAY) is None


def test_historical():
    assert is_historical(date(2008, 1, 1), SATURDAY, "year")
    assert not is_historical(date(2022, 1, 1), SATURDAY, "year")
    assert not is_historical(date(2022, 12, 15), SATURDAY, "day")
    assert is_historical(date(2020, 6, 1), SATURDAY, "month")
    assert not is_historical(date(2008, 1, 1), None, "year")


def test_years_ago_is_background_even_without_a_publication_date(pipeline):
    assert long_ago("18 years ago") and long_ago("several years ago") and long_ago("decades ago")
    assert not long_ago("a year ago") and not long_ago("two days ago") and not long_ago("in 2008")
    text = "Angola paid compensation to the farmers whose land its army seized twenty years ago."
    coded = pipeline.code_text(text).events
    assert [e.historical for e in coded if e.type == "COERCE" or e.rule.startswith("pattern:seize")] == [True]
