"""Explainable decisions: every candidate's rule and every finishing step's verdict, and why a
sentence gave no event (powderkeg.explain, powderkeg.coder.trace)."""

from __future__ import annotations

import io
import json

from rich.console import Console

from powderkeg.coder.finish import STEPS
from powderkeg.coder.trace import REJECTED
from powderkeg.explain import explain_text, render


def _printed(explained) -> str:
    out = io.StringIO()
    render(explained, Console(file=out, width=200, color_system=None))
    return out.getvalue()


def test_a_dropped_candidate_names_the_step_that_dropped_it(pipeline):
    explained = explain_text(pipeline, "He is charged with assault in the first degree.", published="2024-03-06")
    [sentence] = explained.trace.sentences
    [candidate] = sentence.candidates
    assert candidate.category == "ACCUSE" and candidate.event is None
    rejected = candidate.rejected_by
    assert rejected is not None and rejected.step == "needs_actors"
    assert "rejected by needs_actors" in _printed(explained)


def test_a_word_a_denial_covers_is_dropped_with_its_reason(pipeline):
    text = "The ministry rejected the allegations that its forces shelled the plant."
    sentence = explain_text(pipeline, text, published="2024-03-06").trace.sentences[0]
    assert any(d.word == "shelled" and "denial" in d.reason for d in sentence.dropped)


def test_a_coded_event_went_through_every_step_and_says_where_it_came_from(pipeline):
    text = "Serbian police arrested two Kosovo Albanians on Friday."
    explained = explain_text(pipeline, text, published="2023-06-17")
    [candidate] = [c for s in explained.trace.sentences for c in s.candidates if c.event is not None]
    assert [d.step for d in candidate.decisions] == [s.name for s in STEPS]
    assert not any(d.verdict == REJECTED for d in candidate.decisions)
    event = candidate.event
    assert event.provenance["proposer"] == "pattern"
    assert event.provenance["rule_file"].startswith("triggers.tsv:")
    assert "COERCE" in _printed(explained)


def test_a_sentence_no_rule_knows_says_so(pipeline):
    explained = explain_text(pipeline, "Blue skies over the green hills.")
    assert "no rule knows any word" in _printed(explained).lower()


def test_the_explain_command_prints_the_rejecting_step(tmp_path):
    from typer.testing import CliRunner

    from powderkeg.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["explain", "He is charged with assault in the first degree."])
    assert result.exit_code == 0, result.output
    assert "rejected by needs_actors" in result.output

    page = tmp_path / "report.jsonl"
    page.write_text(
        '{"id": "r1", "text": "Police arrested two men in Goma on Monday.", "published": "2024-03-06"}\n'
        '{"id": "r2", "text": "The weather was fine.", "published": "2024-03-06"}\n'
    )
    result = runner.invoke(app, ["explain", "--article", str(page), "--id", "r1", "--format", "json"])
    assert result.exit_code == 0, result.output
    traced = json.loads(result.output)
    [candidate] = [c for s in traced["sentences"] for c in s["candidates"]]
    assert candidate["category"] == "COERCE" and candidate["event"] is not None

    assert runner.invoke(app, ["explain"]).exit_code != 0  # neither a text nor --article
    missing = runner.invoke(app, ["explain", "--article", str(page), "--id", "nope"])
    assert missing.exit_code != 0 and "no record with id" in missing.output
