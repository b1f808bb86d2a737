"""Feedback scores: NPS 0-10, CSAT 1-5, and which are low."""

from __future__ import annotations

from typing import Literal

# the groups of an NPS score, one rule with the scorecard's
from shared.scores import nps_group as nps_group

FeedbackKind = Literal["nps", "csat"]
SCORE_RANGE: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5)}


def check_score(kind: str, score: int) -> str | None:
    """Why ``score`` is not a score of ``kind``, or None."""
    low, high = SCORE_RANGE[kind]
    if not low <= score <= high:
        return f"a {kind.upper()} score is a whole number from {low} to {high}"
    return None


# A score at or below these is low, unless the department's policy sets others
# (``low_score.nps_max``, ``low_score.csat_max``).
LOW_NPS_MAX = 6
LOW_CSAT_MAX = 2


def is_low(kind: str, score: int, nps_max: int = LOW_NPS_MAX, csat_max: int = LOW_CSAT_MAX) -> bool:
    """NPS <= ``nps_max`` (6: a detractor) or CSAT <= ``csat_max`` (2)."""
    return score <= nps_max if kind == "nps" else score <= csat_max
