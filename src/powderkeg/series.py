"""Event time series per dyad: a pair of countries or of actor groups, by day or by week.

A *side* of a dyad is one or more actor filters, any of which may match an event's actor:

* ``SRB``: any actor of Serbia;
* ``XKX/COP``: Kosovo's police (the part after ``/`` is a sector code, or an organisation name
  for IGO actors: ``IGO/KFOR``; several: ``XKX/GOV,MIL``);
* ``XKX@srb``: ethnic Serbs coded to Kosovo; ``@srb``: ethnic Serbs anywhere;
* ``SRB+@srb``: Serbia, or ethnic Serbs anywhere (alternatives joined by ``+``).

A dyad is two sides, either direction (``A-B``) or directed (``A>B``: A the source, B the
target). An event belongs to the dyad when one of its source actors matches one side and one of
its target actors the other. Only actual events count (not negated, hypothetical or historical),
dated by the event date or else the article's publication date; events dated only to a month or a
year are left out, since they cannot be placed on a day. Every function takes ``min_confidence``:
events under it are not counted (``powderkeg.store.confidence``; the CLI and API pass the setting).

For each day or ISO week (Monday first) the series holds the number of events, counts per quad
class and per PLOVER category, an intensity-weighted conflict score (PLOVER intensity, and
Goldstein for the CAMEO code) and the conflict/cooperation balance. All SQL runs in DuckDB with
parameters; periods with no events are present with zeros.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from powderkeg.coder.taxonomy import PLOVER_CATEGORIES
from powderkeg.store.confidence import confidence_sql

if TYPE_CHECKING:
    from powderkeg.store import Store

__all__ = [
    "PERIODS",
    "SERIES_COLUMNS",
    "ActorFilter",
    "Dyad",
    "SeriesError",
    "Side",
    "country_pairs",
    "data_span",
    "dyad_events",
    "dyad_sql",
    "dyad_series",
    "measure_counts",
    "pair_counts",
    "parse_dyad",
    "parse_side",
    "plot_series",
    "side_from_config",
]

PERIODS = ("day", "week")

#: Columns of a series row, in order: the period's first day, counts, scores, then one count per
#: PLOVER category (lower case).
SERIES_COLUMNS: tuple[str, ...] = (
    "period",
    "events",
    "verbal_cooperation",
    "material_cooperation",
    "verbal_conflict",
    "material_conflict",
    "cooperation",
    "conflict",
    "conflict_score",
    "cooperation_score",
    "goldstein",
    "goldstein_conflict",
    "balance",
    "fatalities",
    "injuries",
    *(c.lower() for c in PLOVER_CATEGORIES),
)

#: What a detector can count per day: a named measure or a list of PLOVER categories.
MEASURES: dict[str, str] = {
    "conflict": "quad 3 or 4 (verbal and material conflict)",
    "material_conflict": "quad 4",
    "verbal_conflict": "quad 3",
    "cooperation": "quad 1 or 2",
    "events": "all actual events",
}

_CODE = re.compile(r"^[A-Za-z]{3}$")
_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


class SeriesError(ValueError):
    """A dyad or side that cannot be read, or a series that cannot be built."""


@dataclass(frozen=True)
class ActorFilter:
    """Matches an actor by country, sector (or organisation) and ethnicity; None/empty = any."""

    country: str | None = None
    sectors: tuple[str, ...] = ()
    ethnicity: str | None = None

    def label(self) -> str:
        text = self.country or ("" if self.ethnicity else "*")
        if self.sectors:
            text += "/" + ",".join(self.sectors)
        if self.ethnicity:
            text += "@" + self.ethnicity
        return text


@dataclass(frozen=True)
class Side:
    """One side of a dyad: actors matching any of its filters."""

    filters: tuple[ActorFilter, ...]

    def label(self) -> str:
        return "+".join(f.label() for f in self.filters)


@dataclass(frozen=True)
class Dyad:
    a: Side
    b: Side
    directed: bool = False

    def label(self) -> str:
        return f"{self.a.label()}{'>' if self.directed else '-'}{self.b.label()}"


# -- reading sides and dyads -------------------------------------------------------------------


def _filter(text: str) -> ActorFilter:
    spec = text.strip()
    if not spec:
        raise SeriesError("an empty actor filter")
    ethnicity: str | None = None
    if "@" in spec:
        spec, ethnicity = spec.split("@", 1)
        ethnicity = ethnicity.strip().lower()
        if not _WORD.match(ethnicity):
            raise SeriesError(f"{text!r}: the ethnicity after '@' must be a code such as 'srb'")
    sectors: tuple[str, ...] = ()
    if "/" in spec:
        spec, rest = spec.split("/", 1)
        sectors = tuple(s.strip().upper() for s in rest.split(",") if s.strip())
        if not sectors or not all(_WORD.match(s) for s in sectors):
            raise SeriesError(f"{text!r}: after '/' give sector codes or organisation names, e.g. XKX/COP")
    country = spec.strip().upper() or None
    if country == "*":
        country = None
    if country is not None and not _CODE.match(country):
        raise SeriesError(f"{text!r}: {country!r} is not a three-letter country code (ISO 3166-1 alpha-3, or IGO)")
    if country is None and not sectors and not ethnicity:
        raise SeriesError(f"{text!r} matches every actor; name a country, a sector or an ethnicity")
    return ActorFilter(country, sectors, ethnicity)


def parse_side(text: str) -> Side:
    """``SRB``, ``XKX/COP``, ``XKX/CVL@srb``, ``SRB+@srb`` (see the module docstring)."""
    parts = [p for p in text.split("+") if p.strip()]
    if not parts:
        raise SeriesError("a dyad side is empty; give a country code such as SRB")
    return Side(tuple(_filter(p) for p in parts))


def side_from_config(value: Any) -> Side:
    """A side from a rules file: a string as for :func:`parse_side`, a mapping
    ``{country, sector (or sectors), ethnicity}``, or a list of either."""
    items = value if isinstance(value, list) else [value]
    filters: list[ActorFilter] = []
    for item in items:
        if isinstance(item, str):
            filters.extend(parse_side(item).filters)
        elif isinstance(item, dict):
            unknown = set(item) - {"country", "sector", "sectors", "ethnicity"}
            if unknown:
                raise SeriesError(f"unknown actor filter key(s) {sorted(unknown)}; use country, sector, ethnicity")
            sectors = item.get("sectors", item.get("sector")) or []
            if isinstance(sectors, str):
                sectors = [sectors]
            text = str(item.get("country") or "*")
            if sectors:
                text += "/" + ",".join(str(s) for s in sectors)
            if item.get("ethnicity"):
                text += "@" + str(item["ethnicity"])
            filters.append(_filter(text))
        else:
            raise SeriesError(f"a dyad side must be a string or a mapping, not {value!r}")
    if not filters:
        raise SeriesError("a dyad side is empty")
    return Side(tuple(filters))


def parse_dyad(a: str, b: str, directed: bool = False) -> Dyad:
    return Dyad(parse_side(a), parse_side(b), directed)


# -- SQL ------------------------------------------------------------------------------------------


def _side_sql(side: Side, role: str) -> tuple[str, list[Any]]:
    alternatives: list[str] = []
    params: list[Any] = [role]
    for f in side.filters:
        conditions: list[str] = []
        if f.country:
            conditions.append("x.country = ?")
            params.append(f.country)
        if f.sectors:
            conditions.append("(list_contains(?, upper(x.sector)) OR list_contains(?, upper(x.org)))")
            params += [list(f.sectors), list(f.sectors)]
        if f.ethnicity:
            conditions.append("lower(x.ethnicity) = ?")
            params.append(f.ethnicity)
        alternatives.append("(" + " AND ".join(conditions) + ")")
    sql = (  # an uncorrelated IN: one hash semi-join over the actors, not a lookup per event
        "e.event_id IN (SELECT x.event_id FROM event_actors x WHERE x.role = ? AND ("
        + " OR ".join(alternatives)
        + "))"
    )
    return sql, params


def dyad_sql(dyad: Dyad) -> tuple[str, list[Any]]:
    """A condition on the events table aliased ``e`` selecting the dyad's events, and its parameters."""
    src_a, p1 = _side_sql(dyad.a, "source")
    tgt_b, p2 = _side_sql(dyad.b, "target")
    if dyad.directed:
        return f"({src_a} AND {tgt_b})", p1 + p2
    src_b, p3 = _side_sql(dyad.b, "source")
    tgt_a, p4 = _side_sql(dyad.a, "target")
    return f"(({src_a} AND {tgt_b}) OR ({src_b} AND {tgt_a}))", p1 + p2 + p3 + p4


_DAY = "CAST(coalesce(e.date, a.published) AS DATE)"
_ACTUAL = (
    "NOT (e.negated OR e.hypothetical OR e.historical)"
    " AND e.cluster_id IS NULL"  # each real-world event once, however many articles reported it
    " AND coalesce(e.date_precision, 'day') NOT IN ('month', 'year')"
    f" AND {_DAY} IS NOT NULL"
)


def _counted(min_confidence: float) -> tuple[str, list[Any]]:
    """The condition on ``events e JOIN articles a`` for the events a series counts, and its
    parameters (put first: every query below starts its WHERE with it)."""
    shown, params = confidence_sql(min_confidence)
    return f"{_ACTUAL} AND {shown}", params


def _measure_sql(measure: str | Sequence[str]) -> tuple[str, list[Any]]:
    """A condition on ``e`` selecting the events a measure counts."""
    if isinstance(measure, str):
        conditions = {
            "conflict": "e.quad IN (3, 4)",
            "material_conflict": "e.quad = 4",
            "verbal_conflict": "e.quad = 3",
            "cooperation": "e.quad IN (1, 2)",
            "events": "true",
        }
        if measure not in conditions:
            raise SeriesError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)} or PLOVER categories")
        return conditions[measure], []
    types = [t.upper() for t in measure]
    unknown = [t for t in types if t not in PLOVER_CATEGORIES]
    if unknown or not types:
        raise SeriesError(f"not PLOVER categories: {unknown or measure}; known: {', '.join(PLOVER_CATEGORIES)}")
    return "list_contains(?, e.type)", [types]


def data_span(store: Store, min_confidence: float = 0.0) -> tuple[date, date] | None:
    """The first and last day of the stored actual events, None when there are none."""
    counted, counted_params = _counted(min_confidence)
    row = store.con.execute(
        f"SELECT min({_DAY}), max({_DAY}) FROM events e JOIN articles a USING (article_id) WHERE {counted}",
        counted_params,
    ).fetchone()
    if not row or row[0] is None:
        return None
    return row[0], row[1]


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def dyad_series(
    store: Store,
    dyad: Dyad,
    by: str = "day",
    since: date | None = None,
    until: date | None = None,
    min_confidence: float = 0.0,
) -> list[dict[str, Any]]:
    """One row per day or week (see :data:`SERIES_COLUMNS`), zero-filled from ``since`` to
    ``until``; without them, from the dyad's first to its last event."""
    if by not in PERIODS:
        raise SeriesError(f"--by takes day or week, not {by!r}")
    where, params = dyad_sql(dyad)
    counted, counted_params = _counted(min_confidence)
    if since is None or until is None:
        row = store.con.execute(
            f"SELECT min({_DAY}), max({_DAY}) FROM events e JOIN articles a USING (article_id)"
            f" WHERE {counted} AND {where}",
            [*counted_params, *params],
        ).fetchone()
        if not row or row[0] is None:
            return []
        since = since or row[0]
        until = until or row[1]
    if until < since:
        return []
    step = 1 if by == "day" else 7
    first = since if by == "day" else _week_start(since)
    bucket = "ev.day" if by == "day" else "CAST(date_trunc('week', ev.day) AS DATE)"
    type_columns = ", ".join(
        f'count(ev.event_id) FILTER (WHERE ev.type = ?) AS "{c.lower()}"' for c in PLOVER_CATEGORIES
    )
    sql = f"""
        WITH ev AS (
            SELECT e.event_id, e.type, e.quad, e.intensity, e.goldstein, e.fatalities, e.injuries, {_DAY} AS day
            FROM events e JOIN articles a USING (article_id)
            WHERE {counted} AND {_DAY} BETWEEN ? AND ? AND {where}
        ),
        periods AS (
            SELECT CAST(p AS DATE) AS period
            FROM generate_series(CAST(? AS DATE), CAST(? AS DATE), to_days(CAST(? AS INTEGER))) AS t(p)
        )
        SELECT p.period,
            count(ev.event_id) AS events,
            count(ev.event_id) FILTER (WHERE ev.quad = 1) AS verbal_cooperation,
            count(ev.event_id) FILTER (WHERE ev.quad = 2) AS material_cooperation,
            count(ev.event_id) FILTER (WHERE ev.quad = 3) AS verbal_conflict,
            count(ev.event_id) FILTER (WHERE ev.quad = 4) AS material_conflict,
            coalesce(sum(greatest(-ev.intensity, 0)), 0) AS conflict_score,
            coalesce(sum(greatest(ev.intensity, 0)), 0) AS cooperation_score,
            coalesce(sum(ev.goldstein), 0) AS goldstein,
            coalesce(sum(greatest(-ev.goldstein, 0)), 0) AS goldstein_conflict,
            coalesce(sum(ev.fatalities), 0) AS fatalities,
            coalesce(sum(ev.injuries), 0) AS injuries,
            {type_columns}
        FROM periods p LEFT JOIN ev ON {bucket} = p.period
        GROUP BY p.period
        ORDER BY p.period
    """
    all_params = [*counted_params, since, until, *params, first, until, step, *PLOVER_CATEGORIES]
    cur = store.con.execute(sql, all_params)
    names = [d[0] for d in cur.description]
    rows: list[dict[str, Any]] = []
    for values in cur.fetchall():
        raw = dict(zip(names, values, strict=True))
        row: dict[str, Any] = {"period": raw["period"]}
        for name in ("events", "verbal_cooperation", "material_cooperation", "verbal_conflict", "material_conflict"):
            row[name] = int(raw[name])
        row["cooperation"] = row["verbal_cooperation"] + row["material_cooperation"]
        row["conflict"] = row["verbal_conflict"] + row["material_conflict"]
        conflict, cooperation = float(raw["conflict_score"]), float(raw["cooperation_score"])
        row["conflict_score"] = round(conflict, 3)
        row["cooperation_score"] = round(cooperation, 3)
        row["goldstein"] = round(float(raw["goldstein"]), 3)
        row["goldstein_conflict"] = round(float(raw["goldstein_conflict"]), 3)
        total = conflict + cooperation
        row["balance"] = round((cooperation - conflict) / total, 3) if total else None
        row["fatalities"] = int(raw["fatalities"])
        row["injuries"] = int(raw["injuries"])
        for category in PLOVER_CATEGORIES:
            row[category.lower()] = int(raw[category.lower()])
        rows.append(row)
    return rows


def measure_counts(
    store: Store,
    dyad: Dyad,
    measure: str | Sequence[str],
    since: date,
    until: date,
    min_confidence: float = 0.0,
) -> list[int]:
    """The daily number of the dyad's events a measure counts, one value per day from ``since``
    to ``until`` inclusive (zeros included)."""
    where, params = dyad_sql(dyad)
    condition, measure_params = _measure_sql(measure)
    counted, counted_params = _counted(min_confidence)
    sql = f"""
        WITH ev AS (
            SELECT {_DAY} AS day FROM events e JOIN articles a USING (article_id)
            WHERE {counted} AND {_DAY} BETWEEN ? AND ? AND {condition} AND {where}
        )
        SELECT CAST(d AS DATE) AS day, count(ev.day)
        FROM generate_series(CAST(? AS DATE), CAST(? AS DATE), INTERVAL 1 DAY) AS t(d)
        LEFT JOIN ev ON ev.day = CAST(d AS DATE)
        GROUP BY 1 ORDER BY 1
    """
    rows = store.con.execute(sql, [*counted_params, since, until, *measure_params, *params, since, until]).fetchall()
    return [int(n) for _, n in rows]


def pair_counts(
    store: Store,
    measure: str | Sequence[str],
    since: date,
    until: date,
    pairs: Sequence[tuple[str, str]],
    min_confidence: float = 0.0,
) -> dict[tuple[str, str], list[int]]:
    """:func:`measure_counts` for many country pairs (either direction) in one query: for each
    ``(a, b)`` the daily counts from ``since`` to ``until``, as ``parse_dyad(a, b)`` would give."""
    wanted = {tuple(sorted(pair)) for pair in pairs}
    days = (until - since).days + 1
    out = {pair: [0] * days for pair in wanted}
    if not wanted or days <= 0:
        return out
    condition, measure_params = _measure_sql(measure)
    counted, counted_params = _counted(min_confidence)
    sql = f"""
        WITH hits AS (
            SELECT DISTINCT e.event_id, {_DAY} AS day,
                   least(s.country, t.country) AS a, greatest(s.country, t.country) AS b
            FROM events e JOIN articles a USING (article_id)
            JOIN event_actors s ON s.event_id = e.event_id AND s.role = 'source'
            JOIN event_actors t ON t.event_id = e.event_id AND t.role = 'target'
            WHERE {counted} AND {_DAY} BETWEEN ? AND ? AND {condition}
              AND s.country IS NOT NULL AND t.country IS NOT NULL AND s.country <> t.country
        )
        SELECT a, b, day, count(*) FROM hits GROUP BY a, b, day
    """
    for a, b, day, n in store.con.execute(sql, [*counted_params, since, until, *measure_params]).fetchall():
        series = out.get((a, b))
        if series is not None:
            series[(day - since).days] = int(n)
    return out


def dyad_events(
    store: Store,
    dyad: Dyad,
    since: date,
    until: date,
    measure: str | Sequence[str] = "events",
    limit: int | None = 5,
    min_confidence: float = 0.0,
) -> list[dict[str, Any]]:
    """The dyad's events in a period, most severe first (fatalities, injuries, then the most
    negative PLOVER intensity), each the contract dict plus ``day``, ``url`` and ``title``."""
    import json

    where, params = dyad_sql(dyad)
    condition, measure_params = _measure_sql(measure)
    counted, counted_params = _counted(min_confidence)
    sql = f"""
        SELECT e.json, {_DAY} AS day, a.url, a.title, a.origin
        FROM events e JOIN articles a USING (article_id)
        WHERE {counted} AND {_DAY} BETWEEN ? AND ? AND {condition} AND {where}
        ORDER BY coalesce(e.fatalities, 0) DESC, coalesce(e.injuries, 0) DESC, coalesce(e.intensity, 0),
                 e.confidence DESC, e.event_id
    """
    all_params: list[Any] = [*counted_params, since, until, *measure_params, *params]
    if limit is not None:
        sql += " LIMIT ?"
        all_params.append(int(limit))
    out: list[dict[str, Any]] = []
    for doc, day, url, title, origin in store.con.execute(sql, all_params).fetchall():
        event = json.loads(doc)
        event["day"] = day.isoformat()
        event["url"] = url or origin
        event["title"] = title
        out.append(event)
    return out


def country_pairs(
    store: Store, since: date, until: date, min_events: int = 1, min_confidence: float = 0.0
) -> list[tuple[str, str, int]]:
    """Pairs of different countries (alphabetical) with at least ``min_events`` actual events
    between them, either direction, most active first."""
    counted, counted_params = _counted(min_confidence)
    sql = f"""
        SELECT least(s.country, t.country) AS a, greatest(s.country, t.country) AS b,
               count(DISTINCT e.event_id) AS n
        FROM events e JOIN articles a USING (article_id)
        JOIN event_actors s ON s.event_id = e.event_id AND s.role = 'source'
        JOIN event_actors t ON t.event_id = e.event_id AND t.role = 'target'
        WHERE {counted} AND {_DAY} BETWEEN ? AND ?
          AND s.country IS NOT NULL AND t.country IS NOT NULL AND s.country <> t.country
        GROUP BY 1, 2
        HAVING count(DISTINCT e.event_id) >= ?
        ORDER BY n DESC, a, b
    """
    rows = store.con.execute(sql, [*counted_params, since, until, int(min_events)]).fetchall()
    return [(a, b, int(n)) for a, b, n in rows]


# -- plotting ------------------------------------------------------------------------------------


def plot_series(
    rows: Sequence[dict[str, Any]],
    path: str | Path,
    title: str,
    alerts: Sequence[tuple[date, date]] = (),
) -> Path:
    """A PNG (or any format matplotlib knows by the suffix) of a series: stacked bars of events
    by quad class, the PLOVER conflict score as a line, and alert windows shaded."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.dates import date2num
    except ImportError as exc:  # an optional extra
        raise SeriesError("--plot needs matplotlib: pip install 'powderkeg[plot]'") from exc
    if not rows:
        raise SeriesError("nothing to plot: the series is empty")
    periods = [r["period"] for r in rows]
    step = 1 if len(periods) < 2 else (periods[1] - periods[0]).days
    # a day's bar is centred on the day; a week's bar spans the week from its Monday
    offset = 0.5 if step == 1 else 0.0
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=100)
    bottom = [0] * len(rows)
    colours = {
        "verbal_cooperation": "#9ecae1",
        "material_cooperation": "#3182bd",
        "verbal_conflict": "#fdae6b",
        "material_conflict": "#d94801",
    }
    for column, colour in colours.items():
        values = [r[column] for r in rows]
        ax.bar(periods, values, width=0.8 * step, bottom=bottom, color=colour, label=column.replace("_", " "),
               align="center" if step == 1 else "edge")  # fmt: skip
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("events")
    ax.yaxis.get_major_locator().set_params(integer=True)
    for number, (start, end) in enumerate(alerts):
        if step != 1:  # shade the weeks the alert window falls in
            start, end = _week_start(start), _week_start(end) + timedelta(days=step - 1)
        ax.axvspan(date2num(start) - offset, date2num(end) + 1 - offset, color="#e31a1c", alpha=0.2, zorder=0,
                   label="alert" if number == 0 else None)  # fmt: skip
    score_axis = ax.twinx()
    centres = [date2num(p) + (0 if step == 1 else 0.4 * step) for p in periods]
    score_axis.plot(centres, [r["conflict_score"] for r in rows], color="#222222", linewidth=1.2,
                    label="conflict score")  # fmt: skip
    score_axis.set_ylabel("conflict score (PLOVER intensity)")
    handles = ax.get_legend_handles_labels()
    more = score_axis.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left", fontsize="small", frameon=False)
    ax.set_title(title)
    fig.autofmt_xdate()
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
    plt.close(fig)
    return out
