"""The API's hold on the database: one DuckDB connection for the process, a cursor per request.

DuckDB lets one process write a database file (or several processes read it). The server opens
the file once:

* read-only when ingesting over HTTP is off (no ``api_token``): other processes may read the same
  file at the same time (``powderkeg events``), none may write it;
* read-write when it is on: the server is then the file's only writer.

Every request gets its own cursor (a connection to the same database instance, usable from its
own thread). Reads run inside ``BEGIN TRANSACTION READ ONLY``, so a read endpoint cannot write
even on a read-write database, and each read sees one consistent snapshot. Writes (``POST
/api/ingest``) are serialised by a lock and commit one article per transaction; reads running at
the same time keep their snapshot (DuckDB's MVCC) and are not blocked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from powderkeg.store import Store, StoreError, open_store
from powderkeg.store.schema import LATEST


class CursorStore(Store):
    """A :class:`~powderkeg.store.Store` over a cursor the API already holds.

    What the store's own functions (and ``series``/``alerts``) take; it opens nothing, so it
    neither migrates nor closes the database (closing it closes the cursor only).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:  # no super().__init__: opens nothing
        self.path = path
        self.con = con


class Database:
    """The database file a server holds open. Use :meth:`reading` and :meth:`writing`."""

    def __init__(self, path: str | Path, writable: bool) -> None:
        self.path = str(path)
        if self.path == ":memory:":
            raise StoreError("the server needs a database file, not :memory:")
        self.writable = writable
        self._write_lock = threading.Lock()
        if not writable:
            _migrate_if_needed(self.path)
        self._store = open_store(self.path, read_only=not writable)  # a read-write open migrates
        self.con = self._store.con
        self._begin = "BEGIN TRANSACTION READ ONLY"
        try:
            self.con.execute(self._begin)
            self.con.execute("ROLLBACK")
        except duckdb.ParserException:  # a DuckDB without read-only transactions: reads are rolled back
            self._begin = "BEGIN TRANSACTION"
        # one store for every write, for the server's life (the pipeline keeps its story index per store)
        self._writer = CursorStore(self.con.cursor(), self.path) if writable else None

    @contextmanager
    def reading(self) -> Iterator[CursorStore]:
        """A store on a fresh cursor inside a read-only transaction (rolled back at the end)."""
        cur = self.con.cursor()
        try:
            cur.execute(self._begin)
            try:
                yield CursorStore(cur, self.path)
            finally:
                cur.execute("ROLLBACK")
        finally:
            cur.close()

    @contextmanager
    def writing(self) -> Iterator[CursorStore]:
        """The writing store, one writer at a time; its methods run their own transactions."""
        if self._writer is None:
            raise StoreError(f"{self.path} is open read-only")
        with self._write_lock:
            yield self._writer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._store.close()


def _migrate_if_needed(path: str) -> None:
    """Create the file, or bring an older schema up to date, before opening it read-only."""
    if Path(path).exists() and _version(path) >= LATEST:
        return
    open_store(path).close()


def _version(path: str) -> int:
    try:
        con = duckdb.connect(path, read_only=True)
    except duckdb.Error as exc:
        raise StoreError(f"cannot open database {path}: {str(exc).splitlines()[0]}") from exc
    try:
        return CursorStore(con, path).version()
    finally:
        con.close()
