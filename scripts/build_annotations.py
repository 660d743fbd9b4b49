"""Gather the annotators' work into the annotated set, and measure their agreement.

    python scripts/build_annotations.py --work /tmp/annotation   # holds tasks/ and out/ (see below)

Reads ``annotations/sample.jsonl`` (made by ``sample_annotation_sentences.py``), the annotators'
task files ``WORK/tasks/batch_NN.jsonl`` (for the sentence texts, checked against the sample's
hashes) and their answers ``WORK/out/batch_NN.jsonl`` (``{"id", "events": [...]}`` a line, in the
shape of docs/annotation.md, with actor texts copied from the sentence). Sentence ``sNNNN`` was
annotated first in batch ``NNNN % batches``, and, if it is one of the doubly annotated ones, again
in the next batch.

Writes ``annotations/sentences.jsonl`` (the first annotation of every sentence, with character
offsets of every actor in the document text; no text), ``annotations/second.jsonl`` (the second
annotation of the doubly annotated sentences) and the agreement figures into docs/annotation.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from powderkeg.annotations import (
    NONE,
    AnnotatedSentence,
    GoldActor,
    GoldEvent,
    SourceTexts,
    parse_record,
    sentence_hash,
    write,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from report import write_section  # noqa: E402


def anchored(events: list[dict], text: str, offset: int, where: str) -> list[GoldEvent]:
    """The events of an answer, each actor given its offsets in the document text."""
    out = []
    for event in events:
        record = parse_record(
            {"corpus": "-", "doc": "-", "start": 0, "end": 0, "sha1": "-", "split": "-", "events": [event]}, where
        ).events[0]
        for actor in record.source + record.target:
            at = text.find(actor.text)
            if at < 0:
                raise SystemExit(f"{where}: actor text {actor.text!r} is not in the sentence")
            actor.start, actor.end = offset + at, offset + at + len(actor.text)
        out.append(record)
    return out


def kappa(pairs: list[tuple[str, str]]) -> float:
    """Cohen's kappa of two annotators' labels."""
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in first) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def _same_actor(a: GoldActor, b: GoldActor) -> bool:
    overlap = a.start is not None and b.start is not None and a.start < (b.end or 0) and b.start < (a.end or 0)
    return overlap and a.country == b.country


def _roles_agree(x: list[GoldActor], y: list[GoldActor]) -> bool:
    if not x or not y:
        return not x and not y
    return all(any(_same_actor(a, b) for b in y) for a in x) and all(any(_same_actor(b, a) for a in x) for b in y)


def agreement(first: list[AnnotatedSentence], second: dict[str, AnnotatedSentence]) -> dict[str, object]:
    pairs = [(s, second[s.key]) for s in first if s.key in second]
    labels = [(a.category_label, b.category_label) for a, b in pairs]
    binary = [(str(x != NONE), str(y != NONE)) for x, y in labels]
    # events both annotators coded in the same sentence with the same category, actual or not
    matched = source_agree = target_agree = both_events = 0
    for a, b in pairs:
        a_events, b_events = list(a.events), list(b.events)
        both_events += len(a_events) + len(b_events)
        for event in a_events:
            twin = next((e for e in b_events if e.category == event.category), None)
            if twin is None:
                continue
            b_events.remove(twin)
            matched += 1
            source_agree += _roles_agree(event.source, twin.source)
            target_agree += _roles_agree(event.target, twin.target)
    return {
        "sentences": len(pairs),
        "with_event_either": sum(x != NONE or y != NONE for x, y in labels),
        "label_agreement": sum(x == y for x, y in labels) / len(labels),
        "kappa_category": kappa(labels),
        "kappa_event_or_none": kappa(binary),
        "events": both_events,
        "matched_events": matched,
        "event_f1": 2 * matched / both_events if both_events else None,
        "source_agreement": source_agree / matched if matched else None,
        "target_agreement": target_agree / matched if matched else None,
    }


def read_round(sample_path: Path, work: Path, batches: int, prefix: str, annotators: str):
    """The first and second annotations of one round's sentences."""
    sample = [json.loads(line) for line in sample_path.open(encoding="utf-8")]
    texts: dict[str, str] = {}
    answers: dict[tuple[str, int], dict] = {}
    for b in range(batches):
        for line in (work / "tasks" / f"batch_{b:02d}.jsonl").open(encoding="utf-8"):
            row = json.loads(line)
            texts[row["id"]] = row["text"]
        for line in (work / "out" / f"batch_{b:02d}.jsonl").open(encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                answers[(row["id"], b)] = row  # the last answer for an id counts
    first: list[AnnotatedSentence] = []
    second: dict[str, AnnotatedSentence] = {}
    for row in sample:
        sid, n = row["id"], int(row["id"].removeprefix(prefix))
        text = texts[sid]
        if sentence_hash(text) != row["sha1"]:
            raise SystemExit(f"{sid}: the task text does not match the sample's hash")
        for turn, batch in enumerate((n % batches, (n + 1) % batches)):
            if turn == 1 and not row["double"]:
                break
            answer = answers.get((sid, batch))
            if answer is None:
                raise SystemExit(f"{sid}: no answer in batch {batch:02d}")
            sentence = AnnotatedSentence(
                corpus=row["corpus"],
                doc=row["doc"],
                start=row["start"],
                end=row["end"],
                sha1=row["sha1"],
                split=row["split"],
                annotator=f"{annotators}{batch + 1}",
                events=anchored(answer.get("events") or [], text, row["start"] + _lead(text, row), f"{sid}@{batch}"),
                selection=row.get("selection", "random"),
            )
            if turn == 0:
                first.append(sentence)
            else:
                second[sentence.key] = sentence
    return first, second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="the first round's folder (tasks/, out/)")
    parser.add_argument("--work2", type=Path, default=None, help="the second round's folder")
    parser.add_argument("--write", action="store_true", help="write the agreement figures into docs/annotation.md")
    args = parser.parse_args()

    first, second = read_round(ROOT / "annotations" / "sample.jsonl", args.work, 8, "s", "A")
    rounds = [("first", first, second)]
    if args.work2:
        first2, second2 = read_round(ROOT / "annotations" / "sample2.jsonl", args.work2, 6, "t", "B")
        rounds.append(("second", first2, second2))
        first, second = first + first2, {**second, **second2}
    write(ROOT / "annotations" / "sentences.jsonl", first)
    write(ROOT / "annotations" / "second.jsonl", second.values())

    randoms = [s for s in first if s.selection == "random"]
    proposed = [s for s in first if s.selection == "proposed"]
    by_split = Counter(s.split for s in randoms)
    docs = {split: len({(s.corpus, s.doc) for s in randoms if s.split == split}) for split in ("train", "dev")}
    events = Counter(e.category for s in randoms for e in s.events if e.actual)
    flagged = sum(not e.actual for s in randoms for e in s.events)
    agreements = {name: agreement(a, b) for name, a, b in rounds}
    print(json.dumps({"random": len(randoms), "proposed": len(proposed), "by_split": by_split, "docs": docs},
                     indent=1, default=str))  # fmt: skip
    print(json.dumps(agreements, indent=1, default=str))
    print(dict(events.most_common()))
    if args.write:
        lines = [
            f"- **{len(randoms):,} sentences drawn at random** (seeds 20261207 and 20261208) from "
            f"`../shared/corpus/news_en.jsonl` ({sum(s.corpus == 'news' for s in randoms):,}) and the English "
            f"extraction pages ({sum(s.corpus == 'pages' for s in randoms):,}); "
            f"{sum(bool(s.events) for s in randoms):,} hold an event: "
            f"{sum(e.actual for s in randoms for e in s.events):,} actual events and {flagged} negated, "
            "hypothetical or historical ones. Precision and recall are measured on these only.",
            f"- **Split by document**: train {by_split['train']:,} sentences of {docs['train']} documents, "
            f"dev {by_split['dev']:,} sentences of {docs['dev']} documents (one document in three is dev, "
            "fixed by a hash of its name: `powderkeg.annotations.split_of`).",
            "- Actual events by category (random sentences): "
            + ", ".join(f"{k} {v}" for k, v in events.most_common())
            + ".",
        ]
        if proposed:
            lines.append(
                f"- **{len(proposed):,} more train sentences picked because the coder proposed an event in them**"
                f" (`\"selection\": \"proposed\"`; {sum(bool(s.events) for s in proposed):,} hold an event by "
                "the guideline): labels for the very decisions the gate and the confidence model make. They "
                "come from train documents only and are never scored."
            )
        for name, _, _second in rounds:
            stats = agreements[name]
            lines.append(
                f"- **Agreement, {name} round**: {stats['sentences']} sentences annotated twice, independently "
                f"({stats['with_event_either']} with an event for at least one annotator): Cohen's kappa "
                f"**{stats['kappa_category']:.2f}** on the sentence's category (its first actual event's, or "
                f"none; raw agreement {stats['label_agreement']:.3f}), {stats['kappa_event_or_none']:.2f} on "
                f"event-or-none; events of the same category found by both: F1 {stats['event_f1']:.2f}; of "
                f"those, the source actors agree (same words, same country) in {stats['source_agreement']:.0%} "
                f"and the targets in {stats['target_agreement']:.0%}."
            )
        write_section("annotation.md", "annotation-set", "\n".join(lines))
        print("wrote docs/annotation.md")


def _lead(text: str, row: dict) -> int:
    """Where the stripped sentence text starts inside the sentence's span (after leading whitespace)."""
    span = _sources().article(row["corpus"], row["doc"])
    if span is None:
        raise SystemExit(f"{row['id']}: document {row['corpus']}:{row['doc']} not found")
    at = span.text[row["start"] : row["end"]].find(text)
    if at < 0:
        raise SystemExit(f"{row['id']}: the sentence is not where the sample says")
    return at


_SHARED: list[SourceTexts] = []


def _sources() -> SourceTexts:
    if not _SHARED:
        _SHARED.append(SourceTexts(ROOT.parent / "shared"))
    return _SHARED[0]


if __name__ == "__main__":
    main()
