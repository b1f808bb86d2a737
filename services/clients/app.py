"""The clients service: staff, clients, contacts, assignments and SLA policies."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.clients.api import clients, staff
from services.clients.settings import ClientsSettings
from services.clients.store.repository import load_staff_record
from shared.app import create_app as create_service_app
from shared.runtime import ServiceSpec
from shared.settings import OrbitSettings

NAME = "clients"

SPEC = ServiceSpec(
    name=NAME,
    routers=(staff.router, clients.router),
    migrations=Path(__file__).parent / "migrations",
    staff_loader=load_staff_record,
    settings_cls=ClientsSettings,
)


def create_app(settings: OrbitSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app([SPEC], settings or ClientsSettings(), **kwargs)  # type: ignore[arg-type]
