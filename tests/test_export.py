"""Exports other tools read: GDELT 2.0 event rows, ACLED columns, Parquet, JSONL, CSV."""

import csv
import io
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from powderkeg.cli import app
from powderkeg.export import ACLED_COLUMNS, FLAT_COLUMNS, GDELT_COLUMNS, ExportError, export_events, gdelt_row
from powderkeg.model import Actor, Article, Event, Place
from powderkeg.series import parse_dyad
from powderkeg.store import open_store

runner = CliRunner()
LEAD = "Ethnic Serb protesters clashed with Kosovo police in Zvecan on Friday, injuring five officers."
SECOND = "Serbia accused Kosovo of provoking the violence."
THIRD = "NATO peacekeepers said they would not leave the north."
TEXT = f"{LEAD}\n{SECOND} {THIRD}"


def events() -> list[Event]:
    clash = Event(
        type="ASSAULT", mode=None, cameo="190", quad=4, intensity=-9.0, goldstein=-10.0,
        acled_type="Riots", acled_subtype="Violent demonstration",
        source=[Actor("Ethnic Serb protesters", "XKXCVLSRB", "XKX", "CVL", ethnicity="srb")],
        target=[Actor("Kosovo police", "XKXCOP", "XKX", "COP"), Actor("KFOR", "IGOMIL", "IGO", "MIL", org="KFOR")],
        sentence=LEAD, sentence_start=0, sentence_end=len(LEAD), rule="test", confidence=0.9, trigger="clashed",
        date="2022-12-16", date_precision="day", fatalities=0, injuries=5,
        location=Place("Zvecan", "XKX", "Mitrovica", 42.9075, 20.8403, "city", 784756),
    )  # fmt: skip
    accuse = Event(
        type="ACCUSE", mode="allege", cameo="112", quad=3, intensity=-3.5, goldstein=-2.0,
        source=[Actor("Serbia", "SRB", "SRB")], target=[Actor("Kosovo", "XKX", "XKX")],
        sentence=SECOND, sentence_start=len(LEAD) + 1, sentence_end=len(LEAD) + 1 + len(SECOND), rule="test",
        confidence=0.8, trigger="accused", date="2022-12-16", date_precision="day",
        location=Place("Serbia", "SRB", None, 44.0, 20.9, "country"),
    )  # fmt: skip
    hypothetical = Event(
        type="RETREAT", mode="withdraw", cameo="0874", quad=2, intensity=8.0, goldstein=9.0,
        source=[Actor("NATO peacekeepers", "IGOWSTNAT", "IGO", None, org="NATO")], target=[],
        sentence=THIRD, sentence_start=TEXT.index(THIRD), sentence_end=len(TEXT), rule="test", confidence=0.7,
        trigger="leave", date="2022-12-16", date_precision="day", negated=True,
    )  # fmt: skip
    for e in (clash, accuse, hypothetical):
        e.article_id = "art1"
        e.assign_id()
    return [clash, accuse, hypothetical]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "export.duckdb"
    with open_store(path) as store:
        article = Article("art1", "test", TEXT, title="Clashes in Zvecan", url="https://news.example/zvecan",
                          site="news.example", published=date(2022, 12, 17))  # fmt: skip
        store.save(article, (), events())
    return path


def export(db: Path, fmt: str, **kwargs) -> str:
    buffer = io.StringIO()
    with open_store(db, read_only=True) as store:
        export_events(store, fmt, buffer, **kwargs)
    return buffer.getvalue()


def test_gdelt_rows_have_the_61_columns_in_codebook_order(db):
    assert GDELT_COLUMNS[:5] == ("GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate")
    action = ("IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
              "NumMentions", "NumSources", "NumArticles", "AvgTone")  # fmt: skip
    assert GDELT_COLUMNS[25:35] == action
    assert GDELT_COLUMNS[-2:] == ("DATEADDED", "SOURCEURL") and "ActionGeo_ADM2Code" in GDELT_COLUMNS
    lines = export(db, "gdelt").splitlines()
    assert len(lines) == 2  # the negated withdrawal is not exported
    rows = [dict(zip(GDELT_COLUMNS, line.split("\t"), strict=True)) for line in lines]
    clash, accuse = rows
    assert clash["GLOBALEVENTID"].isdigit() and clash["GLOBALEVENTID"] != accuse["GLOBALEVENTID"]
    assert (clash["SQLDATE"], clash["MonthYear"], clash["Year"]) == ("20221216", "202212", "2022")
    assert clash["FractionDate"] == f"{2022 + (11 * 30 + 16) / 365:.4f}"
    assert clash["Actor1Code"] == "XKXCVLSRB" and clash["Actor1Name"] == "ETHNIC SERB PROTESTERS"
    assert clash["Actor1CountryCode"] == "XKX" and clash["Actor1EthnicCode"] == "srb"
    assert clash["Actor1Type1Code"] == "CVL"
    assert clash["Actor2Code"] == "XKXCOP" and clash["Actor2Type1Code"] == "COP"
    assert (clash["EventCode"], clash["EventBaseCode"], clash["EventRootCode"]) == ("190", "190", "19")
    assert clash["QuadClass"] == "4" and clash["GoldsteinScale"] == "-10"
    assert clash["NumMentions"] == "1" and clash["NumSources"] == "1" and clash["AvgTone"] == ""
    assert clash["IsRootEvent"] == "1" and accuse["IsRootEvent"] == "0"  # lead paragraph or not
    assert clash["ActionGeo_Type"] == "4" and clash["ActionGeo_FullName"] == "Zvecan, Mitrovica, Kosovo"
    assert clash["ActionGeo_CountryCode"] == "KV"  # FIPS 10-4, as GDELT's geography fields
    assert (clash["ActionGeo_Lat"], clash["ActionGeo_Long"]) == ("42.9075", "20.8403")
    assert clash["ActionGeo_FeatureID"] == "784756"
    assert clash["Actor1Geo_Type"] == "" and clash["Actor2Geo_Lat"] == ""
    assert accuse["ActionGeo_Type"] == "1" and accuse["ActionGeo_CountryCode"] == "RI"
    assert accuse["ActionGeo_ADM1Code"] == "RI" and accuse["ActionGeo_FeatureID"] == "RI"
    assert accuse["QuadClass"] == "3" and accuse["EventCode"] == "112" and accuse["EventRootCode"] == "11"
    assert len(clash["DATEADDED"]) == 14 and clash["SOURCEURL"] == "https://news.example/zvecan"


def test_gdelt_known_group_codes_come_from_igo_actor_codes():
    event = {"event_id": "0123456789abcdef", "date": "2024-01-02", "cameo": "0874", "quad": 2,
             "source": [{"text": "NATO", "code": "IGOWSTNAT", "country": "IGO", "sector": None}],
             "target": [{"text": "KFOR troops", "code": "IGOMIL", "country": "IGO", "sector": "MIL"}]}  # fmt: skip
    row = dict(zip(GDELT_COLUMNS, gdelt_row(event, {"url": None, "origin": "a.txt"}), strict=True))
    assert row["Actor1KnownGroupCode"] == "NAT" and row["Actor2KnownGroupCode"] == ""
    assert row["GLOBALEVENTID"] == str(int("0123456789abcde", 16))
    assert row["QuadClass"] == "2" and row["SOURCEURL"] == "a.txt" and row["DATEADDED"] == ""


def test_acled_rows_follow_acleds_columns(db):
    reader = csv.reader(io.StringIO(export(db, "acled")))
    header = next(reader)
    assert tuple(header) == ACLED_COLUMNS
    rows = [dict(zip(header, r, strict=True)) for r in reader]
    assert len(rows) == 1  # the accusation has no ACLED type
    (row,) = rows
    assert row["event_id_cnty"].startswith("XKX") and row["event_id_cnty"][3:].isdigit()
    assert (row["event_date"], row["year"], row["time_precision"]) == ("2022-12-16", "2022", "1")
    assert row["disorder_type"] == "Demonstrations"
    assert (row["event_type"], row["sub_event_type"]) == ("Riots", "Violent demonstration")
    assert (row["actor1"], row["inter1"]) == ("Rioters (Kosovo)", "5")
    assert (row["actor2"], row["inter2"], row["assoc_actor_2"]) == ("Police Forces of Kosovo", "1", "KFOR")
    assert row["interaction"] == "15"
    assert (row["iso"], row["country"], row["admin1"], row["location"]) == ("0", "Kosovo", "Mitrovica", "Zvecan")
    assert (row["latitude"], row["longitude"], row["geo_precision"]) == ("42.9075", "20.8403", "1")
    assert row["source"] == "news.example" and row["notes"] == LEAD and row["fatalities"] == "0"
    assert row["timestamp"].isdigit()


def test_parquet_csv_and_jsonl_carry_the_same_events(db, tmp_path):
    parquet = tmp_path / "events.parquet"
    with open_store(db, read_only=True) as store:
        assert export_events(store, "parquet", parquet) == 2
        with pytest.raises(ExportError, match="output file"):
            export_events(store, "parquet", io.StringIO())
        with pytest.raises(ExportError, match="unknown export format"):
            export_events(store, "xml", io.StringIO())
    table = duckdb.sql(f"SELECT * FROM read_parquet('{parquet}') ORDER BY date, event_id")
    assert tuple(table.columns) == FLAT_COLUMNS
    rows = table.fetchall()
    assert sorted(r[3] for r in rows) == ["ACCUSE", "ASSAULT"]
    flat = list(csv.DictReader(io.StringIO(export(db, "csv"))))
    assert tuple(flat[0]) == FLAT_COLUMNS
    by_type = {r["type"]: r for r in flat}
    assert by_type["ASSAULT"]["target_codes"] == "XKXCOP;IGOMIL"
    assert by_type["ASSAULT"]["url"] == "https://news.example/zvecan" and by_type["ASSAULT"]["injuries"] == "5"
    lines = [json.loads(line) for line in export(db, "jsonl", actual_only=False).splitlines()]
    assert {e["type"] for e in lines} == {"ASSAULT", "ACCUSE", "RETREAT"}
    assert all({"event_id", "sentence", "source", "target", "location"} <= set(e) for e in lines)
    only = [json.loads(line) for line in export(db, "jsonl", dyad=parse_dyad("SRB", "XKX")).splitlines()]
    assert [e["type"] for e in only] == ["ACCUSE"]
    assert export(db, "jsonl", since=date(2022, 12, 17)) == ""


def test_export_command(db, tmp_path):
    out = tmp_path / "events.tsv"
    result = runner.invoke(app, ["export", "--db", str(db), "--format", "gdelt", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 row(s) exported as gdelt" in result.output
    assert [len(line.split("\t")) for line in out.read_text().splitlines()] == [61, 61]
    result = runner.invoke(app, ["export", "--db", str(db), "-f", "acled", "--dyad", "XKX@srb,XKX/COP"])
    assert result.exit_code == 0 and result.stdout.count("\n") == 2
    result = runner.invoke(app, ["export", "--db", str(db), "-f", "parquet"])
    assert result.exit_code == 1 and "-o" in result.output
    result = runner.invoke(app, ["export", "--db", str(db), "--dyad", "SRB"])
    assert result.exit_code == 1 and "two sides" in result.output
