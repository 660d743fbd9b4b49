"""Documents from local files and folders: ``.html``/``.htm`` pages, ``.txt`` dumps, ``.jsonl``
records (``{"id", "text", "title", "url", "published"}``, or ``"html"`` instead of ``"text"``), and
web archives (``.warc``, ``.warc.gz``, ``.arc``, ``.arc.gz``: see :mod:`powderkeg.sources.warc`).

Reading never raises on bad input: an unreadable file or line yields an already-failed Article.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from powderkeg.config import Settings
from powderkeg.extract import failed
from powderkeg.model import Article, Document, Status
from powderkeg.sources.warc import SUFFIXES as ARCHIVE_SUFFIXES
from powderkeg.sources.warc import is_archive, read_archive

KINDS = {".html": "html", ".htm": "html", ".txt": "text", ".jsonl": "records"}


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Article]]:
    """Files to read (folders walked recursively, sorted) and failures for paths that cannot be read."""
    files: list[Path] = []
    problems: list[Article] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and (p.suffix.lower() in KINDS or is_archive(p)))
            )
        elif path.is_file():
            if path.suffix.lower() in KINDS or is_archive(path):
                files.append(path)
            else:
                known = ", ".join([*KINDS, *ARCHIVE_SUFFIXES])
                problems.append(
                    failed(str(path), Status.INVALID, f"unsupported file type {path.suffix or '(none)'!r}; use {known}")
                )
        else:
            problems.append(failed(str(path), Status.INVALID, "no such file or folder"))
    return files, problems


def read_file(
    path: Path, max_bytes: int, settings: Settings | None = None, skipped: Counter[str] | None = None
) -> Iterator[Document | Article]:
    """The documents in one file; records of a JSONL file one by one; the pages of an archive,
    extracted already (with ``settings``), its other records counted in ``skipped``."""
    if is_archive(path):
        yield from read_archive(path, settings or Settings(max_bytes=max_bytes), skipped)
        return
    kind = KINDS[path.suffix.lower()]
    origin = str(path)
    if kind == "records":
        yield from read_jsonl(path, max_bytes)
        return
    try:
        size = path.stat().st_size
        if size > max_bytes:
            # refuse without reading it all; the Document carries only a prefix to report the size
            yield failed(
                origin,
                Status.TOO_LARGE,
                f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit (setting max_bytes)",
                f"{size}:{path.stat().st_mtime_ns}",
            )
            return
        raw = path.read_bytes()
    except OSError as exc:
        yield failed(origin, Status.ERROR, f"cannot read file: {exc.strerror or exc}")
        return
    yield Document(origin=origin, kind=kind, raw=raw)


def read_jsonl(path: Path, max_bytes: int) -> Iterator[Document | Article]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield failed(str(path), Status.ERROR, f"cannot read file: {exc.strerror or exc}")
        return
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            yield parse_record(line, f"{path}:{number}", max_bytes)


def parse_record(line: bytes | str, origin: str, max_bytes: int = 10_000_000) -> Document | Article:
    """One JSONL line as a Document, or a failed Article saying what is wrong with it."""
    if len(line) > max_bytes:
        return failed(origin, Status.TOO_LARGE, f"record of {len(line) / 1e6:.1f} MB is over the limit", f"{len(line)}")
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return failed(
            origin, Status.INVALID, f"not a JSON object: {exc}", line if isinstance(line, bytes) else line.encode()
        )
    if not isinstance(record, dict):
        return failed(origin, Status.INVALID, f"expected a JSON object, got {type(record).__name__}")
    html = record.get("html")
    text = record.get("text")
    body = html if isinstance(html, str) and html.strip() and not text else text
    if not isinstance(body, str):
        return failed(origin, Status.INVALID, 'record has no "text" (or "html") string', json.dumps(record)[:2000])
    ident = record.get("id")
    return Document(
        origin=origin,
        kind="html" if body is html else "record",
        raw=body,
        doc_id=None if ident is None else str(ident),
        title=_opt_str(record.get("title")),
        url=_opt_str(record.get("url")),
        published=_opt_str(record.get("published")),
    )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
