"""Rules for a client's contacts: phone numbers in E.164, roles, the preferred channel."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

import phonenumbers

# A contact's roles (in their canonical order) and the channels they may prefer: the API's
# request schemas and the event models take these types, ROLES and CHANNELS their values.
ContactRole = Literal["decision_maker", "billing", "technical", "other"]
Channel = Literal["email", "phone", "sms", "messenger", "in_person"]
ROLES: tuple[ContactRole, ...] = get_args(ContactRole)
CHANNELS: tuple[Channel, ...] = get_args(Channel)
# The channel needs this field of the contact to be usable.
CHANNEL_NEEDS = {"email": "email", "phone": "phone", "sms": "phone", "messenger": "phone"}


class InvalidPhone(Exception):
    """Not a usable phone number; the message says why."""


def normalize_phone(raw: str, default_region: str | None) -> str:
    """The number in E.164 (``+4930123456``). A national number is read in
    ``default_region`` (the client's country); without one it must start with ``+``."""
    text = raw.strip()
    region = None if text.startswith("+") else default_region
    if region is None and not text.startswith("+"):
        raise InvalidPhone(
            "use the international format (+<country code> ...): "
            "the client has no country to read a national number in"
        )
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {raw!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_roles(roles: Iterable[str]) -> list[str]:
    """Each role once, in the canonical order."""
    given = set(roles)
    return [r for r in ROLES if r in given]


def channel_problem(channel: str | None, email: str | None, phone: str | None) -> str | None:
    """Why ``channel`` cannot be the preferred one for a contact with that email and phone."""
    needed = CHANNEL_NEEDS.get(channel or "")
    if needed == "email" and not email:
        return "the preferred channel email needs an email address"
    if needed == "phone" and not phone:
        return f"the preferred channel {channel} needs a phone number"
    return None
