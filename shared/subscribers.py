"""Subscriber maps (event type -> reaction), composed one way in every service.

A service's subscribers are its maps put together with :func:`compose`: the replicas'
(``shared.replicas.REPLICA_HANDLERS``) first, then the service's own reactions, each map
naming only the event types it reacts to. A reaction that must not hold the others up when it
cannot read an event (a projection beside the alerts) is wrapped in :func:`tolerant`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.uow import UnitOfWork

log = logging.getLogger("orbit.subscribers")


def chain(*reactions: EventHandler) -> EventHandler:
    """One reaction running ``reactions`` in order, in the same unit of work (the first that
    fails fails the event: the consumer rolls it all back and retries)."""
    if len(reactions) == 1:
        return reactions[0]

    async def subscriber(uow: UnitOfWork, event: CloudEvent) -> None:
        for reaction in reactions:
            await reaction(uow, event)

    return subscriber


def compose(*maps: Mapping[str, EventHandler]) -> dict[str, EventHandler]:
    """One subscriber map from several: every event type any of them reacts to, with the
    reactions of the maps that name it, in the maps' order (:func:`chain`)."""
    reactions: dict[str, list[EventHandler]] = {}
    for subscribers in maps:
        for event_type, reaction in subscribers.items():
            reactions.setdefault(event_type, []).append(reaction)
    return {event_type: chain(*steps) for event_type, steps in reactions.items()}


def tolerant(reaction: EventHandler, what: str) -> EventHandler:
    """``reaction`` in a savepoint of the unit of work: an event it cannot read (a field
    missing or malformed: ``KeyError``, ``TypeError``, ``ValueError``) is left out of
    ``what`` with a warning instead of failing the reactions beside it (the event would be
    dead-lettered whole); a database error still fails the event, to be retried."""

    async def subscriber(uow: UnitOfWork, event: CloudEvent) -> None:
        try:
            async with uow.session.begin_nested():
                await reaction(uow, event)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("%s: %s %s left out: %r", what, event.type, event.id, exc)

    return subscriber
