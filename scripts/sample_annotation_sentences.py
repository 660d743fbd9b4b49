"""Draw the sentences the team annotates (docs/annotation.md), at random with a fixed seed.

    python scripts/sample_annotation_sentences.py --shared ../shared --tasks /tmp/annotation-tasks

Every readable English document of ``news_en.jsonl`` and of the extraction pages is extracted as
``powderkeg ingest`` would and split into sentences by the same spaCy pipeline the coder uses;
sentences with fewer than three words or over ``max_sentence_tokens`` tokens (never coded) are left
out. From the rest, ``--news`` and ``--pages`` sentences are drawn at random (seed ``--seed``),
and ``--double`` of them are chosen to be annotated twice, by two annotators who do not see each
other's work.

Writes ``annotations/sample.jsonl`` (one line a sentence: corpus, document, offsets, text hash,
split; no text) and, with ``--tasks``, the annotators' work files: ``batch_NN.jsonl`` with each
sentence's text and context, for reading only and never committed (the texts stay in ../shared).
The overlap sentences are shuffled into the batch of the next annotator, so each is seen by two.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from powderkeg.annotations import CORPORA, SourceTexts, sentence_hash, split_of
from powderkeg.config import Settings
from powderkeg.nlp import load_model

ROOT = Path(__file__).resolve().parent.parent


def sentence_pool(shared: Path) -> dict[str, list[dict]]:
    """Every sentence worth annotating of both corpora, by corpus: offsets, hash, split, text and context."""
    texts = SourceTexts(shared)
    nlp = load_model(Settings().spacy_model)
    limit = Settings().max_sentence_tokens
    pool: dict[str, list[dict]] = {}
    for corpus in CORPORA:
        docs = list(texts.documents(corpus))
        print(f"{corpus}: {len(docs)} documents, parsing ...", flush=True)
        rows = []
        for (name, article), doc in zip(docs, nlp.pipe((a.text for _, a in docs), n_process=2), strict=True):
            sents = [s for s in doc.sents if s.text.strip()]
            for i, sent in enumerate(sents):
                words = sum(t.is_alpha for t in sent)
                if words < 3 or len(sent) > limit:
                    continue
                rows.append(
                    {
                        "corpus": corpus,
                        "doc": name,
                        "start": sent.start_char,
                        "end": sent.end_char,
                        "sha1": sentence_hash(sent.text),
                        "split": split_of(corpus, name),
                        "text": sent.text.strip(),
                        "before": " ".join(s.text.strip() for s in sents[max(0, i - 3) : i]),
                        "after": sents[i + 1].text.strip() if i + 1 < len(sents) else "",
                        "title": article.title,
                        "published": article.published.isoformat() if article.published else None,
                    }
                )
        pool[corpus] = rows
        print(f"{corpus}: {len(rows)} sentences", flush=True)
    return pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--news", type=int, default=2150)
    parser.add_argument("--pages", type=int, default=950)
    parser.add_argument("--double", type=int, default=260)
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--out", type=Path, default=ROOT / "annotations" / "sample.jsonl")
    parser.add_argument("--tasks", type=Path, default=None)
    args = parser.parse_args()

    pool = sentence_pool(args.shared)

    rng = random.Random(args.seed)
    chosen = rng.sample(pool["news"], args.news) + rng.sample(pool["pages"], args.pages)
    rng.shuffle(chosen)
    for n, row in enumerate(chosen):
        row["id"] = f"s{n:04d}"
    double = set(rng.sample(range(len(chosen)), args.double))

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for n, row in enumerate(chosen):
            keep = {k: row[k] for k in ("id", "corpus", "doc", "start", "end", "sha1", "split")}
            keep["double"] = n in double
            out.write(json.dumps(keep) + "\n")
    print(f"{len(chosen)} sentences ({len(double)} to annotate twice) -> {args.out}")

    if args.tasks:
        args.tasks.mkdir(parents=True, exist_ok=True)
        batches: list[list[dict]] = [[] for _ in range(args.batches)]
        for n, row in enumerate(chosen):
            batches[n % args.batches].append(row)
        for n in sorted(double):
            batches[(n + 1) % args.batches].append(chosen[n])  # a second, different annotator
        fields = ("id", "title", "published", "before", "text", "after")
        for b, rows in enumerate(batches):
            rng.shuffle(rows)
            with (args.tasks / f"batch_{b:02d}.jsonl").open("w", encoding="utf-8") as out:
                for row in rows:
                    out.write(json.dumps({k: row[k] for k in fields}, ensure_ascii=False) + "\n")
        print(f"{args.batches} task files -> {args.tasks}")


if __name__ == "__main__":
    main()
