"""Dyad series from the store: sides and actor groups, day and week periods, scores, exclusions."""

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.coder import taxonomy
from powderkeg.model import Actor, Article, Event
from powderkeg.series import (
    SERIES_COLUMNS,
    ActorFilter,
    SeriesError,
    country_pairs,
    data_span,
    dyad_events,
    dyad_series,
    measure_counts,
    pair_counts,
    parse_dyad,
    parse_side,
    side_from_config,
)
from powderkeg.store import open_store

runner = CliRunner()
MONDAY = date(2024, 3, 4)


def actor(spec: str) -> Actor:
    """'XKX/COP@srb' -> an actor of Kosovo's police, ethnic Serb."""
    ethnicity = spec.split("@")[1] if "@" in spec else None
    base = spec.split("@")[0]
    country, _, sector = base.partition("/")
    org = sector if country == "IGO" else None
    sector_code = None if country == "IGO" else (sector or None)
    code = country + (sector or "") + (ethnicity or "").upper()
    return Actor(spec, code, country, sector_code, org, ethnicity)


def make_event(article_id: str, day: date | None, category: str, source: list[str], target: list[str],
               start: int = 0, **extra) -> Event:  # fmt: skip
    mode = extra.pop("mode", None)
    cameo = taxonomy.cameo_for(category, mode)
    event = Event(
        type=category,
        mode=mode,
        source=[actor(s) for s in source],
        target=[actor(t) for t in target],
        sentence=extra.pop("sentence", f"{' and '.join(source)} {category.lower()} {' and '.join(target)}."),
        sentence_start=start,
        sentence_end=start + 40,
        rule="test",
        confidence=0.9,
        article_id=article_id,
        trigger=category.lower(),
        cameo=cameo,
        quad=taxonomy.quad(category, mode),
        intensity=taxonomy.intensity(category, mode),
        goldstein=taxonomy.goldstein(cameo) if cameo else None,
        date=day.isoformat() if day else None,
        date_precision=extra.pop("date_precision", "day" if day else None),
        **extra,
    )
    event.assign_id()
    return event


def store_article(store, article_id: str, published: date, events: list[Event], url: str | None = None) -> None:
    text = " ".join(e.sentence for e in events) or "nothing happened"
    article = Article(article_id, f"test:{article_id}", text, title=f"title {article_id}",
                      url=url or f"https://example.org/{article_id}", published=published)  # fmt: skip
    store.save(article, (), events)


@pytest.fixture
def store(tmp_path: Path):
    with open_store(tmp_path / "series.duckdb") as s:
        day2, day3 = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
        store_article(s, "a1", MONDAY, [
            make_event("a1", MONDAY, "ASSAULT", ["SRB/MIL"], ["XKX/COP"], 0, fatalities=2, injuries=1,
                       sentence="Serbian troops attacked Kosovo police, killing two."),
            make_event("a1", MONDAY, "ACCUSE", ["XKX/GOV"], ["SRB/GOV"], 50),
            make_event("a1", MONDAY, "CONSULT", ["SRB/GOV"], ["XKX/GOV"], 100),
            make_event("a1", MONDAY, "ASSAULT", ["SRB"], ["XKX"], 150, negated=True),
        ])  # fmt: skip
        store_article(s, "a2", day2, [
            make_event("a2", None, "AID", ["XKX/GOV"], ["SRB/CVL"], 0),  # dated by publication
            make_event("a2", day2, "COERCE", ["XKX/COP"], ["XKX/CVL@srb"], 50, mode="arrest"),
            make_event("a2", day2, "ASSAULT", ["SRB"], ["XKX"], 100, date_precision="month"),
        ])  # fmt: skip
        store_article(s, "a3", day3 + timedelta(days=7), [
            make_event("a3", day3 + timedelta(days=7), "PROTEST", ["XKX/CVL@srb"], ["XKX/COP"], 0, mode="riot"),
            make_event("a3", day3 + timedelta(days=7), "THREATEN", ["IGO/KFOR"], ["SRB/MIL"], 50),
            make_event("a3", day3 + timedelta(days=7), "ASSAULT", ["ALB"], ["XKX"], 100),
        ])  # fmt: skip
        yield s


def test_sides_are_read_from_their_short_form():
    assert parse_side("srb").filters == (ActorFilter("SRB"),)
    assert parse_side("XKX/COP").filters == (ActorFilter("XKX", ("COP",)),)
    assert parse_side("XKX/gov,mil@SRB").filters == (ActorFilter("XKX", ("GOV", "MIL"), "srb"),)
    assert parse_side("SRB+@srb").filters == (ActorFilter("SRB"), ActorFilter(None, (), "srb"))
    assert parse_side("*/COP").filters == (ActorFilter(None, ("COP",)),)
    assert parse_side("SRB+@srb").label() == "SRB+@srb"
    assert parse_dyad("SRB", "XKX/COP", directed=True).label() == "SRB>XKX/COP"
    for bad in ("", "SERBIA", "*", "XKX/", "XKX@", "S1B"):
        with pytest.raises(SeriesError):
            parse_side(bad)


def test_sides_from_a_rules_file_mapping():
    side = side_from_config([{"country": "xkx", "sector": "COP"}, "@srb", {"country": "SRB", "sectors": ["GOV"]}])
    assert side.filters == (ActorFilter("XKX", ("COP",)), ActorFilter(None, (), "srb"), ActorFilter("SRB", ("GOV",)))
    with pytest.raises(SeriesError, match="unknown actor filter"):
        side_from_config({"country": "SRB", "religion": "x"})


def test_daily_series_counts_only_actual_day_placed_events_of_the_dyad(store):
    rows = dyad_series(store, parse_dyad("SRB", "XKX"))
    assert [r["period"] for r in rows] == [MONDAY + timedelta(days=i) for i in range(2)]
    monday, tuesday = rows
    # attack, accusation, meeting (either direction); not the negated attack
    assert monday["events"] == 3 and monday["assault"] == 1 and monday["accuse"] == 1 and monday["consult"] == 1
    assert (monday["verbal_cooperation"], monday["material_cooperation"]) == (1, 0)
    assert (monday["verbal_conflict"], monday["material_conflict"]) == (1, 1)
    assert monday["conflict"] == 2 and monday["cooperation"] == 1
    assert monday["conflict_score"] == pytest.approx(9 + 3)  # -intensity of ASSAULT (-9) and ACCUSE (-3)
    assert monday["cooperation_score"] == pytest.approx(2.5)
    assert monday["balance"] == pytest.approx(round((2.5 - 12) / 14.5, 3))
    assert monday["goldstein"] == pytest.approx(
        taxonomy.goldstein("190") + taxonomy.goldstein("111") + taxonomy.goldstein("040"), abs=0.01
    )
    assert monday["fatalities"] == 2 and monday["injuries"] == 1
    # the aid dated by publication counts; the month-precision attack does not
    assert tuesday["events"] == 1 and tuesday["aid"] == 1 and tuesday["material_cooperation"] == 1
    assert tuesday["balance"] == 1.0
    assert list(monday) == list(SERIES_COLUMNS)


def test_series_is_zero_filled_over_the_asked_period_and_by_iso_week(store):
    rows = dyad_series(
        store, parse_dyad("SRB", "XKX"), since=MONDAY - timedelta(days=2), until=MONDAY + timedelta(days=4)
    )
    assert len(rows) == 7
    assert rows[0]["events"] == 0 and rows[0]["balance"] is None and rows[0]["conflict_score"] == 0
    weeks = dyad_series(store, parse_dyad("XKX@srb", "XKX/COP"), by="week")
    assert [w["period"] for w in weeks] == [MONDAY, MONDAY + timedelta(days=7)]
    assert [w["events"] for w in weeks] == [1, 1]
    assert weeks[0]["coerce"] == 1 and weeks[1]["protest"] == 1
    with pytest.raises(SeriesError):
        dyad_series(store, parse_dyad("SRB", "XKX"), by="month")


def test_directed_dyads_and_actor_groups(store):
    directed = dyad_series(store, parse_dyad("SRB", "XKX", directed=True))
    assert [r["events"] for r in directed] == [2]  # Serbia's attack and meeting; not Kosovo's accusation
    police_on_serbs = parse_dyad("XKX/COP", "XKX@srb", directed=True)
    assert sum(r["events"] for r in dyad_series(store, police_on_serbs)) == 1
    # Serbia or ethnic Serbs anywhere, against Kosovo: the Kosovo Serb arrest and riot count too
    kin = parse_dyad("SRB+@srb", "XKX")
    assert sum(r["events"] for r in dyad_series(store, kin)) == 3 + 1 + 2
    # an organisation named after '/'
    assert sum(r["events"] for r in dyad_series(store, parse_dyad("IGO/KFOR", "SRB"))) == 1
    assert dyad_series(store, parse_dyad("FRA", "DEU")) == []


def test_measure_counts_events_and_pairs(store):
    counts = measure_counts(store, parse_dyad("SRB+@srb", "XKX"), "conflict", MONDAY, MONDAY + timedelta(days=9))
    assert counts == [2, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert measure_counts(store, parse_dyad("SRB", "XKX"), ["ASSAULT"], MONDAY, MONDAY) == [1]
    with pytest.raises(SeriesError):
        measure_counts(store, parse_dyad("SRB", "XKX"), ["FIGHT"], MONDAY, MONDAY)
    events = dyad_events(store, parse_dyad("SRB", "XKX"), MONDAY, MONDAY, "conflict")
    assert [e["type"] for e in events] == ["ASSAULT", "ACCUSE"]  # the deadly one first
    assert events[0]["url"] == "https://example.org/a1" and events[0]["sentence"].startswith("Serbian troops")
    assert events[0]["day"] == MONDAY.isoformat()
    pairs = country_pairs(store, MONDAY, MONDAY + timedelta(days=30))
    assert pairs[0] == ("SRB", "XKX", 4)
    assert ("ALB", "XKX", 1) in pairs and ("IGO", "SRB", 1) in pairs
    assert all(a != b for a, b, _ in pairs)
    assert data_span(store) == (MONDAY, MONDAY + timedelta(days=9))
    until = MONDAY + timedelta(days=9)
    batched = pair_counts(store, "events", MONDAY, until, [("XKX", "SRB"), ("ALB", "XKX"), ("FRA", "DEU")])
    assert set(batched) == {("SRB", "XKX"), ("ALB", "XKX"), ("DEU", "FRA")}
    for (a, b), series in batched.items():
        assert series == measure_counts(store, parse_dyad(a, b), "events", MONDAY, until)
    assert sum(batched[("SRB", "XKX")]) == 4


def test_dyad_command_outputs_and_plot(store, tmp_path):
    db = store.path
    store.close()
    result = runner.invoke(app, ["dyad", "SRB", "XKX", "--db", db, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["period"] for r in rows] == ["2024-03-04", "2024-03-05"]
    assert rows[0]["events"] == "3" and rows[0]["assault"] == "1"
    result = runner.invoke(app, ["dyad", "SRB+@srb", "XKX", "--db", db, "--by", "week", "--format", "json"])
    weeks = [json.loads(line) for line in result.stdout.splitlines()]
    assert [w["period"] for w in weeks] == ["2024-03-04", "2024-03-11"]
    assert [w["conflict"] for w in weeks] == [3, 1]
    png = tmp_path / "srb-xkx.png"
    result = runner.invoke(app, ["dyad", "SRB", "XKX", "--db", db, "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert "2024-03-04" in result.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    result = runner.invoke(app, ["dyad", "SRB", "SERBIA", "--db", db])
    assert result.exit_code == 1 and "three-letter" in result.output
