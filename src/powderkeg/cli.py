"""The ``powderkeg`` command line: a thin layer over :mod:`powderkeg.pipeline` and the store."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from powderkeg.config import ConfigError, load_settings

app = typer.Typer(
    help="powderkeg: conflict news in, coded events out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[str | None, typer.Option("--db", help="DuckDB database file [default: ./powderkeg.duckdb]")]


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def _settings(**overrides: Any):  # noqa: ANN202 - Settings, imported lazily by callers
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        raise fail(str(exc)) from exc


def _open_store(db: str, read_only: bool = False):  # noqa: ANN202
    from powderkeg.store import StoreError, open_store

    if read_only and not Path(db).exists():
        raise fail(f"no database at {db}; run 'powderkeg ingest PATH' (or 'powderkeg demo') first")
    try:
        return open_store(db, read_only=read_only)
    except StoreError as exc:
        raise fail(str(exc)) from exc


def _pipeline(settings):  # noqa: ANN001, ANN202
    from powderkeg.nlp import ModelError
    from powderkeg.pipeline import Pipeline

    pipeline = Pipeline(settings)
    try:
        pipeline.nlp  # noqa: B018 - load now, so a missing model is one clear error up front
    except ModelError as exc:
        raise fail(str(exc)) from exc
    return pipeline


def _run_ingest(paths: list[str], db: str, settings) -> int:  # noqa: ANN001
    pipeline = _pipeline(settings)
    with _open_store(db) as store:
        progress = Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        with progress:
            task = progress.add_task("", total=None)
            report = pipeline.ingest(
                paths,
                store,
                progress=lambda origin: progress.update(task, advance=1, description=Path(origin).name),
                on_total=lambda n: progress.update(task, total=n),
            )
        for origin, status, reason in report.problems:
            err.print(f"[yellow]{status}[/yellow] {origin}: {reason}", highlight=False, soft_wrap=True)
        counts = ", ".join(f"{n} {s}" for s, n in sorted(report.statuses.items()))
        err.print(
            f"{report.stored} new article(s), {report.events} event(s) stored in {db}"
            + (f" ({counts})" if counts else ""),
            highlight=False,
        )
    return 1 if report.failed_all else 0


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files or folders: .html/.htm, .txt, .jsonl")],
    db: DbOption = None,
    max_bytes: Annotated[int | None, typer.Option(help="Refuse documents larger than this")] = None,
) -> None:
    """Read news pages, texts and JSONL records; code their events into the database.

    Re-ingesting the same content changes nothing. Each document that cannot be used is listed
    with its status and reason; the run goes on.
    """
    settings = _settings(db=db, max_bytes=max_bytes)
    raise typer.Exit(_run_ingest(paths, settings.db, settings))


@app.command()
def events(
    db: DbOption = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format")] = OutputFormat.table,
    dyad: Annotated[str | None, typer.Option(help="Two countries, either direction: SRB,XKX")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="PLOVER category, e.g. ASSAULT")] = None,
    since: Annotated[str | None, typer.Option(help="Only events on or after this date (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="Only events on or before this date")] = None,
    all_modalities: Annotated[
        bool, typer.Option("--all", help="Include negated, hypothetical and historical events")
    ] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many events")] = None,
) -> None:
    """List stored events, newest first."""
    settings = _settings(db=db)
    pair: tuple[str, str] | None = None
    if dyad:
        parts = [p.strip().upper() for p in dyad.split(",") if p.strip()]
        if len(parts) != 2:
            raise fail(f"--dyad takes two country codes separated by a comma, e.g. SRB,XKX (got {dyad!r})")
        pair = (parts[0], parts[1])
    since_d, until_d = _date_option("--since", since), _date_option("--until", until)
    with _open_store(settings.db, read_only=True) as store:
        rows = store.events(pair, event_type, since_d, until_d, actual_only=not all_modalities, limit=limit)
    print_events(rows, fmt)


def _date_option(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"{name} takes a date as YYYY-MM-DD (got {value!r})") from exc


def _actors_text(actors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{a.get('code') or '?'} ({a.get('text')})" for a in actors) or "-"


def print_events(rows: list[dict[str, Any]], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        columns = ["event_id", "date", "type", "mode", "cameo", "source", "target", "fatalities", "injuries",
                   "negated", "hypothetical", "historical", "confidence", "rule", "sentence", "article_id"]  # fmt: skip
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            flat = dict(row, source=_actors_text(row["source"]), target=_actors_text(row["target"]))
            writer.writerow(flat)
        sys.stdout.write(buffer.getvalue())
        return
    table = Table(show_lines=False, title=f"{len(rows)} event(s)", title_justify="left")
    for column in ("date", "type", "mode", "source", "target", "k/i", "sentence"):
        table.add_column(column, overflow="fold")
    for row in rows:
        flags = [name for name in ("negated", "hypothetical", "historical") if row.get(name)]
        kills = "" if row.get("fatalities") is None else f"{row['fatalities']}/{row.get('injuries') or 0}"
        sentence = row["sentence"]
        table.add_row(
            row.get("date") or "",
            row["type"] + (f" [{','.join(flags)}]" if flags else ""),
            row.get("mode") or "",
            _actors_text(row["source"]),
            _actors_text(row["target"]),
            kills,
            sentence if len(sentence) <= 100 else sentence[:97] + "...",
        )
    out.print(table)


@app.command()
def code(
    input_path: Annotated[Path, typer.Argument(help='JSONL input: {"id", "text", "title", "url", "published"}')],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here instead of stdout")] = None,
) -> None:
    """Code texts without a database: one output line per input line, in order.

    Each line is {"id": ..., "events": [...]} or {"id": ..., "error": "..."}.
    """
    from powderkeg.sources.files import parse_record

    settings = _settings()
    if str(input_path) != "-" and not input_path.is_file():
        raise fail(f"no such file: {input_path}")
    pipeline = _pipeline(settings)
    source = sys.stdin.buffer if str(input_path) == "-" else input_path.open("rb")
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    ids: list[Any] = []

    def documents():  # noqa: ANN202
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            item = parse_record(line, f"{input_path}:{number}", settings.max_bytes)
            ids.append(_record_id(line))  # echoed as given, number or string
            yield item

    n_events = n_errors = 0
    try:
        for index, coded in enumerate(pipeline.code_documents(documents())):
            ident = ids[index]
            if coded.article.status.value != "ok":
                line: dict[str, Any] = {"id": ident, "error": f"{coded.article.status}: {coded.article.reason}"}
                n_errors += 1
            else:
                line = {"id": ident, "events": [e.to_dict() for e in coded.events]}
                n_events += len(coded.events)
            sink.write(json.dumps(line, ensure_ascii=False) + "\n")
    finally:
        if output:
            sink.close()
        if source is not sys.stdin.buffer:
            source.close()
    err.print(f"{len(ids)} record(s), {n_events} event(s), {n_errors} error(s)", highlight=False)


def _record_id(line: bytes) -> Any:
    """The "id" of a JSONL line even when the rest of it is unusable."""
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return record.get("id") if isinstance(record, dict) else None


@app.command()
def articles(
    db: DbOption = None,
    status: Annotated[str | None, typer.Option(help="Only this status: ok, empty, not_text, ...")] = None,
) -> None:
    """List stored documents with their status and reason."""
    settings = _settings(db=db)
    with _open_store(settings.db, read_only=True) as store:
        rows = store.articles(status)
    table = Table(title=f"{len(rows)} document(s)", title_justify="left")
    for column in ("status", "events", "origin", "title / reason"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["status"], str(row["n_events"]), row["origin"], row["reason"] or row["title"] or "")
    out.print(table)


@app.command()
def demo(db: DbOption = None) -> None:
    """Ingest the sample reports shipped with powderkeg and show their events."""
    settings = _settings(db=db)
    samples = resources.files("powderkeg.data").joinpath("samples")
    with resources.as_file(samples) as folder:
        err.print(f"ingesting the sample reports in {folder} into {settings.db}", highlight=False)
        _run_ingest([str(folder)], settings.db, settings)
    with _open_store(settings.db, read_only=True) as store:
        rows = store.events()
    print_events(rows, OutputFormat.table)


@app.command(name="eval")
def eval_command(
    gold: Annotated[Path, typer.Argument(help="Labelled JSONL; its fields are described in docs/guide.md")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON")] = False,
    limit: Annotated[int | None, typer.Option(help="Score only the first N records")] = None,
) -> None:
    """Code a gold file's records and score every field the gold carries."""
    from powderkeg.evaluate import GoldError, evaluate

    if not gold.is_file():
        raise fail(f"no such file: {gold}")
    settings = _settings()
    pipeline = _pipeline(settings)
    try:
        report = evaluate(gold, pipeline, limit=limit)
    except GoldError as exc:
        raise fail(str(exc)) from exc
    data = report.to_dict()
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    table = Table(
        title=f"{gold.name}: {data['records']} records, {data['gold_events']} gold events, "
        f"{data['predicted_events']} predicted, {data['seconds']} s",
        title_justify="left",
    )
    for column in ("field", "score", "n"):
        table.add_column(column)
    for name, value in data["fields"].items():
        score = value.get("accuracy", value.get("f1"))
        table.add_row(name, "-" if score is None else f"{score:.3f}", str(value["total"]))
    out.print(table)


def main() -> None:
    app()
