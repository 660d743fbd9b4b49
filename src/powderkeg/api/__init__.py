"""The HTTP API and the dashboard: ``powderkeg serve``, or :func:`create_app` in your own server."""

from powderkeg.api.app import create_app
from powderkeg.api.db import Database
from powderkeg.api.queries import EventFilter, QueryError

__all__ = ["Database", "EventFilter", "QueryError", "create_app"]
