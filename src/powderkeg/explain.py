"""Why the coder coded what it coded, and why it did not code the rest (``powderkeg explain``).

:func:`explain_text` and :func:`explain_document` code one text or document with a
:class:`~powderkeg.coder.trace.Trace` and return it; :func:`render` prints it for a reader: each
sentence, the gate's reading, the words a rule knows that gave no candidate (and why), each
candidate with the rule that proposed it and every finishing step's decision, and the event that
came out or the step that rejected it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape

from powderkeg.coder.trace import CHANGED, REJECTED, CandidateTrace, SentenceTrace, Trace
from powderkeg.extract import extract
from powderkeg.model import Article, Document, Status
from powderkeg.pipeline import Pipeline


class ExplainError(ValueError):
    """The text or document cannot be explained (empty, not English, unreadable); the message says why."""


@dataclass
class Explained:
    article: Article
    trace: Trace


def explain_text(pipeline: Pipeline, text: str, published: str | None = None, title: str | None = None) -> Explained:
    """Code one plain text with a trace of every decision."""
    document = Document(origin="<text>", kind="record", raw=text, title=title, published=published)
    return explain_document(pipeline, document)


def explain_document(pipeline: Pipeline, document: Document | Article) -> Explained:
    """Code one document (extracted as ``ingest`` would) with a trace of every decision."""
    article = document if isinstance(document, Article) else extract(document, pipeline.settings)
    if article.status is not Status.OK:
        raise ExplainError(f"{article.origin}: {article.status}: {article.reason}")
    doc = pipeline.nlp(article.text)
    trace = Trace()
    pipeline.coder.read(doc, article, trace=trace)
    return Explained(article, trace)


def _worth_showing(sentence: SentenceTrace) -> bool:
    return bool(sentence.candidates or sentence.dropped or sentence.note)


def render(explained: Explained, console: Console, everything: bool = False, all_steps: bool = False) -> None:
    """Print the trace: every sentence with ``everything``, else those where a rule knew a word."""
    shown = [s for s in explained.trace.sentences if everything or _worth_showing(s)]
    if not shown:
        console.print("No rule knows any word of this text: no candidate event, nothing coded.")
        for sentence in explained.trace.sentences[:1]:
            _gate(sentence, console)
        return
    for number, sentence in enumerate(shown, 1):
        console.rule(f"sentence {number} (characters {sentence.start}-{sentence.end})", align="left")
        console.print(escape(sentence.text), highlight=False)
        if sentence.note:
            console.print(f"  [yellow]not coded:[/] {escape(sentence.note)}")
            continue
        _gate(sentence, console)
        for word in sentence.dropped:
            console.print(f"  [dim]word[/] '{escape(word.word)}': [yellow]no candidate[/] - {escape(word.reason)}")
        if not sentence.candidates and not sentence.dropped:
            console.print("  no rule knows any word of this sentence: nothing proposed")
        for candidate in sentence.candidates:
            _candidate(candidate, console, all_steps)


def _gate(sentence: SentenceTrace, console: Console) -> None:
    if sentence.gate:
        reading = ", ".join(f"{label} {p:.2f}" for label, p in sentence.gate[:3])
        console.print(f"  [dim]gate:[/] {reading}")


def _candidate(candidate: CandidateTrace, console: Console, all_steps: bool) -> None:
    console.print(
        f"  [bold]{candidate.category}[/] on '{escape(candidate.trigger)}', proposed by {candidate.proposer} "
        f"rule {escape(candidate.rule)} ({escape(candidate.rule_file)})",
        highlight=False,
    )
    for decision in candidate.decisions:
        if decision.verdict == REJECTED:
            console.print(f"    [red]rejected by {decision.step}[/]: {escape(decision.reason or '')}", highlight=False)
        elif decision.verdict == CHANGED or all_steps:
            note = f": {escape(decision.reason)}" if decision.reason else ""
            console.print(f"    {decision.step} {decision.verdict}{note}", highlight=False)
    event = candidate.event
    if event is None:
        return
    who = ", ".join(f"{a.text} ({a.code})" for a in event.source) or "-"
    whom = ", ".join(f"{a.text} ({a.code})" for a in event.target) or "-"
    flags = [f for f in ("negated", "hypothetical", "historical") if getattr(event, f)]
    status = f"[yellow]{', '.join(flags)}[/]" if flags else "[green]coded[/]"
    console.print(
        f"    => {status} {event.type}{'/' + event.mode if event.mode else ''}: {escape(who)} -> {escape(whom)}, "
        f"date {event.date or '-'} ({event.date_precision or '-'}), confidence {event.confidence:.2f}",
        highlight=False,
    )
