"""JSON Schemas and the AsyncAPI document of every event, generated from the event models.

``write_schemas`` writes ``docs/events/<type>.json`` (one per CloudEvents type: the envelope
with ``data`` = the event model) and ``docs/asyncapi.yaml`` (AsyncAPI 3.0.0: a channel per
topic ``orbit.<service>`` and its dead-letter topic). They are checked in; ``check_schemas``
lists what differs from the models, including changes that break a published ``vN`` (see
:func:`compatibility_problems`): such a change needs a new ``...V<N+1>`` model instead.

The machinery only: which models there are and which service consumes what is an
:class:`EventCatalogue`, built by the composition root ``services/schemas.py`` (it imports
every service's events); every function here takes it. Tooling (``orbit schemas``, the
tests): the running services never import it.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

from services.schema_compat import Schema, compatibility_problems
from shared.messaging.envelope import (
    CONTENT_TYPE,
    TYPE_PATTERN,
    Event,
    dlq_topic_for,
    topic_for,
)
from shared.settings import SERVICES

DIALECT = "https://json-schema.org/draft/2020-12/schema"
EVENTS_DIR = Path("docs/events")
ASYNCAPI_FILE = Path("docs/asyncapi.yaml")
KAFKA_BINDING = "0.5.0"
ENVELOPE_ORDER = ("specversion", "id", "source", "type", "subject", "time", "datacontenttype")


# --- the models --------------------------------------------------------------------------


@dataclass(frozen=True)
class EventCatalogue:
    """The published event models by CloudEvents type, and the event types each service
    consumes (its subscribers), by service."""

    models: Mapping[str, type[Event]]
    consumed: Mapping[str, list[str]]


def _key_description(model: type[Event]) -> str:
    noun = model.KEY_FIELD.removesuffix("_id").replace("_", " ")
    return f"the {noun} id (data.{model.KEY_FIELD})"


def _key_schema(model: type[Event], data: Schema) -> Schema:
    field = data.get("properties", {}).get(model.KEY_FIELD, {})
    schema: Schema = {"type": "string"}
    if field.get("type") == "string" and "format" in field:
        schema["format"] = field["format"]
    return schema


def _envelope(model: type[Event], data: Schema, data_ref: str) -> Schema:
    """The CloudEvents 1.0 structured-mode envelope of ``model`` (CONTRACT: Events)."""
    service = model.service()
    key = _key_description(model)
    return {
        "type": "object",
        "properties": {
            "specversion": {"type": "string", "const": "1.0"},
            "id": {
                "type": "string",
                "format": "uuid",
                "description": "Unique per event; consumers deduplicate by it.",
            },
            "source": {"type": "string", "const": f"orbit/{service}"},
            "type": {"type": "string", "const": model.TYPE},
            "subject": {
                **_key_schema(model, data),
                "description": f"{key.capitalize()}; also the Kafka message key.",
            },
            "time": {
                "type": "string",
                "format": "date-time",
                "description": "When it happened, with a UTC offset.",
            },
            "datacontenttype": {"type": "string", "const": "application/json"},
            "data": {"$ref": data_ref},
        },
        "required": [*ENVELOPE_ORDER, "data"],
        # CloudEvents extension attributes are allowed.
        "additionalProperties": True,
    }


def event_schema(model: type[Event]) -> Schema:
    """The JSON Schema of one event type: the envelope, ``data`` being the model
    (pydantic, serialization mode) kept under ``$defs`` with the models it uses."""
    data = model.model_json_schema(mode="serialization")
    defs: Schema = data.pop("$defs", {})
    name = model.__name__
    if name in defs:
        raise ValueError(f"{model.TYPE}: model {name} also names one of its nested models")
    defs[name] = data
    service = model.service()
    return {
        "$schema": DIALECT,
        "$id": model.TYPE,
        "title": model.TYPE,
        "description": (
            f"CloudEvents 1.0 envelope of {model.TYPE}, published on topic "
            f"{topic_for(service)} with Kafka key = {_key_description(model)}. "
            f"`data` is {name}."
        ),
        **_envelope(model, data, f"#/$defs/{name}"),
        "$defs": defs,
    }


def event_schemas(catalogue: EventCatalogue) -> dict[str, Schema]:
    """Every event type's JSON Schema by its CloudEvents type."""
    return {event_type: event_schema(m) for event_type, m in catalogue.models.items()}


# --- AsyncAPI ------------------------------------------------------------------------------


def _generic_envelope() -> Schema:
    return {
        "title": "CloudEvent",
        "description": "Any Orbit event: a CloudEvents 1.0 envelope in structured JSON mode.",
        "type": "object",
        "properties": {
            "specversion": {"type": "string", "const": "1.0"},
            "id": {"type": "string", "format": "uuid"},
            "source": {"type": "string", "pattern": "^orbit/[a-z]+$"},
            "type": {"type": "string", "pattern": TYPE_PATTERN.pattern},
            "subject": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"type": "string", "const": "application/json"},
            "data": {"type": "object"},
        },
        "required": ["specversion", "id", "source", "type", "time", "data"],
        "additionalProperties": True,
    }


def _headers() -> Schema:
    return {
        "type": "object",
        "properties": {"content-type": {"type": "string", "const": CONTENT_TYPE}},
        "required": ["content-type"],
    }


def _version() -> str:
    try:
        return importlib.metadata.version("orbit")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def _channel_description(service: str, models: list[type[Event]]) -> str:
    if not models:
        return f"The {service} service's topic; it publishes no events yet."
    keys = " or ".join(sorted({_key_description(m) for m in models}))
    return (
        f"Events the {service} service publishes (through its outbox relay). Kafka key: "
        f"{keys}, as the message says, so one client's (or staff member's) events stay in "
        "order."
    )


def asyncapi_document(catalogue: EventCatalogue) -> Schema:
    """AsyncAPI 3.0.0: a channel per topic ``orbit.<service>`` with its messages, and per
    service the dead-letter topic ``orbit.<service>.dlq``; who sends and who receives what."""
    models = catalogue.models
    refs, top = models_json_schema(
        [(m, "serialization") for m in models.values()],
        ref_template="#/components/schemas/{model}",
    )
    schemas: Schema = top.get("$defs", {})
    if "CloudEvent" in schemas:
        raise ValueError("an event model is named CloudEvent, the name of the envelope schema")
    schemas = {"CloudEvent": _generic_envelope(), **schemas}
    messages: Schema = {}
    for event_type, model in models.items():
        data_ref = refs[(model, "serialization")]["$ref"]
        data = schemas[data_ref.rsplit("/", 1)[1]]
        messages[event_type] = {
            "name": event_type,
            "title": model.__name__,
            "summary": f"{event_type} on {topic_for(model.service())}",
            "contentType": CONTENT_TYPE,
            "headers": _headers(),
            "payload": _envelope(model, data, data_ref),
            "bindings": {
                "kafka": {
                    "key": {**_key_schema(model, data), "description": _key_description(model)},
                    "bindingVersion": KAFKA_BINDING,
                }
            },
        }
    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "title": "Dead letter",
        "summary": "An event a consumer could not apply, copied verbatim.",
        "description": (
            "The original message (value and key) of an event the consuming service could not "
            "apply after its retries, or could not parse. The event's id, type, origin "
            "(topic, partition, offset) and the error are in that service's dead_letters "
            "table."
        ),
        "contentType": CONTENT_TYPE,
        "headers": _headers(),
        "payload": {
            "anyOf": [
                {"$ref": "#/components/schemas/CloudEvent"},
                {"type": "string", "description": "A value that was not a CloudEvent."},
            ]
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The original message's key."},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }

    by_service: dict[str, list[str]] = {s: [] for s in SERVICES}
    for event_type, model in models.items():
        by_service[model.service()].append(event_type)

    handled = catalogue.consumed
    channels: Schema = {}
    for service in SERVICES:
        topic, dlq = topic_for(service), dlq_topic_for(service)
        channels[topic] = {
            "address": topic,
            "title": topic,
            "description": _channel_description(service, [models[t] for t in by_service[service]]),
            "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in by_service[service]},
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING}},
        }
        channels[dlq] = {
            "address": dlq,
            "title": dlq,
            "description": (
                f"Dead letters of the {service} service's consumer."
                if service in handled
                else f"Dead letters of the {service} service, which consumes no events yet."
            ),
            "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
            "bindings": {"kafka": {"topic": dlq, "bindingVersion": KAFKA_BINDING}},
        }

    operations: Schema = {}
    for service in SERVICES:
        if by_service[service]:
            topic = topic_for(service)
            operations[f"{service}.publish"] = {
                "action": "send",
                "title": f"{service} publishes",
                "channel": {"$ref": f"#/channels/{topic}"},
                "messages": [
                    {"$ref": f"#/channels/{topic}/messages/{t}"} for t in by_service[service]
                ],
            }
    for service, types in handled.items():
        group = f"orbit.{service}"
        for source in SERVICES:
            consumed = [t for t in types if t in models and models[t].service() == source]
            if not consumed:
                continue
            topic = topic_for(source)
            operations[f"{service}.consume.{source}"] = {
                "action": "receive",
                "title": f"{service} consumes {topic}",
                "channel": {"$ref": f"#/channels/{topic}"},
                "messages": [{"$ref": f"#/channels/{topic}/messages/{t}"} for t in consumed],
                "bindings": {
                    "kafka": {
                        "groupId": {"type": "string", "const": group},
                        "bindingVersion": KAFKA_BINDING,
                    }
                },
            }
        dlq = dlq_topic_for(service)
        operations[f"{service}.dead_letter"] = {
            "action": "send",
            "title": f"{service} parks what it cannot apply",
            "channel": {"$ref": f"#/channels/{dlq}"},
            "messages": [{"$ref": f"#/channels/{dlq}/messages/DeadLetter"}],
        }

    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Orbit events",
            "version": _version(),
            "description": (
                "Events between the Orbit services: CloudEvents 1.0 in structured JSON mode "
                "on Kafka. Generated from the event models by `make schemas`; do not edit."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "compose": {
                "host": "kafka:9092",
                "protocol": "kafka",
                "description": (
                    "The broker of deploy/docker-compose.yml; elsewhere the one "
                    "ORBIT_KAFKA_BOOTSTRAP names."
                ),
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


# --- files ---------------------------------------------------------------------------------


def _json_text(schema: Schema) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _yaml_text(document: Schema) -> str:
    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    text: str = yaml.dump(document, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
    return text


def generated_files(catalogue: EventCatalogue) -> dict[Path, str]:
    """Every generated file (relative to the repository root) and its text."""
    files = {EVENTS_DIR / f"{t}.json": _json_text(s) for t, s in event_schemas(catalogue).items()}
    files[ASYNCAPI_FILE] = _yaml_text(asyncapi_document(catalogue))
    return files


def _checked_in_schemas(root: Path) -> list[Path]:
    return sorted((root / EVENTS_DIR).glob("*.json"))


def write_schemas(root: Path, catalogue: EventCatalogue) -> list[Path]:
    """Write the generated files under ``root`` (the repository) and remove event schemas
    no model produces any more; returns the paths that changed."""
    files = generated_files(catalogue)
    changed: list[Path] = []
    for relative, text in files.items():
        path = root / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(relative)
    for path in _checked_in_schemas(root):
        relative = path.relative_to(root)
        if relative not in files:
            path.unlink()
            changed.append(relative)
    return changed


def drift(root: Path, catalogue: EventCatalogue) -> list[str]:
    """How the checked-in files differ from what the models generate."""
    problems: list[str] = []
    files = generated_files(catalogue)
    for relative, text in files.items():
        path = root / relative
        if not path.is_file():
            problems.append(f"{relative}: missing")
            continue
        current = path.read_text(encoding="utf-8")
        if current != text:
            diff = list(
                difflib.unified_diff(
                    current.splitlines(),
                    text.splitlines(),
                    "checked in",
                    "generated",
                    lineterm="",
                    n=1,
                )
            )
            shown = "\n    ".join(diff[:30] + (["..."] if len(diff) > 30 else []))
            problems.append(f"{relative}: out of date\n    {shown}")
    for path in _checked_in_schemas(root):
        relative = path.relative_to(root)
        if relative not in files:
            problems.append(f"{relative}: no event model has this type any more")
    return problems


def breaking_changes(root: Path, catalogue: EventCatalogue) -> list[str]:
    """Changes of the current models that break a published type, the checked-in schemas
    being the published ones: a type gone, or a schema not compatible (see
    :func:`compatibility_problems`)."""
    current = event_schemas(catalogue)
    problems: list[str] = []
    for path in _checked_in_schemas(root):
        event_type = path.stem
        published = json.loads(path.read_text(encoding="utf-8"))
        schema = current.get(event_type)
        if schema is None:
            problems.append(f"{event_type}: published, but no event model has this type")
            continue
        problems.extend(f"{event_type}: {p}" for p in compatibility_problems(published, schema))
    return problems


def check_schemas(root: Path, catalogue: EventCatalogue) -> list[str]:
    """Everything wrong with the checked-in files: breaking changes first, then drift."""
    return [
        *(f"breaking: {p}" for p in breaking_changes(root, catalogue)),
        *drift(root, catalogue),
    ]
