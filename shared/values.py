"""Closed value sets that more than one service names, spelled once.

The clients service owns a client's status and a member of staff's role; interactions (the
cadence report) and notifications read them from the clients' events and their replicas, and
answer them again in their own responses; every service checks the role a caller has
(``shared.auth.Role`` names these values for code). Pure: no I/O (a domain module may import
it)."""

from __future__ import annotations

from typing import Literal, get_args

# A client's statuses (the lifecycle is ``services/clients/domain/status.py``).
ClientStatus = Literal["prospect", "active", "paused", "churned"]

# A member of staff's role, as tokens carry it (``service``: another service, not a person;
# ``integration``: an outside system, its token carrying scopes, ``shared/scopes.py``).
StaffRole = Literal["manager", "head", "admin", "service", "integration"]
STAFF_ROLES: tuple[StaffRole, ...] = get_args(StaffRole)
