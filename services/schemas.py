"""The event catalogue: every service's event models and what each service consumes, for the
JSON Schemas and the AsyncAPI document (``orbit schemas``; the machinery is
``services.schema_docs`` and ``services.schema_compat``).

A composition root (like ``services.embedded``): it imports every service's events.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from services import schema_docs as machinery
from services.schema_compat import Schema, compatibility_problems
from services.schema_docs import ASYNCAPI_FILE, EVENTS_DIR, EventCatalogue, event_schema
from shared.messaging.envelope import Event, registry
from shared.settings import SERVICES

__all__ = [
    "ASYNCAPI_FILE",
    "EVENTS_DIR",
    "asyncapi_document",
    "breaking_changes",
    "catalogue",
    "check_schemas",
    "compatibility_problems",
    "drift",
    "event_models",
    "event_schema",
    "event_schemas",
    "write_schemas",
]


def _import_event_modules() -> None:
    """Every service's event models register when their module is imported: the specs import
    them through their use cases and workers; an ``events`` module nothing imports yet is
    picked up here as well."""
    importlib.import_module("services.embedded")
    for service in SERVICES:
        name = f"services.{service}.events"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def event_models() -> dict[str, type[Event]]:
    """The services' event models by CloudEvents type, sorted.

    Only models defined in ``services/<service>/`` for their own service count: the registry
    also holds whatever event classes tests (or benchmarks) defined in the same process.
    """
    _import_event_modules()
    models: dict[str, type[Event]] = {}
    for event_type, model in registry.types().items():
        service = model.service()
        if service in SERVICES and model.__module__.startswith(f"services.{service}."):
            models[event_type] = model
    return models


def catalogue() -> EventCatalogue:
    """The models, and the event types each service consumes (its subscribers)."""
    from services.embedded import SPECS

    consumed = {name: sorted(spec.handlers) for name, spec in SPECS.items() if spec.handlers}
    return EventCatalogue(models=event_models(), consumed=consumed)


def event_schemas() -> dict[str, Schema]:
    return machinery.event_schemas(catalogue())


def asyncapi_document() -> Schema:
    return machinery.asyncapi_document(catalogue())


def write_schemas(root: Path) -> list[Path]:
    return machinery.write_schemas(root, catalogue())


def drift(root: Path) -> list[str]:
    return machinery.drift(root, catalogue())


def breaking_changes(root: Path) -> list[str]:
    return machinery.breaking_changes(root, catalogue())


def check_schemas(root: Path) -> list[str]:
    return machinery.check_schemas(root, catalogue())
