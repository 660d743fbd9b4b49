"""End-to-end throughput against the parser's own speed, measured in one run.

Repeats ../shared/corpus/news_en.jsonl (each copy made distinct, so none is skipped as already
stored) to about --articles articles, then measures one after the other:

1. bare spaCy: ``nlp.pipe`` of the full pipeline over the same texts, in one process, defaults;
2. powderkeg end to end: ``Pipeline.ingest`` of the JSONL file into a new DuckDB database
   (reading, extraction, parsing, coding, storing), with the configured settings.

and reports articles/s, sentences/s, their ratio and peak memory (each measure runs in a fresh process;
its parser processes counted apart). ``benchmarks/proof.py`` runs it with the store and robustness
measures and writes them all into docs/performance.md.

    python benchmarks/throughput.py [--articles 10000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from powderkeg.pipeline import Pipeline
from powderkeg.store import open_store

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "news_en.jsonl"


def build_corpus(source: Path, n_articles: int, out: Path) -> list[str]:
    records = [json.loads(line) for line in source.open(encoding="utf-8") if line.strip()]
    texts: list[str] = []
    with out.open("w", encoding="utf-8") as f:
        for k in range(n_articles):
            r = records[k % len(records)]
            copy = k // len(records)
            text = r["text"] if copy == 0 else f"{r['text']}\n\n(Copy {copy}.)"  # distinct content, same work
            texts.append(text)
            f.write(json.dumps({"id": f"{r.get('id')}-{copy}", "text": text, "published": r.get("published")}) + "\n")
    return texts


def peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def bare_spacy(texts: list[str], model: str) -> tuple[float, int, float]:
    """In a fresh process: the full spaCy pipeline over the texts, one process, defaults."""
    from powderkeg.nlp import load_model

    nlp = load_model(model)
    start = time.perf_counter()
    n_sentences = sum(sum(1 for _ in doc.sents) for doc in nlp.pipe(texts))
    return time.perf_counter() - start, n_sentences, peak_mb()[0]


def end_to_end(corpus: Path, db: Path) -> tuple[float, dict, dict, int, float, float, int]:
    """In a fresh process: ``Pipeline.ingest`` of the JSONL file into a new database."""
    pipeline = Pipeline()
    start = time.perf_counter()
    with open_store(db) as store:
        report = pipeline.ingest([corpus], store)
        counts = store.counts()
        stored_sentences = store.con.execute("SELECT count(*) FROM sentences").fetchone()[0]
    seconds = time.perf_counter() - start
    own, children = peak_mb()
    return seconds, dict(report.statuses), counts, stored_sentences, own, children, pipeline.settings.parse_processes


def measure(corpus_path: Path, n_articles: int) -> dict:
    """Both measures on the same texts, one after the other, each in a fresh process."""
    model = Pipeline().settings.spacy_model
    spawn = multiprocessing.get_context("spawn")  # each measure in a fresh process: its own peak memory
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        texts = build_corpus(corpus_path, n_articles, corpus)
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            bare_s, bare_sentences, bare_peak = pool.submit(bare_spacy, texts, model).result()
        print(f"bare spaCy: {bare_s:.1f} s", flush=True)
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            e2e_s, statuses, counts, stored_sentences, own, children, processes = pool.submit(
                end_to_end, corpus, Path(tmp) / "throughput.duckdb"
            ).result()
        print(f"end to end: {e2e_s:.1f} s", flush=True)
    return {
        "model": model,
        "articles": n_articles,
        "corpus": corpus_path.name,
        "bare_s": bare_s,
        "bare_sentences": bare_sentences,
        "bare_peak": bare_peak,
        "e2e_s": e2e_s,
        "statuses": statuses,
        "counts": counts,
        "stored_sentences": stored_sentences,
        "own": own,
        "children": children,
        "processes": processes,
    }


def table(m: dict) -> str:
    n = m["articles"]
    bare_s, e2e_s = m["bare_s"], m["e2e_s"]
    total = m["own"] + m["processes"] * m["children"]
    rows = [
        ("articles", f"{n:,} ({m['corpus']} repeated)"),
        ("sentences (spaCy)", f"{m['bare_sentences']:,}"),
        (
            "bare spaCy `nlp.pipe`, 1 process",
            f"{bare_s:.1f} s: {n / bare_s:.1f} articles/s, {m['bare_sentences'] / bare_s:.0f} sentences/s",
        ),
        (
            "powderkeg end to end (`ingest`)",
            f"{e2e_s:.1f} s: **{n / e2e_s:.1f} articles/s**, {m['stored_sentences'] / e2e_s:.0f} sentences/s",
        ),
        ("end to end / bare spaCy", f"**{bare_s / e2e_s:.2f}x**"),
        (
            "articles stored (ok)",
            f"{m['counts'].get('ok', 0):,}; events {m['counts'].get('events', 0):,}; statuses {m['statuses']}",
        ),
        ("parser processes", f"{m['processes']}"),
        (
            "peak memory, end to end",
            f"**{total:,.0f} MB** at most in all: {m['own']:.0f} MB main process + {m['processes']} x "
            f"{m['children']:.0f} MB (the largest parser process)",
        ),
        ("peak memory, bare spaCy", f"{m['bare_peak']:,.0f} MB (`nlp.pipe` defaults: batches of 1,000 documents)"),
    ]
    return "| measure | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    print(table(measure(args.corpus, args.articles)))


if __name__ == "__main__":
    main()
