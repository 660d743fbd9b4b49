"""The coder's knowledge files under ``data/``, parsed into typed tables.

``triggers.tsv`` (trigger patterns), ``modes.tsv`` (words that set a mode), ``lexicon.tsv`` (function
words the grammar rules use) and ``casualties.tsv`` (casualty words, vague quantities). Each file
documents its own columns in its header.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

from spacy.tokens import Token

from powderkeg.coder.taxonomy import PLOVER_CATEGORIES


def _deinflect(word: str) -> list[str]:
    out = [word]
    if word.endswith("ied") or word.endswith("ies"):
        out.append(word[:-3] + "y")
    if word.endswith("ed"):
        out += [word[:-1], word[:-2]]
    if word.endswith("ing"):
        out += [word[:-3], word[:-3] + "e"]
    if word.endswith("es"):
        out.append(word[:-2])
    if word.endswith("s"):
        out.append(word[:-1])
    return out


class LexiconError(ValueError):
    """A knowledge file has a malformed row; the message names the file and line."""


@dataclass(frozen=True)
class Condition:
    kind: str  # "dep", "prep", "holds", "head", "neg", "passive"
    dep: str = ""
    lemmas: frozenset[str] = frozenset()  # empty or {"*"}: any word


@dataclass(frozen=True)
class TriggerRule:
    lemma: str
    pos: str  # "VERB" or "NOUN"
    requires: tuple[Condition, ...]
    category: str
    mode: str | None
    object_role: str  # "target" or "theme"
    via: tuple[str, ...]
    flags: frozenset[str]
    source: str  # "file:line", for transparency
    origin: str = "pattern"  # "pattern" (triggers.tsv), "verbs" or "verbs-default" (the CAMEO verb dictionary)

    @property
    def blocks(self) -> bool:
        """A row whose category is "-": in this context the word is no event (a CAMEO statement
        PLOVER drops, like denying an accusation)."""
        return self.category == "-"

    @property
    def name(self) -> str:
        extra = "".join(f"+{c.dep or c.kind}" for c in self.requires)
        return f"{self.origin}:{self.lemma}{extra}".replace(" ", "_")


def _rows(text: str, origin: str) -> Iterable[tuple[str, list[str]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        yield f"{origin}:{number}", [cell.strip() for cell in line.split("\t")]


def _data_text(name: str) -> str:
    return resources.files("powderkeg.data").joinpath(name).read_text(encoding="utf-8")


def _none(cell: str) -> str | None:
    return None if cell in ("", "-") else cell


def parse_condition(text: str, where: str) -> Condition:
    if text in ("neg", "passive"):
        return Condition(kind=text)
    kind, sep, rest = text.partition(":")
    if not sep or kind not in ("prep",) and not rest:
        raise LexiconError(f"{where}: cannot read condition {text!r} (expected dep:lemma|lemma, prep:p>lemma, neg)")
    if kind in ("holds", "head"):
        return Condition(kind=kind, lemmas=frozenset(rest.split("|")))
    if kind == "prep":
        prep, _, lemmas = rest.partition(">")
        return Condition(kind="prep", dep=prep, lemmas=frozenset(lemmas.split("|")) if lemmas else frozenset())
    return Condition(kind="dep", dep=kind, lemmas=frozenset(rest.split("|")))


# the flags a triggers.tsv row may carry (see the file's header), besides acled=HINT
TRIGGER_FLAGS = frozenset(
    {"host_gov", "no_source_ok", "subject_target", "police_source", "bare_ok", "stative", "state_act", "denial"}
)


def parse_triggers(text: str, origin: str) -> list[TriggerRule]:
    rules: list[TriggerRule] = []
    for where, cells in _rows(text, origin):
        if len(cells) != 8:
            raise LexiconError(f"{where}: expected 8 tab-separated columns, found {len(cells)}")
        lemma, pos, requires, category, mode, object_role, via, flags = cells
        if pos not in ("VERB", "NOUN"):
            raise LexiconError(f"{where}: pos must be VERB or NOUN, not {pos!r}")
        if object_role not in ("target", "theme"):
            raise LexiconError(f"{where}: object must be target or theme, not {object_role!r}")
        if category != "-" and category.upper() not in PLOVER_CATEGORIES:
            raise LexiconError(f"{where}: category must be a PLOVER category or - (no event), not {category!r}")
        flag_set = frozenset(f for f in (flags.split(",") if _none(flags) else []) if f)
        unknown = sorted(f for f in flag_set if f not in TRIGGER_FLAGS and not f.startswith("acled="))
        if unknown:
            known = ", ".join(sorted(TRIGGER_FLAGS))
            raise LexiconError(f"{where}: unknown flag {unknown[0]!r} (known: {known}, acled=HINT)")
        conditions = tuple(parse_condition(c.strip(), where) for c in requires.split(",") if _none(c.strip()))
        rules.append(
            TriggerRule(
                lemma=lemma.lower(),
                pos=pos,
                requires=conditions,
                category=category.upper(),
                mode=_none(mode),
                object_role=object_role,
                via=tuple(p for p in (via.split(",") if _none(via) else []) if p),
                flags=flag_set,
                source=where,
            )
        )
    return rules


NEAREST = ("actor", "place", "none")


@dataclass
class Lexicon:
    """Everything the coder reads from data files, indexed for lookup."""

    triggers: dict[tuple[str, str], list[TriggerRule]] = field(default_factory=dict)
    modes: dict[str, dict[str, str]] = field(default_factory=dict)  # category -> lemma -> mode
    words: dict[str, frozenset[str]] = field(default_factory=dict)  # kind -> lemmas
    casualty_words: dict[str, frozenset[str]] = field(default_factory=dict)
    vague_numbers: dict[str, int] = field(default_factory=dict)
    acled_context: dict[tuple[str, ...], str] = field(default_factory=dict)  # lemma sequence -> hint
    # (hint, ACLED type, sub-type) in precedence order: how a demonstration is coded
    demonstration: list[tuple[str, str, str]] = field(default_factory=list)
    category_roles: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # -> (object, via)
    # what the nearest-target fallback may take for a category: "actor", "place" or "none"
    nearest_target: dict[str, str] = field(default_factory=dict)

    def hint_words(self, hint: str) -> frozenset[str]:
        """The one-word phrases of acled_context.tsv that give ``hint``."""
        return self._hint_words.get(hint, frozenset())

    @cached_property
    def _hint_words(self) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for words, hint in self.acled_context.items():
            if len(words) == 1:
                found[hint].add(words[0])
        return {hint: frozenset(words) for hint, words in found.items()}

    def kind(self, name: str) -> frozenset[str]:
        return self.words.get(name, frozenset())

    @cached_property
    def known_lemmas(self) -> frozenset[str]:
        words = {lemma for lemma, _ in self.triggers}
        for group in self.words.values():
            words |= group
        return frozenset(words)

    def lemma(self, tok: Token) -> str:
        """The token's lemma, repaired when the model's lemmatizer slipped on a verb this lexicon
        knows ("staged" -> "stag" is read as "stage"). Nouns keep the model's lemma: stripping their
        endings reads "sites" as "sit" (a sit-in)."""
        lemma = tok.lemma_.lower()
        if lemma in self.known_lemmas or tok.pos_ != "VERB":
            return lemma
        for candidate in _deinflect(tok.lower_):
            if candidate in self.known_lemmas:
                return candidate
        return lemma

    @cached_property
    def _contexts_by_first_word(self) -> dict[str, list[tuple[tuple[str, ...], str]]]:
        index: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        for phrase, hint in self.acled_context.items():
            index[phrase[0]].append((phrase, hint))
        return dict(index)

    def contexts(self, lemmas: list[str]) -> set[str]:
        """The ACLED context hints whose phrases occur in a run of lemmas. The longest phrase at a
        place wins and covers its words: "riot police" gives its own hint, not "riot"'s."""
        found: set[str] = set()
        index = self._contexts_by_first_word
        i = 0
        while i < len(lemmas):
            longest = max(
                (
                    (phrase, hint)
                    for phrase, hint in index.get(lemmas[i], ())
                    if len(phrase) == 1 or tuple(lemmas[i : i + len(phrase)]) == phrase
                ),
                key=lambda match: len(match[0]),
                default=None,
            )
            if longest is None:
                i += 1
                continue
            if longest[1] != "-":
                found.add(longest[1])
            i += len(longest[0])
        return found

    def rule_for_cameo(
        self, lemma: str, category: str, mode: str | None, source: str, origin: str = "verbs"
    ) -> TriggerRule:
        """A trigger rule for a verb the CAMEO verb dictionary codes, with the category's roles.
        ``origin``: "verbs" for a matched pattern, "verbs-default" for the verb's default code."""
        object_role, via = self.category_roles.get(category, ("target", ()))
        return TriggerRule(lemma, "VERB", (), category, mode, object_role, via, frozenset(), source, origin=origin)

    def _expand(self, cond: Condition, rule: TriggerRule) -> Condition:
        named = {w for w in cond.lemmas if w.startswith("@")}
        if not named:
            return cond
        lemmas = set(cond.lemmas - named)
        for name in named:
            if name[1:] not in self.words:
                raise LexiconError(f"{rule.source}: no kind {name[1:]!r} in lexicon.tsv for {name}")
            lemmas |= self.words[name[1:]]
        return replace(cond, lemmas=frozenset(lemmas))

    def rules_for(self, lemma: str, pos: str) -> list[TriggerRule]:
        return self.triggers.get((lemma, pos), [])

    def add_triggers(self, rules: Iterable[TriggerRule]) -> None:
        """Add rules; one with the same lemma, pos and conditions as an existing rule replaces it.
        A condition's ``@kind`` stands for the words of that kind (load the words first)."""
        for rule in rules:
            rule = replace(rule, requires=tuple(self._expand(c, rule) for c in rule.requires))
            bucket = self.triggers.setdefault((rule.lemma, rule.pos), [])
            bucket[:] = [r for r in bucket if r.requires != rule.requires]
            bucket.append(rule)
            bucket.sort(key=lambda r: -len(r.requires))  # most specific first


def build_lexicon(extra_trigger_files: Iterable[str | Path] = ()) -> Lexicon:
    lex = Lexicon()
    modes: dict[str, dict[str, str]] = defaultdict(dict)
    for where, cells in _rows(_data_text("modes.tsv"), "modes.tsv"):
        if len(cells) != 3:
            raise LexiconError(f"{where}: expected category, lemma, mode")
        modes[cells[0].upper()][cells[1].lower()] = cells[2]
    lex.modes = dict(modes)

    words: dict[str, set[str]] = defaultdict(set)
    for where, cells in _rows(_data_text("lexicon.tsv"), "lexicon.tsv"):
        if len(cells) != 2:
            raise LexiconError(f"{where}: expected kind, lemma")
        words[cells[0]].add(cells[1].lower())
    lex.words = {k: frozenset(v) for k, v in words.items()}

    lex.add_triggers(parse_triggers(_data_text("triggers.tsv"), "triggers.tsv"))
    for path in extra_trigger_files:
        p = Path(path)
        lex.add_triggers(parse_triggers(p.read_text(encoding="utf-8"), str(p)))

    casualty: dict[str, set[str]] = defaultdict(set)
    for where, cells in _rows(_data_text("casualties.tsv"), "casualties.tsv"):
        if cells[0] == "vague":
            if len(cells) != 3 or not cells[2].isdigit():
                raise LexiconError(f"{where}: a vague quantity needs a number")
            lex.vague_numbers[cells[1].lower()] = int(cells[2])
        else:
            casualty[cells[0]].add(cells[1].lower())
    lex.casualty_words = {k: frozenset(v) for k, v in casualty.items()}

    for where, cells in _rows(_data_text("acled_context.tsv"), "acled_context.tsv"):
        if len(cells) != 2:
            raise LexiconError(f"{where}: expected a phrase and a context hint")
        lex.acled_context[tuple(cells[0].lower().split())] = cells[1]

    for where, cells in _rows(_data_text("acled_demonstration.tsv"), "acled_demonstration.tsv"):
        if len(cells) != 3:
            raise LexiconError(f"{where}: expected a context hint, an ACLED type and a sub-type")
        lex.demonstration.append((cells[0], cells[1], cells[2]))

    for where, cells in _rows(_data_text("category_roles.tsv"), "category_roles.tsv"):
        if len(cells) != 4 or cells[1] not in ("target", "theme") or cells[3] not in NEAREST:
            raise LexiconError(f"{where}: expected category, target|theme, prepositions, {'|'.join(NEAREST)}")
        lex.category_roles[cells[0].upper()] = (cells[1], tuple(p for p in cells[2].split(",") if _none(p)))
        lex.nearest_target[cells[0].upper()] = cells[3]
    return lex


@lru_cache(maxsize=8)
def default_lexicon(extra_trigger_files: tuple[str, ...] = ()) -> Lexicon:
    return build_lexicon(extra_trigger_files)
