"""Statistics of the reports: median and 90th percentile, NPS, compliance."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal

from shared.money import round_half_up
from shared.scores import nps_of_counts, percent


def median(values: Iterable[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None if empty."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    mid = n // 2
    if n % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Iterable[float], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile (0 < p <= 100): the smallest value with at least
    ``p`` % of the values at or below it. Always one of the values; None if empty."""
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    ordered: Sequence[float] = sorted(values)
    if not ordered:
        return None
    rank = math.ceil(p / 100 * len(ordered) - 1e-9)
    return float(ordered[max(rank, 1) - 1])


def p90(values: Iterable[float]) -> float | None:
    return percentile(values, 90)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def pct(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, one decimal (half up); None when ``whole`` is 0."""
    return _number(percent(part, whole))


def nps(promoters: int, detractors: int, responses: int) -> float | None:
    """Net promoter score: promoters minus detractors in percent of responses (-100..100)."""
    return _number(nps_of_counts(promoters, detractors, responses))


def mean(values: Sequence[float]) -> float | None:
    if not values:
        return None
    value = Decimal(sum(Decimal(str(v)) for v in values)) / Decimal(len(values))
    return float(round_half_up(value, 2))
