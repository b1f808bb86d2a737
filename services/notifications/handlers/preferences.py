"""Use cases of a person's own preferences (channels per severity, quiet hours, digest) and
of their scorecard reports (each of the daily, weekly and monthly report can be turned off;
all are on by default), kept in the same row."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.commands import PreferencesIn
from services.notifications.domain.schedule import DEFAULT_CHANNELS
from services.notifications.domain.scorecard.reports import reports_chosen
from services.notifications.store import repository as repo
from services.notifications.store.models import Preference
from shared.auth import Caller, Role
from shared.db import insert_ignore, upsert
from shared.errors import Forbidden
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


async def report_subscriptions(session: AsyncSession, staff_id: uuid.UUID) -> dict[str, bool]:
    """Which scheduled reports ``staff_id`` gets (on unless turned off)."""
    row = await repo.preference_of(session, staff_id)
    return reports_chosen(row.reports if row else None)


async def report_subscriptions_of(
    session: AsyncSession, caller: Caller, staff_id: uuid.UUID
) -> dict[str, bool]:
    """:func:`report_subscriptions` of the caller, or of anyone for an admin (else 403)."""
    if staff_id != caller.id and caller.role != Role.ADMIN:
        raise Forbidden("only an admin sees another person's scheduled reports")
    return await report_subscriptions(session, staff_id)


async def set_report_subscriptions(
    uow: UnitOfWork, caller: Caller, changes: Mapping[str, bool | None]
) -> dict[str, bool]:
    """Turn the caller's reports on or off (a report not named keeps its choice); the rest of
    their preferences stay as they are (the defaults when they had none)."""
    if caller.role not in (Role.HEAD, Role.ADMIN):
        raise Forbidden("scheduled reports go to heads and admins")
    now = uow.clock.now()
    await insert_ignore(
        uow.session,
        Preference.__table__,  # type: ignore[arg-type]
        {
            "staff_id": caller.id,
            "channels": DEFAULTS.channels,
            "quiet_hours": None,
            "digest": None,
            "updated_at": now,
        },
    )
    row = await repo.preference_of(uow.session, caller.id, for_update=True)
    assert row is not None
    chosen = dict(row.reports or {})
    chosen.update({period: on for period, on in changes.items() if on is not None})
    row.reports = chosen
    row.updated_at = now
    await uow.session.flush()
    return reports_chosen(chosen)
