"""The interactions service: interaction log, inbound requests and their SLA, meeting
reports, tasks, feedback.

So far it keeps its replicas of the clients service's staff and clients, fed by its events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from shared.app import build_service_app
from shared.replica_service import replica_service_spec
from shared.settings import OrbitSettings

NAME = "interactions"

SPEC = replica_service_spec(NAME, Path(__file__).parent / "migrations")


def create_app(settings: OrbitSettings | None = None, **kwargs: Any) -> FastAPI:
    return build_service_app(SPEC, settings, **kwargs)
