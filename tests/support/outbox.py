"""A service's outbox as the tests read it: the events a use case or a scan wrote, in the
order the relay sends them (``seq``)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from shared.runtime import ServiceRuntime
from shared.tables import outbox


async def outbox_events(
    runtime: ServiceRuntime, event_type: str, key: str | None = None
) -> list[dict[str, Any]]:
    """The ``data`` of the service's outbox events of ``event_type`` (and ``key``), in order."""
    query = select(outbox.c.payload).where(outbox.c.event_type == event_type)
    if key is not None:
        query = query.where(outbox.c.key == key)
    async with runtime.sessions() as session:
        rows = (await session.scalars(query.order_by(outbox.c.seq))).all()
    return [json.loads(p)["data"] for p in rows]


async def all_outbox_events(runtime: ServiceRuntime) -> list[tuple[str, dict[str, Any]]]:
    """Every event of the service's outbox as ``(type, data)``, in ``seq`` order."""
    query = select(outbox.c.event_type, outbox.c.payload).order_by(outbox.c.seq)
    async with runtime.sessions() as session:
        rows = (await session.execute(query)).all()
    return [(row.event_type, json.loads(row.payload)["data"]) for row in rows]
