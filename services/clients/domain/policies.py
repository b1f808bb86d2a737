"""Policies set at run time (``/api/v1/settings``): the global document and one per
department, each overriding the one below it field by field (environment defaults, then the
global document, then the department's). Pure rules: the merge, which fields a document
overrides, the tier ordering of the SLA targets, the bounds an admin sets for the heads, and
which fields a change touched."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from services.clients.domain.sla import SLA_FIELDS, TIERS
from shared.policies import overlay

# Every field of a settings document, in the order of the API.
POLICY_FIELDS = (
    "sla_defaults",
    "working_hours",
    "holidays_country",
    "at_risk_fraction",
    "birthday_notice_days",
    "dunning_schedule",
    "dunning_escalate_from_days",
    "budget_thresholds",
    "low_score",
    "scorecard_deviation_points",
    "report_schedules",
)
# Only the global document sets the bounds of what a head may write for their department.
GLOBAL_ONLY = ("bounds",)
# The fields a client's effective SLA depends on: a change of one re-snapshots the clients.
SLA_POLICY_FIELDS = frozenset({"sla_defaults", "working_hours", "holidays_country"})

# What applies while nothing is set, besides the clients service's own environment (its SLA
# defaults, working hours, birthday notice): the constants the services used so far. Null
# (the at-risk fraction, the dunning schedule, the report schedules): each owning service's
# own environment value.
CODE_DEFAULTS: dict[str, Any] = {
    "holidays_country": None,
    "at_risk_fraction": None,
    "dunning_schedule": None,
    "dunning_escalate_from_days": None,
    "budget_thresholds": [80, 100],
    "low_score": {"nps_max": 6, "csat_max": 2},
    "scorecard_deviation_points": 5,
    "report_schedules": None,
    "bounds": {},
}


def bootstrap(
    sla_defaults: Mapping[str, Mapping[str, int]],
    working_hours: Mapping[str, list[str]],
    birthday_notice_days: int,
) -> dict[str, Any]:
    """Version 0: the environment's values and the code's constants."""
    return {
        **CODE_DEFAULTS,
        "sla_defaults": {tier: dict(targets) for tier, targets in sla_defaults.items()},
        "working_hours": {day: list(hours) for day, hours in working_hours.items()},
        "birthday_notice_days": birthday_notice_days,
    }


def effective(
    defaults: Mapping[str, Any],
    global_document: Mapping[str, Any] | None,
    department_document: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The values in force: the department's document over the global one over the
    defaults, field by field (``shared.policies.overlay``)."""
    return overlay(overlay(defaults, global_document), department_document)


def overridden(document: Mapping[str, Any] | None) -> list[str]:
    """The fields ``document`` sets (the others are inherited), in the API's order."""
    document = document or {}
    return [name for name in (*POLICY_FIELDS, *GLOBAL_ONLY) if document.get(name) is not None]


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The fields whose value in force differs between two effective policies."""
    return [name for name in (*POLICY_FIELDS, *GLOBAL_ONLY) if before.get(name) != after.get(name)]


Problem = tuple[list[str | int], str]


def tier_order_problems(values: Mapping[str, Any]) -> list[Problem]:
    """Key clients get the tightest SLA targets, small ones the loosest (equal is allowed),
    as the environment's defaults must."""
    sla = values.get("sla_defaults") or {}
    problems: list[Problem] = []
    for name in SLA_FIELDS:
        for tighter, looser in itertools.pairwise(TIERS):
            low = (sla.get(tighter) or {}).get(name)
            high = (sla.get(looser) or {}).get(name)
            if low is not None and high is not None and low > high:
                problems.append(
                    (
                        ["sla_defaults", tighter, name],
                        f"{low} is looser than {looser}.{name} ({high}): key <= standard <= small",
                    )
                )
    return problems


def numbers(
    document: Mapping[str, Any] | list[Any], path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], float]]:
    """Every number of ``document`` with its path (list items by index)."""
    items: Any = document.items() if isinstance(document, Mapping) else enumerate(document)
    for key, value in items:
        here = (*path, key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            yield here, value
        elif isinstance(value, Mapping | list):
            yield from numbers(value, here)


def bound_problems(
    document: Mapping[str, Any], bounds: Mapping[str, Mapping[str, Any]]
) -> list[Problem]:
    """The numbers of a head's ``document`` outside the bounds the admin set. A bound named
    by a dotted path (``"sla_defaults.key.first_response_minutes"``, ``"sla_defaults"``,
    ``"budget_thresholds"``) holds for every number at or below that path."""
    problems: list[Problem] = []
    for path, value in numbers({k: v for k, v in document.items() if k not in GLOBAL_ONLY}):
        dotted = [str(part) for part in path]
        for name, bound in bounds.items():
            parts = name.split(".")
            if dotted[: len(parts)] != parts:
                continue
            low, high = bound.get("min"), bound.get("max")
            if low is not None and value < low:
                problems.append((list(path), f"below the minimum the admin set ({low})"))
            elif high is not None and value > high:
                problems.append((list(path), f"above the maximum the admin set ({high})"))
    return problems
