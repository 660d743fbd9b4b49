"""Date expressions resolved against the publication date, with a precision, and the date of an event.

"last Thursday night" on a page published Saturday 2022-12-17 is 2022-12-15 (day); "last week"
is the Monday of the week before (week); "in March" is 2022-03-01 (month); "back in 2008" is
2008-01-01 (year).

An event's date (:func:`event_date`) is, in order: a date expression in its clause or a governing
one; the one calendar day the sentence gives ("Around 23 June 2022 (as reported), forces
clashed ..."); for an event told in the simple past in a sentence with no date of its own, the
calendar day of the nearest dated sentence before it in its paragraph (up to a line break), when
that is the sentence just before or the paragraph's first ("On 4 May 2022, gunmen stormed a
village. The attackers then burned houses."); else the publication date, with precision
"publication": a stand-in, not a claim that the event happened that day. Events told as before
or after the day told ("had attacked", "later arrested") take no day from another clause or
sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple

from powderkeg.nlp import doc_text

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

    from powderkeg.coder.lexicon import Lexicon

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


# -- the date of an event ------------------------------------------------------------------------

PUBLICATION = "publication"  # the precision of a date that is only the publication date
_ABSOLUTE = (_ISO, _DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _DAY_MONTH, _MONTH_DAY)
# full dates in text of any case, for those the parser does not find as entities
_FULL_DATES = tuple(re.compile(p.pattern, re.IGNORECASE) for p in (_ISO, _DAY_MONTH_YEAR, _MONTH_DAY_YEAR))
_LINE_BREAK = re.compile(r"\n\s*")
_PARAGRAPHS = "powderkeg.paragraph_starts"
_ANY_DAY = date(2000, 1, 1)  # a reference day, to ask whether an expression is a date at all
_COMPLEMENTS = frozenset({"ccomp", "xcomp", "pcomp", "csubj", "csubjpass"})
_BEFORE_AFTER = frozenset({"after", "before", "since", "until", "till", "once"})
_QUOTES = ('"', "“", "”")


class EventDate(NamedTuple):
    day: date | None
    precision: str | None
    historical: bool  # told as background: well before the report, or with a word like "back"


def event_date(
    lex: Lexicon, trigger: Token, host: Token, sent: Span, dates: list[Span], published: date | None
) -> EventDate:
    """The date of the event ``trigger`` names (``host``: the verb that carries its clause), in a
    sentence whose DATE and TIME entities are ``dates``."""
    chain = [trigger, *trigger.ancestors]
    if host.i != trigger.i:
        chain += [host, *host.ancestors]
    dates = date_spans(sent, dates)
    found = _clause_date(lex, chain, dates, published)
    if found is not None:
        return found
    tenses = _tenses(host)
    # "had attacked", "previously attacked", "later arrested": another day than the one told
    if tenses[:1] != ["perfect"] and not _time_shifted(lex, {trigger, host}):
        if found := _sentence_day(lex, sent, dates, published, event=(trigger, host)):
            return found
        undated = not any(_is_date(e.text, published) for e in dates)
        told_in_past = bool(tenses) and all(t == "past" for t in tenses)
        if undated and told_in_past and not _quoted(trigger, sent) and (found := _lead_day(lex, sent, published)):
            return found
    return EventDate(published, PUBLICATION if published else None, False)


def absolute_day(expression: str, published: date | None) -> date | None:
    """The day an expression names by its calendar date ("4 May 2022", "May 4", "2022-05-04"),
    not relative to another day ("yesterday", "on Monday")."""
    text = expression.lower().replace("’", "'")
    if not any(p.search(text) for p in _ABSOLUTE):
        return None
    resolved = resolve(expression, published)
    return resolved[0] if resolved and resolved[1] == "day" else None


def _clause_date(lex: Lexicon, chain: list[Token], dates: list[Span], published: date | None) -> EventDate | None:
    """A date expression in the trigger's clause or a governing one, the nearest clause first."""
    best: tuple[int, EventDate] | None = None
    for ent in dates:
        attach = _attachment(ent)
        if attach not in chain:
            continue
        rank = chain.index(attach)
        if best is not None and rank >= best[0]:
            continue
        resolved = resolve(ent.text, published)
        if resolved is None and published is None and long_ago(ent.text):
            best = (rank, EventDate(None, None, True))  # "18 years ago" in an undated text: background
        elif resolved:
            best = (rank, _dated(lex, ent, resolved, published))
    return best[1] if best else None


def _sentence_day(
    lex: Lexicon, sent: Span, dates: list[Span], published: date | None, event: tuple[Token, Token] | None = None
) -> EventDate | None:
    """The one absolute day a sentence gives, when an adverbial of one of its clauses gives it
    ("Around 23 June 2022 (as reported), forces clashed ..."): the day of all its events (of
    ``event``, a trigger and its host, when given). Several different days, or a day that dates
    a noun ("the 2 May attack") or another time ("after rebels seized it on 2 May"), date no other clause."""
    days = {d for e in dates if (d := absolute_day(e.text, published))}
    if len(days) != 1:
        return None
    day = days.pop()
    ent = next(
        (
            e
            for e in dates
            if absolute_day(e.text, published) == day and _adverbial(e) and not (event and _apart(e, *event))
        ),
        None,
    )
    return _dated(lex, ent, (day, "day"), published) if ent is not None else None


def _lead_day(lex: Lexicon, sent: Span, published: date | None) -> EventDate | None:
    """The absolute day of the nearest sentence before ``sent`` in its paragraph that gives a
    date, when that is the sentence just before or the paragraph's first: "On 4 May 2022, gunmen
    stormed a village. The attackers then burned houses."."""
    doc = sent.doc
    start = _paragraph_start(doc, _text_start(sent))
    i = sent.start
    while i > 0:
        before = doc[i - 1].sent
        if _text_start(before) < start:
            return None
        dates = date_spans(before, [e for e in before.ents if e.label_ in ("DATE", "TIME")])
        if any(_is_date(e.text, published) for e in dates):
            first = not doc_text(doc)[start : _text_start(before)].strip()
            return _sentence_day(lex, before, dates, published) if first or before.end == sent.start else None
        i = before.start
    return None


def _text_start(sent: Span) -> int:
    """Where a sentence's text starts, after any line breaks the parser put in it."""
    return next((t.idx for t in sent if not t.is_space), sent.end_char)


def date_spans(sent: Span, ents: list[Span]) -> list[Span]:
    """A sentence's DATE and TIME entities, with the full dates ("6 June 2022") the parser found
    in part ("On or around 12 June 2022" as "June 2022") or not at all."""
    spans = list(ents)
    doc = sent.doc
    for pattern in _FULL_DATES:
        for m in pattern.finditer(sent.text):
            found = doc.char_span(sent.start_char + m.start(), sent.start_char + m.end(), alignment_mode="expand")
            if found is None:
                continue
            parts = [e for e in spans if e.start < found.end and found.start < e.end]
            if any(e.start <= found.start and found.end <= e.end for e in parts):
                continue  # the entity holds the whole date
            start, end = min([found.start, *(e.start for e in parts)]), max([found.end, *(e.end for e in parts)])
            spans = [e for e in spans if e not in parts] + [doc[start:end]]
    return sorted(spans, key=lambda e: e.start)


def _dated(lex: Lexicon, ent: Span, resolved: Resolved, published: date | None) -> EventDate:
    day, precision = resolved
    doc = ent.doc
    told_as_past = any(t.lower_ in lex.kind("past") for t in doc[max(ent.start - 2, 0) : ent.start])
    # an undated story is as recent as the latest date it tells: "in 2001" in a story of 2018 is background
    reference = published or latest_told(doc)
    return EventDate(day, precision, told_as_past or is_historical(day, reference, precision))


_LATEST = "powderkeg.latest_date"


def latest_told(doc: Doc) -> date | None:
    """The latest calendar date a document's own date expressions give (years, months and days
    with a year, none in the future), once per document: how recent an undated story is at least."""
    if _LATEST in doc.user_data:
        return doc.user_data[_LATEST]
    today = date.today()
    found = [
        r[0]
        for e in doc.ents
        if e.label_ == "DATE" and re.search(r"\b(1[89]|20)\d\d\b", e.text)
        and (r := resolve(e.text, None)) is not None and r[0] <= today
    ]  # fmt: skip
    doc.user_data[_LATEST] = latest = max(found, default=None)
    return latest


def _attachment(ent: Span) -> Token:
    """The verb or noun outside a date expression that it dates."""
    attach = ent.root
    before = ent.doc[ent.start - 1] if ent.start > 0 else None
    if (
        before is not None
        and before.dep_ == "prep"
        and not ent.start <= before.head.i < ent.end
        and not any(c.dep_ == "pobj" and not ent.start <= c.i < ent.end for c in before.children)
    ):
        attach = before  # "and on 5 June Somali troops attacked": the preposition's head, however the date is parsed
    # a noun of a time expression is no event it dates ("On the night of 4 May")
    while (
        attach.pos_ not in ("VERB", "AUX", "NOUN")
        or attach.i in range(ent.start, ent.end)
        or attach.ent_type_ in ("DATE", "TIME")
    ):
        if attach.head.i == attach.i:
            break
        attach = attach.head
    return attach


def _adverbial(ent: Span) -> bool:
    """Whether a date expression dates a clause of the sentence, not a noun or a clause that
    describes one ("the attack on 2 May", "the village they had seized on 2 May")."""
    attach = _attachment(ent)
    if attach.dep_ == "ROOT":
        return True  # whatever the parser took the main word for ("On 4 May, hundreds of teachers protested")
    if attach.pos_ not in ("VERB", "AUX"):
        return False
    return not any(a.pos_ in ("NOUN", "PROPN", "PRON", "NUM") for a in attach.ancestors)


def _apart(ent: Span, trigger: Token, host: Token) -> bool:
    """Whether a date in another clause than the event's dates something apart from it: what the
    event says or thinks ("dismissed the claim, saying culling began on 15 December") or a time
    before or after it ("attacked the town after rebels seized it on 4 May")."""
    attach = _attachment(ent)
    event = {trigger, host, *trigger.ancestors, *host.ancestors}
    branch: list[Token] = []  # from the date's clause up to where it meets the event's
    for t in [attach, *attach.ancestors]:
        if t in event:
            if t in (trigger, host) and any(b.dep_ in _COMPLEMENTS and not _aside(b) for b in branch):
                return True
            break
        branch.append(t)
    return any(c.dep_ == "mark" and c.lower_ in _BEFORE_AFTER for t in branch for c in t.children)


def _aside(clause: Token) -> bool:
    """ "(as reported)", "as police said": a comment on the report, not what it says."""
    return any(c.dep_ in ("advmod", "mark") and c.lower_ == "as" for c in clause.children)


def _tenses(host: Token) -> list[str]:
    """How each finite clause from ``host``'s up to the sentence's main one is told, nearest
    first: "past" (simple or progressive, active or passive), "perfect" (with "have": "had
    attacked", "has been arrested") or "other" (present, future, modal)."""
    tenses: list[str] = []
    for t in [host, *host.ancestors]:
        auxes = [c for c in t.children if c.dep_ in ("aux", "auxpass") and c.tag_ != "TO"]
        if any(c.lemma_.lower() == "have" for c in auxes):
            tenses.append("perfect")
        elif auxes:
            tenses.append("past" if auxes[0].tag_ == "VBD" else "other")
        elif t.tag_ == "VBD":
            tenses.append("past")
        elif t.tag_ in ("VBZ", "VBP"):
            tenses.append("other")
    return tenses


def _quoted(trigger: Token, sent: Span) -> bool:
    """Whether the trigger is inside quotation marks, where a speaker may tell of any time."""
    at = trigger.idx - sent.start_char
    return any(sum(part.count(q) for q in _QUOTES) % 2 for part in (sent.text[:at], sent.text[at:]))


def _time_shifted(lex: Lexicon, tokens: set[Token]) -> bool:
    """ "The group previously attacked a checkpoint", "were later arrested", "joined after his
    training": an adverb or preposition places the act on another day than the one told."""
    shifts = lex.kind("timeshift")
    return any(c.dep_ in ("advmod", "npadvmod", "prep") and c.lower_ in shifts for t in tokens for c in t.children)


def _is_date(expression: str, published: date | None) -> bool:
    """Whether an expression names a time (not a duration like "for three days")."""
    return resolve(expression, published or _ANY_DAY) is not None or long_ago(expression)


def _paragraph_start(doc: Doc, char: int) -> int:
    """Where the paragraph holding character ``char`` starts. A line break ends a paragraph, blank
    or not: many texts keep one paragraph a line."""
    starts = doc.user_data.get(_PARAGRAPHS)
    if not isinstance(starts, list):
        starts = doc.user_data[_PARAGRAPHS] = [0, *(m.end() for m in _LINE_BREAK.finditer(doc_text(doc)))]
    return starts[bisect_right(starts, char) - 1]
