"""The notifications service: per-user feeds, rules, preferences, deliveries, escalations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.notifications.api import notifications
from services.notifications.handlers import HANDLERS
from services.replica_service import create_single_service_app, replica_service_spec
from shared.settings import OrbitSettings

NAME = "notifications"

SPEC = replica_service_spec(
    NAME,
    Path(__file__).parent / "migrations",
    routers=(notifications.router,),
    handlers=HANDLERS,
)


def create_app(settings: OrbitSettings | None = None, **kwargs: Any) -> FastAPI:
    return create_single_service_app(SPEC, settings, **kwargs)
