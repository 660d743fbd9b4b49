"""Fetching over HTTP from a real server on 127.0.0.1 (tests/newsroom.py): every kind of trouble
ends in a recorded status with a reason, the rest is stored, re-running asks conditionally and
stores nothing new, and copies of one wire story become one story."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsroom import FEED_A_ETAG, FEED_B_MODIFIED, Site, serve
from powderkeg.cli import app
from powderkeg.config import Settings
from powderkeg.sources.feeds import looks_like_feed, read_feed_list
from powderkeg.sources.web import Fetcher, FetchRequest, Outcome, decode_html
from powderkeg.store import open_store

# short timeouts and backoff keep the slow cases fast; max_bytes cuts the 30 MB bodies at 1 MB
FAST = {
    "fetch_timeout": 0.5,
    "fetch_deadline": 5.0,
    "fetch_retries": 1,
    "fetch_backoff": 0.05,
    "host_delay": 0.0,
    "host_concurrency": 8,
    "fetch_concurrency": 8,
    "max_bytes": 1_000_000,
    "user_agent": "powderkeg-test/1.0",
}


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve() as running:
        yield running


@pytest.fixture
def fetcher() -> Fetcher:
    return Fetcher(Settings(**FAST))


def by_path(store, site: Site) -> dict[str, dict]:
    cols = ["origin", "status", "reason", "story_id", "text", "title", "url", "article_id"]
    rows = store.con.execute(f"SELECT {', '.join(cols)} FROM articles").fetchall()
    return {r[0].removeprefix(site.base): dict(zip(cols, r, strict=True)) for r in rows}


def test_feeds_are_fetched_and_every_failure_is_recorded(pipeline, site, fetcher, db_path):
    site.reset()
    feeds = [site.url("/feed-a.xml"), site.url("/feed-b.xml"), site.url("/feed-bad.xml")]
    started = time.monotonic()
    with open_store(db_path) as store:
        report = pipeline.fetch([], store, feeds=feeds, fetcher=fetcher)
        got = by_path(store, site)
        urls = [r[0] for r in store.con.execute("SELECT url FROM fetch_state").fetchall()]
        states = {k.removeprefix(site.base): v for k, v in store.fetch_states(urls).items()}
        wire_ids = {got[f"/story/wire-{i}.html"]["article_id"] for i in (1, 2, 3)}
        wire_events = [e for e in store.events() if e["type"] == "ASSAULT" and e["article_id"] in wire_ids]
    assert time.monotonic() - started < 20

    ok = ["/story/wire-1.html", "/story/wire-2.html", "/story/wire-3.html", "/story/other-a.html",
          "/story/other-b.html", "/story/bad-ok.html", "/cp1251.html"]  # fmt: skip
    for path in ok:
        assert got[path]["status"] == "ok", (path, got[path]["reason"])
    assert got["/slow.html"]["status"] == "error" and "timed out" in got["/slow.html"]["reason"]
    assert "2 attempts" in got["/slow.html"]["reason"]
    assert got["/error500.html"]["status"] == "error" and "HTTP 500" in got["/error500.html"]["reason"]
    assert (
        got["/loop/a"]["status"] == "error"
        and "redirect loop: /loop/a -> /loop/b -> /loop/a" in got["/loop/a"]["reason"]
    )
    assert got["/huge.html"]["status"] == "too_large" and "stopped reading" in got["/huge.html"]["reason"]
    assert got["/private/secret.html"]["status"] == "error" and "robots.txt" in got["/private/secret.html"]["reason"]
    assert got["/feed-bad.xml"]["status"] == "invalid" and "malformed feed" in got["/feed-bad.xml"]["reason"]
    assert "1 entries read anyway" in got["/feed-bad.xml"]["reason"]
    for row in got.values():
        if row["status"] != "ok":
            assert row["reason"] and "\n" not in row["reason"]

    # windows-1251 without a charset header: detected, and the Cyrillic survives
    assert "Донецк" in got["/cp1251.html"]["text"] and "Горловка" in got["/cp1251.html"]["text"]
    # the feed's metadata is kept, the URL is the page's
    assert got["/story/wire-2.html"]["url"] == site.url("/story/wire-2.html")

    hits = site.paths()
    assert "/private/secret.html" not in hits  # robots.txt was asked first
    assert hits.count("/robots.txt") == 1
    assert hits.count("/error500.html") == 2  # one retry
    assert hits.count("/huge.html") == 1  # too large is not retried
    assert hits.count("/story/wire-1.html") == 1  # linked from two feeds, fetched once
    assert all(h.headers["user-agent"] == "powderkeg-test/1.0" for h in site.hits)

    # fetch state: validators kept, failures marked for a retry or not
    assert states["/feed-a.xml"].etag == FEED_A_ETAG and states["/feed-a.xml"].final
    assert states["/feed-b.xml"].last_modified == FEED_B_MODIFIED
    assert states["/slow.html"].outcome == "timeout" and not states["/slow.html"].final
    assert states["/error500.html"].http_status == 500 and not states["/error500.html"].final
    assert states["/huge.html"].outcome == "too_large" and states["/huge.html"].final
    assert states["/private/secret.html"].outcome == "robots" and states["/private/secret.html"].final
    assert states["/story/wire-1.html"].article_id == got["/story/wire-1.html"]["article_id"]

    # the wire story and its rewrites, from two feeds, are one story; the others are stories of their own
    wire = {got[f"/story/wire-{i}.html"]["story_id"] for i in (1, 2, 3)}
    assert len(wire) == 1 and None not in wire
    others = [got[p]["story_id"] for p in ok if "wire" not in p]
    assert len(set(others)) == len(others) and not wire & set(others)
    # ... and the attack it reports is one event, reported by all three articles (the pages arrive
    # in any order, so which report is the canonical one varies)
    assert max(e["sources"] for e in wire_events) == 3, [(e["sentence"][:60], e["sources"]) for e in wire_events]

    assert report.stored == 7 and report.feeds == 3 and not report.failed_all
    assert len(report.problems) == 6


def test_refetching_unchanged_feeds_asks_conditionally_and_stores_nothing(pipeline, site, fetcher, db_path):
    feeds = [site.url("/feed-a.xml"), site.url("/feed-b.xml"), site.url("/feed-bad.xml")]
    with open_store(db_path) as store:
        pipeline.fetch([], store, feeds=feeds, fetcher=fetcher)
        before = store.con.execute("SELECT article_id, story_id FROM articles ORDER BY 1").fetchall()
        site.reset()
        again = pipeline.fetch([], store, feeds=feeds, fetcher=fetcher)
        after = store.con.execute("SELECT article_id, story_id FROM articles ORDER BY 1").fetchall()
    assert after == before
    assert again.stored == 0 and again.events == 0
    hits = {h.path: h for h in site.hits}
    assert hits["/feed-a.xml"].headers.get("if-none-match") == FEED_A_ETAG
    assert hits["/feed-b.xml"].headers.get("if-modified-since") == FEED_B_MODIFIED
    assert again.not_modified == 3  # two 304s, and the same bytes again from the feed without validators
    # pages stored before are not asked again; only the passing failures are retried
    assert not any(p.startswith("/story/") for p in hits)
    assert {"/slow.html", "/error500.html"} <= set(hits)
    assert "/huge.html" not in hits and "/loop/a" not in hits


def test_fetch_tells_pages_from_feeds(pipeline, site, fetcher, db_path):
    urls = [site.url("/story/page.html"), site.url("/feed-a.xml"), site.url("/retry-after.html"),
            site.url("/image.png"), "ftp://example.org/x.html", site.url("/nowhere.html")]  # fmt: skip
    with open_store(db_path) as store:
        report = pipeline.fetch(urls, store, fetcher=fetcher)
        got = by_path(store, site)
        states = store.fetch_states([site.url("/feed-a.xml"), site.url("/retry-after.html")])
    assert got["/story/page.html"]["status"] == "ok"
    assert got["/story/page.html"]["title"] == "Opposition leader arrested in Harare after rally"
    assert got["/story/wire-1.html"]["status"] == "ok"  # the feed was recognised and its links followed
    assert states[site.url("/feed-a.xml")].kind == "feed"
    retry = got["/retry-after.html"]["reason"]
    assert "HTTP 503" in retry and "Retry-After of 3600 s is over the" in retry  # gave up at once, no long wait
    assert not states[site.url("/retry-after.html")].final
    assert got["/image.png"]["status"] == "not_text"
    assert got["ftp://example.org/x.html"]["status"] == "invalid"
    assert got["/nowhere.html"]["status"] == "error" and "HTTP 404" in got["/nowhere.html"]["reason"]
    assert report.stored >= 3


def test_a_page_fetched_before_is_not_fetched_again(pipeline, site, fetcher, db_path):
    url = site.url("/story/page.html")
    with open_store(db_path) as store:
        pipeline.fetch([url], store, fetcher=fetcher)
        site.reset()
        again = pipeline.fetch([url], store, fetcher=fetcher)
        assert again.known == 1 and site.paths() == []
        refreshed = pipeline.fetch([url], store, fetcher=fetcher, refresh=True)
    assert site.paths() == ["/story/page.html"] and refreshed.stored == 0 and refreshed.unchanged == 1


def test_a_stopped_run_fetches_what_is_missing(pipeline, site, fetcher, db_path):
    """Fetch state is written only once a page's article is stored: a run that stops half way and
    is run again ends with the same articles as one uninterrupted run."""
    feeds = [site.url("/feed-b.xml")]
    calls = 0

    def stop_after_two(origin: str) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:  # the feed, then two pages
            raise KeyboardInterrupt

    with open_store(db_path) as store:
        with pytest.raises(KeyboardInterrupt):
            pipeline.fetch([], store, feeds=feeds, fetcher=fetcher, progress=stop_after_two)
        pipeline.fetch([], store, feeds=feeds, fetcher=fetcher)
        resumed = ok_ids(store)
    with open_store(db_path.with_name("whole.duckdb")) as store:
        pipeline.fetch([], store, feeds=feeds, fetcher=Fetcher(Settings(**FAST)))
        whole = ok_ids(store)
    assert resumed == whole and len(whole) == 5


def ok_ids(store) -> list[str]:  # noqa: ANN001
    return sorted(r[0] for r in store.con.execute("SELECT article_id FROM articles WHERE status = 'ok'").fetchall())


def test_watch_polls_until_stopped(pipeline, site, fetcher, db_path):
    """Polls until Ctrl-C, which ends the loop cleanly; between polls the database is closed, so
    another process can read it."""
    lines: list[str] = []
    between: list[subprocess.CompletedProcess] = []
    reader = (
        "import duckdb, sys; "
        "print(duckdb.connect(sys.argv[1], read_only=True).execute('SELECT count(*) FROM articles').fetchone()[0])"
    )

    def feeds() -> list[str]:  # called before each poll opens the database
        if lines:
            between.append(subprocess.run([sys.executable, "-c", reader, str(db_path)], capture_output=True, text=True))
        return [site.url("/feed-b.xml")]

    def log(number: int, report) -> None:  # noqa: ANN001
        lines.append(f"poll {number}: {report.summary()}")
        if number == 2:
            raise KeyboardInterrupt  # Ctrl-C during the second poll's callback

    totals = pipeline.watch(feeds, lambda: open_store(db_path), every=0.05, fetcher=fetcher, on_poll=[log])
    assert totals.interrupted and totals.polls == 2
    assert "5 new article(s)" in lines[0] and "1 feed(s) (1 not modified)" in lines[1]
    assert "0 new article(s)" in lines[1]
    assert between[0].returncode == 0, between[0].stderr
    assert int(between[0].stdout) >= 5


def test_host_limits_and_retries(site):
    site.reset()
    fetcher = Fetcher(Settings(**{**FAST, "host_concurrency": 2, "fetch_concurrency": 8}))
    results = fetcher.fetch_all(FetchRequest(site.url(f"/hold.html?{i}")) for i in range(6))
    assert all(r.ok for r in results)
    assert site.most_in_flight == 2

    site.reset()
    spaced = Fetcher(Settings(**{**FAST, "host_delay": 0.1}))
    spaced.fetch_all(FetchRequest(site.url(f"/story/page.html?{i}")) for i in range(3))
    starts = [h.at for h in site.hits if h.path.startswith("/story/")]
    assert len(starts) == 3 and all(b - a >= 0.07 for a, b in zip(starts, starts[1:], strict=False))  # 0.1 s apart

    site.flaky_left = 1
    [result] = fetcher.fetch_all([FetchRequest(site.url("/flaky.html"))])
    assert result.ok and result.attempts == 2


def test_body_limits_and_redirect_cap(site):
    fetcher = Fetcher(Settings(**{**FAST, "max_redirects": 0}))
    declared, looped = fetcher.fetch_all(FetchRequest(site.url(p)) for p in ("/huge-declared.html", "/loop/a"))
    assert declared.outcome is Outcome.TOO_LARGE and "Content-Length of 30.0 MB" in declared.reason
    assert looped.outcome is Outcome.REDIRECTS and "more than 0 redirects" in looped.reason


def test_decoding_order():
    text = "Приштина"
    assert decode_html(text.encode("cp1251"), "text/html; charset=windows-1251").source == "header"
    meta = f"<html><head><meta charset='koi8-r'></head><body>{text}</body></html>".encode("koi8_r")
    assert decode_html(meta).text.endswith(f"{text}</body></html>") and decode_html(meta).source == "meta"
    assert decode_html("café".encode()).source == "utf-8"
    assert decode_html(b"\xef\xbb\xbfhello").text == "hello"


def test_feed_detection_and_lists(tmp_path: Path):
    assert looks_like_feed("application/atom+xml", b"")
    assert looks_like_feed("text/xml", b'<?xml version="1.0"?>\n<!-- c --><rss version="2.0">')
    assert looks_like_feed("", b"<feed xmlns='http://www.w3.org/2005/Atom'>")
    assert not looks_like_feed("text/html", b"<!DOCTYPE html><html><body>rss</body></html>")
    assert not looks_like_feed("application/json", b"{}")
    plain = tmp_path / "feeds.txt"
    plain.write_text(
        "# my feeds\nhttps://a.example/rss\n\nhttps://b.example/x.xml#frag  # note\nhttps://a.example/rss\n"
    )
    assert read_feed_list(plain) == ["https://a.example/rss", "https://b.example/x.xml#frag"]
    opml = tmp_path / "feeds.opml"
    opml.write_text('<opml version="2.0"><body><outline text="news"><outline xmlUrl="https://c.example/feed"/>'
                    "</outline></body></opml>")  # fmt: skip
    assert read_feed_list(opml) == ["https://c.example/feed"]


def test_cli_fetch_and_watch(site, tmp_path, monkeypatch):
    for name, value in FAST.items():
        monkeypatch.setenv(f"POWDERKEG_{name.upper()}", str(value))
    db = tmp_path / "cli.duckdb"
    runner = CliRunner()
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("# the coast\n" + site.url("/feed-b.xml") + "\n")
    result = runner.invoke(app, ["fetch", "--feeds", str(feeds), site.url("/story/page.html"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "6 new article(s)" in result.output and "redirect loop" in result.output
    watched = runner.invoke(app, ["watch", "--feeds", str(feeds), "--every", "1s", "--max-polls", "2", "--db", str(db)])
    assert watched.exit_code == 0, watched.output
    polls = [line for line in watched.output.splitlines() if " poll " in line]
    assert len(polls) == 2 and all("0 new article(s)" in line for line in polls)
    assert "watch ended after 2 poll(s)" in watched.output
    listed = runner.invoke(app, ["articles", "--db", str(db), "--format", "json"])
    rows = [json.loads(line) for line in listed.output.splitlines() if line.startswith("{")]
    assert {"story_id", "article_id", "status", "origin"} <= set(rows[0])
    assert all(r["story_id"] for r in rows if r["status"] == "ok")
    bad = runner.invoke(app, ["fetch", "--db", str(db)])
    assert bad.exit_code != 0 and "give URLs" in bad.output


def test_ctrl_c_ends_watch_cleanly(site, tmp_path):
    """A real SIGINT to a running ``powderkeg watch``: it ends with its summary line and exit 0."""
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(site.url("/feed-b.xml") + "\n")
    env = {**os.environ, **{f"POWDERKEG_{k.upper()}": str(v) for k, v in FAST.items()}, "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "-m", "powderkeg", "watch", "--feeds", str(feeds), "--every", "1h",
            "--db", str(tmp_path / "w.duckdb")]  # fmt: skip
    process = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 180  # a first run on a fresh machine builds the gazetteer index
        lines: list[str] = []
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            lines.append(line)
            if " poll 1: " in line or not line:  # the first poll is logged, or the process ended
                break
        assert " poll 1: " in lines[-1], "".join(lines)
        process.send_signal(signal.SIGINT)  # while it waits for the next poll
        _, rest = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert "watch ended after 1 poll(s) (Ctrl-C): 5 new article(s)" in rest
    assert "Traceback" not in rest


def test_ctrl_c_during_a_hook_that_swallows_errors_still_ends_the_watch(pipeline, tmp_path):
    """Ctrl-C while a hook runs (a database query turns it into an error the hook catches) ends the
    watch after that poll, not an interval later."""

    def swallowing_hook(number, report):  # noqa: ANN001
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the signal is handled here
        except BaseException:  # noqa: BLE001 - what a hook catching a query's interruption does
            pass

    totals = pipeline.watch([], lambda: open_store(tmp_path / "w.duckdb"), 2.0, on_poll=[swallowing_hook], polls=2)
    assert totals.interrupted and totals.polls == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is given back
