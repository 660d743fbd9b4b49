"""One pathological document must not stall a batch: coding has a per-document time budget and
run-on "sentences" are not coded."""

import time
from dataclasses import replace

import pytest

from powderkeg.model import CodingTimeout, Document, Status

REPORT = "Police arrested ten protesters in Nairobi, Kenya, on Monday."


def test_a_document_over_the_time_budget_is_skipped_and_the_batch_goes_on(pipeline, monkeypatch):
    monkeypatch.setattr(pipeline, "settings", replace(pipeline.settings, doc_time_budget=0.0))
    coded = list(pipeline.code_documents([Document(origin="slow", kind="text", raw=REPORT)]))
    assert coded[0].article.status is Status.SKIPPED
    assert "doc_time_budget" in (coded[0].article.reason or "")
    monkeypatch.undo()
    again = list(pipeline.code_documents([Document(origin="fine", kind="text", raw=REPORT)]))
    assert again[0].article.status is Status.OK and again[0].events


def test_the_coder_stops_at_its_deadline(pipeline):
    article = pipeline.code_text(REPORT).article
    doc = pipeline.nlp(REPORT)
    with pytest.raises(CodingTimeout):
        pipeline.coder.code(doc, article, deadline=time.monotonic() - 1)


def test_a_run_on_sentence_is_not_coded_but_the_real_ones_are(pipeline):
    run_on = " ".join(["police arrested protesters in Kenya and"] * 60)  # 300 tokens, no full stop
    coded = pipeline.code_text(REPORT + " " + run_on + ".")
    assert coded.article.status is Status.OK
    assert coded.events and all(e.sentence_start == 0 for e in coded.events)
    assert "1 run-on sentence" in (coded.article.reason or "")
