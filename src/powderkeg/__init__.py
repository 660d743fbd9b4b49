"""powderkeg: conflict news in, coded events out.

>>> from powderkeg import Pipeline
>>> coded = Pipeline().code_text("Rebels attacked a police station in Goma.", published="2024-03-02")
>>> [e.type for e in coded.events]
['ASSAULT']
"""

from powderkeg.config import Settings, load_settings
from powderkeg.model import Actor, Article, Event, Place, Status
from powderkeg.pipeline import Coded, IngestReport, Pipeline
from powderkeg.store import Store, open_store

__version__ = "0.1.0"

__all__ = [
    "Actor",
    "Article",
    "Coded",
    "Event",
    "IngestReport",
    "Pipeline",
    "Place",
    "Settings",
    "Status",
    "Store",
    "load_settings",
    "open_store",
]
