"""Data migrations of the clients database, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Insert, MetaData, Table, select

from services.clients.store.models import (
    Assignment,
    Client,
    ClientTag,
    Contact,
    ContactRoleIndex,
    Staff,
)
from shared.db import create_engine
from shared.migrations import migrate

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "clients" / "migrations"
BEFORE_LOWERCASE_TAGS = "291dc7ec0b26"
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at_revision(model: Any, **values: Any) -> Insert:
    """An INSERT of ``values`` into ``model``'s table written with only those columns (so a
    column added by a later revision, with its default, is not in the statement)."""
    columns = [c._copy() for c in model.__table__.columns if c.name in values]
    return Table(model.__tablename__, MetaData(), *columns).insert().values(**values)


async def test_existing_tags_are_lowercased_deduplicated_and_reindexed(any_db_url: str) -> None:
    await migrate(MIGRATIONS, any_db_url, BEFORE_LOWERCASE_TAGS)
    stored = {  # as the service stored them before: sorted, unique as typed
        "mixed": ["Gold", "VIP", "vip"],
        "plain": ["gold", "vip"],
        "none": [],
    }
    ids = {name: uuid.uuid4() for name in stored}
    engine = create_engine(any_db_url)
    try:
        async with engine.begin() as conn:
            for name, tags in stored.items():
                await conn.execute(
                    at_revision(
                        Client,
                        id=ids[name],
                        name=name,
                        name_lower=name,
                        kind="b2b",
                        tier="standard",
                        status="prospect",
                        account_manager_id=None,
                        segment=None,
                        tags=tags,
                        country=None,
                        timezone="UTC",
                        sla_overrides={},
                        status_reason=None,
                        created_at=AT,
                        updated_at=AT,
                    )
                )
                for tag in tags:
                    await conn.execute(at_revision(ClientTag, client_id=ids[name], tag=tag))

        await migrate(MIGRATIONS, any_db_url)

        async with engine.connect() as conn:
            tags_of = {
                row.id: row.tags for row in await conn.execute(select(Client.id, Client.tags))
            }
            index = sorted(
                (row.client_id, row.tag) for row in await conn.execute(select(ClientTag))
            )
    finally:
        await engine.dispose()
    assert tags_of == {
        ids["mixed"]: ["gold", "vip"],
        ids["plain"]: ["gold", "vip"],
        ids["none"]: [],
    }
    assert index == sorted(
        [
            (ids["mixed"], "gold"),
            (ids["mixed"], "vip"),
            (ids["plain"], "gold"),
            (ids["plain"], "vip"),
        ]
    )


BEFORE_NAME_LOWER_TEXT = "80eb50822fc5"


async def test_name_lower_becomes_text_keeping_clients_and_their_dependents(
    any_db_url: str,
) -> None:
    await migrate(MIGRATIONS, any_db_url, BEFORE_NAME_LOWER_TEXT)
    mia, acme, dora = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    engine = create_engine(any_db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                at_revision(
                    Staff,
                    id=mia,
                    name="Mia",
                    email="mia@orbit.example",
                    role="manager",
                    department=None,
                    head_id=None,
                    timezone="UTC",
                    locale=None,
                    active=True,
                    created_at=AT,
                    updated_at=AT,
                )
            )
            await conn.execute(
                at_revision(
                    Client,
                    id=acme,
                    name="Acme",
                    name_lower="acme",
                    kind="b2b",
                    tier="standard",
                    status="prospect",
                    account_manager_id=mia,
                    segment=None,
                    tags=["vip"],
                    country=None,
                    timezone="UTC",
                    sla_overrides={},
                    status_reason=None,
                    created_at=AT,
                    updated_at=AT,
                )
            )
            await conn.execute(at_revision(ClientTag, client_id=acme, tag="vip"))
            await conn.execute(
                at_revision(
                    Assignment,
                    id=uuid.uuid4(),
                    client_id=acme,
                    from_manager_id=None,
                    to_manager_id=mia,
                    reason=None,
                    assigned_by=None,
                    assigned_at=AT,
                )
            )
            await conn.execute(
                at_revision(
                    Contact,
                    id=dora,
                    client_id=acme,
                    name="Dora",
                    email=None,
                    phone=None,
                    position=None,
                    roles=["billing"],
                    birthday=None,
                    birthday_md=None,
                    preferred_channel=None,
                    created_at=AT,
                    updated_at=AT,
                )
            )
            await conn.execute(
                at_revision(ContactRoleIndex, contact_id=dora, role="billing", client_id=acme)
            )

        await migrate(MIGRATIONS, any_db_url)

        longest = "İ" * 300
        async with engine.begin() as conn:
            await conn.execute(
                at_revision(
                    Client,
                    id=uuid.uuid4(),
                    name=longest,
                    name_lower=longest.lower(),
                    kind="b2b",
                    tier="standard",
                    status="prospect",
                    account_manager_id=None,
                    segment=None,
                    tags=[],
                    country=None,
                    timezone="UTC",
                    sla_overrides={},
                    status_reason=None,
                    created_at=AT,
                    updated_at=AT,
                )
            )
        async with engine.connect() as conn:
            lowers = set((await conn.scalars(select(Client.name_lower))).all())
            counts = [
                len((await conn.execute(select(table))).all())
                for table in (ClientTag, Assignment, Contact, ContactRoleIndex)
            ]
    finally:
        await engine.dispose()
    assert lowers == {"acme", longest.lower()}
    assert counts == [1, 1, 1, 1]
