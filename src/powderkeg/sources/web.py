"""Fetching pages and feeds over HTTP, politely and without ever raising on a bad URL.

:class:`Fetcher` runs httpx's async client in a background thread and hands results back, as
they complete, to the caller's (synchronous) loop, so pages are downloaded while earlier ones are
parsed. Each request:

* waits its turn: at most ``fetch_concurrency`` requests in flight, ``host_concurrency`` per host,
  and ``host_delay`` seconds (or the host's robots.txt ``Crawl-delay``, up to 60 s) between the
  starts of two requests to one host;
* asks robots.txt first (fetched once per host and kept for a day; RFC 9309: a missing robots.txt
  allows everything, one that answers 5xx forbids everything for now);
* sends ``If-None-Match`` / ``If-Modified-Since`` when the caller has validators, so an unchanged
  feed costs a 304 and no body;
* follows at most ``max_redirects`` redirects itself, asking robots.txt at each hop, and names a
  loop as one;
* streams the body and stops reading at ``max_bytes`` (or before the first byte, when the
  Content-Length says so);
* is retried after a timeout, a connection error, HTTP 408, 429 or 5xx, ``fetch_retries`` times,
  waiting ``fetch_backoff`` seconds doubled each time, or the server's Retry-After when it is
  longer and at most ``fetch_max_retry_after``;
* ends in a :class:`FetchResult` with an :class:`Outcome` and a one-line reason, whatever happens.

Text is decoded by the charset of the Content-Type header, else a byte-order mark, else a
``<meta charset>`` in the first 4 KB, else strict UTF-8, else charset-normalizer's guess.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import random
import re
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from powderkeg.config import Settings
from powderkeg.extract import failed, sniff_binary
from powderkeg.model import Article, Document, Status

ROBOTS_TTL = 24 * 3600.0  # seconds a robots.txt verdict is kept
ROBOTS_RETRY = 300.0  # seconds a "robots.txt unreachable" verdict is kept before asking again
ROBOTS_MAX_BYTES = 512_000  # RFC 9309: parse at least the first 500 KiB
MAX_CRAWL_DELAY = 60.0  # the longest robots.txt Crawl-delay honoured
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]{2,40})""", re.IGNORECASE)
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# WHATWG: pages labelled Latin-1 or ASCII are decoded as windows-1252
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252",
                    "ascii": "cp1252", "x-sjis": "shift_jis"}  # fmt: skip


class Outcome(StrEnum):
    """How a request ended."""

    OK = "ok"  # a 2xx body, complete
    NOT_MODIFIED = "not_modified"  # 304 to a conditional request
    TIMEOUT = "timeout"
    NETWORK = "network"  # cannot connect, connection reset, broken HTTP
    HTTP_ERROR = "http_error"  # a 4xx or 5xx answer
    REDIRECTS = "redirects"  # a redirect loop or too many redirects
    TOO_LARGE = "too_large"  # body over max_bytes
    ROBOTS = "robots"  # robots.txt forbids it
    INVALID_URL = "invalid_url"
    ERROR = "error"  # anything else, with its message


_STATUS = {Outcome.TOO_LARGE: Status.TOO_LARGE, Outcome.INVALID_URL: Status.INVALID}


@dataclass
class FetchRequest:
    url: str
    etag: str | None = None  # validators from an earlier response, for a conditional GET
    last_modified: str | None = None
    context: Any = None  # the caller's own data, handed back with the result


@dataclass
class FetchResult:
    request: FetchRequest
    outcome: Outcome
    reason: str | None = None
    url: str = ""  # after redirects
    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    attempts: int = 0
    transient: bool = False  # worth trying again later (timeouts, 5xx, 429, unreachable robots.txt)
    retry_after: float | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    def decoded(self) -> Decoded:
        return decode_html(self.body, self.headers.get("content-type"))


# -- decoding ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    source: str  # "header", "bom", "meta", "utf-8", "detected" or "fallback"


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value."""
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip("\"'"):
            return value.strip().strip("\"'")
    return None


def _codec(label: str | None) -> str | None:
    """A Python codec for a charset label, or None when Python does not know it."""
    if not label:
        return None
    import codecs

    label = _CHARSET_ALIASES.get(label.strip().lower(), label.strip().lower())
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode a page: the header's charset, a BOM, a ``<meta>`` charset, strict UTF-8, then a
    detector (charset-normalizer); undecodable bytes are replaced, never raised on."""
    codec = _codec(charset_of(content_type))
    if codec:
        return Decoded(body.decode(codec, errors="replace"), codec, "header")
    for bom, name in _BOMS:
        if body.startswith(bom):
            return Decoded(body.decode(name, errors="replace"), name, "bom")
    match = _META_CHARSET.search(body[:4096])
    codec = _codec(match.group(1).decode("ascii")) if match else None
    if codec and codec not in ("utf-16-le", "utf-16-be", "utf-16"):  # a meta tag readable as ASCII is not UTF-16
        return Decoded(body.decode(codec, errors="replace"), codec, "meta")
    try:
        return Decoded(body.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # httpx's own dependency

    best = from_bytes(body[:500_000]).best()
    codec = _codec(best.encoding) if best else None
    if codec:
        return Decoded(body.decode(codec, errors="replace"), codec, "detected")
    return Decoded(body.decode("utf-8", errors="replace"), "utf-8", "fallback")


def to_document(result: FetchResult, title: str | None = None, published: str | None = None) -> Document | Article:
    """A fetched page as a Document for extraction, or a failed Article saying why there is none."""
    origin = result.request.url
    if not result.ok:
        status = _STATUS.get(result.outcome, Status.ERROR)
        key = f"{result.outcome}:{result.status_code or ''}"
        return failed(origin, status, result.reason or str(result.outcome), key)
    ctype = result.content_type
    what = sniff_binary(result.body)
    if what:
        return failed(origin, Status.NOT_TEXT, f"{what}, not a web page", result.body[:65536])
    if ctype and ctype not in HTML_TYPES | TEXT_TYPES and not _looks_like_html(result.body):
        return failed(origin, Status.NOT_TEXT, f"content type {ctype} is not a web page", ctype)
    decoded = result.decoded()
    return Document(
        origin=origin,
        kind="text" if ctype in TEXT_TYPES else "html",
        raw=decoded.text,
        title=title,
        url=result.url or origin,
        published=published,
    )


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in body[:4096].lower()


def http_date(value: str | None) -> str | None:
    """An HTTP date header (Last-Modified) as an ISO date-time, or None."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return None


# -- robots.txt ----------------------------------------------------------------------------------


@dataclass
class _Robots:
    parser: RobotFileParser | None  # None: everything allowed
    expires: float  # time.monotonic() after which to ask again
    deny_reason: str | None = None  # robots.txt could not be read: everything forbidden for now
    crawl_delay: float | None = None

    def verdict(self, url: str, agent: str) -> str | None:
        """None when the URL may be fetched, else the reason it may not."""
        if self.deny_reason:
            return self.deny_reason
        if self.parser is None or self.parser.can_fetch(agent, url):
            return None
        return f"robots.txt of {_origin(url)} disallows {urlsplit(url).path or '/'} for {agent.split('/')[0]}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# -- the fetcher ---------------------------------------------------------------------------------


class Fetcher:
    """Fetches URLs concurrently and politely. Keep one for a whole run (or a ``watch``): it
    remembers robots.txt verdicts and when each host was last asked."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._robots: dict[str, _Robots] = {}
        self._next_start: dict[str, float] = {}  # host -> earliest monotonic time of its next request
        self._lock = threading.Lock()

    def fetch_all(self, requests: Iterable[FetchRequest]) -> list[FetchResult]:
        """Results in the order of the requests."""
        reqs = list(requests)
        order = {id(r): i for i, r in enumerate(reqs)}
        results = list(self.stream(reqs))
        return sorted(results, key=lambda r: order[id(r.request)])

    def stream(self, requests: Iterable[FetchRequest]) -> Iterator[FetchResult]:
        """One result per request, as they complete. Stopping the iteration early (or Ctrl-C)
        cancels what is still in flight."""
        reqs = list(requests)
        if not reqs:
            return
        run = _Run(self, reqs)
        thread = threading.Thread(target=run.run, name="powderkeg-fetch", daemon=True)
        thread.start()
        try:
            for _ in range(len(reqs)):
                while True:
                    try:
                        item = run.results.get(timeout=0.2)
                        break
                    except queue.Empty:
                        if not thread.is_alive() and run.results.empty():
                            raise RuntimeError("the fetcher stopped without a result") from None
                if isinstance(item, BaseException):
                    raise item
                run.consumed()
                yield item
        finally:
            run.stop()
            thread.join(timeout=5)


class _Run:
    """One batch of requests on an event loop of its own, in a background thread."""

    def __init__(self, fetcher: Fetcher, requests: list[FetchRequest]) -> None:
        self.fetcher = fetcher
        self.settings = fetcher.settings
        self.requests = requests
        self.results: queue.Queue[FetchResult | BaseException] = queue.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._stopped = False
        s = self.settings
        # results not yet taken by the consumer are bounded: memory stays flat on long lists
        self._window = asyncio.Semaphore(max(16, 4 * s.fetch_concurrency))
        self._global = asyncio.Semaphore(max(1, s.fetch_concurrency))
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._host_locks: dict[str, asyncio.Lock] = {}
        self._robot_locks: dict[str, asyncio.Lock] = {}

    # called from the consumer's thread
    def consumed(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._window.release)

    def stop(self) -> None:
        self._stopped = True
        loop, main = self._loop, self._main
        if loop is not None and main is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(main.cancel)

    # the background thread
    def run(self) -> None:
        try:
            asyncio.run(self._run())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # a bug here must reach the consumer, not vanish with the thread
            self.results.put(exc)

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        if self._stopped:
            return
        s = self.settings
        timeout = httpx.Timeout(s.fetch_timeout)
        limits = httpx.Limits(max_connections=max(1, s.fetch_concurrency))
        headers = {"User-Agent": s.user_agent, "Accept": "text/html,application/xhtml+xml,application/rss+xml,"
                   "application/atom+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"}  # fmt: skip
        async with (
            httpx.AsyncClient(
                timeout=timeout, limits=limits, headers=headers, follow_redirects=False,
                max_redirects=max(0, s.max_redirects),
            ) as client,
            asyncio.TaskGroup() as group,
        ):  # fmt: skip
            for request in _interleave(self.requests):
                await self._window.acquire()
                group.create_task(self._one(client, request))

    async def _one(self, client: httpx.AsyncClient, request: FetchRequest) -> None:
        started = time.monotonic()
        try:
            result = await self._fetch(client, request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the last guard: one URL never sinks the batch
            result = FetchResult(request, Outcome.ERROR, f"{type(exc).__name__}: {exc}", url=request.url)
        result.seconds = time.monotonic() - started
        self.results.put(result)

    async def _fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> FetchResult:
        s = self.settings
        problem = url_problem(request.url)
        if problem:
            return FetchResult(request, Outcome.INVALID_URL, problem, url=request.url)
        attempts = 0
        while True:
            attempts += 1
            result = await self._attempt(client, request)
            result.attempts = attempts
            # robots.txt that cannot be read is asked again on a later run, not within this one
            if not result.transient or attempts > s.fetch_retries or result.outcome is Outcome.ROBOTS:
                if attempts > 1:
                    result.reason = f"{result.reason} ({attempts} attempts)"
                return result
            wait = s.fetch_backoff * 2 ** (attempts - 1) * (1 + 0.1 * random.random())
            if result.retry_after is not None:
                if result.retry_after > s.fetch_max_retry_after:
                    result.reason = (
                        f"{result.reason}; Retry-After of {result.retry_after:g} s is over the "
                        f"{s.fetch_max_retry_after:g} s limit (fetch_max_retry_after)"
                    )
                    return result
                wait = max(wait, result.retry_after)
            await asyncio.sleep(wait)

    async def _attempt(self, client: httpx.AsyncClient, request: FetchRequest) -> FetchResult:
        s = self.settings
        url = request.url
        chain = [url]
        headers: dict[str, str] = {}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        for _ in range(s.max_redirects + 1):
            if s.robots_txt:
                denied = await self._robots_verdict(client, request, url)
                if denied is not None:
                    return denied
            location: str | None = None
            try:
                # the deadline runs from the request's turn (waiting for a slot is not counted)
                async with (
                    self._slot(url),
                    asyncio.timeout(s.fetch_deadline),
                    client.stream("GET", url, headers=headers) as response,
                ):
                    if response.status_code in _REDIRECTS and response.headers.get("location"):
                        location = urljoin(str(response.url), response.headers["location"].strip())
                    else:
                        return await self._read(request, response)
            except TimeoutError:
                reason = f"took longer than {s.fetch_deadline:g} s in all (fetch_deadline)"
                return FetchResult(request, Outcome.TIMEOUT, reason, url=url, transient=True)
            except httpx.TimeoutException as exc:
                kind = type(exc).__name__.replace("Timeout", "").lower() or "request"
                return FetchResult(request, Outcome.TIMEOUT, f"{kind} timed out after {s.fetch_timeout:g} s"
                                   " (fetch_timeout)", url=url, transient=True)  # fmt: skip
            except httpx.ConnectError as exc:
                return FetchResult(request, Outcome.NETWORK, f"cannot connect: {_short(exc)}", url=url, transient=True)
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                return FetchResult(request, Outcome.INVALID_URL, f"bad URL {url}: {_short(exc)}", url=url)
            except httpx.DecodingError as exc:
                return FetchResult(request, Outcome.NETWORK, f"cannot decode the response: {_short(exc)}", url=url)
            except httpx.HTTPError as exc:  # read errors, protocol errors, a reset connection
                return FetchResult(
                    request, Outcome.NETWORK, f"{type(exc).__name__}: {_short(exc)}", url=url, transient=True
                )
            problem = url_problem(location)
            if problem:
                return FetchResult(request, Outcome.REDIRECTS, f"redirect to {location}: {problem}", url=url)
            if location in chain:
                loop = " -> ".join(_path(u) for u in [*chain[chain.index(location) :], location])
                return FetchResult(request, Outcome.REDIRECTS, f"redirect loop: {loop}", url=url)
            chain.append(location)
            url = location
        return FetchResult(
            request, Outcome.REDIRECTS, f"more than {s.max_redirects} redirects (max_redirects), last to {url}", url=url
        )

    async def _read(self, request: FetchRequest, response: httpx.Response) -> FetchResult:
        s = self.settings
        url = str(response.url)
        headers = {k.lower(): v for k, v in response.headers.items()}
        code = response.status_code
        base = {"url": url, "status_code": code, "headers": headers}
        if code == 304:
            return FetchResult(request, Outcome.NOT_MODIFIED, "not modified (HTTP 304)", **base)
        if code >= 400:
            transient = code in _RETRY_STATUS
            return FetchResult(
                request, Outcome.HTTP_ERROR, f"HTTP {code} {response.reason_phrase}".strip(), transient=transient,
                retry_after=_retry_after(headers.get("retry-after")) if transient else None, **base,
            )  # fmt: skip
        if not 200 <= code < 300:
            return FetchResult(request, Outcome.HTTP_ERROR, f"unexpected HTTP {code} {response.reason_phrase}", **base)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > s.max_bytes:
            mb = int(declared) / 1e6
            reason = f"Content-Length of {mb:.1f} MB is over the {s.max_bytes / 1e6:g} MB limit (max_bytes)"
            return FetchResult(request, Outcome.TOO_LARGE, reason, **base)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > s.max_bytes:
                return FetchResult(
                    request, Outcome.TOO_LARGE,
                    f"body over the {s.max_bytes / 1e6:g} MB limit (max_bytes); stopped reading at {size / 1e6:.1f} MB",
                    **base,
                )  # fmt: skip
            chunks.append(chunk)
        return FetchResult(request, Outcome.OK, None, body=b"".join(chunks), **base)

    # -- politeness -------------------------------------------------------------------------

    def _host_delay(self, url: str) -> float:
        robots = self.fetcher._robots.get(_origin(url))
        delay = self.settings.host_delay
        if robots is not None and robots.crawl_delay:
            delay = max(delay, min(robots.crawl_delay, MAX_CRAWL_DELAY))
        return delay

    @contextlib.asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        """Wait for the host's turn (its concurrency cap and spacing), then for a global slot."""
        host = (urlsplit(url).hostname or "").lower()
        per_host = self._hosts.setdefault(host, asyncio.Semaphore(max(1, self.settings.host_concurrency)))
        async with per_host:
            lock = self._host_locks.setdefault(host, asyncio.Lock())
            async with lock:
                now = time.monotonic()
                with self.fetcher._lock:
                    start = max(now, self.fetcher._next_start.get(host, now))
                    self.fetcher._next_start[host] = start + self._host_delay(url)
                if start > now:
                    await asyncio.sleep(start - now)
            async with self._global:
                yield

    async def _robots_verdict(self, client: httpx.AsyncClient, request: FetchRequest, url: str) -> FetchResult | None:
        """None when robots.txt lets the URL be fetched, else the result that says why not."""
        origin = _origin(url)
        lock = self._robot_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            robots = self.fetcher._robots.get(origin)
            if robots is None or robots.expires < time.monotonic():
                robots = await self._read_robots(client, origin)
                if isinstance(robots, FetchResult):  # the host cannot be reached at all
                    robots.request = request
                    return robots
                self.fetcher._robots[origin] = robots
        reason = robots.verdict(url, self.settings.user_agent)
        if reason is None:
            return None
        transient = robots.deny_reason is not None
        return FetchResult(request, Outcome.ROBOTS, reason, url=url, transient=transient)

    async def _read_robots(self, client: httpx.AsyncClient, origin: str) -> _Robots | FetchResult:
        s = self.settings
        url = origin + "/robots.txt"
        now = time.monotonic()
        try:
            async with (
                self._slot(url),
                asyncio.timeout(s.fetch_deadline),
                client.stream("GET", url, follow_redirects=True) as response,
            ):
                code = response.status_code
                if code >= 500 or code == 429:
                    reason = f"robots.txt answered HTTP {code}: everything disallowed for now (RFC 9309)"
                    return _Robots(None, now + ROBOTS_RETRY, deny_reason=reason)
                if code >= 400:  # no robots.txt: everything allowed
                    return _Robots(None, now + ROBOTS_TTL)
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= ROBOTS_MAX_BYTES:
                        break
        except (httpx.TimeoutException, TimeoutError):
            reason = f"robots.txt timed out after {s.fetch_timeout:g} s (fetch_timeout)"
            return FetchResult(FetchRequest(url), Outcome.TIMEOUT, reason, url=url, transient=True)
        except httpx.HTTPError as exc:
            reason = f"cannot connect: {_short(exc)} (asking for robots.txt)"
            return FetchResult(FetchRequest(url), Outcome.NETWORK, reason, url=url, transient=True)
        parser = RobotFileParser(url)
        parser.parse(body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace").splitlines())
        delay = parser.crawl_delay(s.user_agent.split("/")[0])
        return _Robots(parser, now + ROBOTS_TTL, crawl_delay=float(delay) if delay else None)


def _interleave(requests: list[FetchRequest]) -> list[FetchRequest]:
    """Requests taken from each host in turn, so that a long list for one host (which is asked
    slowly, politely) does not hold up the others."""
    by_host: dict[str, list[FetchRequest]] = {}
    for request in requests:
        try:
            host = (urlsplit(request.url).hostname or "").lower()
        except ValueError:  # reported as a bad URL when its turn comes
            host = ""
        by_host.setdefault(host, []).append(request)
    queues = list(by_host.values())
    out: list[FetchRequest] = []
    for i in range(max((len(q) for q in queues), default=0)):
        out.extend(q[i] for q in queues if i < len(q))
    return out


def url_problem(url: str | None) -> str | None:
    if not url:
        return "no URL"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is no number
    except ValueError as exc:
        return f"bad URL {url}: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"not an http(s) URL: {url}"
    if not parts.hostname:
        return f"no host in {url}"
    return None


def _path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text and text[0] else type(exc).__name__


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    from datetime import UTC, datetime

    return max(0.0, (when - datetime.now(UTC)).total_seconds())
