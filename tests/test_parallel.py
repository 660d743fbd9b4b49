"""Parsing in several processes gives exactly what parsing in one gives."""

from dataclasses import replace

from powderkeg.model import Document

TEXTS = [
    "Police arrested {n} protesters in Nairobi, Kenya, on Monday.",
    "Serbia asked NATO on Tuesday to let {n} of its soldiers into Kosovo.",
    "Rebels attacked an army post near Goma, killing {n} soldiers.",
]


def _events(pipeline, documents):
    return [
        [(e.type, e.sentence_start, tuple(a.code for a in e.source), tuple(a.code for a in e.target)) for e in c.events]
        for c in pipeline.code_documents(documents)
    ]


def test_two_parser_processes_code_like_one(pipeline, monkeypatch):
    documents = [
        Document(origin=f"doc{i}", kind="text", raw=TEXTS[i % 3].format(n=i + 2), published="2024-03-06")
        for i in range(12)
    ]
    monkeypatch.setattr(pipeline, "settings", replace(pipeline.settings, parse_processes=1))
    alone = _events(pipeline, documents)
    monkeypatch.setattr(pipeline, "settings", replace(pipeline.settings, parse_processes=2))
    together = _events(pipeline, documents)
    assert together == alone
    assert all(alone), "every text holds an event"
