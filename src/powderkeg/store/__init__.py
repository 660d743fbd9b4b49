"""The embedded DuckDB store: articles with their status, sentences, events and event actors."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from powderkeg.model import Article, Event, Place, Status
from powderkeg.store.confidence import check_min_confidence, confidence_sql, shown
from powderkeg.store.schema import LATEST, MIGRATIONS

__all__ = [
    "FetchState",
    "SentenceSpan",
    "Store",
    "StoreError",
    "check_min_confidence",
    "confidence_sql",
    "event_conditions",
    "open_store",
    "shown",
]

# events with a source actor of one country and a target actor of the other, either way round: one
# join over the actors of those two countries (a semi-join, not a correlated lookup per event)
_DYAD = (
    "e.event_id IN (SELECT s.event_id FROM event_actors s JOIN event_actors t ON s.event_id = t.event_id"
    " WHERE s.role = 'source' AND t.role = 'target' AND s.country IN (?, ?) AND t.country IN (?, ?)"
    " AND (s.country <> t.country OR ? = ?))"  # a dyad within one country (XKX, XKX) pairs it with itself
)


ARTICLE_COLUMNS = (
    "article_id", "origin", "doc_id", "title", "url", "site", "author", "published", "language", "status", "reason",
    "text", "n_events",
)  # fmt: skip
SENTENCE_COLUMNS = ("article_id", "idx", "start_char", "end_char", "text")
EVENT_COLUMNS = (
    "event_id", "article_id", "type", "mode", "cameo", "quad", "intensity", "goldstein", "acled_type",
    "acled_subtype", "source_country", "target_country", "date", "date_precision", "location_name", "lat", "lon",
    "fatalities", "injuries", "negated", "hypothetical", "historical", "sentence", "sentence_start", "sentence_end",
    "rule", "confidence", "mentions", "sources", "json",
)  # fmt: skip
ACTOR_COLUMNS = ("event_id", "role", "idx", "text", "code", "country", "sector", "org", "ethnicity")
_INSERT_SQL: dict[tuple[str, tuple[str, ...], bool], str] = {}  # the schema is the same in every database


def event_conditions(
    since: date | None, until: date | None, actual_only: bool, min_confidence: float = 0.0
) -> tuple[list[str], list[Any]]:
    """Conditions (and their parameters) on ``events e JOIN articles a`` for the real-world events
    of a time window: dated by the event, else by its article; only actual ones if asked; each
    event once (a report merged into an earlier one is left out: see :meth:`Store.mentions`);
    only those shown at ``min_confidence`` (see :mod:`powderkeg.store.confidence`)."""
    where: list[str] = []
    params: list[Any] = []
    if since:
        where.append("coalesce(e.date, a.published) >= ?")
        params.append(since)
    if until:
        where.append("coalesce(e.date, a.published) <= ?")
        params.append(until)
    if actual_only:
        where.append("NOT (e.negated OR e.hypothetical OR e.historical)")
    where.append("e.cluster_id IS NULL")
    shown_sql, shown_params = confidence_sql(min_confidence)
    return [*where, shown_sql], [*params, *shown_params]


class StoreError(RuntimeError):
    """The database cannot be opened or used; the message says why and what to do."""


@dataclass(frozen=True)
class SentenceSpan:
    idx: int
    start: int
    end: int
    text: str


@dataclass
class FetchState:
    """What the last request for a URL gave (table ``fetch_state``): the validators for a
    conditional GET, and whether the URL is done (``final``) or to be tried again."""

    url: str
    kind: str  # "feed" or "page"
    outcome: str  # ok, not_modified, timeout, network, http_error, robots, redirects, too_large, ...
    final: bool  # False: a transient failure, fetched again on the next run
    checked_at: datetime
    http_status: int | None = None
    reason: str | None = None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_sha1: str | None = None  # of the last body received
    article_id: str | None = None  # the article the page gave
    failures: int = 0  # transient failures in a row
    fetched_at: datetime | None = None  # when a body was last received


class Store:
    """A powderkeg database. Use :func:`open_store`; close it (or use ``with``) when done."""

    merge_days = 1  # reports of one event may date it this many days apart (settings merge_days)
    merge_km = 50.0  # ... and place it this far apart (settings merge_km)

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            first = str(exc).splitlines()[0]
            raise StoreError(f"cannot open database {self.path}: {first}") from exc
        except duckdb.Error as exc:
            raise StoreError(f"{self.path} is not a powderkeg DuckDB database: {exc}") from exc
        if not read_only:
            self.migrate()
        elif self.version() < LATEST:
            raise StoreError(f"{self.path} has schema version {self.version()}; open it once read-write to migrate")

    # -- schema -----------------------------------------------------------------------------

    def version(self) -> int:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        ).fetchone()
        if not exists or not exists[0]:
            return 0
        row = self.con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0

    def migrate(self) -> None:
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)"
        )
        current = self.version()
        for version, name, sql in MIGRATIONS:
            if version <= current:
                continue
            self.con.execute("BEGIN TRANSACTION")
            try:
                self.con.execute(sql)
                self.con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
                self.con.execute("COMMIT")
            except duckdb.Error:
                self.con.execute("ROLLBACK")
                raise

    # -- writing ----------------------------------------------------------------------------

    def known(self, article_ids: Iterable[str]) -> set[str]:
        """Which of these articles are already stored (any status)."""
        ids = list(set(article_ids))
        if not ids:
            return set()
        rows = self.con.execute("SELECT article_id FROM articles WHERE article_id IN (SELECT unnest(?))", [ids])
        return {r[0] for r in rows.fetchall()}

    def save(self, article: Article, sentences: Sequence[SentenceSpan] = (), events: Sequence[Event] = ()) -> bool:
        """Store an article with its sentences and events in one transaction.

        Returns False (and changes nothing) when the article is already stored.
        """
        return self.save_many([(article, sentences, events)])[0]

    def save_many(self, items: Sequence[tuple[Article, Sequence[SentenceSpan], Sequence[Event]]]) -> list[bool]:
        """Store articles with their sentences and events, all in one transaction, in order: the
        same database as saving them one by one, at a fraction of the cost (a transaction and a
        statement per table, not per article).

        Returns, per item, whether it was stored: False for an article already in the database or
        earlier in ``items``.
        """
        if not items:
            return []
        self.con.execute("BEGIN TRANSACTION")
        try:
            known = self.known(a.article_id for a, _, _ in items)
            stored: list[bool] = []
            new: list[tuple[Article, Sequence[SentenceSpan], Sequence[Event]]] = []
            for item in items:
                article_id = item[0].article_id
                fresh = article_id not in known
                stored.append(fresh)
                if fresh:
                    known.add(article_id)
                    new.append(item)
            self._insert_columns(
                "articles",
                ARTICLE_COLUMNS,
                [
                    [
                        a.article_id,
                        a.origin,
                        a.doc_id,
                        a.title,
                        a.url,
                        a.site,
                        a.author,
                        a.published,
                        a.language,
                        str(a.status),
                        a.reason,
                        a.text,
                        len(evs),
                    ]
                    for a, _, evs in new
                ],
            )
            self._insert_columns(
                "sentences",
                SENTENCE_COLUMNS,
                [[a.article_id, s.idx, s.start, s.end, s.text] for a, sents, _ in new for s in sents],
            )
            self._insert_events([e for _, _, evs in new for e in evs])
            later = [a.article_id for a, _, _ in new]
            for k, (article, _, evs) in enumerate(new):  # in order: the first report stays canonical
                self._merge_reports(article, evs, later[k:])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return stored

    def _merge_reports(self, article: Article, events: Sequence[Event], not_before: Sequence[str]) -> None:
        """Count each real-world event once: an actual event of this article that another article
        already reported (same category, same source and target country, dates at most
        ``merge_days`` apart, places at most ``merge_km`` apart when both are placed) becomes a
        mention of that earlier, canonical event, whose ``mentions`` and ``sources`` (articles)
        grow. The first report stays canonical, so re-running in the same order gives the same
        database. ``not_before`` are this article and those stored after it in the same
        transaction: none of their events can be the earlier report."""
        for event in events:
            if not event.actual or not event.date:
                continue
            source = next((a.country for a in event.source if a.country), None)
            target = next((a.country for a in event.target if a.country), None)
            if source is None and target is None:
                continue
            day = date.fromisoformat(event.date)
            candidates = self.con.execute(
                "SELECT event_id, lat, lon, location_name, json_extract_string(json, '$.location.precision'), mode"
                " FROM events WHERE type = ?"
                " AND source_country IS NOT DISTINCT FROM ? AND target_country IS NOT DISTINCT FROM ?"
                " AND article_id NOT IN (SELECT unnest(?)) AND cluster_id IS NULL"
                " AND NOT (negated OR hypothetical OR historical)"
                " AND date BETWEEN ? AND ? ORDER BY abs(date_diff('day', date, ?)), event_id",
                [
                    event.type,
                    source,
                    target,
                    list(not_before),
                    day - timedelta(days=self.merge_days),
                    day + timedelta(days=self.merge_days),
                    day,
                ],
            ).fetchall()
            place = event.location
            canonical = next(
                (
                    event_id
                    for event_id, lat, lon, name, precision, mode in candidates
                    if (not event.mode or not mode or event.mode == mode)  # a shooting is no stone-throwing
                    and _same_place(place, Place(name or "", lat=lat, lon=lon, precision=precision), self.merge_km)
                ),
                None,
            )
            if canonical is not None:
                self._add_mention(canonical, event)

    def _add_mention(self, canonical: str, event: Event) -> None:
        self.con.execute("UPDATE events SET cluster_id = ? WHERE event_id = ?", [canonical, event.event_id])
        mentions, sources = self.con.execute(
            "SELECT sum(mentions), count(DISTINCT article_id) FROM (SELECT mentions, article_id FROM events"
            " WHERE event_id = ? UNION ALL SELECT mentions, article_id FROM events WHERE cluster_id = ?)",
            [canonical, canonical],
        ).fetchone()
        row = self.con.execute("SELECT json FROM events WHERE event_id = ?", [canonical]).fetchone()
        contract = json.loads(row[0])
        contract["mentions"], contract["sources"] = int(mentions), int(sources)
        contract.setdefault("reported_by", []).append({"event_id": event.event_id, "article_id": event.article_id})
        self.con.execute(
            "UPDATE events SET mentions = ?, sources = ?, json = ? WHERE event_id = ?",
            [int(mentions), int(sources), json.dumps(contract, ensure_ascii=False), canonical],
        )
        own = self.con.execute("SELECT json FROM events WHERE event_id = ?", [event.event_id]).fetchone()
        mention = json.loads(own[0])
        mention["mention_of"] = canonical
        self.con.execute(
            "UPDATE events SET json = ? WHERE event_id = ?", [json.dumps(mention, ensure_ascii=False), event.event_id]
        )

    def mentions(self, event_id: str) -> list[dict[str, Any]]:
        """Every report of a real-world event, as contract dicts: the canonical event first, then
        the mentions merged into it (``mention_of`` names the canonical one), in the order stored."""
        canonical = self.con.execute(
            "SELECT coalesce(cluster_id, event_id) FROM events WHERE event_id = ?", [event_id]
        ).fetchone()
        if canonical is None:
            return []
        rows = self.con.execute(  # two index lookups, not a scan for "a OR b"
            "SELECT json FROM (SELECT json, 0 AS k, rowid AS r FROM events WHERE event_id = ?"
            " UNION ALL SELECT json, 1, rowid FROM events WHERE cluster_id = ?) ORDER BY k, r",
            [canonical[0], canonical[0]],
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def _insert_columns(self, table: str, columns: Sequence[str], rows: list[list[Any]], ignore: bool = False) -> None:
        """Insert rows with one statement that unnests a typed list per column: a statement (and
        parameters bound) per row costs far more than the row."""
        if not rows:
            return
        key = (table, tuple(columns), ignore)
        sql = _INSERT_SQL.get(key)
        if sql is None:
            types = dict(
                self.con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table]
                ).fetchall()
            )
            unnests = ", ".join(f"unnest(${i + 1}::{types[c]}[])" for i, c in enumerate(columns))
            verb = "INSERT OR IGNORE INTO" if ignore else "INSERT INTO"
            sql = _INSERT_SQL[key] = f"{verb} {table} ({', '.join(columns)}) SELECT {unnests}"
        self.con.execute(sql, [list(column) for column in zip(*rows, strict=True)])

    def _insert_events(self, events: Sequence[Event]) -> None:
        rows: list[list[Any]] = []
        actor_rows: list[list[Any]] = []
        for event in events:
            loc = event.location
            rows.append(
                [
                    event.event_id,
                    event.article_id,
                    event.type,
                    event.mode,
                    event.cameo,
                    event.quad,
                    event.intensity,
                    event.goldstein,
                    event.acled_type,
                    event.acled_subtype,
                    next((a.country for a in event.source if a.country), None),
                    next((a.country for a in event.target if a.country), None),
                    date.fromisoformat(event.date) if event.date else None,
                    event.date_precision,
                    loc.name if loc else None,
                    loc.lat if loc else None,
                    loc.lon if loc else None,
                    event.fatalities,
                    event.injuries,
                    event.negated,
                    event.hypothetical,
                    event.historical,
                    event.sentence,
                    event.sentence_start,
                    event.sentence_end,
                    event.rule,
                    event.confidence,
                    event.mentions,
                    event.sources,
                    json.dumps(event.to_dict(), ensure_ascii=False),
                ]
            )
            actor_rows += [
                [event.event_id, role, i, a.text, a.code, a.country, a.sector, a.org, a.ethnicity]
                for role, actors in (("source", event.source), ("target", event.target))
                for i, a in enumerate(actors)
            ]
        self._insert_columns("events", EVENT_COLUMNS, rows, ignore=True)
        self._insert_columns("event_actors", ACTOR_COLUMNS, actor_rows, ignore=True)

    # -- reading ----------------------------------------------------------------------------

    def events(
        self,
        dyad: tuple[str, str] | None = None,
        event_type: str | None = None,
        since: date | None = None,
        until: date | None = None,
        actual_only: bool = True,
        limit: int | None = None,
        min_confidence: float = 0.0,
    ) -> list[dict[str, Any]]:
        """Real-world events as contract dicts, newest first (a report merged into an earlier one is
        not listed again: see :meth:`mentions`). ``dyad`` matches either direction; events under
        ``min_confidence`` are left out (the CLI passes the setting)."""
        where: list[str] = []
        params: list[Any] = []
        if dyad:
            a, b = (c.upper() for c in dyad)
            where.append(_DYAD)
            params += [a, b, a, b, a, b]
        if event_type:
            where.append("e.type = ?")
            params.append(event_type.upper())
        conditions, values = event_conditions(since, until, actual_only, min_confidence)
        where += conditions
        params += values
        column = "e.event_id" if limit else "e.json"
        sql = f"SELECT {column} FROM events e JOIN articles a USING (article_id)"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY coalesce(e.date, a.published) DESC NULLS LAST, e.article_id, e.sentence_start, e.event_id"
        if not limit:
            return [json.loads(r[0]) for r in self.con.execute(sql, params).fetchall()]
        # a page: its ids first, then their JSON (reading the JSON of every match before the sort
        # costs more than the sort)
        sql += f" LIMIT {int(limit)}"
        ids = [r[0] for r in self.con.execute(sql, params).fetchall()]
        if not ids:
            return []
        found = dict(
            self.con.execute("SELECT event_id, json FROM events WHERE event_id IN (SELECT unnest(?))", [ids]).fetchall()
        )
        return [json.loads(found[i]) for i in ids]

    def articles(self, status: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT article_id, origin, doc_id, title, published, status, reason, n_events, story_id FROM articles"
            + (" WHERE status = ?" if status else "")
            + " ORDER BY ingested_at, article_id"
        )
        cur = self.con.execute(sql, [status] if status else [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def counts(self) -> dict[str, int]:
        """Stored articles by status, plus the number of stored event rows (whatever their
        confidence, mentions included: what the database holds, not what is shown)."""
        out = {str(s): 0 for s in Status}
        for status, n in self.con.execute("SELECT status, count(*) FROM articles GROUP BY status").fetchall():
            out[status] = n
        row = self.con.execute("SELECT count(*) FROM events").fetchone()
        out["events"] = int(row[0]) if row else 0
        return out

    # -- fetch state ------------------------------------------------------------------------

    def fetch_states(self, urls: Iterable[str]) -> dict[str, FetchState]:
        """The stored fetch state of each of these URLs that has one."""
        wanted = list(set(urls))
        if not wanted:
            return {}
        names = [f.name for f in fields(FetchState)]
        rows = self.con.execute(
            f"SELECT {', '.join(names)} FROM fetch_state WHERE url IN (SELECT unnest(?))", [wanted]
        ).fetchall()
        return {row[0]: FetchState(**dict(zip(names, row, strict=True))) for row in rows}

    def retry_pages(self, max_failures: int) -> list[FetchState]:
        """Pages whose last try failed for a passing reason fewer than ``max_failures`` times in a
        row, oldest first: to be tried again."""
        names = [f.name for f in fields(FetchState)]
        rows = self.con.execute(
            f"SELECT {', '.join(names)} FROM fetch_state WHERE kind = 'page' AND NOT final AND failures < ?"
            " ORDER BY checked_at, url",
            [max_failures],
        ).fetchall()
        return [FetchState(**dict(zip(names, row, strict=True))) for row in rows]

    def save_fetch_state(self, state: FetchState) -> None:
        """Insert or replace the fetch state of a URL."""
        names = [f.name for f in fields(FetchState)]
        self.con.execute(
            f"INSERT OR REPLACE INTO fetch_state ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            list(astuple(state)),
        )

    # -- stories (near-duplicate groups) ----------------------------------------------------

    def set_stories(self, rows: Sequence[tuple[str, str | None, str, bytes]]) -> None:
        """Record ``(article_id, story_id, scheme, signature)`` rows in one transaction. A None
        story_id keeps the article's story and replaces only its MinHash signature."""
        if not rows:
            return
        self.con.execute("BEGIN TRANSACTION")
        try:
            stories = [(r[0], r[1]) for r in rows if r[1] is not None]
            if stories:
                self.con.execute(
                    "UPDATE articles SET story_id = s.story_id"
                    " FROM (SELECT unnest(?) AS article_id, unnest(?) AS story_id) s"
                    " WHERE articles.article_id = s.article_id",
                    [[a for a, _ in stories], [b for _, b in stories]],
                )
            self.con.execute(
                "INSERT OR REPLACE INTO article_minhash SELECT unnest(?), unnest(?), unnest(?)",
                [[r[0] for r in rows], [r[2] for r in rows], [r[3] for r in rows]],
            )
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def story_signatures(self, scheme: str) -> list[tuple[str, str, bytes]]:
        """``(article_id, story_id, signature)`` of the articles that have a story and a signature
        of this scheme, in the order they were stored."""
        return self.con.execute(
            "SELECT a.article_id, a.story_id, m.signature FROM articles a JOIN article_minhash m USING (article_id)"
            " WHERE a.story_id IS NOT NULL AND m.scheme = ? ORDER BY a.ingested_at, a.article_id",
            [scheme],
        ).fetchall()

    def story_counts(self, scheme: str) -> tuple[int, int]:
        """How many articles have a story and a signature of this scheme, and how many ok articles
        lack one or the other."""
        row = self.con.execute(
            "SELECT count(*) FILTER (WHERE a.story_id IS NOT NULL AND m.scheme = ?),"
            " count(*) FILTER (WHERE a.status = 'ok' AND (a.story_id IS NULL OR m.scheme IS NULL OR m.scheme <> ?))"
            " FROM articles a LEFT JOIN article_minhash m USING (article_id)",
            [scheme, scheme],
        ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def articles_without_signature(self, scheme: str) -> list[tuple[str, str | None, str]]:
        """``(article_id, story_id, text)`` of the ok articles that lack a story or a signature of
        this scheme (stored before stories existed, or by a run stopped half way), oldest first."""
        return self.con.execute(
            "SELECT a.article_id, a.story_id, a.text FROM articles a LEFT JOIN article_minhash m USING (article_id)"
            " WHERE a.status = 'ok' AND (a.story_id IS NULL OR m.scheme IS NULL OR m.scheme <> ?)"
            " ORDER BY a.ingested_at, a.article_id",
            [scheme],
        ).fetchall()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: str | Path = "powderkeg.duckdb", read_only: bool = False) -> Store:
    """Open (creating and migrating as needed) a powderkeg database."""
    return Store(path, read_only=read_only)


def _same_place(place: Place | None, other: Place, km: float) -> bool:
    """Whether two reports place an event alike. Two towns are the same place only by name (or
    a few km apart: spellings differ); a region or country report agrees with any place within
    ``km``; an unknown place never keeps reports apart."""
    if place is None or (other.lat is None and not other.name):
        return True
    if place.lat is not None and place.lon is not None and other.lat is not None and other.lon is not None:
        apart = _distance_km(place.lat, place.lon, other.lat, other.lon)
        if place.precision in _POINT_PRECISIONS and other.precision in _POINT_PRECISIONS:
            return place.name.casefold() == other.name.casefold() or apart <= 5
        return apart <= km
    if place.name and other.name:
        return place.name.casefold() == other.name.casefold()
    return True


_POINT_PRECISIONS = {"city", "district", "point"}


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))
