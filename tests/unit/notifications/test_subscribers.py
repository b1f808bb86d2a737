"""What the notifications' own reactions read of the clients events (subscribers.py): a
locale is set only by an event carrying the field (null clears it), never by one without."""

from __future__ import annotations

import uuid

import pytest

from services.notifications.subscribers import ClientManaged, Locales


def test_a_locale_is_read_only_from_an_event_carrying_it() -> None:
    client_id, contact_id = uuid.uuid4(), uuid.uuid4()
    older = Locales.of({"client_id": str(client_id), "contacts": [{"contact_id": str(contact_id)}]})
    assert not older.sets and older.contacts is not None and not older.contacts[0].sets
    cleared = Locales.of(
        {
            "client_id": str(client_id),
            "locale": None,
            "contacts": [{"contact_id": str(contact_id), "locale": "ru", "roles": ["billing"]}],
        }
    )
    assert cleared.sets and cleared.locale is None
    assert cleared.contacts is not None and (
        cleared.contacts[0].sets,
        cleared.contacts[0].locale,
    ) == (
        True,
        "ru",
    )


def test_a_client_event_names_its_client_and_its_tier() -> None:
    with pytest.raises(ValueError, match="tier"):
        ClientManaged.of({"client_id": str(uuid.uuid4()), "name": "Acme"})
