"""Read-side queries of the reports, scoped like every other query."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic_core import to_json
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.clients.domain.birthdays import month_days_between, parse_birthday, upcoming
from services.clients.domain.sla import TIERS
from services.clients.domain.status import STATUSES
from services.clients.store.models import Client, ContactRoleIndex, Staff
from services.clients.store.repository import birthday_candidates, client_scope
from shared.auth import Caller
from shared.clock import local_date
from shared.db import core_rows, json_array


def _zeros(keys: tuple[str, ...]) -> dict[str, int]:
    return dict.fromkeys(keys, 0)


def _by_name(manager: dict[str, Any]) -> tuple[str, str]:
    return ((manager["name"] or "~").lower(), str(manager["account_manager_id"]))


async def upcoming_birthdays(
    session: AsyncSession,
    now: datetime,
    within_days: int,
    caller: Caller | None = None,
    account_manager_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Contacts (of clients that are not churned) whose birthday is within ``within_days``
    of today in their client's timezone, soonest first."""
    today_utc = local_date(now, "UTC")
    keys = month_days_between(
        today_utc - timedelta(days=1), today_utc + timedelta(days=within_days + 1)
    )
    scope = client_scope(caller) if caller is not None else None
    out: list[dict[str, Any]] = []
    for contact, client in await birthday_candidates(session, keys, scope):
        if account_manager_id is not None and client.account_manager_id != account_manager_id:
            continue
        if not contact.birthday:
            continue
        today = local_date(now, client.timezone)
        birthday = parse_birthday(contact.birthday)
        day = upcoming(birthday, today, within_days)
        if day is None:
            continue
        out.append(
            {
                "contact": contact,
                "client": client,
                "birthday": day,
                "days_ahead": (day - today).days,
                "age": birthday.age_on(day),
            }
        )
    out.sort(key=lambda b: (b["birthday"], b["client"].name_lower, b["contact"].name))
    return out


async def _refs_json(
    session: AsyncSession, lists: dict[str, list[ColumnElement[bool]]]
) -> dict[str, str]:
    """Each list of clients (its name, and the conditions that select its clients) as the
    portfolio lists them (:func:`_refs`), by name: a JSON array. PostgreSQL writes them, all
    in one statement (a head's portfolio lists thousands of clients: read, decoded and written
    again they were ~40 % of the process's time per call); on SQLite the rows are read and
    written here."""
    order = (Client.name_lower, Client.id)
    ref = (Client.id, Client.name, Client.tier, Client.status, Client.account_manager_id)
    if session.get_bind().dialect.name == "postgresql":
        fields = {column.key: column for column in ref}
        arrays = (
            json_array(Client.__table__, fields, order).where(*where).scalar_subquery().label(name)
            for name, where in lists.items()
        )
        found = (await core_rows(session, select(*arrays)))[0]
        return {name: found[i] or "[]" for i, name in enumerate(lists)}
    written = {}
    for name, where in lists.items():
        rows = await core_rows(session, select(*ref).where(*where).order_by(*order))
        written[name] = to_json(_refs(rows)).decode()
    return written


def _refs(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Clients (``id, name, tier, status, account_manager_id``) as the portfolio lists them,
    their ids as text: the driver's UUIDs (a subclass of ``uuid.UUID``) take pydantic's slow
    way to JSON (~1 µs each), and a head's portfolio lists thousands of clients."""
    return [
        {
            "id": str(client_id),
            "name": name,
            "tier": tier,
            "status": status,
            "account_manager_id": None if manager is None else str(manager),
        }
        for client_id, name, tier, status, manager in rows
    ]


async def portfolio(
    session: AsyncSession,
    caller: Caller,
    now: datetime,
    *,
    account_manager_id: uuid.UUID | None,
    birthday_days: int,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The portfolio's figures, and its two lists of clients as JSON arrays (key clients,
    clients without a decision-maker contact; :func:`_refs_json`)."""
    scope = client_scope(caller)
    narrow = [scope]
    if account_manager_id is not None:
        narrow.append(Client.account_manager_id == account_manager_id)

    # counted per manager, status and tier, then each manager's name: one statement
    grouped = (
        select(Client.account_manager_id, Client.status, Client.tier, func.count().label("n"))
        .where(*narrow)
        .group_by(Client.account_manager_id, Client.status, Client.tier)
        .subquery("grouped")
    )
    counts = await core_rows(
        session,
        select(
            grouped.c.account_manager_id, Staff.name, grouped.c.status, grouped.c.tier, grouped.c.n
        ).outerjoin(Staff, Staff.id == grouped.c.account_manager_id),
    )

    by_status, by_tier, total = _zeros(STATUSES), _zeros(TIERS), 0
    managers: dict[uuid.UUID | None, dict[str, Any]] = {}
    for manager_id, name, status, tier, count in counts:
        entry = managers.setdefault(
            manager_id,
            {
                "account_manager_id": manager_id,
                "name": name,
                "total": 0,
                "by_status": _zeros(STATUSES),
                "by_tier": _zeros(TIERS),
                "key_clients": 0,
            },
        )
        entry["total"] += count
        entry["by_status"][status] = entry["by_status"].get(status, 0) + count
        entry["by_tier"][tier] = entry["by_tier"].get(tier, 0) + count
        if tier == "key" and status != "churned":
            entry["key_clients"] += count
        by_status[status] = by_status.get(status, 0) + count
        by_tier[tier] = by_tier.get(tier, 0) + count
        total += count

    live = [*narrow, Client.status != "churned"]
    has_decision_maker = exists().where(
        ContactRoleIndex.client_id == Client.id, ContactRoleIndex.role == "decision_maker"
    )
    lists = await _refs_json(
        session,
        {
            "key_clients": [*live, Client.tier == "key"],
            "without_decision_maker": [*live, ~has_decision_maker],
        },
    )
    birthdays = await upcoming_birthdays(session, now, birthday_days, caller, account_manager_id)
    # in the order of PortfolioOut's fields (the two lists of clients, written already, last):
    # the API writes this as it is
    figures = {
        "as_of": now,
        "account_manager_id": account_manager_id,
        "total": total,
        "by_status": by_status,
        "by_tier": by_tier,
        "managers": sorted(managers.values(), key=_by_name),
        "upcoming_birthdays": [
            {
                "contact_id": b["contact"].id,
                "contact_name": b["contact"].name,
                "client_id": b["client"].id,
                "client_name": b["client"].name,
                "account_manager_id": b["client"].account_manager_id,
                "email": b["contact"].email,
                "birthday": b["birthday"],
                "days_ahead": b["days_ahead"],
                "age": b["age"],
            }
            for b in birthdays
        ],
        "birthday_window_days": birthday_days,
    }
    return figures, lists
