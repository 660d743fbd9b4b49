"""The batch output folder: Parquet files with deterministic names, and the markers that make a
shard done.

```
OUT/
  _batch.json                          powderkeg version and the coding settings of this output
  articles/part-<shard>.parquet        every document, with its status and text
  sentences/part-<shard>.parquet
  events/date=YYYY-MM-DD/part-<shard>.parquet
  _done/<shard>.json                   written last: the shard is complete (its files, its counts)
  _failed/<shard>.json                 the shard failed after its retries, and why
  _tmp/                                files being written
```

A shard's files are written under ``_tmp`` and renamed into place (on object stores, where an
object appears whole or not at all, they are written in place), then its ``_done`` marker is
written. A run skips shards that have a marker; a shard killed half-way has none, so the next run
codes it again and overwrites the same file names: the output never holds a shard twice.
"""

from __future__ import annotations

import contextlib
import json
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs as pafs

from powderkeg.batch.rows import ShardTables, tables
from powderkeg.batch.shards import Shard, filesystem, read_shard
from powderkeg.config import Settings
from powderkeg.model import Article
from powderkeg.pipeline import Pipeline

FORMAT = 1
# the settings that change what a document is coded into: every run into one output folder must
# use the same (the others, such as batch_size, shard_bytes or doc_time_budget, may differ)
CODING_SETTINGS = (
    "spacy_model",
    "max_bytes",
    "max_chars",
    "actor_dictionaries",
    "agent_dictionaries",
    "trigger_files",
    "verb_patterns",
    "sentence_model",
    "sentence_model_threshold",
    "max_sentence_tokens",
    "geoparse",
)
OBJECT_STORES = frozenset({"s3", "gcs", "abfs"})
RETRY_DELAY = 0.5  # seconds before the first retry of a failed shard; doubled for each further one


class OutputError(RuntimeError):
    """The output folder cannot be used (other settings, not writable); the message says what to do."""


def coding_settings(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in CODING_SETTINGS:
        if hasattr(settings, name):
            value = getattr(settings, name)
            out[name] = list(value) if isinstance(value, tuple) else value
    return out


@dataclass
class Outcome:
    """What happened to one shard in a run."""

    shard_id: str
    origin: str
    ok: bool
    attempts: int = 1
    error: str | None = None
    documents: int = 0
    articles: int = 0  # articles with status ok
    events: int = 0
    statuses: dict[str, int] | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outcome:
        return cls(**data)


class OutputDir:
    """A batch output folder on a pyarrow filesystem (a local path or a URL)."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.fs, self.root = filesystem(location)
        self.root = self.root.rstrip("/") or "/"
        self.in_place = self.fs.type_name in OBJECT_STORES

    def path(self, *parts: str) -> str:
        return "/".join((self.root, *parts))

    # -- reading ------------------------------------------------------------------------------

    def _names(self, folder: str, suffix: str) -> list[str]:
        infos = self.fs.get_file_info(pafs.FileSelector(self.path(folder), allow_not_found=True))
        return sorted(i.base_name[: -len(suffix)] for i in infos if i.is_file and i.base_name.endswith(suffix))

    def done_ids(self) -> set[str]:
        return set(self._names("_done", ".json"))

    def failed_ids(self) -> set[str]:
        return set(self._names("_failed", ".json"))

    def read_json(self, *parts: str) -> Any:
        with self.fs.open_input_stream(self.path(*parts), compression=None) as handle:
            return json.loads(handle.read().decode("utf-8"))

    def done_markers(self) -> list[dict[str, Any]]:
        """The markers of the done shards, in input order (by file, then byte range)."""
        markers = [self.read_json("_done", f"{ident}.json") for ident in self.done_ids()]
        return sorted(markers, key=lambda m: (m["shard"]["uri"], m["shard"]["start"]))

    def failures(self) -> list[dict[str, Any]]:
        return [self.read_json("_failed", f"{ident}.json") for ident in sorted(self.failed_ids())]

    # -- writing ------------------------------------------------------------------------------

    def _write(self, rel: str, write: Any) -> None:
        """Write one file so that readers see it whole or not at all."""
        final = self.path(rel)
        self.fs.create_dir(final.rsplit("/", 1)[0], recursive=True)
        if self.in_place:
            write(final)
            return
        tmp = self.path("_tmp", rel.replace("/", "__"))
        self.fs.create_dir(tmp.rsplit("/", 1)[0], recursive=True)
        write(tmp)
        self.fs.move(tmp, final)

    def write_table(self, rel: str, table: pa.Table) -> None:
        self._write(rel, lambda p: pq.write_table(table, p, filesystem=self.fs, compression="zstd"))

    def write_json(self, rel: str, data: Any) -> None:
        body = (json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n").encode("utf-8")

        def write(p: str) -> None:
            with self.fs.open_output_stream(p, compression=None) as handle:
                handle.write(body)

        self._write(rel, write)

    def delete(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(self.path(rel))

    def start(self, settings: Settings) -> None:
        """Create the folder, or check that an existing one was written with the same coding settings."""
        wanted = coding_settings(settings)
        try:
            info = self.fs.get_file_info(self.path("_batch.json"))
            if info.type == pafs.FileType.File:
                meta = self.read_json("_batch.json")
                old = meta.get("settings", {})
                changed = sorted(k for k in old.keys() & wanted.keys() if old[k] != wanted[k])
                if changed:
                    what = "; ".join(f"{k} was {old[k]!r}, now {wanted[k]!r}" for k in changed)
                    raise OutputError(
                        f"{self.location} holds output coded with other settings ({what}); "
                        "write to a new --out folder, or run with the settings it was made with"
                    )
            else:
                from powderkeg import __version__

                self.write_json("_batch.json", {"format": FORMAT, "powderkeg": __version__, "settings": wanted})
            # what a killed run was writing: no shard owns it any more
            self.fs.delete_dir_contents(self.path("_tmp"), missing_dir_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot use {self.location} as the output folder: {exc}") from exc

    def remove_superseded(self, shards: list[Shard]) -> list[str]:
        """Delete the files and markers of older shards of the planned files (the file changed, or
        was cut at another ``shard_bytes``), including parts a killed run left without a marker.
        Returns the ids removed."""
        planned = {s.shard_id for s in shards}
        sources = {s.source for s in shards}
        removed: set[str] = set()
        infos = self.fs.get_file_info(pafs.FileSelector(self.root, recursive=True, allow_not_found=True))
        for info in infos:
            if not info.is_file:
                continue
            name = info.base_name
            if name.startswith("part-") and name.endswith(".parquet"):
                ident = name[len("part-") : -len(".parquet")]
            elif name.endswith(".json") and info.path.rsplit("/", 2)[-2] in ("_done", "_failed"):
                ident = name[: -len(".json")]
            else:
                continue
            if ident.split("-", 1)[0] in sources and ident not in planned:
                self.fs.delete_file(info.path)
                removed.add(ident)
        return sorted(removed)

    def write_shard(self, shard: Shard, coded: ShardTables) -> list[str]:
        """Write a shard's tables; returns the files written, relative to the folder."""
        name = f"part-{shard.shard_id}.parquet"
        files: list[str] = []
        for rel, table in (
            (f"articles/{name}", coded.articles),
            (f"sentences/{name}", coded.sentences),
            *((f"events/{key}/{name}", t) for key, t in coded.events.items()),
        ):
            if table.num_rows:
                self.write_table(rel, table)
                files.append(rel)
        return files

    def mark_done(self, shard: Shard, files: list[str], coded: ShardTables, seconds: float) -> None:
        from powderkeg import __version__

        self.write_json(
            f"_done/{shard.shard_id}.json",
            {
                "shard": shard.to_dict(),
                "files": files,
                "documents": coded.documents,
                "repeated": coded.repeated,
                "skipped_records": coded.skipped,
                "statuses": coded.statuses,
                "events": coded.n_events,
                "seconds": round(seconds, 3),
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "powderkeg": __version__,
            },
        )
        self.delete(f"_failed/{shard.shard_id}.json")

    def mark_failed(self, shard: Shard, error: str, attempts: int) -> None:
        self.write_json(
            f"_failed/{shard.shard_id}.json",
            {
                "shard": shard.to_dict(),
                "error": error,
                "attempts": attempts,
                "failed": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )


# -- the stage ----------------------------------------------------------------------------------


def code_shard(shard: Shard, pipeline: Pipeline) -> ShardTables:
    """Read, extract and code one shard with the pipeline's own stages (``Pipeline.code_articles``,
    the extraction ``powderkeg ingest`` uses): the local and the Ray engine both call this.
    A text that appears twice in the shard is coded once."""
    seen: set[str] = set()
    counts = {"documents": 0, "repeated": 0}
    skipped: Counter[str] = Counter()

    def articles() -> Iterator[Article]:
        for item in read_shard(shard, pipeline.settings, skipped):
            counts["documents"] += 1
            article: Article = item if isinstance(item, Article) else pipeline._safe_extract(item)
            if article.article_id in seen:
                counts["repeated"] += 1
                continue
            seen.add(article.article_id)
            yield article

    art, sent, events, statuses = tables(pipeline.code_articles(articles()))
    if counts["repeated"]:
        statuses["repeated"] = counts["repeated"]
    return ShardTables(art, sent, events, statuses, counts["documents"], counts["repeated"], dict(skipped))


def run_shard(shard: Shard, pipeline: Pipeline, out: OutputDir, retries: int) -> Outcome:
    """Code and write one shard, retrying a failure ``retries`` times; a shard that still fails is
    recorded in ``_failed/`` and returned as not ok. Never raises for a failure of the shard."""
    error = ""
    for attempt in range(1, retries + 2):
        start = time.perf_counter()
        try:
            coded = code_shard(shard, pipeline)
            files = out.write_shard(shard, coded)
            seconds = time.perf_counter() - start
            out.mark_done(shard, files, coded, seconds)
            return Outcome(
                shard.shard_id,
                shard.origin,
                True,
                attempt,
                None,
                coded.documents,
                coded.statuses.get("ok", 0),
                coded.n_events,
                coded.statuses,
                round(seconds, 3),
            )
        except Exception as exc:  # any failure of one shard is retried, then reported
            last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
            where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
            error = f"{type(exc).__name__}: {exc}{where}"
            if attempt <= retries:
                time.sleep(RETRY_DELAY * 2 ** (attempt - 1))
    try:
        out.mark_failed(shard, error, retries + 1)
    except OSError as exc:
        error += f"; and the failure could not be recorded: {exc}"
    return Outcome(shard.shard_id, shard.origin, False, retries + 1, error)
