"""Event precision and recall on the team's own annotated sentences (docs/annotation.md).

    python benchmarks/precision.py [--split dev|train|all] [--shared DIR] [--write] [--show N]

Codes every article that holds an annotated sentence of the split, as ``powderkeg ingest`` would
(same extraction, parse, coder and settings, so ``min_confidence`` applies), and judges each actual
event whose trigger lies in an annotated sentence: fully right when its PLOVER category, source and
target are right (``powderkeg.annotations.judge``). Recall is the share of annotated actual events
that some coded event gets fully right. Prints the error kinds of ../shared/PRECISION.md, a table of
precision and recall by confidence threshold, and how well the confidence is calibrated.
``--write`` puts the dev figures in docs/evaluation.md.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

from report import write_section

from powderkeg.annotations import SourceTexts, load, score, sentence_hash
from powderkeg.config import load_settings
from powderkeg.model import Event
from powderkeg.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared"
DEFAULT_ANNOTATIONS = ROOT / "annotations" / "sentences.jsonl"
THRESHOLDS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def code_documents(pipeline: Pipeline, texts: SourceTexts, keys: set[tuple[str, str]]):
    """Coded actual-and-other events of each (corpus, doc), and each doc's publication date."""
    articles = []
    for key in sorted(keys):
        article = texts.article(*key)
        if article is None:
            raise SystemExit(f"{key[0]}:{key[1]}: document not found or no longer extracted as English")
        articles.append((key, article))
    events: dict[tuple[str, str], list[Event]] = {}
    published: dict[tuple[str, str], str | None] = {}
    for (key, _), coded in zip(articles, pipeline.code_articles(a for _, a in articles), strict=True):
        events[key] = coded.events
        published[key] = coded.article.published.isoformat() if coded.article.published else None
    return dict(articles), events, published


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=Path, default=DEFAULT_ANNOTATIONS)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--split", default="dev", choices=("dev", "train", "all"))
    parser.add_argument("--show", type=int, default=0, help="print this many wrong events with their error")
    parser.add_argument("--misses", type=int, default=0, help="print this many annotated events no event got right")
    parser.add_argument("--write", action="store_true", help="write the figures into docs/evaluation.md")
    args = parser.parse_args()

    # precision is measured on sentences drawn at random, never on those picked for training
    sentences = [
        s for s in load(args.annotations) if (args.split == "all" or s.split == args.split) and s.selection == "random"
    ]
    texts = SourceTexts(args.shared)
    if not texts.available():
        raise SystemExit(f"the annotated texts are not in {args.shared} (corpus/ and gold/extraction/)")
    settings = load_settings()
    # every event is coded; the thresholds are applied here, so one run gives the whole table
    pipeline = Pipeline(replace(settings, min_confidence=0.0))
    start = time.perf_counter()
    articles, events, published = code_documents(pipeline, texts, {(s.corpus, s.doc) for s in sentences})
    seconds = time.perf_counter() - start

    stale = [s for s in sentences if sentence_hash(articles[(s.corpus, s.doc)].text[s.start : s.end]) != s.sha1]
    if stale:
        raise SystemExit(
            f"{len(stale)} annotated sentences no longer match their text (first: {stale[0].key}); "
            "the extractor changed: re-anchor the annotations before scoring"
        )

    default = settings.min_confidence
    report = score(sentences, events, published, min_confidence=default)
    gold_events = report.gold_events
    none_sentences = sum(not s.events for s in sentences)
    print(
        f"{args.split}: {len(sentences)} sentences from {len(articles)} documents "
        f"({none_sentences} with no event), {gold_events} annotated actual events; coded in {seconds:.0f} s"
    )
    rows = [
        ("events coded (actual, in annotated sentences)", f"{report.predicted}"),
        ("event precision (category, source and target right)", _fmt(report.precision)),
        ("event recall", _fmt(report.recall)),
        ("category precision (a real event of the right category)", _fmt(report.category_precision)),
        ("category recall", _fmt(report.category_recall)),
    ]
    main_table = f"At `min_confidence` {default:g} (the default):\n\n| measure | value |\n|---|---|\n"
    main_table += "\n".join(f"| {k} | {v} |" for k, v in rows)
    errors = report.errors()
    error_table = "| error kind | events |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in errors.items())
    dates = report.dates()
    date_table = "| date, where the annotation gives one | events |\n|---|---|\n" + "\n".join(
        f"| {k} | {v} |" for k, v in dates.items()
    )

    sweep = ["| min_confidence | events | precision | recall | category precision |", "|---|---|---|---|---|"]
    for threshold in sorted({*THRESHOLDS, default}):
        r = score(sentences, events, published, min_confidence=threshold)
        mark = " (default)" if threshold == default else ""
        sweep.append(
            f"| {threshold:g}{mark} | {r.predicted} | {_fmt(r.precision)} | {_fmt(r.recall)} | "
            f"{_fmt(r.category_precision)} |"
        )
    everything = score(sentences, events, published, min_confidence=0.0)
    bins: Counter[int] = Counter()
    right: Counter[int] = Counter()
    total_conf: Counter[int] = Counter()
    for j in everything.judgements:
        b = min(int(j.event.confidence * 5), 4)
        bins[b] += 1
        right[b] += j.right
        total_conf[b] += j.event.confidence  # type: ignore[assignment]
    calibration = ["| confidence | events | mean confidence | share fully right |", "|---|---|---|---|"]
    for b in sorted(bins):
        calibration.append(
            f"| {b / 5:.1f}-{(b + 1) / 5:.1f} | {bins[b]} | {total_conf[b] / bins[b]:.2f} | {right[b] / bins[b]:.2f} |"
        )

    for block in (main_table, error_table, date_table, "\n".join(sweep), "\n".join(calibration)):
        print("\n" + block)
    if args.show:
        wrong = [j for j in report.judgements if not j.right][: args.show]
        for j in wrong:
            e = j.event
            src = ", ".join(f"{a.text}={a.code}" for a in e.source)
            tgt = ", ".join(f"{a.text}={a.code}" for a in e.target)
            print(f"\n[{j.error}] {j.sentence.key} {e.type} {src} -> {tgt} ({e.rule}, {e.confidence:.2f})")
            print(f"   {e.sentence[:300]}")
    if args.misses:
        shown = 0
        for sentence in sentences:
            judged = [j for j in report.judgements if j.sentence is sentence]
            for gold in (g for g in sentence.events if g.actual):
                if any(j.right and j.gold is gold for j in judged) or shown >= args.misses:
                    continue
                shown += 1
                text = articles[(sentence.corpus, sentence.doc)].text[sentence.start : sentence.end].strip()
                src = ", ".join(f"{a.text}={a.country}{a.sector or ''}" for a in gold.source)
                tgt = ", ".join(f"{a.text}={a.country}{a.sector or ''}" for a in gold.target)
                coded = "; ".join(f"{j.event.type} [{j.error}]" for j in judged) or "nothing coded"
                print(f"\n[missed] {sentence.key} {gold.category} {src} -> {tgt}   coder: {coded}")
                print(f"   {text[:300]}")
    if args.write and args.split == "dev":
        body = (
            "### On the dev split of our annotated sentences\n\n"
            f"Measured {date.today().isoformat()} with `python benchmarks/precision.py --write` on the dev "
            f"split of `annotations/sentences.jsonl` ({len(sentences)} sentences of {len(articles)} "
            f"documents, {none_sentences} with no event; {gold_events} annotated actual events). How the "
            "set was made and judged: docs/annotation.md.\n\n"
            f"{main_table}\n\n{error_table}\n\n{date_table}\n\nBy confidence threshold:\n\n"
            + "\n".join(sweep)
            + "\n\nCalibration (every coded event, whatever its confidence):\n\n"
            + "\n".join(calibration)
        )
        write_section("evaluation.md", "precision", body)
        print("\nwrote docs/evaluation.md")


if __name__ == "__main__":
    main()
