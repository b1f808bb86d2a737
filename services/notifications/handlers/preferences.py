"""Use cases of a person's own preferences (channels per severity, quiet hours, digest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.notifications.commands import PreferencesIn
from services.notifications.domain.schedule import DEFAULT_CHANNELS
from services.notifications.store import repository as repo
from services.notifications.store.models import Preference
from shared.auth import Caller
from shared.db import upsert
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class Preferences:
    channels: dict[str, list[str]]
    quiet_hours: dict[str, str] | None
    digest: dict[str, Any] | None


DEFAULTS = Preferences({k: list(v) for k, v in DEFAULT_CHANNELS.items()}, None, None)


def preferences_of(row: Preference | None) -> Preferences:
    if row is None:
        return DEFAULTS
    return Preferences(dict(row.channels), row.quiet_hours, row.digest)


async def replace_preferences(uow: UnitOfWork, caller: Caller, body: PreferencesIn) -> Preferences:
    """The caller's preferences, replaced whole (a field left out takes its default)."""
    values = body.model_dump(mode="json")
    await upsert(
        uow.session,
        Preference.__table__,  # type: ignore[arg-type]
        "staff_id",
        {
            "staff_id": caller.id,
            "channels": values["channels"],
            "quiet_hours": values["quiet_hours"],
            "digest": values["digest"],
            "updated_at": uow.clock.now(),
        },
    )
    return preferences_of(await repo.preference_of(uow.session, caller.id))
