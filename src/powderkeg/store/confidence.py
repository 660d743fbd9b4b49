"""Which stored events users see: those whose ``confidence`` reaches the ``min_confidence`` setting.

Events under the threshold stay stored (nothing is deleted; a lower threshold shows them again).
Every read that lists or counts events (the CLI, the API and dashboard, exports, dyad series and
escalation detection) adds :func:`confidence_sql` to its conditions, and ``powderkeg code``
applies :func:`shown` to the events in hand, so the rule is written once:

* an event is shown when its confidence is at least the threshold;
* a report merged into an earlier one (``cluster_id``) is shown when its canonical event is;
* at a threshold of 0 nothing is left out, not even a row without a confidence.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["check_min_confidence", "confidence_sql", "shown"]


def check_min_confidence(value: float) -> float:
    """``value`` as a threshold, or ValueError with a one-line reason when it is not in 0..1."""
    if not isinstance(value, int | float) or math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"min_confidence must be a number from 0 to 1 (got {value!r})")
    return float(value)


def confidence_sql(min_confidence: float, alias: str = "e", *, mentions: bool = False) -> tuple[str, list[Any]]:
    """A condition on the events table aliased ``alias`` keeping the events shown at
    ``min_confidence``, and its parameters.

    For canonical rows (``cluster_id IS NULL``, as every listing selects) the row's own confidence
    decides. With ``mentions`` the rows may also be reports merged into another event, and the
    canonical row decides for them (the same event is then shown or hidden from every report)."""
    threshold = check_min_confidence(min_confidence)
    if threshold == 0.0:
        return "true", []
    if not mentions:
        return f"{alias}.confidence >= ?", [threshold]
    # a scalar lookup of the canonical row (an index join for a few rows), not a semi-join over every event
    canonical = f"(SELECT c.confidence FROM events c WHERE c.event_id = coalesce({alias}.cluster_id, {alias}.event_id))"
    return f"{canonical} >= ?", [threshold]


def shown(confidence: float | None, min_confidence: float) -> bool:
    """The same rule for the confidence of an event in hand (a coded :class:`~powderkeg.model.Event`)."""
    threshold = check_min_confidence(min_confidence)
    return threshold == 0.0 or (confidence is not None and confidence >= threshold)
