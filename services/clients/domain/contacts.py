"""Rules for a client's contacts: phone numbers in E.164, roles, the preferred channel."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from shared.phones import InvalidPhone, normalize_phone

# The phone rules are shared (the interactions service matches calls by the same E.164).
__all__ = [
    "CHANNELS",
    "CHANNEL_NEEDS",
    "ROLES",
    "Channel",
    "ContactRole",
    "InvalidPhone",
    "channel_problem",
    "normalize_phone",
    "normalize_roles",
]

# A contact's roles (in their canonical order) and the channels they may prefer: the API's
# request schemas and the event models take these types, ROLES and CHANNELS their values.
ContactRole = Literal["decision_maker", "billing", "technical", "other"]
Channel = Literal["email", "phone", "sms", "messenger", "in_person"]
ROLES: tuple[ContactRole, ...] = get_args(ContactRole)
CHANNELS: tuple[Channel, ...] = get_args(Channel)
# The channel needs this field of the contact to be usable.
CHANNEL_NEEDS = {"email": "email", "phone": "phone", "sms": "phone", "messenger": "phone"}


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
