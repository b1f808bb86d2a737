"""Staff and teams: the roles, who answers for a client above its account manager, and the
rules a change of a member of staff must keep (pure: the use case reads the facts they need
from the database and turns a problem into a 409 or 422)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from typing import Any

from shared.values import StaffRole

HEAD_ROLE: StaffRole = "head"
# The roles that may have clients (an account manager is a manager or a head).
MANAGING_ROLES: tuple[StaffRole, ...] = ("manager", "head")
# The fields of a member of staff that change who reports to whom.
REPORTING_FIELDS = frozenset({"head_id", "role", "active"})


def responsible_head(
    manager_id: uuid.UUID | None, manager_role: str | None, manager_head_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The head responsible for escalations about a client: its account manager's head
    (``head_id``); a head with no head above answers for their own clients themself; ``None``
    for a client without a manager, or whose manager reports to no head.

    The same team a head's access scope covers (``client_scope`` in the clients repository
    and in ``shared/replicas.py``): the clients of the staff whose ``head_id`` is the head,
    and the head's own clients."""
    if manager_id is None:
        return None
    if manager_head_id is not None:
        return manager_head_id
    return manager_id if manager_role == HEAD_ROLE else None


def can_manage_clients(role: str, active: bool) -> bool:
    """Whether someone may be a client's account manager: an active manager or head."""
    return active and role in MANAGING_ROLES


def can_be_head(role: str, active: bool) -> bool:
    """Whether someone may be named as another's head: an active member whose role is head."""
    return active and role == HEAD_ROLE


def touches_reporting_lines(fields: Collection[str]) -> bool:
    """Whether a change of these fields changes who reports to whom (it then runs under the
    hierarchy lock, one at a time)."""
    return bool(REPORTING_FIELDS & set(fields))


def head_to_check(
    head_id: uuid.UUID | None, active: bool, changes: Mapping[str, Any], changed: Collection[str]
) -> uuid.UUID | None:
    """The head a member of staff reports to after the change, when it must be checked (an
    active head, no cycle): the head or the activity changes and they stay active with a
    head. ``head_id``, ``active``: before the change; ``changes``: the new values."""
    new_head: uuid.UUID | None = changes.get("head_id", head_id)
    new_active = changes.get("active", active)
    if new_head is not None and new_active and {"head_id", "active"} & set(changed):
        return new_head
    return None


def leaving_head_role(
    role: str, changes: Mapping[str, Any], changed: Collection[str]
) -> str | None:
    """When a head stops leading (deactivated, or given another role), the change in words
    ("deactivating them", "changing the role to manager"): they must have no active reports
    left. ``None`` when the change keeps them a head, or they are none."""
    if role != HEAD_ROLE:
        return None
    if "active" in changed and not changes["active"]:
        return "deactivating them"
    if changes.get("role", HEAD_ROLE) != HEAD_ROLE:
        return f"changing the role to {changes['role']}"
    return None


def portfolio_problem(
    name: str,
    staff_id: uuid.UUID,
    clients: int,
    changes: Mapping[str, Any],
    changed: Collection[str],
) -> str | None:
    """Why a member of staff who still manages ``clients`` clients may not change so (they
    must hand them over first): deactivated, or given a role that manages no clients."""
    if not clients:
        return None
    if "active" in changed and not changes["active"]:
        return (
            f"{name} still manages {clients} client(s): hand them over first "
            f"(POST /api/v1/staff/{staff_id}/handover)"
        )
    if "role" in changed and changes["role"] not in MANAGING_ROLES:
        return (
            f"{name} still manages {clients} client(s): hand them over before "
            f"changing the role to {changes['role']}"
        )
    return None


def changed_fields(current: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    """The fields whose new value differs from the current one, sorted."""
    return sorted(k for k, v in changes.items() if current.get(k) != v)
