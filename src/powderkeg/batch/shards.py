"""Inputs to shards, and the documents in a shard.

A shard is the unit of batch work: one input file, or one byte range of a JSONL file larger than
``shard_bytes``. Its id hashes what it reads, ``<source>-<version>``: ``source`` is a hash of the
file's path or URL, ``version`` a hash of that with the file's size, modification time and byte
range. The same file unchanged gives the same shard ids on every run; a changed file (or another
``shard_bytes``) gives new ones, and the old shards of that source are recognised as superseded.

Inputs are local files, folders, glob patterns, or URLs that :func:`pyarrow.fs.FileSystem.from_uri`
understands (``s3://``, ``gs://``, ``abfs://``, ``hdfs://``, ``file://``). Reading goes through the
same pyarrow filesystem everywhere, so a Ray worker on another machine reads what the driver
planned.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from pyarrow import fs as pafs

from powderkeg.config import Settings
from powderkeg.extract import failed
from powderkeg.model import Article, Document, Status
from powderkeg.sources.files import KINDS, parse_record
from powderkeg.sources.warc import SUFFIXES as ARCHIVE_SUFFIXES
from powderkeg.sources.warc import read_archive

# kinds of input by name ending; "records.gz" and "warc" (WARC and ARC archives) are whole-file shards
SUFFIXES: tuple[tuple[str, str], ...] = (
    *((suffix, "warc") for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True)),
    (".jsonl.gz", "records.gz"),
    *sorted(KINDS.items(), key=lambda kv: -len(kv[0])),
)
_GLOB = re.compile(r"[*?\[]")


class ShardError(RuntimeError):
    """A shard could not be read (the file is gone, unreadable, corrupt, or an object store failed)."""


def kind_of(name: str) -> str | None:
    lower = name.lower()
    return next((kind for suffix, kind in SUFFIXES if lower.endswith(suffix)), None)


@dataclass(frozen=True)
class Shard:
    """One unit of batch work: a file, or the byte range ``[start, end)`` of a large JSONL file."""

    shard_id: str
    uri: str  # what the filesystem opens: an absolute local path or a URL
    origin: str  # the file as the user named it; records' origins are built from it
    kind: str  # "html", "text", "records", "records.gz" or "warc"
    size: int
    mtime_ns: int | None
    start: int = 0
    end: int | None = None  # None: to the end of the file (the shard is the whole file)

    @property
    def source(self) -> str:
        """The part of the id shared by every shard, past and present, of the same file."""
        return self.shard_id.split("-", 1)[0]

    @property
    def sliced(self) -> bool:
        return self.end is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Shard:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class InputFile:
    uri: str
    origin: str
    kind: str
    size: int
    mtime_ns: int | None


# -- filesystems --------------------------------------------------------------------------------


def is_url(value: str) -> bool:
    return "://" in value


def filesystem(location: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem and path for a local path (relative ones against the working
    directory) or a URL."""
    if is_url(location):
        return pafs.FileSystem.from_uri(location)
    return pafs.LocalFileSystem(), os.path.abspath(location)


def _id_key(uri: str) -> str:
    """A file's identity for shard ids: ``file://`` URLs and local paths name the same file."""
    return uri[len("file://") :] if uri.startswith("file://") else uri


def shard_id(uri: str, size: int, mtime_ns: int | None, start: int = 0, end: int | None = None) -> str:
    key = _id_key(uri)
    source = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
    version = hashlib.sha1(f"{key}\0{size}\0{mtime_ns}\0{start}\0{end}".encode()).hexdigest()[:12]
    return f"{source}-{version}"


# -- planning -----------------------------------------------------------------------------------


def expand_inputs(inputs: Iterable[str]) -> tuple[list[InputFile], list[Article]]:
    """The files to read, in a stable order (each input's files sorted by path), and failures for
    inputs that name nothing readable."""
    files: list[InputFile] = []
    problems: list[Article] = []
    seen: set[str] = set()
    for raw in inputs:
        try:
            found, problem = _expand_one(str(raw))
        except (OSError, ValueError) as exc:  # a malformed URL, an unreachable object store
            found, problem = [], failed(str(raw), Status.ERROR, f"cannot list input: {exc}")
        if problem:
            problems.append(problem)
        for item in found:
            if item.uri not in seen:
                seen.add(item.uri)
                files.append(item)
    return files, problems


def _expand_one(raw: str) -> tuple[list[InputFile], Article | None]:
    fs, path = filesystem(raw)
    url = is_url(raw)
    scheme = raw.split("://", 1)[0] if url else ""

    def uri_of(p: str) -> str:
        if not url:
            return p
        return f"file://{p}" if scheme == "file" else f"{scheme}://{p}"

    def origin_of(p: str) -> str:
        if url:
            return uri_of(p)
        return p if os.path.isabs(raw) else os.path.relpath(p)

    def entry(info: pafs.FileInfo) -> InputFile | None:
        kind = kind_of(info.base_name)
        if kind is None:
            return None
        return InputFile(uri_of(info.path), origin_of(info.path), kind, int(info.size or 0), info.mtime_ns)

    if _GLOB.search(path):
        base = _glob_base(path)
        pattern = _glob_regex(path)
        infos = fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
        found = [e for i in infos if i.type == pafs.FileType.File and pattern.fullmatch(i.path) if (e := entry(i))]
        found.sort(key=lambda f: f.uri)
        if not found:
            return [], failed(raw, Status.INVALID, "no input files match this pattern")
        return found, None
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.Directory:
        infos = fs.get_file_info(pafs.FileSelector(path, recursive=True))
        found = [e for i in infos if i.type == pafs.FileType.File if (e := entry(i))]
        return sorted(found, key=lambda f: f.uri), None
    if info.type == pafs.FileType.File:
        item = entry(info)
        if item is None:
            known = ", ".join(s for s, _ in SUFFIXES)
            return [], failed(raw, Status.INVALID, f"unsupported file type; use {known}")
        return [item], None
    return [], failed(raw, Status.INVALID, "no such file or folder")


def _glob_base(path: str) -> str:
    """The folder above a pattern's first wildcard."""
    parts = path.split("/")
    fixed = []
    for part in parts:
        if _GLOB.search(part):
            break
        fixed.append(part)
    return "/".join(fixed) or "/"


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A shell pattern as a regular expression over whole paths: ``*`` and ``?`` stay within one
    folder, ``**`` crosses folders, ``[...]`` is a character class."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and (close := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : close]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = close + 1
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


def plan(inputs: Iterable[str], settings: Settings) -> tuple[list[Shard], list[Article]]:
    """The shards of these inputs, in input order, and failures for inputs that name nothing readable.

    A JSONL file larger than ``settings.shard_bytes`` is cut into byte ranges of that size; every
    other file is one shard (gzip-compressed JSONL and WARC files cannot be cut without reading them).
    """
    files, problems = expand_inputs(inputs)
    shards: list[Shard] = []
    step = max(1, settings.shard_bytes)
    for f in files:
        if f.kind == "records" and f.size > step:
            for start in range(0, f.size, step):
                end = min(start + step, f.size)
                ident = shard_id(f.uri, f.size, f.mtime_ns, start, end)
                shards.append(Shard(ident, f.uri, f.origin, f.kind, f.size, f.mtime_ns, start, end))
        else:
            shards.append(Shard(shard_id(f.uri, f.size, f.mtime_ns), f.uri, f.origin, f.kind, f.size, f.mtime_ns))
    return shards, problems


# -- reading ------------------------------------------------------------------------------------


def read_shard(shard: Shard, settings: Settings, skipped: Counter[str] | None = None) -> Iterator[Document | Article]:
    """The documents of a shard, in file order (an archive's pages extracted already, its other
    records counted in ``skipped``). Bad records become failed Articles, as with ``powderkeg
    ingest``; a file that cannot be opened or read raises :class:`ShardError`, so the shard is
    retried and then reported instead of being recorded as empty."""
    fs, path = filesystem(shard.uri)
    try:
        if shard.kind == "records":
            yield from _records_range(fs, path, shard, settings.max_bytes)
        elif shard.kind == "records.gz":
            yield from _records_gz(fs, path, shard, settings.max_bytes)
        elif shard.kind == "warc":
            yield from _archive(fs, path, shard, settings, skipped)
        else:
            yield from _page(fs, path, shard, settings.max_bytes)
    except (OSError, ValueError) as exc:  # pyarrow's errors are OSError or ValueError
        raise ShardError(f"cannot read {shard.origin}: {exc}") from exc


def _page(fs: pafs.FileSystem, path: str, shard: Shard, max_bytes: int) -> Iterator[Document | Article]:
    if shard.size > max_bytes:
        # the same record ``powderkeg ingest`` makes for a file over the limit, without reading it
        yield failed(
            shard.origin,
            Status.TOO_LARGE,
            f"{shard.size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit (setting max_bytes)",
            f"{shard.size}:{shard.mtime_ns}",
        )
        return
    with fs.open_input_stream(path, compression=None) as handle:
        raw = handle.read()
    yield Document(origin=shard.origin, kind=shard.kind, raw=raw)


def _records(handle: Iterable[bytes], origin: str, max_bytes: int) -> Iterator[Document | Article]:
    for number, line in enumerate(handle, start=1):
        if line.strip():
            yield parse_record(line, f"{origin}:{number}", max_bytes)


def _records_gz(fs: pafs.FileSystem, path: str, shard: Shard, max_bytes: int) -> Iterator[Document | Article]:
    """A gzip'd JSONL file's records. Bytes that are not gzip, or stop short, give a failed
    article (after the records read before them), as a damaged archive does; failing to read the
    bytes at all is the shard's failure."""
    with fs.open_input_stream(path, compression=None) as raw:
        guarded = _Guarded(raw)
        number = 0
        try:
            with gzip.open(guarded, "rb") as handle:
                for number, line in enumerate(handle, start=1):  # noqa: B007 - read after the loop
                    if line.strip():
                        yield parse_record(line, f"{shard.origin}:{number}", max_bytes)
        except (OSError, EOFError, zlib.error) as exc:
            if guarded.io_error is not None:
                raise ShardError(f"cannot read {shard.origin}: {guarded.io_error}") from exc
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            if number == 0:
                yield failed(shard.origin, Status.INVALID, f"not a readable gzip file: {first}", first)
            else:
                reason = f"gzip data damaged after line {number}: {type(exc).__name__}: {first}"
                yield failed(shard.origin, Status.ERROR, reason, f"{number}:{first}")


class _Guarded:
    """A file that remembers a failure to read its bytes (``io_error``), so that a reader which
    takes any ``OSError`` for damaged content (gzip, the archive reader) can be told apart from a
    file that could not be read: that is the shard's failure, and retried."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.io_error: OSError | None = None

    def _guard(self, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except OSError as exc:
            self.io_error = exc
            raise

    def read(self, size: int | None = -1) -> bytes:
        data = self._guard(self.raw.read) if size is None or size < 0 else self._guard(self.raw.read, size)
        return bytes(data)

    def readline(self, size: int | None = -1) -> bytes:
        return bytes(
            self._guard(self.raw.readline) if size is None or size < 0 else self._guard(self.raw.readline, size)
        )

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self._guard(self.raw.seek, offset, whence))

    def tell(self) -> int:
        return int(self.raw.tell())

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self.raw.seekable())

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> _Guarded:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _records_range(fs: pafs.FileSystem, path: str, shard: Shard, max_bytes: int) -> Iterator[Document | Article]:
    """A JSONL file's records whose line starts in ``[start, end)``: every line belongs to exactly
    one slice. A whole file names records ``file:line`` as ingest does; the slices of a cut file
    name them ``file@byte`` (the line's byte offset), which needs no reading of earlier slices."""
    with fs.open_input_file(path) as raw:
        handle = io.BufferedReader(raw, buffer_size=1 << 20)  # type: ignore[arg-type]
        if not shard.sliced:
            yield from _records(handle, shard.origin, max_bytes)
            return
        end = shard.end if shard.end is not None else shard.size
        if shard.start > 0:
            handle.seek(shard.start - 1)
            handle.readline()  # the rest of a line that started in the previous slice
        while True:
            offset = handle.tell()
            if offset >= end:
                return
            line = handle.readline()
            if not line:
                return
            if line.strip():
                yield parse_record(line, f"{shard.origin}@{offset}", max_bytes)


class _Archive:
    """An archive on a pyarrow filesystem as :func:`powderkeg.sources.warc.read_archive` reads a
    path (``str`` names the records' origins, ``open`` gives a seekable file), so that WARC files
    are read by the one archive reader whether they are local or in an object store."""

    def __init__(self, fs: pafs.FileSystem, path: str, origin: str) -> None:
        self.fs, self.path, self.origin = fs, path, origin
        self.handle: _Guarded | None = None

    def __str__(self) -> str:
        return self.origin

    def open(self, mode: str = "rb") -> _Guarded:
        if mode != "rb":
            raise ValueError("archives are read only")
        try:
            self.handle = _Guarded(self.fs.open_input_file(self.path))  # random access: local file or ranged GETs
        except OSError as exc:  # not a damaged archive but a missing or unreachable file: retry the shard
            raise ShardError(f"cannot read {self.origin}: {exc}") from exc
        return self.handle


def _archive(
    fs: pafs.FileSystem, path: str, shard: Shard, settings: Settings, skipped: Counter[str] | None
) -> Iterator[Article]:
    """An archive's pages, read by :func:`powderkeg.sources.warc.read_archive`. What it reports as
    damage but was a failure to read the bytes (an object store that broke off) fails the shard,
    which is then retried, instead of being recorded as a damaged archive."""
    archive = _Archive(fs, path, shard.origin)
    for article in read_archive(archive, settings, skipped):  # type: ignore[arg-type]
        if archive.handle is not None and archive.handle.io_error is not None:
            raise ShardError(f"cannot read {shard.origin}: {archive.handle.io_error}")
        yield article
