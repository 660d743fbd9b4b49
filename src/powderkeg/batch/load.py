"""``powderkeg load``: batch output into the DuckDB store.

Every article goes in through the step ``powderkeg ingest`` stores with (``Pipeline.recorder``,
articles with their sentences and events, in order, in batches per transaction), so loading follows
the store's rules: an
article already stored is left as it is (loading twice changes nothing), and whatever the store
does to events as they arrive applies to loaded events too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from powderkeg.batch.output import OutputDir, OutputError
from powderkeg.batch.rows import article_from_row, event_from_row, sentence_from_row
from powderkeg.model import Event
from powderkeg.pipeline import Coded, IngestReport, Pipeline, Recorder
from powderkeg.store import SentenceSpan, Store


def load_batch(
    location: str,
    store: Store,
    pipeline: Pipeline | None = None,
    on_shard: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> IngestReport:
    """Store the articles, sentences and events of the done shards under ``location``, in input
    order. Shards without a ``_done`` marker (failed, or cut short) are not loaded."""
    out = OutputDir(location)
    try:
        is_batch = out.fs.get_file_info(out.path("_batch.json")).is_file
        markers = out.done_markers() if is_batch else []
    except OSError as exc:
        raise OutputError(f"cannot read {location}: {exc}") from exc
    if not is_batch:
        raise OutputError(f"{location} is not powderkeg batch output (no _batch.json); make it with 'powderkeg batch'")
    pipeline = pipeline or Pipeline()  # only records; loads no model
    report = IngestReport()
    if on_total:
        on_total(len(markers))
    for marker in markers:
        with pipeline.recorder(store, report) as recorder:
            _load_shard(out, marker, recorder)
        if on_shard:
            on_shard(marker["shard"]["origin"])
    return report


def _read(out: OutputDir, rel: str) -> pa.Table:
    try:
        return pq.read_table(out.path(rel), filesystem=out.fs)
    except (OSError, pa.ArrowInvalid) as exc:
        raise OutputError(
            f"cannot read {out.path(rel)}, listed as done: {exc}; delete its _done marker and run the batch again"
        ) from exc


def _load_shard(out: OutputDir, marker: dict[str, Any], recorder: Recorder) -> None:
    files: list[str] = marker["files"]
    articles = [row for f in files if f.startswith("articles/") for row in _read(out, f).to_pylist()]
    sentences: dict[str, list[SentenceSpan]] = {}
    for f in files:
        if f.startswith("sentences/"):
            for row in _read(out, f).to_pylist():
                sentences.setdefault(row["article_id"], []).append(sentence_from_row(row))
    events: dict[str, list[Event]] = {}
    for f in files:
        if f.startswith("events/"):
            for row in _read(out, f).to_pylist():
                events.setdefault(row["article_id"], []).append(event_from_row(row))
    for row in articles:
        article = article_from_row(row)
        mine = sorted(events.get(article.article_id, []), key=lambda e: e.sentence_start)
        spans = sorted(sentences.get(article.article_id, []), key=lambda s: s.idx)
        recorder.add(Coded(article, spans, mine))
