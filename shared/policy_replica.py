"""A copy of the policies set at run time (the clients service's ``/api/v1/settings``), kept
by a service whose rules read some of their values (billing's budget thresholds,
interactions' low feedback scores), from ``orbit.clients.settings.changed.v1``.

One row per scope (the global document: department ``""``) holding the document as stored —
the fields it sets — and its version; an event of an older version than the stored one is
ignored. A rule reads one value with :func:`policy_value_of`: the department's document over
the global one (``shared.policies``), else the service's own default (its constant or
environment value), so a service that never saw a change behaves as before.

A service keeping it composes :data:`POLICY_HANDLERS` into its subscribers and creates the
table in a migration (``shared.migration_ops.create_policy_replica_v1``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, ColumnElement, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import JSONType, UTCDateTime, upsert
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.policies import policy_value
from shared.uow import UnitOfWork

SETTINGS_CHANGED = "orbit.clients.settings.changed.v1"

policy_metadata = MetaData()

policy_replica = Table(
    "policy_replica",
    policy_metadata,
    Column("department", String(200), primary_key=True),  # "": the global document
    Column("version", Integer, nullable=False),
    Column("document", JSONType, nullable=False),
    Column("source_time", UTCDateTime, nullable=False),
)


async def on_settings_changed(uow: UnitOfWork, event: CloudEvent) -> None:
    """Keep the scope's document as of its version (an older version is ignored)."""
    data = event.data
    await upsert(
        uow.session,
        policy_replica,
        "department",
        {
            "department": data.get("department") or "",
            "version": int(data["version"]),
            "document": dict(data["values"]),
            "source_time": event.time,
        },
        unless_newer="version",
    )


POLICY_HANDLERS: dict[str, EventHandler] = {SETTINGS_CHANGED: on_settings_changed}


async def policy_documents(
    session: AsyncSession, department: str | None
) -> dict[str, dict[str, Any]]:
    """The global document and ``department``'s, as stored (``{"": …, "<name>": …}``)."""
    scopes = ["", department] if department else [""]
    return await every_policy_document(session, policy_replica.c.department.in_(scopes))


async def every_policy_document(
    session: AsyncSession, *where: ColumnElement[bool]
) -> dict[str, dict[str, Any]]:
    """Every scope's document as stored (a scan's batch reads them once for all its
    clients' departments), or those ``where`` selects."""
    rows = await session.execute(
        select(policy_replica.c.department, policy_replica.c.document).where(*where)
    )
    return {scope: dict(document or {}) for scope, document in rows}


async def policy_value_of(
    session: AsyncSession, department: str | None, path: str, fallback: Any
) -> Any:
    """The value at ``path`` (``"low_score.nps_max"``) of ``department``'s policy, or
    ``fallback`` (the service's own default) when no document sets it."""
    return policy_value(await policy_documents(session, department), department, path, fallback)
