"""The team's own annotated sentences: where their texts come from, how they are stored, and how
the coder is scored against them (``benchmarks/precision.py``; guideline in ``docs/annotation.md``).

An annotated sentence is kept as data without its text: the corpus and document it comes from,
character offsets into the document's text as powderkeg extracts it, a hash of the sentence text
(so a changed extractor is noticed, not silently scored), its split, and its events. The texts
stay where they are published (``../shared``); :class:`SourceTexts` reads them back.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from powderkeg.extract import extract
from powderkeg.model import Actor, Article, Document, Event, Status

CORPORA = ("news", "pages")
# the news corpus and the extraction pages, relative to the shared folder
NEWS_PATH = Path("corpus") / "news_en.jsonl"
PAGES_PATH = Path("gold") / "extraction" / "trafilatura_eval_html.tar.xz"

CATEGORIES = (
    "AGREE CONSULT SUPPORT CONCEDE COOPERATE AID RETREAT REQUEST "
    "ACCUSE REJECT THREATEN PROTEST SANCTION MOBILIZE COERCE ASSAULT"
).split()
NONE = "NONE"


class AnnotationError(ValueError):
    """A malformed annotation record; the message names the file and line."""


def sentence_hash(text: str) -> str:
    """The short hash that ties an annotation to the exact sentence text it was made on."""
    return hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:12]


def split_of(corpus: str, doc: str, dev_share: int = 3) -> str:
    """The split of a document, fixed by a hash of its name: every sentence of one article is on
    the same side, and one in ``dev_share`` articles is dev."""
    digest = int(hashlib.sha1(f"{corpus}:{doc}".encode()).hexdigest()[:8], 16)
    return "dev" if digest % dev_share == 0 else "train"


# -- the source texts ------------------------------------------------------------------------------


class SourceTexts:
    """The documents annotated sentences point into, read from the shared folder and extracted
    the way ``powderkeg ingest`` extracts them (JSONL records as records, pages as HTML)."""

    def __init__(self, shared: Path) -> None:
        self.shared = Path(shared)
        self._articles: dict[tuple[str, str], Article] = {}

    def available(self) -> bool:
        return (self.shared / NEWS_PATH).is_file() and (self.shared / PAGES_PATH).is_file()

    def documents(self, corpus: str) -> Iterator[tuple[str, Article]]:
        """(document name, extracted article) for every readable English document of a corpus."""
        if corpus == "news":
            yield from self._news()
        elif corpus == "pages":
            yield from self._pages()
        else:
            raise ValueError(f"unknown corpus {corpus!r} (expected one of {', '.join(CORPORA)})")

    def article(self, corpus: str, doc: str) -> Article | None:
        if not self._articles:
            for name in CORPORA:
                for key, article in self.documents(name):
                    self._articles[(name, key)] = article
        return self._articles.get((corpus, doc))

    def _news(self) -> Iterator[tuple[str, Article]]:
        with (self.shared / NEWS_PATH).open(encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                row = json.loads(line)
                document = Document(
                    origin=f"news_en.jsonl:{row['id']}",
                    kind="record",
                    raw=row["text"],
                    doc_id=str(row["id"]),
                    title=row.get("title"),
                    url=row.get("url"),
                    published=row.get("published"),
                )
                article = extract(document)
                if article.status is Status.OK:
                    yield str(row["id"]), article

    def _pages(self) -> Iterator[tuple[str, Article]]:
        pages: dict[str, bytes] = {}
        with tarfile.open(self.shared / PAGES_PATH, "r:xz") as archive:
            for member in archive:  # in archive order: seeking back in an xz stream decompresses again
                handle = archive.extractfile(member) if member.isfile() else None
                if handle is not None:
                    pages[Path(member.name).name] = handle.read()
        for name in sorted(pages):
            article = extract(Document(origin=name, kind="html", raw=pages[name], doc_id=name))
            if article.status is Status.OK:
                yield name, article


# -- annotation records --------------------------------------------------------------------------


@dataclass
class GoldActor:
    text: str
    start: int | None  # offsets into the document text; None when the actor is not named in it
    end: int | None
    country: str | None
    sector: str | None = None
    org: str | None = None


@dataclass
class GoldEvent:
    category: str
    source: list[GoldActor]
    target: list[GoldActor]
    mode: str | None = None
    negated: bool = False
    hypothetical: bool = False
    historical: bool = False
    date: str | None = None  # YYYY-MM-DD, YYYY-MM or YYYY; None where the text does not tell

    @property
    def actual(self) -> bool:
        return not (self.negated or self.hypothetical or self.historical)


@dataclass
class AnnotatedSentence:
    corpus: str
    doc: str
    start: int
    end: int
    sha1: str
    split: str
    annotator: str
    events: list[GoldEvent] = field(default_factory=list)
    # "random" (drawn at random: what precision is measured on) or "proposed" (a train sentence
    # picked because the coder proposed an event in it: training data for the gate and confidence)
    selection: str = "random"

    @property
    def key(self) -> str:
        return f"{self.corpus}:{self.doc}:{self.start}-{self.end}"

    @property
    def category_label(self) -> str:
        """The sentence's label for agreement and the gate: its first actual event's category, or
        NONE."""
        actual = [e for e in self.events if e.actual]
        return actual[0].category if actual else NONE


def _actor(data: Any, where: str) -> GoldActor:
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise AnnotationError(f"{where}: an actor needs a 'text'")
    return GoldActor(
        text=data["text"],
        start=data.get("start"),
        end=data.get("end"),
        country=data.get("country") or None,
        sector=data.get("sector") or None,
        org=data.get("org") or None,
    )


def _event(data: Any, where: str) -> GoldEvent:
    if not isinstance(data, dict) or data.get("category") not in CATEGORIES:
        raise AnnotationError(f"{where}: an event needs a PLOVER 'category', not {data!r:.80}")
    return GoldEvent(
        category=data["category"],
        source=[_actor(a, where) for a in data.get("source") or []],
        target=[_actor(a, where) for a in data.get("target") or []],
        mode=data.get("mode") or None,
        negated=bool(data.get("negated")),
        hypothetical=bool(data.get("hypothetical")),
        historical=bool(data.get("historical")),
        date=data.get("date") or None,
    )


def parse_record(data: dict[str, Any], where: str) -> AnnotatedSentence:
    try:
        return AnnotatedSentence(
            corpus=str(data["corpus"]),
            doc=str(data["doc"]),
            start=int(data["start"]),
            end=int(data["end"]),
            sha1=str(data["sha1"]),
            split=str(data["split"]),
            annotator=str(data.get("annotator", "")),
            events=[_event(e, where) for e in data.get("events") or []],
            selection=str(data.get("selection", "random")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, AnnotationError):
            raise
        raise AnnotationError(f"{where}: malformed record: {exc}") from exc


def load(path: Path) -> list[AnnotatedSentence]:
    """Annotated sentences from a JSONL file (one sentence per line)."""
    out = []
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                out.append(parse_record(json.loads(line), f"{path}:{number}"))
    return out


def actor_dict(actor: GoldActor) -> dict[str, Any]:
    return {k: v for k, v in actor.__dict__.items() if v is not None}


def record_dict(sentence: AnnotatedSentence) -> dict[str, Any]:
    events = []
    for e in sentence.events:
        event: dict[str, Any] = {"category": e.category, "mode": e.mode}
        event["source"] = [actor_dict(a) for a in e.source]
        event["target"] = [actor_dict(a) for a in e.target]
        for flag in ("negated", "hypothetical", "historical"):
            if getattr(e, flag):
                event[flag] = True
        if e.date:
            event["date"] = e.date
        events.append(event)
    return {
        "corpus": sentence.corpus,
        "doc": sentence.doc,
        "start": sentence.start,
        "end": sentence.end,
        "sha1": sentence.sha1,
        "split": sentence.split,
        "annotator": sentence.annotator,
        "events": events,
        **({"selection": sentence.selection} if sentence.selection != "random" else {}),
    }


def write(path: Path, sentences: Iterable[AnnotatedSentence]) -> None:
    with Path(path).open("w", encoding="utf-8") as out:
        for sentence in sentences:
            out.write(json.dumps(record_dict(sentence), ensure_ascii=False) + "\n")


# -- scoring the coder against the annotations ----------------------------------------------------

ERROR_KINDS = (
    "no event in the sentence (non-political, wrong sense)",
    "no actual event (hypothetical, negated, background)",
    "wrong category for a real event",
    "roles reversed",
    "default actor invented",
    "source from the wrong phrase",
    "source missing",
    "source country wrong",
    "source sector missing or wrong",
    "target from the wrong phrase",
    "target missing",
    "target country wrong",
    "target sector missing or wrong",
)
DATE_KINDS = ("date right", "date defaulted to publication", "date resolved wrongly", "no date given")


def _overlaps(actor: Actor, gold: GoldActor) -> bool:
    if actor.start is None or gold.start is None or gold.end is None:
        return False
    end = actor.end if actor.end is not None else actor.start + len(actor.text)
    return actor.start < gold.end and gold.start < end


def _sectors(sector: str | None) -> set[str]:
    return {sector[i : i + 3] for i in range(0, len(sector), 3)} if sector else set()


def actor_error(actor: Actor, gold: GoldActor) -> str | None:
    """What is wrong with a predicted actor against the gold actor it names (None: right)."""
    company = gold.sector == "BUS" and actor.country == "MNC"  # the guideline allows either for a company
    if gold.country and actor.country != gold.country and not company:
        return "country wrong"
    if gold.sector and gold.sector not in _sectors(actor.sector):
        return "sector missing or wrong"
    return None


def role_error(predicted: list[Actor], gold: list[GoldActor]) -> str | None:
    """What is wrong with one role (source or target) of an event (None: right).

    Where gold names no one, an actor filled in by a coding convention (``assumed``) is accepted
    and a named one is not; where gold names actors, every predicted actor must name one of them
    (its words overlap), with the right country and, where gold gives one, sector."""
    named = [a for a in predicted if not a.assumed]
    if not gold:
        return "from the wrong phrase" if named else None
    if not predicted:
        return "missing"
    if not named:
        return "default"
    for actor in named:
        matches = [g for g in gold if _overlaps(actor, g)]
        if not matches:
            return "from the wrong phrase"
        errors = [actor_error(actor, g) for g in matches]
        if None not in errors:
            return next(e for e in errors if e)
    return None


@dataclass
class Judgement:
    """One predicted event judged against the annotations of its sentence."""

    sentence: AnnotatedSentence
    event: Event
    right: bool
    category_right: bool
    error: str | None
    gold: GoldEvent | None  # the gold event it was compared with
    date: str | None = None  # one of DATE_KINDS, where gold gives a date


def judge(event: Event, sentence: AnnotatedSentence, published: str | None = None) -> Judgement:
    actual = [g for g in sentence.events if g.actual]
    same = [g for g in actual if g.category == event.type]
    if not same:
        if not sentence.events:
            kind = ERROR_KINDS[0]
        elif not actual or any(g.category == event.type for g in sentence.events):
            kind = ERROR_KINDS[1]
        else:
            kind = ERROR_KINDS[2]
        return Judgement(sentence, event, False, False, kind, None)
    best: tuple[int, GoldEvent, str | None] | None = None
    for gold in same:
        source, target = role_error(event.source, gold.source), role_error(event.target, gold.target)
        error = None
        if source is not None:
            error = "default actor invented" if source == "default" else f"source {source}"
        elif target is not None:
            error = f"target {target}" if target != "default" else "default actor invented"
        if error is not None and _reversed(event, gold):
            error = "roles reversed"
        score = (source is None) + (target is None)
        if best is None or score > best[0]:
            best = (score, gold, error)
    assert best is not None
    _, gold, error = best
    judged = Judgement(sentence, event, error is None, True, error, gold)
    if gold.date:
        judged.date = _date_kind(event, gold.date, published)
    return judged


def _reversed(event: Event, gold: GoldEvent) -> bool:
    if not gold.source or not gold.target:
        return False
    named_source = [a for a in event.source if not a.assumed]
    named_target = [a for a in event.target if not a.assumed]
    return any(_overlaps(a, g) for a in named_source for g in gold.target) or any(
        _overlaps(a, g) for a in named_target for g in gold.source
    )


def _date_kind(event: Event, gold: str, published: str | None) -> str:
    if not event.date:
        return "no date given"
    if event.date[: len(gold)] == gold:
        return "date right"
    if published and event.date == published:
        return "date defaulted to publication"
    return "date resolved wrongly"


@dataclass
class PrecisionReport:
    """Event precision and recall on annotated sentences, with the error kinds of the rubric."""

    sentences: int = 0
    gold_events: int = 0
    judgements: list[Judgement] = field(default_factory=list)
    found: int = 0  # gold actual events a predicted event gets fully right
    found_category: int = 0  # gold actual events a predicted event of the same category meets

    @property
    def predicted(self) -> int:
        return len(self.judgements)

    @property
    def precision(self) -> float | None:
        return sum(j.right for j in self.judgements) / self.predicted if self.predicted else None

    @property
    def category_precision(self) -> float | None:
        return sum(j.category_right for j in self.judgements) / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.found / self.gold_events if self.gold_events else None

    @property
    def category_recall(self) -> float | None:
        return self.found_category / self.gold_events if self.gold_events else None

    def errors(self) -> dict[str, int]:
        counts = {kind: 0 for kind in ERROR_KINDS}
        for j in self.judgements:
            if j.error:
                counts[j.error] = counts.get(j.error, 0) + 1
        return counts

    def dates(self) -> dict[str, int]:
        counts = {kind: 0 for kind in DATE_KINDS}
        for j in self.judgements:
            if j.date:
                counts[j.date] += 1
        return counts


def score(
    sentences: Iterable[AnnotatedSentence],
    events_by_doc: dict[tuple[str, str], list[Event]],
    published: dict[tuple[str, str], str | None] | None = None,
    min_confidence: float = 0.0,
) -> PrecisionReport:
    """Judge the actual events coded in annotated sentences; count the gold events found.

    A coded event belongs to the annotated sentence its trigger lies in."""
    report = PrecisionReport()
    published = published or {}
    for sentence in sentences:
        report.sentences += 1
        doc_key = (sentence.corpus, sentence.doc)
        events = [
            e
            for e in events_by_doc.get(doc_key, [])
            if e.actual
            and e.confidence >= min_confidence
            and sentence.start <= (e.trigger_start if e.trigger_start is not None else e.sentence_start) < sentence.end
        ]
        judged = [judge(e, sentence, published.get(doc_key)) for e in events]
        report.judgements.extend(judged)
        actual = [g for g in sentence.events if g.actual]
        report.gold_events += len(actual)
        report.found += sum(any(j.right and j.gold is g for j in judged) for g in actual)
        report.found_category += sum(any(j.event.type == g.category for j in judged) for g in actual)
    return report
