"""DuckDB query latency of the common store queries at 1M and 10M synthetic events.

Builds each store with the synthetic generator of ``benchmarks/api_latency.py`` (events spread over
60 countries and ten years, 1% of them Serbia-Kosovo, actors in ``event_actors``), then times, in
one process with a warm connection:

- the newest 100 events of a dyad (``Store.events(dyad=("SRB", "XKX"), limit=100)``, what
  ``powderkeg events --dyad`` runs);
- the newest 100 events of a category in a one-year window (``Store.events(event_type=..., since,
  until, limit=100)``);
- counts of articles by status and of events (``Store.counts()``);
- all reports of one event (``Store.mentions``);
- a dyad's weekly conflict series (``series.dyad_series``, what ``powderkeg dyad`` runs).

``benchmarks/proof.py`` runs it with the throughput and robustness measures and writes them all into
docs/performance.md.

    python benchmarks/store_scale.py [--sizes 1000000 10000000] [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from api_latency import build

from powderkeg.series import dyad_series, parse_dyad
from powderkeg.store import open_store


def timed(fn, runs: int) -> tuple[float, float]:  # noqa: ANN001
    fn()  # warm: first reads of the columns
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * len(times)) - 1)]


def measure(n: int, runs: int) -> tuple[float, float, list[tuple[str, float, float]]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scale.duckdb"
        build_s = build(path, n)
        size_mb = path.stat().st_size / 1e6
        rows: list[tuple[str, float, float]] = []
        with open_store(path, read_only=True) as store:
            some_event = store.con.execute("SELECT event_id FROM events LIMIT 1 OFFSET 12345").fetchone()[0]
            dyad = parse_dyad("SRB", "XKX")
            cases = [
                ("newest 100 events of SRB-XKX", lambda: store.events(dyad=("SRB", "XKX"), limit=100)),
                (
                    "newest 100 ASSAULT events of 2020",
                    lambda: store.events(
                        event_type="ASSAULT", since=date(2020, 1, 1), until=date(2020, 12, 31), limit=100
                    ),
                ),
                ("counts by status", store.counts),
                ("all reports of one event", lambda: store.mentions(some_event)),
                ("SRB-XKX weekly series, ten years", lambda: dyad_series(store, dyad, by="week")),
            ]
            for name, fn in cases:
                rows.append((name, *timed(fn, runs if "series" not in name else max(3, runs // 5))))
    return build_s, size_mb, rows


def table(results: dict[int, tuple[float, float, list[tuple[str, float, float]]]]) -> str:
    sizes = list(results)
    header = "| query | " + " | ".join(f"{n:,} events: median / p95" for n in sizes) + " |"
    lines = [header, "|---|" + "---|" * len(sizes)]
    names = [name for name, _, _ in results[sizes[0]][2]]
    for i, name in enumerate(names):
        cells = [f"{results[n][2][i][1]:.0f} / {results[n][2][i][2]:.0f} ms" for n in sizes]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(
        "| building the synthetic store | "
        + " | ".join(f"{results[n][0]:.0f} s, {results[n][1]:,.0f} MB" for n in sizes)
        + " |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    results = {}
    for n in args.sizes:
        print(f"building {n:,} events ...", flush=True)
        results[n] = measure(n, args.runs)
    print(table(results))


if __name__ == "__main__":
    main()
