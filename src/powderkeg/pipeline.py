"""The pipeline: documents -> articles -> spaCy parses -> events -> store.

One :class:`Pipeline` holds the loaded model, dictionaries and patterns; every entry point (the
CLI's ``ingest``, ``code`` and ``demo``, the library API, later the batch engine) goes through it.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import signal
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from powderkeg.config import Settings, load_settings
from powderkeg.extract import extract, failed
from powderkeg.model import Article, CodingTimeout, Document, Event, Status
from powderkeg.sources.files import expand_paths, read_file
from powderkeg.store import FetchState, SentenceSpan, Store

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from powderkeg.coder.events import Coder
    from powderkeg.dedupe import StoryIndex
    from powderkeg.geo import Geoparser
    from powderkeg.sources.feeds import Entry
    from powderkeg.sources.web import Fetcher, FetchRequest, FetchResult

ProgressCallback = Callable[[str], None]

# an input this short is parsed in-process: starting parser processes would cost more than it saves
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
    skipped: Counter[str] = field(default_factory=Counter)  # archive records that are no documents, by kind

    @property
    def failed_all(self) -> bool:
        return bool(self.problems) and self.stored == 0 and self.unchanged == 0


@dataclass
class FetchReport(IngestReport):
    """What a fetch run (or one poll of ``watch``) did, on top of what it stored."""

    requests: int = 0  # URLs requested (robots.txt not counted)
    feeds: int = 0  # feeds requested
    entries: int = 0  # links found in the feeds
    known: int = 0  # page URLs not requested: fetched on an earlier run
    not_modified: int = 0  # feeds and pages answered 304 Not Modified, or with the same bytes as last time
    seconds: float = 0.0

    @property
    def failed_all(self) -> bool:
        """Nothing could be used: there were problems, and no page was stored or known, no feed
        read or found unchanged."""
        answered = self.stored or self.unchanged or self.not_modified or self.known or self.entries
        return bool(self.problems) and not answered

    def summary(self) -> str:
        """One line: what was asked, what was new, what went wrong."""
        problems = f", {len(self.problems)} problem(s)" if self.problems else ""
        return (
            f"{self.feeds} feed(s) ({self.not_modified} not modified), {self.entries} link(s), "
            f"{self.requests} request(s), {self.known} known, {self.stored} new article(s), "
            f"{self.events} event(s){problems} in {self.seconds:.1f} s"
        )


@dataclass
class WatchReport:
    """Totals of a ``watch`` run."""

    polls: int = 0
    stored: int = 0
    events: int = 0
    problems: int = 0
    interrupted: bool = False


class Pipeline:
    """Extracts, parses and codes documents. Build once and reuse: loading costs about a second."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self._stories: weakref.WeakKeyDictionary[Store, StoryIndex] = weakref.WeakKeyDictionary()
        self._stories_by_path: dict[str, StoryIndex] = {}  # reused when the database has not changed since

    @cached_property
    def nlp(self) -> Language:
        from powderkeg.nlp import load_model

        return load_model(self.settings.spacy_model)

    @cached_property
    def coder(self) -> Coder:
        from powderkeg.coder.classifier import load_default as load_classifier
        from powderkeg.coder.confidence import load_default as load_confidence
        from powderkeg.coder.dictionaries import load as load_dictionaries
        from powderkeg.coder.events import Coder
        from powderkeg.coder.lexicon import default_lexicon
        from powderkeg.coder.verbs import load_default as load_verbs

        dictionaries = load_dictionaries(self.settings.actor_dictionaries, self.settings.agent_dictionaries)
        verbs = load_verbs() if self.settings.verb_patterns else None
        classifier = load_classifier() if self.settings.sentence_model else None
        lexicon = default_lexicon(tuple(self.settings.trigger_files))
        # the gate's thresholds were chosen with the model they belong to, and travel in its file
        gate = classifier.metadata.get("gate", {}) if classifier is not None else {}
        return Coder(
            lexicon,
            dictionaries,
            verbs,
            classifier,
            self.settings.sentence_model_threshold,
            max_sentence_tokens=self.settings.max_sentence_tokens,
            geoparser=self.geoparser,
            confidence_model=load_confidence() if classifier is not None else None,
            gate_none_max=float(gate.get("none_max", 1.01)),
            gate_category_min=float(gate.get("category_min", 0.0)),
            gate_weak_min=float(gate.get("weak_min", 0.0)),
        )

    @cached_property
    def geoparser(self) -> Geoparser | None:
        """The offline geoparser that places events (None with the setting ``geoparse`` off)."""
        if not self.settings.geoparse:
            return None
        from powderkeg.geo import Geoparser

        return Geoparser(nlp=self.nlp)

    # -- coding -----------------------------------------------------------------------------

    def code_articles(self, articles: Iterable[Article]) -> Iterator[Coded]:
        """Parse and code articles, yielding results in input order; a failure in one article
        becomes its status, not a crash.

        A short input is parsed in-process in batches. From ``_PARALLEL_FROM`` documents on, and
        with ``parse_processes`` > 1, one stream of spaCy parser processes parses ahead while this
        process codes what is parsed, so coding and storing overlap the parse.
        """
        stream = iter(articles)
        head: list[Article] = []
        for article in stream:
            head.append(article)
            if sum(a.status is Status.OK for a in head) >= _PARALLEL_FROM:
                break
        else:  # the whole input is short
            for i in range(0, len(head), self.settings.batch_size):
                yield from self._code_parsed(self._parse_in_process(head[i : i + self.settings.batch_size]))
            return
        rest = itertools.chain(head, stream)
        if self.settings.parse_processes <= 1:
            for batch in _batches(rest, self.settings.batch_size):
                yield from self._code_parsed(self._parse_in_process(batch))
        else:
            yield from self._code_parsed(self._parse_streaming(rest))

    def _parse_in_process(self, batch: list[Article]) -> Iterator[tuple[Article, Doc | None]]:
        todo = [a for a in batch if a.status is Status.OK]
        parsed: dict[int, Doc | None] = {}
        try:
            for article, doc in zip(todo, self.nlp.pipe(a.text for a in todo), strict=True):
                parsed[id(article)] = doc
        except Exception:  # one bad text must not sink the batch: parse one by one
            for a in todo:
                parsed[id(a)] = self._parse_one(a)
        for article in batch:
            yield article, parsed.get(id(article))

    def _parse_one(self, article: Article) -> Doc | None:
        try:
            return self.nlp(article.text)
        except Exception as exc:
            article.status, article.reason = Status.ERROR, f"parsing failed: {type(exc).__name__}: {exc}"
            return None

    def _parse_streaming(self, articles: Iterator[Article]) -> Iterator[tuple[Article, Doc | None]]:
        """Parse in ``parse_processes`` spaCy processes, in input order. If a parser process fails,
        the documents in flight are parsed one by one here (the bad one gets its status) and the
        stream starts again with the rest."""
        in_flight: deque[Article] = deque()

        def texts() -> Iterator[str]:
            for article in articles:
                in_flight.append(article)
                yield article.text if article.status is Status.OK else ""  # passed through, in order

        while True:
            try:
                for doc in self.nlp.pipe(texts(), n_process=self.settings.parse_processes, batch_size=8):
                    article = in_flight.popleft()
                    yield article, doc if article.status is Status.OK else None
                return
            except Exception:
                while in_flight:
                    article = in_flight.popleft()
                    yield article, self._parse_one(article) if article.status is Status.OK else None

    def _code_parsed(self, parsed: Iterable[tuple[Article, Doc | None]]) -> Iterator[Coded]:
        coder = self.coder
        for article, doc in parsed:
            if doc is None:
                yield Coded(article)
                continue
            try:
                reading = coder.read(doc, article, deadline=time.monotonic() + self.settings.doc_time_budget)
                events = reading.events
                if reading.skipped_sentences:
                    note = (
                        f"{reading.skipped_sentences} run-on sentence(s) over {self.settings.max_sentence_tokens} "
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

        def articles() -> Iterator[Article]:
            for path in files:
                for item in read_file(path, self.settings.max_bytes, self.settings, report.skipped):
                    article = item if isinstance(item, Article) else self._safe_extract(item)
                    if article.article_id in store.known([article.article_id]):
                        report.unchanged += 1
                        report.statuses["unchanged"] += 1
                        continue
                    yield article
                if progress:
                    progress(str(path))

        with self.recorder(store, report) as recorder:
            for article in problems:
                recorder.add(Coded(article))
            for coded in self.code_articles(articles()):
                recorder.add(coded)
        return report

    def _safe_extract(self, doc: Document) -> Article:
        try:
            return extract(doc, self.settings)
        except Exception as exc:  # extraction is written not to raise; this is the last guard
            return failed(doc.origin, Status.ERROR, f"extraction failed: {type(exc).__name__}: {exc}")

    def recorder(
        self, store: Store, report: IngestReport, on_stored: Callable[[Article], None] | None = None
    ) -> Recorder:
        """Where coded articles go to be stored: see :class:`Recorder`."""
        return Recorder(self, store, report, on_stored)

    # -- stories ----------------------------------------------------------------------------

    def story_index(self, store: Store) -> StoryIndex:
        """The near-duplicate index of a database, loaded (and stories given to stored articles that
        lack one) on first use, then kept up to date as articles are stored through this pipeline."""
        index = self._stories.get(store)
        if index is None:
            from powderkeg.dedupe import load as load_stories

            index = self._stories_by_path.get(store.path) if store.path != ":memory:" else None
            # the same database opened again (a watch opens it for each poll): reuse the index when no
            # other process stored articles in between, else build it anew
            if index is None or store.story_counts(index.scheme) != (len(index), 0):
                index = load_stories(store, self.settings)
            self._stories[store] = index
            if store.path != ":memory:":
                self._stories_by_path[store.path] = index
        return index

    # -- fetching ---------------------------------------------------------------------------

    def fetch(
        self,
        urls: Iterable[str],
        store: Store,
        feeds: Iterable[str] = (),
        fetcher: Fetcher | None = None,
        refresh: bool = False,
        progress: ProgressCallback | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> FetchReport:
        """Fetch pages and feeds over HTTP into the store, like :meth:`ingest` does files.

        ``urls`` may be pages or feeds (told apart by content type, else by content); ``feeds`` are
        feeds. A feed is always asked again (conditionally, with the ETag / Last-Modified of the
        last answer), and its links that were not fetched before are fetched. A page fetched before
        is not asked again unless the last try failed for a passing reason (a timeout, a 5xx), or
        ``refresh`` is set (then conditionally). The fetch state of a URL is written once what it
        gave is stored, so a run stopped at any point and run again fetches what is missing.
        """
        from powderkeg.sources.web import Fetcher

        started = time.monotonic()
        report = FetchReport()
        self.story_index(store)
        run = _FetchRun(self, store, fetcher or Fetcher(self.settings), report, refresh, progress, on_total)
        with (
            contextlib.closing(run.articles(list(urls), list(feeds))) as articles,
            self.recorder(store, report, on_stored=run.recorded) as recorder,
        ):
            for coded in self.code_articles(articles):
                recorder.add(coded)
        run.finish()
        report.seconds = time.monotonic() - started
        return report

    def watch(
        self,
        feeds: Callable[[], Sequence[str]] | Sequence[str],
        store: Store | Callable[[], Store],
        every: float,
        fetcher: Fetcher | None = None,
        on_poll: Iterable[Callable[[int, FetchReport], None]] = (),
        stop: threading.Event | None = None,
        polls: int | None = None,
    ) -> WatchReport:
        """Poll feeds every ``every`` seconds, storing what is new, until ``stop`` is set, ``polls``
        polls are done, or Ctrl-C (which ends the loop, not the program: the totals are returned).

        ``feeds`` may be a callable, called before each poll (re-reading a list that may change).
        ``store`` may be a callable that opens the database: it is then opened for each poll and
        closed after it, so that other processes can use the database between polls (DuckDB lets
        one process write to a file, and no other open it meanwhile). Each ``on_poll`` callback gets
        the poll's number and report after the poll, with the database still open: the place for
        logging, and for whatever should look at the new data (escalation alerts).
        """
        from powderkeg.sources.web import Fetcher

        fetcher = fetcher or Fetcher(self.settings)  # one for the whole watch: robots.txt and host timing kept
        stop = stop or threading.Event()
        callbacks = list(on_poll)
        totals = WatchReport()
        restore = _stop_on_ctrl_c(stop, totals)
        try:
            while not stop.is_set() and (polls is None or totals.polls < polls):
                started = time.monotonic()
                with contextlib.ExitStack() as stack:
                    try:
                        urls = list(feeds() if callable(feeds) else feeds)
                        db = store() if callable(store) else store
                        if callable(store):
                            stack.callback(db.close)
                        report = self.fetch([], db, feeds=urls, fetcher=fetcher)
                    except Exception as exc:  # a poll going wrong (a full disk, a locked file) does not end the watch
                        report = FetchReport(seconds=time.monotonic() - started)
                        report.problems.append(("<poll>", "error", f"poll failed: {type(exc).__name__}: {exc}"))
                    totals.polls += 1
                    totals.stored += report.stored
                    totals.events += report.events
                    totals.problems += len(report.problems)
                    for callback in callbacks:
                        callback(totals.polls, report)
                if polls is not None and totals.polls >= polls:
                    break
                stop.wait(max(0.0, every - (time.monotonic() - started)))
        except KeyboardInterrupt:  # a second Ctrl-C, or a watch outside the main thread
            totals.interrupted = True
        finally:
            restore()
        return totals


class Recorder:
    """Stores coded articles in order, in batches of ``store_batch`` per transaction (one
    transaction per article costs more than coding it), and gives each stored article its story.

    Use as a context manager: what is pending is stored on leaving, also when leaving on an
    error (an article coded but not stored when the process dies is coded again on the next run:
    nothing is lost, nothing stored twice). ``on_stored`` is called with each article once it is
    in the database.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        store: Store,
        report: IngestReport,
        on_stored: Callable[[Article], None] | None = None,
    ) -> None:
        self.pipeline, self.store, self.report, self.on_stored = pipeline, store, report, on_stored
        self.size = max(1, pipeline.settings.store_batch)
        self.pending: list[Coded] = []
        self.stories = pipeline.story_index(store)  # loaded before storing: it gives stored articles theirs

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        if kind is None:
            self.flush()
            return
        with contextlib.suppress(Exception):  # the error that ends the run is the one to report
            self.flush()

    def add(self, coded: Coded) -> None:
        self.pending.append(coded)
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        stored = self.store.save_many([(c.article, c.sentences, c.events) for c in batch])
        report = self.report
        new_ok: list[Article] = []
        for coded, fresh in zip(batch, stored, strict=True):
            article = coded.article
            if fresh:
                report.statuses[str(article.status)] += 1
                if article.status is Status.OK:
                    report.stored += 1
                    report.events += len(coded.events)
                    new_ok.append(article)
            else:
                report.unchanged += 1
                report.statuses["unchanged"] += 1
            if article.status is not Status.OK:
                report.problems.append((article.origin, str(article.status), article.reason or ""))
        if new_ok:
            from powderkeg.dedupe import record_many

            record_many(self.stories, self.store, new_ok)
        if self.on_stored:
            for coded in batch:
                self.on_stored(coded.article)


def _stop_on_ctrl_c(stop: threading.Event, totals: WatchReport) -> Callable[[], None]:
    """Make Ctrl-C (SIGINT) end a watch after the poll in hand, hooks included: a KeyboardInterrupt
    raised inside a database query or a hook would be taken for that step's failure and the watch
    would go on waiting. A second Ctrl-C interrupts at once. Returns what restores the old handler
    (nothing is changed outside the main thread, where Python delivers signals)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # a handler not set from Python: give back Python's own
        previous = signal.default_int_handler

    def on_sigint(signum: int, frame: object) -> None:
        totals.interrupted = True
        stop.set()
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, on_sigint)
    return lambda: signal.signal(signal.SIGINT, previous)


RETRY_RUNS = 8  # a page that failed for a passing reason (timeout, 5xx) is retried until it failed on this many runs


@dataclass
class _Context:
    """What a fetch run knows about a URL it requests."""

    feed: bool  # expected to be a feed
    state: FetchState | None  # from the last run
    entry: Entry | None = None  # the feed entry that linked it
    sniff: bool = False  # a URL given to fetch: a feed if its answer looks like one


class _FetchRun:
    """One :meth:`Pipeline.fetch`: requests in two rounds (the URLs given, then the new links of
    the feeds among them), articles out, fetch state written once an article is stored."""

    def __init__(
        self,
        pipeline: Pipeline,
        store: Store,
        fetcher: Fetcher,
        report: FetchReport,
        refresh: bool,
        progress: ProgressCallback | None,
        on_total: Callable[[int], None] | None,
    ) -> None:
        self.pipeline, self.store, self.fetcher, self.report = pipeline, store, fetcher, report
        self.refresh, self.progress, self.on_total = refresh, progress, on_total
        self.pending: dict[str, FetchState] = {}  # origin -> state to write once its article is stored
        self.feed_states: list[FetchState] = []  # written at the end, once their links are all stored
        self.total = 0

    def articles(self, urls: list[str], feeds: list[str]) -> Iterator[Article]:
        from powderkeg.sources.web import url_problem

        wanted = {u: False for u in urls}
        wanted.update({u: True for u in feeds})
        states = self.store.fetch_states(wanted)
        requests: list[FetchRequest] = []
        for url, is_feed in wanted.items():
            problem = url_problem(url)
            if problem:
                yield failed(url, Status.INVALID, problem)
                continue
            state = states.get(url)
            feed = is_feed or (state is not None and state.kind == "feed")
            if state is not None and not feed and state.final and not self.refresh:
                self.report.known += 1
                continue
            requests.append(self._request(url, state, feed or self.refresh, _Context(feed, state, sniff=not feed)))
        entries: dict[str, Entry] = {}
        yield from self._round(requests, entries)

        states = self.store.fetch_states(entries)
        links: dict[str, FetchRequest] = {}
        for url, entry in entries.items():
            if url in wanted:
                continue
            state = states.get(url)
            if state is not None and state.final and not self.refresh:
                self.report.known += 1
                continue
            links[url] = self._request(url, state, self.refresh, _Context(False, state, entry))
        if feeds:  # links that failed for a passing reason on earlier runs, though their feed did not change
            for state in self.store.retry_pages(RETRY_RUNS):
                if state.url not in links and state.url not in wanted:
                    links[state.url] = self._request(state.url, state, False, _Context(False, state))
        yield from self._round(list(links.values()), entries)

    def _request(self, url: str, state: FetchState | None, conditional: bool, context: _Context) -> FetchRequest:
        from powderkeg.sources.web import FetchRequest

        if conditional and state is not None and state.outcome in ("ok", "not_modified"):
            return FetchRequest(url, state.etag, state.last_modified, context)
        return FetchRequest(url, context=context)

    def _round(self, requests: list[FetchRequest], entries: dict[str, Entry]) -> Iterator[Article]:
        if not requests:
            return
        self.total += len(requests)
        if self.on_total:
            self.on_total(self.total)
        # answers come in as they finish; they are used in the order asked, so the same feeds give
        # the same database (stories and canonical events depend on the order articles are stored)
        order = {id(r): k for k, r in enumerate(requests)}
        done: dict[int, FetchResult] = {}
        next_k = 0
        with contextlib.closing(self.fetcher.stream(requests)) as results:
            for result in results:
                self.report.requests += 1
                if self.progress:
                    self.progress(result.request.url)
                done[order[id(result.request)]] = result
                while next_k in done:
                    ready = done.pop(next_k)
                    next_k += 1
                    context: _Context = ready.request.context
                    if context.feed or (context.sniff and ready.ok and _is_feed(ready)):
                        yield from self._feed(ready, context, entries)
                    else:
                        yield from self._page(ready, context)

    def _state(self, result: FetchResult, kind: str, previous: FetchState | None) -> FetchState:
        now = datetime.now(UTC).replace(tzinfo=None)
        body = result.ok
        keep = previous if previous is not None and not body else None  # a failure keeps the last validators
        return FetchState(
            url=result.request.url,
            kind=kind,
            outcome=str(result.outcome),
            final=not result.transient,
            checked_at=now,
            http_status=result.status_code,
            reason=result.reason,
            final_url=result.url or None,
            etag=result.etag if body else (keep.etag if keep else None),
            last_modified=result.last_modified if body else (keep.last_modified if keep else None),
            content_sha1=hashlib.sha1(result.body).hexdigest() if body else (keep.content_sha1 if keep else None),
            article_id=keep.article_id if keep else None,
            failures=(previous.failures + 1 if previous else 1) if result.transient else 0,
            fetched_at=now if body else (previous.fetched_at if previous else None),
        )

    def _feed(self, result: FetchResult, context: _Context, entries: dict[str, Entry]) -> Iterator[Article]:
        from powderkeg.sources.feeds import parse_feed
        from powderkeg.sources.web import to_document

        self.report.feeds += 1
        state = self._state(result, "feed", context.state)
        self.feed_states.append(state)
        if result.outcome.value == "not_modified":
            self.report.not_modified += 1
            return
        if not result.ok:
            failure = to_document(result)
            assert isinstance(failure, Article)
            yield failure
            return
        previous = context.state
        if previous is not None and previous.content_sha1 == state.content_sha1 and previous.outcome == "ok":
            self.report.not_modified += 1  # the same bytes as last time (a server without validators)
            return
        parsed = parse_feed(result.body, result.url or result.request.url, result.headers.get("content-type"))
        if not parsed.usable:
            state.outcome, state.reason = "invalid", parsed.problem
            yield failed(result.request.url, Status.INVALID, parsed.problem or "not a feed", state.content_sha1 or "")
            return
        for entry in parsed.entries:
            self.report.entries += 1
            entries.setdefault(entry.url, entry)
        if parsed.problem:
            state.reason = parsed.problem
            yield failed(result.request.url, Status.INVALID, parsed.problem, state.content_sha1 or "")

    def _page(self, result: FetchResult, context: _Context) -> Iterator[Article]:
        from powderkeg.sources.web import to_document

        state = self._state(result, "page", context.state)
        if result.outcome.value == "not_modified":
            self.report.not_modified += 1
            self.store.save_fetch_state(state)
            return
        previous = context.state
        same = result.ok and previous is not None and previous.content_sha1 == state.content_sha1
        if same and previous is not None and previous.article_id and self.store.known([previous.article_id]):
            state.article_id = previous.article_id  # the same bytes as last time, stored already
            self.report.unchanged += 1
            self.report.statuses["unchanged"] += 1
            self.store.save_fetch_state(state)
            return
        entry = context.entry
        item = to_document(result, entry.title if entry else None, entry.published if entry else None)
        article = item if isinstance(item, Article) else self.pipeline._safe_extract(item)
        state.article_id = article.article_id
        if article.status is Status.OK and self.store.known([article.article_id]):
            self.report.unchanged += 1
            self.report.statuses["unchanged"] += 1
            self.store.save_fetch_state(state)
            return
        self.pending[article.origin] = state
        yield article

    def recorded(self, article: Article) -> None:
        state = self.pending.pop(article.origin, None)
        if state is not None:
            self.store.save_fetch_state(state)

    def finish(self) -> None:
        for state in self.feed_states:
            self.store.save_fetch_state(state)


def _is_feed(result: FetchResult) -> bool:
    from powderkeg.sources.feeds import looks_like_feed

    return looks_like_feed(result.content_type, result.body)


def _batches(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    batch: list[Article] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def sentences(doc: Doc) -> list[SentenceSpan]:
    return [
        SentenceSpan(i, s.start_char, s.end_char, s.text.strip())
        for i, s in enumerate(s for s in doc.sents if s.text.strip())
    ]
