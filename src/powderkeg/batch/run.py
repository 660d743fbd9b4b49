"""``powderkeg batch``: plan the shards, skip the done ones, code the rest locally or on Ray."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from powderkeg.batch.output import Outcome, OutputDir, run_shard
from powderkeg.batch.shards import Shard, plan
from powderkeg.config import Settings, load_settings
from powderkeg.pipeline import Pipeline

ENGINES = ("local", "ray")


class BatchError(RuntimeError):
    """The batch cannot run (unknown engine, Ray missing or unreachable); the message says what to do."""


@dataclass
class BatchReport:
    """What a batch run did, shard by shard."""

    out: str
    engine: str
    planned: int = 0  # shards of the inputs
    skipped: int = 0  # already done by an earlier run
    superseded: list[str] = field(default_factory=list)  # older shards of changed files, removed
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # inputs: (input, status, reason)
    seconds: float = 0.0

    @property
    def done(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def documents(self) -> int:
        return sum(o.documents for o in self.done)

    @property
    def events(self) -> int:
        return sum(o.events for o in self.done)

    @property
    def statuses(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for o in self.done:
            total.update(o.statuses or {})
        return total

    @property
    def complete(self) -> bool:
        """Every shard of every input is done: the output is the whole of the input."""
        return not self.failed and not self.problems


def run_batch(
    inputs: Sequence[str | Path],
    out: str | Path,
    *,
    engine: str = "local",
    address: str | None = None,
    workers: int | None = None,
    settings: Settings | None = None,
    pipeline: Pipeline | None = None,
    on_plan: Callable[[int, int], None] | None = None,
    on_shard: Callable[[Outcome], None] | None = None,
) -> BatchReport:
    """Code ``inputs`` into Parquet files under ``out``, skipping shards an earlier run finished.

    ``engine="local"`` codes the shards one after another in this process (with ``pipeline`` when
    given); ``engine="ray"`` codes them on a Ray cluster: a local one, or the one at ``address``
    (``auto``, ``ray://host:10001``) or the already initialised one. ``on_plan(todo, skipped)`` is
    called once the shards are known, ``on_shard(outcome)`` after each shard.
    """
    if engine not in ENGINES:
        raise BatchError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if pipeline is not None and settings is not None and pipeline.settings != settings:
        raise ValueError("pass settings or a pipeline built with them, not both with different settings")
    settings = pipeline.settings if pipeline is not None else settings or load_settings()
    began = time.perf_counter()
    output = OutputDir(str(out))
    report = BatchReport(out=str(out), engine=engine)
    shards, problems = plan([str(i) for i in inputs], settings)
    report.problems = [(p.origin, str(p.status), p.reason or "") for p in problems]
    output.start(settings)
    report.superseded = output.remove_superseded(shards)
    done = output.done_ids()
    todo = [s for s in shards if s.shard_id not in done]
    report.planned, report.skipped = len(shards), len(shards) - len(todo)
    if on_plan:
        on_plan(len(todo), report.skipped)

    def record(outcome: Outcome) -> None:
        report.outcomes.append(outcome)
        if on_shard:
            on_shard(outcome)

    if todo:
        if engine == "local":
            _run_local(todo, pipeline or Pipeline(settings), output, settings.shard_retries, record)
        else:
            from powderkeg.batch.ray_engine import run_on_ray

            run_on_ray(todo, settings, output, address, workers, record)
    report.seconds = time.perf_counter() - began
    return report


def _run_local(
    todo: list[Shard], pipeline: Pipeline, output: OutputDir, retries: int, record: Callable[[Outcome], None]
) -> None:
    for shard in todo:
        record(run_shard(shard, pipeline, output, retries))
