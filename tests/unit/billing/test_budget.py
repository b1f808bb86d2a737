"""Budget thresholds (``domain/budget.py``)."""

from __future__ import annotations

from decimal import Decimal

from services.billing.domain.budget import thresholds_reached

D = Decimal


def test_budget_thresholds() -> None:
    assert thresholds_reached(D(1000), D("799.99")) == []
    assert thresholds_reached(D(1000), D(800)) == [80]
    assert thresholds_reached(D(1000), D(1000)) == [80, 100]
    assert thresholds_reached(None, D(1000)) == []
