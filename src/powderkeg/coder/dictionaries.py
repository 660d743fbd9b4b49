"""Actor and agent dictionaries in TABARI/PETRARCH format.

Reads ``NAME [CODE]`` actor files (``+SYNONYM`` lines, indented dated codes such as
``[SRBGOV >20120727]``) and ``NAME {PLURALS} [~AGENT]`` agent files (``!SET! = A, B``
substitution sets, automatic regular plurals). Phrases are keyed by lower-cased token tuples
split the way spaCy's English tokenizer splits text, so a coder can look up spaCy tokens
directly. A name without a trailing ``_`` treats its last word as a stem (prefix match).
CAMEO country codes are mapped to ISO 3166-1 alpha-3 through ``data/countries.tsv``.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import pickle
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Generic, TypeVar

__all__ = [
    "ActorDictionary",
    "ActorEntry",
    "AgentDictionary",
    "AgentEntry",
    "CodeParts",
    "Countries",
    "CountryRow",
    "DatedCode",
    "Dictionaries",
    "LoadStats",
    "PhraseIndex",
    "cache_dir",
    "load",
    "load_default",
    "name_keys",
    "parse_code",
    "parse_countries",
    "split_code",
]

Source = str | os.PathLike[str] | Traversable


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\S+", text))


#: Codes that match but code nothing (PETRARCH's null code and old TABARI discards).
NULL_CODES = frozenset({"---", "+++", "###"})

#: First pieces that are not countries but kinds of transnational actor.
TRANSNATIONAL = frozenset({"IGO", "NGO", "NGM", "MNC", "IMG", "INT", "UIS"})

#: CAMEO sector, role and religion pieces (as they appear after the country piece).
SECTORS = _words(
    "GOV MIL REB OPP PTY COP JUD SPY LEG ELI BUS CRM CVL EDU LAB MED REF MOD RAD AGR DEV "
    "ENV HLH HRI UAF INS SEP REL CHR CTH PRO DOX MUS MOS SHI SUN SUF ALE DRZ JEW HIN BUD "
    "SIK JAI BAH TAO CON SHN ZRO ATH UNR OCC KID PPL NAV AFC"
)

#: CAMEO region pieces (used in place of a country, or between IGO and the organisation).
REGIONS = _words("AFR ASA BLK CAS CAU CFR CRB EAF EEU EUR LAM MEA MDT NAF NMR PGS SAF SAM SAS SCN SEA WAF WST WEU")

#: Endings allowed after an agent stem (agents are nouns: plurals and a few derivations).
AGENT_STEM_ENDINGS = frozenset({"s", "es", "ies", "y", "ial", "ials", "er", "ers", "ry", "ries", "man", "men", "woman"})

_CACHE_VERSION = "powderkeg-dictionaries-2"
_MAX_VARIANTS = 8
_MAX_PROBLEMS = 200
_COUNTS = (
    "files", "lines", "entries", "synonyms", "codes", "dated_codes", "malformed",
    "bad_dates", "no_code", "odd", "duplicates",
)  # fmt: skip


# --------------------------------------------------------------------------- dated codes


@dataclass(frozen=True)
class DatedCode:
    """A code valid from ``start`` to ``end`` (inclusive; ``None`` = unbounded)."""

    code: str
    start: date | None = None
    end: date | None = None

    @property
    def dated(self) -> bool:
        """True if the code has at least one date bound."""
        return self.start is not None or self.end is not None

    def active(self, on: date | None) -> bool:
        """True if the code applies on ``on`` (any code applies when ``on`` is None)."""
        if on is None:
            return True
        if self.start is not None and on < self.start:
            return False
        return not (self.end is not None and on > self.end)

    def span_days(self) -> int:
        """Length of the validity range in days (unbounded ranges are very long)."""
        return ((self.end or date.max) - (self.start or date.min)).days


def _live(code: str) -> str | None:
    return None if code in NULL_CODES else code


@dataclass
class ActorEntry:
    """One actor record: its primary name and its (possibly dated) codes."""

    name: str
    codes: list[DatedCode] = field(default_factory=list)

    def code_on(self, day: date | None) -> str | None:
        """The code valid on ``day``.

        Among dated codes active that day the narrowest range wins (first listed on ties);
        an undated code is the fallback. With ``day=None`` the dated code with the latest
        (or open) end wins. Null codes (``---``) give None.
        """
        undated = [c for c in self.codes if not c.dated]
        dated = [c for c in self.codes if c.dated]
        if day is None:
            if dated:
                best = max(dated, key=lambda c: (c.end or date.max, c.start or date.min))
                return _live(best.code)
            return _live(undated[0].code) if undated else None
        active = [c for c in dated if c.active(day)]
        if active:
            return _live(min(active, key=DatedCode.span_days).code)
        return _live(undated[0].code) if undated else None

    def alternatives_on(self, day: date | None) -> list[str]:
        """The other codes of the block :meth:`code_on` picks its code from (``[LBN/USA]``: the
        country Lebanon, else a town of that name in the USA), in the order listed."""
        chosen = self.code_on(day)
        if chosen is None:
            return []
        block = next(c for c in self.codes if c.code == chosen and (day is None or c.active(day)))
        return [
            c.code
            for c in self.codes
            if c.code != chosen and (c.start, c.end) == (block.start, block.end) and _live(c.code)
        ]


@dataclass(frozen=True)
class AgentEntry:
    """An agent code; ``before`` is True for ``CODE~`` (code goes before the actor code)."""

    code: str
    before: bool = False
    name: str = ""


@dataclass
class LoadStats:
    """Counts collected while parsing dictionary files."""

    files: int = 0
    lines: int = 0
    entries: int = 0
    synonyms: int = 0
    codes: int = 0
    dated_codes: int = 0
    malformed: int = 0
    bad_dates: int = 0
    no_code: int = 0
    odd: int = 0
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, where: str, what: str, *, count: str = "malformed") -> None:
        """Count a problem and keep its description (the first few hundred)."""
        setattr(self, count, getattr(self, count) + 1)
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(f"{where}: {what}")

    def add(self, other: LoadStats) -> None:
        """Add another file's counts to these."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        room = _MAX_PROBLEMS - len(self.problems)
        self.problems.extend(other.problems[: max(room, 0)])


# --------------------------------------------------------------------------- tokenizer

_PREFIX_CHARS = frozenset("\"'`([{«“‘¿¡$£€")
#: Words spaCy's English exceptions split even without an apostrophe ("Im" -> "I", "m").
_SPACY_SPLITS = {
    "im": ["i", "m"],
    "id": ["i", "d"],
    "ive": ["i", "ve"],
    "hes": ["he", "s"],
    "shes": ["she", "s"],
    "cannot": ["can", "not"],
}
_SUFFIX_CHARS = frozenset("\"')]}»”’,;:!?%")
_INFIX_RE = re.compile(
    r"((?<=[^\W_])(?:---|--|-|–|—|/|:|<|>|=)(?=[^\W\d_])|(?<=[^\W\d_]),(?=[^\W\d_])"
    r"|(?<=[0-9])[-+*^](?=[0-9-]))"
)
_SPLIT_RE = re.compile(r"[\s_]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _split_chunk(chunk: str) -> list[list[str]]:
    """Split one whitespace-free chunk like spaCy's English tokenizer (alternatives)."""
    head: list[str] = []
    while len(chunk) > 1 and chunk[0] in _PREFIX_CHARS:
        head.append(chunk[0])
        chunk = chunk[1:]
    tail: list[str] = []
    ambiguous_period = False
    while len(chunk) > 1:
        if len(chunk) > 2 and chunk[-2:] in ("'s", "’s"):
            tail.insert(0, chunk[-2:])
            chunk = chunk[:-2]
        elif chunk[-1] in _SUFFIX_CHARS:
            tail.insert(0, chunk[-1])
            chunk = chunk[:-1]
        elif chunk[-1] == "." and not tail:
            # "u.n." and "k." stay whole; "inc." / "lt." depend on spaCy's exception list
            last = chunk[:-1].rsplit(".", 1)[-1]
            if not (len(last) == 1 and last.isalpha()):
                ambiguous_period = True
            break
        else:
            break
    alternatives: list[list[str]] = []
    if not head and not tail and chunk in _SPACY_SPLITS:
        return [[chunk], _SPACY_SPLITS[chunk]]
    cores = [chunk]
    if ambiguous_period:
        cores.append(chunk[:-1])
    for i, core in enumerate(cores):
        middle = [p for p in _INFIX_RE.split(core) if p]
        extra = ["."] if i == 1 else []
        alternatives.append(head + middle + extra + tail)
    return alternatives


def name_keys(name: str) -> list[tuple[str, ...]]:
    """Lower-cased token tuples for a dictionary name (several if spaCy may differ).

    Underscores and blanks separate words; hyphens, slashes, brackets, ``'s`` and a final
    period are split off the way spaCy's English tokenizer does ("ethnic-Serb" ->
    ``("ethnic", "-", "serb")``, "U.N." stays one token). A parenthesised part, as in
    ``ISLAMIC_ARMY_(IAA)``, also yields a key without it.
    """
    text = _CONTROL_RE.sub("", name).lower().replace("+", " ").strip()
    chunks = [c for c in _SPLIT_RE.split(text) if c]
    options = [_split_chunk(c) for c in chunks]
    keys: list[tuple[str, ...]] = []
    for combo in itertools.islice(itertools.product(*options), _MAX_VARIANTS):
        key = tuple(tok for part in combo for tok in part)
        if key and key not in keys:
            keys.append(key)
    for key in list(keys):
        if "(" in key and ")" in key:
            i, j = key.index("("), key.index(")")
            shorter = key[:i] + key[j + 1 :]
            if i < j and len(shorter) >= 2 and shorter not in keys:
                keys.append(shorter)
    return keys


# --------------------------------------------------------------------------- phrase index

T = TypeVar("T")

_STEM_CACHE_SIZE = 200_000  # entries; a few tens of MB at most


class PhraseIndex(Generic[T]):
    """Token-tuple phrases with longest-match lookup and stemmed last words.

    Add phrases with :meth:`add` or :meth:`merge` (not by writing to ``phrases``), so the
    first-token index used by :meth:`match` stays right.
    """

    min_stem = 5
    max_stem_rest = 4
    stem_endings: frozenset[str] | None = None

    def __init__(self) -> None:
        self.phrases: dict[tuple[str, ...], T] = {}
        self.stems: dict[tuple[str, ...], T] = {}
        self.max_len = 0
        self.stats = LoadStats()
        self._first: dict[str, int] = {}  # first token -> longest phrase length
        # stemmed lookups already made: most words of a text are asked for many times, and none
        # is a stem of any phrase
        self._stem_cache: dict[tuple[str, ...], T | None] = {}

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_stem_cache"] = {}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_stem_cache", {})

    def __len__(self) -> int:
        return len(self.phrases)

    def __contains__(self, key: object) -> bool:
        return key in self.phrases

    def _can_stem(self, key: tuple[str, ...]) -> bool:
        last = key[-1]
        return len(last) >= self.min_stem and last.isalpha()

    def add(self, key: tuple[str, ...], value: T, *, stem: bool = False) -> None:
        """Add a phrase; a later definition of the same key replaces the earlier one."""
        self._stem_cache.clear()
        old = self.phrases.get(key)
        if old is not None and old is not value:
            self.stats.duplicates += 1
        self.phrases[key] = value
        if stem and self._can_stem(key):
            self.stems[key] = value
        else:
            self.stems.pop(key, None)
        self.max_len = max(self.max_len, len(key))
        if len(key) > self._first.get(key[0], 0):
            self._first[key[0]] = len(key)

    def _stem_hit(self, window: tuple[str, ...]) -> T | None:
        if window in self._stem_cache:
            return self._stem_cache[window]
        if len(self._stem_cache) >= _STEM_CACHE_SIZE:
            self._stem_cache.clear()
        hit = self._stem_cache[window] = self._find_stem(window)
        return hit

    def _find_stem(self, window: tuple[str, ...]) -> T | None:
        last = window[-1]
        head = window[:-1]
        if self.stem_endings is None:
            lo = max(self.min_stem, len(last) - self.max_stem_rest)
            cuts: Iterable[int] = range(len(last) - 1, lo - 1, -1)
        else:
            cuts = sorted(
                {len(last) - len(e) for e in self.stem_endings if last.endswith(e)},
                reverse=True,
            )
        for cut in cuts:
            if cut >= self.min_stem:
                hit = self.stems.get(head + (last[:cut],))
                if hit is not None:
                    return hit
        return None

    def match(self, tokens: Sequence[str], start: int) -> tuple[int, T] | None:
        """Longest phrase starting at ``tokens[start]``: ``(end, entry)``, end exclusive.

        Tokens should be lower-case (they are lower-cased here as well). An exact phrase
        beats a stem match of the same length.
        """
        if start < 0 or start >= len(tokens):
            return None
        first = tokens[start].lower()
        n = min(self._first.get(first, 0), len(tokens) - start)
        stems = bool(self.stems)
        if n > 0:
            window = (first, *(t.lower() for t in tokens[start + 1 : start + n]))
            for length in range(n, 0, -1):
                key = window[:length]
                hit = self.phrases.get(key)
                if hit is None and stems:
                    hit = self._stem_hit(key)
                if hit is not None:
                    return start + length, hit
        elif stems:
            hit = self._stem_hit((first,))
            if hit is not None:
                return start + 1, hit
        return None

    def merge(self, other: PhraseIndex[T]) -> None:
        """Add ``other``'s phrases; on conflicts ``other`` wins."""
        self._stem_cache.clear()
        for key, value in other.phrases.items():
            old = self.phrases.get(key)
            if old is not None and old is not value:
                self.stats.duplicates += 1
            self.phrases[key] = value
            if key not in other.stems:
                self.stems.pop(key, None)
            if len(key) > self._first.get(key[0], 0):
                self._first[key[0]] = len(key)
        self.stems.update(other.stems)
        self.max_len = max(self.max_len, other.max_len)
        self.stats.add(other.stats)


def _read(source: Source) -> tuple[str, str]:
    if isinstance(source, Traversable) and not isinstance(source, Path):
        return source.read_bytes().decode("utf-8", errors="replace"), source.name
    path = Path(source)
    return path.read_bytes().decode("utf-8", errors="replace"), str(path)


def read_source(source: Source) -> tuple[str, str]:
    """The text of a dictionary file (a path or a packaged resource) and a label naming it."""
    return _read(source)


def without_xml_comments(text: str) -> Iterator[tuple[int, str]]:
    """``(line_number, line)`` with ``<!-- -->`` comments (which may span lines) removed; the
    TABARI/PETRARCH formats allow them beside ``#`` comments."""
    in_xml = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw
        if in_xml:
            if "-->" not in line:
                continue
            line = line.split("-->", 1)[1]
            in_xml = False
        line = re.sub(r"<!--.*?-->", " ", line)
        if "<!--" in line:
            line = line.split("<!--", 1)[0]
            in_xml = True
        yield number, line


def _clean_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, content)`` without comments (``#``, ``<!-- -->``) or blanks."""
    for number, raw in without_xml_comments(text):
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("<"):
            yield number, line


# --------------------------------------------------------------------------- actors

_BRACKET_RE = re.compile(r"\[([^\[\]]*)\]")
_CODE_RE = re.compile(r"^(?:[A-Z0-9]+|-{3}|\+{3})$")
_LT_GT_RE = re.compile(r"^([<>])\s*(\d+)$")
_RANGE_RE = re.compile(r"^(\d+)\s*-\s*(\d+)$")


def _parse_date(text: str) -> date | None:
    """``yymmdd`` (yy < 30 -> 20yy) or ``yyyymmdd``; None if malformed."""
    try:
        if len(text) == 8:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if len(text) == 6:
            yy = int(text[:2])
            return date((2000 if yy < 30 else 1900) + yy, int(text[2:4]), int(text[4:]))
    except ValueError:
        return None
    return None


def _parse_code_block(content: str, where: str, stats: LoadStats) -> tuple[list[DatedCode], bool]:
    """Parse the inside of one ``[...]`` actor code block: ``(codes, damaged)``.

    ``damaged`` is True when a date bound could not be read and was dropped.
    """
    content = content.strip()
    parts = content.split(None, 1)
    if not parts or parts[0][0] in "<>" or parts[0][0].isdigit():
        stats.problem(where, f"no code in [{content}]")
        return [], False
    raw_code, rest = parts[0].upper(), (parts[1].strip() if len(parts) > 1 else "")
    codes = [c for c in raw_code.split("/") if c]
    if not codes or not all(_CODE_RE.match(c) for c in codes):
        stats.problem(where, f"bad code [{content}]")
        return [], False
    start = end = None
    damaged = False
    if rest:
        m_lg, m_range = _LT_GT_RE.match(rest), _RANGE_RE.match(rest)
        if m_lg:
            bound = _parse_date(m_lg.group(2))
            damaged = bound is None
            if m_lg.group(1) == ">":
                start = bound
            else:
                end = bound
        elif m_range:
            start, end = _parse_date(m_range.group(1)), _parse_date(m_range.group(2))
            damaged = start is None or end is None
        elif rest.isdigit():
            start = _parse_date(rest)  # a bare date: read as "from"
            damaged = start is None
            stats.problem(where, f"bare date read as from-date [{content}]", count="odd")
        else:
            damaged = True
        if damaged:
            stats.problem(where, f"date bound skipped in [{content}]", count="bad_dates")
    out = [DatedCode(c, start, end) for c in codes]
    stats.codes += len(out)
    stats.dated_codes += sum(1 for c in out if c.dated)
    return out, damaged


class ActorDictionary(PhraseIndex[ActorEntry]):
    """Actor phrases (lower-cased token tuples) -> :class:`ActorEntry`."""

    min_stem = 5
    max_stem_rest = 4
    stem_endings = None

    @classmethod
    def parse(cls, text: str, source: str = "<string>", countries: Countries | None = None) -> ActorDictionary:
        """Parse one actor file's text (codes normalised to ISO3 if ``countries`` given)."""
        out = cls()
        stats = out.stats
        stats.files = 1
        stats.lines = text.count("\n") + 1
        names: list[tuple[str, int]] = []
        codes: list[DatedCode] = []
        damaged_codes: list[DatedCode] = []  # bound dropped: ranked after intact codes
        start_line = prev_line = 0

        def flush() -> None:
            if not names:
                return
            if not codes and not damaged_codes:
                where = f"{source}:{start_line}"
                stats.problem(where, f"no code for {names[0][0]}", count="no_code")
                return
            primary = names[0][0].strip().rstrip("_").replace("_", " ").strip()
            norm = [_normalize_code(c, countries) for c in codes + damaged_codes]
            entry = ActorEntry(primary, norm)
            stats.entries += 1
            stats.synonyms += len(names) - 1
            for raw, line_no in names:
                keys = name_keys(raw)
                if not keys:
                    stats.problem(f"{source}:{line_no}", f"empty name {raw!r}")
                    continue
                stem = not raw.rstrip().endswith("_")
                for key in keys:
                    out.add(key, entry, stem=stem)

        for line_no, line in _clean_lines(text):
            where = f"{source}:{line_no}"
            first_bracket = line.find("[")
            head = line if first_bracket < 0 else line[:first_bracket]
            blocks = _BRACKET_RE.findall(line)
            if first_bracket >= 0 and not blocks:
                stats.problem(where, f"unclosed bracket: {line!r}")
                continue
            head = head.strip()
            if line.startswith("["):
                if not names:
                    stats.problem(where, "code line outside an entry")
                    continue
            elif line.startswith("+"):
                if not names:
                    stats.problem(where, "synonym outside an entry")
                    continue
                if head[1:].strip():
                    names.append((head[1:].strip(), line_no))
            elif names and not (codes or damaged_codes) and line_no == prev_line + 1 and not blocks:
                # consecutive code-less names share the codes that follow (Phoenix style)
                stats.problem(where, f"name without '+' read as synonym: {head}", count="odd")
                names.append((head, line_no))
            else:
                flush()
                names, codes, damaged_codes, start_line = [(head, line_no)], [], [], line_no
            for block in blocks:
                parsed, damaged = _parse_code_block(block, where, stats)
                (damaged_codes if damaged else codes).extend(parsed)
            prev_line = line_no
        flush()
        return out

    @classmethod
    def load(cls, paths: Iterable[Source], countries: Countries | None = None) -> ActorDictionary:
        """Load actor files in order; later files win on conflicting phrases."""
        out = cls()
        for path in paths:
            text, label = _read(path)
            out.merge(cls.parse(text, label, countries))
        return out

    def add_demonyms(self, countries: Countries) -> int:
        """Add country demonyms/adjectives missing from the dictionary; returns the count."""
        added = 0
        for iso3, adjectives in countries.demonym_table().items():
            for adjective in adjectives:
                for key in name_keys(adjective):
                    if key in self.phrases or (len(key) == 1 and self._stem_hit(key)):
                        continue
                    self.add(key, ActorEntry(adjective, [DatedCode(iso3)]))
                    added += 1
        return added


# --------------------------------------------------------------------------- agents

_SUBST_DEF_RE = re.compile(r"^!([^!\s=]+)!\s*=\s*(.*)$")
_SUBST_USE_RE = re.compile(r"!([^!\s]+)!")
_AGENT_RE = re.compile(r"^(?P<name>[^\[{]+?)\s*(?:\{(?P<plural>[^}]*)\})?\s*\[(?P<code>[^\]}]*)[\]}]")


def _plurals(word: str) -> list[str]:
    """Regular English plurals of a word (keeps its case); "-man" also gives "-men"."""
    if not word.isalpha() or len(word) < 2:
        return []
    low = word.lower()

    def cased(suffix: str) -> str:
        return suffix if word.islower() else suffix.upper()

    if low.endswith(("s", "x", "z", "ch", "sh")):
        return [word + cased("es")]
    if low.endswith("y") and low[-2] not in "aeiou":
        return [word[:-1] + cased("ies")]
    if low.endswith("man") and len(low) > 4:
        return [word + cased("s"), word[:-3] + cased("men")]
    return [word + cased("s")]


class AgentDictionary(PhraseIndex[AgentEntry]):
    """Agent phrases (lower-cased token tuples) -> :class:`AgentEntry`."""

    min_stem = 4
    stem_endings = AGENT_STEM_ENDINGS

    @classmethod
    def parse(cls, text: str, source: str = "<string>") -> AgentDictionary:
        """Parse one agent file's text."""
        out = cls()
        stats = out.stats
        stats.files = 1
        stats.lines = text.count("\n") + 1
        sets: dict[str, list[str]] = {}
        for line_no, line in _clean_lines(text):
            where = f"{source}:{line_no}"
            m_set = _SUBST_DEF_RE.match(line)
            if m_set:
                items = [i.strip() for i in m_set.group(2).split(",") if i.strip()]
                if items:
                    sets[m_set.group(1).upper()] = items
                else:
                    stats.problem(where, "empty substitution set")
                continue
            m = _AGENT_RE.match(line)
            if not m:
                stats.problem(where, f"no agent code: {line!r}", count="no_code")
                continue
            raw_code = m.group("code").strip().upper()
            before = raw_code.endswith("~") and not raw_code.startswith("~")
            code = raw_code.strip("~").strip()
            if not code or not _CODE_RE.match(code):
                stats.problem(where, f"bad agent code [{raw_code}]")
                continue
            if "~" not in raw_code:
                stats.problem(where, f"agent code without '~' [{raw_code}]", count="odd")
            entry = AgentEntry(code, before, m.group("name").strip())
            names = out._expand(m.group("name").strip(), sets, where)
            if names is None:
                continue
            stats.entries += 1
            stats.codes += 1
            raw_name = m.group("name").strip()
            stem = not raw_name.endswith("_") and not _SUBST_USE_RE.search(raw_name)
            plurals: list[str] = []
            if m.group("plural") is not None:
                plurals = m.group("plural").split()
            elif not _SUBST_USE_RE.search(raw_name):
                words = [w for w in _SPLIT_RE.split(raw_name) if w]
                if words:
                    plurals = [" ".join([*words[:-1], p]) for p in _plurals(words[-1])]
            stats.synonyms += len(names) - 1 + len(plurals)
            for name in names:
                for key in name_keys(name):
                    out.add(key, entry, stem=stem)
            for plural in plurals:
                for key in name_keys(plural):
                    out.add(key, entry)
        return out

    def _expand(self, name: str, sets: dict[str, list[str]], where: str) -> list[str] | None:
        markers = _SUBST_USE_RE.findall(name)
        if not markers:
            return [name]
        missing = [m for m in markers if m.upper() not in sets]
        if missing:
            self.stats.problem(where, f"undefined substitution set !{missing[0]}! in {name!r}")
            return None
        pieces = _SUBST_USE_RE.split(name)  # text, marker, text, marker, ...
        choices = [[piece] if i % 2 == 0 else sets[piece.upper()] for i, piece in enumerate(pieces)]
        return ["".join(combo) for combo in itertools.product(*choices)]

    @classmethod
    def load(cls, paths: Iterable[Source]) -> AgentDictionary:
        """Load agent files in order; later files win on conflicting phrases."""
        out = cls()
        for path in paths:
            text, label = _read(path)
            out.merge(cls.parse(text, label))
        return out


# --------------------------------------------------------------------------- countries


@dataclass(frozen=True)
class CountryRow:
    """One row of ``countries.tsv``: a CAMEO code and its ISO3 country."""

    cameo: str
    iso3: str
    name: str
    adjectives: tuple[str, ...] = ()


def parse_countries(path: Source) -> dict[str, CountryRow]:
    """Read a ``cameo<TAB>iso3<TAB>name<TAB>adjectives`` table keyed by CAMEO code.

    ``#`` lines and the header row are skipped; an empty ``iso3`` marks a code that is not
    a real country (e.g. the fictional KNT in the Phoenix file).
    """
    text, _ = _read(path)
    rows: dict[str, CountryRow] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.rstrip("\r\n").split("\t")
        cameo = cols[0].strip().upper()
        if cameo == "CAMEO" or len(cameo) != 3:
            continue
        cols += [""] * (4 - len(cols))
        adjectives = tuple(a.strip() for a in cols[3].split(",") if a.strip())
        rows[cameo] = CountryRow(cameo, cols[1].strip().upper(), cols[2].strip(), adjectives)
    return rows


def _norm_words(text: str) -> str:
    text = re.sub(r"\s*-\s*", "-", text.replace("_", " ").strip().lower())
    return re.sub(r"\s+", " ", text)


class Countries:
    """CAMEO -> ISO3 mapping, country names and demonyms."""

    def __init__(self, rows: dict[str, CountryRow] | Iterable[CountryRow]) -> None:
        items = list(rows.values()) if isinstance(rows, dict) else list(rows)
        self.rows: dict[str, CountryRow] = {r.cameo: r for r in items}
        self._iso: dict[str, str] = {r.cameo: r.iso3 for r in items}
        self._names: dict[str, str] = {}
        self._by_name: dict[str, str] = {}
        self._demonyms: dict[str, str] = {}
        self._adjectives: dict[str, list[str]] = {}
        for row in sorted(items, key=lambda r: r.cameo != r.iso3):  # canonical rows first
            if not row.iso3:
                continue
            self._iso.setdefault(row.iso3, row.iso3)
            self._names.setdefault(row.iso3, row.name)
            self._by_name.setdefault(_norm_words(row.name), row.iso3)
            for adjective in row.adjectives:
                self._demonyms.setdefault(_norm_words(adjective), row.iso3)
                self._adjectives.setdefault(row.iso3, []).append(adjective)

    @classmethod
    def load(cls, path: Source) -> Countries:
        """Load a ``countries.tsv`` file."""
        return cls(parse_countries(path))

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and bool(self._iso.get(code.upper()))

    def add_country(self, code: str, name: str) -> bool:
        """Treat an actor file's own bare 3-letter code as a country (PETRARCH's test dictionaries
        define fictional ones). Returns False when the code is already known."""
        code = code.strip().upper()
        if self.is_known(code):
            return False
        self.rows[code] = CountryRow(cameo=code, iso3=code, name=name, adjectives=())
        self._iso[code] = code
        self._names.setdefault(code, name)
        return True

    def iso3_for_cameo(self, code: str) -> str | None:
        """ISO3 code for a 3-letter CAMEO country code (None if unknown or not a country)."""
        return self._iso.get(code.strip().upper()) or None

    def is_known(self, code: str) -> bool:
        """True if ``code`` is listed, even as a non-country (empty ISO3)."""
        return code.strip().upper() in self._iso

    def country_for_demonym(self, word: str) -> str | None:
        """ISO3 for a nationality adjective or demonym ("Serbian", "Kosovars")."""
        return self._demonyms.get(_norm_words(word))

    def country_for_name(self, name: str) -> str | None:
        """ISO3 for an English country name as written in the table ("Kosovo")."""
        return self._by_name.get(_norm_words(name))

    def name_for(self, iso3: str) -> str | None:
        """English name of an ISO3 country."""
        return self._names.get(iso3.strip().upper())

    def demonym_table(self) -> dict[str, tuple[str, ...]]:
        """ISO3 -> its adjectives and demonyms, as listed."""
        return {iso: tuple(adj) for iso, adj in self._adjectives.items()}


# --------------------------------------------------------------------------- codes


@dataclass(frozen=True)
class CodeParts:
    """A CAMEO actor code split into 3-letter pieces."""

    country: str | None
    sector: str | None
    org: str | None
    region: str | None = None
    base_country: str | None = None
    pieces: tuple[str, ...] = ()


def parse_code(code: str, countries: Countries | None = None) -> CodeParts:
    """Split a CAMEO actor code into country, sectors, organisation and region.

    The first piece is an ISO3 country (CAMEO codes mapped through ``countries``), a
    transnational kind (IGO, NGO, MNC, IMG, ...: kept as the "country"), a region or a
    sector. Later pieces are sectors (joined, e.g. "GOVMIL"), a region, a base country
    (NGOUSA...) or, the first other piece, the organisation: IGOWSTNAT -> ("IGO", None,
    "NAT"), IGOUNO -> org "UNO", IGOEUREEC -> org "EEC", PSEREBHMS -> ("PSE", "REB", "HMS").
    """
    code = code.strip().strip("~").upper()
    if not code or code in NULL_CODES:
        return CodeParts(None, None, None)
    pieces = tuple(code[i : i + 3] for i in range(0, len(code), 3))

    def as_country(piece: str) -> str | None:
        if countries is not None:
            return countries.iso3_for_cameo(piece)
        return piece if piece.isalpha() and piece not in SECTORS | REGIONS | TRANSNATIONAL else None

    country = region = base = org = None
    sectors: list[str] = []
    first, rest = pieces[0], pieces[1:]
    if first in TRANSNATIONAL:
        country = first
    elif first in REGIONS:
        region = first
    elif first in SECTORS and (countries is None or not countries.is_known(first)):
        sectors.append(first)
    elif countries is not None and countries.is_known(first):
        country = countries.iso3_for_cameo(first)
    elif countries is None and as_country(first):
        country = first
    else:
        org = first
    for piece in rest:
        if piece in SECTORS:
            sectors.append(piece)
        elif piece in REGIONS and region is None:
            region = piece
        elif base is None and org is None and as_country(piece):
            base = as_country(piece)
        elif org is None:
            org = piece
    return CodeParts(country, "".join(sectors) or None, org, region, base, pieces)


def split_code(code: str, countries: Countries | None = None) -> tuple[str | None, str | None, str | None]:
    """``(country, sector, org)`` of a CAMEO code; country is ISO3 or IGO/NGO/MNC/IMG/..."""
    parts = parse_code(code, countries)
    return parts.country, parts.sector, parts.org


def _normalize_code(code: DatedCode, countries: Countries | None) -> DatedCode:
    """Rewrite a leading CAMEO country piece (and an IGO/NGO base country) to ISO3."""
    if countries is None:
        return code
    new = _normalize_code_str(code.code, countries)
    return code if new == code.code else DatedCode(new, code.start, code.end)


def _normalize_code_str(code: str, countries: Countries) -> str:
    if len(code) < 3 or code in NULL_CODES:
        return code
    pieces = [code[i : i + 3] for i in range(0, len(code), 3)]
    positions = [1] if pieces[0] in TRANSNATIONAL else [0]
    for pos in positions:
        if pos < len(pieces) and len(pieces[pos]) == 3:
            iso = countries.iso3_for_cameo(pieces[pos])
            if iso and iso != pieces[pos]:
                pieces[pos] = iso
    return "".join(pieces)


# --------------------------------------------------------------------------- loading


@dataclass
class Dictionaries:
    """Everything the coder needs: actors, agents and the country table."""

    actors: ActorDictionary
    agents: AgentDictionary
    countries: Countries
    sources: tuple[str, ...] = ()


DEFAULT_ACTOR_FILES = (
    "phoenix/Phoenix.Countries.actors.txt",
    "phoenix/Phoenix.International.actors.txt",
    "phoenix/Phoenix.MilNonState.actors.txt",
    "powderkeg.actors.txt",
)
DEFAULT_AGENT_FILES = ("phoenix/Phoenix.agents.txt", "powderkeg.agents.txt")


def data_dir() -> Traversable:
    """The package's ``data`` folder (installed or in a source tree)."""
    try:
        base = resources.files("powderkeg") / "data"
        if base.is_dir():
            return base
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "data"


def default_actor_sources() -> list[Traversable]:
    """The shipped actor files that exist, in load order."""
    root = data_dir() / "dictionaries"
    paths = [root.joinpath(*name.split("/")) for name in DEFAULT_ACTOR_FILES]
    return [p for p in paths if p.is_file()]


def default_agent_sources() -> list[Traversable]:
    """The shipped agent files that exist, in load order (powderkeg.agents.txt optional)."""
    root = data_dir() / "dictionaries"
    paths = [root.joinpath(*name.split("/")) for name in DEFAULT_AGENT_FILES]
    return [p for p in paths if p.is_file()]


def default_countries_source() -> Traversable:
    """The shipped ``countries.tsv``."""
    return data_dir() / "countries.tsv"


def cache_dir() -> Path | None:
    """Directory for compiled dictionaries, or None when caching is disabled.

    ``POWDERKEG_NO_CACHE=1`` disables it; ``POWDERKEG_CACHE_DIR`` overrides the place,
    otherwise ``$XDG_CACHE_HOME/powderkeg`` or ``~/.cache/powderkeg``.
    """
    if os.environ.get("POWDERKEG_NO_CACHE", "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get("POWDERKEG_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "powderkeg"


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> bytes:
    """Hash of this module's source, so a code change invalidates cached dictionaries."""
    try:
        return hashlib.sha256(Path(__file__).read_bytes()).digest()
    except OSError:
        return _CACHE_VERSION.encode()


def _cache_read(path: Path) -> Dictionaries | None:
    try:
        with path.open("rb") as fh:
            value = pickle.load(fh)
    except Exception:  # noqa: BLE001 - any unreadable cache is simply rebuilt
        return None
    return value if isinstance(value, Dictionaries) else None


def _cache_write(path: Path, value: Dictionaries) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        old = sorted(path.parent.glob("dictionaries-*.pickle"), key=lambda p: p.stat().st_mtime)
        for stale in old[:-8]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass


def load(
    actor_paths: Iterable[Source] = (),
    agent_paths: Iterable[Source] = (),
    *,
    defaults: bool = True,
    countries_path: Source | None = None,
    demonyms: bool = True,
    cache: bool = True,
) -> Dictionaries:
    """Load dictionaries: the shipped ones (if ``defaults``), then the given files.

    Later files win on conflicting phrases, so user files override the shipped ones.
    Country codes are mapped to ISO3 and, if ``demonyms``, country adjectives missing from
    the actor files are added as country actors. The result is cached on disk (see
    :func:`cache_dir`) keyed by the files' contents.
    """
    actor_sources: list[Source] = [*(default_actor_sources() if defaults else []), *actor_paths]
    agent_sources: list[Source] = [*(default_agent_sources() if defaults else []), *agent_paths]
    country_source = countries_path if countries_path is not None else default_countries_source()

    texts: dict[str, list[tuple[str, str]]] = {
        "actors": [_read(s) for s in actor_sources],
        "agents": [_read(s) for s in agent_sources],
        "countries": [_read(country_source)],
    }
    digest = hashlib.sha256(f"{_CACHE_VERSION}|demonyms={demonyms}|".encode())
    digest.update(_code_fingerprint())
    for kind, items in texts.items():
        for text, label in items:
            digest.update(f"|{kind}|{Path(label).name}|{len(text)}|".encode())
            digest.update(text.encode("utf-8", errors="replace"))
    where = cache_dir() if cache else None
    cache_file = where / f"dictionaries-{digest.hexdigest()[:32]}.pickle" if where else None
    if cache_file is not None and cache_file.exists():
        cached = _cache_read(cache_file)
        if cached is not None:
            return cached

    countries = Countries.load(country_source)
    actors = ActorDictionary()
    for text, label in texts["actors"]:
        actors.merge(ActorDictionary.parse(text, label, countries))
    agents = AgentDictionary()
    for text, label in texts["agents"]:
        agents.merge(AgentDictionary.parse(text, label))
    _adopt_country_codes(actors, countries)
    if demonyms:
        actors.add_demonyms(countries)
    labels = tuple(label for items in texts.values() for _, label in items)
    result = Dictionaries(actors, agents, countries, labels)
    if cache_file is not None:
        _cache_write(cache_file, result)
    return result


def _adopt_country_codes(actors: ActorDictionary, countries: Countries) -> None:
    """A bare 3-letter code in an actor file that is no known country, organisation base or
    sector is that file's own country code: keep it as a country rather than read it as an
    organisation."""
    for entry in actors.phrases.values():
        for dated in entry.codes:
            code = dated.code
            if len(code) == 3 and code.isalpha() and code.upper() not in TRANSNATIONAL | SECTORS:
                countries.add_country(code, entry.name.replace("_", " ").strip().title())


@functools.lru_cache(maxsize=1)
def load_default() -> Dictionaries:
    """The shipped dictionaries (loaded once per process; treat the result as read-only)."""
    return load()
