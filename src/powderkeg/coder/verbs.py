"""CAMEO verb patterns in PETRARCH-2 ``.verbs`` format, matched on spaCy dependency parses.

A verb file has synonym sets (``&NAME`` followed by ``+WORD`` lines) and verb blocks::

    ---  LABEL   [code]  ---
    VERB                          a verb (its regular forms are found through spaCy's lemma)
    VERB {FORMS ...} [code]       irregular forms; a code of its own overrides the block's
    +CARRY_OUT {+CARRIED_OUT}     a multi-word verb: "+" marks the verb, the rest is required
    - words * words [CODE] # VERB comment

In a pattern ``*`` is the verb; words before it must occur on the subject side of the verb's
clause, words after it on the object side, in order. ``(PREP X ...)`` is a prepositional
phrase, ``{A B}`` and ``A_B`` consecutive words, ``&SET`` any member of a synonym set, ``A/B``
either word. ``$`` marks where the source actor is, ``+`` the target, ``%`` a compound actor
that is both, ``^`` any noun phrase that is skipped. Codes: ``[190]``; ``[042:043]`` is a
paired code (source->target 042, target->source 043; ``[:110]`` only the reverse event);
``[---]`` is the null code, which matches and blocks coding. The comment after ``#`` names the
verb the pattern was found under: the pattern then applies to that verb only.

A word with a trailing ``_`` must equal the token; other words match a token's lemma or its
lower-cased text, and words of five or more letters also match as a prefix ("ATTACK" matches
"attackers"). Words are split the way spaCy's English tokenizer splits text ("SIT-IN" ->
"sit - in"), with :func:`powderkeg.coder.dictionaries.name_keys`.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from spacy.attrs import DEP, HEAD, LEMMA, LOWER
from spacy.strings import get_string_id
from spacy.tokens import Doc, Token

from powderkeg.coder.dictionaries import name_keys, read_source, without_xml_comments

__all__ = [
    "NULL_CODE",
    "Element",
    "Marker",
    "Phrase",
    "PrepPhrase",
    "Unit",
    "VerbDictionary",
    "VerbLoadStats",
    "VerbMatch",
    "VerbPattern",
    "Word",
    "default_verb_source",
    "load_default",
]

Source = str | os.PathLike[str] | Traversable

#: The code of a pattern that matches but codes no event.
NULL_CODE = "---"
_NULL_CODES = frozenset({"---", "+++", "###"})
_CODE_RE = re.compile(r"^(?:[A-Za-z0-9]+|-{3}|\+{3}|#{3})$")
_HEADER_LABEL_RE = re.compile(r"^-{3,}\s*([^\[]*?)[\s-]*(?:\[|$)")
_BRACKETS_RE = re.compile(r"\[([^\[\]]*)\]")
_PATTERN_RE = re.compile(r"^-\s*(?P<body>.*?)\s*\[(?P<code>[^\[\]]*)\]\s*$")
_VERB_RE = re.compile(r"^(?P<word>[^{\[]+?)\s*(?:\{(?P<forms>[^}]*)\})?\s*(?:\[(?P<code>[^\]]*)\])?\s*$")
_LEX_RE = re.compile(r"[(){}]|[^\s(){}]+")
_COMMENT_VERB_RE = re.compile(r"^\s*(\+?[A-Z][A-Z_+\-]*)")
_MARKERS = frozenset("$+%^")
_PREFIX_MIN = 5
_MAX_PROBLEMS = 200

#: Subject dependencies: a verb with one of these children has its own subject.
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass", "expl"})
#: Clauses a pattern does not reach into when they have their own subject (conj verbs: always).
_CLAUSE_DEPS = frozenset({"ccomp", "advcl", "relcl", "parataxis", "csubj", "acl", "conj"})
_SUBJECT_DEP_IDS = frozenset(get_string_id(d) for d in _SUBJECT_DEPS)
_CLAUSE_DEP_IDS = frozenset(get_string_id(d) for d in _CLAUSE_DEPS)
_CONJ_ID = get_string_id("conj")
_VERBAL_POS = frozenset({"VERB", "AUX"})
_NOMINAL_POS = frozenset({"NOUN", "PROPN", "PRON", "NUM"})
#: Dependencies inside a noun phrase: a marker's phrase head is found by climbing these.
_NP_INTERNAL = frozenset({"compound", "flat", "amod", "nmod", "poss", "nummod", "det", "quantmod", "case", "predet"})
#: Auxiliary forms in multi-word verbs ("+IS_DETERMINED").
_AUX_LEMMAS = {
    "is": "be", "are": "be", "was": "be", "were": "be", "am": "be", "been": "be", "being": "be",
    "has": "have", "had": "have", "having": "have", "does": "do", "did": "do", "done": "do",
}  # fmt: skip


class PatternError(ValueError):
    """A pattern line that cannot be read (the message says why)."""


# --------------------------------------------------------------------------- pattern elements


@dataclass(frozen=True, slots=True)
class Word:
    """One dictionary word as a lower-cased spaCy token (``prefix``: also matches as a prefix)."""

    text: str
    exact: bool = False
    prefix: bool = False

    @property
    def key(self) -> str:
        """The index key a matching token always has among its keys (see ``_DocView``)."""
        return self.text[:_PREFIX_MIN] if self.prefix else self.text


WordSeq = tuple[Word, ...]


@dataclass(frozen=True)
class Unit:
    """One pattern position: alternative sequences of consecutive words.

    A plain word has one alternative (several if spaCy may split it differently), ``A/B`` two,
    a synonym set one per member.
    """

    label: str
    alternatives: tuple[WordSeq, ...]
    index: dict[str, tuple[WordSeq, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, list[WordSeq]] = {}
        for alt in self.alternatives:
            index.setdefault(alt[0].key, []).append(alt)
        object.__setattr__(self, "index", {k: tuple(v) for k, v in index.items()})

    @property
    def keys(self) -> frozenset[str]:
        """Index keys of the alternatives' first words."""
        return frozenset(self.index)


@dataclass(frozen=True)
class Phrase:
    """Consecutive units (``{A B}``, ``A_B`` or a single word); ``adjacent``: joined to the verb."""

    units: tuple[Unit, ...]
    adjacent: bool = False


@dataclass(frozen=True)
class PrepPhrase:
    """``(PREP X ...)``: a token PREP whose subtree holds the inner elements, in order."""

    prep: Unit
    inner: tuple[Element, ...] = ()


@dataclass(frozen=True)
class Marker:
    """``$`` source, ``+`` target, ``%`` compound source-and-target, ``^`` a skipped noun phrase."""

    kind: str


Element = Phrase | PrepPhrase | Marker


def _specificity(elements: Iterable[Element]) -> int:
    total = 0
    for e in elements:
        if isinstance(e, Phrase):
            total += len(e.units)
        elif isinstance(e, PrepPhrase):
            total += 1 + _specificity(e.inner)
    return total


def _markers(elements: Iterable[Element]) -> str:
    out = ""
    for e in elements:
        if isinstance(e, Marker):
            out += e.kind
        elif isinstance(e, PrepPhrase):
            out += _markers(e.inner)
    return out


def _units(elements: Iterable[Element], *, preps: bool) -> Iterator[Unit]:
    for e in elements:
        if isinstance(e, Phrase):
            yield from e.units
        elif isinstance(e, PrepPhrase):
            if preps:
                yield e.prep
            yield from _units(e.inner, preps=preps)


# --------------------------------------------------------------------------- patterns and matches


@dataclass(frozen=True)
class VerbPattern:
    """One ``- ... * ... [CODE]`` line of a verb block."""

    verb: str | None  #: the verb it was written for ("attack", "carry out"); None: every verb of the block
    block: str  #: the block's label
    before: tuple[Element, ...]  #: subject-side elements, in order
    after: tuple[Element, ...]  #: object-side elements, in order
    code: str  #: CAMEO code of the source->target event; "---" = no event (blocks coding)
    reverse_code: str | None  #: code of the target->source event of a paired code ``[a:b]``
    source: str  #: "CAMEO.2.0.txt:1234"
    specificity: int  #: words (and synonym sets) the pattern requires
    has_markers: bool  #: the pattern marks the source (``$``), target (``+``) or both (``%``)
    markers: str = ""  #: the marker characters in pattern order, ``^`` included
    text: str = ""  #: the pattern as written
    order: int = field(default=0, compare=False)  #: file order (ties go to the earlier pattern)

    @property
    def null(self) -> bool:
        """True for ``[---]``: a match that codes nothing."""
        return self.code == NULL_CODE


@dataclass
class VerbMatch:
    """The result of :meth:`VerbDictionary.match`."""

    code: str  #: "---" = explicitly no event
    pattern: VerbPattern | None  #: None: no pattern matched and the verb's default code was used
    tokens: list[Token]  #: tokens that matched the pattern's words (and a multi-word verb's particles)
    source_token: Token | None = None  #: head of the phrase at ``$`` (or ``%``)
    target_token: Token | None = None  #: head of the phrase at ``+`` (or ``%``)
    reverse_code: str | None = None  #: target->source code of a paired code
    verb: str = ""  #: the dictionary verb that matched ("carry out")
    block: str = ""  #: its block's label

    @property
    def null(self) -> bool:
        """True when the match blocks coding (``[---]``)."""
        return self.code == NULL_CODE


@dataclass
class VerbLoadStats:
    """Counts collected while reading verb files."""

    files: int = 0
    lines: int = 0
    blocks: int = 0
    verbs: int = 0  #: verb lines
    multiword_verbs: int = 0
    forms: int = 0  #: irregular forms listed in {}
    synsets: int = 0
    synset_members: int = 0
    patterns: int = 0  #: pattern lines read
    loaded: int = 0  #: patterns kept
    null_patterns: int = 0  #: kept patterns with [---]
    reverse_only: int = 0  #: kept patterns like [:110] (no source->target event)
    paired: int = 0  #: kept patterns with a paired code [a:b]
    skipped: int = 0  #: pattern lines that could not be read
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    transformations: int = 0  #: ``~`` lines (not used)
    problems: list[str] = field(default_factory=list)

    def problem(self, where: str, what: str, reason: str | None = None) -> None:
        """Record a problem; with ``reason`` it is a skipped pattern counted under that reason."""
        if reason is not None:
            self.skipped += 1
            self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + 1
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(f"{where}: {what}")

    def add(self, other: VerbLoadStats) -> None:
        """Add another file's counts to these."""
        for name in (
            "files", "lines", "blocks", "verbs", "multiword_verbs", "forms", "synsets", "synset_members",
            "patterns", "loaded", "null_patterns", "reverse_only", "paired", "skipped", "transformations",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, n in other.skipped_reasons.items():
            self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + n
        room = _MAX_PROBLEMS - len(self.problems)
        self.problems.extend(other.problems[: max(room, 0)])


@dataclass
class _Entry:
    """One verb line: the verb, its required neighbours and the patterns that apply to it."""

    key: str  # "carry out"
    lemma: str
    pre: tuple[Word, ...]  # words right before the verb ("re -" of RE-ESTABLISH)
    post: tuple[Word, ...]  # words after it ("out" of CARRY_OUT)
    code: str | None
    reverse_code: str | None
    block: str
    order: int
    patterns: list[VerbPattern] = field(default_factory=list)
    anchors: dict[str, list[int]] = field(default_factory=dict)
    unanchored: list[int] = field(default_factory=list)

    def finish(self) -> None:
        """Sort the patterns by priority and index them by one required word each."""
        self.patterns.sort(key=lambda p: (-p.specificity, p.order))
        self.anchors = {}
        self.unanchored = []
        for pos, pattern in enumerate(self.patterns):
            keys = _anchor_keys(pattern)
            if not keys:
                self.unanchored.append(pos)
            for key in keys:
                self.anchors.setdefault(key, []).append(pos)


def _anchor_keys(pattern: VerbPattern) -> frozenset[str]:
    """Keys of which a matching clause must contain at least one: those of the most selective unit."""
    elements = pattern.before + pattern.after
    best: frozenset[str] | None = None
    for preps in (False, True):
        for unit in _units(elements, preps=preps):
            keys = unit.keys
            if best is None or (len(keys), -max(map(len, keys))) < (len(best), -max(map(len, best))):
                best = keys
        if best is not None and len(best) <= 12:
            break
    return best or frozenset()


# --------------------------------------------------------------------------- reading


def _lines(text: str) -> Iterator[tuple[int, str, str]]:
    """``(line_number, content, comment)`` of non-blank lines; XML comments are dropped."""
    for number, raw in without_xml_comments(text):
        line = raw
        comment = ""
        for mark in ("#", ";"):
            if mark in line:
                line, rest = line.split(mark, 1)
                comment = comment or rest.strip()
        line = line.strip()
        if line:
            yield number, line, comment


def _split_code(raw: str) -> tuple[str, str | None]:
    """``"042:043"`` -> ("042", "043"); ``":110"`` -> ("---", "110"); null codes -> "---".

    A trailing ``?`` or ``!`` (a coder's doubt, as in ``[080!]``) is dropped.
    """
    raw = raw.strip().rstrip("?!").strip()
    reverse: str | None = None
    if ":" in raw:
        raw, rev = (part.strip() for part in raw.split(":", 1))
        if rev:
            if not _CODE_RE.match(rev):
                raise PatternError(f"bad code: [{raw}:{rev}]")
            reverse = None if rev in _NULL_CODES else rev
        raw = raw or NULL_CODE
    if not _CODE_RE.match(raw):
        raise PatternError(f"bad code: [{raw}]")
    return (NULL_CODE if raw in _NULL_CODES else raw), reverse


@functools.lru_cache(maxsize=65536)
def _word_seqs(text: str, exact: bool) -> tuple[WordSeq, ...]:
    """A dictionary word (or ``_``/blank-joined words) as spaCy token sequences."""
    out: list[WordSeq] = []
    for key in name_keys(text):
        words = [Word(t, True) if exact else Word(t) for t in key]
        last = key[-1]
        if not exact and len(last) >= _PREFIX_MIN and last.isalpha():
            words[-1] = Word(last, False, True)
        out.append(tuple(words))
    return tuple(out)


def _deinflect(word: str, known: Callable[[str], bool]) -> str | None:
    """The base form of an inflected verb if ``known`` accepts one of the candidates."""
    if word in _AUX_LEMMAS:
        return _AUX_LEMMAS[word]
    candidates: list[str] = []
    if word.endswith(("ies", "ied")) and len(word) > 4:
        candidates.append(word[:-3] + "y")
    if word.endswith("ing") and len(word) > 5:
        stem = word[:-3]
        candidates += [stem, stem + "e"] + ([stem[:-1]] if len(stem) > 2 and stem[-1] == stem[-2] else [])
    if word.endswith("ed") and len(word) > 4:
        stem = word[:-2]
        candidates += [stem, word[:-1]] + ([stem[:-1]] if len(stem) > 2 and stem[-1] == stem[-2] else [])
    if word.endswith("es") and len(word) > 3:
        candidates.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        candidates.append(word[:-1])
    return next((c for c in candidates if known(c)), None)


@dataclass
class _RawBlock:
    label: str
    code: tuple[str, str | None] | None
    line: int
    verbs: list[tuple[int, str, str]] = field(default_factory=list)
    patterns: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _VerbName:
    pre: tuple[Word, ...]
    verb: str
    post: tuple[Word, ...]


@functools.lru_cache(maxsize=16384)
def _verb_name(word: str) -> _VerbName | None:
    """``+CARRY_OUT`` / ``KLM_NOP_+RST`` / ``RE-ESTABLISH`` -> words before, verb word, words after."""
    pieces = [p for p in word.strip().split("_") if p]
    if not pieces:
        return None
    at = next((k for k, p in enumerate(pieces) if p.startswith("+")), 0)
    pieces = [p.lstrip("+") for p in pieces]
    if not all(pieces):
        return None
    keys = name_keys(pieces[at])
    if not keys:
        return None
    head = keys[0]
    pre = [w for p in pieces[:at] for alt in _word_seqs(p, True)[:1] for w in alt] + [Word(t, True) for t in head[:-1]]
    post = [w for p in pieces[at + 1 :] for alt in _word_seqs(p, False)[:1] for w in alt]
    return _VerbName(tuple(pre), head[-1], tuple(post))


# --------------------------------------------------------------------------- the dictionary


class _DocView:
    """Per-document arrays the matcher reads instead of spaCy token attributes."""

    __slots__ = ("doc", "n", "lower", "lemma", "keys", "heads", "has_subject", "bounds", "bound_lefts")

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        n = self.n = len(doc)
        strings = doc.vocab.strings
        array = doc.to_array([LOWER, LEMMA, DEP, HEAD]).tolist() if n else []
        lower: list[str] = []
        lemma: list[str] = []
        keys: list[tuple[str, ...]] = []
        heads: list[int] = []
        deps: list[int] = []
        p = _PREFIX_MIN
        for i, (lw_id, lm_id, dep, head) in enumerate(array):
            lw = strings[lw_id]
            lm = strings[lm_id].lower()
            lower.append(lw)
            lemma.append(lm)
            if lw == lm:
                keys.append((lw,) if len(lw) <= p else (lw, lw[:p]))
            else:
                keys.append((lw, lm, lw[:p], lm[:p]))
            heads.append(i + (head if head < 2**63 else head - 2**64))  # HEAD is a signed offset
            deps.append(dep)
        self.lower, self.lemma, self.keys, self.heads = lower, lemma, keys, heads
        self.has_subject = {heads[i] for i, d in enumerate(deps) if d in _SUBJECT_DEP_IDS}
        bounds: list[tuple[int, int, int]] = []
        for i, dep in enumerate(deps):
            if dep not in _CLAUSE_DEP_IDS or heads[i] == i:
                continue
            tok = doc[i]
            if dep == _CONJ_ID and tok.pos_ not in _VERBAL_POS:
                continue
            if dep == _CONJ_ID or i in self.has_subject:
                bounds.append((tok.left_edge.i, tok.right_edge.i, i))
        bounds.sort()
        self.bounds = bounds
        self.bound_lefts = [b[0] for b in bounds]

    def sides(self, verb: Token, depth: int = 0) -> tuple[list[int], list[int]]:
        """Token indices of the verb's clause before and after it, without embedded finite clauses."""
        v = verb.i
        left, right = verb.left_edge.i, verb.right_edge.i
        before: list[int] = []
        after: list[int] = []
        cursor = left
        k = bisect_left(self.bound_lefts, left)
        bounds = self.bounds
        while k < len(bounds) and bounds[k][0] <= right:
            lo, hi, b = bounds[k]
            k += 1
            if b == v or hi > right or lo <= v <= hi or lo < cursor:
                continue
            self._add(before, after, cursor, lo, v)
            cursor = hi + 1
        self._add(before, after, cursor, right + 1, v)
        if depth < 3 and v not in self.has_subject and verb.dep_ in ("xcomp", "conj") and self.heads[v] != v:
            inherited, _ = self.sides(verb.head, depth + 1)
            if inherited:
                before = sorted(set(inherited) | set(before))
        return before, after

    @staticmethod
    def _add(before: list[int], after: list[int], start: int, stop: int, v: int) -> None:
        if start >= stop:
            return
        if stop <= v:
            before.extend(range(start, stop))
        elif start > v:
            after.extend(range(start, stop))
        else:
            before.extend(range(start, v))
            after.extend(range(v + 1, stop))


class _Matcher:
    """State of one pattern match: the document view, the verb and what has matched so far."""

    __slots__ = ("view", "v", "tokens", "marks")

    def __init__(self, view: _DocView, v: int) -> None:
        self.view = view
        self.v = v
        self.tokens: list[int] = []
        self.marks: list[tuple[str, int]] = []

    def word_ok(self, w: Word, i: int) -> bool:
        lw = self.view.lower[i]
        if lw == w.text:
            return True
        if w.exact:
            return False
        return self.view.lemma[i] == w.text or (w.prefix and lw.startswith(w.text))

    def unit_len(self, unit: Unit, side: list[int], j: int, end: int) -> int:
        """Tokens ``unit`` matches from ``side[j]`` on (consecutive in the text and in ``side``), or 0."""
        i = side[j]
        index = unit.index
        for key in self.view.keys[i]:
            alts = index.get(key)
            if alts is None:
                continue
            for alt in alts:
                n = len(alt)
                if j + n > end or side[j + n - 1] != i + n - 1:
                    continue
                if all(self.word_ok(w, i + k) for k, w in enumerate(alt)):
                    return n
        return 0

    def phrase_len(self, phrase: Phrase, side: list[int], j: int, end: int) -> int:
        total = 0
        for unit in phrase.units:
            if j + total >= end:
                return 0
            n = self.unit_len(unit, side, j + total, end)
            if not n:
                return 0
            total += n
        return total

    def nominal(self, i: int) -> bool:
        tok = self.view.doc[i]
        if tok.pos_ in _NOMINAL_POS:
            return True
        return tok.dep_ in _NP_INTERNAL and tok.head.pos_ in _NOMINAL_POS and tok.head.i != self.v

    def phrase_head(self, i: int) -> int:
        tok = self.view.doc[i]
        for _ in range(8):
            head = tok.head
            if tok.dep_ not in _NP_INTERNAL or head.i == tok.i or head.i == self.v or head.pos_ not in _NOMINAL_POS:
                break
            tok = head
        return tok.i

    def run(
        self,
        elems: tuple[Element, ...],
        k: int,
        side: list[int],
        pos: int,
        end: int,
        cont: Callable[[int], bool],
        *,
        subject: bool,
    ) -> bool:
        """Match ``elems[k:]`` in ``side[pos:end]`` in order, then call ``cont`` with the next position."""
        if k == len(elems):
            return cont(pos)
        e = elems[k]
        tokens, marks = self.tokens, self.marks
        mark_t, mark_m = len(tokens), len(marks)
        if isinstance(e, Phrase):
            if e.adjacent and not subject:
                starts: Iterable[int] = [pos] if pos < end and side[pos] == self.v + 1 else []
            else:
                starts = range(pos, end)
            for j in starts:
                n = self.phrase_len(e, side, j, end)
                if not n or (e.adjacent and subject and side[j + n - 1] != self.v - 1):
                    continue
                tokens.extend(side[j : j + n])
                if self.run(elems, k + 1, side, j + n, end, cont, subject=subject):
                    return True
                del tokens[mark_t:]
            return False
        if isinstance(e, PrepPhrase):
            for j in range(pos, end):
                n = self.unit_len(e.prep, side, j, end)
                if not n:
                    continue
                last = side[j + n - 1]
                prep = self.view.doc[last]
                # the object is in the preposition's subtree; a particle ("set aside the rift")
                # has no subtree, so its object is whatever follows it
                right = prep.right_edge.i
                scope_end = end if prep.dep_ == "prt" else bisect_left(side, right + 1, j + n, end)
                tokens.extend(side[j : j + n])

                def after_inner(p: int, k: int = k) -> bool:
                    return self.run(elems, k + 1, side, p, end, cont, subject=subject)

                if self.run(e.inner, 0, side, j + n, scope_end, after_inner, subject=subject):
                    return True
                del tokens[mark_t:]
                del marks[mark_m:]
            return False
        for j in range(pos, end):
            i = side[j]
            if not self.nominal(i):
                continue
            if e.kind != "^":
                marks.append((e.kind, self.phrase_head(i)))
            if self.run(elems, k + 1, side, j + 1, end, cont, subject=subject):
                return True
            del marks[mark_m:]
        return False

    def pattern(self, p: VerbPattern, before: list[int], after: list[int]) -> bool:
        def object_side(_: int) -> bool:
            return self.run(p.after, 0, after, 0, len(after), lambda _p: True, subject=False)

        return self.run(p.before, 0, before, 0, len(before), object_side, subject=True)

    def words_in_order(self, words: tuple[Word, ...], side: list[int], first_ok: Callable[[int], bool]) -> bool:
        """Match ``words`` in order in ``side``; the first must satisfy ``first_ok``."""
        k = 0
        found: list[int] = []
        for i in side:
            if k == len(words):
                break
            if self.word_ok(words[k], i) and (k > 0 or first_ok(i)):
                found.append(i)
                k += 1
        if k < len(words):
            return False
        self.tokens.extend(found)
        return True


class VerbDictionary:
    """Verb lemmas -> their CAMEO patterns, matched on spaCy parses with :meth:`match`."""

    def __init__(self) -> None:
        self.entries: dict[str, list[_Entry]] = {}
        self.forms: dict[str, str] = {}  # irregular form -> lemma
        self.stats = VerbLoadStats()
        self.sources: tuple[str, ...] = ()
        self._order = 0
        self._lemmas: frozenset[str] = frozenset()
        self._fallback: dict[str, str | None] = {}
        self._view: _DocView | None = None

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_view"] = None
        state["_fallback"] = {}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)

    # -- properties -----------------------------------------------------------------------

    @property
    def lemmas(self) -> frozenset[str]:
        """All verb lemmas (lower-case; a multi-word verb under its head verb)."""
        return self._lemmas

    @property
    def patterns(self) -> list[VerbPattern]:
        """Every loaded pattern once, in file order."""
        seen: dict[int, VerbPattern] = {}
        for entries in self.entries.values():
            for entry in entries:
                for p in entry.patterns:
                    seen.setdefault(id(p), p)
        return sorted(seen.values(), key=lambda p: p.order)

    def __contains__(self, lemma: object) -> bool:
        return isinstance(lemma, str) and lemma.lower() in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    # -- loading --------------------------------------------------------------------------

    @classmethod
    def load(cls, paths: Iterable[Source]) -> VerbDictionary:
        """Load verb files in order (the patterns of all files apply; earlier lines win ties)."""
        out = cls()
        for path in paths:
            text, label = read_source(path)
            out.merge(cls.parse(text, label))
        return out

    def merge(self, other: VerbDictionary) -> None:
        """Add ``other``'s verbs and patterns after these."""
        shift = self._order
        moved: dict[int, VerbPattern] = {}
        for lemma, entries in other.entries.items():
            for entry in entries:
                if shift:
                    entry.order += shift
                    entry.patterns = [
                        moved.setdefault(id(p), dataclasses.replace(p, order=p.order + shift)) for p in entry.patterns
                    ]
                    entry.finish()
                self.entries.setdefault(lemma, []).append(entry)
        for form, lemma in other.forms.items():
            self.forms.setdefault(form, lemma)
        self._order += other._order
        self.stats.add(other.stats)
        self.sources += other.sources
        self._lemmas = frozenset(self.entries)
        self._fallback.clear()

    @classmethod
    def parse(cls, text: str, source: str = "<string>") -> VerbDictionary:
        """Parse the text of one verb file; ``source`` names it in pattern sources."""
        out = cls()
        stats = out.stats
        stats.files = 1
        stats.lines = text.count("\n") + 1
        name = Path(source).name if source else "<string>"
        out.sources = (source,)
        synsets_raw: dict[str, list[tuple[int, str]]] = {}
        blocks: list[_RawBlock] = []
        block: _RawBlock | None = None
        synset: str | None = None

        for line_no, line, comment in _lines(text):
            where = f"{name}:{line_no}"
            if line.startswith("---"):
                m = _HEADER_LABEL_RE.match(line)
                label = m.group(1).strip() if m else ""
                codes = _BRACKETS_RE.findall(line)
                if len(codes) > 1:
                    stats.problem(where, f"block header with {len(codes)} codes, the first one used: {line!r}")
                code = None
                if codes and codes[0].strip():
                    try:
                        code = _split_code(codes[0])
                    except PatternError as exc:
                        stats.problem(where, f"{exc} in block header")
                block = _RawBlock(label, code, line_no)
                blocks.append(block)
                synset = None
            elif line.startswith("&"):
                synset = line.split()[0].upper()
                synsets_raw.setdefault(synset, [])
            elif line.startswith("~"):
                stats.transformations += 1
            elif line.startswith("-"):
                if block is None:
                    stats.problem(where, "pattern outside a verb block", "outside a block")
                    continue
                stats.patterns += 1
                block.patterns.append((line_no, line, comment))
            elif line.startswith("+") and synset is not None:
                synsets_raw[synset].append((line_no, line[1:].strip()))
            elif block is not None:
                block.verbs.append((line_no, line, comment))
            else:
                stats.problem(where, f"line outside a verb block: {line!r}")

        synsets = _compile_synsets(synsets_raw, stats, name)
        stats.synsets = len(synsets_raw)
        stats.synset_members = sum(len(v) for v in synsets_raw.values())
        out._build(blocks, synsets, name)
        return out

    def _build(self, blocks: list[_RawBlock], synsets: dict[str, Unit], name: str) -> None:
        stats = self.stats
        stats.blocks = len(blocks)
        parsed: list[tuple[_RawBlock, list[tuple[_VerbName, tuple[str, str | None] | None, int]]]] = []
        plain: set[str] = set()
        for block in blocks:
            verbs = []
            for line_no, line, _ in block.verbs:
                where = f"{name}:{line_no}"
                m = _VERB_RE.match(line)
                verb = _verb_name(re.sub(r"\s+", "_", m.group("word"))) if m else None
                if m is None or verb is None:
                    stats.problem(where, f"unreadable verb line {line!r}")
                    continue
                code = None
                if m.group("code") is not None and m.group("code").strip():
                    try:
                        code = _split_code(m.group("code"))
                    except PatternError as exc:
                        stats.problem(where, str(exc))
                stats.verbs += 1
                if verb.pre or verb.post:
                    stats.multiword_verbs += 1
                else:
                    plain.add(verb.verb)
                verbs.append((verb, code, line_no))
                for form in (m.group("forms") or "").replace(",", " ").split():
                    form_name = _verb_name(form)
                    if form_name is not None and form_name.verb != verb.verb:
                        self.forms.setdefault(form_name.verb, verb.verb)
                        stats.forms += 1
            parsed.append((block, verbs))

        def lemma_of(verb: _VerbName) -> str:
            if not (verb.pre or verb.post) or verb.verb in plain:
                return verb.verb
            return self.forms.get(verb.verb) or _deinflect(verb.verb, plain.__contains__) or verb.verb

        for block, verbs in parsed:
            entries: list[_Entry] = []
            for verb, code, _line in verbs:
                lemma = lemma_of(verb)
                key = " ".join([w.text for w in verb.pre] + [lemma] + [w.text for w in verb.post])
                if any(e.key == key for e in entries):
                    continue  # listed twice in one block (STUN and STUN {STUNS ...})
                default = code or block.code
                entries.append(
                    _Entry(
                        key=key,
                        lemma=lemma,
                        pre=verb.pre,
                        post=verb.post,
                        code=default[0] if default else None,
                        reverse_code=default[1] if default else None,
                        block=block.label,
                        order=self._order,
                    )
                )
                self._order += 1
            by_key = {e.key: e for e in entries}
            for line_no, line, comment in block.patterns:
                where = f"{name}:{line_no}"
                try:
                    pattern = self._pattern(line, comment, block.label, by_key, synsets, f"{name}:{line_no}")
                except PatternError as exc:
                    reason = str(exc).split(":", 1)[0]
                    stats.problem(where, f"{exc}: {line!r}", reason)
                    continue
                stats.loaded += 1
                stats.null_patterns += pattern.code == NULL_CODE and pattern.reverse_code is None
                stats.reverse_only += pattern.code == NULL_CODE and pattern.reverse_code is not None
                stats.paired += pattern.code != NULL_CODE and pattern.reverse_code is not None
                for entry in entries:
                    if pattern.verb is None or pattern.verb == entry.key:
                        entry.patterns.append(pattern)
            for entry in entries:
                entry.finish()
                self.entries.setdefault(entry.lemma, []).append(entry)
        self._lemmas = frozenset(self.entries)

    def _pattern(
        self,
        line: str,
        comment: str,
        block: str,
        by_key: dict[str, _Entry],
        synsets: dict[str, Unit],
        source: str,
    ) -> VerbPattern:
        m = _PATTERN_RE.match(line)
        if m is None:
            raise PatternError("no code: the line has no [CODE]")
        code, reverse = _split_code(m.group("code"))
        body = m.group("body")
        before, after = _parse_body(body, synsets)
        verb = self._comment_verb(comment, by_key)
        elements = before + after
        markers = _markers(elements)
        order = self._order
        self._order += 1
        return VerbPattern(
            verb=verb,
            block=block,
            before=before,
            after=after,
            code=code,
            reverse_code=reverse,
            source=source,
            specificity=_specificity(elements),
            has_markers=any(c in markers for c in "$+%"),
            markers=markers,
            text=body,
            order=order,
        )

    def _comment_verb(self, comment: str, by_key: dict[str, _Entry]) -> str | None:
        m = _COMMENT_VERB_RE.match(comment)
        if m is None:
            return None
        named = _verb_name(m.group(1).rstrip("_-+"))
        if named is None:
            return None
        candidates = [named.verb]
        lemmas = {e.lemma for e in by_key.values()}
        base = self.forms.get(named.verb) or _deinflect(named.verb, lemmas.__contains__)
        if base:
            candidates.append(base)
        for lemma in candidates:
            key = " ".join([w.text for w in named.pre] + [lemma] + [w.text for w in named.post])
            if key in by_key:
                return key
        return None

    # -- matching -------------------------------------------------------------------------

    def _entries_for(self, verb: Token) -> list[_Entry] | None:
        entries = self.entries.get(verb.lemma_.lower())
        if entries is not None:
            return entries
        lower = verb.lower_
        if lower in self._fallback:
            lemma = self._fallback[lower]
        else:
            lemma = self.forms.get(lower)
            if lemma is None and lower in self.entries:
                lemma = lower
            if lemma is None:
                lemma = _deinflect(lower, self.entries.__contains__)
            self._fallback[lower] = lemma
        return self.entries.get(lemma) if lemma else None

    def match(self, verb: Token) -> VerbMatch | None:
        """The CAMEO coding of ``verb`` in its clause.

        None when the verb is not in the dictionary (or only as part of multi-word verbs whose
        other words are missing). Otherwise the most specific matching pattern (ties: file
        order); without one, the verb's default code, or None when its block has no code.
        """
        entries = self._entries_for(verb)
        if entries is None:
            return None
        doc = verb.doc
        view = self._view
        if view is None or view.doc is not doc or view.n != len(doc):
            view = _DocView(doc)
            self._view = view
        v = verb.i
        need_sides = len(entries) > 1 or entries[0].pre or entries[0].post or entries[0].patterns
        before, after = view.sides(verb) if need_sides else ([], [])
        matcher = _Matcher(view, v)

        # the verbs that apply: multi-word verbs whose words are there win over single verbs
        applicable: list[tuple[_Entry, list[int]]] = []
        best_extra = 0
        for entry in entries:
            extra = len(entry.pre) + len(entry.post)
            if extra < best_extra:
                continue
            if extra:
                del matcher.tokens[:]
                if not self._particles(entry, matcher, v, after):
                    continue
            if extra > best_extra:
                applicable.clear()
                best_extra = extra
            applicable.append((entry, list(matcher.tokens)))
        if not applicable:
            return None

        for pattern, entry, particle_tokens in self._candidates(applicable, view, before, after):
            matcher.tokens = list(particle_tokens)
            matcher.marks = []
            if matcher.pattern(pattern, before, after) and not _nested_too_deep(doc, v, matcher.tokens):
                return self._result(pattern.code, pattern.reverse_code, pattern, entry, matcher, view)
        for entry, particle_tokens in applicable:
            if entry.code is not None:
                matcher.tokens = list(particle_tokens)
                matcher.marks = []
                return self._result(entry.code, entry.reverse_code, None, entry, matcher, view)
        return None

    @staticmethod
    def _particles(entry: _Entry, matcher: _Matcher, v: int, after: list[int]) -> bool:
        n = len(entry.pre)
        if n:
            start = v - n
            if start < 0 or not all(matcher.word_ok(w, start + k) for k, w in enumerate(entry.pre)):
                return False
            matcher.tokens.extend(range(start, v))
        if entry.post:
            heads = matcher.view.heads
            return matcher.words_in_order(entry.post, after, lambda i: i == v + 1 or heads[i] == v)
        return True

    @staticmethod
    def _candidates(
        applicable: list[tuple[_Entry, list[int]]], view: _DocView, before: list[int], after: list[int]
    ) -> list[tuple[VerbPattern, _Entry, list[int]]]:
        keys = view.keys
        present: set[str] = set()
        for i in before:
            present.update(keys[i])
        for i in after:
            present.update(keys[i])
        out: list[tuple[VerbPattern, _Entry, list[int]]] = []
        for entry, particle_tokens in applicable:
            anchors = entry.anchors
            positions = set(entry.unanchored)
            for key in present & anchors.keys():
                positions.update(anchors[key])
            out.extend((entry.patterns[pos], entry, particle_tokens) for pos in sorted(positions))
        if len(applicable) > 1:
            out.sort(key=lambda c: (-c[0].specificity, c[0].order))
        return out

    @staticmethod
    def _result(
        code: str,
        reverse: str | None,
        pattern: VerbPattern | None,
        entry: _Entry,
        matcher: _Matcher,
        view: _DocView,
    ) -> VerbMatch:
        doc = view.doc
        source = target = None
        for kind, i in matcher.marks:
            if kind in "$%" and source is None:
                source = doc[i]
            if kind in "+%" and target is None:
                target = doc[i]
        return VerbMatch(
            code=code,
            pattern=pattern,
            tokens=[doc[i] for i in sorted(set(matcher.tokens))],
            source_token=source,
            target_token=target,
            reverse_code=reverse,
            verb=entry.key,
            block=entry.block,
        )


# --------------------------------------------------------------------------- pattern syntax


def _nested_too_deep(doc: Doc, v: int, matched: list[int]) -> bool:
    """Whether a word a pattern matched after the verb lies two prepositional phrases down ("made
    his remarks at the start of a regional trip" is no trip made): a pattern's words belong to the
    verb's own phrases."""
    for i in matched:
        if i <= v:
            continue
        token, preps = doc[i], 0
        while token.i != v and token.head.i != token.i:
            preps += token.dep_ == "prep"
            token = token.head
        if token.i == v and preps >= 2:
            return True
    return False


def _compile_synsets(raw: dict[str, list[tuple[int, str]]], stats: VerbLoadStats, name: str) -> dict[str, Unit]:
    """``&NAME`` -> a unit of all members (members may name other sets; a ``_`` label: exact words)."""
    done: dict[str, Unit] = {}

    def build(label: str, stack: tuple[str, ...]) -> Unit | None:
        if label in done:
            return done[label]
        if label not in raw or label in stack:
            return None
        exact_all = label.endswith("_")
        alts: list[WordSeq] = []
        for line_no, member in raw[label]:
            member = member.strip()
            if not member:
                continue
            if member.startswith("&"):
                inner = build(member.split()[0].upper(), (*stack, label))
                if inner is None:
                    stats.problem(f"{name}:{line_no}", f"unknown or circular set {member} in {label}")
                    continue
                alts.extend(inner.alternatives)
                continue
            exact = exact_all or member.endswith("_")
            alts.extend(_word_seqs(member.rstrip("_"), exact))
        unit = Unit(label, tuple(dict.fromkeys(alts)))
        done[label] = unit
        return unit

    for label in raw:
        build(label, ())
    return done


def _synset(name: str, synsets: dict[str, Unit]) -> Unit:
    unit = synsets.get(name.upper()) or synsets.get(name.upper() + "_")
    if unit is None:
        raise PatternError(f"undefined synonym set: {name}")
    if not unit.alternatives:
        raise PatternError(f"empty synonym set: {name}")
    return unit


def _pieces(chunk: str, synsets: dict[str, Unit]) -> list[str | Unit]:
    """Split a ``_``-joined chunk: ``*`` and markers as strings, words and sets as units."""
    raw = chunk.split("_")
    out: list[str | Unit] = []
    k = 0
    while k < len(raw):
        piece = raw[k]
        if piece.startswith("&"):
            # set names may contain "_" (&FIGHT_CRIM, &AUXVERB1_): take the longest defined one
            chosen = None
            for m in range(len(raw), k, -1):
                candidate = "_".join(raw[k:m]).upper()
                if candidate in synsets:
                    chosen, k = synsets[candidate], m
                    break
            out.append(chosen if chosen is not None else _synset(piece, synsets))
            if chosen is None:
                k += 1
            continue
        k += 1
        if piece == "":
            continue  # a trailing "_" (exact word) is handled below
        if piece == "*" or piece in _MARKERS:
            out.append(piece)
            continue
        exact = k < len(raw) and raw[k] == "" and k == len(raw) - 1
        out.append(_word_unit(piece, exact))
    return out


@functools.lru_cache(maxsize=16384)
def _word_unit(text: str, exact: bool) -> Unit:
    if any(c in text for c in "*$%^&"):
        raise PatternError(f"unexpected character: {text}")
    alts: list[WordSeq] = []
    for option in text.split("/"):
        if option:
            alts.extend(_word_seqs(option, exact))
    if not alts:
        raise PatternError(f"empty word: {text!r}")
    return Unit(text.upper() + ("_" if exact else ""), tuple(dict.fromkeys(alts)))


def _group(pieces: list[str | Unit], *, adjacent: bool) -> list[Element]:
    """Consecutive units become one phrase; markers stand alone."""
    out: list[Element] = []
    run: list[Unit] = []
    for piece in pieces:
        if isinstance(piece, Unit):
            run.append(piece)
            continue
        if run:
            out.append(Phrase(tuple(run), adjacent))
            run = []
        if piece == "*":
            raise PatternError("misplaced verb: '*' inside a phrase")
        out.append(Marker(piece))
    if run:
        out.append(Phrase(tuple(run), adjacent))
    return out


def _items(lexemes: list[str], synsets: dict[str, Unit]) -> list[Element]:
    """Elements of a prepositional phrase's object (no verb, no nested parentheses)."""
    out: list[Element] = []
    k = 0
    while k < len(lexemes):
        lx = lexemes[k]
        if lx == "{":
            end = _close(lexemes, k, "{", "}")
            out.append(_braced(lexemes[k + 1 : end], synsets))
            k = end + 1
        elif lx in "(){}":
            raise PatternError("unbalanced parentheses: nested or stray bracket")
        else:
            out.extend(_group(_pieces(lx, synsets), adjacent=False))
            k += 1
    return out


def _braced(lexemes: list[str], synsets: dict[str, Unit]) -> Phrase:
    units: list[Unit] = []
    for lx in lexemes:
        if lx in "(){}":
            raise PatternError("unbalanced braces: bracket inside {}")
        for piece in _pieces(lx, synsets):
            if not isinstance(piece, Unit):
                raise PatternError(f"misplaced marker: {piece!r} inside {{}}")
            units.append(piece)
    if not units:
        raise PatternError("empty phrase: {}")
    return Phrase(tuple(units))


def _close(lexemes: list[str], start: int, opening: str, closing: str) -> int:
    for k in range(start + 1, len(lexemes)):
        if lexemes[k] == closing:
            return k
        if lexemes[k] == opening:
            break
    raise PatternError(f"unbalanced parentheses: {opening} without {closing}")


def _parse_body(body: str, synsets: dict[str, Unit]) -> tuple[tuple[Element, ...], tuple[Element, ...]]:
    """Split a pattern body at ``*`` into subject-side and object-side elements."""
    lexemes = _LEX_RE.findall(re.sub(r"\*(?=[A-Za-z&])", "* ", body))  # "*SCEPTICAL": a blank left out
    sides: tuple[list[Element], list[Element]] = ([], [])
    side = 0
    verbs = 0
    k = 0
    while k < len(lexemes):
        lx = lexemes[k]
        if lx == "(":
            end = _close(lexemes, k, "(", ")")
            inner = lexemes[k + 1 : end]
            if not inner or inner[0] in "(){}" or any(c in inner[0] for c in "*$+%^&"):
                raise PatternError(f"no preposition: ({' '.join(inner)})")
            prep = _word_unit(inner[0].rstrip("_"), inner[0].endswith("_"))
            sides[side].append(PrepPhrase(prep, tuple(_items(inner[1:], synsets))))
            k = end + 1
        elif lx == "{":
            end = _close(lexemes, k, "{", "}")
            sides[side].append(_braced(lexemes[k + 1 : end], synsets))
            k = end + 1
        elif lx in ")}":
            raise PatternError(f"unbalanced parentheses: stray {lx!r}")
        else:
            pieces = _pieces(lx, synsets)
            if "*" in pieces:
                at = pieces.index("*")
                if "*" in pieces[at + 1 :]:
                    raise PatternError("two verbs: more than one '*'")
                verbs += 1
                sides[0].extend(_group(pieces[:at], adjacent=True))
                side = 1
                sides[1].extend(_group(pieces[at + 1 :], adjacent=True))
            else:
                sides[side].extend(_group(pieces, adjacent=False))
            k += 1
    if verbs != 1:
        raise PatternError("no verb: the pattern has no '*'" if verbs == 0 else "two verbs: more than one '*'")
    return tuple(sides[0]), tuple(sides[1])


# --------------------------------------------------------------------------- default dictionary

DEFAULT_VERB_FILE = "phoenix/CAMEO.2.0.txt"


def default_verb_source() -> Traversable:
    """The shipped ``CAMEO.2.0.txt``."""
    try:
        base = resources.files("powderkeg") / "data"
        if base.is_dir():
            return base.joinpath("dictionaries", *DEFAULT_VERB_FILE.split("/"))
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "data" / "dictionaries" / DEFAULT_VERB_FILE


@functools.lru_cache(maxsize=1)
def load_default() -> VerbDictionary:
    """The shipped CAMEO verb dictionary (loaded once per process; treat it as read-only).

    Parsing takes about 0.16 s, no more than unpickling a compiled copy, so none is cached on disk.
    """
    return VerbDictionary.load([default_verb_source()])
