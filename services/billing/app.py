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
    billing_details,
    contracts,
    documents,
    estimates,
    imports,
    invoices,
    opportunities,
    owners,
    payments,
    reports,
)
from services.billing.settings import BillingSettings
from services.billing.store.models import Invoice
from services.billing.subscribers import SUBSCRIBERS
from services.billing.workers import scheduled_jobs
from shared.app import build_service_app
from shared.audit import retention_rule as audit_retention
from shared.replica_service import replica_service_spec
from shared.settings import OrbitSettings

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
        billing_details.router,
        documents.router,
        owners.router,
        imports.router,
    ),
    subscribers=SUBSCRIBERS,
    # Invoices keep their client's account manager for the managers' lists
    # (shared/replica_store.py).
    manager_copies=(Invoice.__table__,),  # type: ignore[arg-type]
    jobs=scheduled_jobs,
    settings_cls=BillingSettings,
    # The corrections' audit rows for years (ORBIT_RETENTION_AUDIT_DAYS).
    retention=lambda settings: [audit_retention(settings)],
    # The invoice PDF of the notifications' emails (shared/documents.py).
    documents=documents.documents_fetch,
    # The client of a contract or an invoice, for the documents attached to them
    # (shared/owners.py).
    owners=owners.lookup,
    # The contracts and open invoices the clients service imports (shared/imports.py).
    imports=imports.import_run,
)


def create_app(settings: OrbitSettings | None = None, **kwargs: Any) -> FastAPI:
    return build_service_app(SPEC, settings, **kwargs)
