"""The arithmetic of feedback scores and shares, one rule for the interactions reports and the
notifications scorecard: which NPS scores promote or detract, and a share in percent (one
decimal, ties half up)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

from shared.money import round_half_up

NpsGroup = Literal["promoter", "passive", "detractor"]


def nps_group(score: int) -> NpsGroup:
    """A 0-10 score: promoter (9-10), passive (7-8) or detractor (0-6)."""
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, one decimal (ties half up); None when ``whole`` is 0."""
    if whole == 0:
        return None
    return round_half_up(Decimal(part * 100) / Decimal(whole), 1)


def nps_of_counts(promoters: int, detractors: int, responses: int) -> Decimal | None:
    """Net promoter score: promoters minus detractors in percent of the responses
    (-100..100, one decimal); None without responses."""
    return percent(promoters - detractors, responses)


def nps(scores: Iterable[int]) -> Decimal | None:
    """The net promoter score of 0-10 scores; None without scores."""
    groups = [nps_group(s) for s in scores]
    return nps_of_counts(groups.count("promoter"), groups.count("detractor"), len(groups))
