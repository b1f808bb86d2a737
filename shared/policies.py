"""Policies set at run time (the clients service's ``/api/v1/settings``), as every service
reads them: the global document overlaid, field by field, by a department's document.

Pure: :func:`overlay` merges two stored documents; :func:`policy_value` reads one field of a
department's effective policy with a fallback (the service's own constant or environment
value, used while nothing is set). The clients service owns the documents; the services that
apply some of their values keep a copy (``shared/policy_replica.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Values replaced as a whole by a department (never merged key by key): the days of the
# working week go together.
ATOMIC_FIELDS = frozenset({"working_hours"})


def overlay(base: Mapping[str, Any] | None, top: Mapping[str, Any] | None) -> dict[str, Any]:
    """``top`` over ``base``, field by field: a nested mapping merges key by key (except the
    :data:`ATOMIC_FIELDS` and lists, replaced whole); a field ``top`` does not set (absent or
    null) keeps ``base``'s value."""
    merged: dict[str, Any] = dict(base or {})
    for key, value in (top or {}).items():
        if value is None:
            continue
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping) and key not in ATOMIC_FIELDS:
            merged[key] = overlay(below, value)
        else:
            merged[key] = value
    return merged


def policy_value(
    documents: Mapping[str, Mapping[str, Any]], department: str | None, path: str, fallback: Any
) -> Any:
    """The value at ``path`` (dotted: ``"low_score.nps_max"``) of ``department``'s policy:
    its own document over the global one (key ``""``); ``fallback`` when neither sets it."""
    effective = overlay(documents.get(""), documents.get(department or "") if department else None)
    value: Any = effective
    for part in path.split("."):
        if not isinstance(value, Mapping) or value.get(part) is None:
            return fallback
        value = value[part]
    return value
