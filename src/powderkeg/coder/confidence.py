"""How likely a coded event is fully right: a calibrated logistic model over what the coder knows.

The features (:func:`features`) describe a finished draft: the gate's reading of its sentence,
which kind of rule proposed it, whether its actors are named, placed and political, whether it is
told as reported speech or in a sentence of accident, disease or crime. The weights
(``data/models/event_confidence.json``) are fitted by ``scripts/train_confidence.py`` on the train
split of the team's annotated sentences, with "fully right" judged as in ``benchmarks/precision.py``,
so the score reads as a probability: of events scored 0.8, about eight in ten are right.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from powderkeg.coder import taxonomy
from powderkeg.coder.roles import political

if TYPE_CHECKING:
    from powderkeg.coder.finish import Draft

FORMAT = "powderkeg-event-confidence/1"
DEFAULT_MODEL = "event_confidence.json"
NONE = "NONE"
PROPOSERS = ("pattern", "verbs", "verbs-default", "model", "grammar")


class ConfidenceModelError(ValueError):
    """The confidence model file is missing or malformed; the message names the file."""


def features(d: Draft) -> dict[str, float]:
    """What the confidence model reads of a finished draft (names are stable: the model keys on them)."""
    gate = d.gate
    p_none = gate.get(NONE, 0.0)
    p_category = max(gate.get(d.category, 0.0), gate.get(d.rule.category, 0.0))
    events = {k: v for k, v in gate.items() if k != NONE}
    best = max(events, key=events.__getitem__) if events else None
    named_source = [a for a in d.source if not a.assumed]
    doc = d.sent.doc
    out = {
        "gate_event": 1.0 - p_none,
        "gate_category": p_category,
        "gate_category_is_best": float(best in (d.category, d.rule.category)),
        "rule_has_conditions": float(bool(d.rule.requires)),
        "trigger_is_noun": float(d.cand.trigger.pos_ == "NOUN"),
        "source_named": float(bool(named_source)),
        "source_assumed": float(bool(d.source) and not named_source),
        "source_placed": float(any(a.country for a in d.source)),
        "source_political": float(any(political(a, doc) for a in d.source)),
        "target_named": float(bool(d.target)),
        "target_placed": float(any(a.country for a in d.target)),
        "target_political": float(any(political(a, doc) for a in d.target)),
        "target_nearest": float(d.cand.target_near),
        "reported": float(d.mod.label == "reported" or d.mod.speaker is not None),
        "accident_or_crime_words": float("none" in d.contexts),
        "merged": float(d.cand.merged),
    }
    for proposer in PROPOSERS:
        out[f"proposer={proposer}"] = float(d.rule.origin == proposer)
    for quad in (1, 2, 3, 4):
        out[f"quad={quad}"] = float(taxonomy.quad(d.category) == quad)
    return out


def rule_key(d: Draft) -> str:
    """The rule as the confidence model knows it: its name and its own category."""
    return f"{d.rule.name}/{d.rule.category}"


@dataclass
class ConfidenceModel:
    """A logistic model: P(right) = sigmoid(intercept + sum(weight * feature)).

    Besides the draft's features it reads how often the proposing rule was right in the annotated
    train split (``rules``: rule key -> [events, fully right]), smoothed towards the overall rate
    (``base_rate``) with the weight of ``prior`` events, so a rule seen twice says little."""

    weights: dict[str, float]
    intercept: float
    rules: dict[str, tuple[int, int]] = field(default_factory=dict)
    base_rate: float = 0.0
    prior: float = 5.0
    metadata: dict[str, Any] = field(default_factory=dict)

    def rule_rate(self, key: str) -> float:
        seen, right = self.rules.get(key, (0, 0))
        return (right + self.prior * self.base_rate) / (seen + self.prior)

    def score(self, values: dict[str, float], rule: str | None = None) -> float:
        values = {**values, "rule_right_rate": self.rule_rate(rule) if rule is not None else self.base_rate}
        z = self.intercept + sum(w * values.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "intercept": round(self.intercept, 5),
            "weights": {k: round(v, 5) for k, v in self.weights.items()},
            "base_rate": round(self.base_rate, 5),
            "prior": self.prior,
            "rules": {k: list(v) for k, v in sorted(self.rules.items())},
            "metadata": self.metadata,
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> ConfidenceModel:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfidenceModelError(f"{path}: cannot read the confidence model: {exc}") from exc
        if data.get("format") != FORMAT:
            raise ConfidenceModelError(f"{path}: format is {data.get('format')!r}, expected {FORMAT!r}")
        try:
            weights = {str(k): float(v) for k, v in data["weights"].items()}
            intercept = float(data["intercept"])
            rules = {str(k): (int(v[0]), int(v[1])) for k, v in data.get("rules", {}).items()}
            base_rate, prior = float(data.get("base_rate", 0.0)), float(data.get("prior", 5.0))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ConfidenceModelError(f"{path}: malformed confidence model: {exc}") from exc
        return cls(weights, intercept, rules, base_rate, prior, dict(data.get("metadata", {})))


def default_model_path() -> Path:
    base = resources.files("powderkeg") / "data" / "models" / DEFAULT_MODEL
    return Path(str(base))


@lru_cache(maxsize=1)
def load_default() -> ConfidenceModel | None:
    """The shipped model, or None before one has been trained."""
    path = default_model_path()
    return ConfidenceModel.load(path) if path.is_file() else None
