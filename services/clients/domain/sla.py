"""A client's effective SLA policy: tier defaults, overridden field by field by the client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

# Service tiers, from the tightest SLA targets to the loosest (the settings refuse defaults
# that are looser for a higher tier).
Tier = Literal["key", "standard", "small"]
TIERS: tuple[Tier, ...] = get_args(Tier)

SLA_FIELDS = ("first_response_minutes", "contact_cadence_days", "meeting_report_hours")


def effective_sla(
    tier: str,
    overrides: Mapping[str, Any] | None,
    *,
    tier_defaults: Mapping[str, Mapping[str, int]],
    client_timezone: str,
    client_country: str | None,
    default_working_hours: Mapping[str, list[str]],
    default_holidays_country: str | None = None,
) -> dict[str, Any]:
    """Merge: each omitted field takes the tier default; the calendar defaults to the client's
    own timezone and country (or the policy's holiday country when it sets one) with the
    default working hours, again field by field."""
    overrides = overrides or {}
    defaults = tier_defaults[tier]
    sla: dict[str, Any] = {
        name: overrides[name] if overrides.get(name) is not None else defaults[name]
        for name in SLA_FIELDS
    }
    calendar = dict(overrides.get("calendar") or {})
    sla["calendar"] = {
        "timezone": calendar.get("timezone") or client_timezone,
        "working_hours": calendar.get("working_hours") or dict(default_working_hours),
        "holidays_country": calendar.get(
            "holidays_country", default_holidays_country or client_country
        ),
    }
    return sla


# Values replaced as a whole by a patch (never merged key by key).
ATOMIC_KEYS = frozenset({"working_hours"})


def merge_overrides(
    current: Mapping[str, Any] | None, patch: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Apply a PATCH to a client's SLA overrides, field by field (JSON Merge Patch, RFC 7386):
    a given value replaces the override, ``null`` removes it (back to the tier default or the
    client's own timezone/country), an omitted field keeps its override. ``calendar`` merges
    the same way; ``working_hours`` is replaced as a whole. A ``null`` patch clears them all."""
    if patch is None:
        return {}
    merged: dict[str, Any] = dict(current or {})
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and key not in ATOMIC_KEYS:
            inner = merge_overrides(
                merged.get(key) if isinstance(merged.get(key), Mapping) else {}, value
            )
            if inner:
                merged[key] = inner
            else:
                merged.pop(key, None)
        else:
            merged[key] = value
    return merged
