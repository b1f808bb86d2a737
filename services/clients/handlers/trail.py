"""The audit rows of the clients service's use cases (``shared.audit``): each changed field of
a client, contact or member of staff, written in the use case's unit of work."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from shared import audit
from shared.auth import Caller
from shared.uow import UnitOfWork

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


def state(entity: Any, fields: Sequence[str]) -> dict[str, Any]:
    """The audited fields' values now (copies: a later change does not alter them)."""
    return {name: copy.deepcopy(getattr(entity, name)) for name in fields}


async def changed(
    uow: UnitOfWork,
    caller: Caller,
    kind: str,
    entity: Any,
    before: dict[str, Any],
    fields: Sequence[str],
) -> None:
    """One audit row per field of ``entity`` that differs from ``before``."""
    after = state(entity, fields)
    await audit.record(uow, caller.id, kind, entity.id, audit.diff(before, after, fields))


async def created(
    uow: UnitOfWork, caller: Caller, kind: str, entity: Any, fields: Sequence[str]
) -> None:
    """A new entity: a row per field it was created with (old: null)."""
    await changed(uow, caller, kind, entity, dict.fromkeys(fields), fields)


async def deleted(
    uow: UnitOfWork, caller: Caller, kind: str, entity: Any, fields: Sequence[str]
) -> None:
    """A deleted entity: a row per field it had (new: null)."""
    before = state(entity, fields)
    await audit.record(
        uow, caller.id, kind, entity.id, audit.diff(before, dict.fromkeys(fields), fields)
    )
