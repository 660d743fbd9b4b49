"""Geoparsing: the gazetteer index, toponyms -> places, and each event's place.

from powderkeg.geo import Geoparser
geo = Geoparser()                      # opens (or builds once) the gazetteer index
mentions = geo.places(doc)             # doc: a spaCy Doc parsed with NER
place = geo.event_place(doc, trigger_i, mentions)
"""

from powderkeg.geo.gazetteer import Gazetteer, GazetteerError, GazPlace, load_gazetteer
from powderkeg.geo.locate import EventLocation, locate_event
from powderkeg.geo.parser import Geoparser, geoparse_jsonl, geoparse_records
from powderkeg.geo.resolve import PRECISION, PlaceMention

__all__ = [
    "PRECISION",
    "EventLocation",
    "GazPlace",
    "Gazetteer",
    "GazetteerError",
    "Geoparser",
    "PlaceMention",
    "geoparse_jsonl",
    "geoparse_records",
    "load_gazetteer",
    "locate_event",
]
