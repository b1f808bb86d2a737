"""The scorecard's KPI arithmetic (``domain/scorecard/kpis.py``): NPS, CSAT, compliance,
medians, change, money per currency, tallies that add up before ratios."""

from __future__ import annotations

from decimal import Decimal

from services.notifications.domain.scorecard.kpis import (
    Tally,
    change,
    compliance,
    csat,
    median,
    merge_money,
    money_change,
    nps,
)


def test_nps_csat_compliance_median() -> None:
    assert nps([10, 9, 8, 7, 6, 0]) == Decimal("0.0")
    assert nps([10, 10, 9, 3]) == Decimal("50.0")
    assert nps([1, 2, 3]) == Decimal("-100.0")
    assert nps([]) is None
    assert csat([5, 4, 3]) == Decimal("66.7")
    assert csat([]) is None
    assert compliance(9, 10) == Decimal("90.0")
    assert compliance(0, 0) is None
    assert median([30, 10, 20]) == Decimal("20.0")
    assert median([10, 20, 30, 45]) == Decimal("25.0")
    assert median([]) is None


def test_change() -> None:
    assert change(12, 10) == {"delta": Decimal(2), "percent": Decimal("20.0")}
    assert change(Decimal("-5"), Decimal("-10")) == {
        "delta": Decimal(5),
        "percent": Decimal("50.0"),
    }
    # 1 of 16 is 6.25 %: a tie, rounded away from zero like every figure (shared.money).
    assert change(17, 16) == {"delta": Decimal(1), "percent": Decimal("6.3")}
    assert change(15, 16) == {"delta": Decimal(-1), "percent": Decimal("-6.3")}
    assert change(3, 0) == {"delta": Decimal(3), "percent": None}
    assert change(None, 1) == {"delta": None, "percent": None}


def test_money_is_never_summed_across_currencies() -> None:
    total = merge_money([{"EUR": Decimal("10.50")}, {"USD": Decimal(3)}, {"EUR": Decimal("1")}])
    assert total == {"EUR": Decimal("11.50"), "USD": Decimal(3)}
    assert money_change({"EUR": Decimal(5)}, {"RUB": Decimal(7)}) == {
        "EUR": Decimal(5),
        "RUB": Decimal(-7),
    }


def test_tallies_add_up_before_ratios() -> None:
    a, b = Tally(), Tally()
    a.nps_scores += [10, 10]
    b.nps_scores += [0]
    a.count("answered_on_time", 3)
    b.count("breached", 1)
    a.response_minutes += [10]
    b.response_minutes += [30, 50]
    a.money_in("revenue_invoiced", "EUR", Decimal(100))
    b.money_in("revenue_invoiced", "USD", Decimal(5))
    values = Tally().add(a).add(b).values()
    assert values["nps"] == Decimal("33.3")  # not the mean of 100 and -100
    assert values["nps_responses"] == 3
    assert values["sla_compliance"] == Decimal("75.0")
    assert values["median_first_response_minutes"] == Decimal("30.0")
    assert values["revenue_invoiced"] == {"EUR": Decimal(100), "USD": Decimal(5)}
    assert Tally().values()["sla_compliance"] is None
