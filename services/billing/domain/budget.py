"""Budget control: what was invoiced against a contract compared with its budget."""

from __future__ import annotations

from decimal import Decimal

THRESHOLDS = (80, 100)  # per cent of the budget, each reported once


def thresholds_reached(
    budget: Decimal | None, invoiced: Decimal, thresholds: tuple[int, ...] = THRESHOLDS
) -> list[int]:
    """The thresholds ``invoiced`` has reached (>=) for ``budget``; none without a budget."""
    if budget is None or budget <= 0:
        return []
    return [t for t in thresholds if invoiced * 100 >= budget * t]
