"""What the coder decided and why, sentence by sentence: the record ``powderkeg explain`` prints.

The coder fills a :class:`Trace` only when one is passed in (``Coder.read(..., trace=Trace())``);
coding without one costs nothing extra.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from powderkeg.model import Event

KEPT, CHANGED, REJECTED = "kept", "changed", "rejected"


@dataclass
class Decision:
    """One finishing step's verdict on a draft event."""

    step: str
    verdict: str  # KEPT, CHANGED or REJECTED
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "verdict": self.verdict, "reason": self.reason}


@dataclass
class CandidateTrace:
    """A draft event a rule proposed, and what the finishing steps made of it."""

    trigger: str
    trigger_start: int
    category: str
    proposer: str  # pattern, verbs, verbs-default, grammar or model
    rule: str
    rule_file: str
    decisions: list[Decision] = field(default_factory=list)
    event: Event | None = None

    @property
    def rejected_by(self) -> Decision | None:
        return next((d for d in self.decisions if d.verdict == REJECTED), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "trigger_start": self.trigger_start,
            "category": self.category,
            "proposer": self.proposer,
            "rule": self.rule,
            "rule_file": self.rule_file,
            "decisions": [d.to_dict() for d in self.decisions],
            "event": self.event.to_dict() if self.event else None,
        }


@dataclass
class Dropped:
    """A word a rule knows that gave no draft event, and why."""

    word: str
    start: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"word": self.word, "start": self.start, "reason": self.reason}


@dataclass
class SentenceTrace:
    text: str
    start: int
    end: int
    gate: list[tuple[str, float]] = field(default_factory=list)  # the gate's labels, most probable first
    dropped: list[Dropped] = field(default_factory=list)
    candidates: list[CandidateTrace] = field(default_factory=list)
    note: str | None = None  # why the sentence as a whole was not coded

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "note": self.note,
            "gate": [{"label": label, "p": round(p, 3)} for label, p in self.gate],
            "dropped": [d.to_dict() for d in self.dropped],
            "candidates": [c.to_dict() for c in self.candidates],
        }


@dataclass
class Trace:
    sentences: list[SentenceTrace] = field(default_factory=list)

    def sentence(self, text: str, start: int, end: int) -> SentenceTrace:
        entry = SentenceTrace(text=text, start=start, end=end)
        self.sentences.append(entry)
        return entry

    def to_dict(self) -> dict[str, Any]:
        return {"sentences": [s.to_dict() for s in self.sentences]}
