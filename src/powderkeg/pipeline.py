"""The pipeline: documents -> articles -> spaCy parses -> events -> store.

One :class:`Pipeline` holds the loaded model, dictionaries and patterns; every entry point (the
CLI's ``ingest``, ``code`` and ``demo``, the library API, later the batch engine) goes through it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from powderkeg.config import Settings, load_settings
from powderkeg.extract import extract, failed
from powderkeg.model import Article, CodingTimeout, Document, Event, Status
from powderkeg.sources.files import expand_paths, read_file
from powderkeg.store import SentenceSpan, Store

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from powderkeg.coder.events import Coder

ProgressCallback = Callable[[str], None]

# a batch this small is parsed in-process: starting parser processes would cost more than it saves
_PARALLEL_FROM = 8


@dataclass
class Coded:
    article: Article
    sentences: list[SentenceSpan] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


@dataclass
class IngestReport:
    """What an ingest run did: counts by status, and one line per problem."""

    stored: int = 0  # new articles stored with status ok
    unchanged: int = 0  # already in the database: nothing done
    events: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (origin, status, reason)

    @property
    def failed_all(self) -> bool:
        return bool(self.problems) and self.stored == 0 and self.unchanged == 0


class Pipeline:
    """Extracts, parses and codes documents. Build once and reuse: loading costs about a second."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()

    @cached_property
    def nlp(self) -> Language:
        from powderkeg.nlp import load_model

        return load_model(self.settings.spacy_model)

    @cached_property
    def coder(self) -> Coder:
        from powderkeg.coder.classifier import load_default as load_classifier
        from powderkeg.coder.dictionaries import load as load_dictionaries
        from powderkeg.coder.events import Coder
        from powderkeg.coder.lexicon import default_lexicon
        from powderkeg.coder.verbs import load_default as load_verbs

        dictionaries = load_dictionaries(self.settings.actor_dictionaries, self.settings.agent_dictionaries)
        verbs = load_verbs() if self.settings.verb_patterns else None
        classifier = load_classifier() if self.settings.sentence_model else None
        lexicon = default_lexicon(tuple(self.settings.trigger_files))
        return Coder(
            lexicon,
            dictionaries,
            verbs,
            classifier,
            self.settings.sentence_model_threshold,
            max_sentence_tokens=self.settings.max_sentence_tokens,
        )

    # -- coding -----------------------------------------------------------------------------

    def code_articles(self, articles: Iterable[Article]) -> Iterator[Coded]:
        """Parse and code articles in batches, yielding results in input order; a failure in one
        article becomes its status, not a crash."""
        batch: list[Article] = []
        waiting = 0
        for article in articles:
            batch.append(article)
            waiting += article.status is Status.OK
            if waiting >= self.settings.batch_size:
                yield from self._code_batch(batch)
                batch, waiting = [], 0
        if batch:
            yield from self._code_batch(batch)

    def _code_batch(self, batch: list[Article]) -> Iterator[Coded]:
        coder = self.coder
        todo = [a for a in batch if a.status is Status.OK]
        parsed: dict[int, Doc | None] = {}
        processes = self.settings.parse_processes if len(todo) >= _PARALLEL_FROM else 1
        try:
            texts = [a.text for a in todo]
            for article, doc in zip(todo, self.nlp.pipe(texts, n_process=processes, batch_size=8), strict=True):
                parsed[id(article)] = doc
        except Exception:  # one bad text must not sink the batch: parse one by one
            for a in todo:
                try:
                    parsed[id(a)] = self.nlp(a.text)
                except Exception as exc:
                    parsed[id(a)] = None
                    a.status, a.reason = Status.ERROR, f"parsing failed: {type(exc).__name__}: {exc}"
        for article in batch:
            doc = parsed.get(id(article))
            if doc is None:
                yield Coded(article)
                continue
            try:
                events = coder.code(doc, article, deadline=time.monotonic() + self.settings.doc_time_budget)
                if coder.skipped_sentences:
                    note = (
                        f"{coder.skipped_sentences} run-on sentence(s) over {self.settings.max_sentence_tokens} "
                        "tokens not coded (max_sentence_tokens)"
                    )
                    article.reason = f"{article.reason}; {note}" if article.reason else note
            except CodingTimeout as exc:
                article.status = Status.SKIPPED
                article.reason = f"over the {self.settings.doc_time_budget:g} s coding budget (doc_time_budget): {exc}"
                yield Coded(article, sentences(doc))
                continue
            except Exception as exc:
                article.status, article.reason = Status.ERROR, f"coding failed: {type(exc).__name__}: {exc}"
                yield Coded(article, sentences(doc))
                continue
            yield Coded(article, sentences(doc), events)

    def code_text(self, text: str, published: str | None = None, title: str | None = None) -> Coded:
        """Code one plain text (no boilerplate filtering) without a database."""
        doc = Document(origin="<text>", kind="record", raw=text, title=title, published=published)
        return next(self.code_articles([extract(doc, self.settings)]))

    def code_documents(self, docs: Iterable[Document | Article]) -> Iterator[Coded]:
        """Extract and code documents, in order."""
        return self.code_articles(d if isinstance(d, Article) else extract(d, self.settings) for d in docs)

    # -- ingesting --------------------------------------------------------------------------

    def ingest(
        self,
        paths: Iterable[str | Path],
        store: Store,
        progress: ProgressCallback | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Read files and folders into the store. Already-stored content is skipped, so re-running
        is safe; every document gets a status, and the run goes on past bad ones."""
        report = IngestReport()
        files, problems = expand_paths(paths)
        if on_total:
            on_total(len(files))
        for article in problems:
            self._record(article, store, report)

        def articles() -> Iterator[Article]:
            for path in files:
                for item in read_file(path, self.settings.max_bytes):
                    article = item if isinstance(item, Article) else self._safe_extract(item)
                    if article.article_id in store.known([article.article_id]):
                        report.unchanged += 1
                        report.statuses["unchanged"] += 1
                        continue
                    yield article
                if progress:
                    progress(str(path))

        for coded in self.code_articles(articles()):
            self._record(coded.article, store, report, coded)
        return report

    def _safe_extract(self, doc: Document) -> Article:
        try:
            return extract(doc, self.settings)
        except Exception as exc:  # extraction is written not to raise; this is the last guard
            return failed(doc.origin, Status.ERROR, f"extraction failed: {type(exc).__name__}: {exc}")

    def _record(self, article: Article, store: Store, report: IngestReport, coded: Coded | None = None) -> None:
        events = coded.events if coded else []
        sents = coded.sentences if coded else []
        if store.save(article, sents, events):
            report.statuses[str(article.status)] += 1
            if article.status is Status.OK:
                report.stored += 1
                report.events += len(events)
        else:
            report.unchanged += 1
            report.statuses["unchanged"] += 1
        if article.status is not Status.OK:
            report.problems.append((article.origin, str(article.status), article.reason or ""))


def sentences(doc: Doc) -> list[SentenceSpan]:
    return [
        SentenceSpan(i, s.start_char, s.end_char, s.text.strip())
        for i, s in enumerate(s for s in doc.sents if s.text.strip())
    ]
