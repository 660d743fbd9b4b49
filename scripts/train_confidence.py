"""Fit the event confidence model and the gate's thresholds (build time; needs scikit-learn, ../shared).

    python scripts/train_confidence.py            # fit, report cross-validated figures, write the models
    python scripts/train_confidence.py --dry-run  # report only

Run after ``scripts/train_gate.py``, which writes the gate and the out-of-fold gate probabilities of
the train split (``annotations/gate_oof.jsonl``). Every article of the train split of the team's
annotated sentences is coded with those out-of-fold probabilities standing in for the gate (so the
confidence model never sees the gate's reading of a sentence the gate was trained on), every actual
event in an annotated sentence is judged as ``benchmarks/precision.py`` judges it (fully right or
not), and:

1. the gate's thresholds (``none_max``, ``category_min``: a draft is rejected where the gate reads
   no event and little of its category) are chosen on the train split to keep the most fully right
   events while rejecting the most wrong ones, and written into the gate's model file;
2. a logistic model of "fully right" over ``powderkeg.coder.confidence.features`` is fitted on the
   events that pass the gate, its C chosen by cross-validation grouped by document, and written to
   ``data/models/event_confidence.json`` with its cross-validated calibration and the precision and
   recall it gives at each threshold. The dev split and ../shared/gold are never read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from spacy.tokens import Span

from powderkeg.annotations import SourceTexts, judge, load
from powderkeg.coder.classifier import SentenceClassifier, default_model_path
from powderkeg.coder.confidence import DEFAULT_MODEL, ConfidenceModel
from powderkeg.config import load_settings
from powderkeg.nlp import doc_text
from powderkeg.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ANNOTATIONS = ROOT / "annotations" / "sentences.jsonl"
OOF = ROOT / "annotations" / "gate_oof.jsonl"
OUT = ROOT / "src" / "powderkeg" / "data" / "models" / DEFAULT_MODEL
NONE_MAX = (0.8, 0.85, 0.9, 0.95, 0.98, 1.01)
CATEGORY_MIN = (0.0, 0.02, 0.05, 0.1)
# at most 0.05: a stricter floor for verbs' default codes cost 5 points of CAMEO root accuracy on the
# PETRARCH dev set (../shared/gold), conflict text where those codes are more often right than in news
WEAK_MIN = (0.0, 0.05)


class OutOfFoldGate:
    """The gate, answering for the train split's annotated sentences with their out-of-fold probabilities."""

    def __init__(self, model: SentenceClassifier, by_text: dict[tuple[str, int], list[tuple[str, float]]]) -> None:
        self.model = model
        self.metadata = model.metadata
        self.by_text = by_text
        self._hashes: dict[int, str] = {}

    def predict(self, span: Span) -> list[tuple[str, float]]:
        doc = span.doc
        key = self._hashes.get(id(doc))
        if key is None:
            key = self._hashes[id(doc)] = _text_hash(doc_text(doc))
        known = self.by_text.get((key, span.start_char))
        return known if known is not None else self.model.predict(span)


def _text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass
class Row:
    group: str
    features: dict[str, float]
    right: bool
    weak: bool
    rule: str


def coded_rows(pipeline: Pipeline) -> list[Row]:
    sentences = [s for s in load(ANNOTATIONS) if s.split == "train"]
    texts = SourceTexts(SHARED)
    oof = {json.loads(line)["key"]: json.loads(line)["p"] for line in OOF.open(encoding="utf-8")}
    by_text: dict[tuple[str, int], list[tuple[str, float]]] = {}
    keys = sorted({(s.corpus, s.doc) for s in sentences})
    articles = {key: texts.article(*key) for key in keys}
    for s in sentences:
        article = articles[(s.corpus, s.doc)]
        assert article is not None
        probs = sorted(oof[s.key].items(), key=lambda kv: -kv[1])
        by_text[(_text_hash(article.text), s.start)] = probs
    coder = pipeline.coder
    assert coder.classifier is not None
    coder.classifier = OutOfFoldGate(coder.classifier, by_text)  # type: ignore[assignment]
    coder.confidence_model = ConfidenceModel({}, 0.0)  # records every event's features
    coder.gate_none_max, coder.gate_category_min, coder.gate_weak_min = 1.01, 0.0, 0.0  # chosen below
    rows: list[Row] = []
    by_doc: dict[tuple[str, str], list] = {}
    for s in sentences:
        by_doc.setdefault((s.corpus, s.doc), []).append(s)
    for key, coded in zip(keys, pipeline.code_articles(articles[k] for k in keys), strict=True):
        for s in by_doc[key]:
            for event in coded.events:
                at = event.trigger_start if event.trigger_start is not None else event.sentence_start
                if not (event.actual and s.start <= at < s.end):
                    continue
                feats = event.extras.get("confidence_features")
                if not feats:
                    continue
                weak = event.provenance.get("proposer") in ("verbs-default", "model")
                rule = event.extras.get("rule_key", "")
                rows.append(Row(f"{key[0]}:{key[1]}", feats, judge(event, s).right, weak, rule))
    return rows


def passes(row: Row, none_max: float, category_min: float, weak_min: float) -> bool:
    f = row.features
    if row.weak and not f["gate_category_is_best"] and f["gate_category"] < weak_min:
        return False
    return not (1 - f["gate_event"] >= none_max and f["gate_category"] < category_min)


def choose_gate(rows: list[Row]) -> tuple[float, float, float]:
    """The thresholds that reject the most wrong events while keeping every right one we can:
    maximise (right kept) * 4 - (wrong kept), so one right event outweighs four wrong ones; of
    equal ones, the mildest."""
    grid = [(n, c, w) for n in sorted(NONE_MAX, reverse=True) for c in CATEGORY_MIN for w in WEAK_MIN]
    return max(grid, key=lambda t: sum(4 * r.right - (not r.right) for r in rows if passes(r, *t)))


FINE = (0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)


def suggested_threshold(scores: np.ndarray, y: np.ndarray, keep: float = 0.95) -> float:
    """The highest threshold that, on cross-validated scores, still shows ``keep`` of the right
    events: what a user filtering unselected news can set at almost no cost in right events."""
    right = max(int(y.sum()), 1)
    return max(t for t in (0.0, *FINE) if y[scores >= t].sum() >= keep * right)


PRIOR = 5.0  # a rule's record is smoothed towards the overall rate with the weight of this many events


def rule_table(rows: list[Row]) -> dict[str, tuple[int, int]]:
    table: dict[str, tuple[int, int]] = {}
    for r in rows:
        seen, right = table.get(r.rule, (0, 0))
        table[r.rule] = (seen + 1, right + r.right)
    return table


def rule_rates(rows: list[Row], table: dict[str, tuple[int, int]], base: float, leave_one_out: bool) -> np.ndarray:
    """Each row's rule's smoothed rate of fully right events; with ``leave_one_out``, from the
    other rows only (a row's own label must not leak into its feature)."""
    out = []
    for r in rows:
        seen, right = table.get(r.rule, (0, 0))
        if leave_one_out:
            seen, right = seen - 1, right - r.right
        out.append((right + PRIOR * base) / (seen + PRIOR))
    return np.asarray(out)


def matrix(rows: list[Row], names: list[str], rates: np.ndarray) -> np.ndarray:
    base = np.asarray([[r.features.get(n, 0.0) for n in names] for r in rows], dtype=np.float64)
    return np.column_stack([base, rates])


def cross_validate(rows: list[Row], names: list[str], c: float) -> np.ndarray:
    y = np.asarray([r.right for r in rows])
    out = np.zeros(len(rows))
    for train, test in GroupKFold(n_splits=5).split(np.zeros(len(rows)), groups=[r.group for r in rows]):
        train_rows, test_rows = [rows[i] for i in train], [rows[i] for i in test]
        if len(set(y[train])) < 2:
            out[test] = y[train].mean()
            continue
        table, base = rule_table(train_rows), float(y[train].mean())
        x_train = matrix(train_rows, names, rule_rates(train_rows, table, base, leave_one_out=True))
        x_test = matrix(test_rows, names, rule_rates(test_rows, table, base, leave_one_out=False))
        model = LogisticRegression(C=c, max_iter=2000).fit(x_train, y[train])
        out[test] = model.predict_proba(x_test)[:, 1]
    return out


def report(scores: np.ndarray, y: np.ndarray, all_right: int) -> list[dict[str, float]]:
    table = []
    for threshold in (0.0, *FINE):
        kept = scores >= threshold
        table.append(
            {
                "min_confidence": threshold,
                "events": int(kept.sum()),
                "precision": round(float(y[kept].mean()), 3) if kept.any() else None,
                "right_kept_share": round(float(y[kept].sum() / all_right), 3) if all_right else None,
            }
        )
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--C", type=float, nargs="+", default=[0.1, 0.3, 1.0, 3.0])
    args = ap.parse_args(argv)

    pipeline = Pipeline(replace(load_settings(), min_confidence=0.0))
    rows = coded_rows(pipeline)
    print(f"{len(rows)} actual events in annotated train sentences, {sum(r.right for r in rows)} fully right")
    none_max, category_min, weak_min = choose_gate(rows)
    kept = [r for r in rows if passes(r, none_max, category_min, weak_min)]
    print(
        f"gate: none_max {none_max}, category_min {category_min}, weak_min {weak_min}: keeps {len(kept)} events "
        f"({sum(r.right for r in kept)} right), rejects {len(rows) - len(kept)} ({sum(r.right for r in rows) - sum(r.right for r in kept)} right)"  # noqa: E501
    )
    names = sorted({n for r in kept for n in r.features})
    y = np.asarray([r.right for r in kept])
    losses = {}
    for c in args.C:
        scores = np.clip(cross_validate(kept, names, c), 1e-6, 1 - 1e-6)
        losses[c] = float(-np.mean(y * np.log(scores) + (1 - y) * np.log(1 - scores)))
        print(f"C={c}: cross-validated log loss {losses[c]:.4f}")
    c = min(losses, key=losses.__getitem__)
    scores = cross_validate(kept, names, c)
    table = report(scores, y, int(y.sum()))
    suggested = suggested_threshold(scores, y.astype(bool))
    print(f"highest threshold keeping 95% of the right events: {suggested}")
    for line in table:
        print(line)
    bins = []
    for lo in np.arange(0, 1, 0.2):
        inside = (scores >= lo) & (scores < lo + 0.2)
        if inside.any():
            bins.append({"from": round(float(lo), 1), "events": int(inside.sum()),
                         "mean_confidence": round(float(scores[inside].mean()), 3),
                         "share_right": round(float(y[inside].mean()), 3)})  # fmt: skip
    print(bins)
    if args.dry_run:
        return 0
    table, base = rule_table(kept), float(y.mean())
    model = LogisticRegression(C=c, max_iter=2000).fit(matrix(kept, names, rule_rates(kept, table, base, True)), y)
    metadata = {
        "trained": dt.date.today().isoformat(),
        "training_data": "actual events the coder gives in the train split of annotations/sentences.jsonl, "
        "judged fully right (category, source, target) as benchmarks/precision.py judges them; the gate's "
        "out-of-fold probabilities stand in for the gate",
        "events": len(kept),
        "fully_right": int(y.sum()),
        "C": c,
        "cross_validation": {"folds": "5, grouped by document", "by_threshold": table, "calibration": bins},
        "highest_threshold_keeping_95pct_of_right_events": suggested,
    }
    weights = {n: float(w) for n, w in zip([*names, "rule_right_rate"], model.coef_[0], strict=True)}
    ConfidenceModel(weights, float(model.intercept_[0]), table, base, PRIOR, metadata).save(OUT)
    gate_path = default_model_path()
    gate = json.loads(gate_path.read_text(encoding="utf-8"))
    gate["metadata"]["gate"] = {
        "none_max": none_max,
        "category_min": category_min,
        "weak_min": weak_min,
        "chosen_by": "scripts/train_confidence.py on the train split (out-of-fold gate probabilities)",
    }
    SentenceClassifier.from_dict(gate, str(gate_path)).save(gate_path)
    print(f"wrote {OUT} and the gate thresholds into {gate_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
