"""Date expressions resolved against the publication date, with a precision.

"last Thursday night" on a page published Saturday 2022-12-17 is 2022-12-15 (day); "last week"
is the Monday of the week before (week); "in March" is 2022-03-01 (month); "back in 2008" is
2008-01-01 (year).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
# number words that name an exact number (casualty counts use them too)
NUMBER_WORDS_EXACT = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50,
}  # fmt: skip
NUMBER_WORDS = {**NUMBER_WORDS_EXACT, "several": 3, "few": 3, "a few": 3}

Resolved = tuple[date, str]

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\.?,?\s+(\d{{4}})\b")
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b\.?")
_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b")
_MONTH_YEAR = re.compile(rf"\b({_MONTH_RE})\.?,?\s+(\d{{4}})\b")
_MONTH = re.compile(rf"\b({_MONTH_RE})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_AGO = re.compile(
    r"\b(\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\s+(day|week|month|year)s?\s+ago\b"
)
_WEEKDAY = re.compile(r"\b(" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) + r")\b")


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_start(d: date, months_back: int) -> date:
    index = d.year * 12 + (d.month - 1) - months_back
    return date(index // 12, index % 12 + 1, 1)


def _past_year_for(month: int, day: int, published: date) -> int:
    """The year of a month-day without a year: the publication year unless that is in the future."""
    candidate = _safe_date(published.year, month, day)
    if candidate and candidate > published + timedelta(days=7):
        return published.year - 1
    return published.year


def resolve(expression: str, published: date | None) -> Resolved | None:
    """Resolve a date expression, relative ones against ``published``. None when it cannot be."""
    text = expression.lower().replace("’", "'").strip()
    # absolute dates first: they need no publication date
    if m := _ISO.search(text):
        d = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        return (d, "day") if d else None
    if m := _DAY_MONTH_YEAR.search(text):
        d = _safe_date(int(m[3]), MONTHS[m[2]], int(m[1]))
        return (d, "day") if d else None
    if m := _MONTH_DAY_YEAR.search(text):
        d = _safe_date(int(m[3]), MONTHS[m[1]], int(m[2]))
        return (d, "day") if d else None
    if m := _MONTH_YEAR.search(text):
        return date(int(m[2]), MONTHS[m[1]], 1), "month"
    if published is None:
        if m := _YEAR.search(text):
            return date(int(m[1]), 1, 1), "year"
        return None
    if m := _DAY_MONTH.search(text):
        month, day = MONTHS[m[2]], int(m[1])
        d = _safe_date(_past_year_for(month, day, published), month, day)
        return (d, "day") if d else None
    if m := _MONTH_DAY.search(text):
        month, day = MONTHS[m[1]], int(m[2])
        d = _safe_date(_past_year_for(month, day, published), month, day)
        return (d, "day") if d else None
    if m := _YEAR.search(text):
        return date(int(m[1]), 1, 1), "year"
    if "yesterday" in text or "last night" in text:
        return published - timedelta(days=1), "day"
    if any(w in text for w in ("today", "this morning", "this afternoon", "this evening", "tonight")):
        return published, "day"
    if m := _AGO.search(text):
        count = int(m[1]) if m[1].isdigit() else NUMBER_WORDS.get(m[1], 1)
        unit = m[2]
        if unit == "day":
            return published - timedelta(days=count), "day"
        if unit == "week":
            return published - timedelta(weeks=count), "week"
        if unit == "month":
            return _month_start(published, count), "month"
        return date(published.year - count, 1, 1), "year"
    if m := _WEEKDAY.search(text):
        back = (published.weekday() - WEEKDAYS[m[1]]) % 7
        if "last" in text.split() and back == 0:
            back = 7
        if "next" in text.split() or "coming" in text:
            return published + timedelta(days=(WEEKDAYS[m[1]] - published.weekday()) % 7 or 7), "day"
        return published - timedelta(days=back), "day"
    monday = published - timedelta(days=published.weekday())
    if "last week" in text or "past week" in text or "previous week" in text:
        return monday - timedelta(weeks=1), "week"
    if "this week" in text or "earlier this week" in text:
        return monday, "week"
    if "last month" in text or "previous month" in text:
        return _month_start(published, 1), "month"
    if "this month" in text:
        return _month_start(published, 0), "month"
    if "last year" in text or "previous year" in text:
        return date(published.year - 1, 1, 1), "year"
    if "this year" in text:
        return date(published.year, 1, 1), "year"
    if m := _MONTH.search(text):
        month = MONTHS[m[1]]
        if m[1] == "may" and not re.search(r"\b(in|since|until|by|early|late|mid)\s+may\b", text):
            return None  # the modal verb, not the month
        year = published.year if month <= published.month else published.year - 1
        return date(year, month, 1), "month"
    return None


def long_ago(expression: str) -> bool:
    """Whether an expression tells a time years back by its words alone ("18 years ago",
    "decades ago"): background even in a text without a publication date."""
    text = expression.lower()
    if "decades ago" in text:
        return True
    m = _AGO.search(text)
    if m is None or m[2] != "year":
        return False
    count = int(m[1]) if m[1].isdigit() else NUMBER_WORDS.get(m[1], 1)
    return count >= 2 or m[1] == "several"


def is_historical(resolved: date, published: date | None, precision: str) -> bool:
    """Whether a resolved date lies well before the report: background, not news."""
    if published is None:
        return False
    if precision == "year":
        return resolved.year < published.year - 1
    return (published - resolved).days > 366
