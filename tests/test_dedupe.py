"""Near-duplicate articles: copies and light rewrites of one story share a story_id, kept in the
database and given incrementally, whatever order and however many runs the articles come in."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from newsroom import OTHER, WIRE
from powderkeg import dedupe
from powderkeg.cli import app
from powderkeg.config import Settings
from powderkeg.model import Article, Status, content_id
from powderkeg.store import open_store

VERSIONS = ["\n\n".join(v[1:]) for v in WIRE]  # the wire story as three outlets ran it
OTHERS = ["\n\n".join(v[1:]) for v in OTHER.values()]


def article(text: str) -> Article:
    return Article(article_id=content_id(text), origin="test", text=text)


def test_words_and_shingles_ignore_case_punctuation_and_spacing():
    assert dedupe.words("Kenya's  POLICE, said:\n“two” officers") == ["kenya", "s", "police", "said", "two", "officers"]
    assert dedupe.shingles("A b c d", 3) == {b"a b c", b"b c d"}
    assert dedupe.shingles("Two words", 3) == {b"two words"}
    assert dedupe.shingles("...", 3) == set()


def test_rewrites_group_and_other_stories_do_not():
    items = [("w1", VERSIONS[0]), ("o1", OTHERS[0]), ("w2", VERSIONS[1]), ("o2", OTHERS[1]), ("w3", VERSIONS[2])]
    groups = dedupe.group(items)
    assert groups["w1"] == groups["w2"] == groups["w3"] == "w1"  # the first article names the story
    assert groups["o1"] == "o1" and groups["o2"] == "o2"


def test_threshold_is_a_setting():
    strict = dedupe.group([("w1", VERSIONS[0]), ("w2", VERSIONS[1])], threshold=0.95)
    assert strict == {"w1": "w1", "w2": "w2"}
    with pytest.raises(ValueError, match="dedupe_threshold"):
        dedupe.StoryIndex(threshold=0.0)


def test_exact_similarity_is_estimated_within_noise():
    index = dedupe.StoryIndex()
    a, b = index.signature(VERSIONS[0]), index.signature(VERSIONS[1])
    assert a is not None and b is not None and a.dtype == np.dtype("<u4") and len(a) == dedupe.NUM_PERM
    sa, sb = dedupe.shingles(VERSIONS[0]), dedupe.shingles(VERSIONS[1])
    exact = len(sa & sb) / len(sa | sb)
    assert abs(float(np.mean(a == b)) - exact) < 0.15
    assert dedupe.lsh_bands(0.5) == (42, 3)  # a pair right at 0.5 is a candidate with > 99% probability


def test_stories_are_stored_and_given_incrementally(tmp_path):
    db = tmp_path / "stories.duckdb"
    settings = Settings()
    with open_store(db) as store:
        # stored before stories existed (or by a run stopped before giving them): no story yet
        for text in (VERSIONS[0], OTHERS[0]):
            store.save(article(text))
        index = dedupe.load(store, settings)  # gives them their stories
        assert len(index) == 2
        for text in (VERSIONS[1], OTHERS[1]):
            a = article(text)
            store.save(a)
            dedupe.record(index, store, a)
        stories = {r["article_id"]: r["story_id"] for r in store.articles()}
        signatures = store.con.execute("SELECT count(*), min(octet_length(signature)) FROM article_minhash").fetchone()
    assert stories[content_id(VERSIONS[1])] == stories[content_id(VERSIONS[0])] == content_id(VERSIONS[0])
    assert stories[content_id(OTHERS[1])] == content_id(OTHERS[1])
    assert signatures == (4, 4 * dedupe.NUM_PERM)

    with open_store(db) as store:  # a later run: the index comes back from the stored signatures
        index = dedupe.load(store, settings)
        assert len(index) == 4
        a = article(VERSIONS[2])
        store.save(a)
        assert dedupe.record(index, store, a).story_id == content_id(VERSIONS[0])
        # a failed article has no text and no story
        bad = Article(article_id="x1", origin="bad", text="", status=Status.EMPTY, reason="empty document")
        store.save(bad)
        assert dedupe.record(index, store, bad) is None
        assert {r["article_id"]: r["story_id"] for r in store.articles()}["x1"] is None


def test_a_new_shingle_size_makes_new_signatures_and_keeps_stories(tmp_path):
    db = tmp_path / "stories.duckdb"
    with open_store(db) as store:
        for text in VERSIONS[:2]:
            store.save(article(text))
        dedupe.load(store, Settings())
        before = {r["article_id"]: r["story_id"] for r in store.articles()}
        index = dedupe.load(store, Settings(dedupe_shingle=2))
        schemes = {r[0] for r in store.con.execute("SELECT scheme FROM article_minhash").fetchall()}
        after = {r["article_id"]: r["story_id"] for r in store.articles()}
    assert schemes == {index.scheme} and "w2" in index.scheme
    assert before == after and len(set(after.values())) == 1


def test_ingest_gives_stories_and_articles_json_shows_them(pipeline, tmp_path):
    path = tmp_path / "wire.jsonl"
    lines = [json.dumps({"id": f"v{i}", "text": t, "published": "2024-05-07"}) for i, t in enumerate(VERSIONS)]
    lines.append(json.dumps({"id": "other", "text": OTHERS[0], "published": "2024-05-08"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "ingest.duckdb"
    with open_store(db) as store:
        pipeline.ingest([path], store)
        pipeline.ingest([path], store)  # again: nothing changes
    result = CliRunner().invoke(app, ["articles", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["doc_id"]: r for r in (json.loads(line) for line in result.output.splitlines() if line.startswith("{"))}
    assert rows["v0"]["story_id"] == rows["v1"]["story_id"] == rows["v2"]["story_id"] == rows["v0"]["article_id"]
    assert rows["other"]["story_id"] == rows["other"]["article_id"]
    assert len(rows) == 4
