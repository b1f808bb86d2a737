"""Promises ("answer the same day, or say when you will"): a first response may promise the
full answer by an instant; a promise that passes unresolved is broken, once per promise (a
new promise after a broken one is watched again)."""

from __future__ import annotations

import uuid
from datetime import datetime


class PromiseError(ValueError):
    pass


def check_promise(promise_by: datetime, responded_at: datetime) -> None:
    """A promise must name an instant after the response that makes it."""
    if promise_by.tzinfo is None:
        raise PromiseError("promise_by needs a UTC offset")
    if promise_by <= responded_at:
        raise PromiseError("promise_by must be after the reply that makes the promise")


def is_broken(promised_by: datetime | None, resolved_at: datetime | None, now: datetime) -> bool:
    """Unresolved when the promised instant came: broken (a resolution after it does not mend
    it, nor does one exactly at it break it)."""
    if promised_by is None:
        return False
    if resolved_at is not None:
        return resolved_at > promised_by
    return now >= promised_by


def broken_key(request_id: uuid.UUID, promised_by: datetime) -> str:
    """One alert per promise: named by the promised instant, so a new promise made after a
    broken one (or moving one) is watched, and alerted, again."""
    return f"request.promise_broken:{request_id}:{promised_by.isoformat()}"
