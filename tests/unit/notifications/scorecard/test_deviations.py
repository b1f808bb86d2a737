"""The deviations the scheduled reports point out (``domain/scorecard/deviations.py``)."""

from __future__ import annotations

from decimal import Decimal

from services.notifications.domain.scorecard.deviations import churned, overdue_grew, sla_fell


def test_deviations() -> None:
    assert sla_fell("Ann", Decimal(80), Decimal(90)) is not None
    assert sla_fell("Ann", Decimal(88), Decimal(90)) is None  # under 5 points
    assert sla_fell("Ann", None, Decimal(90)) is None
    assert sla_fell("Ann", Decimal(95), Decimal(90)) is None
    grew = overdue_grew(
        "Acme", {"EUR": Decimal(50), "USD": Decimal(1)}, {"EUR": Decimal(20), "USD": Decimal(1)}
    )
    assert grew is not None and list(grew.detail) == ["EUR"]
    assert overdue_grew("Acme", {"EUR": Decimal(10)}, {"EUR": Decimal(20)}) is None
    assert [d.subject for d in churned(["A", "B"])] == ["A", "B"]
