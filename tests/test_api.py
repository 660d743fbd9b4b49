"""The HTTP API through a real uvicorn server over a fictional database (tests/api_fixtures.py)."""

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from api_fixtures import (
    JARINJE,
    RUS_GOV,
    SRB_GOV,
    SRB_MIL,
    XKX_GOV,
    XSS_SENTENCE,
    XSS_TITLE,
    Fixture,
    Spec,
    actor,
    add_alert,
    article_parts,
    build,
    free_port,
    serving,
)
from powderkeg.api import create_app, queries
from powderkeg.api.app import WEB_DIR, loopback_hosts
from powderkeg.api.db import Database
from powderkeg.api.ingest import token_matches
from powderkeg.api.security import CONTENT_SECURITY_POLICY
from powderkeg.cli import app
from powderkeg.config import ConfigError, Settings
from powderkeg.model import Actor
from powderkeg.store import open_store

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build(tmp_path_factory.mktemp("api") / "api.duckdb")


@pytest.fixture(scope="module")
def client(fixture: Fixture) -> Iterator[httpx.Client]:
    app = create_app(Settings(db=str(fixture.db), api_max_page_size=100, api_max_request_bytes=10_000))
    with serving(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def ids(page: dict) -> set[str]:
    return {e["event_id"] for e in page["events"]}


# -- events and filters -------------------------------------------------------------------------


def test_dyad_either_direction_including_a_second_actor(client, fixture):
    page = client.get("/api/events", params={"dyad": "SRB,XKX"}).json()
    ev = fixture.events
    # mobilize SRB>XKX, accuse XKX>SRB, consult (RUS+SRB)>XKX through its second source, leaflet SRB>XKX;
    # the hypothetical threat only with all=true
    assert ids(page) == {ev[n].event_id for n in ("mobilize", "accuse", "consult", "leaflet")}
    assert page["total"] == 4
    assert [e["date"] for e in page["events"]] == sorted((e["date"] for e in page["events"]), reverse=True)
    reverse = client.get("/api/events", params={"dyad": "xkx, srb"}).json()
    assert ids(reverse) == ids(page)
    everything = client.get("/api/events", params={"dyad": "SRB,XKX", "all": "true"}).json()
    assert ids(everything) == ids(page) | {ev["threat"].event_id}


def test_dyad_and_country_match_a_plain_query_for_every_pair(tmp_path):
    """The fast dyad and country queries (first countries, plus the rest from event_actors) give
    what Store.events and a plain query give, each event once, for every pair of countries."""
    fixture = build(tmp_path / "pairs.duckdb")
    XKX_COP = actor("XKXCOP", "Kosovo police")
    extra, spans, events = article_parts(
        "pairs",
        "Pairs",
        "2023-07-01",
        ["Serbia warned Kosovo and its police.", "Serbian and Russian officials met.", "Nobody did anything."],
        [
            # a first-country match that also has a later actor of the pair: counted once
            Spec(0, "THREATEN", [SRB_GOV], [XKX_GOV, XKX_COP], "2023-07-01", quad=3),
            # a country with itself
            Spec(1, "CONSULT", [SRB_GOV], [SRB_MIL], "2023-07-01", quad=1),
            # actors without a country come first: the first country is the second actor's
            Spec(2, "REJECT", [Actor("someone"), XKX_GOV], [Actor("others"), RUS_GOV], "2023-07-01", quad=3),
        ],
    )
    with open_store(fixture.db) as store:
        store.save(extra, spans, events)
        countries = [r[0] for r in store.con.execute("SELECT DISTINCT country FROM event_actors").fetchall()]
        countries = [c for c in countries if c]
        for a in countries:
            rows = store.con.execute("SELECT DISTINCT event_id FROM event_actors WHERE country = ?", [a]).fetchall()
            has_a = {r[0] for r in rows}
            total, got = queries.list_events(store.con, queries.EventFilter(country=a, include_all=True), 100)
            assert total == len(got) == len(has_a) and {e["event_id"] for e in got} == has_a, a
            for b in countries:
                expected = {e["event_id"] for e in store.events((a, b), actual_only=False)}
                total, got = queries.list_events(store.con, queries.EventFilter(dyad=(a, b), include_all=True), 100)
                assert total == len(got) == len(expected) and {e["event_id"] for e in got} == expected, (a, b)


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"type": "ASSAULT"}, {"police", "kfor", "gao", "kharkiv"}),
        ({"type": ["MOBILIZE", "accuse"]}, {"mobilize", "accuse"}),
        ({"type": "MOBILIZE,ACCUSE", "all": "true"}, {"mobilize", "accuse", "threat"}),
        ({"acled_type": "Riots"}, {"police", "kfor"}),
        ({"since": "2023-05-30", "until": "2023-06-01"}, {"consult"}),
        ({"until": "2023-03-31"}, {"kharkiv", "suva"}),
        ({"bbox": "20,42,22,44"}, {"mobilize", "accuse", "police", "kfor", "consult"}),
        ({"bbox": "170,-30,-170,0"}, {"suva"}),  # across the antimeridian
        ({"q": "JARINJE crossing"}, {"mobilize"}),
        ({"q": "<script>"}, {"leaflet"}),
        ({"q": "%"}, set()),  # LIKE wildcards are searched for as they are
        ({"q": "_"}, {"leaflet"}),
        ({"country": "mli"}, {"gao"}),
        ({"country": "XKX", "type": "ASSAULT"}, {"police", "kfor"}),
        ({"country": "SRB"}, {"mobilize", "accuse", "consult", "leaflet"}),  # consult: Serbia is its second source
        ({"country": "RUS", "all": "true"}, {"consult", "kharkiv"}),
        ({"country": "SRB", "dyad": "RUS,XKX"}, {"consult"}),
        ({"actor": "KFOR"}, {"kfor"}),
        ({"actor": "IGO"}, {"kfor"}),
        ({"actor": "SRBMIL"}, {"mobilize"}),
        ({"actor": "RUS"}, {"consult", "kharkiv"}),
        ({"dyad": "SRB,XKX", "type": "CONSULT"}, {"consult"}),
        ({"dyad": "SRB,XKX", "bbox": "20,42,21,44"}, {"mobilize"}),
        ({"dyad": "SRB,XKX", "actor": "RUS"}, {"consult"}),
        ({"dyad": "UKR,RUS", "type": "AGREE"}, set()),
    ],
)
def test_filters(client, fixture, params, names):
    page = client.get("/api/events", params=params).json()
    assert ids(page) == {fixture.events[n].event_id for n in names}
    assert page["total"] == len(names)


@pytest.mark.parametrize(
    "params",
    [
        {"dyad": "SRB"},
        {"dyad": "SRB,XKX,ALB"},
        {"dyad": "SERBIA,XKX"},
        {"country": "1'3"},
        {"type": "ASSAULT; DROP TABLE events"},
        {"type": ["ASSAULT", ""]},
        {"actor": "SRB' OR 1=1 --"},
        {"bbox": "1,2,3"},
        {"bbox": "nan,1,2,3"},
        {"bbox": "1e400,1,2,3"},
    ],
)
def test_bad_filters_are_refused_with_a_reason(client, params):
    response = client.get("/api/events", params=params)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"][:2] == ["query", next(iter(params))]


def test_the_query_layer_checks_filters_itself():
    """For library use, without FastAPI's checks in front."""
    for parse, value in [
        (queries.parse_dyad, "SRB"),
        (queries.parse_actor, "x' OR 1=1"),
        (queries.country_code, "SERBIA"),
        (queries.parse_bbox, "1,2,3"),
    ]:
        with pytest.raises(queries.QueryError):
            parse(value)
    with pytest.raises(queries.QueryError):
        queries.parse_types(["ASSAULT;"])
    assert queries.parse_dyad(" srb , xkx ") == ("SRB", "XKX")
    assert queries.parse_types(["assault, coerce", "ASSAULT"]) == ("ASSAULT", "COERCE")


@pytest.mark.parametrize(
    ("bbox", "box"),
    [
        ("18,41,23,44", (18, 41, 23, 44)),
        ("18,44,23,41", (18, 41, 23, 44)),  # south and north put in order
        ("0,-95,10,95", (0, -90, 10, 90)),  # latitudes clamped
        ("170,-30,190,0", (170, -30, -170, 0)),  # east of 180 wraps: the box crosses the antimeridian
        ("-180,-90,180,90", (-180, -90, 180, 90)),
        ("-200,0,200,10", (-180, 0, 180, 10)),  # more than the whole world
        ("170,0,180,10", (170, 0, 180, 10)),
    ],
)
def test_bbox_reading(bbox, box):
    assert queries.parse_bbox(bbox) == box


def test_bbox_across_the_antimeridian_written_past_180(client, fixture):
    page = client.get("/api/events", params={"bbox": "170,-30,190,0"}).json()
    assert ids(page) == {fixture.events["suva"].event_id}


def test_type_validation_answers_422(client):
    assert client.get("/api/events", params={"since": "yesterday"}).status_code == 422
    assert client.get("/api/events", params={"limit": 101}).status_code == 422  # over api_max_page_size
    assert client.get("/api/events", params={"limit": 0}).status_code == 422
    assert client.get("/api/events", params={"offset": -1}).status_code == 422


def test_paging(client):
    first = client.get("/api/events", params={"limit": 3}).json()
    second = client.get("/api/events", params={"limit": 3, "offset": 3}).json()
    everything = client.get("/api/events", params={"limit": 100}).json()
    assert first["total"] == second["total"] == everything["total"] == 9
    assert [e["event_id"] for e in first["events"] + second["events"]] == [
        e["event_id"] for e in everything["events"][:6]
    ]
    beyond = client.get("/api/events", params={"offset": 50}).json()
    assert beyond["events"] == [] and beyond["total"] == 9


def test_points_for_the_map(client, fixture):
    data = client.get("/api/events/points", params={"dyad": "SRB,XKX"}).json()
    assert data["total"] == 4 and not data["truncated"]
    by_id = {p["event_id"]: p for p in data["points"]}
    mobilize = by_id[fixture.events["mobilize"].event_id]
    assert (mobilize["lat"], mobilize["lon"], mobilize["location_name"]) == (43.146, 20.768, "Jarinje")


def test_events_are_the_contract(client, fixture):
    event = client.get("/api/events", params={"type": "MOBILIZE"}).json()["events"][0]
    assert event == fixture.events["mobilize"].to_dict()


# -- one event, one article ---------------------------------------------------------------------


def test_a_report_of_a_stored_event_is_listed_once_with_its_mentions(tmp_path):
    fixture = build(tmp_path / "mentions.duckdb")
    canonical = fixture.events["mobilize"]
    other, spans, events = article_parts(
        "border-2",
        "Troops head for the border",
        "2023-05-30",
        ["Serbian army units were seen near Jarinje on Monday, a second outlet reported."],
        [Spec(0, "MOBILIZE", [SRB_MIL], [XKX_GOV], "2023-05-29", JARINJE)],
    )
    with open_store(fixture.db) as store:
        store.save(other, spans, events)  # the store merges it into the earlier report
    (report,) = events
    with serving(create_app(Settings(db=str(fixture.db)))) as base:
        listed = httpx.get(f"{base}/api/events", params={"dyad": "SRB,XKX", "type": "MOBILIZE"}).json()
        assert [e["event_id"] for e in listed["events"]] == [canonical.event_id]
        assert listed["events"][0]["mentions"] == 2 and listed["events"][0]["sources"] == 2
        detail = httpx.get(f"{base}/api/events/{canonical.event_id}").json()
        assert [m["event_id"] for m in detail["mentions"]] == [canonical.event_id, report.event_id]
        assert detail["mentions"][1]["title"] == "Troops head for the border"
        from_report = httpx.get(f"{base}/api/events/{report.event_id}").json()
        assert from_report["event"]["mention_of"] == canonical.event_id
        assert [m["event_id"] for m in from_report["mentions"]] == [canonical.event_id, report.event_id]
        assert httpx.get(f"{base}/api/meta").json()["events"] == 10


def test_event_detail_has_its_article_mentions_and_sentences(client, fixture):
    ev = fixture.events["consult"]
    detail = client.get(f"/api/events/{ev.event_id}").json()
    assert detail["event"]["event_id"] == ev.event_id
    assert detail["article"]["title"] == "Clashes in Zvečan"
    assert detail["mentions"][0]["sentence"] == ev.sentence
    hits = [s for s in detail["sentences"] if s["event"]]
    assert [s["text"] for s in hits] == [ev.sentence]
    assert [s["idx"] for s in detail["sentences"]] == [1, 2, 3]  # its neighbours too
    text = fixture.articles["zvecan"].text
    assert text[hits[0]["start"] : hits[0]["end"]] == ev.sentence


def test_article_with_its_text_sentences_and_event_spans(client, fixture):
    article = fixture.articles["leaflet"]
    data = client.get(f"/api/articles/{article.article_id}").json()
    assert data["title"] == XSS_TITLE  # JSON carries the text as it is; the page shows it as text
    assert data["text"] == article.text
    assert len(data["sentences"]) == 2
    (event,) = data["events"]
    assert data["text"][event["sentence_start"] : event["sentence_end"]] == XSS_SENTENCE


def test_unknown_ids_are_404(client):
    for path in ("/api/events/nope", "/api/articles/nope", "/api/events/%27%20OR%201%3D1"):
        response = client.get(path)
        assert response.status_code == 404
        assert "detail" in response.json()


def test_meta_and_health(client):
    meta = client.get("/api/meta").json()
    assert meta["events"] == 10 and meta["articles"] == 6 and meta["ingest"] is False
    assert "ASSAULT" in meta["plover_types"] and "Riots" in meta["acled_types"]
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["read_only"] is True


def test_dyad_series(client):
    data = client.get("/api/dyads/SRB/XKX/series").json()
    assert data["dyad"] == "SRB-XKX" and data["by"] == "day"
    by_day = {r["period"]: r for r in data["rows"]}
    assert min(by_day) == "2023-05-29" and max(by_day) == "2023-06-06"
    assert by_day["2023-05-29"]["events"] == 2 and by_day["2023-05-30"]["events"] == 1
    assert sum(r["events"] for r in data["rows"]) == 4
    assert client.get("/api/dyads/SRB/XKX/series", params={"by": "year"}).status_code == 422
    too_long = {"since": "1900-01-01", "until": "2023-01-01"}
    assert client.get("/api/dyads/SRB/XKX/series", params=too_long).status_code == 400
    assert client.get("/api/dyads/SERBIA/XKX/series").status_code == 422
    assert client.get("/api/dyads/SRB@srb+XKX/XKX/series").status_code == 200


def test_alerts_listed_and_infinite_ratios_become_null(tmp_path):
    db = tmp_path / "alerts.duckdb"
    add_alert(db, "a1", expected=0.0)  # observed 7 over 0 expected: an infinite ratio
    with serving(create_app(Settings(db=str(db)))) as base:
        data = httpx.get(f"{base}/api/alerts").json()
        (listed,) = data["alerts"]
        assert listed["alert_id"] == "a1" and listed["observed"] == 7
        assert listed["ratio"] is None  # JSON has no infinity
        assert httpx.get(f"{base}/api/alerts", params={"rule": "other"}).json() == {"alerts": []}


# -- security -----------------------------------------------------------------------------------


def test_security_headers_everywhere(client):
    for path in ("/", "/api/events", "/static/js/app.js", "/api/events/nope", "/events/x"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "unsafe" not in CONTENT_SECURITY_POLICY
    assert client.get("/api/events").headers["cache-control"] == "no-store"


def test_no_cdn_docs_only_the_schema(client):
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    schema = client.get("/openapi.json").json()
    assert {"/api/events", "/api/events/{event_id}", "/api/articles/{article_id}", "/api/dyads/{a}/{b}/series",
            "/api/alerts", "/api/ingest", "/healthz"} <= set(schema["paths"])  # fmt: skip


def test_dashboard_files_have_no_inline_code_or_html_sinks():
    """What the CSP enforces, checked at the source: no inline scripts, styles or handlers in
    the page; no HTML-parsing sinks in the scripts."""
    index = (WEB_DIR / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", index)
    assert not re.search(r"\s(on\w+|style)=", index)
    for script in (WEB_DIR / "js").rglob("*.js"):
        code = script.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in code, (script.name, sink)
    for vendored in ("vendor/countries-110m.json", "vendor/topojson-client.min.js", "vendor/LICENSES.md"):
        assert (WEB_DIR / vendored).is_file()


def test_request_bodies_over_the_limit_are_refused(client):
    big = "x" * 20_000
    response = client.post("/api/ingest", json={"text": big})
    assert response.status_code == 413
    # streamed without a Content-Length: counted as it arrives
    chunks = (b"x" * 4096 for _ in range(5))
    response = client.post("/api/ingest", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_ingest_is_off_without_a_token(client):
    response = client.post("/api/ingest", json={"text": "Rebels attacked a police station in Goma."})
    assert response.status_code == 403


def test_reads_cannot_write(fixture):
    with open_store(fixture.db, read_only=True):  # a second reader is fine while the server reads
        pass
    db = Database(fixture.db, writable=False)
    try:
        with db.reading() as store, pytest.raises(duckdb.Error):
            store.con.execute("DELETE FROM events")
    finally:
        db.close()


def test_read_transactions_cannot_write_on_a_writable_database(tmp_path):
    db = Database(tmp_path / "rw.duckdb", writable=True)
    try:
        with db.reading() as store, pytest.raises(duckdb.TransactionException):
            store.con.execute("INSERT INTO articles (article_id, origin, status) VALUES ('a', 'b', 'ok')")
        # while a writer holds the write lock, reads go on (and see only committed data)
        with db.writing() as writer:
            writer.con.execute("BEGIN TRANSACTION")
            writer.con.execute("INSERT INTO articles (article_id, origin, status) VALUES ('a', 'b', 'ok')")
            seen: list[int] = []
            reader = threading.Thread(
                target=lambda: seen.append(_count_articles(db)),
            )
            reader.start()
            reader.join(timeout=5)
            assert seen == [0]
            writer.con.execute("COMMIT")
        assert _count_articles(db) == 1
    finally:
        db.close()


def _count_articles(db: Database) -> int:
    with db.reading() as store:
        return store.con.execute("SELECT count(*) FROM articles").fetchone()[0]


def test_token_comparison():
    assert token_matches(TOKEN, TOKEN)
    assert not token_matches(TOKEN[:-1] + "x", TOKEN)
    assert not token_matches("", TOKEN)
    assert not token_matches(None, TOKEN)
    assert not token_matches("", "")  # no token configured never matches


def test_short_tokens_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="at least 16"):
        create_app(Settings(db=str(tmp_path / "t.duckdb"), api_token="secret"))


def test_host_header_is_checked_for_a_loopback_server(fixture):
    app = create_app(Settings(db=str(fixture.db)), allowed_hosts=loopback_hosts("127.0.0.1"))
    with serving(app) as base:
        assert httpx.get(f"{base}/healthz").status_code == 200
        rebound = httpx.get(f"{base}/healthz", headers={"host": "attacker.example"})
        assert rebound.status_code == 400
    assert loopback_hosts("0.0.0.0") is None


# -- ingest -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ingest_server(tmp_path_factory: pytest.TempPathFactory, pipeline) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("ingest") / "ingest.duckdb"
    app = create_app(Settings(db=str(db), api_token=TOKEN), pipeline=pipeline)
    with serving(app) as base:
        yield base, db


def test_ingest_needs_the_token(ingest_server):
    base, _ = ingest_server
    body = {"text": "Rebels attacked a police station in Goma on Monday.", "published": "2024-03-06"}
    assert httpx.post(f"{base}/api/ingest", json=body).status_code == 401
    wrong = httpx.post(f"{base}/api/ingest", json=body, headers={"Authorization": "Bearer " + TOKEN[::-1]})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    basic = httpx.post(f"{base}/api/ingest", json=body, auth=("user", TOKEN))
    assert basic.status_code == 401


def test_ingest_codes_and_stores_once(ingest_server):
    base, _ = ingest_server
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {
        "text": "Serbian police arrested two Kosovo Albanians near Jarinje on Friday.",
        "title": "Arrests at the border",
        "published": "2023-06-17",
        "id": "post-1",
    }
    first = httpx.post(f"{base}/api/ingest", json=body, headers=auth, timeout=60)
    assert first.status_code == 200, first.text
    result = first.json()
    assert result["status"] == "ok" and result["stored"] is True and result["events"]
    again = httpx.post(f"{base}/api/ingest", json=body, headers=auth).json()
    assert again["stored"] is False and again["events"] == result["events"]
    event = httpx.get(f"{base}/api/events/{result['events'][0]}").json()
    assert event["article"]["title"] == "Arrests at the border"
    assert httpx.get(f"{base}/api/meta").json()["ingest"] is True


def test_ingest_of_a_page_and_of_nothing(ingest_server):
    base, _ = ingest_server
    auth = {"Authorization": f"Bearer {TOKEN}"}
    page = (
        "<html><head><title>Goma</title></head><body><article><p>Rebels attacked a police station in Goma on"
        " Monday, killing two officers, the army said.</p></article></body></html>"
    )
    html = httpx.post(f"{base}/api/ingest", json={"html": page, "published": "2024-03-06"}, headers=auth).json()
    assert html["status"] == "ok" and len(html["events"]) == 1
    article = httpx.get(f"{base}/api/articles/{html['article_id']}").json()
    assert article["title"] == "Goma" and article["text"].startswith("Rebels attacked a police station")
    event = httpx.get(f"{base}/api/events/{html['events'][0]}").json()["event"]
    assert event["type"] == "ASSAULT" and event["fatalities"] == 2
    empty = httpx.post(f"{base}/api/ingest", json={"text": "   "}, headers=auth).json()
    assert empty["status"] == "empty" and empty["events"] == []
    both = httpx.post(f"{base}/api/ingest", json={"text": "a", "html": "<p>a</p>"}, headers=auth)
    assert both.status_code == 422
    extra = httpx.post(f"{base}/api/ingest", json={"text": "a", "sql": "DROP TABLE events"}, headers=auth)
    assert extra.status_code == 422


# -- powderkeg serve ------------------------------------------------------------------------------


def test_serve_command_serves_the_database(fixture):
    port = free_port()
    command = [sys.executable, "-m", "powderkeg", "serve", "--db", str(fixture.db), "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if k != "POWDERKEG_API_TOKEN"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
                time.sleep(0.1)
        assert health.json()["read_only"] is True
        page = httpx.get(f"http://127.0.0.1:{port}/api/events", params={"dyad": "SRB,XKX"}).json()
        assert page["total"] == 4
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_without_a_database_says_what_to_do(tmp_path):
    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "no database" in result.output and "powderkeg ingest" in result.output


def test_reads_are_answered_while_an_ingest_is_writing(tmp_path, pipeline, monkeypatch):
    """An ingest holds the database's one writer for as long as it stores; readers are not kept
    waiting, and see the database as it was until the write commits."""
    from powderkeg.store import Store

    db = tmp_path / "busy.duckdb"
    writing, release = threading.Event(), threading.Event()
    merge = Store._merge_reports

    def held_merge(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        merge(self, *args, **kwargs)
        writing.set()  # the article's rows are inserted, the transaction not committed
        assert release.wait(timeout=60)

    monkeypatch.setattr(Store, "_merge_reports", held_merge)
    app = create_app(Settings(db=str(db), api_token=TOKEN), pipeline=pipeline)
    body = {"text": "Rebels attacked a police station in Goma on Monday.", "published": "2024-03-06", "id": "held"}
    answers: list[httpx.Response] = []
    with serving(app) as base:
        post = threading.Thread(
            target=lambda: answers.append(
                httpx.post(f"{base}/api/ingest", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
            )
        )
        post.start()
        try:
            assert writing.wait(timeout=60), "the ingest never reached its write"
            for _ in range(3):
                events = httpx.get(f"{base}/api/events", timeout=10)
                assert events.status_code == 200 and events.json()["events"] == []
                assert httpx.get(f"{base}/api/meta", timeout=10).status_code == 200
            assert post.is_alive() and not answers, "the reads were answered while the write was still open"
        finally:
            release.set()
            post.join(timeout=60)
        assert answers and answers[0].status_code == 200, answers
        stored = answers[0].json()
        assert stored["stored"] is True and stored["events"]
        after = httpx.get(f"{base}/api/events", timeout=10).json()["events"]
        assert [e["event_id"] for e in after] == stored["events"]
