"""The Message-ID of Orbit's emails and the client a reply names (shared/mailrefs.py)."""

from __future__ import annotations

import uuid

from shared.mailrefs import message_id, referenced_client

DELIVERY = uuid.UUID(int=7)
CLIENT = uuid.UUID(int=42)


def test_an_email_to_staff_names_its_delivery_only() -> None:
    assert message_id(DELIVERY, "example.com") == f"<{DELIVERY}@example.com>"
    assert referenced_client([message_id(DELIVERY, "example.com")]) is None


def test_an_email_to_a_client_names_the_client() -> None:
    sent = message_id(DELIVERY, "example.com", CLIENT)
    assert sent == f"<{DELIVERY}.client.{CLIENT}@example.com>"
    assert referenced_client([sent]) == CLIENT
    assert referenced_client([sent.upper()]) == CLIENT  # as a mail client may rewrite it


def test_the_first_orbit_reference_wins_others_are_passed_by() -> None:
    other = uuid.UUID(int=43)
    refs = [
        "<abc@mail.example>",
        message_id(DELIVERY, "x.example", other),
        message_id(DELIVERY, "x.example", CLIENT),
    ]
    assert referenced_client(refs) == other
    assert referenced_client(["<abc@mail.example>", "", "<client.x@y>"]) is None
