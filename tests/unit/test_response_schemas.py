"""The response schemas of the merged OpenAPI document, as a typed client sees them:

- every field with a closed set of values carries its enum, the values of the type alias the
  code uses for it (one definition per set: inputs, responses, events and rules share it);
- a response string field named like a closed set (``status``, ``kind``, ``severity``, ...)
  that carries no enum fails, so a new ``status: str`` in an ``...Out`` model is caught;
- every field a response always has is ``required`` (openapi-typescript makes the others
  optional, ``--default-non-nullable false`` as docs/api.md generates the types).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import pytest

from services.apidoc import openapi_document
from services.billing.api.schemas import InvoiceStatus
from services.billing.domain.contracts import ContractStatus
from services.billing.domain.opportunities import Kind, Stage
from services.billing.domain.reports import ReportName
from services.clients.domain.contacts import Channel as ContactChannel
from services.clients.domain.contacts import ContactRole
from services.clients.domain.kind import ClientKind
from services.clients.domain.sla import Tier
from services.interactions.domain.feedback import FeedbackKind
from services.interactions.domain.interactions import Direction, InteractionType
from services.interactions.domain.mail import AttachmentStatus
from services.interactions.domain.sla import RequestStatus
from services.interactions.domain.tasks import TaskStatus
from services.notifications.domain.catalog import (
    AttemptOutcome,
    Channel,
    DeliveryChannel,
    DeliveryStatus,
    EventType,
    NotificationType,
    PersonalChannel,
    Recipient,
    RecipientKind,
    Severity,
)
from services.notifications.domain.messages import Language
from shared.values import ClientStatus, StaffRole

Schema = dict[str, Any]

# (schema, field) -> the type alias whose values the field's enum must be (a list's items',
# a map's values').
CLOSED: dict[tuple[str, str], Any] = {
    ("StaffOut", "role"): StaffRole,
    ("MailAttachmentOut", "status"): AttachmentStatus,
    ("ClientOut", "kind"): ClientKind,
    ("ClientOut", "tier"): Tier,
    ("ClientOut", "status"): ClientStatus,
    ("ClientRef", "tier"): Tier,
    ("ClientRef", "status"): ClientStatus,
    ("ContactOut", "roles"): ContactRole,
    ("ContactOut", "preferred_channel"): ContactChannel,
    ("InteractionOut", "type"): InteractionType,
    ("InteractionOut", "direction"): Direction,
    ("RequestOut", "status"): RequestStatus,
    ("TaskOut", "status"): TaskStatus,
    ("FeedbackOut", "kind"): FeedbackKind,
    ("CadenceRow", "status"): ClientStatus,
    ("ContractOut", "status"): ContractStatus,
    ("InvoiceOut", "status"): InvoiceStatus,
    ("OpportunityOut", "kind"): Kind,
    ("OpportunityOut", "stage"): Stage,
    ("BillingReportOut", "report"): ReportName,
    ("NotificationOut", "type"): NotificationType,
    ("NotificationOut", "severity"): Severity,
    ("RuleOut", "event_type"): EventType,
    ("RuleOut", "recipients"): Recipient,
    ("RuleOut", "channels"): Channel,
    ("RuleOut", "severity"): Severity,
    ("ChannelsOut", "info"): PersonalChannel,
    ("ChannelsOut", "warning"): PersonalChannel,
    ("ChannelsOut", "critical"): PersonalChannel,
    ("WebhookOut", "event_types"): EventType,
    ("DeliveryOut", "channel"): DeliveryChannel,
    ("DeliveryOut", "status"): DeliveryStatus,
    ("DeliveryOut", "event_type"): NotificationType,
    ("DeliveryOut", "recipient_kind"): RecipientKind,
    ("DeliveryOut", "locale"): Language,
    ("DeliveryAttemptOut", "outcome"): AttemptOutcome,
}
# Map fields whose keys are a closed set too (``{"info": [...], ...}``).
CLOSED_KEYS: dict[tuple[str, str], Any] = {
    ("PortfolioOut", "by_status"): ClientStatus,
    ("PortfolioOut", "by_tier"): Tier,
    ("ManagerPortfolio", "by_status"): ClientStatus,
    ("ManagerPortfolio", "by_tier"): Tier,
    ("ActivityRow", "by_type"): InteractionType,
}
# Field names that always mean a closed set in a response, and the fields of those names
# that are free text on purpose.
CLOSED_NAMES = {
    "status",
    "kind",
    "tier",
    "type",
    "direction",
    "role",
    "roles",
    "stage",
    "severity",
    "channel",
    "channels",
    "preferred_channel",
    "recipients",
    "recipient_kind",
    "outcome",
    "event_type",
    "event_types",
    "source",
    "report",
    "promise_state",
}
FREE = {("Problem", "type")}  # a URI naming the problem
# Fields a response may leave out.
OPTIONAL = {("Problem", "errors")}  # 422 only


@pytest.fixture(scope="module")
def document() -> Schema:
    return openapi_document()


def _refs(node: Any, schemas: dict[str, Schema], found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            if name not in found:
                found.add(name)
                _refs(schemas[name], schemas, found)
        for value in node.values():
            _refs(value, schemas, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, schemas, found)


def response_schemas(document: Schema) -> set[str]:
    """The component schemas any response refers to (directly or through another one)."""
    schemas = document["components"]["schemas"]
    found: set[str] = set()
    for operations in document["paths"].values():
        for operation in operations.values():
            _refs(operation.get("responses", {}), schemas, found)
    return found


def strings(schema: Schema) -> Iterator[Schema]:
    """The string schemas a property may hold: itself, its ``anyOf`` members (``| null``),
    a list's items, a map's values."""
    for member in schema.get("anyOf", [schema]):
        if member.get("type") == "string":
            yield member
        elif member.get("type") == "array":
            yield from strings(member.get("items", {}))
        elif member.get("type") == "object" and isinstance(
            member.get("additionalProperties"), dict
        ):
            yield from strings(member["additionalProperties"])


def field(document: Schema, name: str, prop: str) -> Schema:
    schema: Schema = document["components"]["schemas"][name]["properties"][prop]
    return schema


@pytest.mark.parametrize(("name", "prop"), sorted(CLOSED), ids=lambda v: str(v))
def test_a_closed_response_field_carries_its_enum(document: Schema, name: str, prop: str) -> None:
    values = list(get_args(CLOSED[(name, prop)]))
    found = list(strings(field(document, name, prop)))
    assert found, f"{name}.{prop} holds no string"
    for schema in found:
        assert schema.get("enum") == values, f"{name}.{prop}: {schema} lacks the enum {values}"


@pytest.mark.parametrize(("name", "prop"), sorted(CLOSED_KEYS), ids=lambda v: str(v))
def test_a_closed_map_names_its_keys(document: Schema, name: str, prop: str) -> None:
    values = list(get_args(CLOSED_KEYS[(name, prop)]))
    assert field(document, name, prop).get("propertyNames") == {"enum": values}


def test_every_closed_looking_response_field_has_an_enum(document: Schema) -> None:
    """No response string field named like a closed set is left without its values."""
    schemas = document["components"]["schemas"]
    missing = [
        f"{name}.{prop}"
        for name in sorted(response_schemas(document))
        for prop, schema in schemas[name].get("properties", {}).items()
        if prop in CLOSED_NAMES and (name, prop) not in FREE
        for member in strings(schema)
        if "enum" not in member and "const" not in member
    ]
    assert not missing, f"response fields without their enum: {missing}"


def test_the_table_covers_the_reported_fields() -> None:
    """The fields issue 17 found without their enum are all checked above."""
    reported = {
        ("ClientOut", "kind"),
        ("ClientOut", "tier"),
        ("ClientOut", "status"),
        ("RequestOut", "status"),
        ("TaskOut", "status"),
        ("InteractionOut", "type"),
        ("InteractionOut", "direction"),
        ("StaffOut", "role"),
        ("DeliveryOut", "channel"),
        ("DeliveryOut", "status"),
        ("NotificationOut", "severity"),
    }
    assert reported <= set(CLOSED)


def test_every_field_a_response_always_has_is_required(document: Schema) -> None:
    schemas = document["components"]["schemas"]
    optional = [
        f"{name}.{prop}"
        for name in sorted(response_schemas(document))
        for prop in schemas[name].get("properties", {})
        if prop not in schemas[name].get("required", []) and (name, prop) not in OPTIONAL
    ]
    assert not optional, f"response fields not marked required: {optional}"
