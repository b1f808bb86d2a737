"""Contacts: phone numbers to E.164, roles, the preferred channel."""

from __future__ import annotations

import pytest

from services.clients.domain.contacts import (
    InvalidPhone,
    channel_problem,
    normalize_phone,
    normalize_roles,
)


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+49 30 1234567", None, "+49301234567"),
        ("030 1234567", "DE", "+49301234567"),
        ("(212) 555-0123", "US", "+12125550123"),
        ("+1 212-555-0123", "DE", "+12125550123"),
    ],
)
def test_phone_numbers_become_e164(raw: str, region: str | None, e164: str) -> None:
    assert normalize_phone(raw, region) == e164


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("030 1234567", None),  # national number, no country to read it in
        ("not a number", "DE"),
        ("+49 1", None),
        ("+1 555 0000 0000 0000", None),
    ],
)
def test_invalid_phone_numbers(raw: str, region: str | None) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(raw, region)


def test_roles_are_unique_and_canonically_ordered() -> None:
    assert normalize_roles(["other", "billing", "decision_maker", "billing"]) == [
        "decision_maker",
        "billing",
        "other",
    ]
    assert normalize_roles([]) == []


def test_preferred_channel_needs_the_means() -> None:
    assert channel_problem("email", None, "+49301234567") is not None
    assert channel_problem("sms", "a@b.example", None) is not None
    assert channel_problem("phone", None, "+49301234567") is None
    assert channel_problem("in_person", None, None) is None
    assert channel_problem(None, None, None) is None


def test_roles_and_channels_have_one_source() -> None:
    from services.clients import commands, events
    from services.clients.domain import contacts

    assert commands.Channel is contacts.Channel and commands.ContactRole is contacts.ContactRole
    assert events.ContactRole is contacts.ContactRole
    assert contacts.CHANNELS == ("email", "phone", "sms", "messenger", "in_person")
    assert contacts.ROLES == ("decision_maker", "billing", "technical", "other")
    assert set(contacts.CHANNEL_NEEDS) <= set(contacts.CHANNELS)
