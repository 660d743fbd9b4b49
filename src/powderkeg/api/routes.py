"""The HTTP API's endpoints. Reads go through :mod:`powderkeg.api.queries` on a read-only cursor;
the one write, ``POST /api/ingest``, needs the configured bearer token.

No ``from __future__ import annotations`` here: FastAPI reads the annotations of the endpoint
functions, some of which name values local to :func:`build_router` (the page size limit).
"""

import math
from datetime import date, timedelta
from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import StringConstraints

from powderkeg.api import queries
from powderkeg.api.db import Database
from powderkeg.api.schemas import (
    AlertsOut,
    ArticleOut,
    EventDetail,
    EventPage,
    Health,
    HtmlIn,
    IngestOut,
    MetaOut,
    Points,
    Problem,
    SeriesOut,
    TextIn,
)
from powderkeg.config import Settings

#: The longest span a series may cover when ``since`` and ``until`` are given, in periods.
MAX_SERIES_PERIODS = 5000

_bearer = HTTPBearer(auto_error=False, description="The server's api_token")
_TypeList = Annotated[str, StringConstraints(max_length=200, pattern=queries.TYPES_PATTERN)]
_ID = Path(min_length=1, max_length=64, description="The id as the API gave it")
_SIDE_PART = r"(?:[A-Za-z]{3}(?:@[A-Za-z][A-Za-z0-9_.-]*)?|@[A-Za-z][A-Za-z0-9_.-]*)"
_SIDE = Path(
    min_length=1,
    max_length=60,
    pattern=rf"^{_SIDE_PART}(?:\+{_SIDE_PART})*\s*$",
    description="A dyad side as for 'powderkeg dyad': SRB, XKX@srb, SRB+@srb (sector filters with '/' "
    "cannot travel in a path segment)",
)


def _problem(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": Problem, "description": description}}


_BAD_FILTER = _problem(400, "A filter value that cannot be used")
_NOT_FOUND = _problem(404, "No such id")


def _db(request: Request) -> Database:
    return request.app.state.db


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: such numbers become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    page_size = Query(ge=1, le=settings.api_max_page_size, description="Events per page")

    def confidence_threshold(
        min_confidence: Annotated[
            float | None,
            Query(
                ge=0,
                le=1,
                allow_inf_nan=False,
                description="Leave out events under this confidence, 0 to 1 (0: every event)"
                f" [default: the server's min_confidence setting, {settings.min_confidence:g}]",
            ),
        ] = None,
    ) -> float:
        return settings.min_confidence if min_confidence is None else min_confidence

    MinConfidence = Annotated[float, Depends(confidence_threshold)]

    def event_filter(
        threshold: MinConfidence,
        dyad: Annotated[
            str | None,
            Query(max_length=20, pattern=queries.DYAD_PATTERN, description="Two countries, either direction: SRB,XKX"),
        ] = None,
        actor: Annotated[
            str | None,
            Query(
                max_length=50,
                pattern=queries.ACTOR_PATTERN,
                description="An actor code or its start (SRB, SRBMIL, IGO) or an organisation (KFOR)",
            ),
        ] = None,
        country: Annotated[
            str | None,
            Query(
                max_length=10,
                pattern=queries.COUNTRY_PATTERN,
                description="Where it happened: the location's country (ISO 3166-1 alpha-3)",
            ),
        ] = None,
        type: Annotated[
            list[_TypeList] | None,
            Query(description="PLOVER categories (repeat the parameter, or separate with commas): ASSAULT,COERCE"),
        ] = None,
        acled_type: Annotated[str | None, Query(max_length=60, description="An ACLED event type")] = None,
        since: Annotated[date | None, Query(description="Events on or after this date")] = None,
        until: Annotated[date | None, Query(description="Events on or before this date")] = None,
        bbox: Annotated[
            str | None,
            Query(
                max_length=120,
                pattern=queries.BBOX_PATTERN,
                description="west,south,east,north in degrees: 18,41,23,44 (west > east crosses the antimeridian)",
            ),
        ] = None,
        q: Annotated[str | None, Query(max_length=200, description="Words in the event's sentence")] = None,
        all: Annotated[bool, Query(description="Also negated, hypothetical and historical events")] = False,
    ) -> queries.EventFilter:
        try:
            return queries.EventFilter(
                dyad=queries.parse_dyad(dyad) if dyad else None,
                actor=queries.parse_actor(actor) if actor else None,
                country=queries.country_code(country) if country else None,
                types=queries.parse_types(type or []),
                acled_type=acled_type.strip() or None if acled_type else None,
                since=since,
                until=until,
                bbox=queries.parse_bbox(bbox) if bbox else None,
                text=q.strip() or None if q else None,
                include_all=all,
                min_confidence=threshold,
            )
        except queries.QueryError as exc:  # the patterns above let nothing through that fails here
            raise HTTPException(400, str(exc)) from exc

    FilterDep = Annotated[queries.EventFilter, Depends(event_filter)]
    DbDep = Annotated[Database, Depends(_db)]

    # exclude_unset: events go out as stored (the contract), without the schema's optional keys added
    @router.get(
        "/api/events",
        response_model=EventPage,
        response_model_exclude_unset=True,
        tags=["events"],
        responses=_BAD_FILTER,
    )
    def list_events(
        db: DbDep,
        f: FilterDep,
        limit: Annotated[int, page_size] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000, description="Events to skip")] = 0,
    ) -> dict[str, Any]:
        """Events matching every filter given, newest first, one page at a time."""
        with db.reading() as store:
            total, events = queries.list_events(store.con, f, limit, offset)
        return {"total": total, "limit": limit, "offset": offset, "events": events}

    @router.get("/api/events/points", response_model=Points, tags=["events"], responses=_BAD_FILTER)
    def event_points(db: DbDep, f: FilterDep) -> dict[str, Any]:
        """Where the matching events happened: the newest ones with coordinates, for a map."""
        with db.reading() as store:
            total, points = queries.event_points(store.con, f)
        return {"total": total, "truncated": total > len(points), "points": points}

    @router.get(
        "/api/events/{event_id}",
        response_model=EventDetail,
        response_model_exclude_unset=True,
        tags=["events"],
        responses=_NOT_FOUND,
    )
    def get_event(db: DbDep, event_id: Annotated[str, _ID], threshold: MinConfidence) -> dict[str, Any]:
        """One event, the article it was coded from, where it is mentioned and its sentences (404
        when it is under ``min_confidence``)."""
        with db.reading() as store:
            found = queries.get_event(store, event_id, threshold)
        if found is None:
            raise HTTPException(404, f"no event {event_id!r}")
        return found

    @router.get(
        "/api/articles/{article_id}",
        response_model=ArticleOut,
        response_model_exclude_unset=True,
        tags=["articles"],
        responses=_NOT_FOUND,
    )
    def get_article(db: DbDep, article_id: Annotated[str, _ID], threshold: MinConfidence) -> dict[str, Any]:
        """One stored document: its metadata, status, text, sentences and events."""
        with db.reading() as store:
            found = queries.get_article(store.con, article_id, threshold)
        if found is None:
            raise HTTPException(404, f"no article {article_id!r}")
        return found

    @router.get("/api/dyads/{a}/{b}/series", response_model=SeriesOut, tags=["dyads"], responses=_BAD_FILTER)
    def dyad_series(
        db: DbDep,
        a: Annotated[str, _SIDE],
        b: Annotated[str, _SIDE],
        threshold: MinConfidence,
        by: Annotated[Literal["day", "week"], Query(description="One row per day or per ISO week")] = "day",
        since: Annotated[date | None, Query(description="First day (default: the dyad's first event)")] = None,
        until: Annotated[date | None, Query(description="Last day (default: the dyad's last event)")] = None,
        directed: Annotated[bool, Query(description="Only a as source and b as target")] = False,
    ) -> dict[str, Any]:
        """The dyad's actual events per day or week, zero-filled (see ``powderkeg dyad``)."""
        from powderkeg.series import SeriesError, dyad_series, parse_dyad

        try:
            dyad = parse_dyad(a, b, directed)
        except SeriesError as exc:
            raise HTTPException(400, str(exc)) from exc
        if since and until and (until - since) // timedelta(days=1 if by == "day" else 7) > MAX_SERIES_PERIODS:
            raise HTTPException(400, f"more than {MAX_SERIES_PERIODS} {by}s: narrow since/until or use by=week")
        try:
            with db.reading() as store:
                rows = dyad_series(store, dyad, by=by, since=since, until=until, min_confidence=threshold)
        except SeriesError as exc:
            raise HTTPException(400, str(exc)) from exc
        return {"dyad": dyad.label(), "directed": directed, "by": by, "rows": _finite(rows)}

    @router.get("/api/alerts", response_model=AlertsOut, tags=["alerts"], responses=_problem(503, "No alerts table"))
    def list_alerts(
        db: DbDep,
        threshold: MinConfidence,
        since: Annotated[date | None, Query(description="Alerts whose window ends on or after this day")] = None,
        rule: Annotated[str | None, Query(max_length=200, description="Only this rule's alerts")] = None,
        limit: Annotated[int, Query(ge=1, le=settings.api_max_page_size, description="At most this many")] = 100,
    ) -> dict[str, Any]:
        """Stored escalation alerts, newest window first (``powderkeg alerts``): those counted from
        events of at least ``min_confidence``."""
        from powderkeg.alerts import stored_alerts

        try:
            with db.reading() as store:
                alerts = stored_alerts(store, since=since, rule=rule, limit=limit, min_confidence=threshold)
        except duckdb.CatalogException as exc:
            raise HTTPException(503, "this database has no alerts table; open it read-write once to migrate") from exc
        return {"alerts": [_finite(a.to_dict()) for a in alerts]}

    @router.get("/api/meta", response_model=MetaOut, tags=["meta"])
    def meta(request: Request, db: DbDep, threshold: MinConfidence) -> dict[str, Any]:
        """What the filters take (PLOVER and ACLED types) and how much is stored."""
        with db.reading() as store:
            out = queries.meta(store.con, threshold)
        out["ingest"] = bool(request.app.state.settings.api_token) and db.writable
        return out

    @router.get("/healthz", response_model=Health, tags=["meta"], responses=_problem(503, "The database fails"))
    def healthz(db: DbDep) -> dict[str, Any]:
        """The server is up and its database answers."""
        try:
            with db.reading() as store:
                version = store.version()
        except duckdb.Error as exc:
            raise HTTPException(503, f"database error: {str(exc).splitlines()[0]}") from exc
        return {"status": "ok", "schema_version": version, "read_only": not db.writable}

    @router.post(
        "/api/ingest",
        response_model=IngestOut,
        tags=["ingest"],
        responses={
            **_problem(400, "A body that cannot be parsed as JSON"),
            **_problem(401, "Missing or wrong bearer token"),
            **_problem(403, "Ingest is off on this server (no api_token)"),
            **_problem(413, "Request body too large"),
            **_problem(503, "The spaCy model cannot be loaded"),
        },
    )
    def ingest(
        request: Request,
        db: DbDep,
        body: TextIn | HtmlIn,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> dict[str, Any]:
        """Code one page (``html``) or text (``text``) and store it. Needs ``Authorization: Bearer
        <api_token>``. Re-posting the same content changes nothing (``stored`` false). Every event
        is stored; ``events`` lists those shown at the server's ``min_confidence``."""
        from powderkeg.api.ingest import document, ingest, token_matches
        from powderkeg.nlp import ModelError

        token = request.app.state.settings.api_token
        if not token or not db.writable:
            raise HTTPException(403, "ingest is off on this server: set api_token (POWDERKEG_API_TOKEN)")
        if not token_matches(credentials.credentials if credentials else None, token):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
        text, html = (body.text, None) if isinstance(body, TextIn) else (None, body.html)
        doc = document(text, html, body.id, body.title, body.url, body.published)
        try:
            result = ingest(db, request.app.state.pipeline(), doc, request.app.state.settings.min_confidence)
        except ModelError as exc:
            raise HTTPException(503, str(exc)) from exc
        return result.__dict__

    return router
