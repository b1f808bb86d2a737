"""The reports' statistics (``domain/stats.py``): median, p90, NPS, percentages, with
hypothesis properties."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from services.interactions.domain import stats

NOW = datetime(2037, 11, 23, 9, tzinfo=UTC)  # a Monday, far from any real today


def median(values: Iterable[int]) -> float | None:
    return stats.median_of(Counter(values))


def p90(values: Iterable[int]) -> float | None:
    return stats.p90_of(Counter(values))


def test_median_and_p90() -> None:
    assert median([]) is None
    assert p90([]) is None
    assert median([5]) == 5
    assert median([3, 1, 2]) == 2
    assert median([1, 2, 3, 10]) == 2.5
    assert p90(list(range(1, 11))) == 9
    assert p90(list(range(1, 101))) == 90
    assert p90([7]) == 7
    assert p90([1, 100]) == 100


def test_nps_and_percentages() -> None:
    assert stats.nps(5, 2, 10) == 30.0
    assert stats.nps(0, 3, 3) == -100.0
    assert stats.nps(0, 0, 0) is None
    assert stats.pct(2, 3) == 66.7
    assert stats.pct(0, 0) is None
    assert stats.mean([4, 5, 5]) == 4.67


values = st.lists(st.integers(0, 100_000), min_size=1, max_size=200)


@given(values)
def test_median_matches_the_standard_library(xs: list[int]) -> None:
    assert median(xs) == statistics.median(xs)


@given(values, st.randoms())
def test_statistics_are_order_free_and_bounded(xs: list[int], rnd: object) -> None:
    shuffled = list(xs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert median(shuffled) == median(xs)
    assert p90(shuffled) == p90(xs)
    top = p90(xs)
    assert top in xs
    assert min(xs) <= median(xs) <= top <= max(xs)  # type: ignore[operator]
    # at least 90 % of the values are at or below p90, and fewer are strictly below it
    assert sum(x <= top for x in xs) >= 0.9 * len(xs)  # type: ignore[operator]
    assert sum(x < top for x in xs) < 0.9 * len(xs) or len(xs) == 1  # type: ignore[operator]


@given(st.dictionaries(st.integers(0, 10_000), st.integers(0, 50), max_size=60))
def test_statistics_of_counts_are_those_of_the_values_repeated(counts: dict[int, int]) -> None:
    """A report counts the values in the database (``{value: how many}``): the median and the
    nearest-rank p90 (rank ceil(0.9 n), in integers here) of the values each repeated."""
    xs = sorted(v for v, n in counts.items() for _ in range(n))
    if not xs:
        assert stats.median_of(counts) is None and stats.p90_of(counts) is None
        return
    assert stats.median_of(counts) == statistics.median(xs)
    assert stats.p90_of(counts) == xs[(9 * len(xs) + 9) // 10 - 1]
