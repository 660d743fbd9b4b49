"""Web archives through ``ingest``: WARC (gzip'd or not) and ARC files built here with warcio's
writer (or by hand, for ARC); only HTTP 200 HTML responses become articles, the rest is counted."""

from __future__ import annotations

import gzip
import io
from collections import Counter
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsroom import OTHER, WIRE, page_html
from powderkeg.config import Settings
from powderkeg.sources.files import expand_paths
from powderkeg.sources.warc import read_archive
from powderkeg.store import open_store

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
UNDATED = (  # a page with no date of its own: it takes the archive's
    "<html><head><title>Curfew imposed in port city</title></head><body><article>"
    f"<h1>Curfew imposed in port city</h1><p>{OTHER['bad-ok'][1]}</p><p>{OTHER['bad-ok'][2]}</p>"
    "</article></body></html>"
)


def _response(writer: WARCWriter, uri: str, status: str, ctype: str, body: bytes, date: str, **extra: str) -> None:
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body))), *extra.items()]
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        uri, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict={"WARC-Date": date}
    )
    writer.write_record(record)


def build_warc(path: Path, gzipped: bool) -> None:
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=gzipped)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "powderkeg tests"}))
        request = writer.create_warc_record(
            "https://wire.example/garissa", "request", payload=io.BytesIO(b"GET /garissa HTTP/1.1\r\n\r\n")
        )
        writer.write_record(request)
        page = page_html(WIRE[0][0], *WIRE[0][1:]).replace(
            "<head>", "<head><meta property='article:published_time' content='2024-05-07T06:00:00Z'>"
        )
        _response(writer, "https://wire.example/garissa", "200 OK", "text/html; charset=utf-8", page.encode(),
                  "2024-05-08T10:00:00Z")  # fmt: skip
        modified = {"Last-Modified": "Sat, 01 Jun 2024 18:00:00 GMT"}
        _response(writer, "https://port.example/curfew", "200 OK", "text/html", UNDATED.encode(),
                  "2024-06-02T10:00:00Z", **modified)  # fmt: skip
        _response(writer, "https://wire.example/gone", "404 Not Found", "text/html", b"<html>gone</html>",
                  "2024-05-08T10:00:00Z")  # fmt: skip
        _response(writer, "https://wire.example/old", "301 Moved Permanently", "text/html", b"",
                  "2024-05-08T10:00:00Z", Location="https://wire.example/garissa")  # fmt: skip
        _response(writer, "https://wire.example/logo.png", "200 OK", "image/png", PNG, "2024-05-08T10:00:00Z")
        revisit = writer.create_revisit_record(
            "https://wire.example/garissa", digest="sha1:AAAA", refers_to_uri="https://wire.example/garissa",
            refers_to_date="2024-05-08T10:00:00Z",
        )  # fmt: skip
        writer.write_record(revisit)


def build_arc(path: Path) -> None:
    """An ARC v1 file: a filedesc record, then one HTML capture (the format warcio reads as arc2warc)."""
    desc_body = b"1 0 powderkeg\nURL IP-address Archive-date Content-type Archive-length\n"
    desc = b"filedesc://" + path.name.encode() + b" 0.0.0.0 20240509120000 text/plain " + str(len(desc_body)).encode()
    page = page_html(OTHER["page"][0], *OTHER["page"][1:]).encode()
    http = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + str(len(page)).encode() + b"\r\n\r\n"
    capture = http + page
    head = b"http://harare.example/arrest 127.0.0.1 20240509120000 text/html " + str(len(capture)).encode()
    path.write_bytes(desc + b"\n" + desc_body + b"\n" + head + b"\n" + capture + b"\n")


@pytest.fixture
def archives(tmp_path: Path) -> Path:
    folder = tmp_path / "archives"
    folder.mkdir()
    build_warc(folder / "news.warc.gz", gzipped=True)
    build_warc(folder / "plain.warc", gzipped=False)
    build_arc(folder / "old.arc")
    return folder


def test_archives_are_ingested_like_files(pipeline, archives, db_path):
    with open_store(db_path) as store:
        report = pipeline.ingest([archives], store)
        rows = store.con.execute("SELECT origin, url, status, published FROM articles ORDER BY origin").fetchall()
    by_url = {r[1]: r for r in rows}
    assert set(by_url) == {"https://wire.example/garissa", "https://port.example/curfew", "http://harare.example/arrest"}
    assert all(r[2] == "ok" for r in rows)
    # the same pages in the .warc and the .warc.gz are the same articles: stored once
    assert report.stored == 3 and report.unchanged == 2
    assert str(by_url["https://wire.example/garissa"][3]) == "2024-05-07"  # the page's own date
    assert str(by_url["https://port.example/curfew"][3]) == "2024-06-01"  # HTTP Last-Modified
    assert str(by_url["http://harare.example/arrest"][3]) == "2024-05-09"  # the capture date (ARC)
    origin = by_url["https://wire.example/garissa"][0]
    assert origin.rsplit(":", 1)[0].endswith(".warc") or origin.rsplit(":", 1)[0].endswith(".warc.gz")
    assert origin.rsplit(":", 1)[1].isdigit()  # archive:offset
    # two WARCs each skip a warcinfo, a request, a 404, a 301, an image and a revisit; the ARC its filedesc
    assert report.skipped == Counter({"warcinfo records": 3, "request records": 2, "HTTP 404 responses": 2,
                                      "HTTP 301 responses": 2, "non-HTML responses": 2,
                                      "revisit records": 2})  # fmt: skip


def test_archive_suffixes_are_recognised(tmp_path: Path):
    for name in ("a.warc", "b.WARC.GZ", "c.arc", "d.arc.gz"):
        (tmp_path / name).write_bytes(b"")
    files, problems = expand_paths([tmp_path, tmp_path / "a.warc"])
    assert [p.name for p in files] == ["a.warc", "b.WARC.GZ", "c.arc", "d.arc.gz", "a.warc"] and not problems
    (tmp_path / "e.gz").write_bytes(b"")
    _, problems = expand_paths([tmp_path / "e.gz"])
    assert ".warc.gz" in (problems[0].reason or "")


def test_damaged_and_bogus_archives_are_reported(tmp_path: Path):
    good = tmp_path / "good.warc.gz"
    build_warc(good, gzipped=True)
    data = good.read_bytes()
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(data[: int(len(data) * 0.6)] + b"\x00garbage" * 50)
    settings = Settings()
    skipped: Counter[str] = Counter()
    articles = list(read_archive(damaged, settings, skipped))
    assert articles[-1].status.value == "error" and "archive damaged after" in (articles[-1].reason or "")
    assert any(a.status.value == "ok" for a in articles)  # what came before the damage is kept

    bogus = tmp_path / "notes.warc"
    bogus.write_text("these are my notes, not an archive\n")
    [article] = list(read_archive(bogus, settings))
    assert article.status.value == "invalid" and "not a WARC/ARC archive" in (article.reason or "")

    gz = tmp_path / "page.arc.gz"
    gz.write_bytes(gzip.compress(b"<html>not an arc</html>"))
    [article] = list(read_archive(gz, settings))
    assert article.status.value == "invalid"


def test_a_page_over_the_limit_is_too_large(tmp_path: Path):
    path = tmp_path / "big.warc"
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=False)
        body = page_html("Big", "<p>" + "word " * 5000 + "</p>").encode()
        _response(writer, "https://big.example/", "200 OK", "text/html", body, "2024-05-08T10:00:00Z")
    [article] = list(read_archive(path, Settings(max_bytes=10_000)))
    assert article.status.value == "too_large" and article.url == "https://big.example/"
