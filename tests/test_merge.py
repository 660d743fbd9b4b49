"""One real-world event reported by several articles is stored once, with its mentions and
sources, and links to every report."""

import json

from powderkeg.store import open_store

WIRE = [
    "Militants attacked a police post near Garissa, Kenya, on Tuesday, killing two officers, police said.",
    "GARISSA, Kenya - Militants attacked a police post near Garissa on Tuesday and killed two police officers.",
    "Two officers were killed on Tuesday when militants attacked a police post near Garissa, Kenya.",
]


def _ingest(pipeline, tmp_path, records, name="wire.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    store = open_store(tmp_path / "merge.duckdb")
    pipeline.ingest([path], store)
    return store


def test_three_reports_of_one_attack_are_one_event_with_three_sources(pipeline, tmp_path):
    records = [{"id": f"w{i}", "text": t, "published": "2024-03-06"} for i, t in enumerate(WIRE)]
    with _ingest(pipeline, tmp_path, records) as store:
        attacks = [e for e in store.events() if e["type"] == "ASSAULT"]
        assert len(attacks) == 1, [(e["sentence"], e["source"], e["target"]) for e in attacks]
        [attack] = attacks
        assert attack["sources"] == 3 and attack["mentions"] >= 3
        reports = store.mentions(attack["event_id"])
        assert len({r["article_id"] for r in reports}) == 3
        assert all(r["mention_of"] == attack["event_id"] for r in reports[1:])
        assert store.mentions(reports[-1]["event_id"])[0]["event_id"] == attack["event_id"]


def test_the_same_kind_of_event_a_week_apart_stays_two(pipeline, tmp_path):
    records = [
        {"id": "a", "text": WIRE[0], "published": "2024-03-06"},
        {"id": "b", "text": WIRE[1], "published": "2024-03-13"},
    ]
    with _ingest(pipeline, tmp_path, records) as store:
        attacks = [e for e in store.events() if e["type"] == "ASSAULT"]
        assert len(attacks) == 2 and all(e["sources"] == 1 for e in attacks)


def test_merging_is_the_same_on_a_second_run(pipeline, tmp_path):
    records = [{"id": f"w{i}", "text": t, "published": "2024-03-06"} for i, t in enumerate(WIRE)]
    with _ingest(pipeline, tmp_path, records) as store:
        before = store.con.execute("SELECT event_id, cluster_id, mentions, sources FROM events ORDER BY 1").fetchall()
        pipeline.ingest([tmp_path / "wire.jsonl"], store)
        after = store.con.execute("SELECT event_id, cluster_id, mentions, sources FROM events ORDER BY 1").fetchall()
    assert before == after
