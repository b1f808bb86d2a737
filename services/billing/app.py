"""The billing service: contracts, estimates and budgets, invoices, payments and credit,
payment control (overdue, dunning, promises to pay), opportunities and reports.

It keeps replicas of the clients service's staff and clients, fed by its events
(``subscribers.py``); its settings (:class:`BillingSettings`) are read once, when the app is
built, and the scheduled jobs are built from them (:func:`scheduled_jobs`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.billing import SERVICE
from services.billing.api import (
    contracts,
    estimates,
    invoices,
    opportunities,
    payments,
    reports,
)
from services.billing.settings import BillingSettings
from services.billing.subscribers import SUBSCRIBERS
from services.billing.workers import ContractScanJob, PaymentControlJob
from shared.app import build_service_app
from shared.replica_service import replica_service_spec
from shared.scheduler import ScheduledJob
from shared.settings import OrbitSettings


def scheduled_jobs(settings: BillingSettings) -> dict[str, ScheduledJob]:
    """The service's scans, bound to its settings."""
    batch = settings.billing_scan_batch_size
    return {
        "contracts": ContractScanJob(batch),
        "payment_control": PaymentControlJob(
            settings.dunning_steps, settings.dunning_escalate_from_days, batch
        ),
    }


SPEC = replica_service_spec(
    SERVICE,
    Path(__file__).parent / "migrations",
    routers=(
        contracts.router,
        invoices.router,
        payments.router,
        estimates.router,
        opportunities.router,
        reports.router,
    ),
    subscribers=SUBSCRIBERS,
    jobs=scheduled_jobs,
    settings_cls=BillingSettings,
)


def create_app(settings: OrbitSettings | None = None, **kwargs: Any) -> FastAPI:
    return build_service_app(SPEC, settings, **kwargs)
