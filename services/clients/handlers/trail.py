"""The audit rows of the clients service's use cases (``shared.audit``): each changed field of
a client, contact or member of staff, written in the use case's unit of work."""

from __future__ import annotations

from shared.audit import changed, created, deleted, state

__all__ = ["changed", "created", "deleted", "state"]

# The fields audited (a client's account manager: by ``reassign``, with its history row).
CLIENT_FIELDS = (
    "name",
    "kind",
    "tier",
    "status",
    "status_reason",
    "segment",
    "tags",
    "country",
    "timezone",
    "locale",
    "sla_overrides",
)
STAFF_FIELDS = ("name", "email", "role", "department", "head_id", "timezone", "locale", "active")
CONTACT_FIELDS = (
    "client_id",
    "name",
    "email",
    "phone",
    "position",
    "roles",
    "birthday",
    "preferred_channel",
    "locale",
)
