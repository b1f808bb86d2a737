"""KPI arithmetic of the scorecard: NPS, CSAT, compliance, medians, the change against
another period, and money kept per currency (never summed across currencies)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from statistics import median as _median
from typing import get_args

from shared.money import round_half_up
from shared.scores import nps as nps_of_scores
from shared.scores import percent
from shared.values import ClientStatus


def nps(scores: Iterable[int]) -> Decimal | None:
    """Net Promoter Score of 0-10 scores: % promoters (9-10) minus % detractors (0-6), one
    decimal; None without scores (``shared.scores``, as the feedback report's)."""
    return nps_of_scores(scores)


def csat(scores: Iterable[int]) -> Decimal | None:
    """Customer satisfaction of 1-5 scores: % of 4 and 5, one decimal; None without scores."""
    values = list(scores)
    return percent(sum(1 for s in values if s >= 4), len(values))


def compliance(on_time: int, total: int) -> Decimal | None:
    """``on_time`` of ``total`` as a percentage, one decimal; None when there is nothing."""
    if total <= 0:
        return None
    return percent(on_time, total)


def median(values: Iterable[float]) -> Decimal | None:
    """The median, one decimal (the mean of the middle two of an even count); None if empty."""
    items = list(values)
    if not items:
        return None
    return round_half_up(Decimal(str(_median(items))), 1)


Number = int | Decimal


def change(current: Number | None, before: Number | None) -> dict[str, Decimal | None]:
    """``delta`` (current - before) and ``percent`` (delta / |before|, one decimal; None
    when before is 0 or either is unknown)."""
    if current is None or before is None:
        return {"delta": None, "percent": None}
    delta = Decimal(current) - Decimal(before)
    percent = None if before == 0 else round_half_up(delta * 100 / abs(Decimal(before)), 1)
    return {"delta": delta, "percent": percent}


Money = dict[str, Decimal]  # currency -> amount


def add_money(total: Money, currency: str, amount: Decimal) -> None:
    """Add ``amount`` in ``currency`` to ``total`` (one entry per currency)."""
    total[currency] = total.get(currency, Decimal(0)) + amount


def money_change(current: Mapping[str, Decimal], before: Mapping[str, Decimal]) -> Money:
    """Per currency present in either: current minus before (never across currencies)."""
    return {
        c: current.get(c, Decimal(0)) - before.get(c, Decimal(0))
        for c in sorted(set(current) | set(before))
    }


def merge_money(parts: Iterable[Mapping[str, Decimal]]) -> Money:
    total: Money = {}
    for part in parts:
        for currency, amount in part.items():
            add_money(total, currency, amount)
    return total


# ---------------------------------------------------------------- one scope's raw facts

CLIENT_STATUSES: tuple[ClientStatus, ...] = get_args(ClientStatus)
OPEN_STAGES = ("lead", "qualified", "proposal")

# The KPIs of a scorecard row, in order; money ones are per currency.
COUNT_KPIS = (
    *(f"clients_{s}" for s in CLIENT_STATUSES),
    "new_clients",
    "churned_clients",
    *(f"pipeline_{s}" for s in OPEN_STAGES),
    "deals_won",
    "nps_responses",
    "csat_responses",
    "requests",
    "answered_on_time",
    "breached",
    "meetings",
    "meeting_reports_on_time",
    "meeting_reports_overdue",
    "cadence_lapses",
)
RATIO_KPIS = ("nps", "csat", "sla_compliance", "median_first_response_minutes")
MONEY_KPIS = (
    "revenue_invoiced",
    "revenue_collected",
    "overdue_balance",
    *(f"pipeline_{s}_value" for s in OPEN_STAGES),
)
KPIS = (*MONEY_KPIS[:2], *COUNT_KPIS, *RATIO_KPIS, *MONEY_KPIS[2:])


class Tally:
    """The raw facts of one scope (a manager, a department, everyone) in one period: counts,
    money per currency, and the scores and response times the ratios are computed from, so
    tallies add up (:meth:`add`) before any ratio is taken."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = dict.fromkeys(COUNT_KPIS, 0)
        self.money: dict[str, Money] = {k: {} for k in MONEY_KPIS}
        self.nps_scores: list[int] = []
        self.csat_scores: list[int] = []
        self.response_minutes: list[int] = []

    def count(self, kpi: str, n: int = 1) -> None:
        self.counts[kpi] += n

    def money_in(self, kpi: str, currency: str, amount: Decimal) -> None:
        add_money(self.money[kpi], currency, amount)

    def add(self, other: Tally) -> Tally:
        for kpi, n in other.counts.items():
            self.counts[kpi] += n
        for kpi, money in other.money.items():
            self.money[kpi] = merge_money([self.money[kpi], money])
        self.nps_scores += other.nps_scores
        self.csat_scores += other.csat_scores
        self.response_minutes += other.response_minutes
        return self

    def values(self) -> dict[str, int | Decimal | Money | None]:
        """Every KPI of :data:`KPIS`: counts, ratios (None when nothing to measure), money."""
        counts = {
            **self.counts,
            "nps_responses": len(self.nps_scores),
            "csat_responses": len(self.csat_scores),
        }
        ratios: dict[str, Decimal | None] = {
            "nps": nps(self.nps_scores),
            "csat": csat(self.csat_scores),
            "sla_compliance": compliance(
                counts["answered_on_time"], counts["answered_on_time"] + counts["breached"]
            ),
            "median_first_response_minutes": median(self.response_minutes),
        }
        out: dict[str, int | Decimal | Money | None] = {}
        for kpi in KPIS:
            if kpi in counts:
                out[kpi] = counts[kpi]
            elif kpi in ratios:
                out[kpi] = ratios[kpi]
            else:
                out[kpi] = dict(sorted(self.money[kpi].items()))
        return out
