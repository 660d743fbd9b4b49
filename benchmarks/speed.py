"""Throughput of parsing and coding on ../shared/corpus/news_en.jsonl.

Measures the spaCy parse alone, then the coder on the parsed documents, and prints a table and
the coding overhead as a share of the parse time. Writes docs/performance.md with --write.

    python benchmarks/speed.py [--corpus PATH] [--limit N] [--write]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from datetime import date
from pathlib import Path

from report import write_section

from powderkeg.extract import extract
from powderkeg.model import Document
from powderkeg.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "news_en.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="coding passes; the median is reported")
    parser.add_argument("--write", action="store_true", help="write the results into docs/performance.md")
    args = parser.parse_args()

    records = [json.loads(line) for line in args.corpus.open(encoding="utf-8") if line.strip()][: args.limit]
    pipeline = Pipeline()
    start = time.perf_counter()
    pipeline.coder  # noqa: B018 - load dictionaries and patterns
    pipeline.nlp  # noqa: B018
    load_s = time.perf_counter() - start

    start = time.perf_counter()
    articles = [extract(Document(str(r.get("id")), "record", r["text"], published=r.get("published"))) for r in records]
    articles = [a for a in articles if a.status.value == "ok"]
    extract_s = time.perf_counter() - start

    start = time.perf_counter()
    docs = list(pipeline.nlp.pipe((a.text for a in articles), batch_size=pipeline.settings.batch_size))
    parse_s = time.perf_counter() - start

    coding_runs = []
    events = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        events = sum(len(pipeline.coder.code(doc, article)) for doc, article in zip(docs, articles, strict=True))
        coding_runs.append(time.perf_counter() - start)
    code_s = statistics.median(coding_runs)

    n_sent = sum(1 for doc in docs for _ in doc.sents)
    n_tok = sum(len(doc) for doc in docs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("articles", f"{len(articles)}"),
        ("sentences", f"{n_sent}"),
        ("tokens", f"{n_tok}"),
        ("events coded", f"{events}"),
        ("model + dictionaries load", f"{load_s:.2f} s"),
        ("extraction", f"{extract_s:.2f} s"),
        ("spaCy parse", f"{parse_s:.2f} s ({n_sent / parse_s:.0f} sentences/s)"),
        ("coding (median of runs)", f"{code_s:.2f} s ({n_sent / code_s:.0f} sentences/s)"),
        ("coding cost on top of the parse", f"{100 * code_s / parse_s:.1f} %"),
        ("peak memory", f"{peak_mb:.0f} MB"),
    ]
    table = "| measure | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    print(table)
    if args.write:
        text = (
            "## Parsing and coding\n\n"
            f"Measured {date.today().isoformat()} by `python benchmarks/speed.py --write` on "
            f"`{args.corpus.name}` (2 cores, CPU only, spaCy model `{pipeline.settings.spacy_model}`).\n\n"
            + table
            + "\n\nThe coder runs on the parsed documents; its cost is given as a share of the spaCy parse,"
            " which dominates. Coding is single-threaded Python; the parse uses spaCy's defaults.\n"
        )
        write_section("performance.md", "coding", text)


if __name__ == "__main__":
    main()
