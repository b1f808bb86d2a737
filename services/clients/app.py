"""The clients service: staff, clients, contacts, assignments and SLA policies.

Its settings (:class:`ClientsSettings`) are read once, when the app is built
(``ServiceSpec.load_settings``), and passed down: the runtime builds the scheduled jobs from
them (``workers.scheduled_jobs``) and hands the same object to the API (``SettingsDep``). Nothing
reads the environment later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.clients import SERVICE
from services.clients.api import (
    audit,
    clients,
    contacts,
    files,
    imports,
    replicas,
    reports,
    settings,
    staff,
)
from services.clients.settings import ClientsSettings
from services.clients.store.repository import load_staff_record
from services.clients.workers import import_workers, scheduled_jobs
from shared.app import build_service_app
from shared.audit import retention_rule as audit_retention
from shared.runtime import ServiceSpec
from shared.settings import OrbitSettings

SPEC = ServiceSpec(
    name=SERVICE,
    routers=(
        staff.router,
        clients.router,
        contacts.router,
        reports.router,
        settings.router,
        audit.router,
        files.router,
        files.internal,
        imports.router,
        replicas.router,
    ),
    migrations=Path(__file__).parent / "migrations",
    staff_loader=load_staff_record,
    jobs=scheduled_jobs,
    workers=import_workers,
    settings_cls=ClientsSettings,
    # Audit rows for years (ORBIT_RETENTION_AUDIT_DAYS), the outbox's for days.
    retention=lambda settings: [audit_retention(settings)],
    # The other services read through to it (shared/readthrough.py).
    owner=replicas.owner_fetch,
    # Documents (/api/v1/files): the services keeping their owners say whose client each is.
    resolves_owners=True,
    # Imports of contracts and invoices: billing runs their rows (shared/imports.py).
    imports_elsewhere=True,
    # An upload is the document and its form fields (a few KiB beyond the file).
    body_limits=lambda settings: {
        path: settings.files_max_bytes + 64 * 1024 for path in (files.PATH, files.KEEP_PATH)
    },
    # The attachments of inbound mail the interactions service hands over (shared/kept_files.py).
    keeps_files=files.keeper,
)


def create_app(settings: OrbitSettings | None = None, **kwargs: Any) -> FastAPI:
    """The clients service on its own, with ``settings`` (from the environment when None)."""
    return build_service_app(SPEC, settings, **kwargs)
