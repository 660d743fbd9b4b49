"""``min_confidence``: events under it stay stored but are shown nowhere (CLI, API, exports, dyad
series, alerts), and a lower threshold (``--min-confidence``, ``?min_confidence=``) shows them.

A small fictional database: Serbia-Kosovo events of chosen confidence, stored with ``Store.save``
as the pipeline stores them, and reports of two of them from a second article that the store
merges into the first report (the canonical event decides whether its reports are shown).
"""

import csv
import io
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from api_fixtures import serving
from powderkeg import alerts as alerting
from powderkeg.api import create_app
from powderkeg.cli import app
from powderkeg.config import ConfigError, Settings
from powderkeg.export import export_events
from powderkeg.model import Actor, Article, Event, Place
from powderkeg.series import country_pairs, data_span, dyad_events, dyad_series, measure_counts, pair_counts
from powderkeg.series import parse_dyad as parse_series_dyad
from powderkeg.store import check_min_confidence, confidence_sql, open_store, shown

runner = CliRunner()
THRESHOLD = 0.5  # the setting in these tests: STRONG passes it, WEAK does not
STRONG, WEAK = 0.9, 0.2
DAY = date(2024, 3, 4)
ZVECAN = Place("Zvečan", "XKX", None, 42.908, 20.840, "city", None)
SRB_MIL = Actor("Serbian troops", "SRBMIL", "SRB", "MIL")
SRB_GOV = Actor("Belgrade", "SRBGOV", "SRB", "GOV")
XKX_COP = Actor("Kosovo police", "XKXCOP", "XKX", "COP")
XKX_GOV = Actor("Pristina", "XKXGOV", "XKX", "GOV")


def make_event(article_id: str, start: int, kind: str, source: Actor, target: Actor, confidence: float,
               day: date = DAY, **extra) -> Event:  # fmt: skip
    conflict = kind == "ASSAULT"
    event = Event(
        type=kind, mode=None, source=[source], target=[target],
        sentence=f"{source.text} and {target.text}, {kind.lower()} ({article_id}, {start}).",
        sentence_start=start, sentence_end=start + 40, rule="test", confidence=confidence, article_id=article_id,
        trigger=kind.lower(), cameo="190" if conflict else "112", quad=4 if conflict else 3,
        intensity=-9.0 if conflict else -3.5, goldstein=-10.0 if conflict else -2.0,
        acled_type="Battles" if conflict else "Strategic developments", date=day.isoformat(), date_precision="day",
        fatalities=0, injuries=0, **extra,
    )  # fmt: skip
    event.assign_id()
    return event


def save_article(store, article_id: str, published: date, events: list[Event]) -> Article:
    text = " ".join(e.sentence for e in events) or "nothing happened"
    article = Article(article_id, f"test:{article_id}", text, title=f"title {article_id}",
                      url=f"https://news.example/{article_id}", site="news.example", published=published)  # fmt: skip
    store.save(article, (), events)
    return article


@dataclass
class Db:
    path: Path
    strong: Event  # confidence 0.9: shown at the threshold
    weak: Event  # confidence 0.2: hidden at the threshold
    strong_report: Event  # a 0.1 report of `strong` by a later article: shown, since `strong` is
    weak_report: Event  # a 0.95 report of `weak` by a later article: hidden, since `weak` is
    first: Article


@pytest.fixture
def db(tmp_path: Path) -> Db:
    path = tmp_path / "confidence.duckdb"
    strong = make_event("a1", 0, "ASSAULT", SRB_MIL, XKX_COP, STRONG, location=ZVECAN)
    weak = make_event("a1", 50, "ACCUSE", XKX_GOV, SRB_GOV, WEAK)
    strong_report = make_event("a2", 0, "ASSAULT", SRB_MIL, XKX_COP, 0.1, location=ZVECAN)
    weak_report = make_event("a2", 50, "ACCUSE", XKX_GOV, SRB_GOV, 0.95)
    with open_store(path) as store:
        first = save_article(store, "a1", DAY, [strong, weak])
        save_article(store, "a2", DAY + timedelta(days=1), [strong_report, weak_report])
        merged = dict(store.con.execute("SELECT event_id, cluster_id FROM events").fetchall())
    assert merged[strong_report.event_id] == strong.event_id and merged[weak_report.event_id] == weak.event_id
    return Db(path, strong, weak, strong_report, weak_report, first)


@pytest.fixture
def setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> float:
    """The min_confidence setting, from its environment variable (no powderkeg.toml around)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POWDERKEG_CONFIG", raising=False)
    monkeypatch.setenv("POWDERKEG_MIN_CONFIDENCE", str(THRESHOLD))
    return THRESHOLD


def ids(events: list[dict]) -> set[str]:
    return {e["event_id"] for e in events}


# -- the rule --------------------------------------------------------------------------------------


def test_the_rule_in_sql_and_in_python():
    assert confidence_sql(0.0) == ("true", [])  # 0 leaves nothing out, not even a row without a confidence
    assert confidence_sql(0.5) == ("e.confidence >= ?", [0.5])
    assert shown(0.5, 0.5) and not shown(0.49, 0.5) and shown(None, 0.0) and not shown(None, 0.1)
    for bad in (-0.1, 1.5, math.nan, math.inf):
        with pytest.raises(ValueError, match="min_confidence must be a number from 0 to 1"):
            check_min_confidence(bad)


def test_the_default_is_the_settings_and_it_is_documented():
    default = Settings().min_confidence
    assert 0.0 <= default <= 1.0
    guide = (Path(__file__).resolve().parent.parent / "docs" / "guide.md").read_text(encoding="utf-8")
    assert f"| `min_confidence` | `{default:g}` |" in guide


def test_events_under_the_threshold_stay_stored(db):
    with open_store(db.path) as store:
        assert ids(store.events(min_confidence=THRESHOLD)) == {db.strong.event_id}
        assert ids(store.events(min_confidence=0)) == {db.strong.event_id, db.weak.event_id}
        assert store.counts()["events"] == 4  # nothing was deleted


# -- CLI -------------------------------------------------------------------------------------------


def cli(*args: str) -> list[dict]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_events_command_follows_the_setting_and_the_option_overrides_it(db, setting):
    assert ids(cli("events", "--db", str(db.path), "-f", "json")) == {db.strong.event_id}
    everything = cli("events", "--db", str(db.path), "-f", "json", "--min-confidence", "0")
    assert ids(everything) == {db.strong.event_id, db.weak.event_id}
    stricter = cli("events", "--db", str(db.path), "-f", "json", "--min-confidence", "0.95")
    assert stricter == []


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_events_table_and_csv_leave_the_weak_event_out(db, setting, fmt):
    def output(*more: str) -> str:
        result = runner.invoke(app, ["events", "--db", str(db.path), "-f", fmt, *more])
        assert result.exit_code == 0, result.output
        return result.stdout

    assert "ACCUSE" not in output() and "ASSAULT" in output()
    assert "ACCUSE" in output("--min-confidence", "0")
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(output("--min-confidence", "0"))))
        assert sorted(float(r["confidence"]) for r in rows) == [WEAK, STRONG]


def test_a_threshold_out_of_range_is_one_clear_line(db, setting, monkeypatch):
    result = runner.invoke(app, ["events", "--db", str(db.path), "--min-confidence", "1.5"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip() == "error: min_confidence must be a number from 0 to 1 (got 1.5)"
    monkeypatch.setenv("POWDERKEG_MIN_CONFIDENCE", "high")
    result = runner.invoke(app, ["export", "--db", str(db.path)])
    assert result.exit_code == 1 and "min_confidence" in result.output and len(result.output.splitlines()) == 1


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "gdelt", "acled", "parquet"])
def test_export_command_counts_only_events_at_or_above_the_threshold(db, setting, tmp_path, fmt):
    def rows(*more: str) -> int:
        out = tmp_path / f"out.{fmt}"
        result = runner.invoke(app, ["export", "--db", str(db.path), "-f", fmt, "-o", str(out), *more])
        assert result.exit_code == 0, result.output
        if fmt == "parquet":
            with duckdb.connect() as con:  # not the module's shared connection: other tests use it
                return con.execute("SELECT count(*) FROM read_parquet(?)", [str(out)]).fetchall()[0][0]
        lines = out.read_text(encoding="utf-8").splitlines()
        return len(lines) - (fmt in ("csv", "acled"))  # the header

    assert rows() == 1
    assert rows("--min-confidence", "0") == 2


def test_export_names_the_strong_event_only(db):
    buffer = io.StringIO()
    with open_store(db.path, read_only=True) as store:
        assert export_events(store, "jsonl", buffer, min_confidence=THRESHOLD) == 1
    assert [json.loads(line)["event_id"] for line in buffer.getvalue().splitlines()] == [db.strong.event_id]


def test_dyad_command_counts_only_events_at_or_above_the_threshold(db, setting):
    (day,) = cli("dyad", "SRB", "XKX", "--db", str(db.path), "-f", "json")
    assert day["period"] == DAY.isoformat() and day["events"] == 1 and day["accuse"] == 0 and day["assault"] == 1
    (day,) = cli("dyad", "SRB", "XKX", "--db", str(db.path), "-f", "json", "--min-confidence", "0")
    assert day["events"] == 2 and day["accuse"] == 1


def test_code_command_drops_events_under_the_threshold(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POWDERKEG_MIN_CONFIDENCE", "0")
    source = tmp_path / "in.jsonl"
    text = "Gunmen attacked a police station in Kano on Monday. Police arrested two journalists in Minsk on Friday."
    source.write_text(json.dumps({"id": "a", "text": text, "published": "2024-01-10"}) + "\n", encoding="utf-8")

    def coded(*more: str) -> tuple[list[dict], str]:
        out = tmp_path / "out.jsonl"
        result = runner.invoke(app, ["code", str(source), "-o", str(out), *more])
        assert result.exit_code == 0, result.output
        (line,) = (json.loads(raw) for raw in out.read_text(encoding="utf-8").splitlines())
        return line["events"], result.output

    everything, _ = coded()
    assert everything and all(e["confidence"] < 0.999 for e in everything)
    none, summary = coded("--min-confidence", "0.999")  # the option overrides the setting
    assert none == [] and f"({len(everything)} under min_confidence 0.999 left out)" in summary
    monkeypatch.setenv("POWDERKEG_MIN_CONFIDENCE", "0.999")
    assert coded()[0] == []
    assert coded("--min-confidence", "0")[0] == everything


# -- series and escalation detection ---------------------------------------------------------------


def test_series_functions_count_only_events_at_or_above_the_threshold(db):
    dyad = parse_series_dyad("SRB", "XKX")
    with open_store(db.path, read_only=True) as store:
        (row,) = dyad_series(store, dyad, min_confidence=THRESHOLD)
        assert (row["events"], row["accuse"]) == (1, 0)
        assert measure_counts(store, dyad, "events", DAY, DAY, min_confidence=THRESHOLD) == [1]
        assert measure_counts(store, dyad, "events", DAY, DAY) == [2]
        assert pair_counts(store, "verbal_conflict", DAY, DAY, [("SRB", "XKX")], THRESHOLD) == {("SRB", "XKX"): [0]}
        assert pair_counts(store, "verbal_conflict", DAY, DAY, [("SRB", "XKX")]) == {("SRB", "XKX"): [1]}
        assert country_pairs(store, DAY, DAY, min_events=2, min_confidence=THRESHOLD) == []
        assert country_pairs(store, DAY, DAY, min_events=2) == [("SRB", "XKX", 2)]
        cited = dyad_events(store, dyad, DAY, DAY, min_confidence=THRESHOLD)
        assert [e["event_id"] for e in cited] == [db.strong.event_id]
        assert data_span(store, min_confidence=0.99) is None


def surge_db(path: Path, weak_surge: int, strong_surge: int = 0) -> Path:
    """40 days of about two Serbia-Kosovo attacks a day (all confident), then a last day with
    ``strong_surge`` confident and ``weak_surge`` unconfident attacks; each day's in its own town,
    so that no report is merged into another day's."""
    rng = random.Random(2)
    first = date(2024, 1, 1)
    with open_store(path) as store:
        for i in range(41):
            day, town = first + timedelta(days=i), Place(f"Town {i}", "XKX")
            confidences = [STRONG] * (rng.choice([1, 2, 2, 3]) if i < 40 else strong_surge)
            confidences += [WEAK] * (weak_surge if i == 40 else 0)
            events = [
                make_event(f"d{i}", 60 * j, "ASSAULT", SRB_MIL, XKX_COP, confidence, day, location=town)
                for j, confidence in enumerate(confidences)
            ]
            save_article(store, f"d{i}", day, events)
        assert store.con.execute("SELECT count(*) FROM events WHERE cluster_id IS NOT NULL").fetchone() == (0,)
    return path


def test_a_surge_of_unconfident_events_raises_no_alert(tmp_path):
    rules = alerting.load_rules()
    with open_store(surge_db(tmp_path / "weak.duckdb", weak_surge=14)) as store:
        assert alerting.detect(store, rules, min_confidence=THRESHOLD) == []
        (alert,) = alerting.detect(store, rules)  # at 0 the same day is an escalation
        assert alert.observed == 14 and alert.min_confidence == 0.0


def test_alerts_count_and_cite_only_confident_events_and_list_by_threshold(tmp_path, setting):
    path = surge_db(tmp_path / "mixed.duckdb", weak_surge=10, strong_surge=14)
    rules = alerting.load_rules()
    with open_store(path) as store:
        (everything,) = alerting.evaluate(store, rules, min_confidence=0.0)
        assert everything.observed == 24
        # an alert counted with unconfident events neither shows at the threshold nor holds back its own alert
        (confident,) = alerting.evaluate(store, rules, min_confidence=THRESHOLD)
        assert confident.observed == 14 and confident.alert_id != everything.alert_id
        assert confident.min_confidence == THRESHOLD and confident.to_dict()["min_confidence"] == THRESHOLD
        cited = [e["event_id"] for e in confident.events]
        confidences = dict(store.con.execute("SELECT event_id, confidence FROM events").fetchall())
        assert cited and all(confidences[i] >= THRESHOLD for i in cited)
        assert alerting.evaluate(store, rules, min_confidence=THRESHOLD) == []  # stored once
        assert [a.alert_id for a in alerting.stored_alerts(store, min_confidence=THRESHOLD)] == [confident.alert_id]
        assert {a.alert_id for a in alerting.stored_alerts(store)} == {confident.alert_id, everything.alert_id}
    listed = cli("alerts", "--db", str(path), "-f", "json")
    assert [a["alert_id"] for a in listed] == [confident.alert_id]
    listed = cli("alerts", "--db", str(path), "-f", "json", "--min-confidence", "0")
    assert {a["alert_id"] for a in listed} == {confident.alert_id, everything.alert_id}


def test_alerts_detect_command_follows_the_setting_and_the_option(tmp_path, setting):
    path = surge_db(tmp_path / "weak.duckdb", weak_surge=14)
    result = runner.invoke(app, ["alerts", "--db", str(path), "--detect", "-f", "json"])
    assert result.exit_code == 0 and "0 new alert(s)" in result.output
    result = runner.invoke(app, ["alerts", "--db", str(path), "--detect", "-f", "json", "--min-confidence", "0"])
    assert result.exit_code == 0 and "1 new alert(s)" in result.output


def test_watch_evaluates_at_the_setting(tmp_path):
    path = surge_db(tmp_path / "weak.duckdb", weak_surge=14)
    with open_store(path) as store:
        assert alerting.evaluate_and_deliver(store, Settings(db=str(path), min_confidence=THRESHOLD), []) == []
        assert len(alerting.evaluate_and_deliver(store, Settings(db=str(path), min_confidence=0.0), [])) == 1


def test_alert_ids_at_threshold_zero_are_unchanged():
    rules = alerting.load_rules()
    rule = alerting.DyadRule("SRB-XKX", parse_series_dyad("SRB", "XKX"), rules.defaults)
    start, end = date(2024, 2, 9), date(2024, 2, 10)
    assert alerting.alert_id(rule, start, end) == alerting.alert_id(rule, start, end, 0.0)
    assert alerting.alert_id(rule, start, end, 0.5) != alerting.alert_id(rule, start, end)


# -- API -------------------------------------------------------------------------------------------


@pytest.fixture
def api(db: Db) -> Iterator[httpx.Client]:
    app = create_app(Settings(db=str(db.path), min_confidence=THRESHOLD))
    with serving(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield client


def test_api_event_listing_and_points(api, db):
    page = api.get("/api/events").json()
    assert ids(page["events"]) == {db.strong.event_id} and page["total"] == 1
    page = api.get("/api/events", params={"min_confidence": 0, "dyad": "SRB,XKX"}).json()
    assert ids(page["events"]) == {db.strong.event_id, db.weak.event_id} and page["total"] == 2
    assert api.get("/api/events", params={"min_confidence": 0.95}).json()["total"] == 0
    assert api.get("/api/events", params={"country": "XKX"}).json()["total"] == 1
    points = api.get("/api/events/points").json()
    assert [p["event_id"] for p in points["points"]] == [db.strong.event_id]


def test_api_single_event_is_shown_when_its_canonical_event_is(api, db):
    assert api.get(f"/api/events/{db.weak.event_id}").status_code == 404
    assert api.get(f"/api/events/{db.weak.event_id}", params={"min_confidence": 0}).status_code == 200
    assert api.get(f"/api/events/{db.weak_report.event_id}").status_code == 404  # its own 0.95 does not count
    detail = api.get(f"/api/events/{db.strong_report.event_id}").json()  # its own 0.1 does not count either
    assert detail["event"]["mention_of"] == db.strong.event_id


def test_api_article_lists_its_shown_events(api, db):
    article = api.get(f"/api/articles/{db.first.article_id}").json()
    assert [e["event_id"] for e in article["events"]] == [db.strong.event_id] and article["n_events"] == 1
    article = api.get(f"/api/articles/{db.first.article_id}", params={"min_confidence": 0}).json()
    assert ids(article["events"]) == {db.strong.event_id, db.weak.event_id} and article["n_events"] == 2


def test_api_series_and_meta(api, db):
    (row,) = api.get("/api/dyads/SRB/XKX/series").json()["rows"]
    assert row["events"] == 1
    (row,) = api.get("/api/dyads/SRB/XKX/series", params={"min_confidence": 0}).json()["rows"]
    assert row["events"] == 2
    meta = api.get("/api/meta").json()
    assert (meta["events"], meta["min_confidence"]) == (1, THRESHOLD)
    assert api.get("/api/meta", params={"min_confidence": 0}).json()["events"] == 2


def test_api_alerts_follow_the_threshold(tmp_path):
    path = surge_db(tmp_path / "mixed.duckdb", weak_surge=10, strong_surge=14)
    with open_store(path) as store:
        (everything,) = alerting.evaluate(store, alerting.load_rules())
    with serving(create_app(Settings(db=str(path), min_confidence=THRESHOLD))) as base:
        assert httpx.get(f"{base}/api/alerts").json()["alerts"] == []
        listed = httpx.get(f"{base}/api/alerts", params={"min_confidence": "0"}).json()["alerts"]
        assert [a["alert_id"] for a in listed] == [everything.alert_id] and listed[0]["min_confidence"] == 0.0


def test_api_ingest_stores_every_event_and_answers_with_the_shown_ones(tmp_path, pipeline):
    token = "confidence-token-0123456789"
    settings = Settings(db=str(tmp_path / "ingest.duckdb"), api_token=token, min_confidence=0.999)
    app = create_app(settings, pipeline=pipeline)
    body = {"text": "Gunmen attacked a police station in Kano on Monday.", "published": "2024-01-10"}
    auth = {"Authorization": f"Bearer {token}"}
    with serving(app) as base:
        posted = httpx.post(f"{base}/api/ingest", json=body, headers=auth, timeout=60).json()
        assert posted["status"] == "ok" and posted["stored"] is True and posted["events"] == []
        stored = httpx.get(f"{base}/api/articles/{posted['article_id']}", params={"min_confidence": 0}).json()
        assert stored["events"]  # coded and stored, only not shown at 0.999
        again = httpx.post(f"{base}/api/ingest", json=body, headers=auth, timeout=60).json()
        assert again["stored"] is False and again["events"] == []  # the server's threshold, again


@pytest.mark.parametrize("value", ["-0.1", "1.5", "nan", "inf", "high", ""])
@pytest.mark.parametrize(
    "url", ["/api/events", "/api/events/points", "/api/meta", "/api/alerts", "/api/dyads/SRB/XKX/series"]
)
def test_api_refuses_a_threshold_out_of_range(api, url, value):
    response = api.get(url, params={"min_confidence": value})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "min_confidence"]


def test_api_threshold_is_in_the_schema(api):
    schema = api.get("/openapi.json").json()
    for path in ("/api/events", "/api/events/{event_id}", "/api/articles/{article_id}", "/api/alerts", "/api/meta",
                 "/api/dyads/{a}/{b}/series", "/api/events/points"):  # fmt: skip
        (param,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "min_confidence"]
        number = next(s for s in param["schema"]["anyOf"] if s.get("type") == "number")
        assert (number["minimum"], number["maximum"]) == (0, 1), path


def test_a_server_setting_out_of_range_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="min_confidence must be a number from 0 to 1"):
        create_app(Settings(db=str(tmp_path / "x.duckdb"), min_confidence=2.0))


# -- dashboard -------------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


def test_dashboard_follows_the_threshold_and_its_links_keep_it(db):
    """In headless Chromium (as tests/test_dashboard_browser.py): the server's setting hides the
    weak event; ?min_confidence=0 (or the form's field) shows it, and its link opens it."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install playwright")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: apt-get install -y chromium")
    app = create_app(Settings(db=str(db.path), min_confidence=THRESHOLD))
    with serving(app) as base, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        page = browser.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def rows(url: str) -> list[str | None]:
            page.goto(base + url)
            page.wait_for_selector("body[data-ready=true]")
            return [row.get_attribute("data-event") for row in page.locator("table.events tbody tr").all()]

        assert rows("/") == [db.strong.event_id]
        assert set(rows("/?min_confidence=0")) == {db.strong.event_id, db.weak.event_id}
        assert page.input_value("input[name=min_confidence]") == "0"
        page.locator(f'tr[data-event="{db.weak.event_id}"] td.sentence').click()
        page.wait_for_url(f"**/events/{db.weak.event_id}?min_confidence=0")
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("mark#hit").inner_text().strip() == db.weak.sentence

        rows("/")
        page.fill("input[name=min_confidence]", "0")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**/?min_confidence=0")
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("table.events tbody tr").count() == 2

        page.goto(f"{base}/events/{db.weak.event_id}")
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("main p.error").inner_text() == f"No event {db.weak.event_id}."
        browser.close()
        assert errors == []
