"""Archives at scale: the pipeline's own stages over shards of the input, locally or on Ray, into
Parquet that DuckDB (and pandas, Polars, Spark, ...) read directly.

>>> from powderkeg.batch import run_batch, load_batch          # doctest: +SKIP
>>> report = run_batch(["news/"], "out/", engine="ray")         # doctest: +SKIP
>>> with open_store("powderkeg.duckdb") as store:               # doctest: +SKIP
...     load_batch("out/", store)

See ``docs/scaling.md``. Needs pyarrow (``pip install 'powderkeg[batch]'``); the Ray engine needs
Ray (``pip install 'powderkeg[ray]'``), imported only when it is used.
"""

from powderkeg.batch.load import load_batch
from powderkeg.batch.output import Outcome, OutputDir, OutputError, code_shard, run_shard
from powderkeg.batch.rows import ShardTables
from powderkeg.batch.run import ENGINES, BatchError, BatchReport, run_batch
from powderkeg.batch.shards import Shard, ShardError, plan, read_shard

__all__ = [
    "ENGINES",
    "BatchError",
    "BatchReport",
    "Outcome",
    "OutputDir",
    "OutputError",
    "Shard",
    "ShardError",
    "ShardTables",
    "code_shard",
    "load_batch",
    "plan",
    "read_shard",
    "run_batch",
    "run_shard",
]
