"""The Ray engine: the shards as a Ray Dataset, coded by a pool of actors.

Each actor (:class:`ShardWorker`) takes one CPU and builds one :class:`~powderkeg.pipeline.Pipeline`
when it starts (parsing in its own process: ``parse_processes=1``), so spaCy and the dictionaries
load once per worker, then runs :func:`~powderkeg.batch.output.run_shard`
on each shard it is given: the same function the local engine runs. Workers write their shard's
files themselves; the driver only receives a small outcome per shard.

Failures: an exception while coding a shard is retried inside the worker (``shard_retries``) and
then recorded in ``_failed/``. A worker process that dies (a crash, the out-of-memory killer) is
restarted by Ray and its shard retried ``shard_retries`` times; a shard that still has no outcome
is recorded as failed by the driver. Nothing is dropped silently.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from powderkeg.batch.output import Outcome, OutputDir, run_shard
from powderkeg.batch.shards import Shard
from powderkeg.config import Settings
from powderkeg.pipeline import Pipeline


class ShardWorker:
    """A Ray Data actor: one loaded pipeline, many shards."""

    def __init__(self, settings: Settings, out: str) -> None:
        if getattr(settings, "parse_processes", 1) != 1:  # one CPU per worker: parse in the worker itself
            settings = replace(settings, parse_processes=1)
        self.pipeline = Pipeline(settings)
        self.pipeline.nlp  # noqa: B018 - load the model and dictionaries once, before the first shard
        self.pipeline.coder  # noqa: B018
        self.out = OutputDir(out)
        self.retries = settings.shard_retries

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        outcomes = []
        for text in batch["shard"]:
            shard = Shard.from_dict(json.loads(str(text)))
            outcome = run_shard(shard, self.pipeline, self.out, self.retries)
            outcomes.append(json.dumps(outcome.to_dict()))
        return {"outcome": outcomes}


def _import_ray() -> Any:
    from powderkeg.batch.run import BatchError

    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise BatchError("the Ray engine needs Ray: pip install 'powderkeg[ray]'") from exc
    return ray


def run_on_ray(
    todo: list[Shard],
    settings: Settings,
    output: OutputDir,
    address: str | None,
    workers: int | None,
    record: Callable[[Outcome], None],
) -> None:
    from powderkeg.batch.run import BatchError

    ray = _import_ray()
    started = False
    if not ray.is_initialized():
        try:
            if address and address.startswith("ray://"):
                ray.init(address=address)  # Ray Client: the options go to the server's ray.init
            elif address or os.environ.get("RAY_ADDRESS"):  # a running cluster (RAY_ADDRESS in a Ray job)
                ray.init(address=address, logging_level=logging.WARNING)
            else:  # a local instance for this run
                ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise BatchError(f"cannot start or reach Ray{f' at {address}' if address else ''}: {exc}") from exc
        started = True
    quiet = logging.getLogger("ray.data")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # Ray Data's own progress notes; a shard that kills its worker still shows
    with warnings.catch_warnings():  # Ray 2.60's own context warns about its own deprecated defaults
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ray.data.DataContext.get_current()
    saved = (context.enable_progress_bars, context.print_on_execution_start, context.max_errored_blocks)
    # no progress bars of Ray's own (the CLI draws one); a shard that kills its worker more often
    # than it may be retried must not stop the others: it is reported below
    context.enable_progress_bars, context.print_on_execution_start, context.max_errored_blocks = False, False, -1
    out = output.location if "://" in output.location else output.root
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        size = max(1, min(workers or cpus, len(todo)))
        items = [{"shard": json.dumps(s.to_dict())} for s in todo]
        data = ray.data.from_items(items, override_num_blocks=len(items))
        with warnings.catch_warnings():
            # Ray 2.60 has no named parameter for task retries yet (the kwargs form is deprecated)
            warnings.simplefilter("ignore", DeprecationWarning)
            data = data.map_batches(
                ShardWorker,
                batch_size=1,
                compute=ray.data.ActorPoolStrategy(size=size),
                num_cpus=1,
                fn_constructor_kwargs={"settings": settings, "out": out},
                max_task_retries=settings.shard_retries,
            )
        seen: set[str] = set()
        for row in data.iter_rows():
            outcome = Outcome.from_dict(json.loads(row["outcome"]))
            seen.add(outcome.shard_id)
            record(outcome)
        for shard in todo:
            if shard.shard_id not in seen:
                attempts = settings.shard_retries + 1
                error = f"the Ray worker coding it died {attempts} time(s) (a crash or out of memory; see the Ray logs)"
                output.mark_failed(shard, error, attempts)
                record(Outcome(shard.shard_id, shard.origin, False, attempts, error))
    finally:
        context.enable_progress_bars, context.print_on_execution_start, context.max_errored_blocks = saved
        quiet.setLevel(level)
        if started:
            ray.shutdown()
