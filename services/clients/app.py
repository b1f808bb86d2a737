"""The clients service: staff, clients, contacts, assignments and SLA policies.

Its settings (:class:`ClientsSettings`) are read once, at start-up, by the composition root
(:func:`create_app` here, ``services/embedded.py`` for ``orbit serve``/``orbit run``) and passed
down: :func:`build_spec` binds the scheduled jobs to them, the runtime hands the same object to
the API (``SettingsDep``). Nothing reads the environment later.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.clients.api import clients, contacts, reports, staff
from services.clients.settings import ClientsSettings
from services.clients.store.repository import load_staff_record
from services.clients.workers import BirthdayJob
from shared.app import create_app as create_service_app
from shared.runtime import ServiceSpec
from shared.settings import OrbitSettings

NAME = "clients"

# What the service is, whatever its settings: routers, migrations, staff loader, settings
# class. It has no jobs (they need the settings): `orbit migrate`, the schema and deploy
# tools use it; running the service takes ``build_spec(settings)``.
SPEC = ServiceSpec(
    name=NAME,
    routers=(staff.router, clients.router, contacts.router, reports.router),
    migrations=Path(__file__).parent / "migrations",
    staff_loader=load_staff_record,
    settings_cls=ClientsSettings,
)


def load_settings(base: OrbitSettings | None = None) -> ClientsSettings:
    """The service's settings: ``base`` itself when it is a ``ClientsSettings`` already, else
    the shared settings of ``base`` (or of the environment) with the clients knobs read from
    the environment (``ORBIT_SLA_DEFAULTS``, ``ORBIT_BIRTHDAY_NOTICE_DAYS``, ...). Raises
    ``pydantic.ValidationError`` (a ``ValueError``) naming the setting that is invalid."""
    if isinstance(base, ClientsSettings):
        return base
    if base is None:
        return ClientsSettings()
    return ClientsSettings(**base.model_dump())


def build_spec(settings: ClientsSettings) -> ServiceSpec:
    """The spec to run: :data:`SPEC` with its scheduled jobs bound to ``settings``."""
    return ServiceSpec(
        name=SPEC.name,
        routers=SPEC.routers,
        migrations=SPEC.migrations,
        staff_loader=SPEC.staff_loader,
        jobs={"birthdays": BirthdayJob(settings.birthday_notice_days)},
        settings_cls=ClientsSettings,
    )


def create_app(settings: OrbitSettings | None = None, **kwargs: object) -> FastAPI:
    """The clients service on its own, with ``settings`` (see :func:`load_settings`)."""
    own = load_settings(settings)
    return create_service_app([build_spec(own)], own, **kwargs)  # type: ignore[arg-type]
