"""The notifications service: per-user feeds, rules, preferences, deliveries, escalations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.notifications import SERVICE
from services.notifications.api import notifications
from services.notifications.scorecard.api import scorecard
from services.notifications.scorecard.jobs import scheduled_jobs as scorecard_jobs
from services.notifications.scorecard.settings import ScorecardSettings
from services.notifications.scorecard.subscribers import SCORECARD_SUBSCRIBERS, merge_subscribers
from services.notifications.subscribers import SUBSCRIBERS
from shared.app import build_service_app
from shared.replica_service import replica_service_spec
from shared.settings import OrbitSettings

SPEC = replica_service_spec(
    SERVICE,
    Path(__file__).parent / "migrations",
    routers=(notifications.router, scorecard.router),
    subscribers=merge_subscribers(SUBSCRIBERS, SCORECARD_SUBSCRIBERS),
    jobs=scorecard_jobs,
    settings_cls=ScorecardSettings,
)


def create_app(settings: OrbitSettings | None = None, **kwargs: Any) -> FastAPI:
    return build_service_app(SPEC, settings, **kwargs)
