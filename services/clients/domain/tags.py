"""A client's tags: free labels, compared without regard to case or surrounding spaces."""

from __future__ import annotations

from collections.abc import Iterable

MAX_LENGTH = 50  # characters of a stored tag (the ``client_tags.tag`` column)


class InvalidTag(ValueError):
    """Not a usable tag; the message says why."""


def normalize_tag(raw: str) -> str:
    """The stored form of a tag: stripped and lower-case (``" VIP "`` is ``"vip"``)."""
    tag = raw.strip().lower()
    if not tag:
        raise InvalidTag("a tag may not be empty")
    if len(tag) > MAX_LENGTH:
        raise InvalidTag(f"a tag has at most {MAX_LENGTH} characters")
    return tag


def normalize_tags(raw: Iterable[str]) -> list[str]:
    """Each tag normalised, once (the first occurrence), in the given order."""
    return list(dict.fromkeys(normalize_tag(tag) for tag in raw))
