"""The clients service: staff, clients, contacts, assignments and SLA policies."""

from __future__ import annotations

import dataclasses
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

SPEC = ServiceSpec(
    name=NAME,
    routers=(staff.router, clients.router, contacts.router, reports.router),
    migrations=Path(__file__).parent / "migrations",
    staff_loader=load_staff_record,
    jobs={"birthdays": BirthdayJob()},
    settings_cls=ClientsSettings,
)


def spec_for(settings: OrbitSettings) -> ServiceSpec:
    """SPEC with its jobs bound to these settings (the knobs of ClientsSettings)."""
    own = settings if isinstance(settings, ClientsSettings) else ClientsSettings(
        **settings.model_dump()
    )
    return dataclasses.replace(SPEC, jobs={"birthdays": BirthdayJob(own.birthday_notice_days)})


def create_app(settings: OrbitSettings | None = None, **kwargs: object) -> FastAPI:
    settings = settings or ClientsSettings()
    return create_service_app([spec_for(settings)], settings, **kwargs)  # type: ignore[arg-type]
