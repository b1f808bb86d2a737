"""The interactions service: interaction log, inbound requests and their first-response SLA,
planned meetings, meeting reports, tasks, feedback and their reports; the scans that turn
them into alerts.

It keeps replicas of the clients service's staff and clients (``shared.replicas``), and per
client the contact cadence, fed by the clients events. Its settings
(:class:`InteractionsSettings`) are read once, when the app is built, and passed down: the
runtime builds the scans from them (:func:`scheduled_jobs`), the API reads the same object.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.interactions import SERVICE
from services.interactions.api import (
    calls,
    emails,
    feedback,
    interactions,
    meetings,
    owners,
    reports,
    requests,
    tasks,
)
from services.interactions.settings import InteractionsSettings
from services.interactions.store.models import Feedback, Interaction, Request
from services.interactions.subscribers import SUBSCRIBERS
from services.interactions.workers import attachment_workers, scheduled_jobs
from shared.app import build_service_app
from shared.audit import retention_rule as audit_retention
from shared.replica_service import replica_service_spec
from shared.settings import OrbitSettings

SPEC = replica_service_spec(
    SERVICE,
    Path(__file__).parent / "migrations",
    routers=(
        interactions.router,
        requests.router,
        tasks.router,
        meetings.router,
        feedback.router,
        reports.router,
        calls.router,
        emails.router,
        owners.router,
    ),
    subscribers=SUBSCRIBERS,
    # Each keeps its client's account manager for the managers' lists (shared/replica_store.py).
    manager_copies=(Interaction.__table__, Request.__table__, Feedback.__table__),  # type: ignore[arg-type]
    jobs=scheduled_jobs,
    # The attachments of inbound mail handed to the files (shared/kept_files.py).
    workers=attachment_workers,
    hands_files=True,
    settings_cls=InteractionsSettings,
    # The corrections' audit rows for years (ORBIT_RETENTION_AUDIT_DAYS).
    retention=lambda settings: [audit_retention(settings)],
    # The client of an interaction or a meeting report, for the documents attached to them
    # (shared/owners.py).
    owners=owners.lookup,
    # The inbound email webhook's body: a message with its attachments (base64).
    body_limits=emails.body_limits,
)


def create_app(settings: OrbitSettings | None = None, **kwargs: Any) -> FastAPI:
    """The interactions service on its own, with ``settings`` (from the environment when
    None)."""
    return build_service_app(SPEC, settings, **kwargs)
