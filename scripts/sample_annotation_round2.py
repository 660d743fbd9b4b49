"""Draw the second round of sentences to annotate (docs/annotation.md, "The annotated set").

    python scripts/sample_annotation_round2.py --shared ../shared --tasks /tmp/annotation2/tasks

Two kinds of sentence, none of them annotated in the first round (``annotations/sample.jsonl``):

- ``--random`` more sentences drawn at random (seed ``--seed``) from both corpora, as in the first
  round: they grow the train and the dev split alike;
- ``--proposed`` sentences of **train-split documents** in which the coder, as it stood when this
  was drawn, proposed an event: labels for exactly the decisions the gate and the confidence model
  have to make. They are drawn from train documents only and marked ``"selection": "proposed"``, so
  the dev split stays a random sample of unselected text.

``--double`` of the proposed sentences are annotated twice (agreement on sentences that hold
candidate events, where it is hardest). Writes ``annotations/sample2.jsonl`` and the annotators'
task files (with text and context, never committed), ids ``t0000``... .
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import replace
from pathlib import Path

from sample_annotation_sentences import sentence_pool

from powderkeg.annotations import SourceTexts
from powderkeg.config import load_settings
from powderkeg.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent


def proposed_keys(shared: Path, rows: list[dict]) -> set[tuple[str, str, int]]:
    """(corpus, doc, sentence start) of the sentences where the coder proposes an event."""
    texts = SourceTexts(shared)
    docs = sorted({(r["corpus"], r["doc"]) for r in rows})
    pipeline = Pipeline(replace(load_settings(), min_confidence=0.0))
    starts: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        starts.setdefault((r["corpus"], r["doc"]), []).append(r["start"])
    found: set[tuple[str, str, int]] = set()
    articles = [texts.article(*key) for key in docs]
    for key, coded in zip(docs, pipeline.code_articles(a for a in articles if a is not None), strict=True):
        for event in coded.events:
            found.add((key[0], key[1], event.sentence_start))
    return {k for k in found if k[2] in set(starts.get((k[0], k[1]), []))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--random-news", type=int, default=850)
    parser.add_argument("--random-pages", type=int, default=350)
    parser.add_argument("--proposed", type=int, default=1300)
    parser.add_argument("--double", type=int, default=160)
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--seed", type=int, default=20261208)
    parser.add_argument("--out", type=Path, default=ROOT / "annotations" / "sample2.jsonl")
    parser.add_argument("--tasks", type=Path, default=None)
    args = parser.parse_args()

    first_round = (ROOT / "annotations" / "sample.jsonl").open(encoding="utf-8")
    done = {(r["corpus"], r["doc"], r["start"]) for r in map(json.loads, first_round)}
    pool = sentence_pool(args.shared)
    fresh = {c: [r for r in rows if (r["corpus"], r["doc"], r["start"]) not in done] for c, rows in pool.items()}
    rng = random.Random(args.seed)
    chosen = rng.sample(fresh["news"], args.random_news) + rng.sample(fresh["pages"], args.random_pages)
    for row in chosen:
        row["selection"] = "random"
    taken = {(r["corpus"], r["doc"], r["start"]) for r in chosen}
    train_rows = [r for rows in fresh.values() for r in rows if r["split"] == "train"]
    proposed = proposed_keys(args.shared, train_rows)
    candidates = [r for r in train_rows if (r["corpus"], r["doc"], r["start"]) in proposed - taken]
    print(f"{len(candidates)} train sentences with a proposed event not yet annotated")
    picked = rng.sample(candidates, min(args.proposed, len(candidates)))
    for row in picked:
        row["selection"] = "proposed"
    double_rows = rng.sample(range(len(picked)), min(args.double, len(picked)))
    chosen += picked
    rng.shuffle(chosen)
    for n, row in enumerate(chosen):
        row["id"] = f"t{n:04d}"
    double_ids = {picked[i]["id"] for i in double_rows}

    with args.out.open("w", encoding="utf-8") as out:
        for row in chosen:
            keep = {k: row[k] for k in ("id", "corpus", "doc", "start", "end", "sha1", "split", "selection")}
            keep["double"] = row["id"] in double_ids
            out.write(json.dumps(keep) + "\n")
    print(f"{len(chosen)} sentences ({len(picked)} proposed, {len(double_ids)} to annotate twice) -> {args.out}")

    if args.tasks:
        args.tasks.mkdir(parents=True, exist_ok=True)
        batches: list[list[dict]] = [[] for _ in range(args.batches)]
        for n, row in enumerate(chosen):
            batches[n % args.batches].append(row)
            if row["id"] in double_ids:
                batches[(n + 1) % args.batches].append(row)  # a second, different annotator
        fields = ("id", "title", "published", "before", "text", "after")
        for b, rows in enumerate(batches):
            rng.shuffle(rows)
            with (args.tasks / f"batch_{b:02d}.jsonl").open("w", encoding="utf-8") as out:
                for row in rows:
                    out.write(json.dumps({k: row[k] for k in fields}, ensure_ascii=False) + "\n")
        print(f"{args.batches} task files -> {args.tasks}")


if __name__ == "__main__":
    main()
