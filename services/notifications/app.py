"""The notifications service: per-user feeds and their live stream, rules, preferences,
email and webhook deliveries, and the escalation chain.

It keeps replicas of the clients service's staff and clients (``shared.replicas``) and the
locales of staff, clients and contacts; every event of the catalogue goes through
``subscribers.py`` (rules, webhook subscriptions, the scorecard's KPI projection). The
manager scorecard is one of its features: its router ``api/scorecard.py``, its use cases
``handlers/scorecard/``, its tables ``store/scorecard/``, its rules ``domain/scorecard/``.

Its settings (:class:`NotificationsSettings`) are read once, when the app is built: the
runtime builds the escalation scan and the scorecard's reports (``workers.scheduled_jobs``)
and the email and webhook senders (``delivery.delivery_workers``) from them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI
from sqlalchemy import Table

from services.notifications import SERVICE
from services.notifications.api import (
    calendar,
    notifications,
    preferences,
    rules,
    scorecard,
    search,
    timeline,
    webhooks,
)
from services.notifications.delivery import delivery_workers
from services.notifications.settings import NotificationsSettings
from services.notifications.store.models import Delivery, DeliveryAttempt
from services.notifications.store.search import search_documents
from services.notifications.subscribers import SUBSCRIBERS
from services.notifications.workers import scheduled_jobs
from shared.app import build_service_app
from shared.audit import retention_rule as audit_retention
from shared.replica_service import replica_service_spec
from shared.retention import RetentionRule
from shared.settings import OrbitSettings


def retention_rules(settings: OrbitSettings) -> list[RetentionRule]:
    """Deliveries that are done (sent, failed, skipped, cancelled; never a pending one) and
    their attempts, after ``ORBIT_RETENTION_DELIVERIES_DAYS``; the audit rows of the rules
    after ``ORBIT_RETENTION_AUDIT_DAYS`` (years)."""
    age = timedelta(days=settings.retention_deliveries_days)
    deliveries = cast(Table, Delivery.__table__)
    attempts = cast(Table, DeliveryAttempt.__table__)
    return [
        RetentionRule(
            deliveries, deliveries.c.created_at, age, where=deliveries.c.status != "pending"
        ),
        RetentionRule(attempts, attempts.c.at, age),
        audit_retention(settings),
    ]


SPEC = replica_service_spec(
    SERVICE,
    Path(__file__).parent / "migrations",
    routers=(
        notifications.router,
        rules.router,
        preferences.router,
        webhooks.router,
        webhooks.deliveries_router,
        scorecard.router,
        timeline.router,
        calendar.router,
        search.router,
    ),
    subscribers=SUBSCRIBERS,
    jobs=scheduled_jobs,
    settings_cls=NotificationsSettings,
    workers=delivery_workers,
    retention=retention_rules,
    fetches_documents=True,
    manager_copies=(search_documents,),
)


def create_app(settings: OrbitSettings | None = None, **kwargs: Any) -> FastAPI:
    return build_service_app(SPEC, settings, **kwargs)
