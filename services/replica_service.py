"""The spec and app of a service that keeps replicas of the clients service's data
(interactions, billing, notifications): its staff come from the clients events
(``shared.replicas``), so its tokens are checked against ``staff_replica``.

Not a service itself, and no service's knowledge: each ``services/<name>/app.py`` passes its
own name, migrations, routers and handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI

from shared.app import create_app as create_specs_app
from shared.messaging.consumer import EventHandler
from shared.replicas import REPLICA_HANDLERS, load_replica_staff
from shared.runtime import ServiceSpec
from shared.scheduler import ScheduledJob
from shared.settings import OrbitSettings


def replica_service_spec(
    name: str,
    migrations: Path,
    *,
    routers: Sequence[APIRouter] = (),
    handlers: Mapping[str, EventHandler] = REPLICA_HANDLERS,
    jobs: Callable[[Any], Mapping[str, ScheduledJob]] | None = None,
    settings_cls: type[OrbitSettings] = OrbitSettings,
) -> ServiceSpec:
    """A service authenticating against its staff replica; ``handlers`` must keep the replicas
    (``REPLICA_HANDLERS``, the default, or a mapping built on them); ``jobs`` and
    ``settings_cls`` as in ``ServiceSpec``."""
    return ServiceSpec(
        name=name,
        routers=tuple(routers),
        migrations=migrations,
        staff_loader=load_replica_staff,
        handlers=handlers,
        jobs=jobs,
        settings_cls=settings_cls,
    )


def create_single_service_app(
    spec: ServiceSpec, settings: OrbitSettings | None = None, **kwargs: Any
) -> FastAPI:
    """``spec`` served on its own (settings from the environment unless given); ``kwargs`` as
    for ``shared.app.create_app``."""
    return create_specs_app([spec], spec.load_settings(settings), **kwargs)
