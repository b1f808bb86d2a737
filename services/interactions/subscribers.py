"""Subscribers of the interactions service: its reactions to the clients service's events.

A subscriber runs in the consumer's unit of work, which commits with the inbox row
(``shared.messaging.consumer``); :data:`SUBSCRIBERS` maps each event type to one. They keep
the replicas of the clients service's data (``shared.replicas``) and, per client, the
contact cadence (``handlers/cadence.py``), and the policies set at run time its rules read
(``shared.policy_replica``: the low feedback scores).
"""

from __future__ import annotations

import uuid

from services.interactions.handlers.cadence import cadence_days, track_client
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.policy_replica import POLICY_HANDLERS
from shared.replicas import REPLICA_HANDLERS, on_client_changed
from shared.subscribers import compose
from shared.uow import UnitOfWork


async def on_client_event(uow: UnitOfWork, event: CloudEvent) -> None:
    """Keep the client's cadence (after its replica: ``SUBSCRIBERS``)."""
    data = event.data
    await track_client(
        uow, uuid.UUID(str(data["client_id"])), cadence_days(data.get("sla")), event.time
    )


# The replicas (``shared.replicas``), then the clients' cadence; the policies.
SUBSCRIBERS: dict[str, EventHandler] = compose(
    REPLICA_HANDLERS,
    {t: on_client_event for t, handler in REPLICA_HANDLERS.items() if handler is on_client_changed},
    POLICY_HANDLERS,
)
