"""The deviations a head should read first in a scheduled report: a manager whose SLA
compliance fell, a client whose overdue balance grew, churned clients. Pure: the caller
passes the KPIs of the period and of the previous one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

DeviationKind = Literal["sla_fell", "overdue_grew", "churn"]

# SLA compliance must fall by at least this many percentage points to be reported.
SLA_DROP_POINTS = Decimal(5)


@dataclass(frozen=True)
class Deviation:
    kind: DeviationKind
    subject: str  # a manager's or a client's name
    detail: dict[str, str]


def sla_fell(
    name: str, current: Decimal | None, before: Decimal | None, points: Decimal = SLA_DROP_POINTS
) -> Deviation | None:
    """The manager's SLA compliance fell by ``points`` or more since the previous period."""
    if current is None or before is None or before - current < points:
        return None
    return Deviation("sla_fell", name, {"from": f"{before}", "to": f"{current}"})


def overdue_grew(
    name: str, now: Mapping[str, Decimal], before: Mapping[str, Decimal]
) -> Deviation | None:
    """A client's overdue balance grew in some currency."""
    grown = {
        c: f"{before.get(c, Decimal(0))} -> {amount} {c}"
        for c, amount in sorted(now.items())
        if amount > before.get(c, Decimal(0))
    }
    return Deviation("overdue_grew", name, grown) if grown else None


def churned(names: Sequence[str]) -> list[Deviation]:
    return [Deviation("churn", name, {}) for name in names]
