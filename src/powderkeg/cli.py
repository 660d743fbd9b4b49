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

from powderkeg.config import ConfigError, Settings, load_settings

app = typer.Typer(
    help="powderkeg: conflict news in, coded events out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[str | None, typer.Option("--db", help="DuckDB database file [default: ./powderkeg.duckdb]")]
MinConfidenceOption = Annotated[
    float | None,
    typer.Option(
        "--min-confidence",
        help="Leave out events under this confidence, 0 to 1; 0 shows every event "
        f"(default: the setting min_confidence, {Settings.min_confidence:g} unless configured)",
    ),
]


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def _settings(**overrides: Any) -> Settings:
    from powderkeg.store.confidence import check_min_confidence

    try:
        settings = load_settings(**overrides)
        check_min_confidence(settings.min_confidence)
    except (ConfigError, ValueError) as exc:
        raise fail(str(exc)) from exc
    return settings


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


def _progress(verb: str, unit: str, with_description: bool = True) -> Progress:
    """The progress bar of a long command: done/total units, time, the current item; shown only on
    a terminal, gone when done."""
    columns = [TextColumn(f"[bold]{verb}"), BarColumn(), MofNCompleteColumn(), TextColumn(unit), TimeElapsedColumn()]
    if with_description:
        columns.append(TextColumn("{task.description}"))
    return Progress(*columns, console=err, transient=True, disable=not err.is_terminal)


def _run_ingest(paths: list[str], db: str, settings) -> int:  # noqa: ANN001
    pipeline = _pipeline(settings)
    with _open_store(db) as store:
        progress = _progress("ingest", "files")
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
        if report.skipped:
            kinds = ", ".join(f"{n} {kind}" for kind, n in report.skipped.most_common())
            err.print(f"archive records skipped (not HTML pages with HTTP 200): {kinds}", highlight=False)
    return 1 if report.failed_all else 0


@app.command()
def ingest(
    paths: Annotated[
        list[str], typer.Argument(help="Files or folders: .html/.htm, .txt, .jsonl, .warc(.gz), .arc(.gz)")
    ],
    db: DbOption = None,
    max_bytes: Annotated[int | None, typer.Option(help="Refuse documents larger than this")] = None,
) -> None:
    """Read news pages, texts, JSONL records and web archives; code their events into the database.

    Re-ingesting the same content changes nothing. Each document that cannot be used is listed
    with its status and reason; the run goes on.
    """
    settings = _settings(db=db, max_bytes=max_bytes)
    raise typer.Exit(_run_ingest(paths, settings.db, settings))


UserAgentOption = Annotated[str | None, typer.Option("--user-agent", help="User-Agent header [setting user_agent]")]
TimeoutOption = Annotated[
    float | None, typer.Option("--timeout", help="Seconds to connect, and between reads [setting fetch_timeout: 20]")
]


def _feed_list(path: Path) -> list[str]:
    from powderkeg.sources.feeds import FeedListError, read_feed_list

    try:
        return read_feed_list(path)
    except FeedListError as exc:
        raise fail(str(exc)) from exc


@app.command()
def fetch(
    urls: Annotated[list[str] | None, typer.Argument(help="Pages or feeds; each is told apart by its answer")] = None,
    feeds: Annotated[
        Path | None, typer.Option("--feeds", help="A file of RSS/Atom feed URLs, one a line ('#' comments), or OPML")
    ] = None,
    db: DbOption = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Ask again (conditionally) for pages fetched on an earlier run")
    ] = False,
    user_agent: UserAgentOption = None,
    timeout: TimeoutOption = None,
    max_bytes: Annotated[int | None, typer.Option(help="Stop reading a body past this size")] = None,
) -> None:
    """Fetch news pages and RSS/Atom feeds over HTTP; code their events into the database.

    Feeds are asked conditionally (ETag / Last-Modified) and only their new links are fetched;
    robots.txt, per-host rate limits, timeouts and retries apply. Each URL that gives nothing is
    listed with its status and reason; the run goes on.
    """
    from powderkeg.sources.web import Fetcher

    feed_urls = _feed_list(feeds) if feeds else []
    if not urls and not feed_urls:
        raise fail("nothing to fetch: give URLs, or --feeds FILE with feed URLs in it")
    settings = _settings(db=db, user_agent=user_agent, fetch_timeout=timeout, max_bytes=max_bytes)
    pipeline = _pipeline(settings)
    with _open_store(settings.db) as store:
        progress = _progress("fetch", "URLs")
        with progress:
            task = progress.add_task("", total=None)
            report = pipeline.fetch(
                urls or [],
                store,
                feeds=feed_urls,
                fetcher=Fetcher(settings),
                refresh=refresh,
                progress=lambda url: progress.update(task, advance=1, description=url[-60:]),
                on_total=lambda n: progress.update(task, total=n),
            )
        for origin, status, reason in report.problems:
            err.print(f"[yellow]{status}[/yellow] {origin}: {reason}", highlight=False, soft_wrap=True)
        err.print(f"{report.summary()}; stored in {settings.db}", highlight=False)
    raise typer.Exit(1 if report.failed_all else 0)


def parse_duration(text: str) -> float:
    """Seconds in '90', '30s', '15m', '1h', '1h30m', '1d'."""
    import re

    units = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhd]?)", text.strip().lower())
    if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*([smhd]?)", "", text.strip().lower()).strip():
        raise ValueError(f"not a duration: {text!r} (e.g. 30s, 15m, 1h)")
    return sum(float(n) * units[u] for n, u in parts)


@app.command()
def watch(
    feeds: Annotated[Path, typer.Option("--feeds", help="A file of feed URLs (read again before each poll), or OPML")],
    every: Annotated[str, typer.Option(help="Time between the starts of two polls: 30s, 15m, 1h")] = "15m",
    db: DbOption = None,
    max_polls: Annotated[int | None, typer.Option(min=1, help="Stop after this many polls [never]")] = None,
    user_agent: UserAgentOption = None,
    timeout: TimeoutOption = None,
) -> None:
    """Poll feeds until stopped (Ctrl-C), storing only what is new; one log line per poll."""
    from datetime import datetime

    from powderkeg.sources.feeds import FeedListError, read_feed_list
    from powderkeg.sources.web import Fetcher

    try:
        seconds = parse_duration(every)
    except ValueError as exc:
        raise fail(f"--every: {exc}") from exc
    if seconds < 1:
        raise fail("--every must be at least 1s")
    current = _feed_list(feeds)
    if not current:
        raise fail(f"{feeds} lists no feeds")
    settings = _settings(db=db, user_agent=user_agent, fetch_timeout=timeout)
    pipeline = _pipeline(settings)

    def feed_list() -> list[str]:
        nonlocal current
        try:
            current = read_feed_list(feeds) or current
        except FeedListError as exc:  # a list being edited: keep polling the last good one
            err.print(f"[yellow]warning[/yellow] {exc}; polling the last list read", highlight=False)
        return current

    def log(number: int, report) -> None:  # noqa: ANN001 - FetchReport
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        err.print(f"{stamp} poll {number}: {report.summary()}", highlight=False, soft_wrap=True)

    # each hook gets (poll number, FetchReport) after every poll; escalation alerts belong here
    hooks = [log]
    from powderkeg import alerts as alerting

    try:  # a bad rules file stops the watch before the first poll
        rules = alerting.load_rules(settings.alert_rules or None)
    except alerting.RulesError as exc:
        raise fail(str(exc)) from exc
    sinks = alerting.sinks_from_settings(settings)  # the console, alerts_jsonl, webhooks

    def alert(number: int, report) -> None:  # noqa: ANN001 - FetchReport
        try:
            alerting.evaluate_and_deliver(store, settings, sinks, rules)
        except Exception as exc:  # the watch goes on; the next poll evaluates again
            err.print(f"[yellow]warning[/yellow] poll {number}: alerts not evaluated: {exc}", highlight=False)

    hooks.append(alert)
    err.print(f"watching {len(current)} feed(s) every {every} into {settings.db}; Ctrl-C to stop", highlight=False)
    _open_store(settings.db).close()  # a database that cannot be opened stops the watch before the first poll
    store = None

    def open_for_poll():  # noqa: ANN202 - Store
        # opened for each poll and closed after it (and after the hooks, which see it as `store`), so
        # that other commands can read the database between polls; a failure is that poll's problem
        from powderkeg.store import open_store

        nonlocal store
        store = open_store(settings.db)
        return store

    fetcher = Fetcher(settings)
    totals = pipeline.watch(feed_list, open_for_poll, seconds, fetcher=fetcher, on_poll=hooks, polls=max_polls)
    err.print(
        f"watch ended after {totals.polls} poll(s){' (Ctrl-C)' if totals.interrupted else ''}: "
        f"{totals.stored} new article(s), {totals.events} event(s), {totals.problems} problem(s)",
        highlight=False,
    )


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
    min_confidence: MinConfidenceOption = None,
) -> None:
    """List stored events, newest first."""
    settings = _settings(db=db, min_confidence=min_confidence)
    pair: tuple[str, str] | None = None
    if dyad:
        parts = [p.strip().upper() for p in dyad.split(",") if p.strip()]
        if len(parts) != 2:
            raise fail(f"--dyad takes two country codes separated by a comma, e.g. SRB,XKX (got {dyad!r})")
        pair = (parts[0], parts[1])
    since_d, until_d = _date_option("--since", since), _date_option("--until", until)
    with _open_store(settings.db, read_only=True) as store:
        rows = store.events(
            pair,
            event_type,
            since_d,
            until_d,
            actual_only=not all_modalities,
            limit=limit,
            min_confidence=settings.min_confidence,
        )
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
    min_confidence: MinConfidenceOption = None,
) -> None:
    """Code texts without a database: one output line per input line, in order.

    Each line is {"id": ..., "events": [...]} or {"id": ..., "error": "..."}. Events under
    min_confidence are left out.
    """
    from powderkeg.sources.files import parse_record
    from powderkeg.store.confidence import shown

    settings = _settings(min_confidence=min_confidence)
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

    n_events = n_errors = n_hidden = 0
    try:
        for index, coded in enumerate(pipeline.code_documents(documents())):
            ident = ids[index]
            if coded.article.status.value != "ok":
                line: dict[str, Any] = {"id": ident, "error": f"{coded.article.status}: {coded.article.reason}"}
                n_errors += 1
            else:
                events = [e for e in coded.events if shown(e.confidence, settings.min_confidence)]
                line = {"id": ident, "events": [e.to_dict() for e in events]}
                n_events += len(events)
                n_hidden += len(coded.events) - len(events)
            sink.write(json.dumps(line, ensure_ascii=False) + "\n")
    finally:
        if output:
            sink.close()
        if source is not sys.stdin.buffer:
            source.close()
    hidden = f" ({n_hidden} under min_confidence {settings.min_confidence:g} left out)" if n_hidden else ""
    err.print(f"{len(ids)} record(s), {n_events} event(s){hidden}, {n_errors} error(s)", highlight=False)


@app.command()
def geoparse(
    input_path: Annotated[Path, typer.Argument(help='JSONL input: {"id", "text"}')],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here instead of stdout")] = None,
    demonyms: Annotated[bool, typer.Option(help='Also list nationality words ("Serbian") as places')] = False,
) -> None:
    """Find and place the toponyms of texts, offline: one output line per input line,
    {"id", "places": [{"text", "start", "end", "name", "country", "admin1", "lat", "lon",
    "geonameid", "feature"}]} with character offsets into the text.

    The gazetteer (GeoNames via PyPI packages) is built into the cache folder on first use.
    """
    if not input_path.is_file():
        raise fail(f"no such file: {input_path}")
    from powderkeg.geo import Geoparser, geoparse_jsonl

    settings = _settings()
    geoparser = Geoparser(nlp=_pipeline(settings).nlp)
    count = geoparse_jsonl(input_path, output, geoparser=geoparser, demonyms=demonyms)
    err.print(f"{count} record(s) geoparsed", highlight=False)


@app.command()
def explain(
    text: Annotated[str | None, typer.Argument(help="A sentence or text to explain")] = None,
    article: Annotated[
        Path | None, typer.Option("--article", help="Explain a document instead: .html/.htm, .txt or .jsonl")
    ] = None,
    record: Annotated[
        str | None, typer.Option("--id", help="With a .jsonl --article: the record with this id (default: the first)")
    ] = None,
    published: Annotated[str | None, typer.Option(help="Publication date of TEXT (YYYY-MM-DD), for its dates")] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Show every sentence, also those where no rule knew a word")
    ] = False,
    steps: Annotated[
        bool, typer.Option("--steps", help="Show every finishing step, also those that kept a draft")
    ] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table (readable) or json")] = OutputFormat.table,
) -> None:
    """Why the coder codes what it codes: each candidate event, the rule that proposed it and
    every finishing step's decision, including why something was not coded.

    Examples: powderkeg explain "Rebels attacked a police station in Goma on Monday."
    powderkeg explain --article report.html
    """
    from powderkeg.explain import ExplainError, explain_document, explain_text, render

    if (text is None) == (article is None):
        raise fail("give either a TEXT to explain or --article FILE (not both)")
    settings = _settings()
    pipeline = _pipeline(settings)
    try:
        if article is not None:
            explained = explain_document(pipeline, _one_document(article, record, settings))
        else:
            assert text is not None
            explained = explain_text(pipeline, text, published=published)
    except ExplainError as exc:
        raise fail(str(exc)) from exc
    if fmt is OutputFormat.json:
        print(json.dumps(explained.trace.to_dict(), ensure_ascii=False, indent=1))
        return
    render(explained, out, everything=everything, all_steps=steps)


def _one_document(path: Path, record: str | None, settings: Settings) -> Any:
    """The document of ``path`` to explain (for a JSONL file, the record with id ``record``, else the first)."""
    from powderkeg.sources.files import expand_paths, read_file

    files, problems = expand_paths([path])
    if problems:
        raise fail(f"{path}: {problems[0].reason}")
    if len(files) != 1:
        raise fail(f"{path}: give one file, not a folder")
    for document in read_file(files[0], settings.max_bytes, settings):
        if record is None or str(getattr(document, "doc_id", None)) == record:
            return document
    raise fail(f"{path}: no record with id {record!r}" if record else f"{path}: no document in it")


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
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format")] = OutputFormat.table,
) -> None:
    """List stored documents with their status, reason and story (copies of one report share it)."""
    settings = _settings(db=db)
    with _open_store(settings.db, read_only=True) as store:
        rows = store.articles(status)
    if fmt is OutputFormat.json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["article_id"])
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buffer.getvalue())
        return
    table = Table(title=f"{len(rows)} document(s)", title_justify="left")
    for column in ("status", "events", "story", "origin", "title / reason"):
        table.add_column(column, overflow="fold")
    for row in rows:
        story = (row.get("story_id") or "")[:8]
        table.add_row(row["status"], str(row["n_events"]), story, row["origin"], row["reason"] or row["title"] or "")
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
        rows = store.events(min_confidence=settings.min_confidence)
    print_events(rows, OutputFormat.table)


@app.command(name="eval")
def eval_command(
    gold: Annotated[Path, typer.Argument(help="Labelled JSONL; its fields are described in docs/guide.md")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON")] = False,
    limit: Annotated[int | None, typer.Option(help="Score only the first N records")] = None,
    min_confidence: MinConfidenceOption = None,
) -> None:
    """Code a gold file's records and score every field the gold carries (the events users see:
    those of at least min_confidence; --min-confidence 0 scores every event the coder gives)."""
    from powderkeg.evaluate import GoldError, evaluate

    if not gold.is_file():
        raise fail(f"no such file: {gold}")
    settings = _settings(min_confidence=min_confidence)
    pipeline = _pipeline(settings)
    try:
        report = evaluate(gold, pipeline, limit=limit, min_confidence=settings.min_confidence)
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


class Engine(StrEnum):
    local = "local"
    ray = "ray"


def _batch_module():  # noqa: ANN202 - powderkeg.batch needs pyarrow, an optional dependency
    try:
        import powderkeg.batch as batch_module
    except ImportError as exc:
        raise fail(f"powderkeg batch and load need pyarrow ({exc}): pip install 'powderkeg[batch]'") from exc
    return batch_module


@app.command()
def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders, globs ('news/*.jsonl') or URLs (s3://, gs://, file://): "
            ".jsonl, .jsonl.gz, .warc, .warc.gz, .html/.htm, .txt"
        ),
    ],
    out_dir: Annotated[str, typer.Option("--out", "-o", help="Output folder or URL for the Parquet files")],
    engine: Annotated[Engine, typer.Option(help="local: this process; ray: a Ray cluster")] = Engine.local,
    address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to use: auto, ray://head:10001 [default: start a local one]"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Ray workers, one CPU each [default: all CPUs of the cluster]")
    ] = None,
    shard_mb: Annotated[
        float | None, typer.Option("--shard-mb", min=0.000001, help="Cut JSONL files into shards of this size [32]")
    ] = None,
    retries: Annotated[int | None, typer.Option(min=0, help="Times a failed shard is tried again [2]")] = None,
    max_bytes: Annotated[int | None, typer.Option(help="Refuse documents larger than this")] = None,
) -> None:
    """Code an archive into Parquet: articles, and events partitioned by date, one file per shard.

    A shard is a file, or a slice of a large JSONL file. Shards finished by an earlier run are
    skipped, so re-running the same command resumes a stopped run. A shard that fails is retried,
    then listed here and in OUT/_failed/; the exit code is 1 until every shard is done.
    """
    if address and engine is not Engine.ray:
        raise fail("--address is for --engine ray")
    batch_module = _batch_module()
    settings = _settings(
        max_bytes=max_bytes,
        shard_bytes=None if shard_mb is None else int(shard_mb * 1_000_000),
        shard_retries=retries,
    )
    pipeline = _pipeline(settings) if engine is Engine.local else None
    progress = _progress(f"batch ({engine.value})", "shards")

    def shard_done(outcome) -> None:  # noqa: ANN001
        name = outcome.origin.rsplit("/", 1)[-1]
        progress.update(task, advance=1, description=name if outcome.ok else f"[red]failed[/red] {name}")

    try:
        with progress:
            task = progress.add_task("planning", total=None)
            report = batch_module.run_batch(
                inputs,
                out_dir,
                engine=engine.value,
                address=address,
                workers=workers,
                settings=settings,
                pipeline=pipeline,
                on_plan=lambda todo, skipped: progress.update(task, total=todo, description=""),
                on_shard=shard_done,
            )
    except (batch_module.BatchError, batch_module.OutputError) as exc:
        raise fail(str(exc)) from exc
    for origin, status, reason in report.problems:
        err.print(f"[yellow]{status}[/yellow] {origin}: {reason}", highlight=False, soft_wrap=True)
    for outcome in report.failed:
        err.print(
            f"[red]failed[/red] {outcome.origin} (shard {outcome.shard_id}, {outcome.attempts} attempt(s)): "
            f"{outcome.error}",
            highlight=False,
            soft_wrap=True,
        )
    if report.superseded:
        err.print(f"{len(report.superseded)} older shard(s) of changed inputs removed", highlight=False)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.statuses.items()))
    err.print(
        f"{len(report.done)} shard(s) coded, {report.skipped} already done"
        + (f", {len(report.failed)} failed" if report.failed else "")
        + f": {report.documents} document(s)"
        + (f" ({counts})" if counts else "")
        + f", {report.events} event(s) in {out_dir} ({report.seconds:.1f} s)",
        highlight=False,
    )
    if report.failed:
        err.print("run the same command again to retry the failed shards", highlight=False)
    raise typer.Exit(0 if report.complete else 1)


@app.command()
def load(
    directory: Annotated[str, typer.Argument(help="A folder (or URL) written by 'powderkeg batch'")],
    db: DbOption = None,
) -> None:
    """Store the articles and events of a batch output in the database.

    Articles already in the database are left as they are, so loading again changes nothing.
    Only finished shards are loaded.
    """
    from powderkeg.pipeline import Pipeline

    batch_module = _batch_module()
    settings = _settings(db=db)
    with _open_store(settings.db) as store:
        progress = _progress("load", "shards", with_description=False)
        try:
            with progress:
                task = progress.add_task("", total=None)
                report = batch_module.load_batch(
                    directory,
                    store,
                    Pipeline(settings),
                    on_shard=lambda _origin: progress.update(task, advance=1),
                    on_total=lambda n: progress.update(task, total=n),
                )
            failed = batch_module.OutputDir(directory).failed_ids()
        except batch_module.OutputError as exc:
            raise fail(str(exc)) from exc
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.statuses.items()))
    err.print(
        f"{report.stored} new article(s), {report.events} event(s) stored in {settings.db}"
        + (f" ({counts})" if counts else ""),
        highlight=False,
    )
    if failed:
        err.print(
            f"[yellow]{len(failed)} shard(s) in {directory} failed and are not loaded[/yellow]; "
            "run the batch again to finish them",
            highlight=False,
        )


# -- dyad series, alerts, exports -----------------------------------------------------------------


class Period(StrEnum):
    day = "day"
    week = "week"


class AlertFormat(StrEnum):
    table = "table"
    json = "json"


class ExportFormat(StrEnum):
    gdelt = "gdelt"
    acled = "acled"
    parquet = "parquet"
    jsonl = "jsonl"
    csv = "csv"


SIDE_HELP = "a country (SRB), an actor group (XKX/COP, XKX@srb, IGO/KFOR), alternatives joined by + (SRB+@srb)"


def _series_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@app.command()
def dyad(
    side_a: Annotated[str, typer.Argument(metavar="A", help=f"One side: {SIDE_HELP}")],
    side_b: Annotated[str, typer.Argument(metavar="B", help="The other side, written the same way")],
    db: DbOption = None,
    by: Annotated[Period, typer.Option("--by", help="One row per day or per ISO week")] = Period.day,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format")] = OutputFormat.table,
    directed: Annotated[bool, typer.Option("--directed", help="Only events with A as source, B as target")] = False,
    since: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD) [default: the dyad's first event]")] = None,
    until: Annotated[str | None, typer.Option(help="Last day [default: the dyad's last event]")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also draw the series into this PNG file")] = None,
    min_confidence: MinConfidenceOption = None,
) -> None:
    """Event counts and conflict scores of a dyad per day or week.

    Counts per quad class and PLOVER category, the PLOVER conflict and cooperation scores,
    the Goldstein sum, and the balance (cooperation - conflict) / (cooperation + conflict) of the
    PLOVER scores. Only actual events of at least min_confidence count. Examples: 'powderkeg dyad
    SRB XKX --by week', 'powderkeg dyad XKX@srb XKX/COP --directed'.
    """
    from powderkeg.alerts import alert_windows
    from powderkeg.series import SERIES_COLUMNS, SeriesError, dyad_series, parse_dyad, plot_series

    settings = _settings(db=db, min_confidence=min_confidence)
    try:
        pair = parse_dyad(side_a, side_b, directed)
    except SeriesError as exc:
        raise fail(str(exc)) from exc
    since_d, until_d = _date_option("--since", since), _date_option("--until", until)
    with _open_store(settings.db, read_only=True) as store:
        rows = dyad_series(store, pair, by.value, since_d, until_d, settings.min_confidence)
        windows = alert_windows(store, pair.label(), settings.min_confidence)
    if plot is not None:
        try:
            written = plot_series(rows, plot, f"{pair.label()} by {by.value}", windows)
        except SeriesError as exc:
            raise fail(str(exc)) from exc
        err.print(f"plot written to {written}", highlight=False)
    if fmt is OutputFormat.json:
        for row in rows:
            sys.stdout.write(json.dumps(dict(row, period=row["period"].isoformat())) + "\n")
        return
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(SERIES_COLUMNS)
        for row in rows:
            writer.writerow([_series_cell(row[c]) for c in SERIES_COLUMNS])
        sys.stdout.write(buffer.getvalue())
        return
    from powderkeg.coder.taxonomy import PLOVER_CATEGORIES

    table = Table(title=f"{pair.label()}: {len(rows)} {by.value}(s)", title_justify="left")
    for column in ("period", "events", "coop v/m", "conflict v/m", "conflict score", "goldstein", "balance",
                   "categories"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for row in rows:
        categories = ", ".join(f"{c} {row[c.lower()]}" for c in PLOVER_CATEGORIES if row[c.lower()])
        table.add_row(
            row["period"].isoformat(),
            str(row["events"]),
            f"{row['verbal_cooperation']}/{row['material_cooperation']}",
            f"{row['verbal_conflict']}/{row['material_conflict']}",
            _series_cell(row["conflict_score"]),
            _series_cell(row["goldstein"]),
            _series_cell(row["balance"]),
            categories,
        )
    out.print(table)


@app.command(name="alerts")
def alerts_command(
    db: DbOption = None,
    fmt: Annotated[AlertFormat, typer.Option("--format", "-f", help="Output format")] = AlertFormat.table,
    detect: Annotated[
        bool, typer.Option("--detect", help="First evaluate the rules over the stored events and store new alerts")
    ] = False,
    rules: Annotated[Path | None, typer.Option(help="Rules file (YAML) [default: the alert_rules setting]")] = None,
    since: Annotated[str | None, typer.Option(help="Only alerts whose window ends on or after this day")] = None,
    until: Annotated[str | None, typer.Option(help="With --detect: test windows ending up to this day")] = None,
    deliver: Annotated[
        bool, typer.Option("--deliver", help="With --detect: send new alerts to the alerts_jsonl file and webhooks")
    ] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many alerts")] = None,
    min_confidence: MinConfidenceOption = None,
) -> None:
    """List escalation alerts, newest first; with --detect, look for new ones first.

    An alert is a window of 1-2 days in which a dyad had significantly more conflict events than
    its own recent past predicts (docs/escalation.md), with the events and sentences behind it.
    Only events of at least min_confidence are counted; alerts counted at a lower threshold are
    not listed.
    """
    from powderkeg import alerts as alerting

    settings = _settings(db=db, alert_rules=str(rules) if rules else None, min_confidence=min_confidence)
    since_d, until_d = _date_option("--since", since), _date_option("--until", until)
    if detect:
        try:
            rule_set = alerting.load_rules(settings.alert_rules or None)
        except alerting.RulesError as exc:
            raise fail(str(exc)) from exc
        sinks = alerting.sinks_from_settings(settings, console=False) if deliver else []
        with _open_store(settings.db) as store:
            new = alerting.evaluate(
                store, rule_set, since_d, until_d, sinks=sinks, min_confidence=settings.min_confidence
            )
            report = alerting.deliver(store, sinks) if sinks else None
        err.print(f"{len(new)} new alert(s)", highlight=False)
        if report:
            for alert_key, sink, reason in report.failed:
                err.print(f"[yellow]not delivered[/yellow] {alert_key} to {sink}: {reason}", highlight=False)
    with _open_store(settings.db, read_only=True) as store:
        rows = alerting.stored_alerts(store, since_d, limit=limit, min_confidence=settings.min_confidence)
    if fmt is AlertFormat.json:
        for alert in rows:
            sys.stdout.write(json.dumps(alert.to_dict(), ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{len(rows)} alert(s)", title_justify="left", show_lines=True)
    for column in ("window", "rule", "observed / expected", "score", "top event"):
        table.add_column(column, overflow="fold")
    for alert in rows:
        window = alert.window_start.isoformat()
        if alert.window_end != alert.window_start:
            window += f" .. {alert.window_end.isoformat()}"
        top = alert.events[0] if alert.events else {}
        table.add_row(
            window,
            alert.rule,
            f"{alert.observed} / {alert.expected:.1f} (x{alert.ratio})",
            f"{alert.score:.1f}",
            (f"{top.get('type')}: {top.get('sentence')}\n{top.get('url') or ''}" if top else ""),
        )
    out.print(table)


@app.command(name="export")
def export_command(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="Output format")] = ExportFormat.jsonl,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here [default: stdout]")] = None,
    db: DbOption = None,
    dyad_option: Annotated[
        str | None, typer.Option("--dyad", help="Two sides separated by a comma, either direction: SRB,XKX")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only events on or after this date (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="Only events on or before this date")] = None,
    all_modalities: Annotated[
        bool, typer.Option("--all", help="Include negated, hypothetical and historical events")
    ] = False,
    min_confidence: MinConfidenceOption = None,
) -> None:
    """Export events for other tools: GDELT 2.0 event table, ACLED columns, Parquet, JSONL, CSV.

    gdelt: 61 tab-separated columns without a header, as GDELT's files; acled: ACLED's export
    columns, for events with an ACLED type; parquet needs -o. Events under min_confidence are
    left out.
    """
    from powderkeg.export import ExportError, export_events
    from powderkeg.series import SeriesError, parse_dyad

    settings = _settings(db=db, min_confidence=min_confidence)
    pair = None
    if dyad_option:
        parts = [p for p in dyad_option.split(",") if p.strip()]
        if len(parts) != 2:
            raise fail(f"--dyad takes two sides separated by a comma, e.g. SRB,XKX (got {dyad_option!r})")
        try:
            pair = parse_dyad(parts[0], parts[1])
        except SeriesError as exc:
            raise fail(str(exc)) from exc
    since_d, until_d = _date_option("--since", since), _date_option("--until", until)
    if fmt is ExportFormat.parquet and output is None:
        raise fail("parquet is a binary format: give an output file with -o FILE.parquet")
    with _open_store(settings.db, read_only=True) as store:
        try:
            n = export_events(
                store,
                fmt.value,
                output or sys.stdout,
                pair,
                since_d,
                until_d,
                not all_modalities,
                min_confidence=settings.min_confidence,
            )
        except ExportError as exc:
            raise fail(str(exc)) from exc
    err.print(f"{n} row(s) exported as {fmt.value}" + (f" to {output}" if output else ""), highlight=False)


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on; 0.0.0.0 for every one")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
) -> None:
    """Serve the dashboard (http://HOST:PORT/) and the HTTP API over the database.

    Read-only, unless the api_token setting (POWDERKEG_API_TOKEN) is set: then POST /api/ingest
    codes pages sent with that token, and this server is the database's only writer. docs/api.md
    lists the endpoints.
    """
    import uvicorn

    from powderkeg.api import create_app
    from powderkeg.api.app import loopback_hosts
    from powderkeg.store import StoreError

    settings = _settings(db=db)
    if not settings.api_token and not Path(settings.db).exists():
        raise fail(f"no database at {settings.db}; run 'powderkeg ingest PATH' (or 'powderkeg demo') first")
    try:
        application = create_app(settings, allowed_hosts=loopback_hosts(host))
    except (StoreError, ConfigError) as exc:
        raise fail(str(exc)) from exc
    mode = "read-write, POST /api/ingest on" if settings.api_token else "read-only"
    err.print(f"serving {settings.db} ({mode}) at http://{host}:{port}/", highlight=False)
    uvicorn.run(application, host=host, port=port, server_header=False, limit_concurrency=100, log_level="info")


def main() -> None:
    app()
