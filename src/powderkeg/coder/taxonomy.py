"""Event taxonomies: PLOVER 2.0 categories and modes, CAMEO codes, and ACLED event types.

The data live in tab-separated tables under ``powderkeg/data/taxonomy`` (see the README there for
columns, sources and licences); this module reads them once and answers typed look-ups:

* ``is_valid``, ``modes``, ``canonical_mode``: which PLOVER labels exist;
* ``quad``, ``intensity``, ``describe``: PLOVER quad class (1..4) and conflict-cooperation score;
* ``cameo_for`` / ``plover_for_cameo``: the CAMEO <-> PLOVER crosswalk, plus ``goldstein``,
  ``cameo_quad``, ``cameo_name`` and ``cameo_root`` for CAMEO codes;
* ``acled_for``: the ACLED event type and sub-type a PLOVER event corresponds to, given what is
  known about the actors (armed or not) and optional context keywords;
* ``code``: all of the above for one event, as a frozen ``Coding``.

Look-ups accept category names in any case and a few legacy mode spellings (``MODE_ALIASES``,
e.g. the PLOVER 0.x ``demo-org`` or NGEC's ``assassinate``). A mode the tables do not know is
ignored and the category-level row answers; an unknown category raises ``ValueError``.

A directory named by ``POWDERKEG_TAXONOMY_DIR`` (or passed to ``use_tables``) can hold edited
copies of any of the tables; a file found there replaces the packaged one of the same name.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = [
    "ACLED_EVENT_TYPES",
    "ACLED_SUBTYPES",
    "MODE_ALIASES",
    "PLOVER_CATEGORIES",
    "QUAD_NAMES",
    "ROLES",
    "TABLE_COLUMNS",
    "TABLES_ENV",
    "Coding",
    "TaxonomyError",
    "acled_for",
    "cameo_for",
    "cameo_name",
    "cameo_quad",
    "cameo_root",
    "canonical_mode",
    "code",
    "describe",
    "goldstein",
    "intensity",
    "is_valid",
    "load_table",
    "modes",
    "plover_for_cameo",
    "quad",
    "sector_role",
    "use_tables",
]

TABLES_ENV = "POWDERKEG_TAXONOMY_DIR"

PLOVER_CATEGORIES: tuple[str, ...] = (
    "AGREE",
    "CONSULT",
    "SUPPORT",
    "CONCEDE",
    "COOPERATE",
    "AID",
    "RETREAT",
    "REQUEST",
    "ACCUSE",
    "REJECT",
    "THREATEN",
    "PROTEST",
    "SANCTION",
    "MOBILIZE",
    "COERCE",
    "ASSAULT",
)

QUAD_NAMES: dict[int, str] = {
    1: "verbal cooperation",
    2: "material cooperation",
    3: "verbal conflict",
    4: "material conflict",
}

# ACLED's 25 sub-event types and the event type each belongs to (spelled as ACLED does).
ACLED_SUBTYPES: dict[str, str] = {
    "Armed clash": "Battles",
    "Government regains territory": "Battles",
    "Non-state actor overtakes territory": "Battles",
    "Chemical weapon": "Explosions/Remote violence",
    "Air/drone strike": "Explosions/Remote violence",
    "Suicide bomb": "Explosions/Remote violence",
    "Shelling/artillery/missile attack": "Explosions/Remote violence",
    "Remote explosive/landmine/IED": "Explosions/Remote violence",
    "Grenade": "Explosions/Remote violence",
    "Sexual violence": "Violence against civilians",
    "Attack": "Violence against civilians",
    "Abduction/forced disappearance": "Violence against civilians",
    "Peaceful protest": "Protests",
    "Protest with intervention": "Protests",
    "Excessive force against protesters": "Protests",
    "Violent demonstration": "Riots",
    "Mob violence": "Riots",
    "Agreement": "Strategic developments",
    "Arrests": "Strategic developments",
    "Change to group/activity": "Strategic developments",
    "Disrupted weapons use": "Strategic developments",
    "Headquarters or base established": "Strategic developments",
    "Looting/property destruction": "Strategic developments",
    "Non-violent transfer of territory": "Strategic developments",
    "Other": "Strategic developments",
}
ACLED_EVENT_TYPES: tuple[str, ...] = tuple(dict.fromkeys(ACLED_SUBTYPES.values()))

# Mode spellings from older PLOVER drafts, the PLOVER gold standard records and the NGEC codebook,
# mapped to the PLOVER 2.0 mode of the same category ("" = no 2.0 mode fits: category only).
MODE_ALIASES: dict[tuple[str, str], str] = {
    ("CONSULT", "host"): "visit",  # 2.0 codes the visitor as actor, the host as recipient
    ("RETREAT", "return"): "",
    ("RETREAT", "ease"): "",
    ("THREATEN", "ban"): "restrict",
    ("THREATEN", "rights"): "restrict",
    ("THREATEN", "political"): "restrict",
    ("THREATEN", "curfew"): "restrict",
    ("THREATEN", "martial-law"): "restrict",
    ("PROTEST", "demo-org"): "demo",
    ("PROTEST", "demo-spon"): "demo",
    ("PROTEST", "riot-org"): "riot",
    ("PROTEST", "riot-spon"): "riot",
    ("PROTEST", "strike-gen"): "strike",
    ("PROTEST", "strike-hun"): "hunger",
    ("PROTEST", "hunger-strike"): "hunger",
    ("COERCE", "ban"): "restrict",
    ("COERCE", "confiscate"): "seize",
    ("COERCE", "detain"): "arrest",
    ("ASSAULT", "assassinate"): "targeted",
    ("ASSAULT", "execute"): "targeted",
    ("ASSAULT", "massacre"): "targeted",
    ("ASSAULT", "cleansing"): "",
    ("ASSAULT", "other"): "",
}

# Actor roles used by the ACLED rules. "armed" = any organised armed actor; "state" and
# "nonstate" are the two kinds of armed actor; "civilian" = unarmed.
ROLES: tuple[str, ...] = ("armed", "state", "nonstate", "civilian")

# PLOVER sector codes -> role (sectors not listed, e.g. GOV, CRM, UNK, PRE, give no role).
_SECTOR_ROLES: dict[str, str] = {
    "MIL": "state",
    "COP": "state",
    "SPY": "state",
    "PRM": "armed",
    "REB": "nonstate",
    "UAF": "nonstate",
    **{
        s: "civilian"
        for s in (
            "CVL",
            "JUD",
            "LEG",
            "PTY",
            "AGR",
            "BUS",
            "EDU",
            "ELI",
            "JRN",
            "LAB",
            "MED",
            "REF",
            "OPP",
            "REL",
            "SOC",
        )
    },
}

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "plover.tsv": ("category", "mode", "quad", "intensity", "description"),
    "cameo.tsv": ("code", "name", "goldstein", "quad", "root", "plover", "plover_mode"),
    "plover_to_cameo.tsv": ("category", "mode", "cameo", "basis"),
    "plover_to_acled.tsv": (
        "category",
        "mode",
        "context",
        "source_sector",
        "target_sector",
        "acled_type",
        "acled_subtype",
    ),
}

_SECTOR_VALUES = frozenset({"*", *ROLES})


class TaxonomyError(ValueError):
    """A taxonomy table that is missing, malformed or inconsistent."""


# ---------------------------------------------------------------------------------------------
# Reading the tables


_override_dir: Path | None = None


def use_tables(directory: str | os.PathLike[str] | None) -> None:
    """Read tables from ``directory`` where it has them (None: back to ``$POWDERKEG_TAXONOMY_DIR``
    or the packaged tables). Tables are read and checked again on the next look-up."""
    global _override_dir
    _override_dir = Path(directory) if directory is not None else None
    _load.cache_clear()  # also re-reads a directory whose files were edited in place


def _table_dir() -> str | None:
    if _override_dir is not None:
        return str(_override_dir)
    return os.environ.get(TABLES_ENV) or None


def _read_text(name: str, override: str | None) -> tuple[str, str]:
    if override:
        path = Path(override) / name
        if path.is_file():
            return path.read_text(encoding="utf-8"), str(path)
    res = resources.files("powderkeg") / "data" / "taxonomy" / name
    try:
        return res.read_text(encoding="utf-8"), f"powderkeg/data/taxonomy/{name}"
    except FileNotFoundError as exc:
        raise TaxonomyError(f"taxonomy table {name} is missing from the package") from exc


def _parse(name: str, override: str | None) -> list[tuple[int, dict[str, str]]]:
    if name not in TABLE_COLUMNS:
        raise TaxonomyError(f"unknown taxonomy table {name!r}; known: {', '.join(TABLE_COLUMNS)}")
    text, where = _read_text(name, override)
    columns = TABLE_COLUMNS[name]
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            if tuple(header) != columns:
                raise TaxonomyError(f"{where}:{lineno}: columns are {header}, expected {list(columns)}")
            continue
        if len(cells) != len(columns):
            raise TaxonomyError(f"{where}:{lineno}: {len(cells)} fields, expected {len(columns)} ({columns})")
        rows.append((lineno, {c: v.strip() for c, v in zip(columns, cells, strict=True)}))
    if header is None:
        raise TaxonomyError(f"{where}: no header line")
    return rows


def load_table(name: str) -> list[dict[str, str]]:
    """The rows of one table (e.g. ``"cameo.tsv"``) as dicts keyed by its declared columns."""
    return [row for _, row in _parse(name, _table_dir())]


@dataclass(frozen=True)
class _PloverRow:
    quad: int
    intensity: float
    description: str


@dataclass(frozen=True)
class _CameoRow:
    name: str
    goldstein: float
    quad: int
    plover: str
    plover_mode: str


@dataclass(frozen=True)
class _AcledRule:
    mode: str
    context: str
    source: str
    target: str
    acled_type: str
    acled_subtype: str


@dataclass(frozen=True)
class _Tables:
    plover: dict[tuple[str, str], _PloverRow]
    modes: dict[str, tuple[str, ...]]
    cameo: dict[str, _CameoRow]
    to_cameo: dict[tuple[str, str], str]
    acled: dict[str, tuple[_AcledRule, ...]]


def _number(value: str, where: str, what: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise TaxonomyError(f"{where}: {what} {value!r} is not a number") from None


def _quad_value(value: str, where: str) -> int:
    if value not in {"1", "2", "3", "4"}:
        raise TaxonomyError(f"{where}: quad {value!r} is not 1, 2, 3 or 4")
    return int(value)


@functools.lru_cache(maxsize=4)
def _load(override: str | None) -> _Tables:
    plover: dict[tuple[str, str], _PloverRow] = {}
    modes: dict[str, list[str]] = {}
    for lineno, r in _parse("plover.tsv", override):
        where = f"plover.tsv:{lineno}"
        key = (r["category"], r["mode"])
        if key in plover:
            raise TaxonomyError(f"{where}: duplicate row for {key}")
        plover[key] = _PloverRow(
            _quad_value(r["quad"], where),
            _number(r["intensity"], where, "intensity"),
            r["description"],
        )
        modes.setdefault(r["category"], [])
        if r["mode"]:
            modes[r["category"]].append(r["mode"])
    for cat in modes:
        if (cat, "") not in plover:
            raise TaxonomyError(f"plover.tsv: category {cat} has no row with an empty mode")

    def check_pair(cat: str, mode: str, where: str) -> None:
        if cat not in modes:
            raise TaxonomyError(f"{where}: unknown PLOVER category {cat!r}")
        if mode and mode not in modes[cat]:
            raise TaxonomyError(f"{where}: {cat} has no mode {mode!r}")

    cameo: dict[str, _CameoRow] = {}
    for lineno, r in _parse("cameo.tsv", override):
        where = f"cameo.tsv:{lineno}"
        c = r["code"]
        if not (c.isdigit() and 2 <= len(c) <= 4 and r["root"] == c[:2]):
            raise TaxonomyError(f"{where}: bad CAMEO code {c!r} or root {r['root']!r}")
        if c in cameo:
            raise TaxonomyError(f"{where}: duplicate code {c}")
        if r["plover"]:
            check_pair(r["plover"], r["plover_mode"], where)
        elif r["plover_mode"]:
            raise TaxonomyError(f"{where}: a mode without a category")
        cameo[c] = _CameoRow(
            r["name"],
            _number(r["goldstein"], where, "goldstein"),
            _quad_value(r["quad"], where),
            r["plover"],
            r["plover_mode"],
        )

    to_cameo: dict[tuple[str, str], str] = {}
    for lineno, r in _parse("plover_to_cameo.tsv", override):
        where = f"plover_to_cameo.tsv:{lineno}"
        check_pair(r["category"], r["mode"], where)
        if r["cameo"] not in cameo:
            raise TaxonomyError(f"{where}: CAMEO code {r['cameo']!r} is not in cameo.tsv")
        to_cameo[(r["category"], r["mode"])] = r["cameo"]

    acled: dict[str, list[_AcledRule]] = {}
    for lineno, r in _parse("plover_to_acled.tsv", override):
        where = f"plover_to_acled.tsv:{lineno}"
        check_pair(r["category"], r["mode"], where)
        for col in ("source_sector", "target_sector"):
            if r[col] not in _SECTOR_VALUES:
                raise TaxonomyError(f"{where}: {col} {r[col]!r} is not one of {sorted(_SECTOR_VALUES)}")
        if not (r["acled_type"] and r["acled_subtype"]):
            raise TaxonomyError(f"{where}: empty ACLED type or sub-type")
        acled.setdefault(r["category"], []).append(
            _AcledRule(
                r["mode"],
                r["context"].lower(),
                r["source_sector"],
                r["target_sector"],
                r["acled_type"],
                r["acled_subtype"],
            )
        )

    return _Tables(
        plover=plover,
        modes={c: tuple(m) for c, m in modes.items()},
        cameo=cameo,
        to_cameo=to_cameo,
        acled={c: tuple(rules) for c, rules in acled.items()},
    )


def _tables() -> _Tables:
    return _load(_table_dir())


# ---------------------------------------------------------------------------------------------
# Labels


# PLOVER 0.x category names, only to explain why they are rejected.
_OLD_CATEGORIES: dict[str, str] = {
    "DEMAND": "REQUEST",
    "DISAPPROVE": "ACCUSE (mode disapprove)",
    "INVESTIGATE": "ACCUSE (mode investigate)",
    "FIGHT": "ASSAULT",
    "YIELD": "CONCEDE or RETREAT",
    "CRIME": "no category (use the crime context)",
}


def _category(category: str) -> str:
    t = _tables()
    cat = category.strip().upper() if isinstance(category, str) else category
    if cat not in t.modes:
        hint = f" ({cat} is a pre-2.0 label: use {_OLD_CATEGORIES[cat]})" if cat in _OLD_CATEGORIES else ""
        raise ValueError(f"unknown PLOVER category {category!r}{hint}; expected one of: {', '.join(t.modes)}")
    return cat


def _spelling(mode: str | None) -> str:
    if mode is None:
        return ""
    return "-".join(mode.strip().lower().replace("_", " ").split())


def _resolve(category: str, mode: str | None) -> tuple[str, str]:
    """(category, mode) as the tables spell them; an unknown mode becomes "" (category level)."""
    cat = _category(category)
    m = _spelling(mode)
    m = MODE_ALIASES.get((cat, m), m)
    return cat, m if m in _tables().modes[cat] else ""


def is_valid(category: str, mode: str | None) -> bool:
    """True if ``category`` (exact spelling) exists and ``mode`` is None/"" or one of its modes."""
    t = _tables()
    if category not in t.modes:
        return False
    return not mode or mode in t.modes[category]


def modes(category: str) -> tuple[str, ...]:
    """The PLOVER 2.0 modes of a category (empty for categories without modes)."""
    return _tables().modes[_category(category)]


def canonical_mode(category: str, mode: str | None) -> str | None:
    """The table spelling of ``mode`` (case, ``_`` and legacy aliases resolved); None for no mode.

    Raises ValueError for an unknown category or a mode the category does not have."""
    cat = _category(category)
    m = _spelling(mode)
    m = MODE_ALIASES.get((cat, m), m)
    if m and m not in _tables().modes[cat]:
        known = ", ".join(_tables().modes[cat]) or "none"
        raise ValueError(f"PLOVER category {cat} has no mode {mode!r}; its modes: {known}")
    return m or None


def quad(category: str, mode: str | None = None) -> int:
    """PLOVER quad class: 1 verbal cooperation, 2 material cooperation, 3 verbal conflict,
    4 material conflict."""
    return _tables().plover[_resolve(category, mode)].quad


def intensity(category: str, mode: str | None = None) -> float:
    """PLOVER conflict-cooperation score, -10 (most conflictual) to +10 (most cooperative)."""
    return _tables().plover[_resolve(category, mode)].intensity


def describe(category: str, mode: str | None = None) -> str:
    """A one-line description of the category or mode."""
    return _tables().plover[_resolve(category, mode)].description


# ---------------------------------------------------------------------------------------------
# CAMEO


def cameo_root(code: str) -> str:
    """The two-digit CAMEO root of a code: ``"0233"`` -> ``"02"``."""
    c = code.strip()
    if not (c.isdigit() and 2 <= len(c) <= 4 and 1 <= int(c[:2]) <= 20):
        raise ValueError(f"not a CAMEO event code: {code!r} (2-4 digits, root 01..20)")
    return c[:2]


def _cameo_row(code: str) -> _CameoRow | None:
    """The row for ``code``, or for its nearest listed parent (``"0219"`` -> ``"021"``)."""
    table = _tables().cameo
    c = code.strip()
    while len(c) >= 2:
        if c in table:
            return table[c]
        c = c[:-1]
    return None


def cameo_for(category: str, mode: str | None) -> str | None:
    """The default CAMEO code for a PLOVER category and mode (the category's own default when
    the mode is None or has no row)."""
    cat, m = _resolve(category, mode)
    t = _tables()
    return t.to_cameo.get((cat, m)) or t.to_cameo.get((cat, ""))


def plover_for_cameo(code: str) -> tuple[str, str | None] | None:
    """The PLOVER (category, mode) a CAMEO code translates to; None for codes PLOVER drops
    (root 01) or codes that are not CAMEO at all."""
    row = _cameo_row(code)
    if row is None or not row.plover:
        return None
    return row.plover, row.plover_mode or None


def goldstein(cameo: str) -> float | None:
    """The Goldstein conflict-cooperation weight (-10..+10) of a CAMEO code, None if unknown."""
    row = _cameo_row(cameo)
    return row.goldstein if row else None


def cameo_quad(code: str) -> int | None:
    """GDELT QuadClass of a CAMEO code (01-05 -> 1, 06-09 -> 2, 10-14 -> 3, 15-20 -> 4)."""
    row = _cameo_row(code)
    return row.quad if row else None


def cameo_name(code: str) -> str | None:
    """The CAMEO name of a code, None if unknown."""
    row = _cameo_row(code)
    return row.name if row else None


# ---------------------------------------------------------------------------------------------
# ACLED


def sector_role(sector: str | None) -> str | None:
    """The actor role (see ``ROLES``) of a PLOVER sector code such as ``"MIL"`` or ``"CVL"``;
    None when the sector says nothing about being armed (e.g. ``"GOV"``) or is unknown."""
    if not sector:
        return None
    return _SECTOR_ROLES.get(sector.strip().upper())


def _role(armed: bool | None, role: str | None, which: str) -> str | None:
    if role is not None:
        r = role.strip().lower()
        if r not in ROLES:
            raise ValueError(f"{which} role {role!r} is not one of {', '.join(ROLES)}")
        return r
    if armed is None:
        return None
    return "armed" if armed else "civilian"


def _sector_score(rule_value: str, role: str | None) -> int | None:
    """How specifically a rule's sector value matches the caller's role (None: no match)."""
    if rule_value == "*":
        return 0
    if role is None:
        return None
    if rule_value == "armed":
        return 1 if role in ("armed", "state", "nonstate") else None
    return (2 if rule_value in ("state", "nonstate") else 1) if rule_value == role else None


def _contexts(context: str | Iterable[str] | None) -> frozenset[str]:
    if context is None:
        return frozenset()
    items = [context] if isinstance(context, str) else list(context)
    return frozenset(c.strip().lower() for c in items if c and c.strip())


def acled_for(
    category: str,
    mode: str | None,
    source_armed: bool | None = None,
    target_armed: bool | None = None,
    *,
    context: str | Iterable[str] | None = None,
    source_role: str | None = None,
    target_role: str | None = None,
    preferred: str | Iterable[str] | None = None,
) -> tuple[str, str] | None:
    """The ACLED (event type, sub-event type) of a PLOVER event, or None if it has none.

    ``source_armed``/``target_armed``: whether the actor / recipient is an organised armed group
    (None = unknown). ``source_role``/``target_role`` say more when known and win over the
    booleans: one of ``ROLES`` (``"state"`` and ``"nonstate"`` tell government forces from
    rebels, which matters for territory changes). ``context``: PLOVER context names or
    powderkeg hints such as ``"protest"``, ``"grenade"``, ``"disrupted"``, ``"base"`` (see the
    taxonomy README). ``preferred``: contexts that outrank the others (the trigger rule's own hint
    beats a word elsewhere in the sentence). Among the matching rules of ``plover_to_acled.tsv`` the
    most specific wins.
    """
    cat, m = _resolve(category, mode)
    src = _role(source_armed, source_role, "source")
    tgt = _role(target_armed, target_role, "target")
    first = _contexts(preferred)
    ctx = _contexts(context) | first
    best: tuple[int, int, int] | None = None
    found: tuple[str, str] | None = None
    for rule in _tables().acled.get(cat, ()):
        if rule.mode and rule.mode != m:
            continue
        needed = rule.context.split("+") if rule.context else []
        if not all(c in ctx for c in needed):
            continue
        s = _sector_score(rule.source, src)
        g = _sector_score(rule.target, tgt)
        if s is None or g is None:
            continue
        matched = (2 if any(c in first for c in needed) else 1) if needed else 0
        rank = (matched, len(needed), 1 if rule.mode else 0, s + g)
        if best is None or rank > best:  # strictly better: earlier rows win ties
            best, found = rank, (rule.acled_type, rule.acled_subtype)
    return found


# ---------------------------------------------------------------------------------------------
# Everything at once


@dataclass(frozen=True)
class Coding:
    """The codes one PLOVER event gets: CAMEO, PLOVER quad and intensity, Goldstein, ACLED."""

    category: str
    mode: str | None
    cameo: str | None
    quad: int  # PLOVER quad class
    intensity: float  # PLOVER score
    goldstein: float | None  # of the CAMEO code
    cameo_quad: int | None  # GDELT QuadClass of the CAMEO code (may differ from quad)
    acled_type: str | None
    acled_subtype: str | None


def code(
    category: str,
    mode: str | None,
    source_armed: bool | None = None,
    target_armed: bool | None = None,
    *,
    context: str | Iterable[str] | None = None,
    source_role: str | None = None,
    target_role: str | None = None,
    preferred: str | Iterable[str] | None = None,
) -> Coding:
    """All codes for a PLOVER event (arguments as for ``acled_for``)."""
    cat, m = _resolve(category, mode)
    row = _tables().plover[(cat, m)]
    cameo = cameo_for(cat, m)
    acled = acled_for(
        cat,
        m,
        source_armed,
        target_armed,
        context=context,
        source_role=source_role,
        target_role=target_role,
        preferred=preferred,
    )
    return Coding(
        category=cat,
        mode=m or None,
        cameo=cameo,
        quad=row.quad,
        intensity=row.intensity,
        goldstein=goldstein(cameo) if cameo else None,
        cameo_quad=cameo_quad(cameo) if cameo else None,
        acled_type=acled[0] if acled else None,
        acled_subtype=acled[1] if acled else None,
    )
