"""Composition root of all four services: the registry of specs and the all-in-one app."""

from __future__ import annotations

from fastapi import FastAPI

from services.billing.app import SPEC as BILLING
from services.clients.app import SPEC as CLIENTS
from services.interactions.app import SPEC as INTERACTIONS
from services.notifications.app import SPEC as NOTIFICATIONS
from shared.app import create_app
from shared.clock import Clock
from shared.messaging.bus import Bus
from shared.runtime import ServiceSpec
from shared.settings import OrbitSettings

SPECS: dict[str, ServiceSpec] = {
    s.name: s for s in (CLIENTS, INTERACTIONS, BILLING, NOTIFICATIONS)
}


def create_service_app(service: str, settings: OrbitSettings, **kwargs: object) -> FastAPI:
    """One service on its own (``orbit serve``): its own database, Kafka in production."""
    return create_app([SPECS[service]], settings, **kwargs)  # type: ignore[arg-type]


def create_embedded_app(
    settings: OrbitSettings, *, bus: Bus | None = None, clock: Clock | None = None
) -> FastAPI:
    """Every service in one process (``orbit run``): SQLite files under ORBIT_DATA_DIR and the
    in-process bus unless configured otherwise; databases are migrated at start."""
    return create_app(
        list(SPECS.values()), settings, bus=bus, clock=clock, migrate_on_start=True,
        title="Orbit (embedded: clients, interactions, billing, notifications)",
    )
