"""Composition root of all four services: the registry of specs and the all-in-one app.

Each service's settings are read once here, at start-up, with :func:`load_settings`, and its
spec is built from them (:func:`build_spec`); nothing reads the environment afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from services.billing.app import SPEC as BILLING
from services.clients import app as clients
from services.interactions.app import SPEC as INTERACTIONS
from services.notifications.app import SPEC as NOTIFICATIONS
from shared.app import create_app
from shared.clock import Clock
from shared.messaging.bus import Bus
from shared.runtime import ServiceSpec
from shared.settings import OrbitSettings

# What each service is (routers, migrations, handlers, settings class), whatever the
# settings: for `orbit migrate` and the tools. Running a service takes build_spec().
SPECS: dict[str, ServiceSpec] = {
    s.name: s for s in (clients.SPEC, INTERACTIONS, BILLING, NOTIFICATIONS)
}

# Services whose spec depends on their settings (the others run their SPECS entry as it is).
_BUILDERS: dict[str, Callable[[Any], ServiceSpec]] = {clients.NAME: clients.build_spec}


def load_settings(service: str, base: OrbitSettings | None = None) -> OrbitSettings:
    """The settings ``service`` runs with, an instance of ``SPECS[service].settings_cls``:
    ``base`` itself when it is one already, else the shared values of ``base`` (or of the
    environment when ``base`` is None) plus the service's own knobs from the environment.

    Raises ``pydantic.ValidationError`` (a ``ValueError``; ``str()`` names the setting) when
    the configuration is invalid, e.g. ``ORBIT_SLA_DEFAULTS`` with key clients looser than
    standard ones. ``KeyError`` for an unknown service."""
    cls = SPECS[service].settings_cls
    if isinstance(base, cls):
        return base
    if base is None:
        return cls()
    return cls(**base.model_dump())


def build_spec(service: str, settings: OrbitSettings) -> ServiceSpec:
    """The spec to run ``service`` with ``settings`` (from :func:`load_settings`)."""
    builder = _BUILDERS.get(service)
    return builder(settings) if builder is not None else SPECS[service]


def create_service_app(service: str, settings: OrbitSettings, **kwargs: object) -> FastAPI:
    """One service on its own (``orbit serve``): its own database, Kafka in production.
    Raises ``pydantic.ValidationError`` for an invalid configuration (see load_settings)."""
    own = load_settings(service, settings)
    return create_app([build_spec(service, own)], own, **kwargs)  # type: ignore[arg-type]


def create_embedded_app(
    settings: OrbitSettings, *, bus: Bus | None = None, clock: Clock | None = None
) -> FastAPI:
    """Every service in one process (``orbit run``): SQLite files under ORBIT_DATA_DIR and the
    in-process bus unless configured otherwise; databases are migrated at start. Raises
    ``pydantic.ValidationError`` for an invalid configuration of any service."""
    specs = [build_spec(name, load_settings(name, settings)) for name in SPECS]
    return create_app(
        specs, settings, bus=bus, clock=clock, migrate_on_start=True,
        title="Orbit (embedded: clients, interactions, billing, notifications)",
    )
