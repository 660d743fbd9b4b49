"""The embedded DuckDB store: articles with their status, sentences, events and event actors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from powderkeg.model import Article, Event, Status
from powderkeg.store.schema import LATEST, MIGRATIONS

_HAS_ACTOR = (
    "EXISTS (SELECT 1 FROM event_actors x WHERE x.event_id = e.event_id AND x.role = '{role}' AND x.country = ?)"
)


class StoreError(RuntimeError):
    """The database cannot be opened or used; the message says why and what to do."""


@dataclass(frozen=True)
class SentenceSpan:
    idx: int
    start: int
    end: int
    text: str


class Store:
    """A powderkeg database. Use :func:`open_store`; close it (or use ``with``) when done."""

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
        self.con.execute("BEGIN TRANSACTION")
        try:
            exists = self.con.execute("SELECT 1 FROM articles WHERE article_id = ?", [article.article_id]).fetchone()
            if exists:
                self.con.execute("ROLLBACK")
                return False
            self.con.execute(
                "INSERT INTO articles (article_id, origin, doc_id, title, url, site, author, published, language,"
                " status, reason, text, n_events) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    article.article_id,
                    article.origin,
                    article.doc_id,
                    article.title,
                    article.url,
                    article.site,
                    article.author,
                    article.published,
                    article.language,
                    str(article.status),
                    article.reason,
                    article.text,
                    len(events),
                ],
            )
            if sentences:
                self.con.executemany(
                    "INSERT INTO sentences VALUES (?, ?, ?, ?, ?)",
                    [[article.article_id, s.idx, s.start, s.end, s.text] for s in sentences],
                )
            for event in events:
                self._insert_event(event)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return True

    def _insert_event(self, event: Event) -> None:
        loc = event.location
        self.con.execute(
            "INSERT INTO events (event_id, article_id, type, mode, cameo, quad, intensity, goldstein, acled_type,"
            " acled_subtype, source_country, target_country, date, date_precision, location_name, lat, lon,"
            " fatalities, injuries, negated, hypothetical, historical, sentence, sentence_start, sentence_end,"
            " rule, confidence, mentions, sources, json)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
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
            ],
        )
        rows = [
            [event.event_id, role, i, a.text, a.code, a.country, a.sector, a.org, a.ethnicity]
            for role, actors in (("source", event.source), ("target", event.target))
            for i, a in enumerate(actors)
        ]
        if rows:
            self.con.executemany(
                "INSERT INTO event_actors VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows
            )

    # -- reading ----------------------------------------------------------------------------

    def events(
        self,
        dyad: tuple[str, str] | None = None,
        event_type: str | None = None,
        since: date | None = None,
        until: date | None = None,
        actual_only: bool = True,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Events as contract dicts, newest first. ``dyad`` matches either direction."""
        where: list[str] = []
        params: list[Any] = []
        if dyad:
            a, b = (c.upper() for c in dyad)
            has_source = _HAS_ACTOR.format(role="source")
            has_target = _HAS_ACTOR.format(role="target")
            where.append(f"(({has_source} AND {has_target}) OR ({has_source} AND {has_target}))")
            params += [a, b, b, a]
        if event_type:
            where.append("e.type = ?")
            params.append(event_type.upper())
        if since:
            where.append("coalesce(e.date, a.published) >= ?")
            params.append(since)
        if until:
            where.append("coalesce(e.date, a.published) <= ?")
            params.append(until)
        if actual_only:
            where.append("NOT (e.negated OR e.hypothetical OR e.historical)")
        sql = "SELECT e.json FROM events e JOIN articles a USING (article_id)"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY coalesce(e.date, a.published) DESC NULLS LAST, e.article_id, e.sentence_start, e.event_id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [json.loads(r[0]) for r in self.con.execute(sql, params).fetchall()]

    def articles(self, status: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT article_id, origin, doc_id, title, published, status, reason, n_events FROM articles"
            + (" WHERE status = ?" if status else "")
            + " ORDER BY ingested_at, article_id"
        )
        cur = self.con.execute(sql, [status] if status else [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def counts(self) -> dict[str, int]:
        """Stored articles by status, plus the number of events."""
        out = {str(s): 0 for s in Status}
        for status, n in self.con.execute("SELECT status, count(*) FROM articles GROUP BY status").fetchall():
            out[status] = n
        row = self.con.execute("SELECT count(*) FROM events").fetchone()
        out["events"] = int(row[0]) if row else 0
        return out

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: str | Path = "powderkeg.duckdb", read_only: bool = False) -> Store:
    """Open (creating and migrating as needed) a powderkeg database."""
    return Store(path, read_only=read_only)
