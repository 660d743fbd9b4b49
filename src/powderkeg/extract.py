"""Page or text in, :class:`~powderkeg.model.Article` out.

HTML goes through trafilatura (main text, title, date, site, author). Plain text dumps of web pages
go through a boilerplate filter driven by ``data/boilerplate.tsv``. Whatever cannot be read becomes
an Article with a non-ok status and a one-line reason: extraction never raises on bad input.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from powderkeg.config import Settings
from powderkeg.model import Article, Document, Status, content_id, parse_date

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF file",
    b"PK\x03\x04": "a ZIP archive",
    b"\x1f\x8b": "a gzip archive",
    b"RIFF": "a RIFF media file",
}

# Frequent English function words: their share of a text's words tells English from other languages
# without a model. English news runs at 35-50%; other languages (Serbian, French, ...) below 10%.
_ENGLISH_WORDS = frozenset(
    """the of and to a in is was that for on with as by at from it his her their its are were be been has have
    had not but which who this said after over would will an or they he she we than also into about against
    during more""".split()
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def failed(origin: str, status: Status, reason: str, key: str | bytes = b"") -> Article:
    """An article record for input that could not be read, with a stable id."""
    digest = hashlib.sha1(origin.encode("utf-8") + b"\0" + (key if isinstance(key, bytes) else key.encode()))
    return Article(
        article_id="x" + digest.hexdigest()[:15],
        origin=origin,
        text="",
        status=status,
        reason=reason,
    )


def sniff_binary(raw: bytes) -> str | None:
    """What binary content this is, or None when it looks like text."""
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            return what
    head = raw[:8192]
    if b"\0" in head:
        return "binary content (NUL bytes)"
    return None


def decode_text(raw: bytes) -> tuple[str | None, str | None]:
    """Decode bytes as UTF-8. Returns (text, note): a few bad bytes are replaced and noted;
    a text that is mostly undecodable gives (None, reason)."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        first = exc.start
    text = raw.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if bad > max(3, len(raw) // 100):
        return None, f"not valid UTF-8 ({bad} undecodable bytes, first at offset {first}); re-save it as UTF-8"
    return text, f"repaired: {bad} invalid UTF-8 byte(s) replaced, first at offset {first}"


def english_share(text: str, sample_chars: int = 20_000) -> tuple[float, int]:
    """Share of common English words among the lower-case words of a text (names, which any
    language shares, are left out), and how many words were counted."""
    words = [w for w in _WORD.findall(text[:sample_chars]) if not w[0].isupper()]
    if not words:
        return 0.0, 0
    return sum(w.lower() in _ENGLISH_WORDS for w in words) / len(words), len(words)


def language_problem(text: str) -> str | None:
    """A reason when the text is clearly not English, else None (short texts get the benefit)."""
    share, n = english_share(text)
    if n >= 10 and share < 0.12:
        return f"not English (only {share:.0%} of {n} words are common English words); powderkeg codes English news"
    return None


@dataclass(frozen=True)
class _Rules:
    drop: tuple[re.Pattern[str], ...]
    trailer: tuple[re.Pattern[str], ...]
    bio: tuple[re.Pattern[str], ...]


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    kinds: dict[str, list[re.Pattern[str]]] = {"drop": [], "trailer": [], "bio": []}
    text = resources.files("powderkeg.data").joinpath("boilerplate.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, _, pattern = line.partition("\t")
        kinds[kind].append(re.compile(pattern.strip(), re.IGNORECASE))
    return _Rules(tuple(kinds["drop"]), tuple(kinds["trailer"]), tuple(kinds["bio"]))


_SENTENCE_END = re.compile(r"[.!?…][”\"')\]]*\s*$")


def _is_prose(par: str) -> bool:
    """A paragraph that reads as report text: long enough and ending a sentence."""
    return len(par) >= 120 and bool(_SENTENCE_END.search(par)) and not par.rstrip().endswith(("...", "…"))


def _is_headline(par: str) -> bool:
    return len(par) < 160 and "\n" not in par and not _SENTENCE_END.search(par)


def clean_text_dump(text: str, lines_are_paragraphs: bool = False) -> tuple[str | None, str]:
    """Split a plain-text dump of a news page into (title, report body).

    Drops page furniture (sponsor lines, share buttons, copyright), everything after a
    "More In This Category" style trailer heading, author blurbs and teaser snippets after the
    report, and repeated title lines. Paragraphs are runs of non-blank lines, or single lines
    when ``lines_are_paragraphs`` (trafilatura's output).
    """
    rules = _rules()
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    # paragraphs are runs of non-blank lines; list-item lines ("- x") each stand alone
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line or lines_are_paragraphs or line.startswith(("- ", "• ", "* ")):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            if line:
                paragraphs.append(line)
            continue
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))

    title: str | None = None
    if paragraphs and _is_headline(paragraphs[0]):
        title = paragraphs[0]
    kept: list[str] = []
    seen_prose = False
    for par in paragraphs:
        if title and par == title:
            continue
        if any(p.search(par) for p in rules.drop):
            continue
        if seen_prose and any(p.search(par) for p in rules.trailer):
            break
        if _is_prose(par):
            seen_prose = True
        kept.append(par)
    # after the last report paragraph, keep nothing that is a blurb, a teaser or a bare headline
    last_prose = max((i for i, par in enumerate(kept) if _is_prose(par) and not _is_bio(par)), default=-1)
    body = [
        par
        for i, par in enumerate(kept)
        if i <= last_prose or not (_is_bio(par) or _is_headline(par) or par.endswith(("...", "…")))
    ]
    return title, "\n\n".join(body).strip()


def _is_bio(par: str) -> bool:
    return any(p.search(par) for p in _rules().bio)


def extract_html(raw: bytes | str, origin: str) -> Article:
    import trafilatura  # deferred: importing it costs ~0.5 s, and only HTML needs it

    try:
        result = trafilatura.bare_extraction(
            raw, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
        )
    except Exception as exc:  # trafilatura raises assorted errors on hostile markup
        return failed(origin, Status.ERROR, f"HTML extraction failed: {type(exc).__name__}: {exc}", _key(raw))
    if result is None:
        return failed(origin, Status.NO_CONTENT, "no report text found in the HTML page", _key(raw))
    meta = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    body = (meta.get("text") or "").strip()
    if not body:
        return failed(origin, Status.NO_CONTENT, "no report text found in the HTML page", _key(raw))
    title = meta.get("title")
    _, body = clean_text_dump(body, lines_are_paragraphs=True)
    if title and body.startswith(title + "\n"):
        body = body[len(title) :].lstrip()
    if not body:
        return failed(origin, Status.NO_CONTENT, "no report text found in the HTML page", _key(raw))
    return Article(
        article_id=content_id(body),
        origin=origin,
        text=body,
        title=title,
        url=meta.get("url"),
        site=meta.get("sitename") or meta.get("hostname"),
        author=meta.get("author"),
        published=parse_date(meta.get("date")),
    )


def _key(raw: bytes | str) -> bytes:
    return hashlib.sha1(raw if isinstance(raw, bytes) else raw.encode("utf-8", "replace")).digest()


def extract(doc: Document, settings: Settings | None = None) -> Article:
    """Turn one raw document into an Article; never raises on bad input."""
    settings = settings or Settings()
    raw = doc.raw
    size = len(raw)
    if size > settings.max_bytes:
        return failed(
            doc.origin,
            Status.TOO_LARGE,
            f"{size / 1e6:.1f} MB is over the {settings.max_bytes / 1e6:.0f} MB limit (setting max_bytes)",
            f"{size}",
        )
    if isinstance(raw, bytes):
        what = sniff_binary(raw)
        if what:
            return failed(doc.origin, Status.NOT_TEXT, f"{what}, not a {doc.kind} document", _key(raw))
    if not (raw.strip() if isinstance(raw, str) else raw.strip()):
        return failed(doc.origin, Status.EMPTY, "empty document", _key(raw))

    note: str | None = None
    if doc.kind == "html":
        article = extract_html(raw, doc.origin)
    else:
        if isinstance(raw, bytes):
            text, note = decode_text(raw)
            if text is None:
                return failed(doc.origin, Status.NOT_TEXT, note or "undecodable", _key(raw))
        else:
            text = raw
        title, body = clean_text_dump(text) if doc.kind == "text" else (None, text.strip())
        if not body:
            return failed(doc.origin, Status.NO_CONTENT, "no report text left after removing page furniture", _key(raw))
        article = Article(article_id=content_id(body), origin=doc.origin, text=body, title=title)
    if article.status is not Status.OK:
        return article
    # a source's own metadata (JSONL fields) wins over what extraction guessed
    article.doc_id = doc.doc_id
    article.title = doc.title or article.title
    article.url = doc.url or article.url
    article.published = parse_date(doc.published) or article.published
    if len(article.text) > settings.max_chars:
        return failed(
            doc.origin,
            Status.TOO_LARGE,
            f"extracted text of {len(article.text):,} characters is over the {settings.max_chars:,} limit (max_chars)",
            article.article_id,
        )
    problem = language_problem(article.text)
    if problem:
        bad = failed(doc.origin, Status.NOT_ENGLISH, problem, article.article_id)
        bad.title, bad.url, bad.published, bad.doc_id = article.title, article.url, article.published, doc.doc_id
        bad.language = None
        return bad
    article.reason = note
    return article
