from decimal import Decimal

import pytest

from shared import scores


@pytest.mark.parametrize(
    ("score", "group"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_an_nps_score_falls_in_one_group(score: int, group: str) -> None:
    assert scores.nps_group(score) == group


def test_a_share_has_one_decimal_and_rounds_ties_up() -> None:
    assert scores.percent(2, 3) == Decimal("66.7")
    assert scores.percent(1, 8) == Decimal("12.5")
    assert scores.percent(1, 16) == Decimal("6.3")  # 6.25: a tie, half up
    assert scores.percent(-1, 16) == Decimal("-6.3")  # away from zero, as money rounds
    assert scores.percent(0, 0) is None


def test_the_nps_of_scores_and_of_counts_agree() -> None:
    given = [10, 9, 9, 8, 7, 6, 0, 3, 10, 5]  # 4 promoters, 2 passives, 4 detractors
    assert scores.nps(given) == Decimal("0.0") == scores.nps_of_counts(4, 4, 10)
    assert scores.nps([10, 9, 6]) == Decimal("33.3")
    assert scores.nps([]) is None
