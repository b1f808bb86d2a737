"""The spec of a service that keeps replicas of the clients service's data (interactions,
billing, notifications): its staff come from the clients events (``shared.replicas``), so its
tokens are checked against ``staff_replica``.

No service's knowledge: each ``services/<name>/app.py`` passes its own name, migrations,
routers, subscribers, scheduled jobs and settings class, and serves the spec with
``shared.app.build_service_app``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from sqlalchemy import Table

from shared.documents import DocumentFetch
from shared.imports import ImportRun
from shared.messaging.consumer import EventHandler
from shared.owners import OwnerLookup
from shared.replicas import REPLICA_HANDLERS, load_replica_staff
from shared.retention import RetentionRule
from shared.runtime import ServiceSpec
from shared.scheduler import ScheduledJob
from shared.settings import OrbitSettings


def replica_service_spec(
    name: str,
    migrations: Path,
    *,
    routers: Sequence[APIRouter] = (),
    subscribers: Mapping[str, EventHandler] = REPLICA_HANDLERS,
    jobs: Callable[[Any], Mapping[str, ScheduledJob]] | None = None,
    settings_cls: type[OrbitSettings] = OrbitSettings,
    workers: Callable[[Any], Mapping[str, Callable[[], Awaitable[None]]]] | None = None,
    retention: Callable[[Any], Sequence[RetentionRule]] | None = None,
    documents: Callable[[Any], DocumentFetch] | None = None,
    owners: Callable[[Any], OwnerLookup] | None = None,
    imports: Callable[[Any], ImportRun] | None = None,
    body_limits: Callable[[Any], Mapping[str, int]] | None = None,
    hands_files: bool = False,
    fetches_documents: bool = False,
    manager_copies: Sequence[Table] = (),
) -> ServiceSpec:
    """A service authenticating against its staff replica. ``subscribers`` (event type ->
    reaction) must keep the replicas (``REPLICA_HANDLERS``, the default, or a mapping
    composed on them: ``shared.subscribers.compose``); ``jobs`` builds the scheduled jobs
    from the service's settings, an instance of ``settings_cls``; ``workers`` the
    long-running workers besides them; ``retention`` the service's own retention rules (see
    ``ServiceSpec``); ``manager_copies`` the tables keeping their client's account manager."""
    return ServiceSpec(
        name=name,
        routers=tuple(routers),
        migrations=migrations,
        staff_loader=load_replica_staff,
        reads_through=True,
        handlers=subscribers,
        jobs=jobs,
        settings_cls=settings_cls,
        workers=workers,
        retention=retention,
        documents=documents,
        owners=owners,
        imports=imports,
        body_limits=body_limits,
        hands_files=hands_files,
        fetches_documents=fetches_documents,
        manager_copies=tuple(manager_copies),
    )
