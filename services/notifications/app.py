"""The notifications service: per-user feeds, rules, preferences, deliveries, escalations."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.notifications.api import notifications
from services.notifications.handlers import HANDLERS
from shared.app import create_app as create_service_app
from shared.replicas import load_replica_staff
from shared.runtime import ServiceSpec
from shared.settings import OrbitSettings

NAME = "notifications"

SPEC = ServiceSpec(
    name=NAME,
    routers=(notifications.router,),
    migrations=Path(__file__).parent / "migrations",
    staff_loader=load_replica_staff,
    handlers=HANDLERS,
)


def create_app(settings: OrbitSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app([SPEC], settings or OrbitSettings(), **kwargs)  # type: ignore[arg-type]
