"""The command line, run in-process through Typer's runner against real files and databases."""

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from powderkeg.cli import app

SEED = Path(__file__).parent / "fixtures" / "seed"
runner = CliRunner()


@pytest.fixture
def seeded_db(tmp_path: Path) -> Path:
    db = tmp_path / "seed.duckdb"
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(SEED / "seed-article.html", folder)
    result = runner.invoke(app, ["ingest", str(folder), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def test_ingest_reports_what_it_stored(tmp_path):
    db = tmp_path / "x.duckdb"
    result = runner.invoke(app, ["ingest", str(SEED / "seed-article.txt"), "--db", str(db)])
    assert result.exit_code == 0
    assert "1 new article(s)" in result.output
    again = runner.invoke(app, ["ingest", str(SEED / "seed-article.txt"), "--db", str(db)])
    assert "0 new article(s)" in again.output and "1 unchanged" in again.output


def test_ingest_of_nothing_usable_exits_non_zero(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = runner.invoke(app, ["ingest", str(empty), "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 1
    assert "empty" in result.output


def test_events_json_is_the_contract(seeded_db):
    result = runner.invoke(app, ["events", "--db", str(seeded_db), "--format", "json"])
    assert result.exit_code == 0
    events = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert events
    required = {"event_id", "type", "mode", "cameo", "quad", "intensity", "acled_type", "acled_subtype", "source",
                "target", "date", "date_precision", "location", "fatalities", "injuries", "negated",
                "hypothetical", "historical", "sentence", "sentence_start", "sentence_end", "article_id",
                "mentions", "sources", "confidence", "rule"}  # fmt: skip
    for event in events:
        assert required <= set(event)
        assert not (event["negated"] or event["hypothetical"] or event["historical"])
        for actor in event["source"] + event["target"]:
            assert {"text", "code", "country", "sector", "org"} <= set(actor)


def test_events_filters(seeded_db):
    def types(*args: str) -> list[dict]:
        result = runner.invoke(app, ["events", "--db", str(seeded_db), "-f", "json", *args])
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]

    assaults = types("--type", "assault")
    assert assaults and all(e["type"] == "ASSAULT" for e in assaults)
    dyad = types("--dyad", "XKX,SRB")
    assert dyad
    for e in dyad:
        src = {a["country"] for a in e["source"]}
        tgt = {a["country"] for a in e["target"]}
        assert ("SRB" in src and "XKX" in tgt) or ("XKX" in src and "SRB" in tgt)
    assert all(e["date"] >= "2022-12-10" for e in types("--since", "2022-12-10"))
    everything = types("--all")
    assert any(e["historical"] for e in everything)


def test_events_csv_and_table(seeded_db):
    result = runner.invoke(app, ["events", "--db", str(seeded_db), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows and {"type", "source", "target", "sentence", "rule"} <= set(rows[0])
    table = runner.invoke(app, ["events", "--db", str(seeded_db)])
    assert "ASSAULT" in table.output and "event(s)" in table.output


def test_events_helpful_errors(tmp_path, seeded_db):
    missing = runner.invoke(app, ["events", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1 and "powderkeg ingest" in missing.output
    bad_dyad = runner.invoke(app, ["events", "--db", str(seeded_db), "--dyad", "SRB"])
    assert bad_dyad.exit_code == 1 and "two country codes" in bad_dyad.output
    bad_date = runner.invoke(app, ["events", "--db", str(seeded_db), "--since", "last week"])
    assert bad_date.exit_code == 1 and "YYYY-MM-DD" in bad_date.output


def test_code_one_line_out_per_line_in(tmp_path):
    lines = [
        json.dumps({"id": 1, "text": "Gunmen attacked a police station in Kano on Monday.", "published": "2024-01-10"}),
        "{not json",
        json.dumps({"id": "no-text", "title": "missing text"}),
        json.dumps({"id": "quiet", "text": "The weather was fine and the market opened as usual."}),
        json.dumps({"id": "empty", "text": "   "}),
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["code", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1, None, "no-text", "quiet", "empty"]
    assert rows[0]["events"][0]["type"] == "ASSAULT"
    assert rows[0]["events"][0]["date"] == "2024-01-08"
    assert "error" in rows[1] and "JSON" in rows[1]["error"]
    assert "error" in rows[2] and "text" in rows[2]["error"]
    assert rows[3] == {"id": "quiet", "events": []}
    assert "error" in rows[4]
    assert "Traceback" not in result.output


def test_code_missing_file_is_one_clear_line(tmp_path):
    result = runner.invoke(app, ["code", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1
    assert "no such file" in result.output and "Traceback" not in result.output


def test_articles_lists_statuses(tmp_path):
    db = tmp_path / "a.duckdb"
    (tmp_path / "empty.txt").write_text("")
    runner.invoke(app, ["ingest", str(tmp_path / "empty.txt"), str(SEED / "seed-article.txt"), "--db", str(db)])
    result = runner.invoke(app, ["articles", "--db", str(db)])
    assert "empty" in result.output and "ok" in result.output


def test_demo_ingests_the_shipped_samples(tmp_path):
    db = tmp_path / "demo.duckdb"
    result = runner.invoke(app, ["demo", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "THREATEN" in result.output and "ASSAULT" in result.output
    again = runner.invoke(app, ["demo", "--db", str(db)])
    assert again.exit_code == 0 and "0 new article(s)" in again.output


def test_geoparse_gives_one_line_per_record_with_offsets(tmp_path):
    text = "Police clashed with protesters in Zvecan, in northern Kosovo, on Monday."
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "k1", "text": text}) + "\n" + json.dumps({"id": "k2", "text": ""}) + "\n")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["geoparse", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in out.read_text().splitlines())
    assert first["id"] == "k1" and second["id"] == "k2" and second["places"] == []
    by_text = {p["text"]: p for p in first["places"]}
    assert by_text["Zvecan"]["country"] == "XKX"
    for place in first["places"]:
        assert text[place["start"] : place["end"]] == place["text"]
