from datetime import date

import pytest

from powderkeg.coder.dates import absolute_day, is_historical, long_ago, resolve

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


# -- the date of an event, through the coder ------------------------------------------------------

PUBLISHED = "2022-06-10"
LEAD = "On 6 June 2022, Kenyan police arrested two Al-Shabaab suspects in Mombasa."


Dated = list[tuple[str | None, str | None]]


def dates_of(pipeline, text: str, trigger: str, published: str | None = PUBLISHED) -> Dated:
    """The (date, date_precision) of the events ``trigger`` names in a coded text."""
    events = pipeline.code_text(text, published=published).events
    return [(e.date, e.date_precision) for e in events if e.trigger == trigger]


def test_absolute_day():
    assert absolute_day("4 May 2022", None) == date(2022, 5, 4)
    assert absolute_day("Around 23 June 2022", None) == date(2022, 6, 23)
    assert absolute_day("May 4, 2022", None) == date(2022, 5, 4)
    assert absolute_day("on 4 May", SATURDAY) == date(2022, 5, 4)
    assert absolute_day("on 4 May", None) is None  # no year, nothing to place it in
    assert absolute_day("on Monday", SATURDAY) is None  # relative to the report, not a calendar day
    assert absolute_day("in May 2022", SATURDAY) is None


@pytest.mark.parametrize(
    ("text", "trigger", "expected"),
    [
        ("On 4 May 2022, Boko Haram militants stormed a village in Borno State, Nigeria.", "stormed", "2022-05-04"),
        ("On June 8, 2022, Israeli forces raided Jenin and arrested four Palestinians.", "raided", "2022-06-08"),
        ("On 4 May, Kenyan police said they had arrested five members of Al-Shabaab.", "arrested", "2022-05-04"),
        # the date dates "reported", not the event's verb; the parser may not even find it as a date
        ("Around 6 June 2022 (as reported), Kenyan police arrested two Al-Shabaab suspects in Mombasa.", "arrested",
         "2022-06-06"),
        ("Congolese soldiers clashed with M23 rebels near Goma around 2 June 2022 (as reported).", "clashed",
         "2022-06-02"),
        # the parser finds the date as "June 2022", or dates "the night" with it
        ("On or around 1 June 2022, Fulani militia attacked farmers in Benue state, Nigeria.", "attacked",
         "2022-06-01"),
        ("On the night of 2 June 2022, Malian soldiers clashed with JNIM militants near Mopti, Mali.", "clashed",
         "2022-06-02"),
        # in another clause than the event's
        ("Police fired tear gas at protesters in Nairobi on 7 June 2022, witnesses said, and arrested 20 people.",
         "arrested", "2022-06-07"),
    ],
)  # fmt: skip
def test_the_day_a_report_gives_is_the_event_s(pipeline, text, trigger, expected):
    assert dates_of(pipeline, text, trigger) == [(expected, "day")]


def test_several_days_leave_each_clause_its_own(pipeline):
    text = "Kenyan police arrested five Al-Shabaab members on 3 June 2022, and Somali troops attacked {}."
    both = text.format("Al-Shabaab positions on 5 June 2022")
    assert dates_of(pipeline, both, "arrested") == [("2022-06-03", "day")]
    assert dates_of(pipeline, both, "attacked") == [("2022-06-05", "day")]
    fronted = "On 3 June 2022, Kenyan police arrested five militants, and on 5 June 2022 Somali troops attacked them."
    assert dates_of(pipeline, fronted, "attacked") == [("2022-06-05", "day")]


@pytest.mark.parametrize(
    "text",
    [
        # a noun's day, or that of a clause describing a noun
        "Nigerian police, who arrested two men on 1 June 2022, said that Boko Haram militants attacked a church.",
        # a time before the event
        "Nigerian troops attacked the town after Boko Haram militants seized it on 4 June 2022.",
        # what the event says, not when
        "Nigerian officials dismissed the report, saying that Boko Haram militants attacked the town on 4 June 2022.",
    ],
)
def test_a_day_of_something_else_is_not_borrowed(pipeline, text):
    trigger = "dismissed" if "dismissed" in text else "attacked"
    assert [p for _, p in dates_of(pipeline, text, trigger)] == ["publication"]


def test_the_lead_dates_what_follows_in_its_paragraph(pipeline):
    text = LEAD + " Kenyan soldiers then attacked an Al-Shabaab camp near Lamu."
    assert dates_of(pipeline, text, "attacked") == [("2022-06-06", "day")]
    assert dates_of(pipeline, text, "attacked", published=None) == [("2022-06-06", "day")]
    later = LEAD + " The two men were taken to Nairobi. Kenyan soldiers then attacked an Al-Shabaab camp near Lamu."
    assert dates_of(pipeline, later, "attacked") == [("2022-06-06", "day")]
    # a day told in passing, neither the paragraph's first sentence nor the one before
    passing = "Kenyan troops patrol the coast. " + later
    assert dates_of(pipeline, passing, "attacked") == [(PUBLISHED, "publication")]


@pytest.mark.parametrize(
    "follows",
    [
        "\n\nKenyan soldiers attacked an Al-Shabaab camp near Lamu.",  # another paragraph
        "\nKenyan soldiers attacked an Al-Shabaab camp near Lamu.",  # another line
        " Kenyan soldiers later attacked an Al-Shabaab camp near Lamu.",  # another day
        " Kenyan soldiers had attacked an Al-Shabaab camp near Lamu.",  # before the lead's day
        " Kenyan soldiers have attacked an Al-Shabaab camp near Lamu.",  # up to now
        " Kenyan soldiers attacked an Al-Shabaab camp near Lamu, officials say.",  # told as now
        ' An officer said: "Kenyan soldiers attacked an Al-Shabaab camp near Lamu."',  # a speaker's story
    ],
)
def test_the_lead_dates_only_the_same_day_s_past(pipeline, follows):
    assert dates_of(pipeline, LEAD + follows, "attacked") == [(PUBLISHED, "publication")]


def test_no_date_is_the_publication_date_said_so(pipeline):
    text = "Kenyan soldiers attacked an Al-Shabaab camp near Lamu."
    assert dates_of(pipeline, text, "attacked") == [(PUBLISHED, "publication")]
    assert dates_of(pipeline, text, "attacked", published=None) == [(None, None)]


def test_background_in_the_past_perfect_is_not_dated_to_the_day(pipeline):
    for text in (
        "Kenyan soldiers had attacked an Al-Shabaab camp near Lamu, officials said.",
        "Kenyan officials said Somali troops had previously attacked Al-Shabaab positions near the border.",
    ):
        assert [p for _, p in dates_of(pipeline, text, "attacked")] == ["publication"]


def test_an_undated_story_is_as_recent_as_the_latest_date_it_tells(pipeline):
    text = (
        "The new sentencing law was passed in March 2018. "
        "In 2001 the two brothers were sentenced to 30 years for the arsons."
    )
    [verdict] = [e for e in pipeline.code_text(text).events if e.type == "SANCTION"]
    assert verdict.historical and verdict.date == "2001-01-01"
    recent = "In 2018 the two brothers were sentenced to 30 years for the arsons."
    assert any(e.type == "SANCTION" and e.actual for e in pipeline.code_text(recent).events)
