"""Scoring the coder against gold JSONL (the schema of ``../shared/gold/README.md``).

Each record is coded as a JSONL record would be (its ``published`` date anchors relative dates);
only actual events (not negated, hypothetical or historical) count as predictions. A field is
scored only on the gold events that carry it:

- ``plover_category``: a predicted event of the gold category exists in the record.
- ``plover_mode``: that event has the gold mode.
- ``source_country`` / ``target_country`` / ``*_sector``: on the matched event (same category, else
  same CAMEO root, else the most confident one), the gold actor's country (sector) is among the
  predicted actors' countries (sectors). Gold CAMEO country codes (``JAP``) are mapped to ISO3.
- ``cameo_root`` / ``cameo_code``: a predicted event with the gold CAMEO root (full code).
- ``no_event``: a record marked ``no_event`` gets no actual event.
- ``date``, ``fatalities``, ``injuries``: equal on the matched event.
- ``location_161km``: the matched event's location within 161 km of the gold point.
- ``acled_type`` / ``acled_subtype``: one label per record (the ACLED type of the record's first
  event that has one, its lead event; ``None`` when the coder finds no ACLED event), scored as
  accuracy and weighted F1 over the gold labels of records that have one.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from powderkeg.model import Document, Event
from powderkeg.pipeline import Pipeline


class GoldError(ValueError):
    """A gold file that cannot be read; the message names the line."""


@dataclass
class Tally:
    correct: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.correct += bool(ok)
        self.total += 1

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.total if self.total else None


@dataclass
class Report:
    name: str
    records: int = 0
    gold_events: int = 0
    predicted_events: int = 0
    seconds: float = 0.0
    fields: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    labels: dict[str, list[tuple[str | None, str | None]]] = field(default_factory=lambda: defaultdict(list))

    def f1(self, name: str) -> float | None:
        return weighted_f1(self.labels.get(name, []))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "gold": self.name,
            "records": self.records,
            "gold_events": self.gold_events,
            "predicted_events": self.predicted_events,
            "seconds": round(self.seconds, 2),
            "fields": {
                k: {"accuracy": _round(v.accuracy), "correct": v.correct, "total": v.total}
                for k, v in sorted(self.fields.items())
            },
        }
        for name, pairs in sorted(self.labels.items()):
            out["fields"][f"{name}_weighted_f1"] = {"f1": _round(weighted_f1(pairs)), "total": len(pairs)}
        return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def weighted_f1(pairs: list[tuple[str | None, str | None]]) -> float | None:
    """F1 per gold class, weighted by the class's support; predictions of no class count as misses."""
    if not pairs:
        return None
    support = Counter(g for g, _ in pairs)
    predicted = Counter(p for _, p in pairs)
    hits = Counter(g for g, p in pairs if g == p)
    total = 0.0
    for label, n in support.items():
        precision = hits[label] / predicted[label] if predicted[label] else 0.0
        recall = hits[label] / n
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        total += f1 * n
    return total / len(pairs)


def read_gold(path: str | Path) -> Iterator[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise GoldError(f"{path}:{number}: not JSON ({exc})") from exc
            if not isinstance(record, dict) or "text" not in record:
                raise GoldError(f"{path}:{number}: a gold record needs a text")
            yield record


def _count(value: object) -> int | None:
    """A gold count, written as a number or a numeric string."""
    try:
        return None if value is None or value == "" else int(str(value).strip())
    except ValueError:
        return None


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


class Scorer:
    """Compares predicted events with one gold record's events and adds to a report."""

    def __init__(self, normalize_country: Callable[[str], str]) -> None:
        self.country = normalize_country

    def _countries(self, actors: Iterable[dict[str, Any]]) -> list[str]:
        out = []
        for a in actors:
            code = a.get("country") or (a.get("code") or "")[:3] or None
            if code:
                out.append(self.country(code))
        return out

    @staticmethod
    def _sectors(actors: Iterable[dict[str, Any]]) -> list[str]:
        out = []
        for a in actors:
            sector = a.get("sector")
            if sector is None and a.get("code") and len(a["code"]) >= 6:
                sector = a["code"][3:6]
            if sector:
                out.append(sector[:3].upper())
        return out

    def _match(self, gold: dict[str, Any], predicted: list[Event]) -> Event | None:
        if not predicted:
            return None
        if gold.get("type"):
            same = [e for e in predicted if e.type == gold["type"]]
            if same:
                return max(same, key=lambda e: e.confidence)
        if gold.get("cameo"):
            root = str(gold["cameo"])[:2]
            same = [e for e in predicted if (e.cameo or "")[:2] == root]
            if same:
                return max(same, key=lambda e: e.confidence)
        return max(predicted, key=lambda e: e.confidence)

    def score(self, record: dict[str, Any], predicted: list[Event], report: Report) -> None:
        from powderkeg.coder import taxonomy

        report.records += 1
        report.predicted_events += len(predicted)
        gold_events = record.get("events") or []
        if record.get("no_event"):
            report.fields["no_event"].add(not predicted)
        acled_gold = [e for e in gold_events if "acled_subtype" in e or "acled_type" in e]
        if acled_gold or record.get("no_acled_event"):
            self._score_acled(record, acled_gold, predicted, report)
        for gold in gold_events:
            if record.get("no_acled_event") or (acled_gold and not gold.get("type") and not gold.get("cameo")):
                continue
            report.gold_events += 1
            match = self._match(gold, predicted)
            if gold.get("type"):
                same_type = [e for e in predicted if e.type == gold["type"]]
                report.fields["plover_category"].add(bool(same_type))
                if gold.get("mode"):
                    try:
                        mode = taxonomy.canonical_mode(gold["type"], gold["mode"])
                    except ValueError:
                        mode = gold["mode"]
                    report.fields["plover_mode"].add(any(e.mode == mode for e in same_type))
            if gold.get("cameo"):
                code = str(gold["cameo"])
                report.fields["cameo_root"].add(any((e.cameo or "")[:2] == code[:2] for e in predicted))
                report.fields["cameo_code"].add(any(e.cameo == code for e in predicted))
            for role in ("source", "target"):
                gold_actors = gold.get(role) or []
                gold_countries = self._countries(gold_actors)
                got = [a.to_dict() for a in (getattr(match, role) if match else [])]
                if gold_countries:
                    report.fields[f"{role}_country"].add(gold_countries[0] in self._countries(got))
                gold_sectors = self._sectors(gold_actors)
                if gold_sectors:
                    report.fields[f"{role}_sector"].add(gold_sectors[0] in self._sectors(got))
            if gold.get("date"):
                report.fields["date"].add(match is not None and match.date == gold["date"])
            for name in ("fatalities", "injuries"):
                expected = _count(gold.get(name))
                if expected is not None:
                    report.fields[name].add(match is not None and getattr(match, name) == expected)
            loc = gold.get("location") or {}
            if loc.get("lat") is not None and loc.get("lon") is not None:
                place = match.location if match else None
                ok = bool(place and place.lat is not None and place.lon is not None) and (
                    _haversine_km(loc["lat"], loc["lon"], place.lat, place.lon) <= 161  # type: ignore[union-attr,arg-type]
                )
                report.fields["location_161km"].add(ok)

    def _score_acled(
        self, record: dict[str, Any], gold: list[dict[str, Any]], predicted: list[Event], report: Report
    ) -> None:
        labelled = [e for e in predicted if e.acled_subtype]
        # the report's lead event: news puts the main event first
        best = min(labelled, key=lambda e: (e.sentence_start, -e.confidence)) if labelled else None
        if record.get("no_acled_event"):
            report.fields["no_acled_event"].add(best is None)
            return
        g = gold[0]
        report.labels["acled_subtype"].append((g.get("acled_subtype"), best.acled_subtype if best else None))
        report.labels["acled_type"].append((g.get("acled_type"), best.acled_type if best else None))
        report.fields["acled_type"].add(best is not None and best.acled_type == g.get("acled_type"))
        report.fields["acled_subtype"].add(best is not None and best.acled_subtype == g.get("acled_subtype"))


def evaluate(
    path: str | Path,
    pipeline: Pipeline | None = None,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
    min_confidence: float = 0.0,
) -> Report:
    """Code every record of a gold file and score it; events under ``min_confidence`` are not
    predictions (0: every actual event the coder gives)."""
    pipeline = pipeline or Pipeline()
    records = list(read_gold(path))[:limit]
    countries = pipeline.coder.dicts.countries

    def normalize(code: str) -> str:
        return countries.iso3_for_cameo(code) or code

    scorer = Scorer(normalize)
    report = Report(name=Path(path).name)
    start = time.perf_counter()
    docs = (
        Document(origin=f"{path}:{r.get('id')}", kind="record", raw=r["text"], published=r.get("published"))
        for r in records
    )
    for index, (record, coded) in enumerate(zip(records, pipeline.code_documents(docs), strict=True)):
        predicted = [e for e in coded.events if e.actual and e.confidence >= min_confidence]
        scorer.score(record, predicted, report)
        if progress:
            progress(index + 1)
    report.seconds = time.perf_counter() - start
    return report
