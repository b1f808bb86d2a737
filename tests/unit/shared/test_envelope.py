import uuid
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from pydantic import ValidationError

from shared.messaging.envelope import CloudEvent, Event, EventRegistry, registry


class ThingHappenedV1(Event):
    TYPE: ClassVar[str] = "orbit.testing.thing.happened.v1"

    client_id: uuid.UUID
    amount: str


def test_event_becomes_a_cloudevent_keyed_by_client() -> None:
    client_id = uuid.uuid4()
    at = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    envelope = ThingHappenedV1(client_id=client_id, amount="12.50").to_cloudevent(time=at)
    assert envelope.specversion == "1.0"
    assert envelope.source == "orbit/testing"
    assert envelope.type == "orbit.testing.thing.happened.v1"
    assert envelope.subject == str(client_id)
    assert envelope.datacontenttype == "application/json"
    assert envelope.data == {"client_id": str(client_id), "amount": "12.50"}
    assert envelope.time == at


def test_cloudevent_json_round_trip_keeps_everything() -> None:
    envelope = ThingHappenedV1(client_id=uuid.uuid4(), amount="1").to_cloudevent()
    again = CloudEvent.from_json(envelope.to_json())
    assert again == envelope
    assert registry.parse(again) == ThingHappenedV1.model_validate(envelope.data)


def test_event_models_are_frozen_and_strict() -> None:
    event = ThingHappenedV1(client_id=uuid.uuid4(), amount="1")
    with pytest.raises(ValidationError):
        event.amount = "2"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        ThingHappenedV1(client_id=uuid.uuid4(), amount="1", extra="no")  # type: ignore[call-arg]


def test_cloudevent_requires_an_offset_on_time() -> None:
    with pytest.raises(ValidationError):
        CloudEvent(id=uuid.uuid4(), source="orbit/x", type="t", time=datetime(2026, 1, 1))


def test_registry_refuses_badly_named_and_duplicate_types() -> None:
    local = EventRegistry()

    class Bad(Event):
        TYPE: ClassVar[str] = ""

    Bad.TYPE = "Orbit.Bad"
    with pytest.raises(ValueError):
        local.register(Bad)

    class One(Event):
        TYPE: ClassVar[str] = ""

    class Two(Event):
        TYPE: ClassVar[str] = ""

    One.TYPE = Two.TYPE = "orbit.testing.dup.made.v1"
    local.register(One)
    with pytest.raises(ValueError):
        local.register(Two)


def test_registry_knows_every_contract_event_type() -> None:
    import services.embedded  # noqa: F401  (imports every service's events)

    contract = {
        "orbit.clients.staff.created.v1",
        "orbit.clients.staff.updated.v1",
        "orbit.clients.client.created.v1",
        "orbit.clients.client.updated.v1",
        "orbit.clients.client.assigned.v1",
        "orbit.clients.client.status_changed.v1",
        "orbit.clients.contact.created.v1",
        "orbit.clients.contact.updated.v1",
        "orbit.clients.contact.deleted.v1",
        "orbit.clients.contact.birthday_upcoming.v1",
    }
    assert contract <= set(registry.types())
