"""Latency of the HTTP API over a store of synthetic events (1,000,000 by default).

Builds the store in DuckDB with ``INSERT ... SELECT`` from ``range()`` (no spaCy: the events are
made up, with the columns and JSON the pipeline writes), serves it with a real uvicorn server on
localhost, and times requests with one keep-alive HTTP client: ``GET /api/events?dyad=SRB,XKX``
(the target: p95 under 100 ms) and other filters for comparison. Prints a table; ``--write``
puts it in docs/performance.md.

    python benchmarks/api_latency.py [--events N] [--runs N] [--db PATH] [--write]

The synthetic data: ``N/10`` articles of ten events each over ten years (2015-2024, one day per
article); 1% of events are between Serbia and Kosovo (either direction), the others between two
of 60 countries drawn uniformly (so SRB and XKX also appear at random); 10% have a second source
actor and 10% a second target actor of a random country; 5% are hypothetical; 80% have a
location; sentences of about 100 characters; 16 PLOVER categories.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import httpx
from report import write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test server helper: a uvicorn server in a thread

from api_fixtures import serving  # noqa: E402
from powderkeg.api import create_app  # noqa: E402
from powderkeg.coder.taxonomy import PLOVER_CATEGORIES  # noqa: E402
from powderkeg.config import Settings  # noqa: E402
from powderkeg.store import open_store  # noqa: E402

COUNTRIES = (
    "AFG ARM AUS AZE BFA BRA CAF CHN COD COL DEU EGY ETH FRA GBR GEO HTI IND IRN IRQ ISR JPN KEN KOR LBN "
    "LBY MEX MLI MMR MOZ NER NGA PAK PER PHL PRK PSE RUS SAU SDN SOM SRB SSD SYR TCD THA TUR UKR USA VEN "
    "XKX YEM ZAF ZWE BIH MNE MKD ALB HRV BGR"
).split()
assert len(COUNTRIES) == 60

MARK_START = "<!-- api_latency:start -->"
MARK_END = "<!-- api_latency:end -->"


def build(path: Path, n: int) -> float:
    """Write the synthetic store; returns the seconds it took."""
    start = time.perf_counter()
    with open_store(path) as store:
        con = store.con
        countries = "[" + ", ".join(f"'{c}'" for c in COUNTRIES) + "]"
        types = "[" + ", ".join(f"'{t}'" for t in PLOVER_CATEGORIES) + "]"
        # draw(i, k): a pseudo-random number for row i, independent for each attribute k
        con.execute("CREATE TEMP MACRO draw(x, k) AS hash(x + k * 1099511627776)")
        con.execute(f"""
            CREATE TEMP TABLE g AS
            SELECT i,
                printf('%016x', draw(i, 1)) AS event_id,
                printf('%016x', draw(i // 10, 2)) AS article_id,
                draw(i, 3) % 100 = 0 AS dyad,
                draw(i, 4) % 2 = 0 AS forward,
                {countries}[1 + CAST(draw(i, 5) % 60 AS INTEGER)] AS s0,
                {countries}[1 + CAST(draw(i, 6) % 60 AS INTEGER)] AS t0,
                draw(i, 7) % 10 = 0 AS has_s1,
                {countries}[1 + CAST(draw(i, 8) % 60 AS INTEGER)] AS s1,
                draw(i, 9) % 10 = 0 AS has_t1,
                {countries}[1 + CAST(draw(i, 10) % 60 AS INTEGER)] AS t1,
                {types}[1 + CAST(draw(i, 11) % {len(PLOVER_CATEGORIES)} AS INTEGER)] AS type,
                1 + CAST(draw(i, 12) % 4 AS INTEGER) AS quad,
                DATE '2015-01-01' + CAST(draw(i // 10, 13) % 3650 AS INTEGER) AS day,
                draw(i, 14) % 20 = 0 AS hypothetical,
                draw(i, 15) % 5 <> 0 AS located,
                -60 + (draw(i, 16) % 12000) / 100.0 AS lat,
                -180 + (draw(i, 17) % 36000) / 100.0 AS lon,
                i % 10 AS idx
            FROM range({n}) t(i)
        """)
        con.execute("""
            CREATE TEMP TABLE ev AS
            SELECT *,
                CASE WHEN dyad THEN (CASE WHEN forward THEN 'SRB' ELSE 'XKX' END) ELSE s0 END AS sc,
                CASE WHEN dyad THEN (CASE WHEN forward THEN 'XKX' ELSE 'SRB' END) ELSE t0 END AS tc
            FROM g
        """)
        con.execute("""
            INSERT INTO articles (article_id, origin, title, url, site, published, status, text, n_events)
            SELECT article_id, 'synthetic:' || (i // 10), 'Synthetic report ' || (i // 10),
                   'https://news.example/' || (i // 10), 'news.example', day, 'ok',
                   string_agg('Synthetic sentence ' || i || ' of a report about ' || sc || ' and ' || tc || '.', ' '
                              ORDER BY idx),
                   count(*)
            FROM ev GROUP BY article_id, i // 10, day
        """)
        con.execute("""
            INSERT INTO sentences
            SELECT article_id, idx, 0, 60, 'Synthetic sentence ' || i || ' of a report about ' || sc || ' and ' || tc || '.'
            FROM ev
        """)  # noqa: E501
        con.execute("""
            INSERT INTO events (event_id, article_id, type, mode, cameo, quad, intensity, goldstein, acled_type,
                acled_subtype, source_country, target_country, date, date_precision, location_name, lat, lon,
                fatalities, injuries, negated, hypothetical, historical, sentence, sentence_start, sentence_end,
                rule, confidence, mentions, sources, json)
            SELECT event_id, article_id, type, NULL, NULL, quad, -5.0, -2.0, NULL, NULL, sc, tc, day, 'day',
                CASE WHEN located THEN 'Place ' || (i % 997) END, CASE WHEN located THEN lat END,
                CASE WHEN located THEN lon END, NULL, NULL, false, hypothetical, false,
                'Synthetic sentence ' || i || ' about ' || sc || ' and ' || tc
                    || ', long enough to look like a sentence from a news report.',
                0, 60, 'synthetic', 0.7, 1, 1,
                json_object(
                    'event_id', event_id, 'type', type, 'mode', NULL, 'cameo', NULL, 'quad', quad,
                    'intensity', -5.0, 'goldstein', -2.0, 'acled_type', NULL, 'acled_subtype', NULL,
                    'source', list_value(json_object('text', 'actors of ' || sc, 'code', sc || 'GOV', 'country', sc,
                                                     'sector', 'GOV', 'org', NULL)),
                    'target', list_value(json_object('text', 'actors of ' || tc, 'code', tc || 'MIL', 'country', tc,
                                                     'sector', 'MIL', 'org', NULL)),
                    'date', CAST(day AS VARCHAR), 'date_precision', 'day',
                    'location', CASE WHEN located THEN json_object('name', 'Place ' || (i % 997), 'country', tc,
                        'admin1', NULL, 'lat', lat, 'lon', lon, 'precision', 'city', 'geonameid', NULL) END,
                    'fatalities', NULL, 'injuries', NULL, 'negated', false, 'hypothetical', hypothetical,
                    'historical', false, 'modality', NULL,
                    'sentence', 'Synthetic sentence ' || i || ' about ' || sc || ' and ' || tc
                        || ', long enough to look like a sentence from a news report.',
                    'sentence_start', 0, 'sentence_end', 60, 'trigger', 'synthetic', 'article_id', article_id,
                    'mentions', 1, 'sources', 1, 'confidence', 0.7, 'rule', 'synthetic')
            FROM ev
        """)
        con.execute("""
            INSERT INTO event_actors
            SELECT event_id, 'source', 0, 'actors of ' || sc, sc || 'GOV', sc, 'GOV', NULL, NULL FROM ev
            UNION ALL SELECT event_id, 'target', 0, 'actors of ' || tc, tc || 'MIL', tc, 'MIL', NULL, NULL FROM ev
            UNION ALL SELECT event_id, 'source', 1, 'more actors', s1 || 'GOV', s1, 'GOV', NULL, NULL FROM ev
                WHERE has_s1
            UNION ALL SELECT event_id, 'target', 1, 'more actors', t1 || 'MIL', t1, 'MIL', NULL, NULL FROM ev
                WHERE has_t1
        """)
        con.execute("CHECKPOINT")
    return time.perf_counter() - start


def time_requests(client: httpx.Client, url: str, runs: int) -> list[float]:
    for _ in range(3):  # warm up: first reads of the columns
        client.get(url).raise_for_status()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return timings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200, help="timed requests for the dyad query")
    parser.add_argument("--db", type=Path, default=None, help="keep (and reuse) the store here")
    parser.add_argument("--write", action="store_true", help="write the results into docs/performance.md")
    args = parser.parse_args()

    scratch = None
    if args.db is None:
        scratch = Path(tempfile.mkdtemp(prefix="powderkeg-api-"))
        db = scratch / "synthetic.duckdb"
    else:
        db = args.db
    try:
        built = None
        if not db.exists():
            built = build(db, args.events)
            print(f"built {args.events:,} events in {built:.1f} s ({db.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)
        with open_store(db, read_only=True) as store:
            n_events = store.con.execute("SELECT count(*) FROM events").fetchone()[0]
            n_actors = store.con.execute("SELECT count(*) FROM event_actors").fetchone()[0]
            some_id = store.con.execute("SELECT event_id FROM events WHERE source_country = 'SRB' LIMIT 1").fetchone()[
                0
            ]
            article = store.con.execute("SELECT article_id FROM events WHERE event_id = ?", [some_id]).fetchone()[0]
        app = create_app(Settings(db=str(db)))
        cases = [
            ("/api/events?dyad=SRB,XKX", args.runs),
            ("/api/events?dyad=SRB,XKX&offset=5000", 50),
            ("/api/events?dyad=SRB,XKX&type=ASSAULT&since=2020-01-01", 50),
            ("/api/events?dyad=USA,RUS", 50),
            ("/api/events", 50),
            ("/api/events?type=PROTEST&limit=500", 50),
            ("/api/events?bbox=18,41,23,44", 50),
            ("/api/events?actor=SRBGOV", 30),
            ("/api/events?country=XKX", 20),
            ("/api/events?q=sentence%20123456%20", 20),
            ("/api/events/points?dyad=SRB,XKX", 50),
            (f"/api/events/{some_id}", 50),
            (f"/api/articles/{article}", 50),
        ]
        rows = []
        with serving(app) as base, httpx.Client(base_url=base, timeout=60) as client:
            for url, runs in cases:
                total = client.get(url).json().get("total")
                timings = time_requests(client, url, runs)
                rows.append((url, runs, total, statistics.median(timings), percentile(timings, 95), max(timings)))
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    lines = [
        "| request | runs | matching | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for url, runs, total, p50, p95, top in rows:
        shown = url.replace(some_id, "{id}").replace(article, "{id}")
        lines.append(f"| `GET {shown}` | {runs} | {'' if total is None else f'{total:,}'} | {p50:.1f} | {p95:.1f} "
                     f"| {top:.1f} |")  # fmt: skip
    table = "\n".join(lines)
    print(table)
    target = rows[0]
    verdict = "under" if target[4] < 100 else "OVER"
    print(
        f"\nGET /api/events?dyad=SRB,XKX: p50 {target[3]:.1f} ms, p95 {target[4]:.1f} ms ({verdict} the 100 ms target)"
    )

    if args.write:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        section = "\n".join(
            [
                MARK_START,
                f"Measured {date.today().isoformat()} by `python benchmarks/api_latency.py --write`: "
                f"{n_events:,} events, {n_actors:,} actor rows; "
                + (f"store built in {built:.0f} s; " if built is not None else "")
                + f"{os.cpu_count()} CPUs ({platform.machine()}), load average {load:.1f} at the end; "
                f"Python {platform.python_version()}, DuckDB {duckdb.__version__}; a uvicorn server on "
                "localhost, one keep-alive client, requests one after another.",
                "",
                table,
                "",
                f"The target, `GET /api/events?dyad=SRB,XKX` under 100 ms at the 95th percentile: "
                f"p50 {target[3]:.1f} ms, p95 {target[4]:.1f} ms.",
                MARK_END,
            ]
        )
        path = write_section(
            "performance.md", "api", "## HTTP API latency\n" + section.removeprefix(MARK_START).removesuffix(MARK_END)
        )
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
