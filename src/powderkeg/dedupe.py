"""Near-duplicate articles: the copies and light rewrites of one wire story become one *story*.

Every stored article with text gets a ``story_id``: the id of the first article of its group. Two
articles are of one story when the estimated Jaccard similarity of their sets of word shingles
(``dedupe_shingle`` consecutive normalised words) is at least ``dedupe_threshold``:

* words are NFKC-normalised, case-folded runs of letters and digits, so punctuation, quotes,
  case and spacing do not count;
* each article's shingle set is summarised by a 128-value MinHash (datasketch, ``affine32``
  scheme, CRC-32 of the shingle as the base hash);
* a MinHash LSH index (datasketch), banded so that a pair right at the threshold is a candidate
  with 99% probability, finds the stored articles likely to be above the threshold;
  each candidate's similarity is then estimated from the two signatures and the best one at or
  above the threshold gives its story. An article with no such candidate starts a story of its
  own.

Incremental by design: a new article is matched against everything stored before it, and a story
id never changes once given, so re-running anything leaves the stories as they are. The index is
not kept on disk: the signatures are (table ``article_minhash``, 512 bytes an article), and the
LSH index is rebuilt from them when a run starts, which takes under a second for 10,000 articles
and about 8 KB of memory an article (``docs/performance.md``). Articles stored before
stories existed, or by a run stopped between storing an article and giving it a story, are given
theirs at that point, in the order they were stored. Changing ``dedupe_shingle`` makes new
signatures for the stored articles but keeps their stories; ``dedupe_threshold`` applies to
articles stored from then on.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from datasketch import MinHash, MinHashLSH

from powderkeg.config import Settings
from powderkeg.model import Article, Status

if TYPE_CHECKING:
    from powderkeg.store import Store

NUM_PERM = 128
SEED = 1
_SIGNATURE_DTYPE = np.dtype("<u4")  # affine32 hash values, little-endian on disk
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_BACKFILL_CHUNK = 1000


def words(text: str) -> list[str]:
    """The normalised words of a text: NFKC, case-folded, letters and digits only."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str, size: int = 3) -> set[bytes]:
    """The set of ``size``-word shingles of a text; a text shorter than that is one shingle."""
    ws = words(text)
    if len(ws) <= size:
        return {" ".join(ws).encode("utf-8")} if ws else set()
    return {" ".join(ws[i : i + size]).encode("utf-8") for i in range(len(ws) - size + 1)}


def lsh_bands(threshold: float, recall: float = 0.99) -> tuple[int, int]:
    """LSH bands and rows per band such that a pair exactly at the threshold is a candidate with
    at least this probability (rows as many as that allows, to keep unrelated pairs out). Every
    candidate is then checked against the threshold, so the index only has to not miss pairs."""
    for rows in range(NUM_PERM // 2, 0, -1):
        bands = NUM_PERM // rows
        if bands >= 2 and 1 - (1 - threshold**rows) ** bands >= recall:
            return bands, rows
    return NUM_PERM, 1


@dataclass(frozen=True)
class Assignment:
    """The story an article was put in, with the similarity to the article that decided it
    (None when it starts a story), and its MinHash signature (None for a text without words)."""

    article_id: str
    story_id: str
    similarity: float | None
    signature: np.ndarray | None


class StoryIndex:
    """An in-memory MinHash LSH index over articles, each with its story."""

    def __init__(self, threshold: float = 0.5, shingle: int = 3) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"dedupe_threshold must be in (0, 1], got {threshold}")
        if shingle < 1:
            raise ValueError(f"dedupe_shingle must be at least 1, got {shingle}")
        self.threshold = threshold
        self.shingle = shingle
        # names how a signature was made: signatures of another scheme are not comparable
        self.scheme = f"crc32-w{shingle}-p{NUM_PERM}-s{SEED}-affine32"
        self._template = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=zlib.crc32, scheme="affine32")
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=lsh_bands(threshold))
        self._signatures: list[np.ndarray] = []
        self._stories: list[str] = []
        self._rows: dict[str, int] = {}  # article_id -> row

    @classmethod
    def from_settings(cls, settings: Settings) -> StoryIndex:
        return cls(settings.dedupe_threshold, settings.dedupe_shingle)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._rows

    def story_of(self, article_id: str) -> str | None:
        row = self._rows.get(article_id)
        return None if row is None else self._stories[row]

    def signature(self, text: str) -> np.ndarray | None:
        """The MinHash signature of a text (NUM_PERM uint32 values), None when it has no words."""
        grams = shingles(text, self.shingle)
        if not grams:
            return None
        minhash = self._template.copy()
        minhash.update_batch(grams)
        return minhash.hashvalues.astype(_SIGNATURE_DTYPE, copy=False)

    def _minhash(self, signature: np.ndarray) -> MinHash:
        return MinHash(
            seed=SEED,
            hashfunc=zlib.crc32,
            hashvalues=signature,
            permutations=self._template.permutations,
            scheme="affine32",
        )

    def match(self, signature: np.ndarray) -> tuple[str | None, float]:
        """The story of the most similar indexed article at or above the threshold, and that
        similarity; (None, best similarity seen) when there is none."""
        best_row, best = -1, 0.0
        for row in self._lsh.query(self._minhash(signature)):
            similarity = float(np.count_nonzero(self._signatures[row] == signature)) / NUM_PERM
            # ties go to the earlier article, so the outcome does not depend on set order
            if similarity > best or (similarity == best and best_row >= 0 and row < best_row):
                best_row, best = row, similarity
        if best_row >= 0 and best >= self.threshold:
            return self._stories[best_row], best
        return None, best

    def add(self, article_id: str, story_id: str, signature: np.ndarray | None) -> None:
        """Index an article whose story is already decided (an article without a signature is
        remembered but cannot be matched)."""
        if article_id in self._rows:
            return
        row = len(self._signatures)
        self._rows[article_id] = row
        self._stories.append(story_id)
        if signature is None:
            self._signatures.append(np.zeros(0, dtype=_SIGNATURE_DTYPE))
            return
        self._signatures.append(signature)
        self._lsh.insert(row, self._minhash(signature), check_duplication=False)

    def assign(self, article_id: str, text: str) -> Assignment:
        """Put an article in the story of its nearest indexed copy, or in a new story of its own,
        and index it. An article indexed already keeps its story."""
        signature = self.signature(text)
        known = self.story_of(article_id)
        if known is not None:
            return Assignment(article_id, known, None, signature)
        story, similarity = self.match(signature) if signature is not None else (None, 0.0)
        if story is None:
            assignment = Assignment(article_id, article_id, None, signature)
        else:
            assignment = Assignment(article_id, story, similarity, signature)
        self.add(article_id, assignment.story_id, signature)
        return assignment


def encode(signature: np.ndarray | None) -> bytes:
    return b"" if signature is None else signature.astype(_SIGNATURE_DTYPE, copy=False).tobytes()


def decode(blob: bytes) -> np.ndarray | None:
    return np.frombuffer(blob, dtype=_SIGNATURE_DTYPE).copy() if blob else None


def load(store: Store, settings: Settings | None = None) -> StoryIndex:
    """The story index of a database: its stored signatures, plus stories and signatures made now
    for the ok articles that lack them (in the order they were stored)."""
    index = StoryIndex.from_settings(settings or Settings())
    for article_id, story_id, blob in store.story_signatures(index.scheme):
        index.add(article_id, story_id, decode(blob))
    pending: list[tuple[str, str | None, str, bytes]] = []
    for article_id, story_id, text in store.articles_without_signature(index.scheme):
        signature = index.signature(text or "")
        if story_id is not None:  # a story given under another scheme is kept; only the signature is new
            index.add(article_id, story_id, signature)
            pending.append((article_id, None, index.scheme, encode(signature)))
        else:
            assignment = index.assign(article_id, text or "")
            pending.append((article_id, assignment.story_id, index.scheme, encode(signature)))
        if len(pending) >= _BACKFILL_CHUNK:
            store.set_stories(pending)
            pending = []
    store.set_stories(pending)
    return index


def record(index: StoryIndex, store: Store, article: Article) -> Assignment | None:
    """Give a newly stored ok article its story, in the index and in the database."""
    return next(iter(record_many(index, store, [article])), None)


def record_many(index: StoryIndex, store: Store, articles: Iterable[Article]) -> list[Assignment]:
    """Give newly stored ok articles their stories, in order, in the index and in the database."""
    assignments = [index.assign(a.article_id, a.text) for a in articles if a.status is Status.OK]
    store.set_stories([(x.article_id, x.story_id, index.scheme, encode(x.signature)) for x in assignments])
    return assignments


def group(items: Iterable[tuple[str, str]], threshold: float = 0.5, shingle: int = 3) -> dict[str, str]:
    """Stories of ``(article_id, text)`` pairs, in order, without a database: article id -> story id."""
    index = StoryIndex(threshold, shingle)
    return {article_id: index.assign(article_id, text).story_id for article_id, text in items}
