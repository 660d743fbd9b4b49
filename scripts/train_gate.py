"""Train powderkeg's learned gate: does a sentence hold a codable event, and of which PLOVER category?

    python scripts/train_gate.py                       # cross-validate, fit, write data/models/plover_sentence.json
    python scripts/train_gate.py --experiment          # compare settings by cross-validation, write nothing
    python scripts/train_gate.py --cache /tmp/gate     # keep the parses between runs

Build time only (needs scikit-learn and ../shared). The model is the sentence classifier the coder
already reads (``powderkeg.coder.classifier``: tf-idf features of the parse, multinomial logistic
regression, numpy at run time) with one more label, ``NONE``: no codable event.

Training data, and nothing else:
- the **train split** of the team's annotated sentences (``annotations/sentences.jsonl``, split by
  document; docs/annotation.md): each sentence's label is its first event's category, or NONE. The
  sentences are parsed inside their documents, as the coder sees them;
- the **synthetic stories** (``gpt_synthetic_events_2023-10-19_19.csv.zip``, 4,500 machine-made
  stories with a PLOVER label, MIT by declaration): their first two sentences, at a lower weight so
  that they teach the categories' words without drowning the none sentences;
- **codebook examples**: the PLOVER codebook's event and mode definitions and the CAMEO codebook's
  example sentences (``icews_cameo-codes.csv``), labelled through the CAMEO-to-PLOVER crosswalk
  (CAMEO codes PLOVER does not code, such as public statements, are NONE).

The dev split and the gold sets in ../shared/gold are never read. Settings (C, the synthetic
weight) are chosen by 5-fold cross-validation grouped by document on the train split; the
temperature that calibrates the probabilities is fitted on the out-of-fold predictions. The
out-of-fold probabilities are written too (``--oof``): the confidence model is trained on them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from spacy.tokens import Doc, DocBin

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic_stories as synthetic  # noqa: E402

from powderkeg.annotations import NONE, AnnotatedSentence, SourceTexts, load  # noqa: E402
from powderkeg.coder import taxonomy  # noqa: E402
from powderkeg.coder.classifier import FeatureSettings, features  # noqa: E402
from powderkeg.nlp import load_model  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
OUT = ROOT / "src" / "powderkeg" / "data" / "models" / "plover_sentence.json"
ANNOTATIONS = ROOT / "annotations" / "sentences.jsonl"
CAMEO_CODEBOOK = SHARED / "ontology" / "cameo" / "icews_cameo-codes.csv"
SEED = 13


@dataclass
class Example:
    feats: list[str]
    label: str
    group: str  # the document: sentences of one document stay in one fold
    weight: float = 1.0


def sentence_label(sentence: AnnotatedSentence) -> str:
    """The gate's label: the first event's category (the coder reads modality itself), or NONE."""
    return sentence.events[0].category if sentence.events else NONE


def annotated_examples(
    sentences: list[AnnotatedSentence], settings: FeatureSettings, cache: Path | None
) -> list[Example]:
    """Features of annotated sentences, parsed inside their documents as the coder parses them."""
    texts = SourceTexts(SHARED)
    keys = sorted({(s.corpus, s.doc) for s in sentences})
    nlp = load_model()
    docs: list[Doc]
    cached = cache / "annotated.spacy" if cache else None
    if cached and cached.exists():
        docs = list(DocBin().from_disk(cached).get_docs(nlp.vocab))
    else:
        articles = [texts.article(*key) for key in keys]
        started = time.perf_counter()
        docs = list(nlp.pipe((a.text for a in articles if a), n_process=2, batch_size=16))
        print(f"parsed {len(docs)} documents in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            DocBin(docs=docs, store_user_data=False).to_disk(cached)
    by_key = dict(zip(keys, docs, strict=True))
    out = []
    for s in sentences:
        doc = by_key[(s.corpus, s.doc)]
        span = doc.char_span(s.start, s.end, alignment_mode="expand")
        if span is None:
            raise SystemExit(f"{s.key}: no span at these offsets")
        out.append(Example(features(span, settings), sentence_label(s), f"{s.corpus}:{s.doc}"))
    return out


def synthetic_examples(settings: FeatureSettings, weight: float, cache: Path | None) -> list[Example]:
    rows = synthetic.read_rows(synthetic.DATA)
    heads, texts = synthetic.parse(rows, cache / "synthetic.spacy" if cache else None)
    stories = synthetic.build_stories(rows, heads, texts, settings)
    out = []
    for story in stories:
        for item in story.sentences[:2]:
            if item:
                out.append(Example(item, story.label, f"synthetic:{story.group}", weight))
    return out


def codebook_examples(settings: FeatureSettings, weight: float) -> list[Example]:
    plover = synthetic.read_codebook(synthetic.CODEBOOK, settings, weight)
    out = [Example(x, y, "codebook", weight) for x, y in zip(plover.xs, plover.ys, strict=True)]
    with CAMEO_CODEBOOK.open(encoding="utf-8", errors="replace") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("example", "").strip()]
    labels = []
    for r in rows:
        mapped = taxonomy.plover_for_cameo(r["code"].strip())
        labels.append(mapped[0] if mapped else NONE)
    docs = load_model().pipe([r["example"].strip() for r in rows], batch_size=64)
    for doc, label in zip(docs, labels, strict=True):
        out.append(Example(features(doc[:], settings), label, "codebook", weight))
    return out


def fit_weighted(examples: list[Example], c: float) -> synthetic.Fitted:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=synthetic._identity, sublinear_tf=True, min_df=2, norm="l2", dtype=np.float32)
    matrix = vectorizer.fit_transform([e.feats for e in examples])
    labels = [e.label for e in examples]
    weights = np.asarray([e.weight for e in examples], dtype=np.float64)
    # balance the classes by their total weight, so the rare categories count
    totals: dict[str, float] = {}
    for label, w in zip(labels, weights, strict=True):
        totals[label] = totals.get(label, 0.0) + w
    mean = sum(totals.values()) / len(totals)
    balance = np.asarray([mean / totals[label] for label in labels])
    model = LogisticRegression(C=c, max_iter=4000)
    model.fit(matrix, labels, sample_weight=weights * balance)
    return synthetic.Fitted(vectorizer, model)


@dataclass
class CV:
    auc: float  # event vs none, from 1 - P(NONE)
    category_accuracy: float  # best non-NONE label on sentences with an event
    none_accuracy: float  # argmax is NONE on none sentences
    logits: np.ndarray
    gold: list[str]
    labels: list[str]


def cross_validate(ours: list[Example], extra: list[Example], c: float, folds: int = 5) -> CV:
    groups = [e.group for e in ours]
    logits = np.zeros((len(ours), 0))
    labels: list[str] = []
    parts: dict[int, np.ndarray] = {}
    for train, test in GroupKFold(n_splits=folds).split(np.zeros(len(ours)), groups=groups):
        fitted = fit_weighted([ours[i] for i in train] + extra, c)
        labels = [str(x) for x in fitted.model.classes_]
        block = fitted.logits([ours[i].feats for i in test])
        for row, i in zip(block, test, strict=True):
            parts[int(i)] = row
    logits = np.vstack([parts[i] for i in range(len(ours))])
    gold = [e.label for e in ours]
    probs = synthetic.softmax(logits)
    none = labels.index(NONE)
    is_event = np.asarray([g != NONE for g in gold])
    auc = float(roc_auc_score(is_event, 1 - probs[:, none]))
    masked = probs.copy()
    masked[:, none] = -1
    best = [labels[i] for i in masked.argmax(axis=1)]
    cat_acc = float(np.mean([b == g for b, g, e in zip(best, gold, is_event, strict=True) if e]))
    none_acc = float(np.mean(probs[~is_event].argmax(axis=1) == none))
    return CV(auc, cat_acc, none_acc, logits, gold, labels)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--cache", type=Path, help="folder to keep the parses between runs")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--oof", type=Path, default=ROOT / "annotations" / "gate_oof.jsonl",
                    help="where to write the out-of-fold gate probabilities of the train split")  # fmt: skip
    ap.add_argument("--C", type=float, nargs="+", default=[0.5, 1.0, 2.0, 4.0])
    ap.add_argument("--synthetic-weight", type=float, nargs="+", default=[0.1, 0.3])
    ap.add_argument("--codebook-weight", type=float, default=1.0)
    ap.add_argument("--entities", action=argparse.BooleanOptionalAction, default=True,
                    help="features for the kinds of named entity a sentence holds")  # fmt: skip
    ap.add_argument("--experiment", action="store_true", help="print the cross-validation table, write nothing")
    args = ap.parse_args(argv)

    settings = FeatureSettings(entities=args.entities)
    train = [s for s in load(ANNOTATIONS) if s.split == "train"]
    ours = annotated_examples(train, settings, args.cache)
    codebook = codebook_examples(settings, args.codebook_weight)
    results = {}
    print("synthetic-weight  C      AUC(event)  category-acc  none-acc")
    for weight in args.synthetic_weight:
        extra = synthetic_examples(settings, weight, args.cache) + codebook
        for c in args.C:
            cv = cross_validate(ours, extra, c)
            results[(weight, c)] = cv
            print(f"{weight:<16}  {c:<5}  {cv.auc:.3f}       {cv.category_accuracy:.3f}         {cv.none_accuracy:.3f}")
    if args.experiment:
        return 0
    weight, c = max(results, key=lambda k: results[k].auc + results[k].category_accuracy)
    cv = results[(weight, c)]
    gold_idx = np.asarray([cv.labels.index(g) for g in cv.gold])
    temperature = synthetic.fit_temperature(cv.logits, gold_idx)
    probs = synthetic.softmax(cv.logits / temperature)
    with args.oof.open("w", encoding="utf-8") as out:
        for s, row in zip(train, probs, strict=True):
            top = {cv.labels[i]: round(float(row[i]), 4) for i in np.argsort(-row)[:6]}
            out.write(json.dumps({"key": s.key, "p": top}) + "\n")
    extra = synthetic_examples(settings, weight, args.cache) + codebook
    fitted = fit_weighted(ours + extra, c)
    fitted.temperature = temperature
    metadata = {
        "trained": dt.date.today().isoformat(),
        "purpose": "gate: does a sentence hold a codable event (NONE = no), and of which PLOVER category",
        "training_data": {
            "annotated_train_sentences": len(ours),
            "annotated_with_event": sum(e.label != NONE for e in ours),
            "synthetic_examples": sum(1 for e in extra if e.group.startswith("synthetic:")),
            "synthetic_weight": weight,
            "codebook_examples": len(codebook),
            "codebook_weight": args.codebook_weight,
        },
        "C": c,
        "cross_validation": {
            "folds": "5, grouped by document, train split only",
            "auc_event_vs_none": round(cv.auc, 4),
            "category_accuracy_on_event_sentences": round(cv.category_accuracy, 4),
            "none_accuracy": round(cv.none_accuracy, 4),
            "temperature": round(temperature, 4),
        },
        "features": asdict(settings),
    }
    model = synthetic.export(fitted, settings, metadata)
    model.save(args.out)
    print(f"C={c}, synthetic weight {weight}, temperature {temperature:.2f}: wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
