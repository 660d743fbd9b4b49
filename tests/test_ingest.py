"""Ingesting files into the store: bad input is recorded, not fatal; re-running is safe."""

import json
import shutil
from pathlib import Path

import pytest

from powderkeg.config import Settings
from powderkeg.pipeline import Pipeline
from powderkeg.store import open_store

SEED = Path(__file__).parent / "fixtures" / "seed"
REPORT = (
    "Rebels attacked an army base near the town of Beni on Tuesday, killing two soldiers, "
    "the Congolese army said. The army later deployed reinforcements to the area."
)
SERBIAN_PAGE = (
    "<html lang='sr'><head><title>Srbija traži raspoređivanje vojske</title></head><body><article>"
    "<h1>Srbija traži raspoređivanje vojske na Kosovu</h1>"
    "<p>Srbija je zvanično podnela zahtev Kfor-u da se njene snage bezbednosti rasporede na Kosovu "
    "usled naglog porasta političkih i etničkih tenzija. Predsednik Aleksandar Vučić rekao je da je "
    "zahtev za raspoređivanje do hiljadu vojnika podnet, i da se plaši za bezbednost Srba na severu.</p>"
    "<p>Vučić je rekao da će zahtev verovatno biti odbijen, ali da je želeo da to bude zabeleženo. "
    "Napetosti su porasle nakon što su kosovske vlasti pokušale da zabrane srpske tablice.</p>"
    "</article></body></html>"
)


@pytest.fixture
def bad_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    filler = "<p>" + "Filler paragraph that pads the page to a very large size. " * 20 + "</p>\n"
    big = "<html><body><article>" + filler * (20_000_000 // len(filler) + 1) + "</article></body></html>"
    (folder / "huge.html").write_text(big, encoding="utf-8")
    (folder / "broken.txt").write_bytes(b"\xff\xfe\x81\xc0" * 200 + b"plain words")
    latin1 = "Police in Pri\u0161tina said protesters threw stones at officers in Mitrovica on Friday. " * 3
    (folder / "latin1.txt").write_bytes(
        latin1.replace("\u0161", "s").replace("Mitrovica", "Mitrovi\xe7a").encode("latin-1")
    )
    (folder / "serbian.html").write_text(SERBIAN_PAGE, encoding="utf-8")
    lines = [
        json.dumps({"id": "good-1", "text": REPORT, "published": "2024-05-08"}),
        '{"id": "broken", "text": "unterminated',
        json.dumps({"id": "good-2", "text": "Police arrested three protesters in Nairobi on Monday."}),
    ]
    (folder / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(SEED / "seed-article.html", folder / "seed.html")
    return folder


def statuses(db: Path) -> dict[str, tuple[str, str]]:
    with open_store(db, read_only=True) as store:
        return {Path(r["origin"]).name: (r["status"], r["reason"] or "") for r in store.articles()}


def test_bad_input_is_recorded_and_the_rest_ingested(pipeline, bad_folder, db_path):
    with open_store(db_path) as store:
        report = pipeline.ingest([bad_folder], store)
    got = statuses(db_path)
    assert got["empty.txt"][0] == "empty"
    assert got["image.html"][0] == "not_text" and "PNG" in got["image.html"][1]
    assert got["huge.html"][0] == "too_large" and "MB" in got["huge.html"][1]
    assert got["broken.txt"][0] == "not_text" and "UTF-8" in got["broken.txt"][1]
    assert got["latin1.txt"][0] == "ok" and "repaired" in got["latin1.txt"][1]
    assert got["serbian.html"][0] == "not_english"
    assert got["records.jsonl:2"][0] == "invalid" and "JSON" in got["records.jsonl:2"][1]
    assert got["records.jsonl:1"][0] == "ok" and got["records.jsonl:3"][0] == "ok"
    assert got["seed.html"][0] == "ok"
    for status, reason in got.values():
        if status != "ok":
            assert reason and "\n" not in reason
    assert report.stored == 4
    assert len(report.problems) == 6
    assert not report.failed_all
    with open_store(db_path, read_only=True) as store:
        assert any(e["type"] == "ASSAULT" for e in store.events())


def test_reingesting_changes_nothing(pipeline, bad_folder, db_path):
    with open_store(db_path) as store:
        pipeline.ingest([bad_folder], store)
        before = store.counts()
        events_before = store.events(actual_only=False)
        again = pipeline.ingest([bad_folder], store)
        assert store.counts() == before
        assert store.events(actual_only=False) == events_before
    assert again.stored == 0 and again.events == 0
    assert again.unchanged == 10


def test_bad_input_never_loses_what_was_stored(pipeline, bad_folder, db_path, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    shutil.copy(SEED / "seed-article.txt", good / "seed.txt")
    with open_store(db_path) as store:
        pipeline.ingest([good], store)
        first = store.events(actual_only=False)
        pipeline.ingest([bad_folder], store)
        after = store.events(actual_only=False)
    assert first and all(e in after for e in first)


def test_size_limit_comes_from_settings(bad_folder, db_path):
    small = Pipeline(Settings(max_bytes=5_000))
    with open_store(db_path) as store:
        small.ingest([bad_folder / "seed.html"], store)
    assert statuses(db_path)["seed.html"][0] == "too_large"


def test_missing_path_and_unknown_type_are_reported(pipeline, tmp_path, db_path):
    other = tmp_path / "notes.pdf"
    other.write_bytes(b"%PDF-1.4")
    with open_store(db_path) as store:
        report = pipeline.ingest([tmp_path / "nope", other], store)
    reasons = {Path(o).name: r for o, _, r in report.problems}
    assert "no such file" in reasons["nope"]
    assert "unsupported file type" in reasons["notes.pdf"]
    assert report.failed_all


def test_jsonl_metadata_is_kept(pipeline, tmp_path, db_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"id": "x1", "title": "Beni", "url": "https://example.org/b", "text": REPORT,
                                "published": "2024-05-08"}) + "\n", encoding="utf-8")  # fmt: skip
    with open_store(db_path) as store:
        pipeline.ingest([path], store)
        [row] = store.articles()
        events = store.events()
    assert (row["doc_id"], row["title"], str(row["published"])) == ("x1", "Beni", "2024-05-08")
    attack = next(e for e in events if e["type"] == "ASSAULT")
    assert attack["date"] == "2024-05-07"  # "on Tuesday" before Wednesday 8 May
    assert attack["fatalities"] == 2
