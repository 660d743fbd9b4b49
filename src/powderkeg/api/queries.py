"""The reads behind the API: parameterised SQL over ``articles``, ``sentences``, ``events`` and
``event_actors``.

Every value a client sends travels as a query parameter; the SQL text is built only from the
constant fragments below. Events come back as the contract dicts stored in ``events.json``.

How a dyad is found fast. An event belongs to the dyad A-B when one of its source actors is of
country A and one of its target actors of country B, or the other way round (as
``Store.events``). ``events.source_country`` and ``events.target_country`` hold the country of the
first source and target actor that has one (``Store.save`` writes them so), so the events with
``(source_country, target_country)`` = (A, B) or (B, A) are every match whose matching actors are
each the first of their role with a country. Any other match has a matching actor further down
a list (``event_actors.idx > 0``): those few candidates are read from ``event_actors``, checked
against their events' first countries, and added. The union is exact (``tests/test_api.py``
compares it with ``Store.events`` for every pair). Rows are carried by ``rowid`` within one read
transaction, so the scans read the two dictionary-compressed country columns and the date, and
the event ids and JSON only of the page that is returned.

Every read takes a ``min_confidence`` (the server's setting, or the request's parameter): events
under it are neither listed nor counted (``powderkeg.store.confidence``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from powderkeg.coder.taxonomy import ACLED_EVENT_TYPES, PLOVER_CATEGORIES
from powderkeg.store import Store, confidence_sql

#: At most this many events are plotted on the map for one filter.
MAX_POINTS = 5000
_ACTUAL = "NOT (e.negated OR e.hypothetical OR e.historical)"
# strict equality filters only: DuckDB pushes them into the scan (an OR of them it would not)
_FIRST_PAIR = "e.source_country = ? AND e.target_country = ?"
# The dyad's matches that are not (A, B) or (B, A) by first countries: among the events with an
# actor of A or B second or later in a list, those with A on one side and B on the other, counting
# each side's first country and its later actors of A or B.
_DYAD_REST = """
    WITH later AS (
        SELECT event_id, role, country FROM event_actors WHERE idx > 0 AND country = $a
        UNION ALL SELECT event_id, role, country FROM event_actors WHERE idx > 0 AND country = $b
    ),
    first AS (
        SELECT e.event_id, e.rowid AS row_id, e.source_country AS sc, e.target_country AS tc
        FROM events e WHERE e.event_id IN (SELECT event_id FROM later)
    )
    SELECT f.row_id FROM first f JOIN later l ON l.event_id = f.event_id
    GROUP BY f.row_id, f.sc, f.tc
    HAVING NOT ((f.sc = $a AND f.tc = $b) OR (f.sc = $b AND f.tc = $a)) AND (
        ((f.sc = $a OR bool_or(l.role = 'source' AND l.country = $a))
            AND (f.tc = $b OR bool_or(l.role = 'target' AND l.country = $b)))
        OR ((f.sc = $b OR bool_or(l.role = 'source' AND l.country = $b))
            AND (f.tc = $a OR bool_or(l.role = 'target' AND l.country = $a))))
"""
# The events with an actor of C second or later in a list and C first on neither side.
_COUNTRY_REST = """
    SELECT e.rowid FROM events e
    WHERE e.event_id IN (SELECT event_id FROM event_actors WHERE idx > 0 AND country = $c)
      AND e.source_country IS DISTINCT FROM $c AND e.target_country IS DISTINCT FROM $c
"""
_ORDER = "ORDER BY date DESC NULLS LAST, row_id DESC"

# What each filter takes, as the OpenAPI schema states it (FastAPI checks these before the query
# layer sees a value). Every pattern ends in \s*$ so that Python's and Rust's $ agree.
DYAD_PATTERN = r"^\s*[A-Za-z]{3}\s*,\s*[A-Za-z]{3}\s*$"
COUNTRY_PATTERN = r"^\s*[A-Za-z]{3}\s*$"
TYPES_PATTERN = r"^\s*[A-Za-z_]{1,40}\s*(,\s*[A-Za-z_]{1,40}\s*)*$"
ACTOR_PATTERN = r"^\s*[A-Za-z0-9_.-]{1,40}\s*$"
_NUMBER = r"\s*[-+]?(\d{1,12}(\.\d{0,12})?|\.\d{1,12})\s*"
BBOX_PATTERN = rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$"


class QueryError(ValueError):
    """A filter value that cannot be used; the message says what is expected."""


@dataclass(frozen=True)
class EventFilter:
    """Which events to list. Every field narrows the selection; all None/empty lists everything."""

    dyad: tuple[str, str] | None = None  # two ISO3 countries, either direction
    actor: str | None = None  # an actor code or its start (SRB, SRBMIL, IGO), or an organisation (KFOR)
    country: str | None = None  # an actor of this country on either side
    types: tuple[str, ...] = ()  # PLOVER categories
    acled_type: str | None = None
    since: date | None = None
    until: date | None = None
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north (degrees)
    text: str | None = None  # words in the event's sentence, case-insensitive
    include_all: bool = False  # also negated, hypothetical and historical events
    min_confidence: float = 0.0  # events under this confidence are left out


# -- reading filter values -------------------------------------------------------------------------


def _matches(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def country_code(value: str, name: str = "country") -> str:
    if not _matches(COUNTRY_PATTERN, value):
        raise QueryError(f"{name}: {value!r} is not a three-letter country code (ISO 3166-1 alpha-3, e.g. SRB)")
    return value.strip().upper()


def parse_dyad(value: str) -> tuple[str, str]:
    if not _matches(DYAD_PATTERN, value):
        raise QueryError(f"dyad: two country codes separated by a comma, e.g. SRB,XKX (got {value!r})")
    a, b = (part.strip().upper() for part in value.split(","))
    return a, b


def parse_types(values: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        if not _matches(TYPES_PATTERN, value):
            raise QueryError(f"type: {value!r} is not a PLOVER category such as ASSAULT (or a comma-separated list)")
        out += [part.strip().upper() for part in value.split(",")]
    return tuple(dict.fromkeys(out))


def parse_actor(value: str) -> str:
    if not _matches(ACTOR_PATTERN, value):
        raise QueryError(f"actor: {value!r} is not an actor code (SRBMIL) or organisation name (KFOR)")
    return value.strip().upper()


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    """``west,south,east,north`` in degrees. Longitudes wrap (200 is -160; a box with west east of
    east crosses the antimeridian), latitudes are clamped to -90..90 and put in order."""
    if not _matches(BBOX_PATTERN, value):
        raise QueryError(f"bbox: west,south,east,north in degrees, e.g. 18,41,23,44 (got {value!r})")
    west, south, east, north = (float(p) for p in value.split(","))
    south, north = sorted(min(max(v, -90.0), 90.0) for v in (south, north))
    if east - west >= 360:
        return -180.0, south, 180.0, north
    wrapped_west, wrapped_east = _wrap(west), _wrap(east)
    if wrapped_east == -180.0 and east > west:
        wrapped_east = 180.0
    return wrapped_west, south, wrapped_east, north


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


# -- events ------------------------------------------------------------------------------------------


def _conditions(f: EventFilter) -> tuple[list[str], list[Any]]:
    """Conditions on ``events e`` for everything but the dyad (and the country when it leads:
    see :func:`_selection`)."""
    where: list[str] = []
    params: list[Any] = []
    where.append("e.cluster_id IS NULL")  # each real-world event once: its other reports are mentions
    shown, shown_params = confidence_sql(f.min_confidence)
    where.append(shown)
    params += shown_params
    if not f.include_all:
        where.append(_ACTUAL)
    if f.types:
        where.append(f"e.type IN ({', '.join('?' * len(f.types))})")
        params += list(f.types)
    if f.acled_type:
        where.append("e.acled_type = ?")
        params.append(f.acled_type)
    if f.since:
        where.append("e.date >= ?")
        params.append(f.since)
    if f.until:
        where.append("e.date <= ?")
        params.append(f.until)
    if f.bbox:
        west, south, east, north = f.bbox
        where.append("e.lat BETWEEN ? AND ?")
        params += [south, north]
        if west <= east:
            where.append("e.lon BETWEEN ? AND ?")
            params += [west, east]
        else:  # the box crosses the antimeridian
            where.append("(e.lon >= ? OR e.lon <= ?)")
            params += [west, east]
    if f.text:
        where.append("e.sentence ILIKE ? ESCAPE '\\'")
        params.append("%" + re.sub(r"([\\%_])", r"\\\1", f.text) + "%")
    if f.country and f.dyad:
        where.append(
            "(e.source_country = ? OR e.target_country = ?"
            " OR e.event_id IN (SELECT event_id FROM event_actors WHERE idx > 0 AND country = ?))"
        )
        params += [f.country] * 3
    if f.actor:
        where.append(
            "e.event_id IN (SELECT x.event_id FROM event_actors x WHERE starts_with(x.code, ?) OR upper(x.org) = ?)"
        )
        params += [f.actor, f.actor]
    return where, params


def _dyad_rest(cur: duckdb.DuckDBPyConnection, a: str, b: str) -> list[int]:
    """Row ids of the dyad's events that the first countries alone do not find."""
    return [r[0] for r in cur.execute(_DYAD_REST, {"a": a, "b": b}).fetchall()]


def _country_rest(cur: duckdb.DuckDBPyConnection, country: str) -> list[int]:
    """Row ids of the events with an actor of the country on neither side's first place."""
    return [r[0] for r in cur.execute(_COUNTRY_REST, {"c": country}).fetchall()]


def _selection(cur: duckdb.DuckDBPyConnection, f: EventFilter, columns: str = "") -> tuple[str, list[Any]]:
    """A query selecting ``e.rowid AS row_id, e.date`` and ``columns`` of the matching events (alias
    ``e``), and its parameters. Row ids are valid within the transaction that ran it.

    A dyad, else a country, leads: the matches are the disjoint union of strict scans on the first
    countries and the row ids of the other matches; the other filters are conditions on each part."""
    where, params = _conditions(f)
    rest = " AND ".join(where) or "true"
    select = f"SELECT e.rowid AS row_id, e.date{', ' + columns if columns else ''} FROM events e WHERE"
    if f.dyad:
        a, b = f.dyad
        parts: list[tuple[str, list[Any]]] = [(_FIRST_PAIR, [a, b])]
        if a != b:
            parts.append((_FIRST_PAIR, [b, a]))
        others = _dyad_rest(cur, a, b)
    elif f.country:
        parts = [
            ("e.source_country = ?", [f.country]),
            ("e.target_country = ? AND e.source_country IS DISTINCT FROM ?", [f.country, f.country]),
        ]
        others = _country_rest(cur, f.country)
    else:
        return f"{select} {rest}", params
    if others:
        parts.append(("e.rowid IN (SELECT unnest(?))", [others]))
    sql = " UNION ALL ".join(f"{select} {condition} AND {rest}" for condition, _ in parts)
    return sql, [p for _, part_params in parts for p in (*part_params, *params)]


def _events_by_row(cur: duckdb.DuckDBPyConnection, rows: list[int]) -> list[dict[str, Any]]:
    """Contract dicts of the events at these row ids, in the order given."""
    if not rows:
        return []
    found = dict(cur.execute("SELECT rowid, json FROM events WHERE rowid IN (SELECT unnest(?))", [rows]).fetchall())
    return [json.loads(found[r]) for r in rows if r in found]


def list_events(
    cur: duckdb.DuckDBPyConnection, f: EventFilter, limit: int, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """The total number of matching events and one page of them, newest first (the latest stored
    first within a day). Run it inside one transaction: it carries row ids between statements."""
    sql, params = _selection(cur, f)
    if f.dyad or f.country:  # a few thousand rows at most: count them while sorting
        rows = cur.execute(
            f"SELECT row_id, count(*) OVER () FROM ({sql}) {_ORDER} LIMIT ? OFFSET ?", [*params, limit, offset]
        ).fetchall()
        if rows or not offset:
            return (int(rows[0][1]) if rows else 0), _events_by_row(cur, [r[0] for r in rows])
    total = cur.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()
    rows = cur.execute(f"SELECT row_id FROM ({sql}) {_ORDER} LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
    return int(total[0]) if total else 0, _events_by_row(cur, [r[0] for r in rows])


def event_points(
    cur: duckdb.DuckDBPyConnection, f: EventFilter, limit: int = MAX_POINTS
) -> tuple[int, list[dict[str, Any]]]:
    """Matching events that have coordinates (newest first, at most ``limit``) and how many there are."""
    sql, params = _selection(cur, f, "e.lat, e.lon, e.type, e.quad")
    rows = cur.execute(
        f"WITH m AS ({sql}) SELECT row_id, date, lat, lon, type, quad, count(*) OVER ()"
        f" FROM m WHERE lat IS NOT NULL AND lon IS NOT NULL {_ORDER} LIMIT ?",
        [*params, limit],
    ).fetchall()
    if not rows:
        return 0, []
    names = dict(
        (r[0], (r[1], r[2]))
        for r in cur.execute(
            "SELECT rowid, event_id, location_name FROM events WHERE rowid IN (SELECT unnest(?))",
            [[r[0] for r in rows]],
        ).fetchall()
    )
    points = [
        {
            "event_id": names[r[0]][0],
            "date": r[1].isoformat() if r[1] else None,
            "lat": r[2],
            "lon": r[3],
            "type": r[4],
            "quad": r[5],
            "location_name": names[r[0]][1],
        }
        for r in rows
    ]
    return int(rows[0][-1]), points


# -- one event, one article ------------------------------------------------------------------------

_ARTICLE_META = "article_id, title, url, site, author, published, status, origin"


def _row_dict(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> dict[str, Any] | None:
    result = cur.execute(sql, params)
    row = result.fetchone()
    if row is None:
        return None
    names = [d[0] for d in result.description]
    return {name: _plain(value) for name, value in zip(names, row, strict=True)}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def get_event(store: Store, event_id: str, min_confidence: float = 0.0) -> dict[str, Any] | None:
    """An event with its article's metadata, its mentions and the sentences around it; None when
    there is no such event or it is not shown at ``min_confidence`` (a report merged into another
    event is shown when that event is)."""
    cur = store.con
    shown, shown_params = confidence_sql(min_confidence, mentions=True)
    row = cur.execute(f"SELECT e.json FROM events e WHERE e.event_id = ? AND {shown}", [event_id, *shown_params])
    row = row.fetchone()
    if row is None:
        return None
    event = json.loads(row[0])
    article = _row_dict(cur, f"SELECT {_ARTICLE_META} FROM articles WHERE article_id = ?", [event["article_id"]])
    start, end = event.get("sentence_start") or 0, event.get("sentence_end") or 0
    result = cur.execute(
        """
        WITH hit AS (
            SELECT min(idx) AS lo, max(idx) AS hi FROM sentences
            WHERE article_id = ? AND end_char > ? AND start_char < ?
        )
        SELECT s.idx, s.start_char, s.end_char, s.text, s.end_char > ? AND s.start_char < ?
        FROM sentences s, hit
        WHERE s.article_id = ? AND s.idx BETWEEN hit.lo - 1 AND hit.hi + 1
        ORDER BY s.idx
        """,
        [event["article_id"], start, end, start, end, event["article_id"]],
    ).fetchall()
    sentences = [{"idx": r[0], "start": r[1], "end": r[2], "text": r[3], "event": bool(r[4])} for r in result]
    return {"event": event, "article": article, "mentions": _mentions(store, event), "sentences": sentences}


def _mentions(store: Store, event: dict[str, Any]) -> list[dict[str, Any]]:
    """Every report of the real-world event (``Store.mentions``: the canonical report first, then
    the reports merged into it), each with its article's title, address and date."""
    # only a merged event has other reports (the store marks both sides); looking them up costs a scan
    merged = "reported_by" in event or "mention_of" in event
    reports = (store.mentions(event["event_id"]) if merged else []) or [event]
    ids = sorted({r["article_id"] for r in reports})
    marks = ", ".join("?" * len(ids))
    rows = store.con.execute(
        f"SELECT article_id, title, url, site, published FROM articles WHERE article_id IN ({marks})", ids
    ).fetchall()
    articles = {r[0]: r[1:] for r in rows}
    out = []
    for report in reports:
        title, url, site, published = articles.get(report["article_id"], (None, None, None, None))
        out.append(
            {
                "event_id": report["event_id"],
                "article_id": report["article_id"],
                "title": title,
                "url": url,
                "site": site,
                "published": _plain(published),
                "sentence": report.get("sentence"),
                "sentence_start": report.get("sentence_start"),
                "sentence_end": report.get("sentence_end"),
            }
        )
    return out


def get_article(cur: duckdb.DuckDBPyConnection, article_id: str, min_confidence: float = 0.0) -> dict[str, Any] | None:
    """An article with its text, sentences and the spans of its events shown at ``min_confidence``
    (``n_events`` counts those)."""
    article = _row_dict(
        cur,
        f"SELECT {_ARTICLE_META}, doc_id, language, reason, text, n_events, ingested_at"
        " FROM articles WHERE article_id = ?",
        [article_id],
    )
    if article is None:
        return None
    article["sentences"] = [
        {"idx": r[0], "start": r[1], "end": r[2], "text": r[3]}
        for r in cur.execute(
            "SELECT idx, start_char, end_char, text FROM sentences WHERE article_id = ? ORDER BY idx", [article_id]
        ).fetchall()
    ]
    shown, shown_params = confidence_sql(min_confidence, mentions=True)
    article["events"] = [
        {"event_id": r[0], "type": r[1], "mode": r[2], "date": _plain(r[3]), "sentence_start": r[4],
         "sentence_end": r[5]}
        for r in cur.execute(
            "SELECT e.event_id, e.type, e.mode, e.date, e.sentence_start, e.sentence_end FROM events e"
            f" WHERE e.article_id = ? AND {shown} ORDER BY e.sentence_start, e.event_id",
            [article_id, *shown_params],
        ).fetchall()
    ]  # fmt: skip
    article["n_events"] = len(article["events"])
    return article


def meta(cur: duckdb.DuckDBPyConnection, min_confidence: float = 0.0) -> dict[str, Any]:
    """What the filters can take, and how much is stored (the events shown at ``min_confidence``)."""
    shown, shown_params = confidence_sql(min_confidence)
    row = cur.execute(
        f"SELECT count(*), min(e.date), max(e.date), count(e.lat) FROM events e WHERE e.cluster_id IS NULL AND {shown}",
        shown_params,
    ).fetchone()
    articles = cur.execute("SELECT count(*) FROM articles").fetchone()
    n, first, last, located = row if row else (0, None, None, 0)
    return {
        "plover_types": list(PLOVER_CATEGORIES),
        "acled_types": list(ACLED_EVENT_TYPES),
        "events": int(n),
        "located_events": int(located),
        "articles": int(articles[0]) if articles else 0,
        "first_date": _plain(first),
        "last_date": _plain(last),
        "min_confidence": min_confidence,
    }
