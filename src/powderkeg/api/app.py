"""The FastAPI application: the HTTP API under ``/api``, the dashboard at ``/``, ``/healthz``.

    from powderkeg.api import create_app
    app = create_app("powderkeg.duckdb")          # or create_app(settings)
    # uvicorn.run(app)  -- what ``powderkeg serve`` does

Everything is served from the package: no CDN, no map tiles, no fonts from elsewhere.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from powderkeg import __version__
from powderkeg.api.db import Database
from powderkeg.api.routes import build_router
from powderkeg.api.security import BodyLimit, SecurityHeaders
from powderkeg.config import ConfigError, Settings, load_settings
from powderkeg.pipeline import Pipeline
from powderkeg.store import check_min_confidence

#: A shorter token is refused: it could be guessed.
MIN_TOKEN_LENGTH = 16

WEB_DIR = Path(str(resources.files("powderkeg") / "web"))

#: The dashboard's own pages; each is the same single page, which reads the path and the query.
DASHBOARD_PATHS = ("/", "/events/{event_id}", "/articles/{article_id}", "/alerts")


def create_app(
    settings: Settings | str | Path | None = None,
    *,
    pipeline: Pipeline | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> FastAPI:
    """The app over a database: ``settings`` (its ``db``, ``api_*``), or a database path with the
    other settings loaded as usual, or None for :func:`~powderkeg.config.load_settings`.

    The database is opened read-only unless ``api_token`` is set (then ``POST /api/ingest`` can
    write; ``pipeline`` is the one it uses, built on first use when not given). ``allowed_hosts``
    limits the ``Host`` header a request may carry (DNS-rebinding protection for a local server).
    """
    if not isinstance(settings, Settings):
        settings = load_settings(db=str(settings)) if settings is not None else load_settings()
    try:
        check_min_confidence(settings.min_confidence)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if settings.api_token and len(settings.api_token) < MIN_TOKEN_LENGTH:
        raise ConfigError(f"api_token must be at least {MIN_TOKEN_LENGTH} characters; generate one with "
                          "python -c 'import secrets; print(secrets.token_urlsafe(32))'")  # fmt: skip
    db = Database(settings.db, writable=bool(settings.api_token))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        db.close()

    app = FastAPI(
        title="powderkeg",
        version=__version__,
        description="Coded conflict events: who did what to whom, when, where, from which sentence.",
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: the schema is at /openapi.json
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.pipeline = _lazy_pipeline(settings, pipeline)
    app.include_router(build_router(settings))

    index = WEB_DIR / "index.html"

    def page() -> FileResponse:
        return FileResponse(index, media_type="text/html; charset=utf-8")

    for path in DASHBOARD_PATHS:
        app.add_api_route(path, page, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_request_bytes)
    app.add_middleware(SecurityHeaders)
    return app


def _lazy_pipeline(settings: Settings, given: Pipeline | None) -> Callable[[], Pipeline]:
    lock = threading.Lock()
    holder: list[Pipeline] = [given] if given is not None else []

    def get() -> Pipeline:
        with lock:
            if not holder:
                pipeline = Pipeline(settings)
                pipeline.nlp  # noqa: B018 - load now: a missing model is one clear error
                holder.append(pipeline)
            return holder[0]

    return get


def loopback_hosts(host: str) -> list[str] | None:
    """The Host headers to accept for a server bound to ``host``: the loopback names when it
    listens on loopback only, None (any) otherwise."""
    if host in ("127.0.0.1", "localhost", "::1"):
        return ["127.0.0.1", "localhost", "[::1]"]
    return None
