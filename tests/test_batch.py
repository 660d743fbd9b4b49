"""powderkeg batch and load: shards, Parquet output, resuming, failures, the Ray engine, loading.

The Ray tests start a local Ray instance with 2 CPUs once for the module; they are skipped when
Ray is not installed (``pip install -e '.[test]'`` installs it).
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

pa = pytest.importorskip("pyarrow", reason="powderkeg batch needs pyarrow: pip install 'powderkeg[batch]'")
import pyarrow.parquet as pq  # noqa: E402

from powderkeg.batch import OutputError, load_batch, plan, read_shard, run_batch  # noqa: E402
from powderkeg.batch import output as batch_output  # noqa: E402
from powderkeg.cli import app  # noqa: E402
from powderkeg.config import Settings  # noqa: E402
from powderkeg.model import Article, Document  # noqa: E402
from powderkeg.store import open_store  # noqa: E402

SEED = Path(__file__).parent / "fixtures" / "seed"
runner = CliRunner()

# fictional reports written for these tests: (id, published, text)
RECORDS = [
    ("r01", "2024-05-08", "Rebels attacked an army base near the town of Beni on Tuesday, killing two soldiers, "
     "the Congolese army said. The army later sent reinforcements to the area."),
    ("r02", "2024-06-25", "Police arrested fourteen protesters in Nairobi on Monday after demonstrators threw "
     "stones at officers outside parliament."),
    ("r03", "2024-03-02", "Government troops shelled three villages in Darfur on Friday, killing at least five "
     "civilians, a local official said."),
    ("r04", "2024-02-15", "The foreign ministers of Ethiopia and Kenya met in Addis Ababa on Wednesday and signed "
     "an agreement on border security."),
    ("r05", "2023-11-20", "Gunmen kidnapped twelve students from a school in Kaduna State on Sunday, police said."),
    ("r06", "2024-01-10", "Israel accused Hezbollah of firing rockets at the town of Metula on Tuesday; no one "
     "was hurt."),
    ("r07", "2024-04-04", "Thousands of workers marched through Buenos Aires on Wednesday to protest against the "
     "government's spending cuts."),
    ("r08", "2024-07-19", "Ukrainian forces shot down eleven Russian drones over the Odesa region overnight, the "
     "air force said on Friday."),
    ("r09", "2024-08-30", "The United Nations Security Council condemned the attack on peacekeepers in southern "
     "Lebanon on Thursday."),
    ("r10", None, "Soldiers opened fire on protesters in the capital, wounding at least seven people, witnesses "
     "said."),
    ("r11", "2024-09-12", "Pakistan and Afghanistan agreed on Wednesday to reopen the Torkham border crossing "
     "after talks in Islamabad."),
    ("r12", "2024-10-01", "Militants ambushed a police convoy in Balochistan on Monday, killing four officers, "
     "officials said."),
]  # fmt: skip
SHARD_BYTES = 600  # cuts news.jsonl (12 records, ~2 kB) into 4 slices
PAGE = (
    "<html><head><title>Clashes in Mitrovica</title></head><body><article><h1>Clashes in Mitrovica</h1>"
    "<p>Kosovo police fired tear gas at ethnic Serb protesters in northern Mitrovica on Monday, and "
    "at least three officers were injured by stones, the police said.</p>"
    "<p>The protesters had blocked a bridge over the Ibar river since the weekend.</p></article></body></html>"
)


def record_line(ident: str, published: str | None, text: str) -> str:
    return json.dumps({"id": ident, "text": text, "published": published}) + "\n"


def make_input(folder: Path) -> Path:
    """A folder with a JSONL file large enough to be cut, a small one with a broken line, a page, a text dump."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "news.jsonl").write_text("".join(record_line(*r) for r in RECORDS), encoding="utf-8")
    (folder / "more.jsonl").write_text(
        record_line("m1", "2024-05-08", RECORDS[0][2])  # the same text as r01, in another shard
        + '{"id": "broken", "text": "unterminated\n'
        + "\n"
        + record_line("m2", "2024-11-04", "Protesters set fire to a police station in Dhaka on Sunday.")
        + record_line("m1-again", "2024-05-08", RECORDS[0][2]),  # and again in the same shard
        encoding="utf-8",
    )
    (folder / "mitrovica.html").write_text(PAGE, encoding="utf-8")
    shutil.copy(SEED / "seed-article.txt", folder / "seed.txt")
    (folder / "notes.md").write_text("not an input: skipped in a folder, as ingest does")
    return folder


def small(**overrides: object) -> Settings:
    return Settings(**{"shard_bytes": SHARD_BYTES, **overrides})  # type: ignore[arg-type]


def dataset(out: Path) -> dict[str, list[dict]]:
    """Every Parquet file of a batch output, by path relative to it: the rows, in order."""
    return {str(p.relative_to(out)): pq.read_table(p).to_pylist() for p in sorted(out.rglob("*.parquet"))}


def done_and_failed(out: Path) -> tuple[set[str], set[str]]:
    names = {"_done": set(), "_failed": set()}
    for key in names:
        if (out / key).is_dir():
            names[key] = {p.stem for p in (out / key).glob("*.json")}
    return names["_done"], names["_failed"]


def query(sql: str) -> list[tuple]:
    return duckdb.sql(sql).fetchall()


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_input(tmp_path_factory.mktemp("batch") / "news")


@pytest.fixture(scope="module")
def local_out(news: Path, tmp_path_factory: pytest.TempPathFactory, pipeline) -> Path:
    """One uninterrupted local run over ``news``: the reference the other runs are compared with."""
    out = tmp_path_factory.mktemp("local") / "out"
    report = run_batch([news], out, pipeline=_with(pipeline, small()))
    assert report.complete and not report.failed
    return out


def _with(pipeline, settings: Settings):  # noqa: ANN001, ANN202
    """The session pipeline with other batch settings (the loaded model is shared, not reloaded)."""
    from powderkeg.pipeline import Pipeline

    other = Pipeline(settings)
    other.__dict__["nlp"] = pipeline.nlp
    other.__dict__["coder"] = pipeline.coder
    return other


# -- shards -------------------------------------------------------------------------------------


def test_plan_cuts_large_jsonl_and_keeps_the_other_files_whole(news):
    shards, problems = plan([str(news)], small())
    assert not problems
    by_file: dict[str, list] = {}
    for s in shards:
        by_file.setdefault(Path(s.uri).name, []).append(s)
    assert set(by_file) == {"news.jsonl", "more.jsonl", "mitrovica.html", "seed.txt"}  # notes.md is not an input
    cut = by_file["news.jsonl"]
    assert len(cut) == 4 and all(s.sliced for s in cut)
    assert cut[0].start == 0 and cut[-1].end == cut[-1].size
    assert all(a.end == b.start for a, b in zip(cut, cut[1:], strict=False))
    assert all(not s.sliced for f in ("more.jsonl", "mitrovica.html", "seed.txt") for s in by_file[f])
    assert len({s.shard_id for s in shards}) == len(shards)
    again, _ = plan([str(news)], small())
    assert [s.shard_id for s in again] == [s.shard_id for s in shards]  # deterministic
    assert len({s.source for s in cut}) == 1  # the slices of one file share their source part


def _ids(shards, settings_: Settings) -> list[str]:
    out = []
    for shard in shards:
        for item in read_shard(shard, settings_):
            assert isinstance(item, Document), item
            out.append(item.doc_id)
    return out


@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=40),
    blank_every=st.integers(min_value=2, max_value=9),
    shard_bytes=st.integers(min_value=1, max_value=2000),
)
def test_every_record_is_in_exactly_one_slice(lengths, blank_every, shard_bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.jsonl"
        lines = []
        for i, n in enumerate(lengths):
            lines.append(json.dumps({"id": str(i), "text": "x" * n + " word"}) + "\n")
            if i % blank_every == 0:
                lines.append("\n")
        path.write_text("".join(lines), encoding="utf-8")
        sliced, _ = plan([str(path)], Settings(shard_bytes=shard_bytes))
        assert _ids(sliced, Settings()) == [str(i) for i in range(len(lengths))]


def test_record_origins_are_line_numbers_for_whole_files_and_byte_offsets_for_slices(news):
    shards, _ = plan([str(news)], small())
    whole = next(s for s in shards if s.uri.endswith("more.jsonl"))
    origins = [item.origin for item in read_shard(whole, small())]
    assert origins == [f"{whole.origin}:{n}" for n in (1, 2, 4, 5)]  # line 3 is blank
    data = (news / "news.jsonl").read_bytes()
    for shard in (s for s in shards if s.sliced):
        for item in read_shard(shard, small()):
            offset = int(item.origin.rsplit("@", 1)[1])
            assert shard.start <= offset < shard.end
            assert data[offset:].startswith(b'{"id": "' + item.doc_id.encode())  # type: ignore[union-attr]


def test_globs_and_file_urls_name_the_same_files(news, tmp_path):
    by_glob, _ = plan([str(news / "*.jsonl")], small())
    assert {Path(s.uri).name for s in by_glob} == {"news.jsonl", "more.jsonl"}
    deep, _ = plan([str(news.parent / "**" / "*.html")], small())
    assert [Path(s.uri).name for s in deep] == ["mitrovica.html"]
    by_url, _ = plan([f"file://{news}"], small())
    by_path, _ = plan([str(news)], small())
    assert [s.shard_id for s in by_url] == [s.shard_id for s in by_path]
    assert all(s.uri.startswith("file://") for s in by_url)
    _, problems = plan([str(news / "*.warc.gz"), str(tmp_path / "nope"), str(news / "notes.md")], small())
    reasons = [p.reason for p in problems]
    assert reasons[0] == "no input files match this pattern"
    assert reasons[1] == "no such file or folder"
    assert reasons[2].startswith("unsupported file type")


# -- the local engine ---------------------------------------------------------------------------


def test_output_is_the_pipeline_s_own_coding_in_parquet(news, local_out, pipeline):
    files = dataset(local_out)
    events = [row for name, rows in files.items() if name.startswith("events/") for row in rows]
    articles = [row for name, rows in files.items() if name.startswith("articles/") for row in rows]
    # the same records coded directly, without the batch machinery
    direct = list(pipeline.code_documents(Document(f"r:{i}", "record", t, published=p) for i, p, t in RECORDS))
    expected = {e.event_id: e.to_dict() for c in direct for e in c.events}
    got = {row["event_id"]: json.loads(row["json"]) for row in events if row["article_id"] in
           {c.article.article_id for c in direct}}  # fmt: skip
    assert got == expected and len(expected) >= 15
    # shards are coded apart: m1 repeats r01's text in another shard and has its own row (load keeps
    # one); m1-again repeats it in m1's shard and is coded once
    ok = [a for a in articles if a["status"] == "ok"]
    assert len(ok) == 12 + 2 + 1 + 1  # news, m1 and m2, the page, the seed text
    assert sorted(a["doc_id"] for a in ok if a["text"] == RECORDS[0][2]) == ["m1", "r01"]
    assert {a["status"] for a in articles} == {"ok", "invalid"}
    # event dates are the partitions, with the Hive null partition for an event without a date
    for name, rows in files.items():
        if name.startswith("events/"):
            folder = name.split("/")[1]
            for row in rows:
                day = json.loads(row["json"])["date"]
                assert folder == f"date={day or '__HIVE_DEFAULT_PARTITION__'}"
    assert "events/date=__HIVE_DEFAULT_PARTITION__" in {str(Path(n).parent) for n in files}


def test_file_names_are_deterministic(news, local_out, tmp_path, pipeline):
    again = tmp_path / "again"
    run_batch([news], again, pipeline=_with(pipeline, small()))
    assert dataset(again) == dataset(local_out)
    shards, _ = plan([str(news)], small())
    names = {Path(n).name for n in dataset(again)}
    assert names == {f"part-{s.shard_id}.parquet" for s in shards}


def test_duckdb_reads_the_output_directly(local_out):
    [(n_events, n_dated)] = query(
        f"SELECT count(*), count(date) FROM read_parquet('{local_out}/events/*/*.parquet', hive_partitioning=true)"
    )
    [(n_json,)] = query(f"SELECT count(*) FROM '{local_out}/events/*/*.parquet' WHERE json->>'$.event_id' = event_id")
    assert n_events > n_dated > 0 and n_json == n_events
    [(kinds,)] = query(
        f"SELECT list(DISTINCT typeof(date)) FROM read_parquet('{local_out}/events/**/*.parquet', hive_partitioning=1)"
    )
    assert kinds == ["DATE"]


def test_a_rerun_skips_done_shards(news, tmp_path, pipeline):
    out = tmp_path / "out"
    first = run_batch([news], out, pipeline=_with(pipeline, small()))
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")}
    second = run_batch([news], out, pipeline=_with(pipeline, small()))
    assert second.skipped == first.planned and not second.outcomes and second.complete
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")} == stamps


def test_a_shard_cut_short_is_coded_again_without_duplicates(news, local_out, tmp_path, pipeline):
    out = tmp_path / "out"
    shutil.copytree(local_out, out)
    victim = sorted((out / "_done").glob("*.json"))[0]
    victim.unlink()  # the run died after writing the shard's files, before its marker
    (out / "_tmp").mkdir(exist_ok=True)
    (out / "_tmp" / "articles__half-written.parquet").write_bytes(b"PAR1 torn")
    report = run_batch([news], out, pipeline=_with(pipeline, small()))
    assert [o.shard_id for o in report.outcomes] == [victim.stem]
    assert dataset(out) == dataset(local_out)
    assert not list((out / "_tmp").iterdir())


def test_a_changed_file_replaces_its_old_shards(news, local_out, tmp_path, pipeline):
    folder = tmp_path / "news"
    shutil.copytree(news, folder)
    out = tmp_path / "out"
    run_batch([folder], out, pipeline=_with(pipeline, small()))
    before, _ = plan([str(folder)], small())
    with (folder / "news.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(record_line("m3", "2024-11-05", "Police arrested two journalists in Minsk on Monday."))
    after, _ = plan([str(folder)], small())
    old = {s.shard_id for s in before} - {s.shard_id for s in after}
    new = {s.shard_id for s in after} - {s.shard_id for s in before}
    assert len(old) == 4 and len(new) == 4  # news.jsonl changed: all its slices are new
    report = run_batch([folder], out, pipeline=_with(pipeline, small()))
    assert set(report.superseded) == old and {o.shard_id for o in report.outcomes} == new
    [(rows, origins)] = query(f"SELECT count(*), count(DISTINCT origin) FROM '{out}/articles/*.parquet'")
    assert rows == origins == 18  # every document once, the new one included
    assert query(f"SELECT count(*) FROM '{out}/articles/*.parquet' WHERE doc_id = 'm3'") == [(1,)]
    assert not [p for p in out.rglob("*") if any(ident in p.name for ident in old)]


def test_a_shard_that_cannot_be_read_is_retried_then_reported_and_finished_later(news, tmp_path, pipeline, monkeypatch):
    monkeypatch.setattr(batch_output, "RETRY_DELAY", 0.01)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(news / "more.jsonl", folder)
    shutil.copy(news / "mitrovica.html", folder)
    away = tmp_path / "away.html"

    def vanish(todo: int, skipped: int) -> None:  # the page goes between planning and reading
        (folder / "mitrovica.html").rename(away)

    out = tmp_path / "out"
    report = run_batch([folder], out, pipeline=_with(pipeline, small(shard_retries=2)), on_plan=vanish)
    [failure] = report.failed
    assert failure.attempts == 3 and "mitrovica.html" in (failure.error or "")
    assert not report.complete and len(report.done) == 1
    done, failed = done_and_failed(out)
    assert failed == {failure.shard_id} and failure.shard_id not in done
    marker = json.loads((out / "_failed" / f"{failure.shard_id}.json").read_text())
    assert marker["attempts"] == 3 and marker["shard"]["origin"].endswith("mitrovica.html")
    # it is back, unchanged: the next run codes that shard only, and clears its failure
    away.rename(folder / "mitrovica.html")
    again = run_batch([folder], out, pipeline=_with(pipeline, small()))
    assert again.complete and [o.shard_id for o in again.outcomes] == [failure.shard_id]
    assert again.outcomes[0].events >= 1
    assert done_and_failed(out) == (done | {failure.shard_id}, set())


def test_damaged_gzip_is_a_failed_record_not_a_failed_shard(tmp_path, pipeline):
    folder = tmp_path / "in"
    folder.mkdir()
    lines = "".join(record_line(*r) for r in RECORDS[:6]).encode()
    (folder / "good.jsonl.gz").write_bytes(gzip.compress(lines))
    (folder / "bad.jsonl.gz").write_bytes(b"not gzip at all")
    (folder / "cut.jsonl.gz").write_bytes(gzip.compress(lines)[:-40])
    out = tmp_path / "out"
    report = run_batch([folder], out, pipeline=_with(pipeline, small()))
    assert report.complete and len(report.done) == 3
    rows = {Path(n).name: r for n, r in dataset(out).items() if n.startswith("articles/")}
    shards = {Path(s.uri).name: s.shard_id for s in plan([str(folder)], small())[0]}
    good, bad, cut = (rows[f"part-{shards[f]}.parquet"] for f in ("good.jsonl.gz", "bad.jsonl.gz", "cut.jsonl.gz"))
    assert [r["doc_id"] for r in good] == [r[0] for r in RECORDS[:6]] and {r["status"] for r in good} == {"ok"}
    assert [(r["status"], r["reason"].split(":")[0]) for r in bad] == [("invalid", "not a readable gzip file")]
    assert cut[0]["doc_id"] == "r01" and cut[-1]["status"] == "error"
    assert cut[-1]["reason"].startswith(f"gzip data damaged after line {len(cut) - 1}")


def test_archives_are_read_as_ingest_reads_them(tmp_path, pipeline):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    folder = tmp_path / "in"
    folder.mkdir()
    archive = folder / "crawl.warc.gz"
    with archive.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, html in ((f"https://news.example.org/{n}", PAGE.replace("Monday", day)) for n, day in
                          enumerate(("Monday", "Tuesday"))):  # fmt: skip
            writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n")))
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode()), http_headers=http)
            )
    out = tmp_path / "out"
    report = run_batch([folder], out, pipeline=_with(pipeline, small()))
    assert report.complete and report.documents == 2
    [marker] = [json.loads(p.read_text()) for p in (out / "_done").glob("*.json")]
    assert marker["skipped_records"] == {"request records": 2}
    origins = [r["origin"] for n, rows in dataset(out).items() if n.startswith("articles/") for r in rows]
    assert [o.rsplit(":", 1)[0] for o in origins] == [str(archive)] * 2  # archive:byte offset of the record
    with open_store(tmp_path / "loaded.duckdb") as store:
        load_batch(str(out), store, pipeline)
        loaded = (store.articles(), store.events(actual_only=False))
    with open_store(tmp_path / "ingested.duckdb") as store:
        pipeline.ingest([folder], store)
        ingested = (store.articles(), store.events(actual_only=False))
    assert loaded == ingested


def test_other_coding_settings_need_another_output_folder(news, tmp_path, pipeline):
    out = tmp_path / "out"
    run_batch([news / "mitrovica.html"], out, pipeline=_with(pipeline, small()))
    with pytest.raises(OutputError, match="verb_patterns was True, now False"):
        run_batch([news / "mitrovica.html"], out, settings=small(verb_patterns=False))
    run_batch([news / "mitrovica.html"], out, pipeline=_with(pipeline, small(shard_bytes=10**6)))  # layout only


# -- load ---------------------------------------------------------------------------------------


def test_load_gives_the_database_ingest_gives(news, tmp_path, pipeline):
    out = tmp_path / "out"
    run_batch([news], out, pipeline=_with(pipeline, Settings()))  # whole files: origins as ingest names them
    loaded, ingested = tmp_path / "loaded.duckdb", tmp_path / "ingested.duckdb"
    with open_store(loaded) as store:
        report = load_batch(str(out), store, pipeline)
        assert report.stored == 15 and report.unchanged == 1 and report.events > 15  # m1 and r01: one text
        again = load_batch(str(out), store, pipeline)
        assert again.stored == 0 and again.events == 0 and again.unchanged == 17
    with open_store(ingested) as store:
        pipeline.ingest([news], store)

    def contents(db: Path) -> list:
        con = duckdb.connect(str(db), read_only=True)
        tables = [
            "SELECT article_id, origin, doc_id, title, published, status, reason, text, n_events FROM articles",
            "SELECT * FROM sentences",
            "SELECT * FROM events",
            "SELECT * FROM event_actors",
        ]
        result = [sorted(con.execute(sql).fetchall(), key=repr) for sql in tables]
        con.close()
        return result

    assert contents(loaded) == contents(ingested)


def test_load_refuses_a_folder_that_is_not_batch_output(tmp_path):
    with open_store(tmp_path / "x.duckdb") as store, pytest.raises(OutputError, match="not powderkeg batch output"):
        load_batch(str(tmp_path), store)


# -- the command line ---------------------------------------------------------------------------


def test_cli_batch_and_load(news, tmp_path):
    out, db = tmp_path / "out", tmp_path / "x.duckdb"
    result = runner.invoke(app, ["batch", str(news), "--out", str(out), "--shard-mb", "0.0006"])
    assert result.exit_code == 0, result.output
    assert "7 shard(s) coded, 0 already done: 18 document(s) (1 invalid, 16 ok, 1 repeated)" in result.output
    again = runner.invoke(app, ["batch", str(news), "--out", str(out), "--shard-mb", "0.0006"])
    assert again.exit_code == 0 and "0 shard(s) coded, 7 already done" in again.output
    loaded = runner.invoke(app, ["load", str(out), "--db", str(db)])
    assert loaded.exit_code == 0, loaded.output
    assert "15 new article(s)" in loaded.output
    assert "0 new article(s)" in runner.invoke(app, ["load", str(out), "--db", str(db)]).output


def test_cli_batch_exits_non_zero_until_every_shard_is_done(news, tmp_path, monkeypatch):
    real = batch_output.read_shard

    def flaky(shard, settings_, skipped=None):  # noqa: ANN001, ANN202 - an object store that fails on pages
        if shard.kind == "html":
            raise OSError("connection reset by peer")
        return real(shard, settings_, skipped)

    monkeypatch.setattr(batch_output, "read_shard", flaky)
    monkeypatch.setattr(batch_output, "RETRY_DELAY", 0.01)
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(news), str(tmp_path / "missing.jsonl"), "--out", str(out),
                                 "--retries", "1"])  # fmt: skip
    assert result.exit_code == 1
    assert "failed" in result.output and "mitrovica.html" in result.output and "2 attempt(s)" in result.output
    assert "connection reset by peer" in result.output
    assert "no such file or folder" in result.output and "missing.jsonl" in result.output
    assert "1 failed" in result.output and "run the same command again" in result.output
    monkeypatch.setattr(batch_output, "read_shard", real)
    again = runner.invoke(app, ["batch", str(news), "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert "1 shard(s) coded" in again.output
    assert (
        "--address is for --engine ray"
        in runner.invoke(app, ["batch", str(news), "--out", str(tmp_path / "o"), "--address", "auto"]).output
    )


# -- Ray ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="the Ray engine needs Ray: pip install 'powderkeg[ray]'")
    pytest.importorskip("ray.data", reason="the Ray engine needs Ray Data: pip install 'powderkeg[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield ray
    ray.shutdown()


def test_ray_and_local_engines_give_identical_output(news, local_out, ray_cluster, tmp_path):
    out = tmp_path / "ray"
    report = run_batch([news], out, engine="ray", settings=small())
    assert report.complete and len(report.done) == report.planned == 7
    assert ray_cluster.is_initialized()  # the engine used the running instance and left it running
    assert dataset(out) == dataset(local_out)
    assert done_and_failed(out) == done_and_failed(local_out)


def test_cli_ray_engine_joins_a_running_cluster(news, local_out, ray_cluster, tmp_path):
    address = ray_cluster.get_runtime_context().gcs_address
    out = tmp_path / "out"
    command = [sys.executable, "-m", "powderkeg", "batch", str(news), "--out", str(out), "--engine", "ray",
               "--address", address, "--shard-mb", str(SHARD_BYTES / 1e6)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "7 shard(s) coded, 0 already done" in result.stderr
    assert dataset(out) == dataset(local_out)


KILLABLE = """
import sys, time
sys.modules["ray"] = None  # the local engine must not need Ray
from powderkeg.batch import run_batch
from powderkeg.config import Settings
run_batch([sys.argv[1]], sys.argv[2], settings=Settings(shard_bytes=int(sys.argv[3])),
          on_shard=lambda outcome: time.sleep(0.4))
print("finished")
"""


def test_a_killed_batch_resumes_on_ray_without_duplicates(news, local_out, ray_cluster, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLABLE, str(news), str(out), str(SHARD_BYTES)],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "stderr.txt").open("wb"),
    )
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob("_done/*.json")):
            assert proc.poll() is None, (tmp_path / "stderr.txt").read_text()
            assert time.monotonic() < deadline, "no shard finished in 60 s"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done_before, _ = done_and_failed(out)
    assert 1 <= len(done_before) < 7
    report = run_batch([news], out, engine="ray", settings=small())
    assert report.complete and report.skipped == len(done_before)
    assert len(report.outcomes) == 7 - len(done_before)
    assert done_and_failed(out)[0] == done_and_failed(local_out)[0]
    [(rows, origins)] = query(f"SELECT count(*), count(DISTINCT origin) FROM '{out}/articles/*.parquet'")
    assert rows == origins == 17  # every document once
    [(events,)] = query(f"SELECT count(*) FROM '{out}/events/*/*.parquet'")
    assert events == query(f"SELECT count(*) FROM '{local_out}/events/*/*.parquet'")[0][0]
    assert dataset(out) == dataset(local_out)  # the same as a run that was never interrupted


def test_read_shard_items_are_documents_or_failed_articles(news):
    shards, _ = plan([str(news / "more.jsonl")], Settings())
    kinds = [type(item) for item in read_shard(shards[0], Settings())]
    assert kinds == [Document, Article, Document, Document]
