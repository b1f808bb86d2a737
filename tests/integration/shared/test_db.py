"""Column types and migrations on SQLite and the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from services.embedded import SPECS
from shared.db import Money, UTCDateTime, create_engine
from shared.messaging.inprocess import InProcessBus
from shared.migrations import include_name, migrate
from shared.runtime import ServiceRuntime
from shared.settings import OrbitSettings

pytestmark = pytest.mark.integration


async def test_money_and_instants_are_exact(any_db_url: str) -> None:
    metadata = MetaData()
    table = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("amount", Money),
        Column("at", UTCDateTime),
    )
    engine = create_engine(any_db_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    amounts = [
        Decimal("0.1"),
        Decimal("1234567890123.45"),
        Decimal("0.000001"),
        Decimal("-42.5"),
        Decimal("100"),
    ]
    berlin = timezone(timedelta(hours=1))
    at = datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=berlin)
    async with engine.begin() as conn:
        for i, amount in enumerate(amounts):
            await conn.execute(insert(table).values(id=i, amount=amount, at=at))
    async with engine.connect() as conn:
        rows = (await conn.execute(select(table).order_by(table.c.id))).all()
        total = sum((r.amount for r in rows), Decimal(0))
    assert [r.amount for r in rows] == amounts
    assert str(rows[3].amount) == "-42.5" and str(rows[4].amount) == "100"
    assert total == Decimal("1234567890181.050001")
    assert rows[0].at == at and rows[0].at.tzinfo == UTC
    if engine.dialect.name == "postgresql":  # read as the driver gives it, whatever the zone
        async with engine.connect() as conn:
            await conn.execute(text("SET TIME ZONE 'Asia/Tokyo'"))
            tokyo = (await conn.execute(select(table.c.at).where(table.c.id == 0))).scalar_one()
        assert tokyo == at and tokyo.tzinfo == UTC
    with pytest.raises(Exception, match="naive"):
        async with engine.begin() as conn:
            await conn.execute(insert(table).values(id=9, at=datetime(2026, 1, 1)))
    await engine.dispose()


@pytest.mark.parametrize("service", sorted(SPECS))
async def test_migrations_run_from_zero_and_match_the_models(any_db_url: str, service: str) -> None:
    spec = SPECS[service]
    await migrate(spec.migrations, any_db_url)
    await migrate(spec.migrations, any_db_url)  # a second run is a no-op
    env_globals: dict[str, object] = {}
    exec((spec.migrations / "env.py").read_text().replace("run_env(", "targets = ("), env_globals)
    targets = env_globals["targets"]
    engine = create_engine(any_db_url)
    async with engine.connect() as conn:

        def diff(sync_conn):  # type: ignore[no-untyped-def]
            context = MigrationContext.configure(sync_conn, opts={"include_name": include_name})
            return compare_metadata(context, list(targets))  # type: ignore[call-overload]

        changes = await conn.run_sync(diff)
    await engine.dispose()
    assert changes == [], f"models and migrations of {service} drift: {changes}"


@pytest.mark.parametrize(("configured", "expected"), [(None, "0"), (2, "2")])
async def test_a_services_connections_plan_without_parallel_workers_unless_configured(
    pg_url: str, configured: int | None, expected: str
) -> None:
    """Every connection of a service, in a transaction or reading in autocommit, plans with
    ``ORBIT_DATABASE_PARALLEL_WORKERS`` parallel workers per query (default 0: PostgreSQL's
    own default is 2)."""
    settings = OrbitSettings(database_url=pg_url)
    if configured is not None:
        settings = OrbitSettings(database_url=pg_url, database_parallel_workers=configured)
    runtime = ServiceRuntime(SPECS["billing"], settings, InProcessBus())
    show = text("SHOW max_parallel_workers_per_gather")
    try:
        async with runtime.sessions() as session:
            assert await session.scalar(show) == expected
        async with runtime.reads() as session:
            assert await session.scalar(show) == expected
    finally:
        await runtime.dispose()


def test_the_parallel_workers_setting_is_a_count() -> None:
    with pytest.raises(ValueError, match="database_parallel_workers"):
        OrbitSettings(database_parallel_workers=-1)
