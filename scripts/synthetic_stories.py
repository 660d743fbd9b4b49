"""The synthetic PLOVER stories and the PLOVER codebook as training examples, and the export of a
fitted scikit-learn model to the coder's JSON format: the parts ``scripts/train_gate.py`` builds on.

The stories: Andy Halterman's 4,500 machine-generated news stories, each labelled with a PLOVER
event and mode (``gpt_synthetic_events_2023-10-19_19.csv.zip``, MIT by declaration), generated from
332 headline templates; factually false, used only to learn which words go with which category.
Features are :func:`powderkeg.coder.classifier.features`, the function the coder calls at run time.
"""

from __future__ import annotations

import csv
import io
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from spacy.tokens import Doc, DocBin

from powderkeg.coder.classifier import FeatureSettings, SentenceClassifier, features
from powderkeg.nlp import load_model

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
DATA = SHARED / "ontology" / "ngec" / "gpt_synthetic_events_2023-10-19_19.csv.zip"
CODEBOOK = DATA.with_name("PLOVER_structured_codebook_updated.csv")


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


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of out-of-fold predictions."""
    grid = np.geomspace(0.05, 5.0, 500)
    return float(grid[int(np.argmin([nll(logits, gold, t) for t in grid]))])


def nll(logits: np.ndarray, gold: np.ndarray, temperature: float) -> float:
    probs = softmax(logits / temperature)
    return float(-np.mean(np.log(probs[np.arange(len(gold)), gold] + 1e-12)))


@dataclass
class Extra:
    """Examples added to every training set (the codebook definitions), with a sample weight."""

    xs: list[list[str]]
    ys: list[str]
    weight: float = 1.0


def read_codebook(path: Path, settings: FeatureSettings, weight: float) -> Extra:
    """The PLOVER codebook's event and mode definitions as training examples, one per distinct text."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    pairs = sorted({(r["event"].strip(), r[col].strip()) for r in rows for col in ("event_def", "mode_def")})
    pairs = [(event, text) for event, text in pairs if event and text]
    docs = load_model().pipe([text for _, text in pairs], n_process=1, batch_size=64)
    xs = [features(doc[:], settings) for doc in docs]
    return Extra(xs=xs, ys=[event for event, _ in pairs], weight=weight)


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
