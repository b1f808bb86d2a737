"""The interactions service: interaction log, inbound requests and their SLA, meeting
reports, tasks, feedback.

So far it keeps its replicas of the clients service's staff and clients, fed by its events.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.app import create_app as create_service_app
from shared.replicas import REPLICA_HANDLERS, load_replica_staff
from shared.runtime import ServiceSpec
from shared.settings import OrbitSettings

NAME = "interactions"

SPEC = ServiceSpec(
    name=NAME,
    routers=(),
    migrations=Path(__file__).parent / "migrations",
    staff_loader=load_replica_staff,
    handlers=REPLICA_HANDLERS,
)


def create_app(settings: OrbitSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app([SPEC], settings or OrbitSettings(), **kwargs)  # type: ignore[arg-type]
