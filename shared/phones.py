"""Phone numbers in E.164, the one form Orbit stores and matches them in (a contact's phone,
the numbers of a call)."""

from __future__ import annotations

import phonenumbers


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
