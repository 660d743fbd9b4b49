"""Batch throughput: articles/s of ``powderkeg batch`` with the local engine and with the Ray engine,
and what coding a month of news would take on a cluster.

Codes ../shared/corpus/news_en.jsonl (copied ``--repeat`` times, cut into ``--shards`` shards)
once with ``--engine local`` (one process) and once with ``--engine ray`` on a local Ray instance
of ``--cpus`` CPUs, checks that both give the same Parquet files, and prints a table. The
projection divides a month of news by the per-core rate Ray's workers reached (each busy on its
own core) and prices the core-hours. ``--write`` writes the section "batch" of docs/performance.md.

    python benchmarks/batch_throughput.py [--repeat 2] [--cpus 2] [--shards 8] [--write]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
from report import write_section

from powderkeg.batch import load_batch, run_batch
from powderkeg.config import Settings
from powderkeg.pipeline import Pipeline
from powderkeg.store import open_store

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "news_en.jsonl"
# A month of English news: RoBERTa's authors kept 63 million English articles from Common Crawl's
# CC-News for September 2016 - February 2019 (2.1 million a month); we size for about five times
# that, for the crawl's growth since and for sources beyond it. Change it with --articles-per-month.
ARTICLES_PER_MONTH = 10_000_000
# On-demand price of one vCPU-hour: AWS c6i.8xlarge (32 vCPUs, 64 GiB) at $1.36/h in us-east-1,
# the 2024 list price. Change it with --price.
PRICE_PER_CORE_HOUR = 1.36 / 32
NODE_CORES = 32


class WorkerMemory(threading.Thread):
    """Samples the resident memory of the Ray workers (their process title names ShardWorker)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mb = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    if b"ShardWorker" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                        continue
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)
                except OSError:
                    continue


def dataset(out: Path) -> dict[str, list[dict]]:
    return {str(p.relative_to(out)): pq.read_table(p).to_pylist() for p in sorted(out.rglob("*.parquet"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=2, help="copies of the corpus to code")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray instance")
    parser.add_argument("--shards", type=int, default=8, help="shards to cut the input into")
    parser.add_argument("--articles-per-month", type=int, default=ARTICLES_PER_MONTH)
    parser.add_argument("--price", type=float, default=PRICE_PER_CORE_HOUR, help="$ per vCPU-hour")
    parser.add_argument("--write", action="store_true", help="write the results into docs/performance.md")
    args = parser.parse_args()

    import ray

    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="powderkeg-batch-bench-"))
    try:
        inputs = []
        for i in range(args.repeat):
            copy = work / "in" / f"news-{i}.jsonl"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(args.corpus, copy)
            inputs.append(str(copy))
        total_bytes = sum(Path(p).stat().st_size for p in inputs)
        settings = Settings(shard_bytes=-(-total_bytes // args.shards))
        chars = [len(json.loads(line)["text"]) for line in args.corpus.open(encoding="utf-8") if line.strip()]
        mean_chars = statistics.mean(chars)

        # build what is built once per machine (the gazetteer index in the cache folder) before timing
        Pipeline(settings).code_text("Rebels attacked a police station in Goma.", published="2024-03-02")

        start = time.perf_counter()
        single = run_batch(inputs, work / "single", pipeline=Pipeline(replace(settings, parse_processes=1)))
        single_s = time.perf_counter() - start
        local_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert single.complete, single.failed

        start = time.perf_counter()
        local = run_batch(inputs, work / "local", engine="local", pipeline=Pipeline(settings))
        local_s = time.perf_counter() - start
        assert local.complete, local.failed

        start = time.perf_counter()
        with open_store(work / "loaded.duckdb") as store:
            loaded = load_batch(str(work / "local"), store, Pipeline(settings))
        load_s = time.perf_counter() - start

        start = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, logging_level=logging.WARNING)
        init_s = time.perf_counter() - start
        memory = WorkerMemory()
        memory.start()
        start = time.perf_counter()
        distributed = run_batch(inputs, work / "ray", engine="ray", settings=settings)
        ray_s = time.perf_counter() - start
        memory.stop.set()
        ray.shutdown()
        assert distributed.complete, distributed.failed
        reference = dataset(work / "single")
        same = True
        for name in ("local", "ray"):
            other = dataset(work / name)
            for f in sorted(set(reference) | set(other)):
                if reference.get(f) != other.get(f):
                    same = False
                    a, b = reference.get(f) or [], other.get(f) or []
                    first = next(((x, y) for x, y in zip(a, b, strict=False) if x != y), (None, None))
                    fields = {k: (str(first[0][k])[:100], str(first[1][k])[:100]) for k in first[0] or {}
                              if first[1] is not None and first[0][k] != first[1].get(k)}  # fmt: skip
                    print(f"differs from the 1-process run: {name} {f} ({len(a)} vs {len(b)} rows) {fields}",
                          file=sys.stderr)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)

    docs = local.documents
    single_busy = sum(o.seconds for o in single.done)
    ray_busy = sum(o.seconds for o in distributed.done)
    per_core = docs / ray_busy  # articles/s of one worker on its own core, all cores busy
    efficiency = (docs / ray_s) / (args.cpus * docs / single_s)
    core_hours = args.articles_per_month / per_core / 3600
    rows = [
        ("input", f"{docs} articles ({args.repeat} x `{args.corpus.name}`), mean {mean_chars:,.0f} characters"),
        ("shards", f"{local.planned}"),
        ("events", f"{local.events}"),
        (
            "local engine, 1 process (`parse_processes=1`)",
            f"{single_s:.1f} s: **{docs / single_s:.1f} articles/s** (model load included; "
            f"{docs / single_busy:.1f} articles/s while coding)",
        ),
        (
            f"local engine, default `parse_processes={settings.parse_processes}`",
            f"{local_s:.1f} s: **{docs / local_s:.1f} articles/s**",
        ),
        ("local engine, peak memory (1 process)", f"{local_peak_mb:.0f} MB"),
        ("Ray start (`ray.init`, not included below)", f"{init_s:.1f} s"),
        (
            f"Ray engine, {args.cpus} workers",
            f"{ray_s:.1f} s: **{docs / ray_s:.1f} articles/s** (worker start and model loads included)",
        ),
        ("Ray engine, per worker while coding", f"{per_core:.1f} articles/s"),
        ("Ray engine, peak memory of one worker", f"{memory.peak_mb:.0f} MB"),
        (
            "Ray speed-up over 1 process / ideal",
            f"{(single_s / ray_s):.2f} / {args.cpus} (efficiency {efficiency:.0%})",
        ),
        ("Ray and local output identical", "yes" if same else "**no**"),
        (
            "`powderkeg load` of the local output",
            f"{load_s:.1f} s: {loaded.stored + loaded.unchanged} articles, {loaded.events} events stored "
            f"({(loaded.stored + loaded.unchanged) / load_s:.0f} articles/s)",
        ),
    ]
    table = "| measure | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    month = args.articles_per_month
    projection = [
        "| nodes x vCPUs | wall-clock time | cost |",
        "|---|---|---|",
    ]
    for nodes in (1, 4, 16, 64):
        hours = core_hours / (nodes * NODE_CORES)
        projection.append(
            f"| {nodes} x {NODE_CORES} | {hours:.1f} h | ${core_hours * args.price:,.0f} |"
            if hours >= 1
            else f"| {nodes} x {NODE_CORES} | {hours * 60:.0f} min | ${core_hours * args.price:,.0f} |"
        )
    text = (
        "## Batch throughput\n\n"
        f"Measured {date.today().isoformat()} by `python benchmarks/batch_throughput.py --write` on this "
        f"machine ({os.cpu_count()} vCPUs, CPU only, spaCy model `{settings.spacy_model}`; load average "
        f"{load_before:.1f} before the run and {os.getloadavg()[0]:.1f} after it: other work on the machine "
        "slows every figure here).\n\n"
        f"{table}\n\n"
        "### A month of news\n\n"
        f"Assumed: {month:,} English articles a month (RoBERTa's authors kept 63 million English articles "
        "from Common Crawl's CC-News for September 2016 - February 2019, 2.1 million a month; this sizes for "
        f"about five times that), each coded at the {per_core:.1f} articles/s one Ray worker reached here "
        f"per vCPU with every vCPU busy (articles of {mean_chars:,.0f} characters on average; the parse "
        "dominates and grows with the text, so longer articles cost proportionally more). "
        f"That is **{core_hours:,.0f} vCPU-hours**, priced at ${args.price:.4f} per vCPU-hour "
        "(AWS c6i.8xlarge on demand, 32 vCPUs and 64 GiB, $1.36/h in us-east-1, 2024 list price):\n\n"
        + "\n".join(projection)
        + "\n\n"
        "The cost does not depend on the number of nodes. The wall-clock time is the vCPU-hours spread "
        "over every vCPU (the per-worker rate was measured with all vCPUs busy, so their contention is "
        "in it); it leaves out starting the cluster and the workers (seconds to minutes), the last "
        "shards finishing on fewer workers, extracting HTML from WARC pages (this input is JSONL text) "
        "and reading from an object store. Each worker needs about "
        f"{max(memory.peak_mb, 1):.0f} MB, so 2 GiB per vCPU leaves room.\n"
    )
    print(text)
    if args.write:
        write_section("performance.md", "batch", text)


if __name__ == "__main__":
    main()
