"""Composition root of all four services: the registry of specs and the all-in-one app.

Each service's settings are read once, when its app is built (``ServiceSpec.load_settings``,
called by ``shared.app.build_app``); its scheduled jobs are built from them. Nothing reads
the environment afterwards.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.billing.app import SPEC as BILLING
from services.clients.app import SPEC as CLIENTS
from services.interactions.app import SPEC as INTERACTIONS
from services.notifications.app import SPEC as NOTIFICATIONS
from shared.app import build_app
from shared.clock import Clock
from shared.messaging.bus import Bus
from shared.runtime import ServiceSpec
from shared.settings import OrbitSettings

SPECS: dict[str, ServiceSpec] = {s.name: s for s in (CLIENTS, INTERACTIONS, BILLING, NOTIFICATIONS)}


def load_settings(service: str, base: OrbitSettings | None = None) -> OrbitSettings:
    """The settings ``service`` runs with (``ServiceSpec.load_settings``): ``base`` plus the
    service's own knobs, e.g. the clients service's ``ORBIT_CLIENTS_SLA_DEFAULTS``. Raises
    ``pydantic.ValidationError`` (a ``ValueError``) when the configuration is invalid;
    ``KeyError`` for an unknown service."""
    return SPECS[service].load_settings(base)


def standalone_app(service: str, settings: OrbitSettings, **kwargs: Any) -> FastAPI:
    """One service on its own (``orbit serve``): its own database, Kafka in production.
    Raises ``pydantic.ValidationError`` for an invalid configuration (see load_settings)."""
    return build_app([SPECS[service]], settings, **kwargs)


def embedded_app(
    settings: OrbitSettings, *, bus: Bus | None = None, clock: Clock | None = None
) -> FastAPI:
    """Every service in one process (``orbit run``): SQLite files under ORBIT_DATA_DIR and the
    in-process bus unless configured otherwise; databases are migrated at start. Raises
    ``pydantic.ValidationError`` for an invalid configuration of any service."""
    return build_app(
        list(SPECS.values()),
        settings,
        bus=bus,
        clock=clock,
        migrate_on_start=True,
        title="Orbit (embedded: clients, interactions, billing, notifications)",
    )
