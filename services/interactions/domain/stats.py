"""Statistics of the reports: median and 90th percentile, NPS, compliance."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

from shared.money import round_half_up
from shared.scores import nps_of_counts, percent


def median_of(counts: Mapping[float, int]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count) of values given
    as how many times each occurs (``{value: count}``: a report counts them in the database);
    None if there are none."""
    ordered = _ordered(counts)
    total = sum(n for _, n in ordered)
    if total == 0:
        return None
    return (_nth(ordered, (total - 1) // 2) + _nth(ordered, total // 2)) / 2


def percentile_of(counts: Mapping[float, int], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile (0 < p <= 100) of values given as how many times
    each occurs: the smallest value with at least ``p`` % of the values at or below it. Always
    one of the values; None if there are none."""
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    ordered = _ordered(counts)
    total = sum(n for _, n in ordered)
    if total == 0:
        return None
    rank = math.ceil(p / 100 * total - 1e-9)
    return float(_nth(ordered, max(rank, 1) - 1))


def _ordered(counts: Mapping[float, int]) -> list[tuple[float, int]]:
    return sorted((value, n) for value, n in counts.items() if n > 0)


def _nth(ordered: Sequence[tuple[float, int]], index: int) -> float:
    """The ``index``-th (from 0) of the values in order, each repeated its count."""
    for value, n in ordered:
        if index < n:
            return value
        index -= n
    raise IndexError(index)


def p90_of(counts: Mapping[float, int]) -> float | None:
    return percentile_of(counts, 90)


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
