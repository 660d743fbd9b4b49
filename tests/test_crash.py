"""Crash safety: ingestion killed with SIGKILL at random points and restarted ends with exactly the
database an uninterrupted run gives: nothing lost, nothing twice."""

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

PLACES = ["Nairobi, Kenya", "Goma, Congo", "Mitrovica, Kosovo", "Kabul, Afghanistan", "Mosul, Iraq"]
ACTS = [
    "Police arrested {n} protesters in {place} on Monday.",
    "Rebels attacked an army post near {place}, killing {n} soldiers.",
    "Thousands of teachers marched through {place} on Tuesday to demand higher pay.",
]


def _write_corpus(folder: Path, n_files: int = 8, per_file: int = 6) -> None:
    rng = random.Random(7)
    folder.mkdir()
    k = 0
    for f in range(n_files):
        with (folder / f"part{f:02d}.jsonl").open("w", encoding="utf-8") as out:
            for _ in range(per_file):
                k += 1
                text = " ".join(
                    rng.choice(ACTS).format(n=rng.randint(2, 40), place=rng.choice(PLACES)) for _ in range(3)
                )
                out.write(json.dumps({"id": f"r{k}", "text": f"Report {k}. {text}", "published": "2024-03-06"}) + "\n")


def _ingest(folder: Path, db: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "POWDERKEG_BATCH_SIZE": "4", "POWDERKEG_STORE_BATCH": "4"}
    return subprocess.Popen(
        [sys.executable, "-m", "powderkeg", "ingest", str(folder), "--db", str(db)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes parser processes too
    )


def _snapshot(db: Path) -> tuple[list[tuple], list[tuple], list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        articles = con.execute("SELECT article_id, status, n_events FROM articles ORDER BY article_id").fetchall()
        events = con.execute("SELECT event_id, article_id, type, json FROM events ORDER BY event_id").fetchall()
        actors = con.execute("SELECT event_id, role, idx, code FROM event_actors ORDER BY ALL").fetchall()
    finally:
        con.close()
    return articles, events, actors


def _wait_for_writes(db: Path, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Until the run is writing articles (its write-ahead log grows), or has ended."""
    wal = db.with_name(db.name + ".wal")
    started = time.time()
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):
            stat = wal.stat()
            if stat.st_size > 0 and stat.st_mtime > started:  # written by this run, not left by the last
                return
        time.sleep(0.05)


def _stored_articles(db: Path) -> int:
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:  # still locked by the writer, or not created yet
        return 0
    try:
        return con.execute("SELECT count(*) FROM articles").fetchone()[0]
    except duckdb.Error:
        return 0
    finally:
        con.close()


def test_killed_and_restarted_ingestion_equals_an_uninterrupted_one(tmp_path):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    reference = tmp_path / "reference.duckdb"
    started = time.monotonic()
    assert _ingest(corpus, reference).wait(timeout=300) == 0
    duration = time.monotonic() - started
    expected = _snapshot(reference)
    assert len(expected[0]) == 48 and expected[1], "the reference run stored every article and some events"

    crashed = tmp_path / "crashed.duckdb"
    rng = random.Random(11)
    partial: list[int] = []
    for _ in range(3):
        proc = _ingest(corpus, crashed)
        _wait_for_writes(crashed, proc, timeout=duration * 3 + 30)
        time.sleep(rng.uniform(0.0, 0.3) * duration)  # mid-batch, mid-write: wherever it is
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            partial.append(_stored_articles(crashed))
    assert any(0 < n < 48 for n in partial), f"no run was killed part way through (stored when killed: {partial})"
    assert _ingest(corpus, crashed).wait(timeout=300) == 0
    assert _snapshot(crashed) == expected
